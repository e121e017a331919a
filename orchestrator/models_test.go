package orchestrator

import (
	"context"
	"encoding/json"
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

// TestModelChanges runs a grid with model "a", then plans it with model
// "b": every trial is new work, FindModelChanges names the trials whose
// runs model "a" made, and the run keeps those runs. A configuration added
// with "b" is new, not changed; runs from before records named their model
// (version 1 IDs, no model_hash) are found as such.
func TestModelChanges(t *testing.T) {
	dir := t.TempDir()
	const grid = "[grid]\nlr = [0.1, 0.2]\n"
	a, err := newModelPlan(t, dir, grid, &scriptedModel{}, "a")
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, context.Background(), a, RunOptions{Workers: 1})
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
