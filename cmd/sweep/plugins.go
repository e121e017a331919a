package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/results"
)

// runPlugins inspects model plugins: `sweep plugins describe PATH [ARGS...]`,
// or a built-in model by name (`sweep plugins describe ffn`).
func runPlugins(ctx context.Context, args []string, ios *ioStreams) error {
	stdout := ios.Out
	if len(args) > 0 && args[0] == "new" {
		return runPluginsNew(args[1:], ios)
	}
	const usage = "usage: sweep plugins describe [--json] PATH [PLUGIN_ARGS...] | BUILTIN_MODEL\n       sweep plugins new " + pluginsNewUsage
	// --json goes before the path: what follows the path is the plugin's.
	jsonOut := len(args) > 1 && args[0] == "describe" && (args[1] == "--json" || args[1] == "-json")
	if jsonOut {
		args = append([]string{"describe"}, args[2:]...)
	}
	if slices.ContainsFunc(args[:min(len(args), 2)], isHelpFlag) {
		fmt.Fprintf(stdout, "%s\n\nStarts the model plugin at PATH (with PLUGIN_ARGS), or the built-in model named, and\n"+
			"prints the hyperparameters and metrics it declares; --json prints them as one JSON object\n"+
			"(see the README). Built-in models: %s.\n"+
			"`sweep plugins new` writes a working model plugin to start from into the new directory DIR.\n",
			usage, builtinNames())
		return errHelp
	}
	if len(args) < 2 || args[0] != "describe" {
		return usageError{msg: usage}
	}
	if strings.HasPrefix(args[1], "-") {
		// A plugin path never starts with a dash; a flag does, and describe
		// takes none but --json: launching a program named "-x" helps nobody.
		return usageError{msg: fmt.Sprintf("%q is not a plugin path (describe takes no other flag than --json, before the path); %s", args[1], usage)}
	}
	cmd := plugins.Command{Path: args[1], Args: args[2:]}
	if _, builtin := builtinModels[args[1]]; builtin { // a name: a path to a plugin has a separator
		if len(args) > 2 {
			return usageError{msg: fmt.Sprintf("the built-in model %s takes no arguments (--json goes before it); %s", args[1], usage)}
		}
		b, err := builtinCommand(args[1])
		if err != nil {
			return err
		}
		cmd = b.Command
	}
	client, err := plugins.Launch(ctx, cmd)
	if err != nil {
		return err
	}
	defer client.Close()
	desc, err := client.Describe(ctx)
	if err != nil {
		return err
	}
	if jsonOut {
		return writeJSON(stdout, descriptionJSONOf(desc))
	}
	return printDescription(stdout, desc)
}

// descriptionJSON is `sweep plugins describe --json`, as the README
// documents it: the wire form of plugins.Description, kept apart from the
// Go type so that the JSON names are a stable contract and a new field of
// the description is one line here.
type descriptionJSON struct {
	Name    string      `json:"name"`
	Version string      `json:"version"`
	Params  []paramJSON `json:"params"`
	Metrics []string    `json:"metrics"`
}

type paramJSON struct {
	Name        string          `json:"name"`
	Type        string          `json:"type"`
	Default     any             `json:"default"`
	Help        string          `json:"help"`
	Allowed     string          `json:"allowed"`
	Constraints constraintsJSON `json:"constraints"`
}

type constraintsJSON struct {
	Min     *plugins.Bound `json:"min"`
	Max     *plugins.Bound `json:"max"`
	Choices []string       `json:"choices"`
	MinLen  int            `json:"min_len"`
	MaxLen  int            `json:"max_len"`
}

func descriptionJSONOf(desc plugins.Description) descriptionJSON {
	out := descriptionJSON{Name: desc.Name, Version: desc.Version, Params: make([]paramJSON, len(desc.Params)), Metrics: desc.Metrics}
	for i, p := range desc.Params {
		c := p.Constraints
		out.Params[i] = paramJSON{Name: p.Name, Type: string(p.Type), Default: p.Default, Help: p.Help,
			Allowed: c.Describe(p.Type), Constraints: constraintsJSON{Min: c.Min, Max: c.Max,
				Choices: append([]string{}, c.Choices...), MinLen: c.MinLen, MaxLen: c.MaxLen}} // choices: an array, never null
	}
	if out.Metrics == nil {
		out.Metrics = []string{} // an array, as documented, even when empty
	}
	return out
}

func printDescription(w io.Writer, desc plugins.Description) error {
	fmt.Fprintf(w, "model %s", desc.Name)
	if desc.Version != "" {
		fmt.Fprintf(w, " (version %s)", desc.Version)
	}
	fmt.Fprint(w, "\n\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HYPERPARAMETER\tTYPE\tDEFAULT\tALLOWED\tHELP")
	for _, p := range desc.Params {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Name, p.Type, results.FormatValue(p.Default),
			cmp.Or(p.Constraints.Describe(p.Type), "any"), p.Help)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nmetrics: %s\n", strings.Join(desc.Metrics, ", "))
	return nil
}

// isHelpFlag reports whether arg asks for help.
func isHelpFlag(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}
