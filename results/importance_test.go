package results

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

// grid returns the full factorial of the levels, each point a row of
// values, in a fixed order.
func factorial(levels ...[]float64) [][]float64 {
	rows := [][]float64{{}}
	for _, lv := range levels {
		var next [][]float64
		for _, r := range rows {
			for _, v := range lv {
				next = append(next, append(append([]float64{}, r...), v))
			}
		}
		rows = next
	}
	return rows
}

func linspace(a, b float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = a + (b-a)*float64(i)/float64(n-1)
	}
	return out
}

// importanceOf fits fanova to f over rows and returns the shares by
// column name x0, x1, ...
func importanceOf(t testing.TB, rows [][]float64, f func([]float64) float64) (map[string]float64, float64) {
	t.Helper()
	params := make([]map[string]any, len(rows))
	y := make([]float64, len(rows))
	var names []string
	for j := range rows[0] {
		names = append(names, "x"+FormatValue(j))
	}
	for i, r := range rows {
		params[i] = map[string]any{}
		for j, v := range r {
			params[i][names[j]] = v
		}
		y[i] = f(r)
	}
	var cols [][]int
	var levels []int
	for _, name := range names {
		col, k := encode(params, name)
		cols, levels = append(cols, col), append(levels, k)
	}
	rep := fanova(names, cols, levels, y, forestTrees)
	got := map[string]float64{}
	for _, p := range rep.Params {
		got[p.Param] = p.Share
	}
	return got, rep.Interactions
}

func TestImportanceKnownFunctions(t *testing.T) {
	for _, tc := range []struct {
		name string
		rows [][]float64
		f    func([]float64) float64
		// want is each column's variance share, computed by hand for the
		// uniform measure over the levels; tol allows for the forest.
		want []float64
		tol  float64
	}{
		// f = 2·x0 + x1 on equal grids: Var(2·x0) = 4·Var(x1), so the
		// shares are 4/5 and 1/5; x2 is a dummy.
		{"additive linear", factorial(linspace(0, 1, 8), linspace(0, 1, 8), []float64{1, 2, 3}),
			func(x []float64) float64 { return 2*x[0] + x[1] }, []float64{0.8, 0.2, 0}, 0.03},
		// A step in x0 of height 3 at half the levels (variance 9/4) and
		// x1² on {0, 1, 2, 3} (values 0, 1, 4, 9: variance 12.6875): shares
		// 2.25/14.9375 and 12.6875/14.9375.
		{"additive nonlinear", factorial([]float64{0, 1, 2, 3}, []float64{0, 1, 2, 3}, []float64{0, 1}),
			func(x []float64) float64 { return 3*math.Floor(x[0]/2) + x[1]*x[1] },
			[]float64{2.25 / 14.9375, 12.6875 / 14.9375, 0}, 0.03},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := importanceOf(t, tc.rows, tc.f)
			for j, w := range tc.want {
				name := "x" + FormatValue(j)
				if math.Abs(got[name]-w) > tc.tol {
					t.Errorf("%s: share %.4f, want %.4f ± %g", name, got[name], w, tc.tol)
				}
			}
		})
	}
}

// TestImportanceNoise fits 2·x0 + x1 under seed noise as large as the
// signal, 3 repeats per configuration. The shares are of the forest's
// variance, which leaves out most of the noise, so their values depend on
// the noise; what must hold is the signal's 4:1 split and dummies near 0.
func TestImportanceNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rows := factorial(linspace(-1, 1, 6), linspace(-1, 1, 6), []float64{1, 2}, []float64{0, 1, 2})
	got, _ := importanceOf(t, rows, func(x []float64) float64 { return 1.2*(2*x[0]+x[1]) + rng.NormFloat64() })
	if r := got["x0"] / (got["x0"] + got["x1"]); math.Abs(r-0.8) > 0.08 {
		t.Errorf("x0's part of the signal %.3f, want 0.8 ± 0.08 (shares %v)", r, got)
	}
	for _, dummy := range []string{"x2", "x3"} {
		if got[dummy] > 0.05 {
			t.Errorf("dummy %s: share %.3f, want about 0 (shares %v)", dummy, got[dummy], got)
		}
	}
}

// BenchmarkImportance10000 is the cost target: 10,000 trials of a
// random search over 4 hyperparameters (two continuous, one integer, one
// categorical), under 1 s.
func BenchmarkImportance10000(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	rows := make([][]float64, 10000)
	for i := range rows {
		rows[i] = []float64{math.Pow(10, -4+3*rng.Float64()), rng.Float64() / 2, float64(32 + rng.IntN(225)), float64(rng.IntN(3))}
	}
	f := func(x []float64) float64 {
		return math.Pow(math.Log10(x[0])+2.5, 2) + x[1] + 0.1*rng.NormFloat64()
	}
	for b.Loop() {
		importanceOf(b, rows, f)
	}
}

// importanceSweep writes n trials of a grid over lr (3 values) and a dummy
// axis whose score depends on lr only, plus a failed trial, and ranks it.
func importanceSweep(t *testing.T, n int) (*Sweep, Ranking) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "imp")
	lrs := []float64{0.1, 0.01, 0.001}
	specs := []trialSpec{{name: "broken", id: "broken", config: "broken", status: StatusFailed, err: "x",
		params: map[string]any{"lr": 0.5, "dummy": int64(9)}}}
	for i := range n {
		lr := lrs[i%3]
		specs = append(specs, trialSpec{name: "t" + FormatValue(i), id: "t" + FormatValue(i), config: "c" + FormatValue(i),
			params: map[string]any{"lr": lr, "dummy": int64(i / 3)}, status: StatusSucceeded,
			best: fp(math.Log10(lr) * math.Log10(lr)), bestEpoch: 1, epochs: 1})
	}
	writeSpecs(t, dir, []string{"lr", "dummy"}, specs)
	s, err := LoadSweep(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s, Rank(s, RankOptions{})
}

func TestParamImportance(t *testing.T) {
	s, r := importanceSweep(t, 12)
	imp := ParamImportance(s, &r, nil)
	if imp == nil || imp.Trials != 12 || len(imp.Params) != 2 {
		t.Fatalf("importance %+v, want 2 parameters over the 12 succeeded trials", imp)
	}
	if p := imp.Params[0]; p.Param != "lr" || math.Abs(p.Share-1) > 0.02 {
		t.Errorf("first %+v, want lr with all the variance", p)
	}
	if p := imp.Params[1]; p.Param != "dummy" || p.Share > 0.02 {
		t.Errorf("second %+v, want dummy with none", p)
	}
	r.Importance = imp
	for _, format := range []string{FormatTable, FormatMarkdown, FormatJSON} {
		if got := render(t, r, format, RenderOptions{}); !strings.Contains(got, "dummy") || !strings.Contains(strings.ToLower(got), "importance") {
			t.Errorf("%s report without the importance:\n%s", format, got)
		}
	}
	if s, r := importanceSweep(t, MinImportanceTrials-1); ParamImportance(s, &r, nil) != nil {
		t.Errorf("importance from %d trials", MinImportanceTrials-1)
	}
}
