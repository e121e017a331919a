package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/sweep-ml/sweep/orchestrator/spec"
	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/results"
)

// Builtin is a built-in model as the program serves it: the command that
// starts it, and the version of its implementation, which the identities of
// its trials include (spec.ModelHash).
type Builtin struct {
	Command plugins.Command
	Version string
}

// BuiltinModels returns the built-in model a grid's `model` key names. The
// table of built-in models, and the binary that serves them, belong to the
// program (cmd/sweep); the orchestrator is only handed this way to start
// one. For an unknown name the error wraps ErrNoBuiltin and says which
// models there are.
type BuiltinModels func(name string) (Builtin, error)

// ErrNoBuiltin is what a BuiltinModels answers for a name it does not know.
var ErrNoBuiltin = errors.New("no such built-in model")

// pluginCommand says how to start the model plugin a spec names: a custom
// plugin's executable or its script under the interpreter, or a built-in
// model as builtin serves it, with that model's implementation version (""
// for a custom plugin, whose files are its version). A custom plugin runs
// in the grid file's directory, so that the files its plugin_args name are
// found where the grid says and where the model's fingerprint read them.
func pluginCommand(s *spec.Spec, builtin BuiltinModels) (plugins.Command, string, error) {
	if s.Interpreter != "" {
		// The interpreter's own message about a missing script would come
		// through the failed handshake; say it plainly instead.
		if _, err := os.Stat(s.Plugin); err != nil {
			return plugins.Command{}, "", &spec.SpecError{File: s.File, Line: s.Line("plugin"), Key: "plugin",
				Msg: fmt.Sprintf("the script for interpreter %s: %v", s.Interpreter, err)}
		}
		return plugins.Command{Path: s.Interpreter, Args: append([]string{s.Plugin}, s.PluginArgs...), Dir: s.Dir}, "", nil
	}
	if s.Plugin != "" {
		return plugins.Command{Path: s.Plugin, Args: s.PluginArgs, Dir: s.Dir}, "", nil
	}
	if builtin == nil {
		builtin = func(name string) (Builtin, error) { return Builtin{}, ErrNoBuiltin }
	}
	b, err := builtin(s.Model)
	if errors.Is(err, ErrNoBuiltin) {
		return b.Command, "", &spec.SpecError{File: s.File, Line: s.Line("model"), Key: "model",
			Msg: err.Error() + `; or set plugin = "path/to/binary"`}
	}
	return b.Command, b.Version, err
}

// openModel starts the pool of plugin processes that runs a model's trials,
// with one process per worker, and asks the model to describe itself.
func openModel(ctx context.Context, cmd plugins.Command, workers int) (*plugins.Pool, plugins.Description, error) {
	pool := plugins.NewPool(cmd, workers, plugins.PoolOptions{})
	desc, err := pool.Describe(ctx)
	if err != nil {
		pool.Close()
		return nil, plugins.Description{}, err
	}
	return pool, desc, nil
}

// describeModel starts a model, asks it to describe itself and stops it:
// all that planning needs.
func describeModel(ctx context.Context, cmd plugins.Command) (plugins.Description, error) {
	c, err := plugins.Launch(ctx, cmd)
	if err != nil {
		return plugins.Description{}, err
	}
	defer c.Close()
	return c.Describe(ctx)
}

// ModelChanges are the trials of a plan that run again because of their
// model, although runs of theirs are on disk: those runs stay, and count no
// more.
type ModelChanges struct {
	// Changed have runs by a model whose fingerprint differs (an edited
	// script, a rebuilt plugin, a new version of a built-in model).
	Changed []spec.Trial
	// Unknown have runs recorded before records named their model, so
	// whether it changed cannot be told.
	Unknown []spec.Trial
}

// FindModelChanges finds, among the plan's trials that have no run on disk
// under their ID, those with runs under the ID they had with another model
// (each fingerprint the records name) or before IDs covered the model.
func FindModelChanges(p *Plan, onDisk *results.Sweep) ModelChanges {
	recorded := make(map[string]bool, len(onDisk.Trials))
	earlier := map[string]bool{} // the fingerprints of other models
	legacy := false
	for _, tr := range onDisk.Trials {
		recorded[tr.ID] = true
		for _, run := range tr.Runs {
			switch h := run.Trial.ModelHash; {
			case h == "":
				legacy = true
			case h != p.Spec.ModelHash:
				earlier[h] = true
			}
		}
	}
	others := slices.Collect(maps.Keys(earlier))
	var mc ModelChanges
	for _, t := range p.Trials {
		switch {
		case recorded[t.ID]:
		case slices.ContainsFunc(others, func(h string) bool { return recorded[t.IDWithModel(h)] }):
			mc.Changed = append(mc.Changed, t)
		case legacy && recorded[t.LegacyID()]:
			mc.Unknown = append(mc.Unknown, t)
		}
	}
	return mc
}
