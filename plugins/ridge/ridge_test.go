package ridge

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/dataset"
	"github.com/sweep-ml/sweep/plugins/safetensors"
)

// smallData is a synthetic dataset small enough to solve directly.
var smallData = dataset.Spec{Synthetic: &dataset.SyntheticSpec{Rows: 400, Features: 6, Noise: 0.1}, Seed: 3}

func params(lambda float64, epochs int64) plugins.Params {
	return plugins.Params{"lambda": lambda, "epochs": epochs, "tol": 1e-12}
}

// train runs m in process and collects its events.
func train(t *testing.T, m *Model, req plugins.TrainRequest) ([]plugins.Event, plugins.Outcome) {
	t.Helper()
	var evs []plugins.Event
	out, err := m.Train(context.Background(), req, func(e plugins.Event) error {
		evs = append(evs, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return evs, out
}

// directSolution solves the ridge normal equations by LU decomposition, an
// algorithm independent of the conjugate gradients under test.
func directSolution(t *testing.T, d *dataset.Dataset, lambda float64) []float64 {
	t.Helper()
	f, n := d.NumFeatures(), d.NumTrain
	x := mat.NewDense(n, f+1, nil)
	for i := range n {
		for j := range f {
			x.Set(i, j, d.TrainX[i*f+j])
		}
		x.Set(i, f, 1)
	}
	var a mat.Dense
	a.Mul(x.T(), x)
	a.Scale(1/float64(n), &a)
	for j := range f {
		a.Set(j, j, a.At(j, j)+lambda)
	}
	var b, w mat.VecDense
	b.MulVec(x.T(), mat.NewVecDense(n, d.TrainY))
	b.ScaleVec(1/float64(n), &b)
	if err := w.SolveVec(&a, &b); err != nil {
		t.Fatal(err)
	}
	return w.RawVector().Data
}

func TestMatchesDirectSolution(t *testing.T) {
	d, err := dataset.Load(context.Background(), smallData)
	if err != nil {
		t.Fatal(err)
	}
	for _, lambda := range []float64{0, 1e-3, 1} {
		var m Model
		// CG is exact after p = 7 steps in exact arithmetic; a few more
		// absorb rounding.
		evs, out := train(t, &m, plugins.TrainRequest{Params: params(lambda, 20), Data: smallData, HistogramEvery: 1})
		last := evs[len(evs)-1]
		got := append(append([]float64{}, last.Histograms[0].Values...), last.Histograms[1].Values...)
		want := directSolution(t, d, lambda)
		// Tolerance: the system is well conditioned (standardised
		// features), so both solvers agree to near machine precision.
		if !floats.EqualApprox(got, want, 1e-9) {
			t.Errorf("lambda %g: weights %v, want %v (LU solve)", lambda, got, want)
		}
		if !out.StoppedEarly || out.EpochsRun >= 20 || out.EpochsRun != int64(len(evs)) {
			t.Errorf("lambda %g: outcome %+v after %d events, want an early stop", lambda, out, len(evs))
		}
		for i, e := range evs {
			if e.Step != int64(i) {
				t.Errorf("event %d has step %d", i, e.Step)
			}
			if (e.Graph != nil) != (i == 0) {
				t.Errorf("event %d: graph %v, want one with the first event only", i, e.Graph)
			}
		}
		if g := last.Histograms[2].Values; floats.Norm(g, 2) > 1e-9 {
			t.Errorf("lambda %g: gradient at the solution %v, want ~0", lambda, g)
		}
	}
}

func TestShrinksWithLambda(t *testing.T) {
	var m Model
	norm := func(lambda float64) float64 {
		evs, _ := train(t, &m, plugins.TrainRequest{Params: params(lambda, 20), Data: smallData, HistogramEvery: 100})
		return floats.Norm(evs[len(evs)-1].Histograms[0].Values, 2)
	}
	if small, large := norm(1e-3), norm(10); !(large < small/5) {
		t.Errorf("|w| = %g at lambda 10, %g at lambda 1e-3: want strong shrinkage", large, small)
	}
}

func TestDeterministic(t *testing.T) {
	req := plugins.TrainRequest{Params: params(0.1, 5), Data: smallData, HistogramEvery: 2}
	a, oa := train(t, &Model{}, req)
	b, ob := train(t, &Model{}, req)
	if !reflect.DeepEqual(a, b) || oa != ob {
		t.Error("two runs of the same request differ")
	}
	if oa.BestValLoss != minVal(a) || math.IsInf(oa.BestValLoss, 0) {
		t.Errorf("best val loss %g, want the minimum over events %g", oa.BestValLoss, minVal(a))
	}
}

func minVal(evs []plugins.Event) float64 {
	m := math.Inf(1)
	for _, e := range evs {
		m = math.Min(m, e.Scalars[1].Value)
	}
	return m
}

func TestBadRequests(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params plugins.Params
		data   dataset.Spec
		want   string
	}{
		{"missing", plugins.Params{"lambda": 1.0, "epochs": int64(3)}, smallData, `"tol" is missing`},
		{"ill-typed", plugins.Params{"lambda": int64(1), "epochs": int64(3), "tol": 1e-9}, smallData, `"lambda" is a int64, want float64`},
		{"negative", params(-1, 3), smallData, "lambda >= 0"},
		{"bad data", params(1, 3), dataset.Spec{ValSplit: 2}, "data.val_split"},
	} {
		_, err := (&Model{}).Train(context.Background(), plugins.TrainRequest{Params: tc.params, Data: tc.data}, func(plugins.Event) error { return nil })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := (&Model{}).Train(ctx, plugins.TrainRequest{Params: params(0, 50), Data: smallData}, func(plugins.Event) error {
		n++
		cancel()
		return nil
	})
	if err != context.Canceled || n != 1 {
		t.Errorf("after cancelling in the first event: %d events, error %v", n, err)
	}
}

// TestKeepsWeights: with a checkpoint directory, the fitted weights are kept
// as an nn.Linear's state_dict in safetensors, with the host's metadata.
func TestKeepsWeights(t *testing.T) {
	dir := t.TempDir()
	var m Model
	evs, _ := train(t, &m, plugins.TrainRequest{Params: params(1e-3, 20), Data: smallData, HistogramEvery: 1,
		Checkpoint: plugins.Checkpoint{Dir: dir, Metadata: map[string]string{"trial_id": "r1"}}})
	raw, err := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Read(raw)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	w, _ := f.Tensor("weight")
	b, _ := f.Tensor("bias")
	if !slices.Equal(w.Float64, last.Histograms[0].Values) || !slices.Equal(b.Float64, last.Histograms[1].Values) ||
		!slices.Equal(w.Shape, []int{1, 6}) || f.Metadata["trial_id"] != "r1" {
		t.Errorf("kept %+v, want the final weights %v and bias %v", f, last.Histograms[0].Values, last.Histograms[1].Values)
	}
}
