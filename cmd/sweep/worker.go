package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

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
	searchFlag := fs.Bool("search", false, "then work on the sweep's adaptive search: ask, claim and run configurations until its budget is spent")
	until := fs.String("search-until", "", "with --search: ask for no configuration after this time (RFC 3339)")
	workers := fs.Int("workers", 1, "trials at once")
	rerun := fs.String("rerun", "", "also run finished trials: failed or all")
	executor := fs.String("executor", orchestrator.ExecutorSlurm, "what to record as the executor in trial.json")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *dir == "" || (*batch != "" && *trial != "") || (*batch == "" && *trial == "" && !*searchFlag) {
		fs.Usage()
		return usageError{msg: "worker needs --sweep-dir and one of --batch or --trial, or --search"}
	}
	if *workers < 1 {
		return usageError{msg: fmt.Sprintf("--workers %d: want at least 1", *workers)}
	}
	var deadline time.Time
	if *until != "" {
		if deadline, err = time.Parse(orchestrator.SearchUntilLayout, *until); err != nil {
			return usageError{msg: fmt.Sprintf("--search-until %q: want a time like 2026-11-30T18:00:00Z", *until)}
		}
	}
	var ids []string
	switch {
	case *trial != "":
		ids = []string{*trial}
	case *batch != "":
		if ids, err = slurm.ReadBatch(*batch); err != nil {
			return err
		}
		if len(ids) == 0 && !*searchFlag {
			return fmt.Errorf("%s: no trial ids", *batch)
		}
	}
	plan, err := orchestrator.OpenSweep(ctx, *dir, orchestrator.PlanOptions{Workers: *workers, Builtin: builtinCommand})
	if err != nil {
		return err
	}
	defer plan.Close()
	obs := newObserver(false, stdout, os.Stderr)
	sum := &orchestrator.Summary{}
	if len(ids) > 0 {
		if sum, err = orchestrator.RunTrials(ctx, plan, ids, *workers, *rerun, *executor, obs); err != nil {
			return err
		}
	}
	if *searchFlag && !sum.Interrupted {
		more, err := orchestrator.RunSearchWorker(ctx, plan, *workers, *executor, obs, deadline)
		if err != nil {
			return err
		}
		sum.Records, sum.Failed, sum.Interrupted = append(sum.Records, more.Records...), sum.Failed+more.Failed, more.Interrupted
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
