package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/sweep-ml/sweep/orchestrator"
	"github.com/sweep-ml/sweep/plugins/dataset"
	"github.com/sweep-ml/sweep/results"
)

func runRun(ctx context.Context, args []string, ios *ioStreams) error {
	ra, err := parseRunArgs(args, ios.ErrOut)
	if err != nil {
		return err
	}
	ra.opts.Observer = newObserver(ra.jsonLines, ios)
	if ra.executor == orchestrator.ExecutorSlurm {
		err = runSlurm(ctx, ra.grid, ra.opts, ra.slurm, ra.jsonLines, ios.Out, ios.ErrOut)
	} else {
		err = runLocal(ctx, ra.grid, ra.opts, ra.jsonLines, ios.Out, ios.ErrOut)
	}
	return interrupted(ctx, err, ios.ErrOut)
}

// runArgs is a `sweep run` command line, parsed and checked.
type runArgs struct {
	grid      string
	opts      orchestrator.RunOptions // all but the Observer
	jsonLines bool
	executor  string
	slurm     *slurmFlags
}

func parseRunArgs(args []string, stderr io.Writer) (runArgs, error) {
	fs := newFlagSet("run", "GRID.toml", stderr)
	workers := fs.Int("workers", 0, "trials at once (default: the grid's workers; 0 there: one per CPU core)")
	rerun := fs.String("rerun", "", "also run trials that are already finished: failed (failed ones, even with retries spent) or all")
	failFast := fs.Bool("fail-fast", false, "stop the sweep at the first failed trial")
	jsonLines := fs.Bool("json", false, "write one JSON progress event per line to stdout instead of the report (see the README)")
	jsonEpochs := fs.Bool("json-epochs", false, "--json with an epoch event for every epoch of every trial, with its metrics")
	executor := fs.String("executor", orchestrator.ExecutorLocal, "where trials run: local or slurm")
	slurmFlags := addSlurmFlags(fs)
	grid, err := exactlyOne(fs, args, "grid file")
	switch {
	case err != nil:
		return runArgs{}, err
	case *workers < 0:
		return runArgs{}, usageError{msg: fmt.Sprintf("--workers %d: want at least 1 (or 0 for the grid's setting)", *workers)}
	case *rerun != orchestrator.RerunNone && *rerun != orchestrator.RerunFailed && *rerun != orchestrator.RerunAll:
		return runArgs{}, usageError{msg: fmt.Sprintf("--rerun %q: want failed or all", *rerun)}
	case *executor != orchestrator.ExecutorLocal && *executor != orchestrator.ExecutorSlurm:
		return runArgs{}, usageError{msg: fmt.Sprintf("--executor %q: want local or slurm", *executor)}
	case *jsonEpochs && *executor == orchestrator.ExecutorSlurm:
		return runArgs{}, usageError{msg: "--json-epochs: the Slurm executor follows trials by their records, and a task's epochs stay on its node"}
	}
	return runArgs{grid: grid, jsonLines: *jsonLines || *jsonEpochs, executor: *executor, slurm: slurmFlags,
		opts: orchestrator.RunOptions{Workers: *workers, Rerun: *rerun, FailFast: *failFast, EpochEvents: *jsonEpochs}}, nil
}

// interrupted turns an error that Ctrl-C caused (a plugin whose start was
// cut short, say) into the interruption it is, with the usual advice.
func interrupted(ctx context.Context, err error, stderr io.Writer) error {
	if err == nil || ctx.Err() == nil || errors.Is(err, errInterrupted) || errors.Is(err, errTrialsFailed) {
		return err
	}
	return resumable(stderr)
}

// resumable says that an interrupted sweep can go on, and returns
// errInterrupted.
func resumable(stderr io.Writer) error {
	fmt.Fprintf(stderr, "sweep: interrupted; run the same command again to resume\n")
	return errInterrupted
}

func runLocal(ctx context.Context, grid string, opts orchestrator.RunOptions, jsonLines bool, stdout, stderr io.Writer) error {
	plan, err := orchestrator.NewRunPlan(ctx, grid, orchestrator.PlanOptions{Workers: opts.Workers, Builtin: builtinCommand})
	if err != nil {
		return err
	}
	defer plan.Close()
	noteData(plan, stderr)
	opts.OnModelChanges = announceModelChanges(plan.Dir, stderr)
	sum, err := orchestrator.Run(ctx, plan, opts)
	if err != nil {
		return err
	}
	return finishRun(sum, plan, jsonLines, stdout, stderr)
}

// finishRun shows the best configurations, where the logs are and how to
// view them, and turns the sweep's state into the exit status.
func finishRun(sum *orchestrator.Summary, plan *orchestrator.Plan, jsonLines bool, stdout, stderr io.Writer) error {
	fmt.Fprintf(stderr, "sweep: %s\n", sum)
	if !jsonLines {
		if err := showRanking(plan, sum.Sweep, 5, stdout); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nLogs: %s\nView: tensorboard --logdir %s\nPage: sweep report %s --html report.html\n",
			sum.Dir, tensorboardDir(plan.Spec.LogDir), tensorboardDir(sum.Dir))
	}
	switch {
	case sum.Interrupted:
		return resumable(stderr)
	case sum.Failed > 0:
		fmt.Fprintf(stderr, "sweep: %d trials failed; see 'sweep report %s'\n", sum.Failed, sum.Dir)
		return errTrialsFailed
	}
	return nil
}

// showRanking prints the top of the ranking of the plan's trials in sweep,
// the sweep as Run left it.
func showRanking(plan *orchestrator.Plan, sweep *results.Sweep, top int, stdout io.Writer) error {
	ids := make([]string, len(plan.Trials))
	for i, t := range plan.Trials {
		ids[i] = t.ID
	}
	fmt.Fprintln(stdout)
	return results.Render(stdout, results.Rank(sweep, results.RankOptions{IDs: ids}), results.FormatTable, results.RenderOptions{Top: top})
}

// tensorboardDir quotes a log directory for a shell command line when needed.
func tensorboardDir(dir string) string {
	dir = filepath.Clean(dir)
	if strings.ContainsAny(dir, " '\"$`\\") {
		return "'" + strings.ReplaceAll(dir, "'", `'\''`) + "'"
	}
	return dir
}

// noteData says what the grid's data settings leave out of the data, and
// what they assume.
func noteData(plan *orchestrator.Plan, stderr io.Writer) {
	d := plan.Spec.Data
	if p := plan.Data; p.Files != nil {
		how := "read, split and written in "
		if p.Reused {
			how = "already prepared, checked in "
		}
		how += p.Took.Round(time.Millisecond).String()
		fmt.Fprintf(stderr, "sweep: data: %s (%s in %s)\n", how, fmtBytes(p.Bytes), filepath.Join(plan.Dir, orchestrator.DataDir))
	}
	if n := plan.Data.DroppedRows; n > 0 {
		fmt.Fprintf(stderr, "sweep: data: %d rows with a missing value left out (data.missing = %q)\n", n, d.Missing)
	}
	if d.Path != "" && d.Split == dataset.SplitChronological && d.Date == "" {
		fmt.Fprintf(stderr, "sweep: data: no date column (data.date): the file's row order is taken as time order\n")
	}
}

// fmtBytes writes a size in bytes with a binary unit: "12.3 MiB".
func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
