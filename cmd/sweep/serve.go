package main

import (
	"context"
	"fmt"

	"github.com/sweep-ml/sweep/plugins"
)

func runServeBuiltin(_ context.Context, args []string, ios *ioStreams) error {
	if len(args) != 1 {
		return usageError{msg: "usage: sweep " + serveBuiltinCommand + " MODEL"}
	}
	model, ok := builtinModels[args[0]]
	if !ok {
		return fmt.Errorf("no built-in model %q", args[0])
	}
	plugins.Serve(model.model())
	return nil
}
