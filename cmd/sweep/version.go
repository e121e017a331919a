package main

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/sweep-ml/sweep/orchestrator"
)

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "", stderr)
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sweep %s (%s, %s/%s)\n", orchestrator.BuildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
