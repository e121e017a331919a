package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/sweep-ml/sweep/orchestrator"
	"github.com/sweep-ml/sweep/orchestrator/search"
	"github.com/sweep-ml/sweep/orchestrator/slurm"
	"github.com/sweep-ml/sweep/orchestrator/spec"
	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/results"
)

// runPlan shows what a grid expands to and what of it is on disk; it trains
// nothing (it starts the model only to ask for its hyperparameters).
func runPlan(ctx context.Context, args []string, ios *ioStreams) error {
	stdout, stderr := ios.Out, ios.ErrOut
	fs := newFlagSet("plan", "GRID.toml", stderr)
	jsonOut := fs.Bool("json", false, "print the plan as one JSON object (see the README) instead of the table")
	grid, err := exactlyOne(fs, args, "grid file")
	if err != nil {
		return err
	}
	plan, err := orchestrator.NewPlan(ctx, grid, orchestrator.PlanOptions{Builtin: builtinCommand, DescribeOnly: true})
	if err != nil {
		return err
	}
	defer plan.Close()
	noteData(plan, stderr)
	onDisk, err := sweepOnDisk(plan)
	if err != nil {
		return err
	}
	states := planStates(ctx, plan, onDisk, stderr)
	if *jsonOut {
		return writePlanJSON(stdout, plan, states)
	}
	changes := orchestrator.FindModelChanges(plan, onDisk)
	why := modelStates(changes)
	counts := map[string]int{}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TRIAL\tID\tSTATE\tHYPERPARAMETERS")
	for i, t := range plan.Trials {
		state := states[i]
		counts[state]++
		if note, ok := why[t.ID]; ok {
			state += " (" + note + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.ID, state, t.Label())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	done := fmt.Sprintf("%d succeeded, %d failed, ", counts[stateSucceeded], counts[stateFailed])
	if n := counts[statePruned]; n > 0 || plan.Spec.Prune.Method != spec.PruneNone {
		done += fmt.Sprintf("%d pruned, ", n)
	}
	done += fmt.Sprintf("%d running, ", counts[stateRunning])
	if n := counts[stateQueued]; n > 0 {
		done += fmt.Sprintf("%d queued on Slurm, ", n)
	}
	if plan.Search != nil {
		return showSearchPlan(plan, done+fmt.Sprintf("%d to run again", counts[stateToRun]), stdout)
	}
	fmt.Fprintf(stdout, "\n%d trials (%s) into %s: %s%d to run\n",
		len(plan.Trials), plan.Desc.Name, plan.Dir, done, counts[stateToRun])
	showModelChanges(stdout, "", changes, plan.Dir)
	return nil
}

// The states of a planned trial: a finished run's status, or one of these.
const (
	stateSucceeded = string(results.StatusSucceeded)
	stateFailed    = string(results.StatusFailed)
	statePruned    = string(results.StatusPruned)
	stateRunning   = "running"
	stateQueued    = "queued" // in the batch of a Slurm task that has yet to start it
	stateToRun     = "to run"
)

// planStates returns the state of each of the plan's trials, from its
// records on disk (onDisk) and, for a sweep submitted to Slurm, the tasks still in
// the queue. A Slurm that does not answer only costs the queued state, with
// a warning: the plan is there to look at what is on disk.
func planStates(ctx context.Context, plan *orchestrator.Plan, onDisk *results.Sweep, stderr io.Writer) []string {
	queued, err := orchestrator.QueuedTrials(ctx, &slurm.Client{}, plan.Dir)
	if err != nil {
		fmt.Fprintf(stderr, "sweep: warning: trials queued on Slurm are shown as to run: %v\n", err)
	}
	states := make([]string, len(plan.Trials))
	for i, t := range plan.Trials {
		states[i] = trialState(onDisk.Trial(t.ID))
		if states[i] == stateToRun && queued[t.ID] {
			states[i] = stateQueued
		}
	}
	return states
}

// planJSON is `sweep plan --json`, as the README documents it.
type planJSON struct {
	Sweep  string          `json:"sweep"`
	Dir    string          `json:"dir"`
	Model  string          `json:"model"`
	Search *planSearchJSON `json:"search"` // null for a grid
	Trials []planTrialJSON `json:"trials"`
}

type planSearchJSON struct {
	Sampler string `json:"sampler"`
	Budget  int    `json:"budget"`
	Asked   int    `json:"asked"`
}

type planTrialJSON struct {
	ID     string         `json:"id"`
	Name   string         `json:"name"`
	Seed   int64          `json:"seed"`
	Params plugins.Params `json:"params"`
	State  string         `json:"state"`
}

func writePlanJSON(w io.Writer, plan *orchestrator.Plan, states []string) error {
	out := planJSON{Sweep: plan.Spec.Name, Dir: plan.Dir, Model: plan.Desc.Name, Trials: make([]planTrialJSON, len(plan.Trials))}
	if plan.Search != nil {
		out.Search = &planSearchJSON{Sampler: plan.Spec.Search.Sampler, Budget: plan.Spec.Search.Trials, Asked: askedConfigurations(plan)}
	}
	for i, t := range plan.Trials {
		out.Trials[i] = planTrialJSON{ID: t.ID, Name: t.Name, Seed: t.Seed, Params: t.Params, State: states[i]}
	}
	return writeJSON(w, out)
}

// writeJSON writes v as indented JSON, for the commands whose --json output
// is one document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// askedConfigurations counts the configurations a search has asked for.
func askedConfigurations(plan *orchestrator.Plan) int {
	if len(plan.Trials) == 0 {
		return 0
	}
	return plan.Trials[len(plan.Trials)-1].Number + 1
}

// showSearchPlan says what an adaptive search has done and has left. Its
// future trials depend on the results to come, so they cannot be listed.
func showSearchPlan(plan *orchestrator.Plan, states string, stdout io.Writer) error {
	s := plan.Spec
	asked := askedConfigurations(plan)
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
		return stateToRun
	case runs.Finished != nil:
		return string(runs.Finished.Trial.Status)
	case len(runs.InProgress()) > 0:
		return stateRunning
	default:
		return stateToRun
	}
}
