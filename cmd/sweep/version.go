package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/sweep-ml/sweep/orchestrator"
)

func runVersion(_ context.Context, args []string, ios *ioStreams) error {
	stdout, stderr := ios.Out, ios.ErrOut
	fs := newFlagSet("version", "", stderr)
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sweep %s (%s, %s/%s)\n", orchestrator.BuildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
