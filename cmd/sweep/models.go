package main

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/sweep-ml/sweep/orchestrator"
	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/builtin"
)

// builtinModels are the models this binary serves itself, by the name a
// grid's `model` key gives.
var builtinModels = map[string]func() plugins.Model{
	"ffn": func() plugins.Model { return builtin.FFN() },
}

// builtinNames lists the built-in models, for messages.
func builtinNames() string { return strings.Join(slices.Sorted(maps.Keys(builtinModels)), ", ") }

// serveBuiltinCommand is the hidden subcommand through which the sweep
// binary serves its own built-in models as plugin processes, so that a user
// installs one binary and the built-in FFN crosses the same process boundary
// (and gets the same crash isolation) as any custom model.
const serveBuiltinCommand = "__serve-builtin"

// builtinCommand is the command that serves the built-in model name: this
// binary, with the hidden subcommand. It is the orchestrator's way to start
// a built-in model (orchestrator.BuiltinModels).
func builtinCommand(name string) (plugins.Command, error) {
	if _, ok := builtinModels[name]; !ok {
		return plugins.Command{}, fmt.Errorf("%w %q (built-in: %s)", orchestrator.ErrNoBuiltin, name, builtinNames())
	}
	self, err := os.Executable()
	if err != nil {
		return plugins.Command{}, fmt.Errorf("find the sweep binary to serve model %q: %w", name, err)
	}
	return plugins.Command{Path: self, Args: []string{serveBuiltinCommand, name}}, nil
}
