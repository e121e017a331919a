// Package proto holds the gRPC service between sweep and a model plugin,
// generated from model.proto. Plugin authors in Go use package plugins
// instead; authors in other languages generate their stubs from model.proto.
package proto

//go:generate ./generate.sh
