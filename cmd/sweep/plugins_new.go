package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sweep-ml/sweep/plugins/scaffold"
)

const pluginsNewUsage = "go|python DIR"

// runPluginsNew writes a model plugin to start from:
// `sweep plugins new go|python DIR`.
func runPluginsNew(args []string, ios *ioStreams) error {
	fs := newFlagSet("plugins new", pluginsNewUsage, ios.ErrOut)
	sweepDir := fs.String("sweep", "", "for go: the checkout of the sweep module that the plugin's go.mod replaces it with\n"+
		"(the module is not published); default: the checkout holding the current directory or this program")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		fs.Usage()
		return usageError{msg: "sweep plugins new takes a language (go or python) and a directory"}
	}
	lang, dir := pos[0], pos[1]
	switch lang {
	case "go":
		if *sweepDir == "" {
			if *sweepDir, err = findSweepCheckout(); err != nil {
				return err
			}
		}
		if err := scaffold.Go(dir, *sweepDir); err != nil {
			return err
		}
		name := filepath.Base(filepath.Clean(dir))
		fmt.Fprintf(ios.Out, "wrote a Go model plugin to %s; build it and run its sweep:\n\n"+
			"  cd %s\n  go mod tidy\n  go build -o %s .\n  sweep plugins describe ./%s\n  sweep run grid.toml\n",
			dir, dir, name, name)
	case "python":
		if err := scaffold.Python(dir); err != nil {
			return err
		}
		fmt.Fprintf(ios.Out, "wrote a Python model plugin to %s (and the SDK it imports, in %s); run its sweep:\n\n"+
			"  cd %s\n  sweep plugins describe /usr/bin/python3 model.py\n  sweep run grid.toml\n\n"+
			"grid.toml names the Python that runs it (interpreter): one with grpcio, protobuf and numpy.\n",
			dir, filepath.Join(dir, "sweep_plugin"), dir)
	default:
		return usageError{msg: fmt.Sprintf("no template for %q: sweep plugins new %s", lang, pluginsNewUsage)}
	}
	return nil
}

// findSweepCheckout returns the checkout of the sweep module that holds the
// current directory or this program (`go run ./cmd/sweep`, or a bin/sweep
// built in a checkout).
func findSweepCheckout() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, s := range starts {
		if dir, ok := scaffold.FindSweepModule(s); ok {
			return dir, nil
		}
	}
	return "", fmt.Errorf("no checkout of %s holds the current directory or this program: pass -sweep /path/to/sweep", scaffold.SweepModule)
}
