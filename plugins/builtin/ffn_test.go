package builtin

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/dataset"
	"github.com/sweep-ml/sweep/tests/golden"
)

// smallData is a quick synthetic dataset: 2000 rows of 8 features.
var smallData = dataset.Spec{Seed: 1, Synthetic: &dataset.SyntheticSpec{Rows: 2000, Features: 8, Noise: 0.5}}

func TestDescribe(t *testing.T) {
	d, err := FFN().Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "ffn" {
		t.Errorf("name %q", d.Name)
	}
	goType := map[plugins.ParamType]reflect.Type{
		plugins.TypeFloat: reflect.TypeFor[float64](), plugins.TypeInt: reflect.TypeFor[int64](),
		plugins.TypeString: reflect.TypeFor[string](), plugins.TypeBool: reflect.TypeFor[bool](),
		plugins.TypeIntList: reflect.TypeFor[[]int64](), plugins.TypeFloatList: reflect.TypeFor[[]float64](),
	}
	var names []string
	for _, p := range d.Params {
		names = append(names, p.Name)
		if reflect.TypeOf(p.Default) != goType[p.Type] {
			t.Errorf("%s: default %v is a %T, its type %s wants %v", p.Name, p.Default, p.Default, p.Type, goType[p.Type])
		}
		if p.Help == "" {
			t.Errorf("%s: no help", p.Name)
		}
	}
	for _, want := range []string{"hidden_dims", "dropout", "activation", "lr", "weight_decay", "batch_size", "epochs",
		"patience", "min_delta", "restore_best", "lr_schedule", "step_size", "gamma", "t_max", "eta_min",
		"warmup_epochs", "clip_grad_norm"} {
		if !slices.Contains(names, want) {
			t.Errorf("hyperparameter %s not declared", want)
		}
	}
	if !slices.Equal(d.Metrics, []string{"train_loss", "val_loss", "learning_rate", "pred_mean", "pred_std"}) {
		t.Errorf("metrics %v", d.Metrics)
	}
	// The defaults handed out must not alias the model's own.
	d.Params[0].Default.([]int64)[0] = 1
	d2, _ := FFN().Describe(context.Background())
	if d2.Params[0].Default.([]int64)[0] != 64 {
		t.Error("Describe's defaults alias the model's")
	}
}

// run trains with params over smallData and returns the events and outcome.
func run(t *testing.T, ctx context.Context, params plugins.Params, seed int64, histEvery int) ([]plugins.Event, plugins.Outcome, error) {
	t.Helper()
	return runOn(t, ctx, smallData, params, seed, histEvery)
}

// runOn is run on the given data.
func runOn(t *testing.T, ctx context.Context, data dataset.Spec, params plugins.Params, seed int64, histEvery int) ([]plugins.Event, plugins.Outcome, error) {
	t.Helper()
	var events []plugins.Event
	out, err := FFN().Train(ctx, plugins.TrainRequest{TrialID: "t", Params: params, Data: data, Seed: seed, HistogramEvery: histEvery},
		func(e plugins.Event) error { events = append(events, e); return nil })
	return events, out, err
}

func scalar(e plugins.Event, tag string) float64 {
	for _, s := range e.Scalars {
		if s.Tag == tag {
			return s.Value
		}
	}
	return math.NaN()
}

func TestTrainEvents(t *testing.T) {
	ctx := context.Background()
	params := plugins.Params{"epochs": int64(7), "hidden_dims": []int64{16, 8}, "patience": int64(100)}
	events, out, err := run(t, ctx, params, 42, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 7 || out.EpochsRun != 7 || out.StoppedEarly {
		t.Fatalf("%d events, outcome %+v; want 7 epochs", len(events), out)
	}
	for i, e := range events {
		if e.Step != int64(i) {
			t.Errorf("event %d has step %d", i, e.Step)
		}
		if len(e.Scalars) != 5 {
			t.Errorf("event %d: %d scalars", i, len(e.Scalars))
		}
		if (e.Graph != nil) != (i == 0) {
			t.Errorf("event %d: graph %v", i, e.Graph != nil)
		}
		// Histograms at epochs 0, 3, 6 (also the last).
		wantHist := i%3 == 0
		if got := len(e.Histograms); (got > 0) != wantHist || (wantHist && got != 20) {
			t.Errorf("event %d: %d histograms, want %v", i, got, wantHist)
		}
		if lr := scalar(e, "learning_rate"); lr != 0.001 {
			t.Errorf("event %d: learning_rate %v", i, lr)
		}
	}
	h := events[0].Histograms
	if h[0].Tag != "weights/network.0.weight" || len(h[0].Values) != 16*8 || h[10].Tag != "gradients/network.0.weight" {
		t.Errorf("histograms start %s (%d values), %s", h[0].Tag, len(h[0].Values), h[10].Tag)
	}
	g := events[0].Graph.Nodes
	if len(g) != 10 || g[1].Name != "FeedforwardNet/network.0" || g[1].Op != "Linear" || !slices.Equal(g[1].Shape, []int64{-1, 16}) ||
		g[9].Op != "Linear" || !slices.Equal(g[9].Shape, []int64{-1, 1}) || !slices.Equal(g[0].Shape, []int64{-1, 8}) {
		t.Errorf("graph %+v", g)
	}
	best := math.Inf(1)
	for _, e := range events {
		best = math.Min(best, scalar(e, "val_loss"))
	}
	if out.BestValLoss != best || scalar(events[out.BestEpoch], "val_loss") != best {
		t.Errorf("outcome best %v at %d, events' best %v", out.BestValLoss, out.BestEpoch, best)
	}
	if out.FinalValLoss != scalar(events[6], "val_loss") || out.FinalTrainLoss != scalar(events[6], "train_loss") {
		t.Errorf("final losses %+v differ from the last event", out)
	}

	again, _, _ := run(t, ctx, params, 42, 3)
	other, _, _ := run(t, ctx, params, 43, 3)
	for i := range events {
		if scalar(again[i], "train_loss") != scalar(events[i], "train_loss") || scalar(again[i], "val_loss") != scalar(events[i], "val_loss") {
			t.Fatalf("epoch %d: the same seed gave different losses", i)
		}
	}
	if scalar(other[0], "train_loss") == scalar(events[0], "train_loss") {
		t.Error("seeds 42 and 43 gave the same loss")
	}
}

// TestBeatsLinear trains the default network briefly on synthetic data and
// requires it to beat the least-squares linear model, whose validation MSE
// on this data (10 features, noise 0.5, seed 7) dataset's TestSynthetic
// reports as about 1.0; the best achievable is 0.25.
func TestBeatsLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few seconds")
	}
	var last plugins.Event
	out, err := FFN().Train(context.Background(), plugins.TrainRequest{
		Params: plugins.Params{"epochs": int64(30), "dropout": 0.1, "lr": 0.003},
		Data:   dataset.Spec{Seed: 7, Synthetic: &dataset.SyntheticSpec{Rows: 20000, Features: 10, Noise: 0.5}},
		Seed:   1,
	}, func(e plugins.Event) error { last = e; return nil })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("best validation MSE %.4f at epoch %d; prediction std %.3f", out.BestValLoss, out.BestEpoch, scalar(last, "pred_std"))
	if out.BestValLoss > 0.6 {
		t.Errorf("best validation MSE %v: not clearly below the linear model's 1.0", out.BestValLoss)
	}
}

func TestBadHyperparameters(t *testing.T) {
	for _, tc := range []struct {
		params plugins.Params
		name   string
	}{
		{plugins.Params{"dropout": 1.0}, "dropout"},
		{plugins.Params{"dropout": -0.1}, "dropout"},
		{plugins.Params{"hidden_dims": []int64{64, 0}}, "hidden_dims"},
		{plugins.Params{"lr": 0.0}, "lr"},
		{plugins.Params{"batch_size": int64(0)}, "batch_size"},
		{plugins.Params{"epochs": int64(0)}, "epochs"},
		{plugins.Params{"activation": "gelu"}, "activation"},
		{plugins.Params{"dtype": "float16"}, "dtype"},
		{plugins.Params{"lr_schedule": "cyclic"}, "lr_schedule"},
		{plugins.Params{"lr_schedule": "step", "step_size": int64(0)}, "step_size"},
		{plugins.Params{"clip_grad_norm": -1.0}, "clip_grad_norm"},
		{plugins.Params{"lr": "fast"}, "lr"},
		{plugins.Params{"momentum": 0.9}, "momentum"},
		{plugins.Params{"nesterov": true, "momentum": 0.9}, "momentum"}, // the first in sorted order, every time
		{plugins.Params{"hidden_dims": []int64{60000, 60000}}, "hidden_dims"},
	} {
		_, _, err := run(t, context.Background(), tc.params, 1, 0)
		if err == nil || !strings.HasPrefix(err.Error(), tc.name+":") {
			t.Errorf("%v: error %v, want one naming %s", tc.params, err, tc.name)
		}
	}
	_, err := FFN().Train(context.Background(), plugins.TrainRequest{Data: dataset.Spec{ValSplit: 2}}, func(plugins.Event) error { return nil })
	if err == nil || !strings.HasPrefix(err.Error(), "data.val_split:") {
		t.Errorf("val_split 2: %v", err)
	}
}

func TestDivergence(t *testing.T) {
	events, out, err := run(t, context.Background(), plugins.Params{"lr": 1e300, "epochs": int64(5)}, 1, 0)
	if err == nil || !strings.Contains(err.Error(), "diverged at epoch ") {
		t.Fatalf("error %v, want divergence", err)
	}
	if !strings.Contains(err.Error(), "loss is") {
		t.Errorf("error %q does not say which loss", err)
	}
	if int64(len(events)) != out.EpochsRun {
		t.Errorf("%d events for %d epochs run", len(events), out.EpochsRun)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	_, err := FFN().Train(ctx, plugins.TrainRequest{Params: plugins.Params{"epochs": int64(50)}, Data: smallData},
		func(plugins.Event) error {
			n++
			if n == 2 {
				cancel()
			}
			return nil
		})
	if !errors.Is(err, context.Canceled) || n != 2 {
		t.Errorf("after cancelling at the second event: %v with %d events", err, n)
	}
	stop := errors.New("stop")
	_, err = FFN().Train(context.Background(), plugins.TrainRequest{Data: smallData}, func(plugins.Event) error { return stop })
	if err != stop {
		t.Errorf("emit's error came back as %v", err)
	}
}

// TestConcurrentTrials runs trials at once on one dataset: they share the
// cached copy and each reproduces its solo run exactly.
func TestConcurrentTrials(t *testing.T) {
	ctx := context.Background()
	params := plugins.Params{"epochs": int64(3), "hidden_dims": []int64{8}}
	solo, _, err := run(t, ctx, params, 5, 0)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([][]plugins.Event, 4)
	for i := range results {
		wg.Go(func() {
			ev, _, err := run(t, ctx, params, 5, 0)
			if err != nil {
				t.Error(err)
			}
			results[i] = ev
		})
	}
	wg.Wait()
	for i, ev := range results {
		for e := range ev {
			if scalar(ev[e], "val_loss") != scalar(solo[e], "val_loss") {
				t.Errorf("trial %d epoch %d: val_loss %v, solo %v", i, e, scalar(ev[e], "val_loss"), scalar(solo[e], "val_loss"))
			}
		}
	}
	a, _ := processCache.Get(ctx, smallData)
	b, _ := processCache.Get(ctx, smallData)
	if a != b {
		t.Error("the process cache holds two copies of one dataset")
	}
	// A nil emit is allowed.
	if _, err := FFN().Train(ctx, plugins.TrainRequest{Params: params, Data: smallData}, nil); err != nil {
		t.Errorf("nil emit: %v", err)
	}
}

// TestFFNNumbers pins the losses of one small trial in each dtype to
// FFNVersion, so that a change to the network's numbers cannot pass
// without a decision: a version bump makes sweeps run their finished
// trials again. The tolerance allows for the last bits that fused
// multiply-adds move on other processors, not for a change of the
// arithmetic: 1e-9 relative in float64; 1e-3 in float32, where the
// portable path's sums (gonum's blas32) and the assembly kernels' give
// validation losses 3e-4 apart. Each dtype runs on the data loaded
// directly and on its prepared file, as a sweep's trials read it (float32
// trials then map the file's float32 sibling): one golden file for both.
func TestFFNNumbers(t *testing.T) {
	for _, c := range []struct {
		dtype, file string
		tol         float64
		prepared    bool
	}{
		{DTypeFloat64, "ffn_numbers.golden", 1e-9, false},
		{DTypeFloat64, "ffn_numbers.golden", 1e-9, true},
		{DTypeFloat32, "ffn_numbers_float32.golden", 1e-3, false},
		{DTypeFloat32, "ffn_numbers_float32.golden", 1e-3, true},
	} {
		name := c.dtype
		if c.prepared {
			name += "/prepared"
		}
		t.Run(name, func(t *testing.T) {
			params := plugins.Params{"epochs": int64(5), "hidden_dims": []int64{16, 8}, "patience": int64(100)}
			if c.dtype != DTypeFloat64 {
				params["dtype"] = c.dtype
			}
			data := smallData
			if c.prepared {
				data = prepare(t, smallData)
			}
			events, _, err := runOn(t, context.Background(), data, params, 42, 0)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			fmt.Fprintf(&b, "# TestFFNNumbers: the built-in FFN's losses for one %s trial, by epoch\nversion %s\n", c.dtype, FFNVersion)
			for _, e := range events {
				fmt.Fprintf(&b, "%d %.17g %.17g\n", e.Step, scalar(e, "train_loss"), scalar(e, "val_loss"))
			}
			path := filepath.Join("testdata", c.file)
			want := strings.Split(string(golden.Want(t, path, []byte(b.String()))), "\n")
			got := strings.Split(b.String(), "\n")
			if want[1] != got[1] {
				t.Fatalf("%s was written at %s, but FFNVersion is %s: rewrite it with go test ./plugins/builtin -run TestFFNNumbers -update",
					path, want[1], FFNVersion)
			}
			same := func(a, b string) bool { return sameNumbers(a, b, c.tol) }
			if len(want) != len(got) || !slices.EqualFunc(want[2:], got[2:], same) {
				t.Errorf("the built-in FFN's numbers changed:\n%s\nwant (%s)\n%s\nIf that is meant, bump FFNVersion (so that sweeps run their finished trials again) and rewrite %s with -update",
					strings.Join(got[2:], "\n"), path, strings.Join(want[2:], "\n"), path)
			}
		})
	}
}

// sameNumbers reports whether two lines of numbers agree to tol relative.
func sameNumbers(a, b string, tol float64) bool {
	x, y := strings.Fields(a), strings.Fields(b)
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		u, err1 := strconv.ParseFloat(x[i], 64)
		v, err2 := strconv.ParseFloat(y[i], 64)
		if err1 != nil || err2 != nil || math.Abs(u-v) > tol*math.Max(math.Abs(u), math.Abs(v)) {
			return false
		}
	}
	return true
}

// prepare writes spec's data as a prepared-arrays file, as a sweep does,
// and returns the spec that reads it.
func prepare(t *testing.T, spec dataset.Spec) dataset.Spec {
	t.Helper()
	p, err := dataset.PrepareArrays(context.Background(), spec, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	spec.File = p.Files[0]
	return spec
}

// TestFloat32SharedData checks that float32 trials train on their data's
// shared float32 matrices, mapped from the prepared file's float32 sibling
// (or converted once for data loaded directly), and that their events and
// outcome are bit for bit those of a trial that converts its own copy, as
// every float32 trial did before; also for trials that run at once.
func TestFloat32SharedData(t *testing.T) {
	ctx := context.Background()
	params := plugins.Params{"epochs": int64(6), "hidden_dims": []int64{16, 8}, "patience": int64(100), "dtype": DTypeFloat32,
		"lr_schedule": "cosine"}
	prepared := prepare(t, smallData)
	type trial struct {
		events []plugins.Event
		out    plugins.Outcome
	}
	trainOn := func(t *testing.T, data dataset.Spec) trial {
		t.Helper()
		events, out, err := runOn(t, ctx, data, params, 7, 2)
		if err != nil {
			t.Fatal(err)
		}
		return trial{events, out}
	}
	defer func(saved bool) { shareFloat32 = saved }(shareFloat32)
	shareFloat32 = false
	own := trainOn(t, prepared)
	if _, err := os.Stat(dataset.Float32Path(prepared.File)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a trial that converts its own copy made the float32 file: %v", err)
	}
	shareFloat32 = true
	d, err := processCache.Get(ctx, prepared)
	if err != nil {
		t.Fatal(err)
	}
	var trials [4]trial
	var wg sync.WaitGroup
	for i := range trials {
		wg.Go(func() {
			events, out, err := runOn(t, ctx, prepared, params, 7, 2)
			if err != nil {
				t.Error(err)
			}
			trials[i] = trial{events, out}
		})
	}
	wg.Wait()
	if _, err := os.Stat(dataset.Float32Path(prepared.File)); err != nil {
		t.Errorf("the float32 trials did not map the prepared file's float32 sibling: %v", err)
	}
	if f := d.Float32(); f.File != dataset.Float32Path(prepared.File) || f.Err != nil {
		t.Errorf("the trials' float32 data: file %q, error %v; want the prepared file's sibling mapped", f.File, f.Err)
	}
	direct := trainOn(t, smallData)
	for i, tr := range append(trials[:], direct) {
		if !reflect.DeepEqual(tr, own) {
			t.Errorf("trial %d on the shared float32 data differs from one on its own copy:\n%+v\nwant\n%+v", i, tr.out, own.out)
		}
	}
	if len(own.events) != 6 || own.events[5].Histograms == nil {
		t.Errorf("%d events, the last with %d histograms", len(own.events), len(own.events[len(own.events)-1].Histograms))
	}
}
