package ffn

import (
	"fmt"
	"math"
)

// Adam is torch.optim.Adam (not AdamW): weight decay adds WeightDecay·θ to
// the gradient before the moment estimates, as PyTorch's L2 term does. The
// arithmetic follows PyTorch 1.13's single-tensor implementation step for
// step, so that parameters agree with PyTorch's to rounding. The
// hyperparameters are float64; the moments and the update are in T, with
// each step's constants computed in float64 and rounded to T, as PyTorch
// applies its Python-float constants to a float32 tensor.
type Adam[T Float] struct {
	LR          float64 // learning rate; the schedule may change it between steps
	Beta1       float64
	Beta2       float64
	Eps         float64
	WeightDecay float64

	m, v []T
	t    int
	c    adamConsts[T] // the step's constants, here for the assembly to read
	plan *transposePlan[T]
}

// NewAdam returns an Adam optimiser for n parameters of type T with
// PyTorch's default betas (0.9, 0.999) and eps 1e-8.
func NewAdam[T Float](n int, lr, weightDecay float64) *Adam[T] {
	return &Adam[T]{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: weightDecay,
		m: make([]T, n), v: make([]T, n)}
}

// Step updates theta in place from its gradient grad, which it leaves as it
// is: as in PyTorch, the decay term enters the update but not the gradient
// (which weight and gradient histograms show). It panics if the lengths
// differ from the optimiser's.
func (a *Adam[T]) Step(theta, grad []T) {
	bc2Sqrt, start := a.begin(theta, grad)
	if start > 0 {
		kernelsOf[T]().adam(start, &theta[0], &grad[0], &a.m[0], &a.v[0], &a.c)
	}
	adamGo(theta[start:], grad[start:], a.m[start:], a.v[start:], bc2Sqrt, &a.c)
}

// begin checks the lengths, counts the step and sets its constants. It
// returns sqrt(bc2) for adamGo and start: the assembly kernel updates the
// elements before start, adamGo those from start on (fewer than a vector
// register's). Step and stepTransposing split theta so, and so give each
// element the same arithmetic.
func (a *Adam[T]) begin(theta, grad []T) (bc2Sqrt T, start int) {
	if len(theta) != len(a.m) || len(grad) != len(a.m) {
		panic(fmt.Sprintf("ffn: Adam.Step: %d parameters and %d gradients for an optimiser of %d", len(theta), len(grad), len(a.m)))
	}
	a.t++
	b1, b2 := a.Beta1, a.Beta2
	bc1 := 1 - math.Pow(b1, float64(a.t))
	bc2 := 1 - math.Pow(b2, float64(a.t))
	a.c = adamConsts[T]{beta1: T(b1), omb1: T(1 - b1), beta2: T(b2), omb2: T(1 - b2), wd: T(a.WeightDecay),
		stepSize: T(a.LR / bc1), invBc2Sqrt: T(1 / math.Sqrt(bc2)), eps: T(a.Eps)}
	if ks := kernelsOf[T](); ks.adam != nil && vectorised() {
		start = len(a.m) - len(a.m)%ks.lanes
	}
	return T(math.Sqrt(bc2)), start
}

// transposedWeight is a rows × cols weight matrix at theta[off:] whose
// transpose (cols × rows, row-major) the forward pass multiplies by, kept
// in t.
type transposedWeight[T Float] struct {
	off, rows, cols int
	t               []T
}

// stepTransposing is Step, which also sets each matrix of mats' t to the
// transpose of its updated values, and reports that it did. It reports
// false where T has no fused kernel on the path in use: it has then done
// Step and left the t as they were.
//
// The fused kernel (adamTAVX2) updates each matrix's rows in groups of 4,
// as far as they lie below start, and writes their transposes from its
// registers: the update waits on square roots and divisions, so the
// shuffles cost next to nothing, and the forward pass needs no transpose.
// Every other element below start goes through the assembly kernel of
// Step, in place where it lies in a run of 4 and through the plan's
// scratch arrays where not; those from start on through adamGo, as in
// Step. Each element's update depends only on its own θ, g, m and v, so
// the results are Step's bit for bit. The transposes' entries of the
// matrices' other rows are then copied from the updated weights.
func (a *Adam[T]) stepTransposing(theta, grad []T, mats []transposedWeight[T]) bool {
	ks := kernelsOf[T]()
	if ks.adamT == nil || !vectorised() {
		a.Step(theta, grad)
		return false
	}
	bc2Sqrt, start := a.begin(theta, grad)
	p := a.planFor(mats, start)
	c := &a.c
	for i, rows := range p.rows {
		if rows > 0 {
			w := mats[i]
			ks.adamT(rows, w.cols, &theta[w.off], &grad[w.off], &a.m[w.off], &a.v[w.off], &w.t[0], w.rows, c)
		}
	}
	for _, r := range p.runs {
		ks.adam(r.n, &theta[r.off], &grad[r.off], &a.m[r.off], &a.v[r.off], c)
	}
	if n := len(p.gather); n > 0 {
		// In locals, the slices' headers are not reloaded after each store.
		gather, m, v := p.gather, a.m, a.v
		pt, pg, pm, pv := p.theta[:n], p.grad[:n], p.m[:n], p.v[:n]
		for k, i := range gather {
			pt[k], pg[k], pm[k], pv[k] = theta[i], grad[i], m[i], v[i]
		}
		ks.adam(len(p.theta), &p.theta[0], &p.grad[0], &p.m[0], &p.v[0], c)
		for k, i := range gather {
			theta[i], m[i], v[i] = pt[k], pm[k], pv[k]
		}
	}
	adamGo(theta[start:], grad[start:], a.m[start:], a.v[start:], bc2Sqrt, c)
	for _, e := range p.edges {
		*e.dst = theta[e.src]
	}
	return true
}

// transposePlan is how stepTransposing covers the parameters of one
// layout, worked out at its first step.
type transposePlan[T Float] struct {
	mats  []transposedWeight[T] // the layout it was made for
	start int
	// rows are the rows of each matrix, from its first, that the fused
	// kernel updates (a multiple of 4, possibly 0).
	rows []int
	// runs are the other elements below start that lie in runs of 4.
	runs []struct{ off, n int }
	// gather are the rest of the elements below start, updated through
	// theta, grad, m and v, padded with zeros to a multiple of 4 (which
	// Adam keeps at zero: g = 0 leaves m = v = 0, and θ −= 0/eps).
	gather      []int
	theta, grad []T
	m, v        []T
	// edges are the matrices' elements in the other rows, by index in
	// theta, with the place of each in its transpose.
	edges []struct {
		src int
		dst *T
	}
}

// planFor returns the plan for mats, making it at the first step. An Adam
// serves one network, so its layout does not change; a different one is a
// bug.
func (a *Adam[T]) planFor(mats []transposedWeight[T], start int) *transposePlan[T] {
	if p := a.plan; p != nil {
		if len(p.mats) != len(mats) || (len(mats) > 0 && &p.mats[0] != &mats[0]) || p.start != start {
			panic("ffn: Adam.stepTransposing: another network's layout")
		}
		return p
	}
	p := &transposePlan[T]{mats: mats, start: start}
	fused := make([]bool, start)
	for _, w := range mats {
		if w.off < 0 || w.rows < 1 || w.cols < 1 || w.off+w.rows*w.cols > len(a.m) || len(w.t) < w.rows*w.cols {
			panic(fmt.Sprintf("ffn: Adam.stepTransposing: a %d×%d matrix at %d of %d parameters", w.rows, w.cols, w.off, len(a.m)))
		}
		// The fused rows stay below start, where Step uses the assembly.
		rows := w.rows &^ 3
		for rows > 0 && w.off+rows*w.cols > start {
			rows -= 4
		}
		p.rows = append(p.rows, rows)
		for r := range w.rows {
			for j := range w.cols {
				i := w.off + r*w.cols + j
				if r >= rows {
					p.edges = append(p.edges, struct {
						src int
						dst *T
					}{i, &w.t[j*w.rows+r]})
				} else if fused[i] {
					panic("ffn: Adam.stepTransposing: overlapping matrices")
				} else {
					fused[i] = true
				}
			}
		}
	}
	for i := 0; i < start; {
		if fused[i] {
			i++
			continue
		}
		j := i
		for j < start && !fused[j] {
			j++
		}
		if n := (j - i) &^ 3; n > 0 {
			p.runs = append(p.runs, struct{ off, n int }{i, n})
		}
		for k := i + (j-i)&^3; k < j; k++ {
			p.gather = append(p.gather, k)
		}
		i = j
	}
	n := (len(p.gather) + 3) &^ 3
	p.theta, p.grad, p.m, p.v = make([]T, n), make([]T, n), make([]T, n), make([]T, n)
	a.plan = p
	return p
}

// adamConsts are one Adam step's constants, laid out as the assembly
// kernel reads them.
type adamConsts[T Float] struct {
	beta1, omb1, beta2, omb2, wd, stepSize, invBc2Sqrt, eps T
}

// adamGo is Adam's update in Go, with PyTorch's operations in PyTorch's
// order (the assembly kernel fuses multiply-adds and multiplies by
// 1/sqrt(bc2), which moves results by an ulp or so).
func adamGo[T Float](theta, grad, m, v []T, bc2Sqrt T, c *adamConsts[T]) {
	theta, grad, v = theta[:len(m)], grad[:len(m)], v[:len(m)]
	for i, g := range grad {
		if c.wd != 0 {
			g += c.wd * theta[i]
		}
		mi := m[i]*c.beta1 + c.omb1*g
		vi := v[i]*c.beta2 + c.omb2*(g*g)
		m[i], v[i] = mi, vi
		theta[i] -= c.stepSize * (mi / (sqrt(vi)/bc2Sqrt + c.eps))
	}
}

// clipGradNorm scales grad so that its Euclidean norm is at most maxNorm, as
// torch.nn.utils.clip_grad_norm_ does (factor maxNorm/(norm + 1e-6) when
// that is below 1), and returns the norm before clipping. The norm is
// summed in float64 and the factor rounded to T.
func clipGradNorm[T Float](grad []T, maxNorm float64) float64 {
	var s float64
	for _, g := range grad {
		s += float64(g) * float64(g)
	}
	norm := math.Sqrt(s)
	if c := maxNorm / (norm + 1e-6); c < 1 {
		for i := range grad {
			grad[i] *= T(c)
		}
	}
	return norm
}

// Schedule gives the learning rate of each epoch, counted from 0; the
// schedule is applied once per epoch, as a PyTorch scheduler stepped after
// every epoch.
type Schedule struct {
	// Kind is "none", "step", "cosine" or "warmup_cosine"; "" means none.
	Kind string
	// StepSize and Gamma drive "step": the rate is multiplied by Gamma every
	// StepSize epochs (StepLR).
	StepSize int
	Gamma    float64
	// TMax and EtaMin drive "cosine" (CosineAnnealingLR's closed form: the
	// rate falls from the base rate to EtaMin over TMax epochs, then rises
	// again, periodically) and the cosine part of "warmup_cosine".
	TMax   int
	EtaMin float64
	// WarmupEpochs drives "warmup_cosine": the rate rises linearly,
	// base·(e+1)/WarmupEpochs, over the first WarmupEpochs epochs, then
	// follows the cosine schedule from the base rate, counting epochs from
	// the end of the warm-up.
	WarmupEpochs int
}

// ScheduleNames lists the schedules' kinds, as Validate accepts them.
func ScheduleNames() []string { return []string{"none", "step", "cosine", "warmup_cosine"} }

// Validate reports the first invalid field for the schedule's kind, naming
// it as the hyperparameter that sets it.
func (s Schedule) Validate() error {
	switch s.Kind {
	case "", "none":
		return nil
	case "step":
		if s.StepSize < 1 {
			return fmt.Errorf("step_size: must be at least 1 for lr_schedule \"step\", got %d", s.StepSize)
		}
		if !(s.Gamma > 0) || math.IsInf(s.Gamma, 0) {
			return fmt.Errorf("gamma: must be positive and finite, got %v", s.Gamma)
		}
		return nil
	case "cosine", "warmup_cosine":
		if s.TMax < 1 {
			return fmt.Errorf("t_max: must be at least 1 for lr_schedule %q, got %d", s.Kind, s.TMax)
		}
		if !(s.EtaMin >= 0) || math.IsInf(s.EtaMin, 0) {
			return fmt.Errorf("eta_min: must be non-negative and finite, got %v", s.EtaMin)
		}
		if s.Kind == "warmup_cosine" && s.WarmupEpochs < 0 {
			return fmt.Errorf("warmup_epochs: must not be negative, got %d", s.WarmupEpochs)
		}
		return nil
	}
	return fmt.Errorf("lr_schedule: %q is not one of none, step, cosine, warmup_cosine", s.Kind)
}

// Rate returns the learning rate of epoch e (from 0) for the base rate
// base. It assumes a valid schedule.
func (s Schedule) Rate(base float64, e int) float64 {
	switch s.Kind {
	case "step":
		return base * math.Pow(s.Gamma, float64(e/s.StepSize))
	case "cosine":
		return cosine(base, s.EtaMin, e, s.TMax)
	case "warmup_cosine":
		if e < s.WarmupEpochs {
			return base * float64(e+1) / float64(s.WarmupEpochs)
		}
		return cosine(base, s.EtaMin, e-s.WarmupEpochs, s.TMax)
	}
	return base
}

// cosine is CosineAnnealingLR's closed form at epoch e.
func cosine(base, etaMin float64, e, tMax int) float64 {
	return etaMin + (base-etaMin)*(1+math.Cos(math.Pi*float64(e)/float64(tMax)))/2
}

// EarlyStopping tracks the validation loss: an epoch improves when its loss
// is below the best so far by more than MinDelta, and training stops once
// more than Patience epochs in a row have not improved.
type EarlyStopping struct {
	Patience int
	MinDelta float64

	best      float64
	bestEpoch int
	bad       int
	seen      bool
}

// Observe records epoch's validation loss and reports whether it improved
// on the best and whether training should stop.
func (s *EarlyStopping) Observe(epoch int, loss float64) (improved, stop bool) {
	if !s.seen || loss < s.best-s.MinDelta {
		s.best, s.bestEpoch, s.bad, s.seen = loss, epoch, 0, true
		return true, false
	}
	s.bad++
	return false, s.bad > s.Patience
}

// Best returns the best loss observed and its epoch; ok is false before any
// epoch.
func (s *EarlyStopping) Best() (loss float64, epoch int, ok bool) {
	return s.best, s.bestEpoch, s.seen
}
