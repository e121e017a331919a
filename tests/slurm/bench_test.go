package slurm

import (
	"testing"
)

// tinyTrials is how many trials testdata/tiny.toml expands to.
const tinyTrials = 40

// BenchmarkTrialOverhead measures the wall time per trial of a whole `sweep
// run` of 40 tiny trials (testdata/tiny.toml: 2 epochs on 200 rows, so that
// nearly all of it is overhead), locally with 2 workers and on Slurm with
// one CPU per task (two tasks at once on the two-CPU test node), without
// packing (one trial per task: a task's start-up, a worker process and its
// model process per trial) and with 20 trials per task. The metric is
// ms/trial; subtracting the local figure gives what Slurm adds per trial.
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
			for range b.N {
				b.StopTimer()
				dir := workDir(b, "tiny.toml") // a fresh sweep: nothing to skip
				b.StartTimer()
				r := sweep(b, dir, c.args...)
				mustExit(b, r, 0)
				mustMatch(b, r.stderr, `(?m)^sweep: 40 trials run \(40 succeeded, 0 failed\), 0 already finished`)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N*tinyTrials), "ms/trial")
		})
	}
}
