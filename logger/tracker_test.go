package logger

import (
	"math"
	"slices"
	"testing"
)

func TestMetricsTracker(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tr := NewMetricsTracker()
	for step, v := range []float64{nan, 3, 1, 2, 1, inf, nan} {
		tr.Update(int64(step), map[string]float64{"val_loss": v, "acc": -v})
	}
	if got := tr.Names(); !slices.Equal(got, []string{"acc", "val_loss"}) {
		t.Errorf("Names() = %q", got)
	}
	if got := tr.Series("val_loss"); len(got) != 7 || got[2] != (Point{2, 1}) {
		t.Errorf("Series = %v", got)
	}
	for _, tc := range []struct {
		name  string
		mode  Mode
		value float64
		step  int64
		ok    bool
	}{
		{"val_loss", Min, 1, 2, true},   // the earliest of two equal minima; NaN at step 0 ignored
		{"val_loss", Max, inf, 5, true}, // +Inf is a value, NaN is not
		{"acc", Max, -1, 2, true},       //
		{"acc", Min, -inf, 5, true},     //
		{"missing", Min, 0, 0, false},   //
		{"only_nan", Min, 0, 0, false},  // NaN never counts as best
	} {
		if tc.name == "only_nan" {
			tr.Update(0, map[string]float64{"only_nan": nan})
		}
		v, s, ok := tr.Best(tc.name, tc.mode)
		if ok != tc.ok || (ok && (v != tc.value || s != tc.step)) {
			t.Errorf("Best(%s, %d) = %v, %d, %v; want %v, %d, %v", tc.name, tc.mode, v, s, ok, tc.value, tc.step, tc.ok)
		}
	}
	// A NaN in the window is not hidden.
	if got, ok := tr.Average("val_loss", 3); !ok || !math.IsNaN(got) {
		t.Errorf("Average(val_loss, 3) = %v, %v; want NaN", got, ok)
	}
	tr.Reset()
	for step, v := range []float64{4, 1, 2, 3} {
		tr.Update(int64(step), map[string]float64{"loss": v})
	}
	// Means of small integers are exact.
	for _, tc := range []struct {
		lastN int
		want  float64
	}{{1, 3}, {2, 2.5}, {3, 2}, {4, 2.5}, {10, 2.5}, {0, 2.5}, {-1, 2.5}} {
		if got, ok := tr.Average("loss", tc.lastN); !ok || got != tc.want {
			t.Errorf("Average(loss, %d) = %v, %v; want %v", tc.lastN, got, ok, tc.want)
		}
	}
	if _, ok := tr.Average("val_loss", 1); ok {
		t.Error("Reset kept val_loss")
	}
	var zero MetricsTracker
	zero.Update(0, map[string]float64{"x": 1})
	if v, _, ok := zero.Best("x", Min); !ok || v != 1 {
		t.Error("the zero MetricsTracker is not usable")
	}
}
