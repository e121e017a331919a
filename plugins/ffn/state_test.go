package ffn

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// deepCopy is what a caller of OnState keeps: the State is reused.
func deepCopy(s *State) *State {
	c := *s
	c.Theta, c.Stats = slices.Clone(s.Theta), slices.Clone(s.Stats)
	c.AdamM, c.AdamV = slices.Clone(s.AdamM), slices.Clone(s.AdamV)
	c.RNG, c.Perm = slices.Clone(s.RNG), slices.Clone(s.Perm)
	c.BestTheta, c.BestStats = slices.Clone(s.BestTheta), slices.Clone(s.BestStats)
	return &c
}

// run is one training's observable outcome: its reports, result, final
// parameters and running statistics.
type run struct {
	reports []EpochReport
	res     Result
	theta   []float64
	stats   []float64
}

// TestResumeIsExact stops runs at random epochs (cancelling their context,
// as Ctrl-C or a pruned trial does), continues each from its last saved
// state in a new network whose source is seeded differently (the state
// must replace everything), and requires the reports from the resumed
// epoch on, the Result and the final parameters and statistics to be
// bit for bit those of the uninterrupted run.
//
// It runs for the float64 and the float32 network: a float32 run's state
// holds its numbers widened to float64, which narrow back exactly.
func TestResumeIsExact(t *testing.T) {
	t.Run("float64", testResumeIsExact[float64])
	t.Run("float32", testResumeIsExact[float32])
}

func testResumeIsExact[T Float](t *testing.T) {
	data := randomData(21, 200, 6)
	net := Config{InputDim: 6, HiddenDims: []int{12, 6}, OutputDim: 1, Dropout: 0.2}
	cases := []struct {
		name  string
		cfg   TrainConfig
		every int
	}{
		{"plain", TrainConfig{LR: 0.01, BatchSize: 32, Epochs: 30, Patience: 100}, 3},
		{"restore_best, step schedule, weight decay", TrainConfig{LR: 0.02, BatchSize: 17, Epochs: 30, Patience: 100, RestoreBest: true,
			WeightDecay: 1e-3, Schedule: Schedule{Kind: "step", StepSize: 4, Gamma: 0.5}}, 2},
		{"early stopping, warm-up cosine, clipping", TrainConfig{LR: 0.05, BatchSize: 64, Epochs: 40, Patience: 2, MinDelta: 1e-3,
			RestoreBest: true, ClipGradNorm: 0.5, Schedule: Schedule{Kind: "warmup_cosine", WarmupEpochs: 3, TMax: 30}}, 1},
	}
	rng := rand.New(rand.NewPCG(5, 5))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := train[T](t, net, data, c.cfg, Options{})
			for range 4 {
				// Stop during an epoch after the first saved state.
				stopAt := c.every + rng.IntN(want.res.EpochsRun-c.every)
				ctx, cancel := context.WithCancel(context.Background())
				var saved *State
				opts := Options{StateEvery: c.every,
					OnState: func(s *State) error { saved = deepCopy(s); return nil },
					OnEpoch: func(r EpochReport) error {
						if r.Epoch+1 == stopAt {
							cancel() // honoured at the next epoch's start
						}
						return nil
					}}
				n, err := NewNetwork[T](net, rand.NewPCG(1, 2))
				if err != nil {
					t.Fatal(err)
				}
				_, err = TrainWith(ctx, n, data, c.cfg, n.src, opts)
				cancel()
				if stopAt < want.res.EpochsRun && !errors.Is(err, context.Canceled) {
					t.Fatalf("stopped after epoch %d: %v", stopAt-1, err)
				}
				if saved == nil {
					t.Fatalf("no state saved in %d epochs, every %d", stopAt, c.every)
				}
				mustResumeExactly[T](t, net, data, c.cfg, saved, want)
			}
		})
	}
}

// mustResumeExactly continues the run from saved and requires the reports
// from the resumed epoch on, the Result and the final parameters and
// statistics to be want's.
func mustResumeExactly[T Float](t *testing.T, net Config, data Data, cfg TrainConfig, saved *State, want run) {
	t.Helper()
	got := train[T](t, net, data, cfg, Options{From: saved})
	if !slices.Equal(got.reports, want.reports[saved.Epochs:]) || got.res != want.res ||
		!slices.Equal(got.theta, want.theta) || !slices.Equal(got.stats, want.stats) {
		t.Fatalf("resumed after %d epochs: result %+v, want %+v; reports or parameters differ",
			saved.Epochs, got.res, want.res)
	}
}

// TestStateOnStop: with StateOnStop, a run whose context is cancelled
// saves the state after its last finished epoch, however the cancel
// reaches it (at an epoch's start, or as the error of OnEpoch, which a
// host's event sink returns once the trial is stopped), unless the
// periodic save had that state already; a run resumed from it ends as the
// uninterrupted run. Errors other than the context's save nothing.
func TestStateOnStop(t *testing.T) {
	data := randomData(8, 150, 5)
	net := Config{InputDim: 5, HiddenDims: []int{7}, OutputDim: 1, Dropout: 0.1}
	cfg := TrainConfig{LR: 0.02, BatchSize: 32, Epochs: 12, Patience: 100, RestoreBest: true}
	want := train[float64](t, net, data, cfg, Options{})
	errOther := errors.New("the event sink failed")
	cases := []struct {
		name       string
		every      int   // StateEvery
		stopAfter  int   // the epoch (from 0) after whose report the run stops
		failEpoch  error // nil: cancel, honoured at the next epoch's start; else OnEpoch's error after cancelling
		cancel     bool  // cancel the context (else only fail OnEpoch)
		wantSaves  []int // the epochs of the states OnState gets
		wantResume bool
	}{
		{"cancel at the next epoch", 0, 4, nil, true, []int{5}, true},
		{"the sink fails once cancelled", 0, 4, context.Canceled, true, []int{5}, true},
		{"after periodic saves", 3, 7, nil, true, []int{3, 6, 8}, true},
		{"right after a periodic save", 3, 5, nil, true, []int{3, 6}, true},
		{"before the first epoch ends", 0, -1, nil, true, nil, false},
		// After the last epoch there is nothing to continue: the periodic
		// states stay the newest.
		{"the sink fails at the last epoch", 0, 11, context.Canceled, true, nil, false},
		{"the sink fails at the last epoch, after periodic saves", 5, 11, context.Canceled, true, []int{5, 10}, true},
		{"another error", 0, 4, errOther, false, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if c.stopAfter < 0 {
				cancel()
			}
			var saves []int
			var saved *State
			opts := Options{StateEvery: c.every, StateOnStop: true,
				OnState: func(s *State) error { saves, saved = append(saves, s.Epochs), deepCopy(s); return nil },
				OnEpoch: func(r EpochReport) error {
					if r.Epoch != c.stopAfter {
						return nil
					}
					if c.cancel {
						cancel()
					}
					return c.failEpoch
				}}
			n := mustNew(t, net, 1)
			_, err := TrainWith(ctx, n, data, cfg, n.src, opts)
			if err == nil {
				t.Fatal("the run was not stopped")
			}
			if !slices.Equal(saves, c.wantSaves) {
				t.Fatalf("states saved after epochs %v, want %v", saves, c.wantSaves)
			}
			if c.wantResume {
				mustResumeExactly[float64](t, net, data, cfg, saved, want)
			}
		})
	}
}

// train trains a network of seed 1 (or, to resume, of another seed whose
// numbers the state replaces).
func train[T Float](t *testing.T, cfg Config, data Data, tc TrainConfig, opts Options) run {
	t.Helper()
	seed := uint64(1)
	if opts.From != nil {
		seed = 99
	}
	n, err := NewNetwork[T](cfg, rand.NewPCG(seed, 2))
	if err != nil {
		t.Fatal(err)
	}
	var r run
	opts.OnEpoch = func(e EpochReport) error { r.reports = append(r.reports, e); return nil }
	if r.res, err = TrainWith(context.Background(), n, data, tc, n.src, opts); err != nil {
		t.Fatal(err)
	}
	r.theta, r.stats = widen(nil, n.theta), widen(nil, n.stats)
	return r
}

// TestStateOnStopWithoutOnState: StateOnStop without OnState saves nothing
// and stops as any cancelled run does, without a panic.
func TestStateOnStopWithoutOnState(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := mustNew(t, Config{InputDim: 3, HiddenDims: []int{4}, OutputDim: 1}, 1)
	opts := Options{StateOnStop: true, OnEpoch: func(EpochReport) error { cancel(); return nil }}
	_, err := TrainWith(ctx, n, randomData(2, 40, 3), TrainConfig{LR: 0.01, BatchSize: 8, Epochs: 5}, n.src, opts)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want the context's", err)
	}
}

// TestResumeRefusesMismatch: a state of another network or run is an error
// naming what differs, never a panic or a silent mix.
func TestResumeRefusesMismatch(t *testing.T) {
	data := randomData(3, 64, 4)
	cfg := Config{InputDim: 4, HiddenDims: []int{5}, OutputDim: 1}
	tc := TrainConfig{LR: 0.01, BatchSize: 16, Epochs: 6, Patience: 10}
	var saved *State
	n := mustNew(t, cfg, 1)
	if _, err := TrainWith(context.Background(), n, data, tc, n.src, Options{StateEvery: 2,
		OnState: func(s *State) error { saved = deepCopy(s); return nil }}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		change func(s *State, tc *TrainConfig)
		src    rand.Source
	}{
		{"fewer parameters", func(s *State, _ *TrainConfig) { s.Theta = s.Theta[1:] }, nil},
		{"restore_best without its copy", func(_ *State, tc *TrainConfig) { tc.RestoreBest = true }, nil},
		{"epochs past the run", func(s *State, _ *TrainConfig) { s.Epochs = 6 }, nil},
		{"rows not a permutation", func(s *State, _ *TrainConfig) { s.Perm[0] = s.Perm[1] }, nil},
		{"corrupt random state", func(s *State, _ *TrainConfig) { s.RNG = []byte("x") }, nil},
		{"a source without state", func(*State, *TrainConfig) {}, rand.NewChaCha8([32]byte{})},
	}
	for _, c := range cases {
		s, tc := deepCopy(saved), tc
		c.change(s, &tc)
		n := mustNew(t, cfg, 1)
		src := c.src
		if src == nil {
			src = n.src
		}
		if _, err := TrainWith(context.Background(), n, data, tc, src, Options{From: s}); err == nil {
			t.Errorf("%s: resumed", c.name)
		}
	}
}
