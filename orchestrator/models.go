package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/sweep-ml/sweep/orchestrator/spec"
	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/builtin"
)

// ServeBuiltinCommand is the sweep binary's hidden subcommand that serves a
// built-in model as a plugin process: `sweep __serve-builtin ffn`.
const ServeBuiltinCommand = "__serve-builtin"

// BuiltinModels are the models the sweep binary serves itself, by the name a
// grid's `model` key gives.
func BuiltinModels() map[string]func() plugins.Model {
	return map[string]func() plugins.Model{
		"ffn": func() plugins.Model { return builtin.FFN() },
	}
}

// PluginCommand says how to start the model plugin a spec names: a custom
// plugin's executable, or this very binary serving a built-in model.
func PluginCommand(s *spec.Spec) (plugins.Command, error) {
	if s.Plugin != "" {
		return plugins.Command{Path: s.Plugin, Args: s.PluginArgs}, nil
	}
	cmd, err := BuiltinCommand(s.Model)
	if errors.Is(err, errNoBuiltin) {
		return cmd, &spec.SpecError{File: s.File, Line: s.Line("model"), Key: "model",
			Msg: err.Error() + `; or set plugin = "path/to/binary"`}
	}
	return cmd, err
}

var errNoBuiltin = errors.New("no such built-in model")

// BuiltinCommand is the command that serves the built-in model name: this
// binary, with the hidden subcommand.
func BuiltinCommand(name string) (plugins.Command, error) {
	if _, ok := BuiltinModels()[name]; !ok {
		names := slices.Sorted(maps.Keys(BuiltinModels()))
		return plugins.Command{}, fmt.Errorf("%w %q (built-in: %s)", errNoBuiltin, name, strings.Join(names, ", "))
	}
	self, err := os.Executable()
	if err != nil {
		return plugins.Command{}, fmt.Errorf("find the sweep binary to serve model %q: %w", name, err)
	}
	return plugins.Command{Path: self, Args: []string{ServeBuiltinCommand, name}}, nil
}

// OpenModel starts the pool of plugin processes that runs a spec's trials,
// with one process per worker, and asks the model to describe itself.
func OpenModel(ctx context.Context, s *spec.Spec, workers int) (*plugins.Pool, plugins.Description, error) {
	cmd, err := PluginCommand(s)
	if err != nil {
		return nil, plugins.Description{}, err
	}
	pool := plugins.NewPool(cmd, workers, plugins.PoolOptions{})
	desc, err := pool.Describe(ctx)
	if err != nil {
		pool.Close()
		return nil, plugins.Description{}, err
	}
	return pool, desc, nil
}
