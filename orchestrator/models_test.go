package orchestrator

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/orchestrator/spec"
	"github.com/sweep-ml/sweep/results"
)

// names lists trials' names.
func names(trials []spec.Trial) []string {
	out := make([]string, len(trials))
	for i, t := range trials {
		out[i] = t.Name
	}
	return out
}

// ranWithModelA runs a grid of two trials with model "a" in a new
// directory and returns the directory, the grid and its plan.
func ranWithModelA(t *testing.T) (dir, grid string, a *Plan) {
	t.Helper()
	dir, grid = t.TempDir(), "[grid]\nlr = [0.1, 0.2]\n"
	a, err := newModelPlan(t, dir, grid, &scriptedModel{}, "a")
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, context.Background(), a, RunOptions{Workers: 1})
	return dir, grid, a
}

// TestModelChanges runs a grid with model "a", then plans it with model
// "b": every trial is new work, FindModelChanges names the trials whose
// runs model "a" made, and the run keeps those runs. A configuration added
// with "b" is new, not changed; runs from before records named their model
// (version 1 IDs, no model_hash) are found as such.
func TestModelChanges(t *testing.T) {
	dir, grid, a := ranWithModelA(t)
	if mc := FindModelChanges(a, loadSweep(t, a.Dir)); len(mc.Changed)+len(mc.Unknown) != 0 {
		t.Errorf("the same model: %+v, want no changes", mc)
	}
	for _, tr := range loadSweep(t, a.Dir).Trials {
		if rec := tr.Latest().Trial; rec.ModelHash != "a" {
			t.Errorf("%s: model_hash %q, want a", rec.Name, rec.ModelHash)
		}
	}

	m := &scriptedModel{}
	b, err := newModelPlan(t, dir, "[grid]\nlr = [0.1, 0.2, 0.3]\n", m, "b")
	if err != nil {
		t.Fatal(err)
	}
	mc := FindModelChanges(b, loadSweep(t, a.Dir))
	if got := names(mc.Changed); strings.Join(got, " ") != "scripted_lr0.1 scripted_lr0.2" || len(mc.Unknown) != 0 {
		t.Errorf("changed %v, unknown %v; want lr 0.1 and 0.2 changed (0.3 is new)", got, names(mc.Unknown))
	}
	sum := mustRun(t, context.Background(), b, RunOptions{Workers: 1})
	if len(sum.Records) != 3 || sum.Skipped != 0 || m.callCount() != 3 {
		t.Errorf("model b ran %d trials, skipped %d; want all 3 run", len(sum.Records), sum.Skipped)
	}
	if n := len(runDirs(t, a.Dir)); n != 5 {
		t.Errorf("%d runs on disk, want model a's 2 kept beside model b's 3", n)
	}
	if mc := FindModelChanges(b, loadSweep(t, a.Dir)); len(mc.Changed) != 0 {
		t.Errorf("after the run: %v changed, want none", names(mc.Changed))
	}

	// A sweep run before records named the model.
	old := t.TempDir()
	c, err := newModelPlan(t, old, grid, &scriptedModel{}, "c")
	if err != nil {
		t.Fatal(err)
	}
	tr := c.Trials[1]
	writeRecord(t, c.Dir, &results.Trial{ID: tr.LegacyID(), Name: tr.Name, Status: results.StatusSucceeded}, "20260101-000000")
	mc = FindModelChanges(c, loadSweep(t, c.Dir))
	if len(mc.Changed) != 0 || strings.Join(names(mc.Unknown), " ") != tr.Name {
		t.Errorf("changed %v, unknown %v; want %s unknown", names(mc.Changed), names(mc.Unknown), tr.Name)
	}
}

// loadSweep loads the records of a sweep directory.
func loadSweep(t *testing.T, dir string) *results.Sweep {
	t.Helper()
	s, err := results.LoadSweep(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A search cannot go on with another model: its history is the earlier
// model's. Planning it says so, as it does for claims made before claims
// named the model.
func TestSearchRefusesAChangedModel(t *testing.T) {
	dir := t.TempDir()
	a, err := newModelPlan(t, dir, bowlSearch(3), &bowlModel{}, "a")
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, context.Background(), a, RunOptions{Workers: 1})
	if _, err := newModelPlan(t, dir, bowlSearch(3), &bowlModel{}, "a"); err != nil {
		t.Fatalf("the same model: %v", err)
	}
	_, err = newModelPlan(t, dir, bowlSearch(3), &bowlModel{}, "b")
	if err == nil || !strings.Contains(err.Error(), "000000.json: the model changed since this search asked for its configurations") ||
		!strings.Contains(err.Error(), "give the grid another name") {
		t.Errorf("another model: %v", err)
	}

	// The first claim as a sweep wrote it before claims named the model.
	asked, err := loadAsked(a.Dir, a.Search.Space)
	if err != nil {
		t.Fatal(err)
	}
	first, err := a.Search.Trials(0, asked[0].Params)
	if err != nil {
		t.Fatal(err)
	}
	legacy := asked[0]
	legacy.ModelHash, legacy.Trials = "", []string{first[0].LegacyID()}
	data, err := json.Marshal(legacy)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(askedPath(a.Dir, 0), data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = newModelPlan(t, dir, bowlSearch(3), &bowlModel{}, "a")
	if err == nil || !strings.Contains(err.Error(), "000000.json: this search asked for its configurations before sweep fingerprinted models") {
		t.Errorf("a claim without a model: %v", err)
	}
}

// countLoads counts the sweep loads that Run makes through the record
// index until the test ends.
func countLoads(t *testing.T) *int {
	n := new(int)
	orig := loadIndexed
	loadIndexed = func(dir string) (*results.Sweep, error) {
		*n++
		return orig(dir)
	}
	t.Cleanup(func() { loadIndexed = orig })
	return n
}

// Run loads the sweep once under its lock, and tells the model changes from
// that load before any trial runs; a run with nothing to run loads nothing
// more, a run that ran trials loads again for the ranking.
func TestRunLoadsOnceAndTellsModelChanges(t *testing.T) {
	dir, grid, _ := ranWithModelA(t)

	// run runs plan with a counter of loads, and returns its summary, the
	// loads and what OnModelChanges was told.
	run := func(p *Plan, m *scriptedModel) (*Summary, int, []ModelChanges) {
		loads := countLoads(t)
		var told []ModelChanges
		onChanges := func(mc ModelChanges) {
			if m.callCount() != 0 {
				t.Errorf("told of the model changes after %d trials ran", m.callCount())
			}
			if l, err := AcquireLock(p.Dir); !errors.Is(err, ErrLocked) {
				l.Release()
				t.Errorf("told of the model changes without the lock held: AcquireLock gave %v", err)
			}
			told = append(told, mc)
		}
		sum := mustRun(t, context.Background(), p, RunOptions{Workers: 1, OnModelChanges: onChanges})
		return sum, *loads, told
	}

	same := &scriptedModel{}
	again, err := newModelPlan(t, dir, grid, same, "a")
	if err != nil {
		t.Fatal(err)
	}
	sum, loads, told := run(again, same)
	if loads != 1 || len(told) != 1 || len(told[0].Changed)+len(told[0].Unknown) != 0 {
		t.Errorf("nothing to run: %d loads, told %+v; want 1 load and one call with no changes", loads, told)
	}
	if sum.Skipped != 2 || sum.Sweep == nil || len(sum.Sweep.Trials) != 2 || sum.Failed != 0 {
		t.Errorf("nothing to run: skipped %d, failed %d, sweep %v; want both trials skipped and in the summary's sweep",
			sum.Skipped, sum.Failed, sum.Sweep)
	}

	changed := &scriptedModel{}
	b, err := newModelPlan(t, dir, grid, changed, "b")
	if err != nil {
		t.Fatal(err)
	}
	sum, loads, told = run(b, changed)
	if loads != 2 || len(told) != 1 || strings.Join(names(told[0].Changed), " ") != "scripted_lr0.1 scripted_lr0.2" {
		t.Errorf("model changed: %d loads, told %+v; want 2 loads and both trials changed", loads, told)
	}
	if len(sum.Records) != 2 || len(sum.Sweep.Trials) != 4 {
		t.Errorf("model changed: %d run, %d trials in the summary's sweep; want 2 run, 4 (both models')",
			len(sum.Records), len(sum.Sweep.Trials))
	}
}
