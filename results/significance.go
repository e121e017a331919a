package results

import (
	"maps"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Alpha is the family-wise error rate of the comparisons with the best
// configuration, and 1-Alpha the confidence level of the intervals.
const Alpha = 0.05

// The tests a Comparison names; TestBest marks the best configuration
// itself, TestNone a comparison with too few seeds.
const (
	TestBest   = "best"
	TestPaired = "paired t" // on the seeds both configurations share
	TestWelch  = "Welch t"  // on all their seeds, unpaired
	TestNone   = "none"
)

// Comparison is how one configuration's scores compare with the best
// configuration's: a two-sided t-test of equal means, its p-value, and that
// p-value adjusted by Holm's step-down method over every comparison with
// the best in the ranking.
type Comparison struct {
	Test  string  // TestPaired, TestWelch, TestNone or TestBest
	Pairs int     // shared seeds, for TestPaired
	Diff  float64 // this configuration's mean minus the best's (on the pairs for TestPaired)
	P     float64 // two-sided p-value; NaN for TestNone
	PHolm float64 // P adjusted for the number of comparisons; NaN for TestNone
	// Tied reports that the configuration is statistically
	// indistinguishable from the best: PHolm >= Alpha.
	Tied bool
}

// meanCI is the 1-Alpha confidence interval of the mean of x by Student's
// t with len(x)-1 degrees of freedom; NaNs when len(x) < 2.
func meanCI(x []float64) (lo, hi float64) {
	if len(x) < 2 {
		return math.NaN(), math.NaN()
	}
	mean, std := stat.MeanStdDev(x, nil)
	half := tQuantile(1-Alpha/2, float64(len(x)-1)) * std / math.Sqrt(float64(len(x)))
	return mean - half, mean + half
}

func tQuantile(p, df float64) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(p)
}

// tTwoSided is the two-sided p-value of statistic t with df degrees of
// freedom.
func tTwoSided(t, df float64) float64 {
	return math.Min(1, 2*distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Survival(math.Abs(t)))
}

// degenerate is the p-value when the spread is exactly zero: the data show
// a difference without noise (0) or none at all (1). Scores from a
// deterministic model with the same seed can do this.
func degenerate(diff float64) float64 {
	if diff == 0 {
		return 1
	}
	return 0
}

// pairedT tests that the mean of the differences d is zero.
func pairedT(d []float64) (diff, p float64) {
	mean, std := stat.MeanStdDev(d, nil)
	if std == 0 {
		return mean, degenerate(mean)
	}
	n := float64(len(d))
	return mean, tTwoSided(mean/(std/math.Sqrt(n)), n-1)
}

// welchT tests that a and b have equal means without assuming equal
// variances, with the Welch–Satterthwaite degrees of freedom.
func welchT(a, b []float64) (diff, p float64) {
	ma, sa := stat.MeanStdDev(a, nil)
	mb, sb := stat.MeanStdDev(b, nil)
	na, nb := float64(len(a)), float64(len(b))
	va, vb := sa*sa/na, sb*sb/nb
	diff = ma - mb
	if va+vb == 0 {
		return diff, degenerate(diff)
	}
	df := (va + vb) * (va + vb) / (va*va/(na-1) + vb*vb/(nb-1))
	return diff, tTwoSided(diff/math.Sqrt(va+vb), df)
}

// compare tests x against the best configuration's scores, both by seed.
// Repeat r of every configuration has the sweep's seed + r, so seeds are
// shared and a paired test removes the seed's own effect (the data split,
// the initial weights) from the comparison; where fewer than two seeds are
// shared (a failed seed, records from another grid) it falls back to
// Welch's test, and with fewer than two scores on a side there is no test.
func compare(x, best map[int64]float64) Comparison {
	var d []float64
	for _, seed := range slices.Sorted(maps.Keys(x)) {
		if b, ok := best[seed]; ok {
			d = append(d, x[seed]-b)
		}
	}
	if len(d) >= 2 {
		diff, p := pairedT(d)
		return Comparison{Test: TestPaired, Pairs: len(d), Diff: diff, P: p}
	}
	if len(x) >= 2 && len(best) >= 2 {
		diff, p := welchT(values(x), values(best))
		return Comparison{Test: TestWelch, Diff: diff, P: p}
	}
	return Comparison{Test: TestNone, Diff: stat.Mean(values(x), nil) - stat.Mean(values(best), nil),
		P: math.NaN(), PHolm: math.NaN()}
}

// holm adjusts the p-values of the tested comparisons by Holm's step-down
// method, which holds the family-wise error rate at Alpha for any
// dependence between the tests: the i-th smallest of m p-values is
// multiplied by m-i+1, and adjusted values never decrease in that order.
func holm(cs []*Comparison) {
	var tested []*Comparison
	for _, c := range cs {
		if c.Test != TestNone {
			tested = append(tested, c)
		}
	}
	sort.SliceStable(tested, func(i, j int) bool { return tested[i].P < tested[j].P })
	m := len(tested)
	running := 0.0
	for i, c := range tested {
		running = math.Max(running, math.Min(1, float64(m-i)*c.P))
		c.PHolm = running
		c.Tied = c.PHolm >= Alpha
	}
}

// compareWithBest fills in the confidence intervals of r's ranked rows and,
// when some configuration has two scores or more, compares every ranked
// row with the first (the best under the objective's mode), then ranks the
// rows tied with it first too: ranks read 1, 1, 3, ...
func (r *Ranking) compareWithBest() {
	var ranked []*Row
	for i := range r.Rows {
		if row := &r.Rows[i]; row.ranked {
			row.CILow, row.CIHigh = meanCI(values(row.scores))
			if row.Score.N >= 2 {
				r.Tested = true
			}
			ranked = append(ranked, row)
		}
	}
	if !r.Tested {
		return
	}
	best := ranked[0]
	best.Versus = &Comparison{Test: TestBest, P: 1, PHolm: 1, Tied: true}
	var cs []*Comparison
	for _, row := range ranked[1:] {
		c := compare(row.scores, best.scores)
		row.Versus = &c
		cs = append(cs, row.Versus)
	}
	holm(cs)
	r.Compared = len(cs)
	for _, row := range ranked {
		if row.Versus.Tied {
			row.Rank = 1
		}
	}
}

func values(m map[int64]float64) []float64 {
	out := make([]float64, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}
