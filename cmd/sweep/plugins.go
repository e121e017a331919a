package main

import (
	"context"
	"fmt"
	"io"
	"os"
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
	const usage = "usage: sweep plugins describe PATH [PLUGIN_ARGS...] | BUILTIN_MODEL"
	if slices.ContainsFunc(args[:min(len(args), 2)], isHelpFlag) {
		fmt.Fprintf(stdout, "%s\n\nStarts the model plugin at PATH (with PLUGIN_ARGS), or the built-in model named, and\n"+
			"prints the hyperparameters and metrics it declares. Built-in models: %s.\n",
			usage, builtinNames())
		return errHelp
	}
	if len(args) < 2 || args[0] != "describe" {
		return usageError{msg: usage}
	}
	if strings.HasPrefix(args[1], "-") {
		// A plugin path never starts with a dash; a flag does, and describe
		// takes none: launching a program named "-x" helps nobody.
		return usageError{msg: fmt.Sprintf("%q is not a plugin path (describe takes no flags); %s", args[1], usage)}
	}
	cmd := plugins.Command{Path: args[1], Args: args[2:]}
	if _, builtin := builtinModels[args[1]]; builtin && !strings.ContainsRune(args[1], os.PathSeparator) {
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
	return printDescription(stdout, desc)
}

func printDescription(w io.Writer, desc plugins.Description) error {
	fmt.Fprintf(w, "model %s\n\n", desc.Name)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HYPERPARAMETER\tTYPE\tDEFAULT\tHELP")
	for _, p := range desc.Params {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, p.Type, results.FormatValue(p.Default), p.Help)
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
