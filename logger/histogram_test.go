package logger

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestDefaultEdgesMatchPyTorch checks the edges against every bucket limit
// PyTorch wrote in testdata/torch-1.13: each must be one of our edges, bit
// for bit, and the limits of a histogram must be consecutive edges.
func TestDefaultEdgesMatchPyTorch(t *testing.T) {
	// 1e-12·1.1^k < 1e20 for k = 0..773: 774 edges a side, plus 0.
	if len(defaultEdges) != 2*774+1 {
		t.Errorf("%d edges, want %d", len(defaultEdges), 2*774+1)
	}
	if !slices.IsSorted(defaultEdges) {
		t.Error("edges not sorted")
	}
	index := map[float64]int{}
	for i, e := range defaultEdges {
		index[e] = i
	}
	for run, r := range loadExpected(t) {
		for tag, hs := range r.Histograms {
			for _, h := range hs {
				first, ok := index[h.BucketLimit[0]]
				if !ok {
					t.Errorf("%s %s: limit %v is not a default edge", run, tag, h.BucketLimit[0])
					continue
				}
				if !slices.Equal(h.BucketLimit, defaultEdges[first:first+len(h.BucketLimit)]) {
					t.Errorf("%s %s step %d: limits are not consecutive default edges", run, tag, h.Step)
				}
			}
		}
	}
}

// TestFillHistogramMatchesPyTorch rebuilds values consistent with each
// histogram PyTorch wrote (the min, the max, and each bucket's other
// values at its bin's left edge, which numpy counts in that bin) and checks
// that FillHistogram gives the same min, max, num, limits and counts,
// exactly. The raw values behind the testdata are not stored, so sum and
// sum_squares are checked separately (TestFillHistogramSums).
func TestFillHistogramMatchesPyTorch(t *testing.T) {
	index := map[float64]int{}
	for i, e := range defaultEdges {
		index[e] = i
	}
	var h Histogram
	for run, r := range loadExpected(t) {
		for tag, hs := range r.Histograms {
			for _, want := range hs {
				var values []float64
				firstEdge := index[want.BucketLimit[0]]
				for i, c := range want.Bucket {
					left := defaultEdges[firstEdge+i-1] // bucket i is the bin [edge, BucketLimit[i])
					for range int(c) {
						values = append(values, min(max(left, want.Min), want.Max))
					}
				}
				values[0], values[len(values)-1] = want.Min, want.Max
				if err := FillHistogram(&h, values); err != nil {
					t.Fatal(err)
				}
				if !same(h.Min, want.Min) || !same(h.Max, want.Max) || h.Num != want.Num ||
					!sameSlice(h.BucketLimit, want.BucketLimit) || !sameSlice(h.Bucket, want.Bucket) {
					t.Errorf("%s %s step %d:\n got limits %v buckets %v\nwant limits %v buckets %v",
						run, tag, want.Step, h.BucketLimit, h.Bucket, want.BucketLimit, want.Bucket)
				}
			}
		}
	}
}

func TestFillHistogramCases(t *testing.T) {
	zero := index(0)
	for _, tc := range []struct {
		name    string
		values  []float64
		limits  []float64
		buckets []float64
		num     float64
	}{
		// 0 lies in the bin [0, 1e-12); one empty bin precedes it.
		{"zero", []float64{0}, defaultEdges[zero : zero+2], []float64{0, 1}, 1},
		// An edge belongs to the bin it starts, as in numpy.histogram.
		{"on an edge", []float64{1e-12, 1e-12}, defaultEdges[zero+1 : zero+3], []float64{0, 2}, 2},
		// The lowest bin has no bin before it: PyTorch pads a zero.
		{"lowest bin", []float64{-1e25}, defaultEdges[0:2], []float64{0, 1}, 1},
		// The top edge is in the last bin, which numpy closes.
		{"top edge", []float64{defaultEdges[len(defaultEdges)-1]}, defaultEdges[len(defaultEdges)-2:], []float64{0, 1}, 1},
		// NaN and Inf are left out.
		{"non-finite", []float64{math.NaN(), 0, math.Inf(1), math.Inf(-1)}, defaultEdges[zero : zero+2], []float64{0, 1}, 1},
		// -1e-12 is in [-1e-12, 0) and 1e-12 in [1e-12, 1.1e-12); the empty
		// bin between them is kept.
		{"gap", []float64{1e-12, -1e-12}, defaultEdges[zero-1 : zero+3], []float64{0, 1, 0, 1}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h Histogram
			if err := FillHistogram(&h, tc.values); err != nil {
				t.Fatal(err)
			}
			if !sameSlice(h.BucketLimit, tc.limits) || !sameSlice(h.Bucket, tc.buckets) || h.Num != tc.num {
				t.Errorf("got limits %v buckets %v num %v\nwant limits %v buckets %v num %v",
					h.BucketLimit, h.Bucket, h.Num, tc.limits, tc.buckets, tc.num)
			}
		})
	}
	var h Histogram
	for _, bad := range [][]float64{nil, {math.NaN()}, {math.Inf(1), math.Inf(-1)}} {
		if err := FillHistogram(&h, bad); err == nil {
			t.Errorf("FillHistogram(%v) succeeded", bad)
		}
	}
}

func index(v float64) int { return slices.Index(defaultEdges, v) }

// TestFillHistogramSums checks the pairwise sums against sums in exact
// arithmetic. Reference: sum of 1..n is n(n+1)/2 and of squares
// n(n+1)(2n+1)/6, exact in float64 for these n; a value with a small part
// added to a large one shows the pairwise order (0.1 added 1000 times,
// tolerance 1e-13 relative, where a running sum errs by about 1e-14·n).
func TestFillHistogramSums(t *testing.T) {
	for _, n := range []int{1, 7, 8, 9, 128, 129, 1000, 4099} {
		values := make([]float64, n)
		for i := range values {
			values[i] = float64(i + 1)
		}
		var h Histogram
		if err := FillHistogram(&h, values); err != nil {
			t.Fatal(err)
		}
		fn := float64(n)
		if want := fn * (fn + 1) / 2; h.Sum != want {
			t.Errorf("n=%d: sum %v, want %v", n, h.Sum, want)
		}
		if want := fn * (fn + 1) * (2*fn + 1) / 6; h.SumSquares != want {
			t.Errorf("n=%d: sum of squares %v, want %v", n, h.SumSquares, want)
		}
	}
	tenths := make([]float64, 1000)
	for i := range tenths {
		tenths[i] = 0.1
	}
	if got := pairwiseSum(tenths, false); math.Abs(got-100) > 1e-13*100 {
		t.Errorf("pairwise sum of 1000×0.1 = %v, want 100 within 1e-13 relative", got)
	}
}

// TestBinMatchesSearch compares the logarithm-guided bin with a binary
// search of the edges: on every edge, its neighbours one ulp away, and
// random values over the whole range of magnitudes.
func TestBinMatchesSearch(t *testing.T) {
	var values []float64
	for _, e := range defaultEdges {
		values = append(values, e, math.Nextafter(e, math.Inf(-1)), math.Nextafter(e, math.Inf(1)))
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 100000 {
		values = append(values, math.Copysign(math.Pow(10, rng.Float64()*50-30), rng.Float64()-0.5))
	}
	values = append(values, 0, math.Copysign(0, -1), 1e300, -1e300, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64)
	for _, v := range values {
		if got, want := bin(v), binSearch(v); got != want {
			t.Fatalf("bin(%v) = %d, want %d", v, got, want)
		}
	}
}
