package search

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
)

// Pruner decides whether a running trial stops early.
type Pruner interface {
	// Report gives the trial's learning curve so far: curve[i] is the objective's value
	// (minimised) after epoch i+1 (so len(curve) epochs have run). It says whether the trial should stop now.
	// Report is called after every epoch; a trial that is run again (after an interruption)
	// reports from its first epoch again, and must get consistent answers (idempotent records).
	Report(trial string, curve []float64) (stop bool, err error)
}

// BestSoFar returns a trial's score after len(curve) epochs: the least
// value of curve, NaN entries ignored, or +Inf when curve holds no value
// that is not NaN. A curve that rises after its minimum keeps its minimum,
// so a trial is judged on the best model it has produced, not on its last
// noisy epoch.
func BestSoFar(curve []float64) float64 {
	best := math.Inf(1)
	for _, v := range curve {
		if v < best { // false for NaN
			best = v
		}
	}
	return best
}

// nanMin is numpy's nanmin: the least value of curve, NaN entries ignored,
// NaN when every entry is NaN (or there is none). Optuna's pruners use it,
// and tell a curve of NaNs from one of +Infs.
func nanMin(curve []float64) float64 {
	best := math.NaN()
	for _, v := range curve {
		if !math.IsNaN(v) && !(v >= best) {
			best = v
		}
	}
	return best
}

// percentile is numpy's nanpercentile(xs, pct) with the default linear
// method, to the last bit (numpy 1.24): NaN entries are dropped, the rest
// sorted, and the value at the fractional index h = (n-1)·pct/100
// interpolated between its two neighbours. It is NaN when xs holds no
// value that is not NaN. xs is not modified. The pruners' rules come from
// Python code built on numpy, and a score within rounding of a cutoff is
// a tie that rounding decides, so the rounding is numpy's too.
func percentile(xs []float64, pct float64) float64 {
	s := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			s = append(s, x)
		}
	}
	if len(s) == 0 {
		return math.NaN()
	}
	slices.Sort(s)
	n := len(s)
	h := float64(n-1) * (pct / 100)
	if h >= float64(n-1) {
		// numpy takes index -1 for both neighbours, so its weight is h+1;
		// that matters only to an infinite end, which becomes NaN.
		return lerp(s[n-1], s[n-1], h+1)
	}
	lo := int(math.Floor(h))
	return lerp(s[lo], s[lo+1], h-float64(lo))
}

// lerp interpolates as numpy's quantile does (numpy >= 1.22): from a when
// t < 0.5 and back from b otherwise, so that the result is monotonic in t
// and exact at both ends; this keeps the last bit equal to numpy's.
func lerp(a, b, t float64) float64 {
	d := b - a
	if t >= 0.5 {
		return b - d*(1-t)
	}
	return a + d*t
}

// checkTrialID rejects a trial id that cannot safely name a file in a rung
// directory: ids are hex hashes, so anything that could leave the
// directory, hide the file (a leading dot marks temporary files) or be
// empty is an error in the caller.
func checkTrialID(id string) error {
	switch {
	case id == "":
		return errors.New("search: empty trial id")
	case strings.HasPrefix(id, "."), strings.Contains(id, ".."),
		strings.ContainsAny(id, `/\`+string(os.PathSeparator)+"\x00"):
		return fmt.Errorf("search: trial id %q cannot name a file", id)
	}
	return nil
}
