package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/sweep-ml/sweep/orchestrator"
	"github.com/sweep-ml/sweep/orchestrator/search"
	"github.com/sweep-ml/sweep/orchestrator/spec"
	"github.com/sweep-ml/sweep/results"
)

// runPlan shows what a grid expands to and what of it is on disk; it trains
// nothing (it starts the model only to ask for its hyperparameters).
func runPlan(ctx context.Context, args []string, ios *ioStreams) error {
	stdout, stderr := ios.Out, ios.ErrOut
	fs := newFlagSet("plan", "GRID.toml", stderr)
	grid, err := exactlyOne(fs, args, "grid file")
	if err != nil {
		return err
	}
	plan, err := orchestrator.NewPlan(ctx, grid, orchestrator.PlanOptions{Builtin: builtinCommand, DescribeOnly: true})
	if err != nil {
		return err
	}
	defer plan.Close()
	onDisk, err := sweepOnDisk(plan)
	if err != nil {
		return err
	}
	changes := orchestrator.FindModelChanges(plan, onDisk)
	why := modelStates(changes)
	counts := map[string]int{}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TRIAL\tID\tSTATE\tHYPERPARAMETERS")
	for _, t := range plan.Trials {
		state := trialState(onDisk.Trial(t.ID))
		counts[state]++
		if note, ok := why[t.ID]; ok {
			state += " (" + note + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.ID, state, t.Label())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	done := fmt.Sprintf("%d succeeded, %d failed, ", counts["succeeded"], counts["failed"])
	if n := counts["pruned"]; n > 0 || plan.Spec.Prune.Method != spec.PruneNone {
		done += fmt.Sprintf("%d pruned, ", n)
	}
	if plan.Search != nil {
		return showSearchPlan(plan, done+fmt.Sprintf("%d running, %d to run again", counts["running"], counts["to run"]), stdout)
	}
	fmt.Fprintf(stdout, "\n%d trials (%s) into %s: %s%d running, %d to run\n",
		len(plan.Trials), plan.Desc.Name, plan.Dir, done, counts["running"], counts["to run"])
	showModelChanges(stdout, "", changes, plan.Dir)
	return nil
}

// showSearchPlan says what an adaptive search has done and has left. Its
// future trials depend on the results to come, so they cannot be listed.
func showSearchPlan(plan *orchestrator.Plan, states string, stdout io.Writer) error {
	s := plan.Spec
	asked := 0
	if len(plan.Trials) > 0 {
		asked = plan.Trials[len(plan.Trials)-1].Number + 1
	}
	fmt.Fprintf(stdout, "\nSearch: %s\nSpace:\n", s.DescribeSearch())
	for _, d := range plan.Search.Space {
		fmt.Fprintf(stdout, "  %-16s %s\n", d.Name, describeDimension(d))
	}
	fmt.Fprintf(stdout, "\n%d of %d configurations asked (%s, %d trials into %s): %s.\n",
		asked, s.Search.Trials, plan.Desc.Name, len(plan.Trials), plan.Dir, states)
	if left := s.Search.Trials - asked; left > 0 {
		fmt.Fprintf(stdout, "%d configurations (%d trials) are left to ask: the %s sampler chooses each from the results so far, so they cannot be listed before they run.\n",
			left, left*s.Repeats, s.Search.Sampler)
	}
	return nil
}

// describeDimension writes a search dimension as the grid file does.
func describeDimension(d search.Dimension) string {
	switch d.Kind {
	case search.Choice:
		vals := make([]string, len(d.Choices))
		for i, c := range d.Choices {
			vals[i] = results.FormatValue(c)
		}
		return "choice " + strings.Join(vals, ", ")
	case search.Int:
		return fmt.Sprintf("int [%d, %d]", int64(d.Lo), int64(d.Hi))
	}
	return fmt.Sprintf("%s [%s, %s]", d.Kind, results.FormatValue(d.Lo), results.FormatValue(d.Hi))
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
