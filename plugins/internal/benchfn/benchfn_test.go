package benchfn

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/sweep-ml/sweep/plugins"
)

// hartmannArgmin is Hartmann-6's published minimiser on the unit cube.
var hartmannArgmin = [6]float64{0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573}

func TestHartmann6Minimum(t *testing.T) {
	if got := Hartmann6(hartmannArgmin); math.Abs(got-OptimumValue) > 1e-5 {
		t.Errorf("Hartmann6 at the published minimiser = %.7f, want %.5f", got, OptimumValue)
	}
}

func TestOptimum(t *testing.T) {
	if err := Optimum.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := F(Optimum); math.Abs(got-OptimumValue) > 1e-5 {
		t.Errorf("F(Optimum) = %.7f, want %.5f", got, OptimumValue)
	}
	// Optimum is the published point, mapped back to hyperparameters.
	for j, u := range Optimum.Cube() {
		tol := 1e-12
		if j == 5 {
			tol = 0.5 / (MaxWidth - MinWidth) // width is rounded to an integer
		}
		if math.Abs(u-hartmannArgmin[j]) > tol {
			t.Errorf("Optimum.Cube()[%d] = %v, want %v", j, u, hartmannArgmin[j])
		}
	}
}

// TestOptimumIsLocalMinimum moves Optimum a little along each
// hyperparameter and checks that F only gets worse.
func TestOptimumIsLocalMinimum(t *testing.T) {
	f0 := F(Optimum)
	moves := []func(p *Point, s float64){
		func(p *Point, s float64) { p.LR *= math.Pow(10, 3e-3*s) },
		func(p *Point, s float64) { p.Width += int64(s) },
		func(p *Point, s float64) { p.Dropout += 1e-3 * s },
		func(p *Point, s float64) { p.Warmup += 1e-3 * s },
		func(p *Point, s float64) { p.Momentum += 1e-3 * s },
		func(p *Point, s float64) { p.Smoothing += 1e-3 * s },
	}
	for i, move := range moves {
		for _, s := range []float64{-1, 1} {
			p := Optimum
			move(&p, s)
			if f := F(p); f <= f0 {
				t.Errorf("move %d by %v: F = %.9f, not above F(Optimum) = %.9f", i, s, f, f0)
			}
		}
	}
	for _, act := range Acts[1:] {
		p := Optimum
		p.Act = act
		if f := F(p); f <= f0 {
			t.Errorf("act %s: F = %v, not above F(Optimum) = %v", act, f, f0)
		}
	}
}

// randomPoint draws a point uniformly over the search space, lr on a log
// scale.
func randomPoint(r *rand.Rand) Point {
	return Point{
		LR:        math.Pow(10, -4+3*r.Float64()),
		Width:     MinWidth + r.Int64N(MaxWidth-MinWidth+1),
		Act:       Acts[r.IntN(len(Acts))],
		Dropout:   r.Float64(),
		Warmup:    r.Float64(),
		Momentum:  r.Float64(),
		Smoothing: r.Float64(),
	}
}

func TestRandomPointsNotBelowOptimum(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	// F(Optimum) is 2e-6 above the rounded OptimumValue; the bound below is
	// the stricter of the two, less a margin for the continuous minimum
	// between the integer widths.
	floor := max(OptimumValue, F(Optimum)-1e-6)
	best := math.Inf(1)
	for range 200_000 {
		p := randomPoint(r)
		if err := p.Validate(); err != nil {
			t.Fatal(err)
		}
		f := F(p)
		if f < floor {
			t.Fatalf("F(%+v) = %v, below the optimum %v", p, f, floor)
		}
		best = min(best, f)
	}
	// Random search alone should not find the optimum: the benchmark would
	// then not tell search algorithms apart.
	if best < OptimumValue+0.1 {
		t.Errorf("best of 200,000 random points = %v, suspiciously near the optimum %v", best, OptimumValue)
	}
}

func TestValidate(t *testing.T) {
	bad := []func(p *Point){
		func(p *Point) { p.LR = 0.5 },
		func(p *Point) { p.LR = 1e-5 },
		func(p *Point) { p.LR = math.NaN() },
		func(p *Point) { p.Width = 7 },
		func(p *Point) { p.Width = 257 },
		func(p *Point) { p.Act = "swish" },
		func(p *Point) { p.Dropout = -0.1 },
		func(p *Point) { p.Warmup = 1.1 },
		func(p *Point) { p.Momentum = math.NaN() },
		func(p *Point) { p.Smoothing = 2 },
	}
	for i, change := range bad {
		p := Optimum
		change(&p)
		if p.Validate() == nil {
			t.Errorf("case %d: %+v validated", i, p)
		}
		if _, err := (Model{}).Train(context.Background(), plugins.TrainRequest{Params: p.Params()}, nil); err == nil {
			t.Errorf("case %d: Train accepted %+v", i, p)
		}
	}
}

func TestDescribe(t *testing.T) {
	d, err := Model{}.Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "benchfn" || !slices.Equal(d.Metrics, []string{"train_loss", "val_loss"}) {
		t.Errorf("name %q, metrics %q", d.Name, d.Metrics)
	}
	want := map[string]plugins.ParamType{
		"lr": plugins.TypeFloat, "width": plugins.TypeInt, "act": plugins.TypeString,
		"dropout": plugins.TypeFloat, "warmup": plugins.TypeFloat, "momentum": plugins.TypeFloat,
		"smoothing": plugins.TypeFloat, "epochs": plugins.TypeInt, "noise": plugins.TypeFloat,
	}
	goType := map[plugins.ParamType]func(any) bool{
		plugins.TypeFloat:  func(v any) bool { _, ok := v.(float64); return ok },
		plugins.TypeInt:    func(v any) bool { _, ok := v.(int64); return ok },
		plugins.TypeString: func(v any) bool { _, ok := v.(string); return ok },
	}
	defaults := plugins.Params{}
	for _, p := range d.Params {
		if want[p.Name] != p.Type {
			t.Errorf("%s: type %q, want %q", p.Name, p.Type, want[p.Name])
		}
		if !goType[p.Type](p.Default) {
			t.Errorf("%s: default %v is a %T, not a %s", p.Name, p.Default, p.Default, p.Type)
		}
		if p.Help == "" {
			t.Errorf("%s: no help", p.Name)
		}
		defaults[p.Name] = p.Default
	}
	if len(defaults) != len(want) {
		t.Errorf("%d distinct params, want %d", len(defaults), len(want))
	}
	if defaults["epochs"] != int64(27) || defaults["noise"] != 0.02 {
		t.Errorf("epochs %v, noise %v by default, want 27 and 0.02", defaults["epochs"], defaults["noise"])
	}
	// The defaults must make a valid trial.
	evs, out := train(t, plugins.TrainRequest{Params: defaults, Seed: 1})
	if len(evs) != 27 || out.EpochsRun != 27 {
		t.Errorf("defaults: %d events, %d epochs run, want 27", len(evs), out.EpochsRun)
	}
}

// train runs the model in process and collects its events.
func train(t *testing.T, req plugins.TrainRequest) ([]plugins.Event, plugins.Outcome) {
	t.Helper()
	var evs []plugins.Event
	out, err := Model{}.Train(context.Background(), req, func(e plugins.Event) error {
		evs = append(evs, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return evs, out
}

// losses returns the train and val curves of evs.
func losses(t *testing.T, evs []plugins.Event) (train, val []float64) {
	t.Helper()
	for i, e := range evs {
		if e.Step != int64(i) || len(e.Scalars) != 2 || e.Scalars[0].Tag != "train_loss" || e.Scalars[1].Tag != "val_loss" {
			t.Fatalf("event %d: step %d, scalars %v", i, e.Step, e.Scalars)
		}
		if (e.Graph != nil) != (i == 0) {
			t.Errorf("event %d: graph %v, want one in the first event only", i, e.Graph)
		}
		train, val = append(train, e.Scalars[0].Value), append(val, e.Scalars[1].Value)
	}
	return train, val
}

func TestDeterministicPerSeed(t *testing.T) {
	req := plugins.TrainRequest{Params: Optimum.Params(), Seed: 42}
	a, b := valCurve(t, req), valCurve(t, req)
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different curves:\n%v\n%v", a, b)
	}
	req.Seed = 43
	if slices.Equal(a, valCurve(t, req)) {
		t.Error("seeds 42 and 43 gave the same curve")
	}
}

// valCurve returns the val_loss curve of one trial.
func valCurve(t *testing.T, req plugins.TrainRequest) []float64 {
	t.Helper()
	evs, _ := train(t, req)
	_, val := losses(t, evs)
	return val
}

func TestCurveConverges(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 50 {
		p := randomPoint(r)
		f := F(p)
		// Without noise the curve falls monotonically to within 0.002 of f.
		ps := p.Params()
		ps["noise"] = 0.0
		evs, out := train(t, plugins.TrainRequest{Params: ps, Seed: int64(i)})
		trainL, val := losses(t, evs)
		for e := 1; e < len(val); e++ {
			if val[e] >= val[e-1] {
				t.Fatalf("%+v: noise-free val rises at epoch %d: %v", p, e, val)
			}
		}
		if last := val[len(val)-1]; last < f || last > f+0.002 {
			t.Errorf("%+v: noise-free final val %v, want within 0.002 above f = %v", p, last, f)
		}
		if trainL[len(trainL)-1] >= val[len(val)-1] {
			t.Errorf("%+v: final train loss %v not below val %v", p, trainL[len(trainL)-1], val[len(val)-1])
		}
		if out.BestValLoss != val[len(val)-1] || out.BestEpoch != 26 {
			t.Errorf("%+v: best %v at %d, want the last epoch's %v", p, out.BestValLoss, out.BestEpoch, val[len(val)-1])
		}
		// With the default noise the last epochs stay within 4 sigmas of f.
		evs, _ = train(t, plugins.TrainRequest{Params: p.Params(), Seed: int64(i)})
		_, val = losses(t, evs)
		for e := len(val) - 5; e < len(val); e++ {
			if math.Abs(val[e]-f) > 4*DefaultNoise+0.002 {
				t.Errorf("%+v: val at epoch %d = %v, more than 4 sigmas from f = %v", p, e, val[e], f)
			}
		}
	}
}

func TestOutcome(t *testing.T) {
	ps := Optimum.Params()
	ps["epochs"] = int64(40)
	evs, out := train(t, plugins.TrainRequest{Params: ps, Seed: 7})
	trainL, val := losses(t, evs)
	best := slices.Min(val)
	if out.EpochsRun != 40 || out.BestValLoss != best || val[out.BestEpoch] != best ||
		out.FinalTrainLoss != trainL[39] || out.FinalValLoss != val[39] || out.StoppedEarly {
		t.Errorf("outcome %+v does not match the curve %v", out, val)
	}
}

// TestEarlyRankingImperfect checks the property that makes the benchmark
// interesting for early stopping: the ranking of trials after one epoch
// agrees with the final one mostly, not always.
func TestEarlyRankingImperfect(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var agree, pairs int
	for range 2000 {
		p, q := randomPoint(r), randomPoint(r)
		_, p0 := Curve(p, 0)
		_, q0 := Curve(q, 0)
		pairs++
		if (p0 < q0) == (F(p) < F(q)) {
			agree++
		}
	}
	if frac := float64(agree) / float64(pairs); frac < 0.6 || frac > 0.97 {
		t.Errorf("epoch-0 ranking agrees with the final one on %.2f of pairs, want between 0.6 and 0.97", frac)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n int
	out, err := Model{}.Train(ctx, plugins.TrainRequest{Params: Optimum.Params()}, func(plugins.Event) error {
		if n++; n == 4 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 4 || out.EpochsRun != 4 {
		t.Errorf("cancelled after 4 events: err %v, %d events, %d epochs run", err, n, out.EpochsRun)
	}
	// An error from emit stops training too.
	stop := errors.New("stop")
	_, err = Model{}.Train(context.Background(), plugins.TrainRequest{Params: Optimum.Params()}, func(plugins.Event) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("emit's error: got %v", err)
	}
}

func TestBadParams(t *testing.T) {
	for _, change := range []func(plugins.Params){
		func(ps plugins.Params) { ps["epochs"] = int64(0) },
		func(ps plugins.Params) { ps["noise"] = -1.0 },
		func(ps plugins.Params) { ps["noise"] = math.NaN() },
		func(ps plugins.Params) { ps["width"] = 64.0 },
		func(ps plugins.Params) { delete(ps, "lr") },
	} {
		ps := Optimum.Params()
		change(ps)
		if _, err := (Model{}).Train(context.Background(), plugins.TrainRequest{Params: ps}, nil); err == nil {
			t.Errorf("Train accepted %v", ps)
		}
	}
}

func BenchmarkTrain(b *testing.B) {
	req := plugins.TrainRequest{Params: Optimum.Params()}
	emit := func(plugins.Event) error { return nil }
	for b.Loop() {
		if _, err := (Model{}).Train(context.Background(), req, emit); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/DefaultEpochs, "ns/epoch")
}
