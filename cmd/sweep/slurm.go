package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/sweep-ml/sweep/orchestrator"
	"github.com/sweep-ml/sweep/orchestrator/slurm"
	"github.com/sweep-ml/sweep/results"
)

// slurmFlags override the grid's [slurm] table.
type slurmFlags struct {
	partition, time, mem, sbatchArgs        string
	cpus, parallelism, perTask, taskSeconds int
	detach                                  bool
}

func addSlurmFlags(fs *flag.FlagSet) *slurmFlags {
	f := &slurmFlags{}
	fs.StringVar(&f.partition, "partition", "", "slurm: partition (default: the grid's [slurm] partition, else the cluster's default)")
	fs.StringVar(&f.time, "time", "", "slurm: time limit of one array task, e.g. 01:00:00")
	fs.StringVar(&f.mem, "mem", "", "slurm: memory of one array task, e.g. 4G")
	fs.StringVar(&f.sbatchArgs, "sbatch-args", "", "slurm: extra sbatch arguments, space-separated")
	fs.IntVar(&f.cpus, "cpus-per-task", 0, "slurm: CPUs of one array task, which runs that many trials at once")
	fs.IntVar(&f.parallelism, "parallelism", 0, "slurm: at most this many array tasks at once (%K)")
	fs.IntVar(&f.perTask, "trials-per-task", 0, "slurm: trials packed into one array task (default: fill --task-seconds)")
	fs.IntVar(&f.taskSeconds, "task-seconds", 0, "slurm: target duration of one array task when packing by duration")
	fs.BoolVar(&f.detach, "detach", false, "slurm: return once submitted; follow with 'sweep report'")
	return f
}

// apply overrides cfg with the flags that were set.
func (f *slurmFlags) apply(cfg *slurm.Config) {
	setString := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	setInt := func(dst *int, v int) {
		if v != 0 {
			*dst = v
		}
	}
	setString(&cfg.Partition, f.partition)
	setString(&cfg.Time, f.time)
	setString(&cfg.Mem, f.mem)
	setInt(&cfg.CPUsPerTask, f.cpus)
	setInt(&cfg.Parallelism, f.parallelism)
	setInt(&cfg.TrialsPerTask, f.perTask)
	setInt(&cfg.TaskSeconds, f.taskSeconds)
	if f.sbatchArgs != "" {
		cfg.ExtraArgs = append(cfg.ExtraArgs, strings.Fields(f.sbatchArgs)...)
	}
}

func runSlurm(ctx context.Context, grid string, opts orchestrator.RunOptions, f *slurmFlags, jsonLines bool, stdout, stderr io.Writer) error {
	// This host only submits and watches: one model process suffices to
	// check and expand the grid.
	plan, err := orchestrator.NewRunPlan(ctx, grid, orchestrator.PlanOptions{Workers: 1, Builtin: builtinCommand})
	if err != nil {
		return err
	}
	defer plan.Close()
	noteData(plan, stderr)
	opts.OnModelChanges = announceModelChanges(plan.Dir, stderr)
	cfg := plan.Spec.Slurm
	f.apply(&cfg)
	var sub *slurm.Submitted
	so := orchestrator.SlurmOptions{Config: cfg, Detach: f.detach, Client: &slurm.Client{},
		OnSubmit: func(s *slurm.Submitted) {
			sub = s
			fmt.Fprintf(stderr, "sweep: submitted Slurm job arrays %s (scripts and logs in %s)\n", strings.Join(s.JobIDs(), ", "), s.Dir)
		}}
	opts.Executor = orchestrator.SlurmExecutor(so)
	sum, err := orchestrator.Run(ctx, plan, opts)
	if err != nil {
		return err
	}
	if f.detach {
		follow := stdout
		if jsonLines {
			follow = stderr // stdout is the event stream, JSON only
		}
		fmt.Fprintf(follow, "Follow with: sweep report %s\n", sum.Dir)
		return nil
	}
	if sum.Interrupted && ctx.Err() == nil && sub != nil {
		// Nobody interrupted this command: the arrays ended with trials
		// unfinished, which only the tasks' logs can explain.
		fmt.Fprintf(stderr, "sweep: %d trials did not finish: their Slurm tasks ended first (killed, cancelled, preempted or out of time?); see the logs in %s\n",
			unfinished(plan, sum.Sweep), filepath.Join(sub.Dir, "logs"))
	}
	return finishRun(sum, plan, jsonLines, stdout, stderr)
}

// unfinished counts the plan's trials that have no finished run in
// onDisk, the sweep as Run left it.
func unfinished(plan *orchestrator.Plan, onDisk *results.Sweep) int {
	n := 0
	for _, t := range plan.Trials {
		if runs := onDisk.Trial(t.ID); runs == nil || runs.Finished == nil {
			n++
		}
	}
	return n
}
