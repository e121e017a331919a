package search

import (
	"errors"
	"math"
	"testing"
)

// medianDone are five completed curves of differing lengths. Their values,
// sorted, at each epoch, and the median (numpy percentile 50, linear):
//
//	epoch 1: 0.5 1 1 2 3          → 1
//	epoch 2: 0.4 0.7 0.9 1 2      → 0.9
//	epoch 3: 0.5 0.6 0.8 1        → 0.7 (0.6 + (0.8-0.6)/2; the fourth curve is too short)
//	epoch 4: 0.9                  → 0.9
//	epoch 5: none                 → no median: never pruned
var medianDone = [][]float64{
	{1.0, 0.9, 0.8},
	{1.0, 0.7, 0.5},
	{2.0, 1.0, 0.6},
	{0.5, 0.4},
	{3.0, 2.0, 1.0, 0.9},
}

func completedOf(curves [][]float64) Completed {
	return func(i int) (int, []float64, error) {
		var vs []float64
		for _, c := range curves {
			if i < len(c) {
				vs = append(vs, c[i])
			}
		}
		return len(curves), vs, nil
	}
}

type medianCase struct {
	name  string
	curve []float64
	stop  bool
}

func runMedianCases(t *testing.T, m *Median, cases []medianCase) {
	t.Helper()
	for _, tc := range cases {
		stop, err := m.Report("3fa2c1", tc.curve)
		if err != nil {
			t.Fatalf("%s: Report(%v): %v", tc.name, tc.curve, err)
		}
		if stop != tc.stop {
			t.Errorf("%s: Report(%v) = %v, want %v", tc.name, tc.curve, stop, tc.stop)
		}
	}
}

func TestMedianDecisions(t *testing.T) {
	m := NewMedian(MedianConfig{}, completedOf(medianDone))
	runMedianCases(t, m, []medianCase{
		{"no epochs yet", nil, false},
		{"epoch 1 above median 1", []float64{1.1}, true},
		{"epoch 1 at median 1: ties go on", []float64{1.0}, false},
		{"epoch 2 above median 0.9", []float64{1.2, 0.95}, true},
		{"epoch 2 below median 0.9", []float64{1.2, 0.85}, false},
		{"best so far 0.8, not last 0.95", []float64{0.8, 0.95}, false},
		{"epoch 3 above median 0.7", []float64{1, 1, 0.71}, true},
		// Had the short fourth curve counted with its last value 0.4, the
		// median would be 0.6 and this would stop.
		{"epoch 3 below median 0.7", []float64{1, 1, 0.69}, false},
		{"epoch 4 above median 0.9 of one curve", []float64{1, 1, 1, 0.95}, true},
		{"epoch 5: no completed curve that long", []float64{1, 1, 1, 1, 5}, false},
		{"all NaN prunes", []float64{nanScore}, true},
		{"NaN ignored in best so far", []float64{nanScore, 0.5}, false},
		{"+Inf above any median", []float64{math.Inf(1)}, true},
		{"all NaN prunes with no median too", []float64{nanScore, nanScore, nanScore, nanScore, nanScore}, true},
	})
}

func TestMedianStartupTrials(t *testing.T) {
	// Four completed trials are fewer than the default five: nothing stops.
	m := NewMedian(MedianConfig{}, completedOf(medianDone[:4]))
	runMedianCases(t, m, []medianCase{
		{"bad curve, 4 of 5 startup trials", []float64{5}, false},
		{"NaN curve, 4 of 5 startup trials", []float64{nanScore}, false},
	})
	// With three required, the first three suffice: epoch 1 median of 1 1 2 is 1.
	m = NewMedian(MedianConfig{StartupTrials: 3}, completedOf(medianDone[:3]))
	runMedianCases(t, m, []medianCase{
		{"bad curve, 3 of 3 startup trials", []float64{5}, true},
		{"good curve, 3 of 3 startup trials", []float64{0.9}, false},
	})
	m = NewMedian(MedianConfig{StartupTrials: 3}, completedOf(nil))
	runMedianCases(t, m, []medianCase{{"no completed trial", []float64{5}, false}})
}

func TestMedianWarmUp(t *testing.T) {
	m := NewMedian(MedianConfig{MinEpochs: 3}, completedOf(medianDone))
	runMedianCases(t, m, []medianCase{
		{"epoch 1 in warm-up", []float64{5}, false},
		{"epoch 2 in warm-up", []float64{5, 5}, false},
		{"epoch 2 NaN in warm-up", []float64{nanScore, nanScore}, false},
		{"epoch 3 past warm-up, above median 0.7", []float64{5, 5, 5}, true},
	})
}

func TestMedianNaNCompletedValues(t *testing.T) {
	// Epoch 1 values NaN 1 2 3 NaN: nanmedian leaves the NaNs out → 2.
	done := [][]float64{{nanScore}, {1}, {2}, {3}, {nanScore}}
	m := NewMedian(MedianConfig{}, completedOf(done))
	runMedianCases(t, m, []medianCase{
		{"above nanmedian 2", []float64{2.5}, true},
		{"below nanmedian 2", []float64{1.9}, false},
	})
	// No value that is not NaN: the median is NaN and nothing is pruned.
	m = NewMedian(MedianConfig{}, completedOf([][]float64{{nanScore}, {nanScore}, {nanScore}, {nanScore}, {nanScore}}))
	runMedianCases(t, m, []medianCase{{"median of NaNs", []float64{100}, false}})
}

func TestMedianCompletedError(t *testing.T) {
	boom := errors.New("boom")
	m := NewMedian(MedianConfig{}, func(int) (int, []float64, error) { return 0, nil, boom })
	if _, err := m.Report("3fa2c1", []float64{1}); !errors.Is(err, boom) {
		t.Errorf("Report: error %v, want %v", err, boom)
	}
}
