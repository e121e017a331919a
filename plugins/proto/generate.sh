#!/bin/sh
# Regenerates the Go code (and the Python SDK's stubs) for model.proto. CI does not run this; the
# generated files are committed. Needs protoc (Debian: protobuf-compiler) and
#   go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
#   go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
# with $(go env GOPATH)/bin on PATH.
set -eu
cd "$(dirname "$0")"
PATH="$(go env GOPATH)/bin:$PATH"
protoc --go_out=. --go_opt=paths=source_relative \
	--go-grpc_out=. --go-grpc_opt=paths=source_relative \
	model.proto

# The Python SDK's stubs (plugins/python/sweep_plugin), if Debian's
# python3-grpc-tools is installed: messages by protoc itself, to match
# python3-protobuf. grpc_tools imports the messages as a top-level module;
# inside the package the import must be relative.
if /usr/bin/python3 -c 'import grpc_tools' 2>/dev/null; then
	sdk=../python/sweep_plugin
	protoc --python_out=$sdk model.proto
	/usr/bin/python3 -m grpc_tools.protoc -I. --grpc_python_out=$sdk model.proto
	sed 's/^import model_pb2 as/from . import model_pb2 as/' $sdk/model_pb2_grpc.py >$sdk/grpc.tmp
	mv $sdk/grpc.tmp $sdk/model_pb2_grpc.py
fi
