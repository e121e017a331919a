package orchestrator

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

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
func PluginCommand(s *Spec) (plugins.Command, error) {
	if s.Plugin != "" {
		return plugins.Command{Path: s.Plugin, Args: s.PluginArgs}, nil
	}
	if _, ok := BuiltinModels()[s.Model]; !ok {
		names := make([]string, 0)
		for n := range BuiltinModels() {
			names = append(names, n)
		}
		slices.Sort(names)
		return plugins.Command{}, &SpecError{File: s.File, Line: s.Line("model"), Key: "model",
			Msg: fmt.Sprintf("no built-in model %q (built-in: %s; or set plugin = \"path/to/binary\")", s.Model, strings.Join(names, ", "))}
	}
	self, err := os.Executable()
	if err != nil {
		return plugins.Command{}, fmt.Errorf("find the sweep binary to serve model %q: %w", s.Model, err)
	}
	return plugins.Command{Path: self, Args: []string{ServeBuiltinCommand, s.Model}}, nil
}

// OpenModel starts the pool of plugin processes that runs a spec's trials,
// with one process per worker, and asks the model to describe itself.
func OpenModel(ctx context.Context, s *Spec, workers int) (*plugins.Pool, plugins.Description, error) {
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
