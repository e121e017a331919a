package logger

import (
	"errors"
	"math"
	"slices"
	"sort"
	"sync"
)

// defaultEdges are PyTorch's default histogram bucket edges ("tensorflow"
// bins in torch.utils.tensorboard): ±1e-12·1.1^k up to 1e20, and 0. They are
// built by repeated multiplication, as PyTorch builds them, so that every
// edge is bit-identical to PyTorch's.
var defaultEdges = func() []float64 {
	var pos []float64
	for v := 1e-12; v < 1e20; v *= 1.1 {
		pos = append(pos, v)
	}
	edges := make([]float64, 0, 2*len(pos)+1)
	for i := len(pos) - 1; i >= 0; i-- {
		edges = append(edges, -pos[i])
	}
	edges = append(edges, 0)
	return append(edges, pos...)
}()

// DefaultBucketEdges returns a copy of PyTorch's default histogram bucket
// edges, in increasing order.
func DefaultBucketEdges() []float64 { return slices.Clone(defaultEdges) }

// errNoFinite is returned for a histogram without a finite value.
var errNoFinite = errors.New("no finite value")

// countsPool holds the dense per-bin counts that FillHistogram works in;
// only the bins between the smallest and largest value are touched and
// cleared again, so a call costs O(len(values)·log(bins) + span).
var countsPool = sync.Pool{New: func() any { s := make([]float64, len(defaultEdges)-1); return &s }}

// FillHistogram sets dst to the histogram of values that PyTorch's
// SummaryWriter.add_histogram writes with its default bins, reusing dst's
// slices. As numpy.histogram does, bin i holds the values in
// [edge_i, edge_i+1) and the last bin also its right edge; the buckets kept
// run from the first to the last non-empty bin, preceded by one empty bin
// so that TensorBoard sees the left edge, and each bucket's limit is its
// bin's right edge. Min, Max, Num and the buckets are exact. Sum and
// SumSquares follow numpy's pairwise summation order, so they agree with
// PyTorch's to rounding (PyTorch's sum_squares is a BLAS dot product, whose
// order depends on the BLAS build).
//
// Values that are NaN or ±Inf are left out (num counts only finite values):
// PyTorch would write NaN for min, max and sum, which TensorBoard cannot
// draw. A finite value beyond ±1e20, outside the default edges, is counted
// in the outermost bin, where numpy would drop it while still reporting it
// as min or max. FillHistogram returns an error if values holds no finite
// value.
func FillHistogram(dst *Histogram, values []float64) error {
	finite := values
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			// Rare: copy the finite values so that the sums below see
			// them in order, as numpy would see the filtered array.
			finite = slices.Clone(values[:i])
			for _, v := range values[i+1:] {
				if !math.IsNaN(v) && !math.IsInf(v, 0) {
					finite = append(finite, v)
				}
			}
			break
		}
	}
	if len(finite) == 0 {
		return errNoFinite
	}

	countsp := countsPool.Get().(*[]float64)
	defer countsPool.Put(countsp)
	counts := *countsp
	lo, hi := len(counts), -1
	mn, mx := math.Inf(1), math.Inf(-1)
	for _, v := range finite {
		mn, mx = min(mn, v), max(mx, v)
		i := bin(v)
		counts[i]++
		lo, hi = min(lo, i), max(hi, i)
	}

	// The kept buckets are bins lo-1 .. hi, with the right edges
	// edges[lo] .. edges[hi+1]; for lo == 0 a zero bucket stands in for the
	// missing bin -1, as PyTorch pads it.
	dst.BucketLimit = append(dst.BucketLimit[:0], defaultEdges[lo:hi+2]...)
	dst.Bucket = dst.Bucket[:0]
	if lo == 0 {
		dst.Bucket = append(dst.Bucket, 0)
		dst.Bucket = append(dst.Bucket, counts[:hi+1]...)
	} else {
		dst.Bucket = append(dst.Bucket, counts[lo-1:hi+1]...)
	}
	clear(counts[lo : hi+1])

	dst.Min, dst.Max = mn, mx
	dst.Num = float64(len(finite))
	dst.Sum = pairwiseSum(finite, false)
	dst.SumSquares = pairwiseSum(finite, true)
	return nil
}

// zeroEdge is the index of the edge 0; edges zeroEdge±(k+1) are ±1e-12·1.1^k.
var zeroEdge = len(defaultEdges) / 2

// invLog11 is 1/ln(1.1), to turn a magnitude into an edge number.
var invLog11 = 1 / math.Log(1.1)

// bin returns the index of the default bin holding the finite v: the last
// edge <= v, with the top edge itself in the last bin and values beyond the
// edges clamped to the outer bins. A logarithm guesses the edge and exact
// comparisons settle it, so the result is what a search of the edges gives
// (binSearch, which the tests compare it with) at a fraction of the cost.
func bin(v float64) int {
	i := zeroEdge
	if a := math.Abs(v); a >= 1e-12 {
		// Clamped before the conversion: a huge a would overflow int.
		k := int(min((math.Log(a)+12*math.Ln10)*invLog11, float64(len(defaultEdges))))
		if v > 0 {
			i = min(zeroEdge+1+k, len(defaultEdges)-1)
		} else {
			i = max(zeroEdge-2-k, 0)
		}
	}
	for i+1 < len(defaultEdges) && defaultEdges[i+1] <= v {
		i++
	}
	for i > 0 && defaultEdges[i] > v {
		i--
	}
	return min(i, len(defaultEdges)-2)
}

// binSearch is bin by binary search: the reference that bin is tested
// against.
func binSearch(v float64) int {
	i := sort.Search(len(defaultEdges), func(j int) bool { return defaultEdges[j] > v })
	return min(max(i-1, 0), len(defaultEdges)-2)
}

// pairwiseBlock is numpy's PW_BLOCKSIZE.
const pairwiseBlock = 128

// pairwiseSum returns the sum of a (of its squares if square) in the order
// numpy's pairwise summation (pairwise_sum in its loops) uses for a
// contiguous float64 array: it is more accurate than a running sum, and it
// keeps results close to PyTorch's.
func pairwiseSum(a []float64, square bool) float64 {
	term := func(x float64) float64 {
		if square {
			return x * x
		}
		return x
	}
	n := len(a)
	switch {
	case n < 8:
		res := 0.0
		for _, x := range a {
			res += term(x)
		}
		return res
	case n <= pairwiseBlock:
		var r [8]float64
		for j := range r {
			r[j] = term(a[j])
		}
		i := 8
		for ; i < n-n%8; i += 8 {
			for j := range r {
				r[j] += term(a[i+j])
			}
		}
		res := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			res += term(a[i])
		}
		return res
	}
	n2 := n / 2
	n2 -= n2 % 8
	return pairwiseSum(a[:n2], square) + pairwiseSum(a[n2:], square)
}
