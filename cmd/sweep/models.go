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

// builtinModel is a model this binary serves itself: how to make it, and
// the version of its implementation, bumped whenever its numbers change,
// which the identities of its trials include.
type builtinModel struct {
	model   func() plugins.Model
	version string
}

// builtinModels are the models this binary serves itself, by the name a
// grid's `model` key gives.
var builtinModels = map[string]builtinModel{
	builtin.FFNName: {model: builtin.FFN, version: builtin.FFNVersion},
}

// builtinNames lists the built-in models, for messages.
func builtinNames() string { return strings.Join(slices.Sorted(maps.Keys(builtinModels)), ", ") }

// serveBuiltinCommand is the hidden subcommand through which the sweep
// binary serves its own built-in models as plugin processes, so that a user
// installs one binary and the built-in FFN crosses the same process boundary
// (and gets the same crash isolation) as any custom model.
const serveBuiltinCommand = "__serve-builtin"

// builtinCommand is the command that serves the built-in model name (this
// binary, with the hidden subcommand) and the model's version. It is the
// orchestrator's way to start a built-in model (orchestrator.BuiltinModels).
func builtinCommand(name string) (orchestrator.Builtin, error) {
	m, ok := builtinModels[name]
	if !ok {
		return orchestrator.Builtin{}, fmt.Errorf("%w %q (built-in: %s)", orchestrator.ErrNoBuiltin, name, builtinNames())
	}
	self, err := os.Executable()
	if err != nil {
		return orchestrator.Builtin{}, fmt.Errorf("find the sweep binary to serve model %q: %w", name, err)
	}
	return orchestrator.Builtin{Command: plugins.Command{Path: self, Args: []string{serveBuiltinCommand, name}}, Version: m.version}, nil
}
