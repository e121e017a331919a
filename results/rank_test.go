package results

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// rankSpecs writes specs as a sweep and ranks it.
func rankSpecs(t *testing.T, specs []trialSpec, opts RankOptions) Ranking {
	t.Helper()
	dir := writeSpecs(t, filepath.Join(t.TempDir(), "s"), []string{"lr"}, specs)
	s, err := LoadSweep(dir)
	if err != nil {
		t.Fatal(err)
	}
	return Rank(s, opts)
}

// order lists "rank:name" for each row.
func order(r Ranking) string {
	var parts []string
	for _, row := range r.Rows {
		parts = append(parts, FormatValue(row.Rank)+":"+row.Name)
	}
	return strings.Join(parts, " ")
}

func succeeded(name string, best *float64, epoch int64) trialSpec {
	return trialSpec{name: name, id: name, config: "c-" + name, status: StatusSucceeded,
		best: best, bestEpoch: epoch, epochs: 10, params: map[string]any{"lr": 0.1}}
}

func failed(name string, best *float64, reason string) trialSpec {
	s := succeeded(name, best, 1)
	s.status, s.err = StatusFailed, reason
	return s
}

func TestRankOrder(t *testing.T) {
	for _, tc := range []struct {
		name  string
		specs []trialSpec
		want  string
	}{
		{"by loss", []trialSpec{succeeded("a", fp(0.3), 1), succeeded("b", fp(0.1), 1), succeeded("c", fp(0.2), 1)},
			"1:b 2:c 3:a"},
		{"tie by earlier best epoch", []trialSpec{succeeded("a", fp(0.1), 9), succeeded("b", fp(0.1), 4)},
			"1:b 2:a"},
		{"tie by name", []trialSpec{succeeded("b", fp(0.1), 4), succeeded("a", fp(0.1), 4)},
			"1:a 2:b"},
		// A failed trial, however low its loss before failing, and a
		// succeeded one without a loss never rank first.
		{"failed and missing go after", []trialSpec{failed("a", fp(0.001), "crashed"),
			succeeded("b", nil, 0), succeeded("c", fp(0.5), 3), failed("d", nil, "diverged")},
			"1:c 0:a 0:b 0:d"},
		{"all failed", []trialSpec{failed("b", nil, "x"), failed("a", nil, "y")}, "0:a 0:b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := order(rankSpecs(t, tc.specs, RankOptions{})); got != tc.want {
				t.Errorf("order %q, want %q", got, tc.want)
			}
		})
	}
}

// A NaN that reaches Rank without going through a file (a record built in
// memory) is treated as missing, never as the lowest loss.
func TestRankNaNInMemory(t *testing.T) {
	nan := succeeded("nan", fp(math.NaN()), 1).record(nil)
	ok := succeeded("ok", fp(1), 1).record(nil)
	s := &Sweep{Trials: []*TrialRuns{
		{ID: "nan", Name: "nan", Runs: []*Run{{Trial: nan}}, Finished: &Run{Trial: nan}},
		{ID: "ok", Name: "ok", Runs: []*Run{{Trial: ok}}, Finished: &Run{Trial: ok}},
	}}
	if got := order(Rank(s, RankOptions{})); got != "1:ok 0:nan" {
		t.Errorf("order %q, want %q", got, "1:ok 0:nan")
	}
}

func TestRankFailuresAndPending(t *testing.T) {
	run := succeeded("r", nil, 0)
	run.status = StatusRunning
	intr := succeeded("i", nil, 0)
	intr.status = StatusInterrupted
	r := rankSpecs(t, []trialSpec{failed("f", nil, ""), run, intr, succeeded("s", fp(1), 1)}, RankOptions{})
	if len(r.Failed) != 1 || r.Failed[0].Name != "f" || r.Failed[0].Error != "(no reason recorded)" {
		t.Errorf("failed %+v, want trial f with a placeholder reason", r.Failed)
	}
	if len(r.InProgress) != 2 || r.InProgress[0].Name != "i" || r.InProgress[1].Name != "r" ||
		r.InProgress[1].Host != "node1" || r.InProgress[1].PID != 4242 {
		t.Errorf("in progress %+v, want i then r (with host and pid)", r.InProgress)
	}
	if got := order(r); got != "1:s 0:f" {
		t.Errorf("order %q, want %q", got, "1:s 0:f")
	}
	if r.Repeats {
		t.Error("Repeats set without repeats")
	}
}

func TestRankIDs(t *testing.T) {
	specs := []trialSpec{succeeded("a", fp(0.1), 1), succeeded("b", fp(0.2), 1), failed("c", nil, "x")}
	r := rankSpecs(t, specs, RankOptions{IDs: []string{"b", "c"}})
	if got := order(r); got != "1:b 0:c" {
		t.Errorf("order %q, want %q", got, "1:b 0:c")
	}
}

// TestRankRepeats checks the aggregation over seeds against values computed
// by hand: {0.1, 0.2, 0.3} has mean 0.2 and sample std
// sqrt((0.01+0+0.01)/2) = 0.1; {0.12, 0.14} has mean 0.13 and sample std
// sqrt((0.0001+0.0001)/1) = 0.0141421356237...; the failed seed of the
// second configuration counts in neither. Paired on their two shared seeds,
// the two are indistinguishable (p 0.58): both rank 1.
func TestRankRepeats(t *testing.T) {
	s, err := LoadSweep(repeatSweep(t))
	if err != nil {
		t.Fatal(err)
	}
	r := Rank(s, RankOptions{})
	if !r.Repeats {
		t.Error("Repeats not set")
	}
	if got := order(r); got != "1:lr0.001 1:lr0.01" {
		t.Fatalf("order %q, want %q", got, "1:lr0.001 1:lr0.01")
	}
	const tol = 1e-15
	for _, tc := range []struct {
		row             int
		mean, std       float64
		n               int
		epochMean       float64
		status          string
		trials, failing int
	}{
		{0, 0.13, math.Sqrt(0.0002), 2, 20, "2/3 succeeded", 3, 1},
		{1, 0.2, 0.1, 3, 20, "3/3 succeeded", 3, 0},
	} {
		row := r.Rows[tc.row]
		st := row.Score
		if math.Abs(st.Mean-tc.mean) > tol || math.Abs(st.Std-tc.std) > tol || st.N != tc.n {
			t.Errorf("row %d: best val loss %v ± %v (n=%d), want %v ± %v (n=%d) within %g",
				tc.row, st.Mean, st.Std, st.N, tc.mean, tc.std, tc.n, tol)
		}
		// Best epochs are 10·(repeat+1): {10, 30} and {10, 20, 30}, both mean 20.
		if row.BestEpoch.Mean != tc.epochMean {
			t.Errorf("row %d: mean best epoch %v, want %v", tc.row, row.BestEpoch.Mean, tc.epochMean)
		}
		if row.Status != tc.status || len(row.Trials) != tc.trials || len(row.Failures) != tc.failing {
			t.Errorf("row %d: status %q, %d trials, %d failures; want %q, %d, %d", tc.row, row.Status,
				len(row.Trials), len(row.Failures), tc.status, tc.trials, tc.failing)
		}
	}
	if len(r.Failed) != 1 || r.Failed[0].Name != "lr0.001_seed1" {
		t.Errorf("failed %+v, want lr0.001_seed1", r.Failed)
	}
}

func TestNewStat(t *testing.T) {
	for _, tc := range []struct {
		x         []float64
		mean, std float64 // NaN: undefined
	}{
		{nil, math.NaN(), math.NaN()},
		{[]float64{2}, 2, math.NaN()},
		{[]float64{1, 3}, 2, math.Sqrt2},                            // sqrt((1+1)/1)
		{[]float64{2, 4, 4, 4, 5, 5, 7, 9}, 5, math.Sqrt(32.0 / 7)}, // sum of squared deviations 32
	} {
		got := newStat(tc.x)
		same := func(a, b float64) bool { return math.IsNaN(a) && math.IsNaN(b) || math.Abs(a-b) <= 1e-15 }
		if !same(got.Mean, tc.mean) || !same(got.Std, tc.std) || got.N != len(tc.x) {
			t.Errorf("newStat(%v) = %+v, want mean %v std %v n %d", tc.x, got, tc.mean, tc.std, len(tc.x))
		}
	}
}

func TestCommonName(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{[]string{"a"}, "a"},
		{[]string{"ffn_lr0.01_seed1", "ffn_lr0.01_seed2"}, "ffn_lr0.01"},
		{[]string{"lr0.01_r1", "lr0.01_r10"}, "lr0.01"},
		{[]string{"x-1", "x-2", "x-3"}, "x"},
		{[]string{"same", "same"}, "same"},
		{[]string{"abc", "abd"}, "abc"}, // no separator: the first name
		{[]string{"a1", "b2"}, "a1"},
	} {
		if got := commonName(tc.names); got != tc.want {
			t.Errorf("commonName(%q) = %q, want %q", tc.names, got, tc.want)
		}
	}
}

// bigSweep writes n trials in configurations of three seeds, with a retried
// failure every tenth trial, and returns its directory.
func bigSweep(b *testing.B, n int) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "big")
	for i := range n {
		cfg := i / 3
		name := "lr" + FormatValue(cfg) + "_seed" + FormatValue(i%3)
		s := trialSpec{name: name, id: name, config: FormatValue(cfg), params: map[string]any{"lr": float64(cfg)},
			repeat: i % 3, status: StatusSucceeded, best: fp(float64((i*7919)%1000) / 1000), bestEpoch: int64(i % 100),
			finalTrain: fp(0.5), finalVal: fp(0.6), epochs: 100, duration: 10}
		if i%10 == 0 {
			f := s
			f.status, f.err, f.best = StatusFailed, "crashed", nil
			writeRun(b, dir, runName(0), f.record([]string{"lr"}))
			s.minutes = 1
		}
		writeRun(b, dir, runName(s.minutes), s.record([]string{"lr"}))
	}
	return dir
}

func BenchmarkLoadSweep1000(b *testing.B) {
	dir := bigSweep(b, 1000)
	for b.Loop() {
		if _, err := LoadSweep(dir); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRank1000(b *testing.B) {
	s, err := LoadSweep(bigSweep(b, 1000))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Rank(s, RankOptions{})
	}
}

func BenchmarkRenderTable1000(b *testing.B) {
	s, err := LoadSweep(bigSweep(b, 1000))
	if err != nil {
		b.Fatal(err)
	}
	r := Rank(s, RankOptions{})
	for b.Loop() {
		if err := Render(io.Discard, r, FormatTable, RenderOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// A configuration whose seeds are partly still running is ranked on the
// finished ones and says how many of all its seeds succeeded.
func TestRankRepeatPartlyRunning(t *testing.T) {
	done := succeeded("x_seed0", fp(0.5), 2)
	done.config, done.repeat = "cx", 0
	running := succeeded("x_seed1", nil, 0)
	running.config, running.repeat, running.status = "cx", 1, StatusRunning
	r := rankSpecs(t, []trialSpec{done, running}, RankOptions{})
	if !r.Repeats || len(r.Rows) != 1 || len(r.InProgress) != 1 {
		t.Fatalf("repeats %v, %d rows, %d in progress; want true, 1, 1", r.Repeats, len(r.Rows), len(r.InProgress))
	}
	if row := r.Rows[0]; row.Rank != 1 || row.Name != "x_seed0" || row.Status != "1/2 succeeded" {
		t.Errorf("row rank %d, name %q, status %q; want 1, x_seed0, 1/2 succeeded", row.Rank, row.Name, row.Status)
	}
}

// TestRankFoldScores: a walk-forward configuration's row pools every fold
// score of every seed, and the ranking says it has folds.
func TestRankFoldScores(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "wf")
	for i, folds := range [][]float64{{0.5, 0.7, 0.6}, {0.4, 0.8, 0.6}} {
		tr := trialSpec{name: fmt.Sprintf("wf_seed%d", i), id: fmt.Sprintf("id%d", i), config: "c", params: map[string]any{"lr": 0.1},
			seed: int64(i), repeat: i, attempt: 1, status: StatusSucceeded, best: fp(0.6), epochs: 5}.record([]string{"lr"})
		for f, score := range folds {
			tr.Folds = append(tr.Folds, FoldResult{Fold: f + 1, Score: fp(score), EpochsRun: 5})
		}
		writeRun(t, dir, runName(float64(i)), tr)
	}
	s, err := LoadSweep(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := Rank(s, RankOptions{})
	// The six fold scores 0.5, 0.7, 0.6, 0.4, 0.8, 0.6: mean 0.6, sample
	// standard deviation sqrt(0.1/5).
	got := r.Rows[0].FoldScores
	if !r.Folds || got.N != 6 || math.Abs(got.Mean-0.6) > 1e-15 || math.Abs(got.Std-math.Sqrt(0.02)) > 1e-15 {
		t.Errorf("folds %t, fold scores %+v; want n 6, mean 0.6, std %v", r.Folds, got, math.Sqrt(0.02))
	}
}
