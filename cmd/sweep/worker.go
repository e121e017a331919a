package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/sweep-ml/sweep/orchestrator"
	"github.com/sweep-ml/sweep/orchestrator/slurm"
)

// runWorker runs trials of a sweep that `sweep run` prepared: a Slurm array
// task's batch, or one trial by ID for debugging.
func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("worker", "", stderr)
	dir := fs.String("sweep-dir", "", "the sweep directory that `sweep run` prepared (required)")
	batch := fs.String("batch", "", "a file of trial IDs to run, one per line")
	trial := fs.String("trial", "", "one trial ID to run (see `sweep plan`)")
	workers := fs.Int("workers", 1, "trials at once")
	rerun := fs.String("rerun", "", "also run finished trials: failed or all")
	executor := fs.String("executor", "slurm", "what to record as the executor in trial.json")
	if pos, err := parseArgs(fs, args); err != nil {
		return err
	} else if len(pos) > 0 || *dir == "" || (*batch == "") == (*trial == "") {
		fs.Usage()
		return usageError{msg: "worker needs --sweep-dir and one of --batch or --trial"}
	}
	if *workers < 1 {
		return usageError{msg: fmt.Sprintf("--workers %d: want at least 1", *workers)}
	}
	ids := []string{*trial}
	if *batch != "" {
		var err error
		if ids, err = slurm.ReadBatch(*batch); err != nil {
			return err
		}
	}
	plan, err := orchestrator.OpenSweep(ctx, *dir, *workers)
	if err != nil {
		return err
	}
	defer plan.Trainer.Close()
	obs := newObserver(false, stdout, os.Stderr)
	sum, err := orchestrator.RunTrials(ctx, plan, ids, *workers, *rerun, *executor, obs)
	if err != nil {
		return err
	}
	switch {
	case sum.Interrupted:
		return errInterrupted
	case sum.Failed > 0:
		fmt.Fprintf(stderr, "sweep worker: %d of %d trials failed\n", sum.Failed, len(sum.Records))
		return errTrialsFailed
	}
	return nil
}
