package ffn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/floats/scalar"
)

// randomData returns a Data of rows training and rows/4 validation rows with
// a smooth nonlinear target, drawn from seed.
func randomData(seed uint64, rows, features int) Data {
	rng := rand.New(rand.NewPCG(seed, 1))
	gen := func(n int) (x, y []float64) {
		x = make([]float64, n*features)
		y = make([]float64, n)
		for r := range n {
			var s float64
			for j := range features {
				v := rng.NormFloat64()
				x[r*features+j] = v
				s += math.Sin(float64(j+1) * v)
			}
			y[r] = s + 0.1*rng.NormFloat64()
		}
		return x, y
	}
	d := Data{Features: features, Targets: 1}
	d.TrainX, d.TrainY = gen(rows)
	d.ValX, d.ValY = gen(max(rows/4, 1))
	return d
}

// with32 returns d with its matrices rounded to float32 as well.
func with32(d Data) Data {
	d.TrainX32, d.TrainY32 = asFloat[float32](d.TrainX), asFloat[float32](d.TrainY)
	d.ValX32, d.ValY32 = asFloat[float32](d.ValX), asFloat[float32](d.ValY)
	return d
}

// TestFloat32Matrices checks that a float32 network trains on the float32
// matrices a Data carries, not a copy of its own, with the same losses as
// on its own copy; that a float64 network ignores them; and that ones of
// the wrong size are an error.
func TestFloat32Matrices(t *testing.T) {
	data := randomData(6, 200, 5)
	d32 := with32(data)
	c := convert[float32](d32)
	if &c.TrainX[0] != &d32.TrainX32[0] || &c.TrainY[0] != &d32.TrainY32[0] || &c.ValX[0] != &d32.ValX32[0] || &c.ValY[0] != &d32.ValY32[0] {
		t.Error("a float32 network does not train on the Data's float32 matrices")
	}
	if c := convert[float64](d32); &c.TrainX[0] != &data.TrainX[0] || &c.ValY[0] != &data.ValY[0] {
		t.Error("a float64 network does not train on the Data's float64 matrices")
	}
	cfg := TrainConfig{LR: 0.01, BatchSize: 16, Epochs: 4, Patience: 10}
	own, err := trainLosses[float32](data, 3, cfg, []int{9, 4})
	if err != nil {
		t.Fatal(err)
	}
	if given, err := trainLosses[float32](d32, 3, cfg, []int{9, 4}); err != nil || !slices.Equal(given, own) {
		t.Errorf("on the given float32 matrices: losses %v (%v), on its own copy %v", given, err, own)
	}
	for name, spoil := range map[string]func(*Data){
		"short TrainX32": func(d *Data) { d.TrainX32 = d.TrainX32[:len(d.TrainX32)-1] },
		"no ValY32":      func(d *Data) { d.ValY32 = nil },
		"long TrainY32":  func(d *Data) { d.TrainY32 = append(d.TrainY32, 0) },
	} {
		bad := with32(data)
		spoil(&bad)
		for _, f32 := range []bool{true, false} {
			var err error
			if f32 {
				_, err = trainLosses[float32](bad, 3, cfg, []int{4})
			} else {
				_, err = trainLosses[float64](bad, 3, cfg, []int{4})
			}
			if err == nil || !strings.Contains(err.Error(), "float32 matrices") {
				t.Errorf("%s (float32 network %v): error %v", name, f32, err)
			}
		}
	}
}

func mustNew(t testing.TB, cfg Config, seed uint64) *Net {
	t.Helper()
	n, err := New(cfg, rand.NewPCG(seed, 2))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// naiveGemm is the textbook triple loop for gemm's contract.
func naiveGemm(m, n, k int, a []float64, rsA, psA int, b []float64, ldb int) []float64 {
	c := make([]float64, m*n)
	for i := range m {
		for j := range n {
			for p := range k {
				c[i*n+j] += a[i*rsA+p*psA] * b[p*ldb+j]
			}
		}
	}
	return c
}

// TestKernels checks gemm on every kernel path the processor executes
// (assembly micro-kernels, or blas64 and plain loops for other strides)
// against the triple loop on shapes that exercise every edge of both
// tilings, for plain and transposed Â. Sums of 50 products of standard
// normals agree to 1e-13 relative whatever the order or fusing.
//
// The float32 kernels' blocks have twice the columns (8×32, 4×16, 8×8),
// and the column counts exercise every edge of those tilings too. Their
// products are compared with the triple loop in float64 on the same
// float32 inputs within 1e-5 absolute or relative: a sum of 50 products
// rounded at each step to float32 (6e-8) is off by about 1e-6 typically
// and 50·6e-8·(the sum of the products' magnitudes, ~40) ≈ 1e-4 at worst;
// a wrong element misses 1e-5 by far.
func TestKernels(t *testing.T) {
	t.Run("float64", func(t *testing.T) {
		testKernels[float64](t, []int{1, 2, 3, 4, 5, 8, 11, 13, 16, 21, 24, 25, 32, 50, 51}, 1e-13)
	})
	t.Run("float32", func(t *testing.T) {
		testKernels[float32](t, []int{1, 7, 8, 9, 16, 17, 25, 32, 33, 50, 64}, 1e-5)
	})
}

// testKernels is TestKernels in T for products of ns columns, within tol;
// on the assembly paths every product must have the bits of the AVX2
// kernel alone (4×8 for float64, 4×16 for float32), without edge tilings.
func testKernels[T Float](t *testing.T, ns []int, tol float64) {
	rng := rand.New(rand.NewPCG(3, 3))
	randSlice := func(n int) []T {
		v := make([]T, n)
		for i := range v {
			v[i] = T(rng.NormFloat64())
		}
		return v
	}
	naive := func(m, n, k int, a []T, rsA, psA int, b []T, ldb int) []float64 {
		return naiveGemm(m, n, k, widen(nil, a), rsA, psA, widen(nil, b), ldb)
	}
	forEachKernel(t, func(t *testing.T) {
		for _, m := range []int{1, 3, 4, 5, 7, 8, 9, 12, 13, 40, 64} {
			for _, n := range ns {
				for _, k := range []int{0, 1, 2, 3, 7, 8, 50} {
					name := fmt.Sprintf("%dx%dx%d", m, n, k)
					b := randSlice(k * n)
					a := randSlice(m * k)
					got := randSlice(m * n)
					gemm(nil, m, n, k, a, k, 1, b, n, got, n)
					checkNear(t, name+" plain", widen(nil, got), naive(m, n, k, a, k, 1, b, n), tol)
					sameBits(t, name+" plain", got, m, n, k, a, k, 1, b)
					// Â as the transpose of a k×m matrix, as in a weight
					// gradient (the column edges of up to 3 columns go
					// to kernCols16).
					got = randSlice(m * n)
					gemm(nil, m, n, k, a, 1, m, b, n, got, n)
					checkNear(t, name+" transposed", widen(nil, got), naive(m, n, k, a, 1, m, b, n), tol)
					sameBits(t, name+" transposed", got, m, n, k, a, 1, m, b)
					// Strides that neither layout expresses.
					wide := randSlice(4 * m * max(k, 1))
					got = randSlice(m * n)
					gemm(nil, m, n, k, wide, 2*k, 2, b, n, got, n)
					checkNear(t, name+" strided", widen(nil, got), naive(m, n, k, wide, 2*k, 2, b, n), tol)
				}
			}
		}
	})
}

// TestKernelsRandomShapes compares gemm on every assembly path bit for bit
// with the AVX2 kernel alone on random shapes, layouts of Â (rows or
// columns contiguous, or neither), row strides of B and C wider than n
// (as the trainer's padded batch has), and NaNs of two payloads in Â and B
// (an FMA returns one of them by operand position), and requires C's
// elements between its rows to stay as they were.
func TestKernelsRandomShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	nanA, nanB := math.Float64frombits(0x7ff8000000000001), math.Float64frombits(0x7ff8000000000002)
	sentinel := math.Float64frombits(0x7ff00000deadbeef)
	forEachKernel(t, func(t *testing.T) {
		if kernel == generic {
			t.Skip("the generic path's products are gonum's")
		}
		a2 := kernelsOf[float64]().avx2
		base := tiling[float64]{mr: a2.mr, nr: a2.nr, kern: a2.kern}
		for range 3000 {
			m, n, k := 1+rng.IntN(70), 1+rng.IntN(60), 1+rng.IntN(70)
			ldb, ldc := n+rng.IntN(3)*rng.IntN(9), n+rng.IntN(3)*rng.IntN(9)
			var rsA, psA int
			switch rng.IntN(3) {
			case 0:
				rsA, psA = k+rng.IntN(5), 1
			case 1:
				rsA, psA = 1, m+rng.IntN(5)
			default:
				rsA, psA = 2*k, 2
			}
			fill := func(size int, nan float64) []float64 {
				v := make([]float64, size)
				for i := range v {
					if v[i] = rng.NormFloat64(); rng.IntN(50) == 0 {
						v[i] = nan
					}
				}
				return v
			}
			a := fill((m-1)*rsA+(k-1)*psA+1, nanA)
			b := fill((k-1)*ldb+n, nanB)
			got, want := make([]float64, (m-1)*ldc+n), make([]float64, (m-1)*ldc+n)
			for i := range got {
				got[i], want[i] = sentinel, sentinel
			}
			gemm(nil, m, n, k, a, rsA, psA, b, ldb, got, ldc)
			gemmTiled(nil, base, m, n, k, a, rsA, psA, b, ldb, want, ldc)
			for i := range got {
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("%d×%d×%d, Â strides %d, %d, ldb %d, ldc %d: element %d (row %d) is %#x, the 4×8 kernel's %#x",
						m, n, k, rsA, psA, ldb, ldc, i, i/ldc, math.Float64bits(got[i]), math.Float64bits(want[i]))
				}
			}
		}
	})
}

// sameBits requires got, the m×n product of Â (strides rsA, psA) and b on
// the assembly path in use, to have the bits of the AVX2 kernel alone,
// whatever the blocks and edge tilings.
func sameBits[T Float](t *testing.T, name string, got []T, m, n, k int, a []T, rsA, psA int, b []T) {
	t.Helper()
	if kernel == generic || k == 0 {
		return
	}
	a2 := kernelsOf[T]().avx2
	base := tiling[T]{mr: a2.mr, nr: a2.nr, kern: a2.kern}
	want := make([]T, m*n)
	gemmTiled(nil, base, m, n, k, a, rsA, psA, b, n, want, n)
	if !slices.Equal(got, want) {
		t.Errorf("%s: differs from the %d×%d kernel alone", name, base.mr, base.nr)
	}
}

// TestTranspose checks transpose on every path against the definition, on
// shapes with and without 4×4 blocks and edges; copies are exact.
func TestTranspose(t *testing.T) {
	t.Run("float64", testTranspose[float64])
	t.Run("float32", testTranspose[float32])
}

func testTranspose[T Float](t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		for rows := 1; rows <= 9; rows++ {
			for cols := 1; cols <= 9; cols++ {
				src := make([]T, rows*cols)
				for i := range src {
					src[i] = T(i)
				}
				dst := make([]T, rows*cols)
				transpose(dst, rows, cols, src)
				for i := range rows {
					for j := range cols {
						if dst[j*rows+i] != src[i*cols+j] {
							t.Fatalf("%dx%d: element (%d, %d) is %v, want %v", rows, cols, i, j, dst[j*rows+i], src[i*cols+j])
						}
					}
				}
			}
		}
	})
}

// forEachKernel runs f as a subtest on every kernel path the processor
// executes, whatever SWEEP_FFN_KERNEL forces for the rest of the tests.
func forEachKernel(t *testing.T, f func(t *testing.T)) {
	defer func(saved kernelPath) { kernel = saved }(kernel)
	for _, k := range supportedKernels() {
		kernel = k
		t.Run(k.String(), f)
	}
}

// TestAdamKernels compares the Adam step of each assembly path with the Go
// one, which follows PyTorch's operations exactly; fused multiply-adds and a
// reciprocal move results by a few ulps, far inside 1e-14 relative.
//
// For float32 the bound is 1e-6: a few ulps (6e-8 each) of the update,
// which is the learning rate times a quotient of order one, on parameters
// of order one.
func TestAdamKernels(t *testing.T) {
	t.Run("float64", func(t *testing.T) { testAdamKernels[float64](t, 1e-14) })
	t.Run("float32", func(t *testing.T) { testAdamKernels[float32](t, 1e-6) })
}

func testAdamKernels[T Float](t *testing.T, tol float64) {
	const n = 103 // not a multiple of 4 or 8: the tail goes through Go
	run := func(t *testing.T) []float64 {
		src := rand.New(rand.NewPCG(9, 9))
		theta := make([]T, n)
		for i := range theta {
			theta[i] = T(src.NormFloat64())
		}
		a := NewAdam[T](n, 0.01, 0.1)
		for range 5 {
			grad := make([]T, n)
			for i := range grad {
				grad[i] = T(src.NormFloat64() * math.Exp(3*src.NormFloat64()))
			}
			given := slices.Clone(grad)
			a.Step(theta, grad)
			if !slices.Equal(grad, given) {
				t.Errorf("Step changed the gradient (weight decay belongs in the update only)")
			}
		}
		return widen(nil, theta)
	}
	want := onPath(generic, func() []float64 { return run(t) })
	forEachKernel(t, func(t *testing.T) {
		checkNear(t, "Adam vs the generic path", run(t), want, tol)
	})
}

// onPath returns f's result computed on kernel path k.
func onPath[T any](k kernelPath, f func() T) T {
	defer func(saved kernelPath) { kernel = saved }(kernel)
	kernel = k
	return f()
}

// checkNear requires as many values as want, each within tol, absolute or
// relative.
func checkNear(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	for i := range want {
		if !scalar.EqualWithinAbsOrRel(got[i], want[i], tol, tol) {
			t.Errorf("%s[%d] = %v, want %v", what, i, got[i], want[i])
			return
		}
	}
}

// TestGradientFiniteDifference compares Backward with central differences
// of the training-mode loss (gonum's diff/fd) for every parameter, on chosen
// and randomly drawn shapes and every activation. Dropout is on: the mask is
// held fixed by re-seeding the source before each evaluation. Inputs are
// shifted away from the kinks of relu/leaky_relu by the random draw; a
// tolerance of 1e-6 relative to the gradient's scale covers the O(h²) error
// of the formula.
func TestGradientFiniteDifference(t *testing.T) {
	type shape struct {
		in     int
		hidden []int
		out    int
		rows   int
	}
	shapes := []shape{
		{3, []int{4}, 1, 5},
		{5, []int{6, 3}, 2, 7},
		{2, nil, 1, 4},
		{4, []int{3, 5, 2}, 1, 9},
		{3, []int{4}, 1, 1}, // one row: BatchNorm uses the running statistics
	}
	// Shapes drawn at random, from a fixed seed so that a failure reproduces;
	// widths up to 12 reach the vector kernels' multiples of 4 and their edges.
	draw := rand.New(rand.NewPCG(12, 12))
	for range 4 {
		hidden := make([]int, draw.IntN(4))
		for i := range hidden {
			hidden[i] = 1 + draw.IntN(12)
		}
		shapes = append(shapes, shape{1 + draw.IntN(6), hidden, 1 + draw.IntN(3), 2 + draw.IntN(12)})
	}
	for _, act := range []Activation{ReLU, Tanh, LeakyReLU, ELU} {
		for si, s := range shapes {
			t.Run(fmt.Sprintf("%s/%d", act, si), func(t *testing.T) {
				cfg := Config{InputDim: s.in, HiddenDims: s.hidden, OutputDim: s.out, Dropout: 0.2, Activation: act}
				src := rand.NewPCG(uint64(si), 9)
				net, err := New(cfg, src)
				if err != nil {
					t.Fatal(err)
				}
				// Move BatchNorm's parameters and statistics off their
				// initial values so that their gradients are generic.
				rng := rand.New(rand.NewPCG(uint64(si), 10))
				for _, p := range net.Params() {
					for i := range p.Value {
						p.Value[i] += 0.3 * rng.NormFloat64()
					}
				}
				for _, b := range net.Buffers() {
					for i := range b.Value {
						b.Value[i] = 0.5 + rng.Float64()
					}
				}
				x, y := make([]float64, s.rows*s.in), make([]float64, s.rows*s.out)
				for i := range x {
					x[i] = rng.NormFloat64()
				}
				for i := range y {
					y[i] = rng.NormFloat64()
				}
				stats := slices.Clone(net.stats)
				loss := func(theta []float64) float64 {
					copy(net.theta, theta)
					net.transposed = false
					copy(net.stats, stats) // Forward moves the running statistics
					src.Seed(1, 1)         // the same dropout mask every time
					return MSE(nil, net.Forward(x, s.rows, true), y)
				}
				theta := slices.Clone(net.theta)
				want := fd.Gradient(nil, loss, theta, &fd.Settings{Formula: fd.Central, Step: 1e-6})
				copy(net.theta, theta)
				net.transposed = false
				copy(net.stats, stats)
				src.Seed(1, 1)
				out := net.Forward(x, s.rows, true)
				dOut := make([]float64, len(out))
				MSE(dOut, out, y)
				net.Backward(dOut)
				scale := 0.0
				for _, g := range want {
					scale = math.Max(scale, math.Abs(g))
				}
				for i, g := range net.grad {
					if math.Abs(g-want[i]) > 1e-6*math.Max(scale, 1e-3) {
						t.Errorf("%s: gradient %v, finite difference %v", paramOf(net, i), g, want[i])
					}
				}
			})
		}
	}
}

// paramOf names the parameter element at flat index i of theta.
func paramOf(n *Net, i int) string {
	for _, p := range n.params {
		if i < len(p.Value) {
			return fmt.Sprintf("%s[%d]", p.Name, i)
		}
		i -= len(p.Value)
	}
	return "?"
}

// TestDropoutStatistics checks the mask rate and the inverted scaling: with
// p = 0.3 over 10⁶ elements the kept fraction has standard deviation
// sqrt(0.3·0.7/10⁶) ≈ 4.6e-4, so 5 of them (2.3e-3) bounds a false failure
// far below 1e-6; every kept element must be scaled by exactly 1/(1 − p).
// The assembly and Go generators must draw the same masks, bit for bit,
// also for lengths that leave a partial block of eight.
//
// The float32 masks are the float64 ones rounded to float32, on every path.
func TestDropoutStatistics(t *testing.T) {
	var m64 []float64
	var m32 []float32
	t.Run("float64", func(t *testing.T) { m64 = dropoutMasks[float64](t) })
	t.Run("float32", func(t *testing.T) { m32 = dropoutMasks[float32](t) })
	if len(m64) != len(m32) {
		t.Fatalf("%d float64 and %d float32 mask elements", len(m64), len(m32))
	}
	for i, m := range m64 {
		if m32[i] != float32(m) {
			t.Fatalf("float32 mask element %d is %v, the float64 one %v", i, m32[i], m)
		}
	}
}

// dropoutMasks is TestDropoutStatistics in T: it checks every path's masks
// and returns them.
func dropoutMasks[T Float](t *testing.T) []T {
	const p, rows, width = 0.3, 1000, 1000
	var masks [][]T
	forEachKernel(t, func(t *testing.T) {
		h, d, mask := make([]T, rows*width), make([]T, rows*width), make([]T, rows*width)
		fill(h, 2)
		dm := newDropMask(p, 5)
		applyDropout(&dm, d, mask, h)
		kept := 0
		scaled := 2 * T(1/(1-p)) // as the masks scale, in T
		for i, v := range d {
			switch v {
			case 0:
			case scaled:
				kept++
			default:
				t.Fatalf("element %d: %v, want 0 or %v", i, v, scaled)
			}
		}
		rate := float64(kept) / (rows * width)
		if math.Abs(rate-(1-p)) > 5*math.Sqrt(p*(1-p)/(rows*width)) {
			t.Errorf("kept fraction %v, want %v", rate, 1-p)
		}
		// The next mask differs: the generator moves on. 13 elements: a
		// block of eight and a partial one.
		first := slices.Clone(mask[:13])
		applyDropout(&dm, d[:13], mask[:13], h[:13])
		if slices.Equal(first, mask[:13]) {
			t.Error("two masks were equal")
		}
		masks = append(masks, slices.Clone(mask))
	})
	for _, m := range masks[1:] {
		if !slices.Equal(m, masks[0]) {
			t.Error("the assembly and Go generators drew different masks")
		}
	}
	return masks[0]
}

func TestEarlyStopping(t *testing.T) {
	for _, tc := range []struct {
		patience int
		minDelta float64
		losses   []float64
		stopAt   int // index of the loss that stops, -1 for none
		best     int
	}{
		// The cases.
		{2, 0, []float64{1.0, 0.9, 0.95, 0.96, 0.97}, 4, 1},
		{2, 0.1, []float64{1.0, 0.95, 0.94, 0.93}, 3, 0},
		{2, 0, []float64{1.0, 0.9, 0.95, 0.96}, -1, 1},
		{0, 0, []float64{1.0, 0.9, 0.9}, 2, 1}, // equal is not an improvement
		{1, 0, []float64{3, 2, 2.5, 1, 1.5, 1.2}, 5, 3},
	} {
		s := EarlyStopping{Patience: tc.patience, MinDelta: tc.minDelta}
		stopped := -1
		for i, l := range tc.losses {
			if _, stop := s.Observe(i, l); stop {
				stopped = i
				break
			}
		}
		_, best, _ := s.Best()
		if stopped != tc.stopAt || best != tc.best {
			t.Errorf("patience %d, min_delta %v, %v: stopped at %d (best %d), want %d (best %d)",
				tc.patience, tc.minDelta, tc.losses, stopped, best, tc.stopAt, tc.best)
		}
	}
}

// TestSchedules checks each schedule's rates against values worked out by
// hand from PyTorch's formulas (StepLR, CosineAnnealingLR's closed form).
func TestSchedules(t *testing.T) {
	const base = 0.1
	for _, tc := range []struct {
		s    Schedule
		want []float64
	}{
		{Schedule{}, []float64{0.1, 0.1, 0.1}},
		{Schedule{Kind: "step", StepSize: 2, Gamma: 0.5}, []float64{0.1, 0.1, 0.05, 0.05, 0.025}},
		{Schedule{Kind: "cosine", TMax: 4, EtaMin: 0.02}, []float64{0.1, 0.02 + 0.08*(1+math.Sqrt2/2)/2, 0.06, 0.02 + 0.08*(1-math.Sqrt2/2)/2, 0.02, 0.02 + 0.08*(1-math.Sqrt2/2)/2}},
		{Schedule{Kind: "warmup_cosine", WarmupEpochs: 2, TMax: 2}, []float64{0.05, 0.1, 0.1, 0.05, 0}},
	} {
		for e, want := range tc.want {
			if got := tc.s.Rate(base, e); math.Abs(got-want) > 1e-15 {
				t.Errorf("%+v epoch %d: %v, want %v", tc.s, e, got, want)
			}
		}
	}
}

func TestValidation(t *testing.T) {
	good := TrainConfig{LR: 0.01, BatchSize: 8, Epochs: 3}
	for _, tc := range []struct {
		cfg  Config
		tc   TrainConfig
		want string
	}{
		{Config{InputDim: 2, OutputDim: 1, Dropout: 1}, good, "dropout"},
		{Config{InputDim: 2, OutputDim: 1, Dropout: -0.5}, good, "dropout"},
		{Config{InputDim: 2, OutputDim: 1, HiddenDims: []int{3, 0}}, good, "hidden_dims"},
		{Config{InputDim: 0, OutputDim: 1}, good, "input_dim"},
		{Config{InputDim: 2, OutputDim: 1}, TrainConfig{LR: 0, BatchSize: 8, Epochs: 3}, "lr"},
		{Config{InputDim: 2, OutputDim: 1}, TrainConfig{LR: 1, BatchSize: 0, Epochs: 3}, "batch_size"},
		{Config{InputDim: 2, OutputDim: 1}, TrainConfig{LR: 1, BatchSize: 1, Epochs: 0}, "epochs"},
		{Config{InputDim: 2, OutputDim: 1}, TrainConfig{LR: 1, BatchSize: 1, Epochs: 1, Patience: -1}, "patience"},
		{Config{InputDim: 2, OutputDim: 1}, TrainConfig{LR: 1, BatchSize: 1, Epochs: 1, Schedule: Schedule{Kind: "cosine"}}, "t_max"},
		{Config{InputDim: 2, OutputDim: 1}, TrainConfig{LR: 1, BatchSize: 1, Epochs: 1, Schedule: Schedule{Kind: "exp"}}, "lr_schedule"},
	} {
		var err error
		net, err := New(tc.cfg, rand.NewPCG(1, 1))
		if err == nil {
			_, err = Train(context.Background(), net, randomData(1, 16, 2), tc.tc, rand.NewPCG(1, 1), nil)
		}
		if err == nil || !strings.HasPrefix(err.Error(), tc.want+":") {
			t.Errorf("%+v %+v: error %v, want one naming %s", tc.cfg, tc.tc, err, tc.want)
		}
	}
	if _, err := ParseActivation("swish"); err == nil || !strings.HasPrefix(err.Error(), "activation:") {
		t.Errorf("swish: %v", err)
	}
}

// trainLosses trains a fresh network with the given hidden widths from seed
// and returns its epoch losses. It reports errors rather than failing a
// test, so that concurrent trials can call it off the test's goroutine.
func trainLosses[T Float](data Data, seed uint64, cfg TrainConfig, hidden []int) ([]float64, error) {
	net, err := NewNetwork[T](Config{InputDim: data.Features, HiddenDims: hidden, OutputDim: 1, Dropout: 0.3}, rand.NewPCG(seed, 2))
	if err != nil {
		return nil, err
	}
	var losses []float64
	_, err = Train(context.Background(), net, data, cfg, rand.NewPCG(seed, 7), func(r EpochReport) error {
		losses = append(losses, r.TrainLoss, r.ValLoss)
		return nil
	})
	return losses, err
}

// TestDeterminism requires bit-identical losses from the same seed, also
// while other trials train concurrently on the same shared data (as the
// sweep's workers do), on every kernel path. The concurrent runs share
// float32 matrices (with32), as the built-in model's float32 trials do;
// the first run converts its own copy, and a float64 run ignores them.
func TestDeterminism(t *testing.T) {
	t.Run("float64", testDeterminism[float64])
	t.Run("float32", testDeterminism[float32])
}

func testDeterminism[T Float](t *testing.T) {
	data := randomData(4, 300, 5)
	cfg := TrainConfig{LR: 0.01, BatchSize: 32, Epochs: 5, Patience: 10}
	hidden := []int{16, 8}
	forEachKernel(t, func(t *testing.T) {
		want, err := trainLosses[T](data, 11, cfg, hidden)
		if err != nil {
			t.Fatal(err)
		}
		shared := with32(data)
		var wg sync.WaitGroup
		got := make([][]float64, 6)
		for i := range got {
			wg.Go(func() {
				var err error
				if got[i], err = trainLosses[T](shared, 11+uint64(i%2), cfg, hidden); err != nil {
					t.Error(err) // t.Fatal may only stop the test's own goroutine
				}
			})
		}
		wg.Wait()
		for i, g := range got {
			if i%2 == 0 && !slices.Equal(g, want) {
				t.Errorf("concurrent run %d: losses %v, want %v", i, g, want)
			}
			if i%2 == 1 && slices.Equal(g, want) {
				t.Errorf("seed 12 gave seed 11's losses")
			}
		}
	})
}

func TestTrainBehaviour(t *testing.T) {
	data := randomData(5, 257, 4) // 257 rows: a last batch of one row
	net := mustNew(t, Config{InputDim: 4, HiddenDims: []int{8}, OutputDim: 1}, 1)
	var reports []EpochReport
	res, err := Train(context.Background(), net, data, TrainConfig{LR: 0.01, BatchSize: 64, Epochs: 40, Patience: 2, RestoreBest: true},
		rand.NewPCG(1, 1), func(r EpochReport) error { reports = append(reports, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if res.EpochsRun != len(reports) || !reports[len(reports)-1].Last {
		t.Errorf("%d epochs run, %d reports, last flagged %v", res.EpochsRun, len(reports), reports[len(reports)-1].Last)
	}
	if reports[0].TrainLoss <= reports[res.BestEpoch].TrainLoss {
		t.Errorf("training did not reduce the loss: %v then %v", reports[0].TrainLoss, reports[res.BestEpoch].TrainLoss)
	}
	// Restoring the best weights reproduces the best validation loss.
	tr := newTrainer(net, data, TrainConfig{BatchSize: 64}, rand.NewPCG(1, 1))
	if loss, _, _ := tr.evaluate(); loss != res.BestValLoss {
		t.Errorf("after restore the validation loss is %v, the best was %v", loss, res.BestValLoss)
	}
	if res.StoppedEarly != (res.EpochsRun < 40) {
		t.Errorf("stopped early %v after %d of 40 epochs", res.StoppedEarly, res.EpochsRun)
	}

	// Divergence names the epoch; NaN data makes the first batch's loss NaN.
	bad := data
	bad.TrainY = slices.Clone(data.TrainY)
	for i := range bad.TrainY {
		bad.TrainY[i] = math.NaN()
	}
	_, err = Train(context.Background(), mustNew(t, Config{InputDim: 4, OutputDim: 1}, 1), bad,
		TrainConfig{LR: 0.01, BatchSize: 64, Epochs: 3}, rand.NewPCG(1, 1), nil)
	var div *DivergedError
	if !errors.As(err, &div) || err.Error() != "diverged at epoch 0: train_loss is NaN" {
		t.Errorf("NaN targets: %v", err)
	}

	// Cancellation before an epoch.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, net, data, TrainConfig{LR: 0.01, BatchSize: 64, Epochs: 3}, rand.NewPCG(1, 1), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestWeightDecayAndClipping checks Adam's L2 term and clip_grad_norm
// against direct computations.
func TestWeightDecayAndClipping(t *testing.T) {
	// One Adam step from m = v = 0 moves each parameter by −lr·g/(|g| + eps·…):
	// with decay the effective gradient is g + wd·θ.
	a := NewAdam[float64](2, 0.1, 0.5)
	theta, grad := []float64{2, -4}, []float64{1, 1}
	a.Step(theta, grad)
	for i, g := range []float64{1 + 0.5*2, 1 + 0.5*-4} {
		want := []float64{2, -4}[i] - 0.1*g/(math.Abs(g)+1e-8)
		if math.Abs(theta[i]-want) > 1e-15 {
			t.Errorf("decayed step %d: %v, want %v", i, theta[i], want)
		}
	}
	g := []float64{3, 4}
	if norm := clipGradNorm(g, 1); norm != 5 || math.Abs(math.Hypot(g[0], g[1])-5/(5+1e-6)) > 1e-15 {
		t.Errorf("clipped to %v (norm was %v)", g, norm)
	}
	g = []float64{0.3, 0.4}
	clipGradNorm(g, 1)
	if !slices.Equal(g, []float64{0.3, 0.4}) {
		t.Errorf("a norm under the limit was clipped: %v", g)
	}
}

// TestAssemblyMatchesGo runs one training step and one eval pass on each
// kernel path and on the generic one, on widths that use the vector paths
// (multiples of 4; 20 for the BatchNorm kernels' 16-column groups and their
// remainder) and the scalar ones, and requires the outputs and every
// gradient to agree to 1e-12 relative (the assembly fuses multiply-adds,
// which moves the last bits).
//
// For float32, widths of 40 and 16 use the vector paths (multiples of 8;
// 40 for a 32-column group and its remainder), and results agree to 1e-4:
// float32's unit roundoff is 6e-8, and the gradients' sums over 37 rows
// and the normalisation by batch deviations amplify it by up to about 100.
func TestAssemblyMatchesGo(t *testing.T) {
	t.Run("float64", func(t *testing.T) { testAssemblyMatchesGo[float64](t, []int{20, 12, 5, 4}, 1e-12) })
	t.Run("float32", func(t *testing.T) { testAssemblyMatchesGo[float32](t, []int{40, 16, 5, 4}, 1e-4) })
}

func testAssemblyMatchesGo[T Float](t *testing.T, hidden []int, tol float64) {
	data := randomData(6, 37, 9)
	x, valX, y := asFloat[T](data.TrainX), asFloat[T](data.ValX), asFloat[T](slices.Repeat(data.TrainY, 3))
	type result struct{ train, eval, grad, stats []float64 }
	run := func() (r result) {
		for _, act := range []Activation{ReLU, Tanh, LeakyReLU, ELU} {
			net, err := NewNetwork[T](Config{InputDim: 9, HiddenDims: hidden, OutputDim: 3, Dropout: 0.25, Activation: act}, rand.NewPCG(3, 2))
			if err != nil {
				t.Fatal(err)
			}
			out := net.Forward(x, 37, true)
			dOut := make([]T, len(out))
			MSE(dOut, out, y)
			net.Backward(dOut)
			r.train = append(r.train, widen(nil, out)...)
			r.grad = append(r.grad, widen(nil, net.grad)...)
			r.stats = append(r.stats, widen(nil, net.stats)...)
			r.eval = append(r.eval, widen(nil, net.Forward(valX, len(data.ValY), false))...)
		}
		return r
	}
	want := onPath(generic, run)
	forEachKernel(t, func(t *testing.T) {
		got := run()
		checkNear(t, "train output", got.train, want.train, tol)
		checkNear(t, "gradient", got.grad, want.grad, tol)
		checkNear(t, "running statistics", got.stats, want.stats, tol)
		checkNear(t, "eval output", got.eval, want.eval, tol)
	})
}

// TestAVX512MatchesAVX2 requires the two assembly paths to train to
// bit-identical losses, in float64 and in float32: both matrix kernels of
// a type compute each element as one FMA chain in the same order, and they
// share the element-wise kernels.
func TestAVX512MatchesAVX2(t *testing.T) {
	if !slices.Contains(supportedKernels(), avx512) {
		t.Skip("no AVX-512F on this processor")
	}
	// 21 inputs and widths [24, 10]: full 8×16 blocks and edges of both
	// tilings, in every product.
	// For float32, widths [40, 10]: full 8×32 blocks and the edges.
	data := randomData(8, 300, 21)
	cfg := TrainConfig{LR: 0.01, BatchSize: 40, Epochs: 3}
	losses := func(k kernelPath, f func(Data, uint64, TrainConfig, []int) ([]float64, error), hidden []int) []float64 {
		return onPath(k, func() []float64 {
			l, err := f(data, 11, cfg, hidden)
			if err != nil {
				t.Fatal(err)
			}
			return l
		})
	}
	if a, b := losses(avx2, trainLosses[float64], []int{24, 10}), losses(avx512, trainLosses[float64], []int{24, 10}); !slices.Equal(a, b) {
		t.Errorf("float64 losses differ: avx2 %v, avx512 %v", a, b)
	}
	if a, b := losses(avx2, trainLosses[float32], []int{40, 10}), losses(avx512, trainLosses[float32], []int{40, 10}); !slices.Equal(a, b) {
		t.Errorf("float32 losses differ: avx2 %v, avx512 %v", a, b)
	}
}

// TestChooseKernel checks how SWEEP_FFN_KERNEL selects a path.
func TestChooseKernel(t *testing.T) {
	all := []kernelPath{generic, avx2, avx512}
	for _, c := range []struct {
		name      string
		supported []kernelPath
		want      kernelPath
		err       string
	}{
		{"", all, avx512, ""},
		{"", []kernelPath{generic}, generic, ""},
		{"avx2", all, avx2, ""},
		{"generic", all, generic, ""},
		{"avx512", []kernelPath{generic, avx2}, 0, `SWEEP_FFN_KERNEL="avx512": this processor lacks the instructions for it`},
		{"sse", all, 0, `SWEEP_FFN_KERNEL="sse": not one of generic, avx2, avx512`},
	} {
		got, err := chooseKernel(c.name, c.supported)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: error %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q on %v: %v, %v; want %v", c.name, c.supported, got, err, c.want)
		}
	}
}

// TestStepAllocations requires a steady-state training step to allocate
// nothing, with every kernel path.
func TestStepAllocations(t *testing.T) {
	t.Run("float64", testStepAllocations[float64])
	t.Run("float32", testStepAllocations[float32])
}

func testStepAllocations[T Float](t *testing.T) {
	data := randomData(7, 256, 10)
	forEachKernel(t, func(t *testing.T) {
		net, err := NewNetwork[T](Config{InputDim: 10, HiddenDims: []int{16, 8}, OutputDim: 1, Dropout: 0.2}, rand.NewPCG(1, 2))
		if err != nil {
			t.Fatal(err)
		}
		tr := newTrainer(net, data, TrainConfig{LR: 0.01, BatchSize: 64, Epochs: 1}, rand.NewPCG(1, 1))
		ctx := context.Background()
		if _, err := tr.epoch(ctx, 0, 0.01); err != nil { // warm-up: workspace and scratch
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(5, func() {
			if _, err := tr.epoch(ctx, 0, 0.01); err != nil {
				t.Fatal(err)
			}
			tr.evaluate()
		})
		if allocs != 0 {
			t.Errorf("%v allocations per epoch", allocs)
		}
	})
}

// TestGatherBatch: gatherBatch, which copies a batch's rows while asking
// for later ones, must copy exactly the rows the batch names, in its order,
// rows t.ldx apart, for batches shorter and longer than its look-ahead
// and for targets of one element (assigned) and of several (copied).
func TestGatherBatch(t *testing.T) {
	t.Run("float64", testGatherBatch[float64])
	t.Run("float32", testGatherBatch[float32])
}

func testGatherBatch[T Float](t *testing.T) {
	const rows = 200
	rng := rand.New(rand.NewPCG(3, 4))
	for _, dims := range [][2]int{{50, 1}, {1, 1}, {7, 3}} {
		features, targets := dims[0], dims[1]
		d := Data{Features: features, Targets: targets,
			TrainX: make([]float64, rows*features), TrainY: make([]float64, rows*targets)}
		for i := range d.TrainX {
			d.TrainX[i] = rng.NormFloat64()
		}
		for i := range d.TrainY {
			d.TrainY[i] = rng.NormFloat64()
		}
		tr := &trainer[T]{data: convert[T](d), ldx: paddedStride[T](features)}
		for _, size := range []int{1, gatherAhead - 1, gatherAhead, gatherAhead + 1, 2*gatherAhead + 5, 64, rows} {
			batch := rng.Perm(rows)[:size]
			xb, yb := make([]T, size*tr.ldx), make([]T, size*targets)
			tr.gatherBatch(xb, yb, batch)
			for r, idx := range batch {
				for j := range features {
					if got, want := xb[r*tr.ldx+j], T(d.TrainX[idx*features+j]); got != want {
						t.Fatalf("%d×%d, batch of %d: x[%d][%d] = %v, want row %d's %v", features, targets, size, r, j, got, idx, want)
					}
				}
				for j := range targets {
					if got, want := yb[r*targets+j], T(d.TrainY[idx*targets+j]); got != want {
						t.Fatalf("%d×%d, batch of %d: y[%d][%d] = %v, want row %d's %v", features, targets, size, r, j, got, idx, want)
					}
				}
			}
		}
	}
}

// TestBackwardNeedsTrainingPass: an eval pass keeps no dropout mask or
// batch statistics, so Backward after it must refuse rather than compute
// wrong gradients.
func TestBackwardNeedsTrainingPass(t *testing.T) {
	net := mustNew(t, Config{InputDim: 2, HiddenDims: []int{3}, OutputDim: 1, Dropout: 0.5}, 1)
	out := net.Forward([]float64{1, 2, 3, 4}, 2, false)
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "training-mode") {
			t.Errorf("Backward after an eval pass: panic %v", r)
		}
	}()
	net.Backward(make([]float64, len(out)))
}

// TestNumParams checks Config.NumParams, which sizes the parameter storage
// and the model's size limit, against the named parameters the network lays
// out in it.
func TestNumParams(t *testing.T) {
	for _, dims := range [][]int{nil, {64, 32}, {7, 1, 9}} {
		cfg := Config{InputDim: 50, HiddenDims: dims, OutputDim: 2}
		net := mustNew(t, cfg, 1)
		laid := 0
		for _, p := range net.Params() {
			laid += len(p.Value)
		}
		if got := cfg.NumParams(); got != laid || got != net.NumParams() {
			t.Errorf("hidden %v: counted %d parameters, the network lays out %d", dims, got, laid)
		}
	}
}

// TestLayers checks the module list of the graph view: nn.Sequential's
// numbering and PyTorch's class of each activation.
func TestLayers(t *testing.T) {
	for act, op := range map[Activation]string{ReLU: "ReLU", Tanh: "Tanh", LeakyReLU: "LeakyReLU", ELU: "ELU"} {
		net := mustNew(t, Config{InputDim: 3, HiddenDims: []int{4}, OutputDim: 1, Activation: act}, 1)
		var got []string
		for _, l := range net.Layers() {
			got = append(got, l.Name+" "+l.Op)
		}
		want := []string{"network.0 Linear", "network.1 BatchNorm1d", "network.2 " + op, "network.3 Dropout", "network.4 Linear"}
		if !slices.Equal(got, want) {
			t.Errorf("%s: layers %v, want %v", act, got, want)
		}
	}
}

// TestFusedDropout requires the fused normalise-ReLU-dropout pass
// (normDrop) to train exactly as the separate passes do: the same losses
// and parameters, bit for bit, on every assembly path and in both types.
// 41 rows in batches of 20 leave a one-row batch, normalised with the
// running statistics; widths 24 and 16 are fused, 12 is not (not a multiple
// of the generator's block of eight), and the network mixes them.
func TestFusedDropout(t *testing.T) {
	t.Run("float64", testFusedDropout[float64])
	t.Run("float32", testFusedDropout[float32])
}

func testFusedDropout[T Float](t *testing.T) {
	data := randomData(4, 41, 7)
	cfg := TrainConfig{LR: 0.01, BatchSize: 20, Epochs: 3}
	run := func(t *testing.T) (losses, theta []float64) {
		net, err := NewNetwork[T](Config{InputDim: 7, HiddenDims: []int{24, 12, 16}, OutputDim: 1, Dropout: 0.3}, rand.NewPCG(9, 2))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Train(context.Background(), net, data, cfg, rand.NewPCG(9, 7), func(r EpochReport) error {
			losses = append(losses, r.TrainLoss, r.ValLoss)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		net.Forward(asFloat[T](data.TrainX[:2*7]), 2, true)
		for i, l := range net.hidden {
			if want := kernelsOf[T]().normDrop != nil && vectorised() && l.out%dropBlock == 0; l.fused != want {
				t.Fatalf("layer %d of width %d: fused %v, want %v", i, l.out, l.fused, want)
			}
		}
		return losses, widen(nil, net.theta)
	}
	forEachKernel(t, func(t *testing.T) {
		losses, theta := run(t)
		ks := kernelsOf[T]()
		saved := ks.normDrop
		ks.normDrop = nil
		defer func() { ks.normDrop = saved }()
		wantLosses, wantTheta := run(t)
		bits := func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }
		if !slices.EqualFunc(losses, wantLosses, bits) {
			t.Errorf("losses %v, separate passes %v", losses, wantLosses)
		}
		if !slices.EqualFunc(theta, wantTheta, bits) {
			t.Error("parameters differ from the separate passes'")
		}
	})
}

// TestPaddedBatch requires the trainer's batch rows to start on cache-line
// boundaries, and a training step on rows so padded (forward's stride) to
// give Forward's outputs and gradients bit for bit, for input widths with
// and without padding, with and without hidden layers, one output or
// several, in both types. The padding holds NaNs: a product that read it
// would turn results into NaNs.
func TestPaddedBatch(t *testing.T) {
	t.Run("float64", func(t *testing.T) { testPaddedBatch[float64](t) })
	t.Run("float32", func(t *testing.T) { testPaddedBatch[float32](t) })
}

func testPaddedBatch[T Float](t *testing.T) {
	size := int(unsafe.Sizeof(T(0)))
	forEachKernel(t, func(t *testing.T) {
		for _, features := range []int{1, 7, 16, 50, 64} {
			for _, shape := range []struct {
				hidden  []int
				outputs int
			}{{[]int{24, 8}, 1}, {nil, 1}, {nil, 3}, {[]int{17}, 2}} {
				testPaddedStep[T](t, size, features, shape.hidden, shape.outputs)
			}
		}
	})
}

func testPaddedStep[T Float](t *testing.T, size, features int, hidden []int, outputs int) {
	t.Helper()
	const rows = 23
	data := randomData(5, 80, features)
	if outputs > 1 { // randomData draws one target: widen it
		data.Targets = outputs
		for _, y := range []*[]float64{&data.TrainY, &data.ValY} {
			wide := make([]float64, len(*y)*outputs)
			for i := range wide {
				wide[i] = (*y)[i/outputs] * float64(1+i%outputs)
			}
			*y = wide
		}
	}
	cfg := Config{InputDim: features, HiddenDims: hidden, OutputDim: outputs, Dropout: 0.2}
	nets := [2]*Network[T]{}
	for i := range nets {
		net, err := NewNetwork[T](cfg, rand.NewPCG(4, 4))
		if err != nil {
			t.Fatal(err)
		}
		nets[i] = net
	}
	tr := newTrainer(nets[0], data, TrainConfig{LR: 0.01, BatchSize: rows, Epochs: 1}, rand.NewPCG(1, 1))
	name := fmt.Sprintf("%d features, hidden %v, %d outputs", features, hidden, outputs)
	if addr := uintptr(unsafe.Pointer(&tr.xb[0])); addr%cacheLine != 0 || tr.ldx*size%cacheLine != 0 || tr.ldx < features || tr.ldx-features >= cacheLine/size {
		t.Fatalf("%s: batch at %#x, row stride %d", name, addr, tr.ldx)
	}
	nan := T(math.NaN())
	for i := range tr.xb {
		tr.xb[i] = nan
	}
	x := convert[T](data).TrainX[:rows*features]
	for r := range rows {
		copy(tr.xb[r*tr.ldx:], x[r*features:(r+1)*features])
	}
	y := convert[T](data).TrainY[:rows*outputs]
	var outs, grads [2][]T
	for i, net := range nets {
		var out []T
		if i == 0 {
			out = net.forward(tr.xb, tr.ldx, rows, true)
		} else {
			out = net.Forward(x, rows, true)
		}
		dOut := make([]T, rows*outputs)
		MSE(dOut, out, y)
		net.Backward(dOut)
		outs[i], grads[i] = slices.Clone(out), slices.Clone(net.grad)
	}
	if !slices.Equal(outs[0], outs[1]) || !slices.Equal(grads[0], grads[1]) {
		t.Errorf("%s: the padded batch's outputs or gradients differ from Forward's", name)
	}
}
