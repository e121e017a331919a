package results

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// The reference values below were computed with SciPy 1.10.1 (Debian 12's
// python3-scipy), independently of this package:
//
//	x = [0.3105, 0.3188, 0.3052, 0.3171, 0.3094]
//	a = [0.3161, 0.3190, 0.3127, 0.3175, 0.3158]
//	stats.t.interval(0.95, 4, loc=x.mean(), scale=stats.sem(x))
//	    -> (0.3051953200756812, 0.3192046799243188)
//	stats.ttest_rel(a, x) -> t 2.5957642409631885, p 0.06031649553622326
//	b = [0.322, 0.335, 0.318, 0.329]; c = [0.3105, 0.3188, 0.3052]
//	stats.ttest_ind(b, c, equal_var=False) -> t 2.6548584802428485, p 0.04812227987205504
var (
	refX = []float64{0.3105, 0.3188, 0.3052, 0.3171, 0.3094}
	refA = []float64{0.3161, 0.3190, 0.3127, 0.3175, 0.3158}
	refB = []float64{0.322, 0.335, 0.318, 0.329}
	refC = []float64{0.3105, 0.3188, 0.3052}
)

func near(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol || (math.IsNaN(a) && math.IsNaN(b))
}

func TestMeanCI(t *testing.T) {
	for _, tc := range []struct {
		name         string
		x            []float64
		wantLo, want float64
	}{
		{"scipy", refX, 0.3051953200756812, 0.3192046799243188},
		// Two values: t(0.975, 1) = 12.706204736432095 (scipy), mean 1.5,
		// sem 0.5.
		{"two", []float64{1, 2}, 1.5 - 12.706204736432095*0.5, 1.5 + 12.706204736432095*0.5},
		{"one", []float64{1}, math.NaN(), math.NaN()},
		{"none", nil, math.NaN(), math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi := meanCI(tc.x)
			// gonum's t quantile agrees with scipy's to about 1e-10.
			if !near(lo, tc.wantLo, 1e-9) || !near(hi, tc.want, 1e-9) {
				t.Errorf("meanCI = [%v, %v], want [%v, %v]", lo, hi, tc.wantLo, tc.want)
			}
		})
	}
}

func byRepeat(x []float64) map[int64]float64 {
	m := make(map[int64]float64, len(x))
	for i, v := range x {
		m[int64(42+i)] = v
	}
	return m
}

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		name    string
		x, best map[int64]float64
		test    string
		pairs   int
		diff, p float64
	}{
		{"paired (scipy ttest_rel)", byRepeat(refA), byRepeat(refX), TestPaired, 5, 0.00402, 0.06031649553622326},
		{"welch (scipy ttest_ind, equal_var=False)", byRepeat(refB), map[int64]float64{7: refC[0], 8: refC[1], 9: refC[2]},
			TestWelch, 0, 0.014500000000000013, 0.04812227987205504},
		// One shared seed is no pair to test: Welch on all scores. By hand:
		// t = 1/sqrt(0.5), 2 degrees of freedom, where the two-sided p is
		// 1 - |t|/sqrt(t²+2) = 1 - 1/sqrt(2).
		{"one shared seed", map[int64]float64{1: 1, 2: 2}, map[int64]float64{1: 0, 3: 1}, TestWelch, 0, 1, 1 - 1/math.Sqrt2},
		// Identical differences: a difference without noise.
		{"constant difference", byRepeat([]float64{2, 3, 4}), byRepeat([]float64{1, 2, 3}), TestPaired, 3, 1, 0},
		{"identical", byRepeat([]float64{1, 2}), byRepeat([]float64{1, 2}), TestPaired, 2, 0, 1},
		{"one seed", map[int64]float64{1: 1}, byRepeat([]float64{1, 2}), TestNone, 0, -0.5, math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := compare(tc.x, tc.best)
			if c.Test != tc.test || c.Pairs != tc.pairs || !near(c.Diff, tc.diff, 1e-12) || !near(c.P, tc.p, 1e-9) {
				t.Errorf("compare = %+v, want test %q, %d pairs, diff %v, p %v", c, tc.test, tc.pairs, tc.diff, tc.p)
			}
		})
	}
}

func TestHolm(t *testing.T) {
	// By hand from Holm (1979): sorted p 0.01, 0.03, 0.04, 0.5 times 4, 3,
	// 2, 1 give 0.04, 0.09, 0.08, 0.5; made non-decreasing: 0.04, 0.09,
	// 0.09, 0.5. The untested comparison keeps NaN and is no tie.
	cs := []*Comparison{
		{Test: TestPaired, P: 0.04}, {Test: TestWelch, P: 0.01}, {Test: TestNone, P: math.NaN(), PHolm: math.NaN()},
		{Test: TestPaired, P: 0.5}, {Test: TestPaired, P: 0.03},
	}
	holm(cs)
	want := []float64{0.09, 0.04, math.NaN(), 0.5, 0.09}
	tied := []bool{true, false, false, true, true}
	for i, c := range cs {
		if !near(c.PHolm, want[i], 1e-12) || c.Tied != tied[i] {
			t.Errorf("comparison %d: PHolm %v tied %v, want %v %v", i, c.PHolm, c.Tied, want[i], tied[i])
		}
	}
}

// seedSweep writes configurations named by their keys with one trial per
// score (repeat r has seed 42+r), all under objective obj, and ranks them.
func seedSweep(t *testing.T, obj Objective, scores map[string][]float64) Ranking {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "seeds")
	for name, xs := range scores {
		for r, x := range xs {
			tr := trialSpec{name: name + "_seed" + FormatValue(r), id: name + FormatValue(r), config: name,
				params: map[string]any{"lr": name}, seed: int64(42 + r), repeat: r, status: StatusSucceeded,
				best: fp(x), bestEpoch: 1, epochs: 1}.record([]string{"lr"})
			tr.Objective, tr.Score = &obj, fp(x)
			writeRun(t, dir, runName(float64(r)), tr)
		}
	}
	s, err := LoadSweep(dir)
	if err != nil {
		t.Fatal(err)
	}
	return Rank(s, RankOptions{})
}

func TestRankTiesWithBest(t *testing.T) {
	// a is refX, b is refA (paired p 0.060 against a; Holm leaves the
	// larger of 2 p-values as it is: tied), c is far off. Under max, the order flips
	// and c is the lone best.
	scores := map[string][]float64{"a": refX, "b": refA, "c": {0.40, 0.41, 0.42, 0.43, 0.41}}
	for _, tc := range []struct {
		obj  Objective
		want string
	}{
		{Objective{Metric: "val_loss", Mode: ModeMin}, "1:a 1:b 3:c"},
		{Objective{Metric: "val_ic", Mode: ModeMax}, "1:c 2:b 3:a"},
	} {
		t.Run(tc.obj.Mode, func(t *testing.T) {
			r := seedSweep(t, tc.obj, scores)
			if got := order(r); got != tc.want {
				t.Errorf("order %s, want %s", got, tc.want)
			}
			if !r.Tested {
				t.Error("not tested")
			}
			// Holm adjusts for every comparison, shown or not.
			if got := render(t, r, FormatTable, RenderOptions{Top: 1}); !strings.Contains(got, "over 2 comparisons") {
				t.Errorf("--top 1 table does not count 2 comparisons:\n%s", got)
			}
			if tc.obj.Mode == ModeMin {
				b := r.Rows[1]
				if b.Versus.Test != TestPaired || !near(b.Versus.PHolm, 0.06031649553622326, 1e-9) {
					t.Errorf("b versus a: %+v", b.Versus)
				}
				if !near(r.Rows[0].CILow, 0.3051953200756812, 1e-12) {
					t.Errorf("a's CI [%v, %v]", r.Rows[0].CILow, r.Rows[0].CIHigh)
				}
			}
		})
	}
}

func TestSignificanceNote(t *testing.T) {
	for _, tc := range []struct {
		name   string
		scores map[string][]float64
		want   string
	}{
		{"one seed", map[string][]float64{"a": {1}, "b": {2}}, "One seed per configuration"},
		{"seeds", map[string][]float64{"a": {1, 2}, "b": {2, 3}}, "over 1 comparison)"},
		{"single configuration", map[string][]float64{"a": {1}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := seedSweep(t, DefaultObjective, tc.scores)
			got := r.significanceNote()
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("note %q, want one containing %q", got, tc.want)
			}
		})
	}
}
