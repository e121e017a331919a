package dataset

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// dateLayouts are the forms a date column's cells may take: ISO 8601 dates
// and timestamps (with or without a zone, 'T' or a space between date and
// time, fractional seconds allowed), and the compact 20060102. A timestamp
// without a zone is taken as UTC.
var dateLayouts = []string{
	"2006-01-02",
	time.RFC3339,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"20060102",
}

// DateForms says in words which cells a date column accepts.
const DateForms = "an ISO 8601 date or timestamp (2024-01-31, 2024-01-31T16:00:00Z, 2024-01-31 16:00:00) or 20240131"

// parseDate returns the instant a date cell names, in Unix nanoseconds.
func parseDate(s string) (int64, error) {
	s = strings.TrimSpace(s)
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixNano(), nil
		}
	}
	return 0, fmt.Errorf("%q is not a date: want %s", s, DateForms)
}

// Embargo is the gap left out between the training rows and the
// validation rows: Count rows (or distinct dates, with a date column), or
// the rows within Span of the last training date.
type Embargo struct {
	Count int
	Span  time.Duration
}

// ParseEmbargo reads an embargo setting: a whole number ("5": rows, or
// dates with a date column) or a span of days, weeks or hours ("5d", "2w",
// "12h").
func ParseEmbargo(s string) (Embargo, error) {
	if s == "" {
		return Embargo{}, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 {
			return Embargo{}, fmt.Errorf("%q is negative", s)
		}
		return Embargo{Count: n}, nil
	}
	units := map[byte]time.Duration{'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}
	unit, ok := units[s[len(s)-1]]
	n, err := strconv.Atoi(s[:len(s)-1])
	if !ok || err != nil || n < 0 {
		return Embargo{}, fmt.Errorf("%q is not an embargo: want a number of rows (or dates), or a span such as \"5d\", \"2w\" or \"12h\"", s)
	}
	return Embargo{Span: time.Duration(n) * unit}, nil
}

// The window of a walk-forward split's training rows.
const (
	WindowExpanding = "expanding" // every step before the fold's validation rows (less the embargo)
	WindowRolling   = "rolling"   // the last train_size steps of those
)

// timeOrder returns t's rows in time order (by date, stably, with a date
// column; else file order) and, for each position, whether its row starts
// a new step: a new date, or any row without a date column.
func timeOrder(t *table) (order []int, stepStarts []int) {
	n := t.rows()
	order = make([]int, n)
	for i := range order {
		order[i] = i
	}
	if t.dates == nil {
		return order, order // every row its own step
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(t.dates[a], t.dates[b]) })
	for i := range order {
		if i == 0 || t.dates[order[i]] != t.dates[order[i-1]] {
			stepStarts = append(stepStarts, i)
		}
	}
	return order, stepStarts
}

// walkForwardFold returns the training and validation rows of fold f
// (from 1) of spec's walk-forward split of t, or why there are none. The
// folds are scikit-learn's TimeSeriesSplit(n_splits=folds, gap=embargo,
// max_train_size=train_size for a rolling window) over the steps of t
// (dates, or rows without a date column): of n steps, each fold validates
// on the next n/(folds+1) steps, the last fold on the last ones, and
// trains on the steps before them less the embargo. A span embargo leaves
// out the steps within that span of the fold's first validation date.
func walkForwardFold(t *table, spec Spec, f int) (train, val []int, err error) {
	order, starts := timeOrder(t)
	n := len(starts)
	k := spec.Folds
	testSize := n / (k + 1)
	if testSize < 1 {
		return nil, nil, fmt.Errorf("%d %s are too few for %d walk-forward folds", n, stepName(t), k)
	}
	embargo, _ := ParseEmbargo(spec.Embargo) // Validate has checked it
	testStart := n - (k-f+1)*testSize
	trainEnd := testStart - embargo.Count
	if embargo.Span > 0 {
		limit := t.dates[order[starts[testStart]]] - int64(embargo.Span)
		for trainEnd > 0 && t.dates[order[starts[trainEnd-1]]] >= limit {
			trainEnd--
		}
	}
	trainStart := 0
	if spec.Window == WindowRolling && spec.TrainSize > 0 {
		trainStart = max(0, trainEnd-spec.TrainSize)
	}
	if trainEnd <= trainStart {
		return nil, nil, fmt.Errorf("fold %d of %d: the embargo %q leaves no training %s before its validation", f, k, spec.Embargo, stepName(t))
	}
	rows := func(from, to int) []int { // the rows of steps [from, to)
		end := len(order)
		if to < n {
			end = starts[to]
		}
		return order[starts[from]:end]
	}
	return rows(trainStart, trainEnd), rows(testStart, testStart+testSize), nil
}

func stepName(t *table) string {
	if t.dates != nil {
		return "dates"
	}
	return "rows"
}

// chronologicalSplit returns the training and validation rows of t in time
// order: by date (stable, so that a file's order within a date stays) with
// a date column, else by file order. The split falls between two dates,
// at the date boundary nearest to nTrain rows (ties: more training), so
// that rows sharing a date (a panel) are on one side; then the embargo's
// rows are left out.
func chronologicalSplit(t *table, nTrain int, embargo Embargo) (train, val []int) {
	n := t.rows()
	order, starts := timeOrder(t)
	isStart := func(i int) bool { _, found := slices.BinarySearch(starts, i); return found }
	if t.dates != nil {
		nTrain = nearestBoundary(n, nTrain, isStart)
	}
	valStart := nTrain
	switch {
	case embargo.Span > 0 && nTrain > 0:
		limit := t.dates[order[nTrain-1]] + int64(embargo.Span)
		for valStart < n && t.dates[order[valStart]] <= limit {
			valStart++
		}
	case embargo.Count > 0:
		for steps := 0; valStart < n; valStart++ {
			if valStart > nTrain && isStart(valStart) {
				steps++
			}
			if steps == embargo.Count {
				break
			}
		}
	}
	return order[:nTrain], order[valStart:]
}

// nearestBoundary returns the start of a step nearest to want, preferring
// the later on a tie; 0 and n count as starts.
func nearestBoundary(n, want int, isStart func(int) bool) int {
	best, bestDist := 0, math.MaxInt
	for i := 0; i <= n; i++ {
		if i > 0 && i < n && !isStart(i) {
			continue
		}
		if d := abs(i - want); d <= bestDist {
			best, bestDist = i, d
		} else {
			break // past want, distances only grow
		}
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
