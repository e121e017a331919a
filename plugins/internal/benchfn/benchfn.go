// Package benchfn is a benchmark model for hyperparameter search whose
// optimum is known. Its converged validation loss f is the Hartmann-6 test
// function of six hyperparameters plus an offset for a seventh, categorical
// one; each epoch it reports a noisy learning curve that converges to f. A
// search can then be judged by how close it gets to the optimum and by how
// many epochs it spends on the way, in microseconds rather than hours.
// cmd/sweep-benchfn serves it as a plugin.
//
// The searched hyperparameters map onto Hartmann's unit cube as
//
//	x1 = dropout               dropout in [0, 1]
//	x2 = warmup                warmup in [0, 1]
//	x3 = (log10(lr) + 4) / 3   lr in [1e-4, 1e-1], meant for a log scale
//	x4 = momentum              momentum in [0, 1]
//	x5 = smoothing             smoothing in [0, 1]
//	x6 = (width - 8) / 248     width an integer in [8, 256]
//
// and act adds 0 (gelu), 0.05 (relu), 0.2 (tanh) or 0.5 (sigmoid) to f.
//
// The global minimum of f is OptimumValue, -3.32237, Hartmann-6's published
// minimum, found at (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573)
// on the cube. In hyperparameter units that point is Optimum:
//
//	lr = 2.69539e-3, width = 171, act = "gelu", dropout = 0.20169,
//	warmup = 0.150011, momentum = 0.275332, smoothing = 0.311652
//
// Width 171 is the integer nearest to x6 = 0.6573 (it gives 0.657258); f
// there is -3.3223680, 5e-8 above f at the continuous point.
//
// The learning curve at epoch e (counted from 0) is
//
//	val(e)   = f + A·exp(-(e+1)/τ) + noise·ε
//	train(e) = f - G·(1 - exp(-(e+1)/τ)) + A·exp(-(e+1)/τ) + noise·ε'
//	A = 1 + 0.5·dropout,  τ = 2 + 2·(1 - x3),  G = 0.1·(1 - dropout)
//
// with ε, ε' standard normal draws from a source seeded by the trial's seed.
// A larger learning rate converges faster (τ from 4 down to 2 epochs) but
// not necessarily to a lower f, and dropout raises the early losses, so an
// early ranking of trials predicts the final one well but not perfectly, as
// in real training. After the default 27 epochs the curve is within 0.002
// of f, well inside the default noise of 0.02.
package benchfn

import (
	"fmt"
	"math"
)

// Hyperparameter ranges. Train refuses values outside them, since Hartmann-6
// is defined on the unit cube only.
const (
	MinLR    = 1e-4
	MaxLR    = 1e-1
	MinWidth = 8
	MaxWidth = 256
)

// Defaults of the hyperparameters that are not searched.
const (
	DefaultEpochs = 27   // 3³, so that successive halving by 3 fits exactly
	DefaultNoise  = 0.02 // standard deviation of the per-epoch noise
)

// OptimumValue is the global minimum of F: Hartmann-6's published minimum.
const OptimumValue = -3.32237

// Optimum is where F attains its minimum, -3.3223680 (OptimumValue is
// rounded to the published digits; they agree to 1e-5).
var Optimum = Point{
	LR:        math.Pow(10, 3*0.476874-4),
	Width:     171,
	Act:       "gelu",
	Dropout:   0.20169,
	Warmup:    0.150011,
	Momentum:  0.275332,
	Smoothing: 0.311652,
}

// Acts lists the values of the categorical hyperparameter act, best first.
var Acts = []string{"gelu", "relu", "tanh", "sigmoid"}

// actOffsets are added to f; gelu, the best, adds nothing so that the
// optimum stays Hartmann's.
var actOffsets = map[string]float64{"gelu": 0, "relu": 0.05, "tanh": 0.2, "sigmoid": 0.5}

// ActOffset returns what act adds to f, and whether act is known.
func ActOffset(act string) (float64, bool) {
	v, ok := actOffsets[act]
	return v, ok
}

// Point is a value of the seven searched hyperparameters.
type Point struct {
	LR        float64 // in [MinLR, MaxLR]
	Width     int64   // in [MinWidth, MaxWidth]
	Act       string  // one of Acts
	Dropout   float64 // in [0, 1]
	Warmup    float64 // in [0, 1]
	Momentum  float64 // in [0, 1]
	Smoothing float64 // in [0, 1]
}

// Validate returns an error naming the first hyperparameter of p that is
// out of its range.
func (p Point) Validate() error {
	switch {
	case !(p.LR >= MinLR && p.LR <= MaxLR):
		return fmt.Errorf("benchfn: lr = %g, want it in [%g, %g]", p.LR, MinLR, MaxLR)
	case p.Width < MinWidth || p.Width > MaxWidth:
		return fmt.Errorf("benchfn: width = %d, want it in [%d, %d]", p.Width, MinWidth, MaxWidth)
	}
	if _, ok := actOffsets[p.Act]; !ok {
		return fmt.Errorf("benchfn: act = %q, want one of %q", p.Act, Acts)
	}
	for _, u := range []struct {
		name string
		v    float64
	}{{"dropout", p.Dropout}, {"warmup", p.Warmup}, {"momentum", p.Momentum}, {"smoothing", p.Smoothing}} {
		if !(u.v >= 0 && u.v <= 1) { // also refuses NaN
			return fmt.Errorf("benchfn: %s = %g, want it in [0, 1]", u.name, u.v)
		}
	}
	return nil
}

// Cube returns p's coordinates on Hartmann-6's unit cube.
func (p Point) Cube() [6]float64 {
	return [6]float64{
		p.Dropout,
		p.Warmup,
		(math.Log10(p.LR) + 4) / 3,
		p.Momentum,
		p.Smoothing,
		float64(p.Width-MinWidth) / (MaxWidth - MinWidth),
	}
}

// F returns the converged validation loss at p: Hartmann-6 of p.Cube() plus
// the offset of p.Act. It does not check p; an unknown act adds nothing.
func F(p Point) float64 {
	return Hartmann6(p.Cube()) + actOffsets[p.Act]
}

// Hartmann-6's coefficients, as published by Hartmann (1973) and reproduced
// in Surjanovic & Bingham's Virtual Library of Simulation Experiments.
var (
	hartAlpha = [4]float64{1.0, 1.2, 3.0, 3.2}
	hartA     = [4][6]float64{
		{10, 3, 17, 3.5, 1.7, 8},
		{0.05, 10, 17, 0.1, 8, 14},
		{3, 3.5, 1.7, 10, 17, 8},
		{17, 8, 0.05, 10, 0.1, 14},
	}
	hartP = [4][6]float64{
		{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
		{0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
		{0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
		{0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381},
	}
)

// Hartmann6 returns the six-dimensional Hartmann function at x,
//
//	-Σᵢ αᵢ exp(-Σⱼ Aᵢⱼ (xⱼ - Pᵢⱼ)²),
//
// whose minimum on [0, 1]⁶ is -3.32237 at
// (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573).
func Hartmann6(x [6]float64) float64 {
	var f float64
	for i := range hartAlpha {
		var s float64
		for j, xj := range x {
			d := xj - hartP[i][j]
			s += hartA[i][j] * d * d
		}
		f -= hartAlpha[i] * math.Exp(-s)
	}
	return f
}
