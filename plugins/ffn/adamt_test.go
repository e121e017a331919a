package ffn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestAdamTransposing requires Adam.stepTransposing to leave the
// parameters and moments bit for bit as Step does, and each matrix's copy
// equal to the transpose of its updated values, on every kernel path, for
// layouts whose matrices have rows not a multiple of 4, column edges of 1,
// 2 and 3 (cols%4), a single row or column, runs of 4 and shorter ones
// between them, and Step's Go-computed tail (the last len%4 elements)
// inside a matrix's last rows, where the fused rows must stop short of it.
func TestAdamTransposing(t *testing.T) {
	type mat struct{ off, rows, cols int }
	layouts := []struct {
		n    int
		mats []mat
	}{
		{5569, []mat{{0, 64, 50}, {3392, 32, 64}}},      // the textbook network's
		{30, []mat{{0, 5, 6}}},                          // both edges, tail outside
		{18, []mat{{2, 4, 4}}},                          // the tail in the block's last row: no block
		{33, []mat{{1, 8, 4}}},                          // the tail in the last row: a 4-row block
		{61, []mat{{3, 7, 5}, {38, 1, 9}, {47, 12, 1}}}, // single row and column
		{60, []mat{{0, 8, 7}}},                          // a column edge of 3
		{39, []mat{{2, 12, 3}}},                         // only a column edge; the tail in row 11
		{16, nil},
		{3, nil},
	}
	forEachKernel(t, func(t *testing.T) {
		for li, l := range layouts {
			t.Run(fmt.Sprint(li), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(li), 3))
				theta := make([]float64, l.n)
				for i := range theta {
					theta[i] = rng.NormFloat64()
				}
				var mats []transposedWeight[float64]
				for _, m := range l.mats {
					mats = append(mats, transposedWeight[float64]{off: m.off, rows: m.rows, cols: m.cols, t: make([]float64, m.rows*m.cols)})
				}
				want := slices.Clone(theta)
				fused, plain := NewAdam[float64](l.n, 0.01, 0.1), NewAdam[float64](l.n, 0.01, 0.1)
				for s := range 4 {
					grad := make([]float64, l.n)
					for i := range grad {
						grad[i] = rng.NormFloat64() * math.Exp(3*rng.NormFloat64())
					}
					current := fused.stepTransposing(theta, grad, mats)
					plain.Step(want, grad)
					if current != (vectorised()) {
						t.Fatalf("step %d: stepTransposing reported %v on the %s path", s, current, kernel)
					}
					for what, pair := range map[string][2][]float64{"θ": {theta, want}, "m": {fused.m, plain.m}, "v": {fused.v, plain.v}} {
						for i := range pair[1] {
							if math.Float64bits(pair[0][i]) != math.Float64bits(pair[1][i]) {
								t.Fatalf("step %d: %s[%d] = %v, Step gives %v", s, what, i, pair[0][i], pair[1][i])
							}
						}
					}
					if !current {
						continue
					}
					for _, m := range mats {
						w := want[m.off : m.off+m.rows*m.cols]
						for i := range m.rows {
							for j := range m.cols {
								if m.t[j*m.rows+i] != w[i*m.cols+j] {
									t.Fatalf("step %d: the %d×%d matrix at %d: transpose (%d, %d) = %v, the weight %v",
										s, m.rows, m.cols, m.off, j, i, m.t[j*m.rows+i], w[i*m.cols+j])
								}
							}
						}
					}
				}
			})
		}
	})
}

// TestAdamStepKeepsTransposes trains networks of several shapes with the
// trainer's step (adamStep, which keeps the transposed weights current)
// and, side by side, with Step and a transpose in every Forward: outputs
// and parameters must agree bit for bit at every step, for float64 (the
// fused kernel) and float32 (no fused kernel). Every Forward that reuses
// the copies checks them (checkTransposed).
func TestAdamStepKeepsTransposes(t *testing.T) {
	t.Run("float64", testAdamStepKeepsTransposes[float64])
	t.Run("float32", testAdamStepKeepsTransposes[float32])
}

func testAdamStepKeepsTransposes[T Float](t *testing.T) {
	cfgs := []Config{
		{InputDim: 50, HiddenDims: []int{64, 32}, OutputDim: 1, Dropout: 0.3},
		{InputDim: 7, HiddenDims: []int{5, 9}, OutputDim: 3, Dropout: 0.1, Activation: Tanh},
		{InputDim: 1, HiddenDims: []int{1, 6}, OutputDim: 2},
		{InputDim: 6, OutputDim: 2},
	}
	forEachKernel(t, func(t *testing.T) {
		for ci, cfg := range cfgs {
			fused, err := NewNetwork[T](cfg, rand.NewPCG(uint64(ci), 1))
			if err != nil {
				t.Fatal(err)
			}
			plain, _ := NewNetwork[T](cfg, rand.NewPCG(uint64(ci), 1))
			af, ap := NewAdam[T](fused.NumParams(), 0.01, 0.01), NewAdam[T](plain.NumParams(), 0.01, 0.01)
			rng := rand.New(rand.NewPCG(uint64(ci), 2))
			const rows = 13
			x, y := make([]T, rows*cfg.InputDim), make([]T, rows*cfg.OutputDim)
			dOut := make([]T, len(y))
			for s := range 5 {
				for i := range x {
					x[i] = T(rng.NormFloat64())
				}
				for i := range y {
					y[i] = T(rng.NormFloat64())
				}
				step := func(n *Network[T], update func()) []T {
					out := slices.Clone(n.Forward(x, rows, true))
					MSE(dOut, out, y)
					n.Backward(dOut)
					update()
					return append(out, n.Forward(x, rows, false)...)
				}
				got := step(fused, func() {
					fused.adamStep(af)
					// The copies must come from the fused step where there
					// is one, or the test compares two plain routes.
					if want := vectorised() && kernelsOf[T]().adamT != nil; fused.transposed != want {
						t.Fatalf("config %d, step %d: copies current %v after the step, want %v", ci, s, fused.transposed, want)
					}
				})
				want := step(plain, func() { ap.Step(plain.theta, plain.grad); plain.transposed = false })
				if !slices.Equal(got, want) || !slices.Equal(fused.theta, plain.theta) {
					t.Fatalf("config %d, step %d: outputs or parameters differ from Step's", ci, s)
				}
			}
		}
	})
}

// TestStaleTransposes: whatever writes the parameters other than the
// trainer's Adam step must make the next Forward transpose the weights
// again. A network trained a few steps (its copies current) then has its
// parameters written through Params' views, through Param's, by a resumed
// run, and must compute what a network freshly given the same parameters
// computes.
func TestStaleTransposes(t *testing.T) {
	cfg := Config{InputDim: 50, HiddenDims: []int{64, 32}, OutputDim: 3, Dropout: 0.2}
	data := randomData(4, 200, cfg.InputDim)
	data.Targets, data.TrainY, data.ValY = 3, slices.Repeat(data.TrainY, 3), slices.Repeat(data.ValY, 3)
	x := data.ValX[:10*cfg.InputDim]
	trained := func(t *testing.T) *Net {
		net, err := New(cfg, rand.NewPCG(1, 1))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Train(context.Background(), net, data, TrainConfig{LR: 0.01, BatchSize: 32, Epochs: 2}, net.src, nil); err != nil {
			t.Fatal(err)
		}
		return net
	}
	// same requires net's eval outputs on x to be those of a new network
	// with net's parameters and running statistics.
	same := func(t *testing.T, net *Net) {
		t.Helper()
		fresh, _ := New(cfg, rand.NewPCG(9, 9))
		for i, p := range fresh.Params() {
			copy(p.Value, net.params[i].Value)
		}
		copy(fresh.stats, net.stats)
		got := net.Forward(x, 10, false)
		if want := fresh.Forward(x, 10, false); !slices.Equal(got, want) {
			t.Fatalf("outputs %v, a new network with the parameters gives %v", got[:3], want[:3])
		}
	}
	rng := rand.New(rand.NewPCG(5, 5))
	t.Run("Params", func(t *testing.T) {
		net := trained(t)
		for _, p := range net.Params() {
			for i := range p.Value {
				p.Value[i] = rng.NormFloat64()
			}
		}
		same(t, net)
	})
	t.Run("Param", func(t *testing.T) {
		net := trained(t)
		for _, name := range []string{"network.0.weight", "network.4.weight", "network.8.weight"} {
			p, _ := net.Param(name)
			for i := range p.Value {
				p.Value[i] = rng.NormFloat64()
			}
		}
		same(t, net)
	})
	t.Run("resume", func(t *testing.T) {
		var saved *State
		tc := TrainConfig{LR: 0.01, BatchSize: 32, Epochs: 3}
		first, _ := New(cfg, rand.NewPCG(3, 3))
		if _, err := TrainWith(context.Background(), first, data, tc, first.src,
			Options{StateEvery: 1, OnState: func(s *State) error { saved = deepCopy(s); return nil }}); err != nil {
			t.Fatal(err)
		}
		net := trained(t)
		// The state's parameters replace the trained ones; the run's
		// first Forward must use them.
		tc.Epochs = saved.Epochs + 1
		if _, err := TrainWith(context.Background(), net, data, tc, net.src, Options{From: saved}); err != nil {
			t.Fatal(err)
		}
		fresh, _ := New(cfg, rand.NewPCG(8, 8))
		if _, err := TrainWith(context.Background(), fresh, data, tc, fresh.src, Options{From: saved}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(net.theta, fresh.theta) {
			t.Fatal("a resumed run in a trained network ends elsewhere than in a new one")
		}
		same(t, net)
	})
}
