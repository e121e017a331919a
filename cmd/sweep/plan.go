package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/sweep-ml/sweep/orchestrator"
	"github.com/sweep-ml/sweep/results"
)

// runPlan shows what a grid expands to and what of it is on disk; it trains
// nothing (it starts the model only to ask for its hyperparameters).
func runPlan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("plan", "GRID.toml", stderr)
	grid, err := exactlyOne(fs, args, "grid file")
	if err != nil {
		return err
	}
	plan, err := orchestrator.NewPlan(ctx, grid, 1)
	if err != nil {
		return err
	}
	defer plan.Trainer.Close()
	onDisk := &results.Sweep{Dir: plan.Dir} // a sweep not yet run has no directory
	if _, statErr := os.Stat(plan.Dir); statErr == nil {
		if onDisk, err = results.LoadSweep(plan.Dir); err != nil {
			return err
		}
	}
	counts := map[string]int{}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TRIAL\tID\tSTATE\tHYPERPARAMETERS")
	for _, t := range plan.Trials {
		state := trialState(onDisk.Trial(t.ID))
		counts[state]++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.ID, state, t.Label())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%d trials (%s) into %s: %d succeeded, %d failed, %d running, %d to run\n",
		len(plan.Trials), plan.Desc.Name, plan.Dir, counts["succeeded"], counts["failed"], counts["running"], counts["to run"])
	return nil
}

// trialState summarises a trial's runs on disk for the plan.
func trialState(runs *results.TrialRuns) string {
	switch {
	case runs == nil:
		return "to run"
	case runs.Finished != nil:
		return string(runs.Finished.Trial.Status)
	case len(runs.InProgress()) > 0:
		return "running"
	default:
		return "to run"
	}
}
