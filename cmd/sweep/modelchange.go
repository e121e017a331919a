package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sweep-ml/sweep/orchestrator"
	"github.com/sweep-ml/sweep/orchestrator/spec"
	"github.com/sweep-ml/sweep/results"
)

// sweepOnDisk loads a plan's sweep directory, through its record index;
// a sweep not yet run has none, and nothing on disk.
func sweepOnDisk(plan *orchestrator.Plan) (*results.Sweep, error) {
	if _, err := os.Stat(plan.Dir); err != nil {
		return &results.Sweep{Dir: plan.Dir}, nil
	}
	return results.LoadSweepIndexed(plan.Dir)
}

// The plan's notes on a trial that runs again because of its model.
const (
	stateModelChanged = "model changed"
	stateModelUnknown = "model not recorded"
)

// modelStates notes each trial that runs again because of its model, by ID.
func modelStates(mc orchestrator.ModelChanges) map[string]string {
	notes := map[string]string{}
	for _, t := range mc.Changed {
		notes[t.ID] = stateModelChanged
	}
	for _, t := range mc.Unknown {
		notes[t.ID] = stateModelUnknown
	}
	return notes
}

// showModelChanges says which trials run again because of their model, and
// that their earlier runs stay, one line each for the two reasons; prefix
// starts each line.
func showModelChanges(w io.Writer, prefix string, mc orchestrator.ModelChanges, dir string) {
	if len(mc.Changed) > 0 {
		fmt.Fprintf(w, "%sthe model changed since %d trials ran; they run again: %s (their earlier runs stay in %s)\n",
			prefix, len(mc.Changed), trialNames(mc.Changed), dir)
	}
	if len(mc.Unknown) > 0 {
		fmt.Fprintf(w, "%s%d trials ran before sweep recorded their model, so whether it changed cannot be told; they run again: %s (their earlier runs stay in %s)\n",
			prefix, len(mc.Unknown), trialNames(mc.Unknown), dir)
	}
}

// maxNames is how many trials a line names before it counts the rest.
const maxNames = 10

// trialNames lists trials by name, the first maxNames of them.
func trialNames(trials []spec.Trial) string {
	names := make([]string, 0, maxNames)
	for _, t := range trials[:min(len(trials), maxNames)] {
		names = append(names, t.Name)
	}
	s := strings.Join(names, ", ")
	if more := len(trials) - maxNames; more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// announceModelChanges is a run's OnModelChanges: it tells, before the run
// starts, which of the trials in the sweep directory dir run again because
// their model changed since their runs on disk.
func announceModelChanges(dir string, stderr io.Writer) func(orchestrator.ModelChanges) {
	return func(mc orchestrator.ModelChanges) { showModelChanges(stderr, "sweep: ", mc, dir) }
}
