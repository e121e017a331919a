package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/sweep-ml/sweep/orchestrator/spec"
	"github.com/sweep-ml/sweep/plugins"
)

// BuiltinModels returns the command that serves the built-in model a grid's
// `model` key names. The table of built-in models, and the binary that
// serves them, belong to the program (cmd/sweep); the orchestrator is only
// handed this way to start one. For an unknown name the error wraps
// ErrNoBuiltin and says which models there are.
type BuiltinModels func(name string) (plugins.Command, error)

// ErrNoBuiltin is what a BuiltinModels answers for a name it does not know.
var ErrNoBuiltin = errors.New("no such built-in model")

// pluginCommand says how to start the model plugin a spec names: a custom
// plugin's executable or its script under the interpreter, or a built-in
// model as builtin serves it.
func pluginCommand(s *spec.Spec, builtin BuiltinModels) (plugins.Command, error) {
	if s.Interpreter != "" {
		// The interpreter's own message about a missing script would come
		// through the failed handshake; say it plainly instead.
		if _, err := os.Stat(s.Plugin); err != nil {
			return plugins.Command{}, &spec.SpecError{File: s.File, Line: s.Line("plugin"), Key: "plugin",
				Msg: fmt.Sprintf("the script for interpreter %s: %v", s.Interpreter, err)}
		}
		return plugins.Command{Path: s.Interpreter, Args: append([]string{s.Plugin}, s.PluginArgs...)}, nil
	}
	if s.Plugin != "" {
		return plugins.Command{Path: s.Plugin, Args: s.PluginArgs}, nil
	}
	if builtin == nil {
		builtin = func(name string) (plugins.Command, error) { return plugins.Command{}, ErrNoBuiltin }
	}
	cmd, err := builtin(s.Model)
	if errors.Is(err, ErrNoBuiltin) {
		return cmd, &spec.SpecError{File: s.File, Line: s.Line("model"), Key: "model",
			Msg: err.Error() + `; or set plugin = "path/to/binary"`}
	}
	return cmd, err
}

// openModel starts the pool of plugin processes that runs a spec's trials,
// with one process per worker, and asks the model to describe itself.
func openModel(ctx context.Context, s *spec.Spec, workers int, builtin BuiltinModels) (*plugins.Pool, plugins.Description, error) {
	cmd, err := pluginCommand(s, builtin)
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

// describeModel starts a spec's model, asks it to describe itself and stops
// it: all that planning needs.
func describeModel(ctx context.Context, s *spec.Spec, builtin BuiltinModels) (plugins.Description, error) {
	cmd, err := pluginCommand(s, builtin)
	if err != nil {
		return plugins.Description{}, err
	}
	c, err := plugins.Launch(ctx, cmd)
	if err != nil {
		return plugins.Description{}, err
	}
	defer c.Close()
	return c.Describe(ctx)
}
