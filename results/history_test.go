package results

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BestSoFar follows the objective's mode and skips pruned trials, whose
// scores are from cut-short curves.
func TestBestSoFar(t *testing.T) {
	points := []HistoryPoint{{0, 0.5, false}, {1, 0.1, true}, {2, 0.7, false}, {3, 0.3, false}, {4, 0.4, false}}
	for _, tc := range []struct {
		obj  Objective
		want []float64
	}{
		{Objective{"val_loss", "min"}, []float64{0.5, 0.5, 0.5, 0.3, 0.3}},
		{Objective{"sharpe", "max"}, []float64{0.5, 0.5, 0.7, 0.7, 0.7}},
	} {
		got := BestSoFar(points, tc.obj)
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: BestSoFar = %v, want %v", tc.obj.Mode, got, tc.want)
				break
			}
		}
	}
	if got := BestSoFar([]HistoryPoint{{0, 1, true}}, DefaultObjective); !math.IsNaN(got[0]) {
		t.Errorf("best so far with only a pruned trial = %v, want NaN", got[0])
	}
}

// History orders trials by configuration number and keeps only those
// with a score; the plot is written and refuses what it cannot draw.
func TestHistoryAndPlot(t *testing.T) {
	dir := t.TempDir()
	score := func(v float64) *float64 { return &v }
	obj := &Objective{"val_loss", "min"}
	for i, rec := range []*Trial{
		{ID: "c", Name: "c", Number: 2, Status: StatusSucceeded, Objective: obj, Score: score(0.2)},
		{ID: "a", Name: "a", Number: 0, Status: StatusSucceeded, Objective: obj, Score: score(0.5)},
		{ID: "b", Name: "b", Number: 1, Status: StatusPruned, Objective: obj, Score: score(0.9), EpochsRun: 3},
		{ID: "d", Name: "d", Number: 3, Status: StatusFailed, Objective: obj, Error: "boom"},
	} {
		run := filepath.Join(dir, rec.Name, "20260101-00000"+string(rune('0'+i)))
		if err := os.MkdirAll(run, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := WriteTrial(run, rec); err != nil {
			t.Fatal(err)
		}
	}
	s, err := LoadSweep(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := History(s, nil)
	if len(h) != 3 || h[0].Number != 0 || h[1].Number != 1 || !h[1].Pruned || h[2].Score != 0.2 {
		t.Fatalf("History = %+v, want configurations 0, 1 (pruned), 2", h)
	}
	r := Rank(s, RankOptions{})
	r.Search = &SearchInfo{Sampler: "tpe", Budget: 5, Asked: 4, Pruner: "asha"}
	if got, want := r.searchLine(), "tpe: 4 of 5 configurations asked; asha pruned 1 trials: 1 after 3 epochs"; got != want {
		t.Errorf("searchLine = %q, want %q", got, want)
	}
	png := filepath.Join(dir, "history.png")
	if err := PlotHistory(png, h, *obj, PlotOptions{}); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(png); err != nil || !strings.HasPrefix(string(data), "\x89PNG") {
		t.Errorf("history.png is not a PNG (%v)", err)
	}
	if err := PlotHistory(filepath.Join(dir, "h.bmp"), h, *obj, PlotOptions{}); err == nil {
		t.Error("PlotHistory wrote an unknown format")
	}
	if err := PlotHistory(filepath.Join(dir, "h.png"), nil, *obj, PlotOptions{}); err == nil {
		t.Error("PlotHistory drew an empty history")
	}
}
