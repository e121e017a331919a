package main

import (
	"context"
	"fmt"
	"io"

	"github.com/sweep-ml/sweep/orchestrator"
	"github.com/sweep-ml/sweep/plugins"
)

// serveBuiltinCommand is the hidden subcommand through which the sweep
// binary serves its own built-in models as plugin processes, so that a user
// installs one binary and the built-in FFN crosses the same process boundary
// (and gets the same crash isolation) as any custom model.
const serveBuiltinCommand = orchestrator.ServeBuiltinCommand

func runServeBuiltin(_ context.Context, args []string, _, _ io.Writer) error {
	if len(args) != 1 {
		return usageError{msg: "usage: sweep " + serveBuiltinCommand + " MODEL"}
	}
	model, ok := orchestrator.BuiltinModels()[args[0]]
	if !ok {
		return fmt.Errorf("no built-in model %q", args[0])
	}
	plugins.Serve(model())
	return nil
}
