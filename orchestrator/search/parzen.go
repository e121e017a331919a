package search

import (
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mathext"
)

// This file holds the Parzen estimators of the TPE sampler: for one
// dimension, a weighted mixture with one component per observation plus,
// by default, a prior component. It follows Optuna 3.1's univariate
// _ParzenEstimator and _truncnorm (optuna/samplers/_tpe/), with the
// correction of Optuna PR #5110 to the truncated normal's log density.

// parzenParams are the knobs of a Parzen estimator, resolved from
// TPEOptions.
type parzenParams struct {
	considerPrior     bool
	priorWeight       float64
	considerMagicClip bool
	considerEndpoints bool
	weights           func(n int) []float64
}

// sqrt2Pi and logSqrt2Pi are the normal density's normaliser and its log.
var (
	sqrt2Pi    = math.Sqrt(2 * math.Pi)
	logSqrt2Pi = 0.5 * math.Log(2*math.Pi)
)

// mixtureWeights returns the normalised weights of n observations, in the
// order observed, followed by the prior's when considerPrior holds (it is
// forced when n is 0, so that the mixture is never empty), and whether
// it did. It returns errBadWeights when p.weights gives fewer than n
// weights, or ones that are negative, not finite or all zero, or when the
// prior's weight is not positive and finite.
func mixtureWeights(n int, p parzenParams) ([]float64, bool, error) {
	w := p.weights(n)
	if len(w) < n {
		return nil, false, errBadWeights
	}
	w = w[:n]
	sum := 0.0
	for _, v := range w {
		if v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, false, errBadWeights
		}
		sum += v
	}
	if n > 0 && sum <= 0 {
		return nil, false, errBadWeights
	}
	prior := p.considerPrior || n == 0
	if prior && (!(p.priorWeight > 0) || math.IsInf(p.priorWeight, 1)) {
		return nil, false, errBadWeights
	}
	out := make([]float64, n, n+1)
	copy(out, w)
	if prior {
		out = append(out, p.priorWeight)
		sum += p.priorWeight
	}
	for i := range out {
		out[i] /= sum
	}
	return out, prior, nil
}

// DefaultWeights is Optuna's default_weights: the weights of n
// observations in the order observed, flat for n < 25, else a linear ramp
// from 1/n up to 1 over the oldest n-25 followed by 25 ones, so that old
// observations count less. DefaultWeights panics if n is negative.
func DefaultWeights(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1
	}
	if n < 25 {
		return w
	}
	// The ramp is numpy's linspace(1/n, 1, n-25), computed as numpy does
	// so that the weights match Optuna's to the last bit.
	num := n - 25
	start := 1 / float64(n)
	if num > 1 {
		step := (1 - start) / float64(num-1)
		for i := range num - 1 {
			w[i] = float64(i)*step + start
		}
		w[num-1] = 1
	} else if num == 1 {
		w[0] = start
	}
	return w
}

// numericParzen is the mixture of truncated normals on [low, high] that
// models a Uniform, LogUniform (in log space) or Int dimension.
type numericParzen struct {
	low, high float64
	// discrete is set for an Int dimension: its bounds are widened by half
	// a step and the density of an integer is the mass of the unit
	// interval around it.
	discrete bool
	mus      []float64
	sigmas   []float64
	weights  []float64
	// logZ is the log of each component's mass within [low, high], the
	// normaliser of its truncation.
	logZ []float64
	// logC is each component's log density without its quadratic term:
	// log weight - logZ - log sigma - log sqrt(2π).
	logC []float64
	// scale is exp(logC), or for a discrete estimator weight/Z: the
	// factor of each component's term in pdf.
	scale    []float64
	invSigma []float64
	// cut is, for each component, the squared standardised distance
	// beyond which its term is below e^-40 of the least the prior
	// component adds anywhere in the bounds, so that pdf can skip it.
	cut []float64
	cum []float64 // cumulative weights, for choosing a component
}

// newNumericParzen returns the estimator of the observations obs (internal
// values within [low, high], in the order observed). For a discrete
// dimension low and high must already be widened by half a step.
func newNumericParzen(obs []float64, low, high float64, discrete bool, p parzenParams) (*numericParzen, error) {
	w, prior, err := mixtureWeights(len(obs), p)
	if err != nil {
		return nil, err
	}
	mus := slices.Clone(obs)
	if prior {
		mus = append(mus, 0.5*(low+high))
	}
	sigmas := bandwidths(mus, low, high, p)
	if prior {
		sigmas[len(sigmas)-1] = high - low
	}
	e := &numericParzen{low: low, high: high, discrete: discrete, mus: mus, sigmas: sigmas, weights: w}
	e.precompute(prior)
	return e, nil
}

// bandwidths returns each component's sigma: the larger of the gaps to
// its sorted neighbours (the bounds standing in at the ends), then clipped
// to [(high-low)/min(100, 1+len(mus)), high-low]. Unless
// p.considerEndpoints, the extreme components use their inner gap only,
// so that a bound does not widen them.
func bandwidths(mus []float64, low, high float64, p parzenParams) []float64 {
	m := len(mus)
	type entry struct {
		mu float64
		i  int
	}
	order := make([]entry, m)
	for i, mu := range mus {
		order[i] = entry{mu, i}
	}
	// Ties in the order observed (a stable sort, but faster). No mu is
	// NaN, so plain comparisons order them.
	slices.SortFunc(order, func(a, b entry) int {
		switch {
		case a.mu < b.mu:
			return -1
		case a.mu > b.mu:
			return 1
		}
		return a.i - b.i
	})
	s := make([]float64, m+2)
	s[0], s[m+1] = low, high
	for k, o := range order {
		s[k+1] = o.mu
	}
	sorted := make([]float64, m)
	for k := range sorted {
		sorted[k] = math.Max(s[k+1]-s[k], s[k+2]-s[k+1])
	}
	if !p.considerEndpoints && m >= 2 {
		sorted[0] = s[2] - s[1]
		sorted[m-1] = s[m] - s[m-1]
	}
	maxSigma := high - low
	minSigma := 1e-12
	if p.considerMagicClip {
		minSigma = (high - low) / math.Min(100, 1+float64(m))
	}
	sigmas := make([]float64, m)
	for k, o := range order {
		sigmas[o.i] = math.Min(math.Max(sorted[k], minSigma), maxSigma)
	}
	return sigmas
}

// precompute fills the per-component constants of the density and the
// cumulative weights. prior says whether the last component is the
// prior's.
func (e *numericParzen) precompute(prior bool) {
	n := len(e.mus)
	all := make([]float64, 6*n)
	e.logZ, e.logC, e.scale = all[:n:n], all[n:2*n:2*n], all[2*n:3*n:3*n]
	e.invSigma, e.cut, e.cum = all[3*n:4*n:4*n], all[4*n:5*n:5*n], all[5*n:]
	acc := 0.0
	for i, mu := range e.mus {
		s, w := e.sigmas[i], e.weights[i]
		a, b := (e.low-mu)/s, (e.high-mu)/s
		// Z is not small: mu lies within the bounds and sigma is at most
		// their distance. The log-space path is for safety alone.
		if z := gaussMass(a, b); z > 0x1p-900 {
			e.logZ[i] = math.Log(z)
			e.scale[i] = w / (z * s * sqrt2Pi)
			e.logC[i] = math.Log(e.scale[i])
			if e.discrete {
				e.scale[i] = w / z
			}
		} else {
			e.logZ[i] = logGaussMass(a, b)
			e.logC[i] = math.Log(w) - e.logZ[i] - math.Log(s) - logSqrt2Pi
			e.scale[i] = math.Exp(e.logC[i])
			if e.discrete {
				e.scale[i] = math.Exp(math.Log(w) - e.logZ[i])
			}
		}
		e.invSigma[i] = 1 / s
		acc += w
		e.cum[i] = acc
	}
	// The prior is centred with sigma high-low, so its density is least
	// at the bounds, half a sigma out; a discrete point's interval has
	// width 1, so its probability is at least that density too.
	floor := math.Inf(-1)
	if prior {
		floor = e.logC[n-1] - 0.125 - 40
	}
	for i := range e.cut {
		// A component's term at standardised distance z is at most
		// exp(logC - z²/2): below the floor beyond z² = cut.
		e.cut[i] = 2 * (e.logC[i] - floor)
	}
}

// sample draws one internal value: a component by weight, then a value of
// that component's truncated normal by inversion. A discrete estimator's
// value is rounded (half to even, as numpy does) to an integer of the
// unwidened bounds.
func (e *numericParzen) sample(rng *rand.Rand) float64 {
	i := pick(e.cum, rng.Float64())
	mu, s := e.mus[i], e.sigmas[i]
	x := mu + s*truncNormPPF(rng.Float64(), (e.low-mu)/s, (e.high-mu)/s)
	x = math.Min(math.Max(x, e.low), e.high)
	if e.discrete {
		lo, hi := e.low+0.5, e.high-0.5
		x = math.Min(math.Max(math.RoundToEven(x-lo)+lo, lo), hi)
	}
	return x
}

// logPDF returns the log density of the internal value x (for a discrete
// estimator, the log probability of the integer x). buf is scratch space
// of len(e.mus), so that evaluating many points allocates nothing.
func (e *numericParzen) logPDF(x float64, buf []float64) float64 {
	if x < e.low || x > e.high {
		return math.Inf(-1)
	}
	// Summing densities is several times faster than summing them in log
	// space, and as accurate while the sum is a normal float, which the
	// prior component, wide and central, ensures.
	if p := e.pdf(x); p > 0x1p-900 {
		return math.Log(p)
	}
	return e.logPDFTail(x, buf)
}

// pdf is the density (discrete: probability) at x within the bounds,
// summed directly, less terms too small to change it (each below e^-40 of
// the sum); it underflows to 0 far from every component.
func (e *numericParzen) pdf(x float64) float64 {
	sum := 0.0
	if e.discrete {
		lb, ub := math.Max(x-0.5, e.low), math.Min(x+0.5, e.high)
		for i, mu := range e.mus {
			r := e.invSigma[i]
			// The interval's nearest point to mu bounds the density.
			if d := math.Max(math.Abs(x-mu)-0.5, 0) * r; d*d > e.cut[i] {
				continue
			}
			sum += e.scale[i] * gaussMass((lb-mu)*r, (ub-mu)*r)
		}
		return sum
	}
	for i, mu := range e.mus {
		z := (x - mu) * e.invSigma[i]
		if z2 := z * z; z2 <= e.cut[i] {
			sum += e.scale[i] * math.Exp(-0.5*z2)
		}
	}
	return sum
}

// logPDFTail is logPDF in log space, for points where pdf underflows.
func (e *numericParzen) logPDFTail(x float64, buf []float64) float64 {
	if e.discrete {
		lb, ub := math.Max(x-0.5, e.low), math.Min(x+0.5, e.high)
		for i, mu := range e.mus {
			s := e.sigmas[i]
			buf[i] = math.Log(e.weights[i]) + logGaussMass((lb-mu)/s, (ub-mu)/s) - e.logZ[i]
		}
		return logSumExp(buf)
	}
	for i, mu := range e.mus {
		z := (x - mu) / e.sigmas[i]
		buf[i] = e.logC[i] - 0.5*z*z
	}
	return logSumExp(buf)
}

// categoricalParzen is the mixture that models a Choice dimension: each
// observation's component puts weight 1 on its choice on top of an even
// share of the prior weight, and the prior's component is uniform.
type categoricalParzen struct {
	logP []float64 // log probability of each choice under the mixture
	cum  []float64 // cumulative probabilities, for sampling
}

// newCategoricalParzen returns the estimator of obs, the indices of the
// observed choices (in the order observed) among k choices.
func newCategoricalParzen(obs []int, k int, p parzenParams) (*categoricalParzen, error) {
	n := len(obs)
	w, prior, err := mixtureWeights(n, p)
	if err != nil {
		return nil, err
	}
	// Every observation's component adds share to each choice and 1 to
	// its own, then is normalised by k*share+1.
	share := p.priorWeight / float64(n)
	if prior {
		share = p.priorWeight / float64(n+1)
	}
	mass := make([]float64, k)
	obsWeight := 0.0
	for j, c := range obs {
		mass[c] += w[j]
		obsWeight += w[j]
	}
	e := &categoricalParzen{logP: make([]float64, k), cum: make([]float64, k)}
	acc := 0.0
	for c := range k {
		pc := 0.0
		if n > 0 {
			pc = (share*obsWeight + mass[c]) / (float64(k)*share + 1)
		}
		if prior {
			pc += w[n] / float64(k)
		}
		e.logP[c] = math.Log(pc)
		acc += pc
		e.cum[c] = acc
	}
	return e, nil
}

// sample draws the index of a choice.
func (e *categoricalParzen) sample(rng *rand.Rand) int {
	return pick(e.cum, rng.Float64())
}

// pick returns the index that u, uniform in [0, 1), selects from
// cumulative weights cum: the first whose cumulative weight exceeds u
// times their total.
func pick(cum []float64, u float64) int {
	u *= cum[len(cum)-1]
	i, _ := slices.BinarySearchFunc(cum, u, func(c, u float64) int {
		if c <= u {
			return -1
		}
		return 1
	})
	// Rounding can leave u at the total itself.
	return min(i, len(cum)-1)
}

// logSumExp returns log(Σ exp(t)) without overflow. t is not empty.
func logSumExp(t []float64) float64 {
	m := slices.Max(t)
	if math.IsInf(m, 0) {
		return m
	}
	sum := 0.0
	for _, v := range t {
		sum += math.Exp(v - m)
	}
	return m + math.Log(sum)
}

// ndtr is the standard normal CDF, accurate in both tails.
func ndtr(a float64) float64 {
	x := a / math.Sqrt2
	switch {
	case x < -1/math.Sqrt2:
		return 0.5 * math.Erfc(-x)
	case x < 1/math.Sqrt2:
		return 0.5 + 0.5*math.Erf(x)
	}
	return 1 - 0.5*math.Erfc(x)
}

// logNdtr is log Φ(a), accurate far into the left tail, where Φ itself
// underflows (an asymptotic series below -20, as in Optuna and Cephes).
func logNdtr(a float64) float64 {
	switch {
	case a > 6:
		return math.Log1p(-ndtr(-a))
	case a > -20:
		return math.Log(ndtr(a))
	}
	logLHS := -0.5*a*a - math.Log(-a) - logSqrt2Pi
	// Σ (-1)^i (2i-1)!! / a^(2i), summed until it stops changing.
	last, rhs := 0.0, 1.0
	num, denom, sign := 1.0, 1.0, 1.0
	for i := 1; math.Abs(last-rhs) > 0x1p-52 && i < 100; i++ {
		last = rhs
		sign = -sign
		denom /= a * a
		num *= float64(2*i - 1)
		rhs += sign * num * denom
	}
	return logLHS + math.Log(rhs)
}

// logGaussMass is the log of the standard normal's mass within [a, b],
// computed in the left tail where that is accurate (the right one is its
// mirror image).
func logGaussMass(a, b float64) float64 {
	switch {
	case b <= 0:
		return logDiff(logNdtr(b), logNdtr(a))
	case a > 0:
		return logDiff(logNdtr(-a), logNdtr(-b))
	}
	// Central: 1 minus both tails, which avoids the cancellation of
	// subtracting two CDFs near 1.
	return math.Log1p(-ndtr(a) - ndtr(-b))
}

// gaussMass is the standard normal's mass within [a, b], computed from
// the tail that the interval lies in so that narrow intervals far from the
// mean keep their precision (until they underflow; logGaussMass does not).
func gaussMass(a, b float64) float64 {
	switch {
	case b <= 0:
		return ndtr(b) - ndtr(a)
	case a > 0:
		return ndtr(-a) - ndtr(-b)
	}
	// Central: a tail beyond 9 sigma (below 1.2e-19) cannot change 1 minus
	// the other (at least 1/2) in float64, so it is not computed.
	m := 1.0
	if a > -9 {
		m -= ndtr(a)
	}
	if b < 9 {
		m -= ndtr(-b)
	}
	return m
}

// logDiff is log(exp(p) - exp(q)) for q <= p.
func logDiff(p, q float64) float64 {
	if math.IsInf(q, -1) {
		return p
	}
	return p + math.Log1p(-math.Exp(q-p))
}

// logAddExp is log(exp(p) + exp(q)).
func logAddExp(p, q float64) float64 {
	switch {
	case math.IsInf(p, -1):
		return q
	case math.IsInf(q, -1):
		return p
	}
	m := math.Max(p, q)
	return m + math.Log1p(math.Exp(-math.Abs(p-q)))
}

// truncNormPPF is the q-quantile of the standard normal truncated to
// [a, b], a < b. Like Optuna it works from the tail that a or b lies in,
// in log space, so that it stays accurate far from the mean.
func truncNormPPF(q, a, b float64) float64 {
	switch {
	case q <= 0:
		return a
	case q >= 1:
		return b
	}
	var x float64
	if a < 0 {
		x = ndtriExp(logAddExp(logNdtr(a), math.Log(q)+logGaussMass(a, b)))
	} else {
		x = -ndtriExp(logAddExp(logNdtr(-b), math.Log1p(-q)+logGaussMass(a, b)))
	}
	return math.Min(math.Max(x, a), b)
}

// ndtriExp is the inverse of logNdtr: the x for which log Φ(x) = y.
func ndtriExp(y float64) float64 {
	switch {
	case y >= 0:
		return math.Inf(1)
	case y > -math.Ln2:
		// Φ(x) > 1/2: invert the complement, which keeps its precision.
		return -mathext.NormalQuantile(-math.Expm1(y))
	case y > -700:
		return mathext.NormalQuantile(math.Exp(y))
	}
	// Φ(x) underflows: bisect logNdtr, as Optuna does everywhere.
	lo, hi := -1e3, 0.0
	for range 100 {
		m := 0.5 * (lo + hi)
		if logNdtr(m) < y {
			lo = m
		} else {
			hi = m
		}
	}
	return 0.5 * (lo + hi)
}
