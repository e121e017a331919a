package search

import (
	"math"
	"testing"
)

var nanScore = math.NaN()

func TestPruneBestSoFar(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct {
		name  string
		curve []float64
		want  float64
	}{
		{"empty", nil, inf},
		{"all NaN", []float64{nanScore, nanScore}, inf},
		{"rises after its minimum", []float64{0.5, 0.3, 0.7}, 0.3},
		{"NaNs ignored", []float64{nanScore, 0.4, nanScore}, 0.4},
		{"minus infinity", []float64{1, math.Inf(-1)}, math.Inf(-1)},
	} {
		if got := BestSoFar(tc.curve); got != tc.want {
			t.Errorf("%s: BestSoFar(%v) = %v, want %v", tc.name, tc.curve, got, tc.want)
		}
	}
}

// TestPrunePercentile checks the port of numpy's nanpercentile (linear):
// sorted s, index h = q*(n-1), s[floor h] interpolated towards the next.
// TestPruneNumpy checks it against numpy to the last bit.
func TestPrunePercentile(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		pct  float64
		want float64
	}{
		{nil, 50, nanScore},
		{[]float64{nanScore}, 50, nanScore},
		{[]float64{3, 1, 2}, 50, 2},                                    // h = 1
		{[]float64{4, 1, 3, 2}, 50, 2.5},                               // h = 1.5: 2 + (3-2)/2
		{[]float64{4, 1, 3, 2}, 100.0 / 3, 2},                          // h = 1
		{[]float64{0.9, nanScore, 0.4, 0.5}, 100.0 / 3, 0.4 + 0.1/3*2}, // h = 2/3 in [0.4 0.5 0.9]
		{[]float64{0.3, 0.5}, 0, 0.3},
		{[]float64{0.3, 0.5}, 100, 0.5},
	} {
		got := percentile(tc.xs, tc.pct)
		if !(math.IsNaN(got) && math.IsNaN(tc.want)) && math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("percentile(%v, %v) = %v, want %v", tc.xs, tc.pct, got, tc.want)
		}
	}
}

// TestPruneNumpy pins numpy 1.24's last bit, printed by
// python3 -c 'import numpy; print(repr(numpy.nanpercentile(xs, pct)))',
// where interpolating from the lower neighbour alone would round
// otherwise (given in the comments).
func TestPruneNumpy(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		pct  float64
		want float64
	}{
		{[]float64{0.3, 0.51}, 200.0 / 3, 0.44},           // not 0.44000000000000006
		{[]float64{0.79, 0.32}, 75, 0.6725},               // not 0.6725000000000001
		{[]float64{0.94, 0.05}, 50, 0.495},                // not 0.49499999999999994
		{[]float64{0.3, nanScore, 0.51}, 200.0 / 3, 0.44}, // NaN dropped first
	} {
		if got := percentile(tc.xs, tc.pct); got != tc.want {
			t.Errorf("percentile(%v, %v) = %v, numpy %v", tc.xs, tc.pct, got, tc.want)
		}
	}
}

func TestPruneTrialID(t *testing.T) {
	for _, id := range []string{"3fa2c1d09b7e", "a", "trial-7"} {
		if err := checkTrialID(id); err != nil {
			t.Errorf("checkTrialID(%q) = %v, want nil", id, err)
		}
	}
	for _, id := range []string{"", ".", "..", "../x", "a/b", `a\b`, ".hidden", "a..b", "a\x00b"} {
		if err := checkTrialID(id); err == nil {
			t.Errorf("checkTrialID(%q) = nil, want an error", id)
		}
	}
}
