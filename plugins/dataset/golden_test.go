package dataset

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/sweep-ml/sweep/tests/golden"
)

// goldenSynthetic is what testdata/synthetic.golden.json records about a
// small synthetic dataset: enough to notice any change to the generator,
// the split or the standardisation, each of which would silently change the
// data that existing sweeps (whose trial IDs hash the spec, not the rows)
// trained on.
type goldenSynthetic struct {
	Features []string    `json:"features"`
	NumTrain int         `json:"num_train"`
	NumVal   int         `json:"num_val"`
	Train    [][]float64 `json:"first_train_rows"` // features then target
	Val      [][]float64 `json:"first_val_rows"`
	Mean     []float64   `json:"mean"`
	Scale    []float64   `json:"scale"`
}

func TestSyntheticGolden(t *testing.T) {
	d, err := Load(context.Background(), Spec{Seed: 42, Synthetic: &SyntheticSpec{Rows: 50, Features: 4, Noise: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	rows := func(x, y []float64, n int) [][]float64 {
		nf := d.NumFeatures()
		var out [][]float64
		for r := range n {
			out = append(out, append(append([]float64(nil), x[r*nf:(r+1)*nf]...), y[r]))
		}
		return out
	}
	got := goldenSynthetic{Features: d.Features, NumTrain: d.NumTrain, NumVal: d.NumVal,
		Train: rows(d.TrainX, d.TrainY, 3), Val: rows(d.ValX, d.ValY, 3), Mean: d.Mean, Scale: d.Scale}
	checkGolden(t, "synthetic.golden.json", got)
}

// checkGolden compares v, as JSON, with testdata/name, or writes it there
// with -update. Numbers must agree to 1e-12 relative: Go fuses
// multiply-adds on some architectures (arm64, ppc64, s390x), which moves
// the last bits.
func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name)
	got = append(got, '\n')
	want := golden.Want(t, path, got)
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if where := jsonDiff("", g, w); where != "" {
		t.Errorf("%s differs from the golden file at %s; if the change is intended, run go test -update", path, where)
	}
}

// jsonDiff returns the path of the first difference between decoded JSON
// values, numbers compared to 1e-12 relative, or "" if none.
func jsonDiff(at string, got, want any) string {
	switch w := want.(type) {
	case float64:
		g, ok := got.(float64)
		if !ok || math.Abs(g-w) > 1e-12*math.Max(1, math.Abs(w)) {
			return fmt.Sprintf("%s (%v, want %v)", at, got, want)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return at + " (length)"
		}
		for i := range w {
			if d := jsonDiff(fmt.Sprintf("%s[%d]", at, i), g[i], w[i]); d != "" {
				return d
			}
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return at + " (keys)"
		}
		for k := range w {
			if d := jsonDiff(at+"."+k, g[k], w[k]); d != "" {
				return d
			}
		}
	default:
		if got != want {
			return fmt.Sprintf("%s (%v, want %v)", at, got, want)
		}
	}
	return ""
}
