package logger

import "math"

// Mode says whether lower or higher values of a metric are better.
type Mode int

// The directions of Best.
const (
	Min Mode = iota // lower is better, as for a loss
	Max             // higher is better, as for an accuracy
)

// Point is one value of a metric series.
type Point struct {
	Step  int64
	Value float64
}

// MetricsTracker keeps every metric's series in memory, as the textbook's
// MetricsTracker does, to answer "what was the best validation loss, and
// when" without reading event files back. It is not safe for concurrent
// use.
type MetricsTracker struct {
	series map[string][]Point
}

// NewMetricsTracker returns an empty tracker.
func NewMetricsTracker() *MetricsTracker {
	return &MetricsTracker{series: map[string][]Point{}}
}

// Update appends each value to its metric's series at step.
func (t *MetricsTracker) Update(step int64, values map[string]float64) {
	if t.series == nil {
		t.series = map[string][]Point{}
	}
	for name, v := range values {
		t.series[name] = append(t.series[name], Point{step, v})
	}
}

// Series returns the points of the metric name in the order they were
// added, or nil for an unknown name. The slice is the tracker's own: do not
// modify it.
func (t *MetricsTracker) Series(name string) []Point { return t.series[name] }

// Names returns the tracked metrics' names in sorted order.
func (t *MetricsTracker) Names() []string { return Tags(t.series) }

// Best returns the best value of the metric name by mode and its step; the
// earliest step wins a tie. NaN is never best. ok is false when the series
// holds no value other than NaN.
func (t *MetricsTracker) Best(name string, mode Mode) (value float64, step int64, ok bool) {
	for _, p := range t.series[name] {
		if math.IsNaN(p.Value) {
			continue
		}
		if !ok || (mode == Min && p.Value < value) || (mode == Max && p.Value > value) {
			value, step, ok = p.Value, p.Step, true
		}
	}
	return value, step, ok
}

// Average returns the mean of the last lastN values of the metric name, or
// of all of them if lastN <= 0 or the series is shorter. A NaN among them
// makes the mean NaN: a diverged value is not hidden. ok is false for an
// empty series.
func (t *MetricsTracker) Average(name string, lastN int) (mean float64, ok bool) {
	s := t.series[name]
	if len(s) == 0 {
		return math.NaN(), false
	}
	if lastN > 0 && lastN < len(s) {
		s = s[len(s)-lastN:]
	}
	var sum float64
	for _, p := range s {
		sum += p.Value
	}
	return sum / float64(len(s)), true
}

// Reset forgets every series.
func (t *MetricsTracker) Reset() { clear(t.series) }
