//go:build linux

package slurm

import (
	"path/filepath"
	"testing"
	"time"
)

// tinyTrials is how many trials testdata/tiny.toml expands to.
const tinyTrials = 40

// BenchmarkTrialOverhead measures the wall time per trial of a whole `sweep
// run` of 40 tiny trials (testdata/tiny.toml: 2 epochs on 200 rows, so that
// nearly all of it is overhead), locally with 2 workers and on Slurm with
// one CPU per task (two tasks at once on the two-CPU test node), without
// packing (one trial per task: a task's start-up, a worker process and its
// model process per trial) and with 20 trials per task. The metric
// ms/trial is the command's wall time per trial; subtracting the local
// figure gives what Slurm adds per trial. On Slurm that wall time includes
// up to one poll interval (2 s) between the last trial's end and `sweep run`
// noticing it, so done-ms/trial also reports the time from the command's
// start to the last trial's end (its trial.json ended_at), per trial.
//
//	go test ./tests/slurm -run '^$' -bench TrialOverhead -benchtime 3x
func BenchmarkTrialOverhead(b *testing.B) {
	requireSlurm(b)
	cases := []struct {
		name string
		args []string
	}{
		{"local", []string{"run", "grid.toml", "--executor", "local", "--workers", "2"}},
		{"slurm-pack1", slurmRun("--trials-per-task", "1", "--cpus-per-task", "1")},
		{"slurm-pack20", slurmRun("--trials-per-task", "20", "--cpus-per-task", "1")},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var done time.Duration
			for range b.N {
				b.StopTimer()
				dir := workDir(b, "tiny.toml") // a fresh sweep: nothing to skip
				b.StartTimer()
				began := time.Now()
				r := sweep(b, dir, c.args...)
				b.StopTimer()
				mustExit(b, r, 0)
				mustMatch(b, r.stderr, `(?m)^sweep: 40 trials run \(40 succeeded, 0 failed\), 0 already finished`)
				done += lastEnd(b, filepath.Join(dir, "runs", "tiny")).Sub(began)
				b.StartTimer()
			}
			perTrial := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 / float64(b.N*tinyTrials) }
			b.ReportMetric(perTrial(b.Elapsed()), "ms/trial")
			b.ReportMetric(perTrial(done), "done-ms/trial")
		})
	}
}

// lastEnd returns when the sweep's last trial ended, from its records.
func lastEnd(tb testing.TB, sweepDir string) time.Time {
	tb.Helper()
	var last time.Time
	for _, tr := range load(tb, sweepDir) {
		if end := tr.Latest().Trial.EndedAt; end.After(last) {
			last = end
		}
	}
	return last
}
