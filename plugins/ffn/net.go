// Package ffn is the built-in feedforward network: the textbook's
// return-prediction model and everything needed to train it, in float64
// (Net) or float32 (Net32) on the CPU, matching PyTorch's numbers.
//
// Each hidden layer is Linear → BatchNorm1d → activation → Dropout, followed
// by a final Linear with no activation, as
//
//	nn.Sequential(nn.Linear(in, h0), nn.BatchNorm1d(h0), nn.ReLU(), nn.Dropout(p), ..., nn.Linear(hN, out))
//
// numbers its modules: hidden layer i is Linear 4i, BatchNorm 4i+1,
// activation 4i+2, Dropout 4i+3, and the last Linear is 4·len(HiddenDims).
// Parameters are named as PyTorch's state_dict names them, e.g.
// "network.0.weight", "network.1.running_mean".
//
// A Network is not safe for concurrent use; concurrent trials each build their
// own (they may share the read-only training data).
package ffn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
)

// BatchNorm1d's constants, PyTorch's defaults.
const (
	bnEps      = 1e-5
	bnMomentum = 0.1
)

// Config describes a network's architecture.
type Config struct {
	InputDim   int     // number of input features, ≥ 1
	HiddenDims []int   // width of each hidden layer, each ≥ 1; may be empty
	OutputDim  int     // number of outputs, ≥ 1
	Dropout    float64 // drop probability in [0, 1)
	Activation Activation
}

// Validate reports the first invalid field of c, naming it as the
// hyperparameter that sets it.
func (c Config) Validate() error {
	switch {
	case c.InputDim < 1:
		return fmt.Errorf("input_dim: must be at least 1, got %d", c.InputDim)
	case c.OutputDim < 1:
		return fmt.Errorf("output_dim: must be at least 1, got %d", c.OutputDim)
	case !(c.Dropout >= 0 && c.Dropout < 1):
		return fmt.Errorf("dropout: must be in [0, 1), got %v", c.Dropout)
	case !c.Activation.valid():
		return fmt.Errorf("activation: unknown activation %d", int(c.Activation))
	}
	for i, h := range c.HiddenDims {
		if h < 1 {
			return fmt.Errorf("hidden_dims: layer %d has size %d, must be at least 1", i, h)
		}
	}
	return nil
}

// NumParams returns the number of trainable scalars of a network of this
// architecture: each hidden layer's weight, bias, γ and β, and the output
// layer's weight and bias. Callers can check a size before New allocates it.
func (c Config) NumParams() int {
	n, in := 0, c.InputDim
	for _, h := range c.HiddenDims {
		n += h*in + 3*h
		in = h
	}
	return n + c.OutputDim*(in+1)
}

// Param is a named tensor of a network: a view of its values and, for a
// trainable parameter, of its gradient. The slices alias the network's
// storage, so they show the current values without copying; they stay valid
// for the network's life. Grad is nil for a buffer (BatchNorm's running
// statistics).
type Param[T Float] struct {
	Name  string // e.g. "network.0.weight"
	Shape []int  // PyTorch's shape: [out, in] for a Linear weight
	Value []T
	Grad  []T
}

// Layer describes one module of the network for a graph view.
type Layer struct {
	Name   string   // "network.<i>"
	Op     string   // PyTorch's module class: Linear, BatchNorm1d, ReLU, Dropout, ...
	Params []string // names of its parameters and buffers
	In     int      // input features per row
	Out    int      // output features per row
}

// hiddenLayer holds the views and per-batch workspace of one hidden layer.
type hiddenLayer[T Float] struct {
	in, out               int
	w, b, gamma, beta     []T // parameter views into Network.theta
	wT                    []T // w transposed (in × out); see Network.transposed
	dw, db, dgamma, dbeta []T // gradient views into Network.grad
	runMean, runVar       []T // buffer views into Network.stats

	// Workspace for one batch, rows × out, row-major.
	xhat []T // normalised pre-activation (BatchNorm's x̂)
	h    []T // activation output (not written by a fused pass; see fused)
	d    []T // dropout output: the next layer's input (aliases h without dropout)
	mask []T // dropout scale per element: 0 or 1/(1−p); all ones without dropout; 0 also where ReLU cut h after a fused pass
	// Per feature, of the last forward pass: 1/sqrt(var + eps), and the mean
	// subtracted from the Linear's output without its bias (the batch mean,
	// or running_mean − bias; see Forward). Backward reuses mean as scratch.
	// variance is the batch's biased variance of the last training pass.
	invStd   []T
	mean     []T
	variance []T
	// Backward scratch per feature: the means of g and g·x̂.
	meanG, meanGX []T
	// frozen is set when the last training pass normalised with the running
	// statistics (a batch of one row; see Forward).
	frozen bool
	// fused is set when the last pass ran normDrop: h was not stored, and
	// mask holds dropout's factor only where ReLU kept h, 0 where it cut
	// it, so that the backward pass multiplies by the mask alone (bnSums'
	// sumsMask), reading neither h nor a compare's worth of instructions.
	// These passes are bound by instruction throughput, not memory: a
	// version that kept one bit per element and recomputed x̂ from z in
	// the backward pass moved less data and ran slower. The results are
	// the separate passes', bit for bit: where ReLU cut h both give the
	// gradient +0 or g·0, and g is finite there unless the loss already
	// diverged (an infinite g would give NaN here, +0 there).
	fused bool
}

// Network is a feedforward network computing in T, with its parameters,
// gradients and the workspace of one batch.
type Network[T Float] struct {
	cfg    Config
	hidden []hiddenLayer[T]
	outW   []T // final Linear, OutputDim × last width
	outB   []T
	outDW  []T
	outDB  []T
	outWT  []T // outW transposed; see transposed

	theta []T // every trainable parameter, in state_dict order
	grad  []T // their gradients, laid out as theta
	stats []T // BatchNorm running statistics

	params  []Param[T]
	buffers []Param[T]
	layers  []Layer

	// The forward pass multiplies by each Linear weight's transpose (in ×
	// out, where the weight is PyTorch's out × in). mats are the weights
	// whose transpose is a copy of its own (a weight of one row or column
	// has its transpose's layout, and its wT is w itself), and transposed
	// says that every copy is the transpose of the current weights. Forward
	// makes the copies when it is false; the trainer's Adam step (adamStep)
	// keeps them current as it updates the weights. Whatever else may write
	// the parameters clears it: Params and Param, which hand out writable
	// views, and the trainer's restore and resume. A stale copy would give
	// wrong outputs silently; checkTransposed makes the tests catch one.
	mats       []transposedWeight[T]
	transposed bool

	src  rand.Source // dropout masks
	dm   dropMask    // the last mask's generator (here, not on the stack, for the assembly)
	rows int         // rows the workspace holds
	out  []T         // rows × OutputDim output of the last forward pass
	in   []T         // input of the last forward pass (not owned)
	// The row stride of in, and its rows.
	ldIn, inRows int
	// trained records that the last forward pass was in training mode.
	trained bool
	gbufA   []T // backward scratch, rows × widest layer
	gbufB   []T
	sc      scratch[T] // gemm's packing buffers
}

// Net is the float64 network, the default; Net32 the float32 one.
type (
	Net   = Network[float64]
	Net32 = Network[float32]
)

// New returns a float64 network; see NewNetwork.
func New(cfg Config, src rand.Source) (*Net, error) { return NewNetwork[float64](cfg, src) }

// NewNetwork returns a network computing in T, initialised as PyTorch
// initialises its modules: Linear weights Kaiming-uniform with a = √5, i.e.
// U(±1/√fan_in), biases U(±1/√fan_in), BatchNorm γ = 1, β = 0, running mean
// 0 and variance 1. The source src draws the initial weights and, later,
// the dropout masks; the same source state gives the same network and
// masks. The float32 network's initial weights are the float64 network's,
// rounded to float32.
func NewNetwork[T Float](cfg Config, src rand.Source) (*Network[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.HiddenDims = append([]int(nil), cfg.HiddenDims...)
	n := &Network[T]{cfg: cfg, src: src}
	n.allocate()
	n.initialise(rand.New(src))
	return n, nil
}

// allocate lays out the parameters, gradients and buffers and builds their
// named views and the layer list.
func (n *Network[T]) allocate() {
	cfg := n.cfg
	nstats := 0
	for _, h := range cfg.HiddenDims {
		nstats += 2 * h // running mean and variance
	}
	n.theta = make([]T, cfg.NumParams())
	n.grad = make([]T, len(n.theta))
	n.stats = make([]T, nstats)

	off, soff := 0, 0
	in := cfg.InputDim
	take := func(name string, shape ...int) ([]T, []T) {
		k := 1
		for _, s := range shape {
			k *= s
		}
		v, g := n.theta[off:off+k:off+k], n.grad[off:off+k:off+k]
		off += k
		n.params = append(n.params, Param[T]{Name: name, Shape: shape, Value: v, Grad: g})
		return v, g
	}
	buffer := func(name string, k int) []T {
		v := n.stats[soff : soff+k : soff+k]
		soff += k
		n.buffers = append(n.buffers, Param[T]{Name: name, Shape: []int{k}, Value: v})
		return v
	}
	n.hidden = make([]hiddenLayer[T], len(cfg.HiddenDims))
	for i, h := range cfg.HiddenDims {
		l := &n.hidden[i]
		l.in, l.out = in, h
		lin, bn := moduleName(4*i), moduleName(4*i+1)
		l.wT = n.transposeOf(off, h, in)
		l.w, l.dw = take(lin+".weight", h, in)
		l.b, l.db = take(lin+".bias", h)
		l.gamma, l.dgamma = take(bn+".weight", h)
		l.beta, l.dbeta = take(bn+".bias", h)
		l.runMean = buffer(bn+".running_mean", h)
		l.runVar = buffer(bn+".running_var", h)
		l.invStd = make([]T, h)
		l.variance = make([]T, h)
		l.mean = make([]T, h)
		l.meanG = make([]T, h)
		l.meanGX = make([]T, h)
		n.layers = append(n.layers,
			Layer{Name: lin, Op: "Linear", Params: []string{lin + ".weight", lin + ".bias"}, In: in, Out: h},
			Layer{Name: bn, Op: "BatchNorm1d", Params: []string{bn + ".weight", bn + ".bias", bn + ".running_mean", bn + ".running_var"}, In: h, Out: h},
			Layer{Name: moduleName(4*i + 2), Op: cfg.Activation.torchName(), In: h, Out: h},
			Layer{Name: moduleName(4*i + 3), Op: "Dropout", In: h, Out: h},
		)
		in = h
	}
	last := moduleName(4 * len(cfg.HiddenDims))
	n.outWT = n.transposeOf(off, cfg.OutputDim, in)
	n.outW, n.outDW = take(last+".weight", cfg.OutputDim, in)
	n.outB, n.outDB = take(last+".bias", cfg.OutputDim)
	n.layers = append(n.layers, Layer{Name: last, Op: "Linear", Params: []string{last + ".weight", last + ".bias"}, In: in, Out: cfg.OutputDim})
}

// transposeOf returns the storage of the transpose of the rows × cols
// weight at theta[off:]: the weight itself for a single row or column, else
// a new copy, which it adds to mats.
func (n *Network[T]) transposeOf(off, rows, cols int) []T {
	if rows == 1 || cols == 1 {
		return n.theta[off : off+rows*cols : off+rows*cols]
	}
	t := make([]T, rows*cols)
	n.mats = append(n.mats, transposedWeight[T]{off: off, rows: rows, cols: cols, t: t})
	return t
}

func moduleName(i int) string { return "network." + strconv.Itoa(i) }

// initialise draws the parameters as PyTorch's reset_parameters does.
func (n *Network[T]) initialise(rng *rand.Rand) {
	uniform := func(v []T, bound float64) {
		for i := range v {
			v[i] = T((2*rng.Float64() - 1) * bound)
		}
	}
	for i := range n.hidden {
		l := &n.hidden[i]
		bound := 1 / math.Sqrt(float64(l.in))
		uniform(l.w, bound)
		uniform(l.b, bound)
		fill(l.gamma, 1)
		fill(l.beta, 0)
		fill(l.runMean, 0)
		fill(l.runVar, 1)
	}
	bound := 1 / math.Sqrt(float64(n.lastWidth()))
	uniform(n.outW, bound)
	uniform(n.outB, bound)
}

// flag is 1 for true and 0 for false, for the assembly kernels.
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// growTo returns v resliced to n elements, reallocated only if too short.
func growTo[T Float](v []T, n int) []T {
	if cap(v) < n {
		return make([]T, n)
	}
	return v[:n]
}

func fill[T Float](v []T, x T) {
	for i := range v {
		v[i] = x
	}
}

// lastWidth is the width of the final Linear's input.
func (n *Network[T]) lastWidth() int {
	if len(n.hidden) == 0 {
		return n.cfg.InputDim
	}
	return n.hidden[len(n.hidden)-1].out
}

// Config returns the network's architecture.
func (n *Network[T]) Config() Config {
	c := n.cfg
	c.HiddenDims = append([]int(nil), c.HiddenDims...)
	return c
}

// Params returns the trainable parameters in state_dict order. The views
// alias the network; the returned slice must not be modified. The network
// takes each call as a write of the parameters: values written through the
// views before the next Forward are used. Writing through views after a
// Forward requires another call (of Params or Param) before the next one,
// as the forward pass keeps copies of the weights.
func (n *Network[T]) Params() []Param[T] {
	n.transposed = false
	return n.params
}

// Param returns the parameter or buffer with the given name. Writing
// through its views is as for Params.
func (n *Network[T]) Param(name string) (Param[T], bool) {
	n.transposed = false
	for _, list := range [][]Param[T]{n.params, n.buffers} {
		for _, p := range list {
			if p.Name == name {
				return p, true
			}
		}
	}
	return Param[T]{}, false
}

// Layers describes the modules in order, with their widths, for a graph
// view. The returned slice must not be modified.
func (n *Network[T]) Layers() []Layer { return n.layers }

// NumParams returns the number of trainable scalars.
func (n *Network[T]) NumParams() int { return len(n.theta) }

// reserve sizes the workspace for batches of up to rows rows. It allocates
// only when a batch is larger than any before, so steady-state training
// allocates nothing.
func (n *Network[T]) reserve(rows int) {
	if rows <= n.rows {
		return
	}
	widest := n.cfg.OutputDim
	for i := range n.hidden {
		l := &n.hidden[i]
		k := rows * l.out
		l.xhat = make([]T, k)
		l.h = make([]T, k)
		l.mask = make([]T, k)
		if n.cfg.Dropout > 0 {
			l.d = make([]T, k)
		} else {
			// Without dropout the mask is all ones, so that Backward
			// multiplies by it unconditionally.
			l.d = l.h
			fill(l.mask, 1)
		}
		widest = max(widest, l.out)
	}
	n.out = make([]T, rows*n.cfg.OutputDim)
	n.gbufA = make([]T, rows*widest)
	n.gbufB = make([]T, rows*widest)
	n.rows = rows
}

// Forward computes the outputs for the rows × InputDim row-major batch x and
// returns them as a rows × OutputDim row-major view that the next call
// overwrites. In training mode BatchNorm normalises with the batch's
// statistics and updates its running statistics, and dropout is applied; in
// eval mode BatchNorm uses the running statistics and dropout is off.
//
// A training batch of one row has no batch variance (PyTorch refuses it); it
// is normalised with the running statistics, which it leaves unchanged, and
// still trains every parameter. This only happens when the training rows
// leave a last batch of one row, or with batch size 1.
//
// Forward keeps a reference to x for Backward. It panics if len(x) is not
// rows·InputDim or rows < 1.
func (n *Network[T]) Forward(x []T, rows int, train bool) []T {
	if rows < 1 || len(x) != rows*n.cfg.InputDim {
		panic(fmt.Sprintf("ffn: Forward: %d values for %d rows of %d inputs", len(x), rows, n.cfg.InputDim))
	}
	return n.forward(x, n.cfg.InputDim, rows, train)
}

// forward is Forward for rows whose starts are ldx ≥ InputDim elements
// apart in x. The trainer's batches have a row stride of a whole number of
// cache lines, so that the first weight gradient, which reads them as its
// right-hand matrix, loads no vector across two lines (see paddedStride).
func (n *Network[T]) forward(x []T, ldx, rows int, train bool) []T {
	n.reserve(rows)
	n.in, n.ldIn, n.inRows = x[:(rows-1)*ldx+n.cfg.InputDim], ldx, rows
	n.trained = train
	if !n.transposed {
		for _, w := range n.mats {
			transpose(w.t, w.rows, w.cols, n.theta[w.off:w.off+w.rows*w.cols])
		}
		n.transposed = true
	} else if checkTransposed {
		n.checkTransposes()
	}
	in, width, ld := n.in, n.cfg.InputDim, ldx
	for i := range n.hidden {
		l := &n.hidden[i]
		z := l.xhat[:rows*l.out]
		// The bias is not added: BatchNorm subtracts a mean that includes
		// it, so batchStatistics (or bnStatsAVX2) and normaliseRunning fold it into that
		// mean instead, saving a pass over the batch.
		gemm(&n.sc, rows, l.out, width, in, ld, 1, l.wT, l.out, z, l.out)
		l.frozen = !train || rows == 1
		// Normalise, activate and drop out. The kernels apply ReLU in the
		// same pass as the normalisation.
		w := l.out
		h := l.h[:rows*w]
		relu := n.cfg.Activation == ReLU
		ks := kernelsOf[T]()
		if l.frozen {
			l.normaliseRunning()
		} else {
			if f := ks.bnStats; f != nil && ks.elementwise(w) {
				f(rows, w, &z[0], &l.mean[0], &l.variance[0], &l.invStd[0], 1/T(rows), bnEps)
			} else {
				l.batchStatistics(rows)
			}
			l.updateRunning(rows)
		}
		dropout := n.cfg.Dropout > 0 && train
		if dropout {
			n.dm = newDropMask(n.cfg.Dropout, n.src.Uint64())
		}
		width, ld = w, w
		// With ReLU and dropout one pass normalises, activates and drops
		// out, reading z once and not storing h (see hiddenLayer.fused).
		l.fused = dropout && relu && ks.normDrop != nil && ks.elementwise(w) && w%dropBlock == 0
		if l.fused {
			in = l.d[:rows*w]
			ks.normDrop(rows, w, &z[0], &in[0], &l.mask[0], &l.mean[0], &l.invStd[0], &l.gamma[0], &l.beta[0], &n.dm)
			continue
		}
		if f := ks.normAffine; f != nil && ks.elementwise(w) {
			f(rows, w, &z[0], &h[0], &l.mean[0], &l.invStd[0], &l.gamma[0], &l.beta[0], flag(relu))
		} else {
			normaliseAffine(z, h, l.mean, l.invStd, l.gamma, l.beta)
			relu = false
		}
		if !relu {
			activate(n.cfg.Activation, h)
		}
		in = h
		if dropout {
			in = l.d[:rows*w]
			applyDropout(&n.dm, in, l.mask[:rows*w], h)
		}
	}
	out := n.out[:rows*n.cfg.OutputDim]
	gemm(&n.sc, rows, n.cfg.OutputDim, width, in, ld, 1, n.outWT, n.cfg.OutputDim, out, n.cfg.OutputDim)
	addRow(out, n.outB)
	return out
}

// checkTransposed makes Forward check, where it uses its copies of the
// transposed weights as they are, that each is the transpose of its weight,
// and panic if not. The tests set it, so that every flow they run checks
// that whatever writes the parameters marks the copies stale.
var checkTransposed bool

// checkTransposes panics unless every copy in mats is the transpose of its
// weight, element for element (NaN equal to NaN).
func (n *Network[T]) checkTransposes() {
	for _, w := range n.mats {
		src := n.theta[w.off : w.off+w.rows*w.cols]
		for i := range w.rows {
			for j := range w.cols {
				if x, y := src[i*w.cols+j], w.t[j*w.rows+i]; x != y && (x == x || y == y) {
					panic(fmt.Sprintf("ffn: the transposed copy of the %d×%d weight at %d is stale at (%d, %d): %v, the weight %v",
						w.rows, w.cols, w.off, i, j, y, x))
				}
			}
		}
	}
}

// adamStep is one step of a on the parameters from their gradients, which
// keeps the transposed weights current where a has a fused kernel for T.
func (n *Network[T]) adamStep(a *Adam[T]) {
	n.transposed = a.stepTransposing(n.theta, n.grad, n.mats)
}

// batchStatistics sets the batch's mean, biased variance and
// 1/sqrt(var + eps) of z (rows × out), as bnStatsAVX2 does.
func (l *hiddenLayer[T]) batchStatistics(rows int) {
	z := l.xhat[:rows*l.out]
	colSum(l.mean, rows, l.out, z, l.out)
	inv := 1 / T(rows)
	for j := range l.mean {
		l.mean[j] *= inv
	}
	variance := l.variance
	fill(variance, 0)
	for r := 0; r < rows; r++ {
		row := z[r*l.out : (r+1)*l.out]
		mean, vr := l.mean[:len(row)], variance[:len(row)]
		for j, v := range row {
			d := v - mean[j]
			vr[j] += d * d
		}
	}
	for j, s := range variance {
		variance[j] = s * inv
		l.invStd[j] = 1 / sqrt(variance[j]+bnEps)
	}
}

// sqrt is math.Sqrt in T: for float32, the square root of a float32 number
// computed in float64 and rounded is the correctly rounded float32 one.
func sqrt[T Float](x T) T { return T(math.Sqrt(float64(x))) }

// updateRunning moves the running statistics toward the batch's mean and
// unbiased variance (of a batch of rows ≥ 2 rows).
func (l *hiddenLayer[T]) updateRunning(rows int) {
	unbias := T(rows) / T(rows-1)
	for j, v := range l.variance {
		// z lacks the Linear's bias (see Forward): the batch mean of the
		// layer's real output is mean + b.
		l.runMean[j] = (1-bnMomentum)*l.runMean[j] + bnMomentum*(l.mean[j]+l.b[j])
		l.runVar[j] = (1-bnMomentum)*l.runVar[j] + bnMomentum*v*unbias
	}
}

// normaliseRunning sets the mean and 1/sqrt(var + eps) that normalise with
// the running statistics. The mean absorbs the Linear's bias, which z lacks
// (see Forward): (z + b − running_mean) = (z − (running_mean − b)).
func (l *hiddenLayer[T]) normaliseRunning() {
	for j, v := range l.runVar {
		l.mean[j] = l.runMean[j] - l.b[j]
		l.invStd[j] = 1 / sqrt(v+bnEps)
	}
}

// normaliseAffine sets, row by row, x̂ = (z − mean)·invStd in place of z
// and h = γ·x̂ + β: BatchNorm's normalisation and affine map in one pass.
func normaliseAffine[T Float](z, h, mean, invStd, gamma, beta []T) {
	w := len(mean)
	for r := 0; r+w <= len(z); r += w {
		zr := z[r : r+w]
		hr, m, s, g, b := h[r:r+len(zr)], mean[:len(zr)], invStd[:len(zr)], gamma[:len(zr)], beta[:len(zr)]
		for j, v := range zr {
			x := (v - m[j]) * s[j]
			zr[j] = x
			hr[j] = g[j]*x + b[j]
		}
	}
}

// dropMask draws dropout masks. Each element is kept with probability
// 1 − p and then scaled by 1/(1 − p) (inverted dropout), so the expected
// output equals the input.
//
// The bits come from four interleaved xorshift128+ generators, seeded for
// each mask (through splitmix64) by one draw from the network's source: a
// call to the source per element pair cost more than the rest of the layer,
// and four lanes of shifts, xors and adds are what AVX2 computes four at a
// time (dropoutAVX2 runs the same generator bit for bit). One step of the
// lanes yields eight 32-bit words, which decide eight elements: an element
// is dropped when its word is below p·2³², a rate exact to 2⁻³². The high
// and low words of xorshift128+ both pass the usual statistical batteries
// apart from linearity tests on the lowest bits, immaterial for a
// threshold. The choice is made with masks, not branches, which would be
// mispredicted on a random fraction p of the elements.
type dropMask struct {
	// The layout up to sign is dropoutAVX2's.
	s0, s1    [4]uint64
	thrFlip   uint32  // threshold ^ 0x80000000: a signed compare of flipped words is the unsigned compare
	_         uint32  // padding
	scale     float64 // 1/(1 − p)
	sign      uint32  // 0x80000000
	threshold uint32  // drop when the word is below
	scale32   float32 // scale rounded to float32, for dropoutAVX2F32
}

// dropBlock is the number of elements one step of dropMask's generator
// decides.
const dropBlock = 8

func newDropMask(p float64, seed uint64) dropMask {
	thr := uint32(p * (1 << 32)) // p < 1, so below 2³²
	dm := dropMask{thrFlip: thr ^ 0x80000000, scale: 1 / (1 - p), sign: 0x80000000, threshold: thr}
	dm.scale32 = float32(dm.scale)
	for l := range dm.s0 {
		dm.s0[l], seed = splitmix64(seed)
		dm.s1[l], seed = splitmix64(seed)
		if dm.s0[l]|dm.s1[l] == 0 { // the one state xorshift never leaves
			dm.s1[l] = 1
		}
	}
	return dm
}

// splitmix64 returns the next output of the splitmix64 sequence at state s,
// and the next state.
func splitmix64(s uint64) (out, next uint64) {
	next = s + 0x9e3779b97f4a7c15
	z := next
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31), next
}

// apply draws a mask for h, stores it in mask and sets d = h·mask.
func applyDropout[T Float](dm *dropMask, d, mask, h []T) {
	d, mask = d[:len(h)], mask[:len(h)]
	start := 0
	if f := kernelsOf[T]().dropout; f != nil && vectorised() {
		start = len(h) - len(h)%dropBlock
		if start > 0 {
			f(start/dropBlock, &h[0], &d[0], &mask[0], dm)
		}
	}
	scale := T(dm.scale)
	var words [dropBlock]uint32
	for base := start; base < len(h); base += dropBlock {
		for l := range dm.s0 {
			x, y := dm.s0[l], dm.s1[l]
			dm.s0[l] = y
			x ^= x << 23
			dm.s1[l] = x ^ y ^ (x >> 17) ^ (y >> 26)
			o := dm.s1[l] + y
			words[2*l], words[2*l+1] = uint32(o), uint32(o>>32)
		}
		for q, word := range words[:min(dropBlock, len(h)-base)] {
			keep := 1 + (int64(word)-int64(dm.threshold))>>63 // 0 to drop, else 1: no branch
			m := T(keep) * scale                              // +0 or the scale, exactly
			mask[base+q] = m
			d[base+q] = h[base+q] * m
		}
	}
}

// Backward computes the gradients of every parameter for the last training
// Forward pass, given dOut, the gradient of the loss with respect to its
// outputs (rows × OutputDim). It overwrites the gradients: it does not
// accumulate. It panics if the last Forward pass was not in training mode
// (an eval pass keeps no dropout mask or batch statistics) or if dOut's
// length does not match it.
func (n *Network[T]) Backward(dOut []T) {
	if !n.trained {
		panic("ffn: Backward without a training-mode Forward pass")
	}
	rows := n.inRows
	if len(dOut) != rows*n.cfg.OutputDim {
		panic(fmt.Sprintf("ffn: Backward: %d output gradients for %d rows of %d outputs", len(dOut), rows, n.cfg.OutputDim))
	}
	od := n.cfg.OutputDim
	width := n.lastWidth()
	in, ld := n.in, n.ldIn
	if k := len(n.hidden); k > 0 {
		in, ld = n.hidden[k-1].d[:rows*width], width
	}
	gemm(&n.sc, od, width, rows, dOut, 1, od, in, ld, n.outDW, width)
	colSum(n.outDB, rows, od, dOut, od)
	if len(n.hidden) == 0 {
		return
	}
	g := n.gbufA[:rows*width]
	gemm(&n.sc, rows, width, od, dOut, od, 1, n.outW, width, g, width)
	spare := n.gbufB
	for i := len(n.hidden) - 1; i >= 0; i-- {
		l := &n.hidden[i]
		g = g[:rows*l.out]
		l.batchNormBackward(g, rows, n.cfg.Activation)
		x, ldx := n.in, n.ldIn
		if i > 0 {
			x, ldx = n.hidden[i-1].d[:rows*l.in], l.in
		}
		gemm(&n.sc, l.out, l.in, rows, g, 1, l.out, x, ldx, l.dw, l.in)
		if i > 0 {
			next := spare[:rows*l.in]
			gemm(&n.sc, rows, l.in, l.out, g, l.out, 1, l.w, l.in, next, l.in)
			g, spare = next, g[:cap(g)]
		}
	}
}

// The modes of the bnSums kernels: g as it is, g times the mask where
// ReLU's output h is not zero, g times the mask.
const (
	sumsPlain = iota
	sumsReLU
	sumsMask
)

// batchNormBackward replaces g, the gradient with respect to the layer's
// dropout output, by the gradient with respect to the Linear's output
// (through dropout, the activation act and BatchNorm), and sets the
// gradients of γ and β and of the Linear's bias (the column sums of the
// new g). Dropout and the activation are applied row by row in the same
// pass as BatchNorm's sums. With batch statistics, BatchNorm's part is
//
//	dz = γ·invStd/N · (N·g − Σg − x̂·Σ(g·x̂)).
//
// With running statistics (a frozen pass), dz = γ·invStd·g.
func (l *hiddenLayer[T]) batchNormBackward(g []T, rows int, act Activation) {
	w := l.out
	xhat := l.xhat[:rows*w]
	sumG, sumGX, db := l.dbeta[:w], l.dgamma[:w], l.db[:w]
	clear(sumG)
	clear(sumGX)
	clear(db)
	ks := kernelsOf[T]()
	// After a fused pass the mask is zero where ReLU cut h: it is the
	// whole derivative, and h was not stored.
	h := l.h
	if l.fused {
		h = l.mask
	}
	if f := ks.bnSums; f != nil && ks.elementwise(w) {
		// The kernel applies ReLU's derivative and the mask itself.
		mode := sumsPlain
		switch {
		case l.fused:
			mode = sumsMask
		case act == ReLU:
			mode = sumsReLU
		default:
			activationBackward(act, g, l.h, l.mask)
		}
		f(rows, w, &g[0], &xhat[0], &sumG[0], &sumGX[0], &h[0], &l.mask[0], mode)
	} else {
		for r := 0; r < rows; r++ {
			gr := g[r*w : (r+1)*w]
			activationBackward(act, gr, h[r*w:(r+1)*w], l.mask[r*w:(r+1)*w])
			xr, sg, sgx := xhat[r*w:r*w+len(gr)], sumG[:len(gr)], sumGX[:len(gr)]
			for j, v := range gr {
				sg[j] += v
				sgx[j] += v * xr[j]
			}
		}
	}
	// Reuse mean for the per-feature factor γ·invStd (and, below, the
	// other terms): the forward pass recomputes it.
	k := l.mean[:w]
	for j := range k {
		k[j] = l.gamma[j] * l.invStd[j]
	}
	if l.frozen {
		for r := 0; r < rows; r++ {
			gr := g[r*w : (r+1)*w]
			kr, dbr := k[:len(gr)], db[:len(gr)]
			for j, v := range gr {
				z := kr[j] * v
				gr[j] = z
				dbr[j] += z
			}
		}
		return
	}
	inv := 1 / T(rows)
	meanG, meanGX := l.meanG[:w], l.meanGX[:w]
	for j := range sumG {
		meanG[j] = inv * sumG[j]
		meanGX[j] = inv * sumGX[j]
	}
	if f := ks.bnDz; f != nil && ks.elementwise(w) {
		f(rows, w, &g[0], &xhat[0], &k[0], &meanG[0], &meanGX[0], &db[0])
		return
	}
	for r := 0; r < rows; r++ {
		gr := g[r*w : (r+1)*w]
		xr, kr, mg, mgx, dbr := xhat[r*w:r*w+len(gr)], k[:len(gr)], meanG[:len(gr)], meanGX[:len(gr)], db[:len(gr)]
		for j, v := range gr {
			z := kr[j] * (v - mg[j] - xr[j]*mgx[j])
			gr[j] = z
			dbr[j] += z
		}
	}
}

// MSE sets dst to the gradient of the mean squared error between out and y
// with respect to out and returns the error, the mean over all elements as
// nn.MSELoss computes it. A nil dst skips the gradient. The differences
// are taken in T and the error summed in float64. It panics if the lengths
// differ.
func MSE[T Float](dst, out, y []T) float64 {
	if len(out) != len(y) || (dst != nil && len(dst) != len(out)) {
		panic("ffn: MSE: length mismatch")
	}
	var s float64
	scale := 2 / T(len(out))
	for i, o := range out {
		d := o - y[i]
		s += float64(d) * float64(d)
		if dst != nil {
			dst[i] = scale * d
		}
	}
	return s / float64(len(out))
}
