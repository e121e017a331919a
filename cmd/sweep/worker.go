package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sweep-ml/sweep/orchestrator"
	"github.com/sweep-ml/sweep/orchestrator/slurm"
)

// runWorker runs trials of a sweep that `sweep run` prepared: a Slurm array
// task's batch, or one trial by ID for debugging.
func runWorker(ctx context.Context, args []string, ios *ioStreams) (err error) {
	wa, err := parseWorkerArgs(args, ios.ErrOut)
	if err != nil {
		return err
	}
	// Last, once the trials have ended and recorded their states: a
	// requeue stops the task.
	defer func() {
		if rerr := requeueIfTimeLimit(ctx, workerSlurm, os.Getenv, ios.ErrOut); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}()
	var ids []string
	switch {
	case wa.trial != "":
		ids = []string{wa.trial}
	case wa.batch != "":
		if ids, err = slurm.ReadBatch(wa.batch); err != nil {
			return err
		}
		if len(ids) == 0 && !wa.search {
			return fmt.Errorf("%s: no trial ids", wa.batch)
		}
	}
	plan, err := orchestrator.OpenSweep(ctx, wa.dir, orchestrator.PlanOptions{Workers: wa.workers, Builtin: builtinCommand})
	if err != nil {
		return err
	}
	defer plan.Close()
	obs := newObserver(false, ios)
	sum := &orchestrator.Summary{}
	if len(ids) > 0 {
		if sum, err = orchestrator.RunTrials(ctx, plan, ids, wa.workers, wa.rerun, wa.executor, obs); err != nil {
			return err
		}
	}
	if wa.search && !sum.Interrupted {
		more, err := orchestrator.RunSearchWorker(ctx, plan, wa.workers, wa.executor, obs, wa.until)
		if err != nil {
			return err
		}
		sum.Records, sum.Failed, sum.Interrupted = append(sum.Records, more.Records...), sum.Failed+more.Failed, more.Interrupted
	}
	switch {
	case sum.Interrupted:
		return errInterrupted
	case sum.Failed > 0:
		fmt.Fprintf(ios.ErrOut, "sweep worker: %d of %d trials failed\n", sum.Failed, len(sum.Records))
		return errTrialsFailed
	}
	return nil
}

// workerSlurm runs the Slurm commands of `sweep worker`; tests replace it.
var workerSlurm = &slurm.Client{}

// requeueIfTimeLimit requeues the worker's own Slurm task (SLURM_JOB_ID,
// which for an array task is the task's own id) when SIGUSR1 stopped the
// worker: the script's --signal sends it before the time limit, so the
// task's trials, stopped with their training states kept, continue from
// them in a new allocation instead of being killed at the limit. It does
// nothing after any other end, or outside Slurm (where it says so).
func requeueIfTimeLimit(ctx context.Context, c *slurm.Client, getenv func(string) string, stderr io.Writer) error {
	if timeLimitSignal == nil || stoppedBy(ctx) != timeLimitSignal {
		return nil
	}
	job := getenv("SLURM_JOB_ID")
	if job == "" {
		fmt.Fprintln(stderr, "sweep worker: stopped by SIGUSR1 outside a Slurm job (no SLURM_JOB_ID): nothing to requeue")
		return nil
	}
	// ctx has ended: the requeue must happen all the same, but not hang
	// past the time limit.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := c.Requeue(rctx, job); err != nil {
		// Said here: mainExit reports an interrupted command's error as
		// the interruption only.
		fmt.Fprintf(stderr, "sweep worker: %v\n", err)
		return err
	}
	fmt.Fprintf(stderr, "sweep worker: requeued Slurm job %s: its unfinished trials continue from their training states in the next allocation\n", job)
	return nil
}

// workerArgs is a `sweep worker` command line, parsed and checked.
type workerArgs struct {
	dir, batch, trial, rerun, executor string
	search                             bool
	until                              time.Time // zero: no limit
	workers                            int
}

func parseWorkerArgs(args []string, stderr io.Writer) (workerArgs, error) {
	var wa workerArgs
	fs := newFlagSet("worker", "", stderr)
	fs.StringVar(&wa.dir, "sweep-dir", "", "the sweep directory that 'sweep run' prepared (required)")
	fs.StringVar(&wa.batch, "batch", "", "a file of trial IDs to run, one per line")
	fs.StringVar(&wa.trial, "trial", "", "one trial ID to run (see 'sweep plan')")
	fs.BoolVar(&wa.search, "search", false, "then work on the sweep's adaptive search: ask, claim and run configurations until its budget is spent")
	until := fs.String("search-until", "", "with --search: ask for no configuration after this time (RFC 3339)")
	fs.IntVar(&wa.workers, "workers", 1, "trials at once")
	fs.StringVar(&wa.rerun, "rerun", "", "also run finished trials: failed or all")
	fs.StringVar(&wa.executor, "executor", orchestrator.ExecutorSlurm, "what to record as the executor in trial.json")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return wa, err
	}
	if len(pos) > 0 || wa.dir == "" || (wa.batch != "" && wa.trial != "") || (wa.batch == "" && wa.trial == "" && !wa.search) {
		fs.Usage()
		return wa, usageError{msg: "worker needs --sweep-dir and one of --batch or --trial, or --search"}
	}
	if wa.workers < 1 {
		return wa, usageError{msg: fmt.Sprintf("--workers %d: want at least 1", wa.workers)}
	}
	if wa.rerun != orchestrator.RerunNone && wa.rerun != orchestrator.RerunFailed && wa.rerun != orchestrator.RerunAll {
		return wa, usageError{msg: fmt.Sprintf("--rerun %q: want failed or all", wa.rerun)}
	}
	if *until != "" {
		if wa.until, err = time.Parse(orchestrator.SearchUntilLayout, *until); err != nil {
			return wa, usageError{msg: fmt.Sprintf("--search-until %q: want a time like 2026-11-30T18:00:00Z", *until)}
		}
	}
	return wa, nil
}
