package results

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// t0 is the start of every synthetic sweep, so that golden files do not
// depend on the clock.
var t0 = time.Date(2026, 11, 25, 19, 30, 0, 0, time.UTC)

func fp(v float64) *float64 { return &v }

// writeRun writes tr as run runName of its trial (directory tr.Name) under
// sweepDir and returns the run directory.
func writeRun(tb testing.TB, sweepDir, runName string, tr *Trial) string {
	tb.Helper()
	dir := filepath.Join(sweepDir, tr.Name, runName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := WriteTrial(dir, tr); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// writeFile writes raw bytes, for records WriteTrial would never produce.
func writeFile(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// trialSpec is the part of a synthetic record that varies between trials.
type trialSpec struct {
	name, id, config string
	params           map[string]any
	seed             int64
	repeat, attempt  int
	status           Status
	err              string
	best             *float64
	bestEpoch        int64
	finalTrain       *float64
	finalVal         *float64
	metrics          map[string]MetricSummary
	epochs           int64
	minutes          float64 // start offset from t0
	duration         float64 // seconds
}

// record turns a spec into a full record, as the orchestrator would write
// it at the end of a run.
func (s trialSpec) record(swept []string) *Trial {
	started := t0.Add(time.Duration(s.minutes * float64(time.Minute)))
	tr := &Trial{
		ID: s.id, ConfigID: s.config, Name: s.name, Params: s.params, Swept: swept,
		Seed: s.seed, Repeat: s.repeat, Attempt: s.attempt,
		Status: s.status, Error: s.err,
		BestValLoss: s.best, BestEpoch: s.bestEpoch, EpochsRun: s.epochs,
		FinalTrainLoss: s.finalTrain, FinalValLoss: s.finalVal, Metrics: s.metrics,
		StartedAt: started, DurationSeconds: s.duration, Host: "node1", PID: 4242,
		Provenance: Provenance{SweepVersion: "test", GridHash: "abc", Executor: "local"},
	}
	if s.status != StatusRunning {
		tr.EndedAt = started.Add(time.Duration(s.duration * float64(time.Second)))
	}
	return tr
}

// runName is a run directory name for a start offset in minutes.
func runName(minutes float64) string {
	return t0.Add(time.Duration(minutes * float64(time.Minute))).Format("20060102-150405")
}

// writeSpecs writes each spec as a run of its trial and returns sweepDir.
func writeSpecs(tb testing.TB, sweepDir string, swept []string, specs []trialSpec) string {
	tb.Helper()
	for _, s := range specs {
		writeRun(tb, sweepDir, runName(s.minutes), s.record(swept))
	}
	return sweepDir
}

// ic sums up a made-up val_ic metric (maximised) and train_loss for a
// record.
func ic(best float64, epoch int64, final, bestTrain float64) map[string]MetricSummary {
	return map[string]MetricSummary{
		"val_ic":     {Mode: ModeMax, Best: fp(best), BestEpoch: epoch, Final: fp(final)},
		"train_loss": {Mode: ModeMin, Best: fp(bestTrain), BestEpoch: epoch + 10, Final: fp(bestTrain + 0.001)},
	}
}

// gridSweep writes a textbook-like sweep (dropout × lr × hidden_dims, one
// seed) covering every case a report shows: a tie broken by best epoch, a
// trial whose failed first run was retried successfully, a diverged trial
// whose reason holds commas, quotes and a newline, a trial still running,
// a corrupt record, and custom metrics (val_ic) in all records but one.
func gridSweep(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "hyperparam_search")
	swept := []string{"dropout", "lr", "hidden_dims"}
	p := func(dropout, lr float64, hidden ...any) map[string]any {
		return map[string]any{"dropout": dropout, "lr": lr, "hidden_dims": hidden, "epochs": 100.0,
			"batch_size": 64.0, "activation": "relu"}
	}
	writeSpecs(tb, dir, swept, []trialSpec{
		{name: "ffn_dropout0.2_lr0.01", id: "a1", config: "ca1", params: p(0.2, 0.01, 64.0, 32.0),
			status: StatusSucceeded, best: fp(0.0421), bestEpoch: 37, finalTrain: fp(0.0302),
			finalVal: fp(0.0455), metrics: ic(0.0312, 40, 0.0275, 0.0292), epochs: 100, minutes: 0, duration: 41.25},
		{name: "ffn_dropout0.2_lr0.001", id: "a2", config: "ca2", params: p(0.2, 0.001, 64.0, 32.0),
			status: StatusFailed, err: "plugin process exited: signal: killed", best: fp(0.5),
			bestEpoch: 3, epochs: 4, minutes: 1, duration: 3},
		{name: "ffn_dropout0.2_lr0.001", id: "a2", config: "ca2", params: p(0.2, 0.001, 64.0, 32.0),
			attempt: 1, status: StatusSucceeded, best: fp(0.0398), bestEpoch: 80, finalTrain: fp(0.0351),
			finalVal: fp(0.0399), metrics: ic(0.0448, 79, 0.0411, 0.0341), epochs: 100, minutes: 5, duration: 95.5},
		{name: "ffn_dropout0.5_lr0.01", id: "a3", config: "ca3", params: p(0.5, 0.01, 128.0, 64.0),
			status: StatusFailed, err: "diverged: val_loss is NaN at epoch 12, lr=0.01\n\"try a smaller lr\"",
			best: nil, bestEpoch: 0, finalTrain: nil, finalVal: nil, epochs: 12, minutes: 2, duration: 7.5,
			metrics: map[string]MetricSummary{"val_ic": {Mode: ModeMax, Best: fp(0.002), BestEpoch: 3}}},
		{name: "ffn_dropout0.5_lr0.001", id: "a4", config: "ca4", params: p(0.5, 0.001, 128.0, 64.0),
			status: StatusSucceeded, best: fp(0.0421), bestEpoch: 20, finalTrain: fp(0.0387),
			finalVal: fp(0.0433), epochs: 30, minutes: 3, duration: 3725, // stopped early
		},
		{name: "ffn_dropout0.3_lr0.01", id: "a5", config: "ca5", params: p(0.3, 0.01, 64.0, 32.0),
			status: StatusRunning, minutes: 6},
	})
	writeFile(tb, filepath.Join(dir, "ffn_dropout0.3_lr0.001", runName(4), TrialFile), `{"id": "a6", "name": "ffn_`)
	writeFile(tb, filepath.Join(dir, GridFile), "name = \"hyperparam_search\"\n")
	return dir
}

// repeatSweep writes two configurations with three seeds each: the first
// all succeeded (best 0.1, 0.2, 0.3), the second with two successes (0.12,
// 0.14) and one failure; every seed has a val_ic.
func repeatSweep(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "repeats")
	swept := []string{"lr"}
	spec := func(cfg string, lr float64, repeat int, best *float64, status Status, err string) trialSpec {
		name := "lr" + FormatValue(lr) + "_seed" + FormatValue(repeat)
		return trialSpec{name: name, id: cfg + FormatValue(repeat), config: cfg,
			params: map[string]any{"lr": lr}, seed: int64(100 + repeat), repeat: repeat,
			status: status, err: err, best: best, bestEpoch: int64(10 * (repeat + 1)),
			finalTrain: best, finalVal: best, epochs: 50, minutes: float64(repeat), duration: 10,
			metrics: map[string]MetricSummary{"val_ic": {Mode: ModeMax, Best: fp(0.02 * float64(repeat+1)), BestEpoch: 5, Final: fp(0.01)}}}
	}
	writeSpecs(tb, dir, swept, []trialSpec{
		spec("cA", 0.01, 0, fp(0.1), StatusSucceeded, ""),
		spec("cA", 0.01, 1, fp(0.2), StatusSucceeded, ""),
		spec("cA", 0.01, 2, fp(0.3), StatusSucceeded, ""),
		spec("cB", 0.001, 0, fp(0.12), StatusSucceeded, ""),
		spec("cB", 0.001, 1, nil, StatusFailed, "diverged at epoch 3"),
		spec("cB", 0.001, 2, fp(0.14), StatusSucceeded, ""),
	})
	return dir
}
