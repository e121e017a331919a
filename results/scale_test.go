package results

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// The report at scale (issue 12: 100,000 one-epoch trials, `sweep report`
// under 3 s). The benchmarks generate BenchTrials records shaped like those
// of the benchfn plugin's sweep: five swept hyperparameters of nine, two
// metrics, a one-epoch curve. SWEEP_BENCH_TRIALS=100000 measures the
// issue's case; the default keeps a run short:
//
//	SWEEP_BENCH_TRIALS=100000 go test ./results -run '^$' -bench ReportScale -benchtime 3x

// benchTrials is how many records the scale benchmarks generate.
func benchTrials(b *testing.B) int {
	n := 10000
	if v := os.Getenv("SWEEP_BENCH_TRIALS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("SWEEP_BENCH_TRIALS=%q: want a positive count", v)
		}
	}
	return n
}

// scaleRecord is trial i of a benchfn-like grid of one-epoch trials.
func scaleRecord(i int) *Trial {
	acts := []string{"gelu", "relu", "tanh", "sigmoid"}
	lr := math.Pow(10, -4+3*float64(i%10)/9)
	params := map[string]any{"lr": lr, "width": int64(8 + 24*(i/10%10)), "act": acts[i/100%4],
		"dropout": float64(i/400%10) / 10, "warmup": float64(i/4000%25) * 0.04,
		"epochs": int64(1), "momentum": 0.5, "noise": 0.02, "smoothing": 0.5}
	score := math.Sin(float64(i)) - 0.1*math.Log10(lr)
	started := t0.Add(time.Duration(i) * 5 * time.Millisecond)
	name := "t" + strconv.Itoa(i)
	return &Trial{
		ID: fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15), ConfigID: fmt.Sprintf("%016x", uint64(i)*0xbf58476d1ce4e5b9),
		ModelHash: "a9e9fb700b6b86af83698facae33fd4d9c5253c302f20363a766e2e6ed98285c", Name: name,
		Params: params, Swept: []string{"lr", "width", "act", "dropout", "warmup"}, Number: i, Attempt: 1,
		Status: StatusSucceeded, Objective: &Objective{Metric: "val_loss", Mode: ModeMin},
		Score: fp(score), Curve: Series{score}, BestValLoss: fp(score), EpochsRun: 1,
		FinalTrainLoss: fp(score - 0.05), FinalValLoss: fp(score),
		Metrics: map[string]MetricSummary{
			"train_loss": {Mode: ModeMin, Best: fp(score - 0.05), Final: fp(score - 0.05)},
			"val_loss":   {Mode: ModeMin, Best: fp(score), Final: fp(score)},
		},
		StartedAt: started, EndedAt: started.Add(15 * time.Millisecond), DurationSeconds: 0.015,
		Host: "node1", PID: 4242, Provenance: Provenance{SweepVersion: "0.1.0", GridHash: "eb0886c4", Executor: "local"},
	}
}

// scaleSweep writes n records, one trial directory and run each, without
// WriteTrial's fsync (a benchmark's setup need not survive a crash), and
// a grid file.
func scaleSweep(b *testing.B, n int) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "scale")
	errs := make([]error, n)
	parallel(n, func(i int) {
		t := scaleRecord(i)
		run := filepath.Join(dir, t.Name, "20261130-081440")
		data, err := encodeTrial(t)
		if err == nil {
			err = os.MkdirAll(run, 0o755)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(run, TrialFile), data, 0o644)
		}
		errs[i] = err
	})
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, GridFile), []byte("name = \"scale\"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkReportScale times each step of `sweep report` on one generated
// sweep: loading from the files and with the record index, ranking,
// importance, the text table, the HTML page, and the whole text report.
func BenchmarkReportScale(b *testing.B) {
	n := benchTrials(b)
	dir := scaleSweep(b, n)
	s, err := LoadSweep(dir)
	if err != nil || len(s.Trials) != n {
		b.Fatalf("%d trials, %v; want %d", len(s.Trials), err, n)
	}
	r := Rank(s, RankOptions{})
	r.Importance = ParamImportance(s, &r, nil)
	// The index as a later report finds it: written, and old enough to be
	// trusted.
	if _, _, err := loadIndexed(dir, true); err != nil {
		b.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, IndexFile), later, later); err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("n=%d/load-files", n), func(b *testing.B) {
		for b.Loop() {
			LoadSweep(dir)
		}
	})
	b.Run(fmt.Sprintf("n=%d/load-indexed", n), func(b *testing.B) {
		for b.Loop() {
			if _, use, _ := loadIndexed(dir, true); use.fromIndex != n {
				b.Fatalf("%d records from the index, want %d", use.fromIndex, n)
			}
		}
	})
	b.Run(fmt.Sprintf("n=%d/rank", n), func(b *testing.B) {
		for b.Loop() {
			Rank(s, RankOptions{})
		}
	})
	b.Run(fmt.Sprintf("n=%d/importance", n), func(b *testing.B) {
		for b.Loop() {
			ParamImportance(s, &r, nil)
		}
	})
	b.Run(fmt.Sprintf("n=%d/render-table", n), func(b *testing.B) {
		for b.Loop() {
			Render(io.Discard, r, FormatTable, RenderOptions{})
		}
	})
	b.Run(fmt.Sprintf("n=%d/html", n), func(b *testing.B) {
		var page bytes.Buffer
		for b.Loop() {
			page.Reset()
			if err := WriteHTML(&page, s, r, nil); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(page.Len())/1e6, "MB")
	})
	b.Run(fmt.Sprintf("n=%d/report", n), func(b *testing.B) {
		for b.Loop() {
			if _, err := Report(io.Discard, dir, ReportOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
