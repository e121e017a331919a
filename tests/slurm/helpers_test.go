//go:build linux

package slurm

import (
	"math"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/results"
)

// The bit-for-bit comparison of TestSlurmMatchesLocal can fail: one ulp in
// a metric, a metric missing, another hyperparameter or status each count.
// This runs without Slurm.
func TestOutcomeDiffs(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	base := func() *results.Trial {
		return &results.Trial{ID: "a1", Params: map[string]any{"lr": 0.01}, Seed: 1, Status: results.StatusSucceeded,
			BestValLoss: f(1.0271122990091506), BestEpoch: 4, EpochsRun: 5, FinalTrainLoss: f(1.25), FinalValLoss: f(1.0271122990091506)}
	}
	for _, c := range []struct {
		name   string
		change func(*results.Trial)
		want   string // the field the one diff names; "" for none
	}{
		{"same", func(*results.Trial) {}, ""},
		{"timings and provenance are not results", func(r *results.Trial) {
			r.DurationSeconds, r.Host, r.PID, r.Provenance.Executor = 9, "node7", 42, "slurm"
		}, ""},
		{"one ulp", func(r *results.Trial) { *r.BestValLoss = math.Nextafter(*r.BestValLoss, 2) }, "best_val_loss"},
		{"missing metric", func(r *results.Trial) { r.FinalTrainLoss = nil }, "final_train_loss"},
		{"final loss", func(r *results.Trial) { *r.FinalValLoss = -*r.FinalValLoss }, "final_val_loss"},
		{"stopped early", func(r *results.Trial) { r.StoppedEarly = true }, "stopped_early"},
		{"params", func(r *results.Trial) { r.Params["lr"] = 0.001 }, "params"},
		{"status", func(r *results.Trial) { r.Status = results.StatusFailed }, "status"},
		{"epochs", func(r *results.Trial) { r.EpochsRun = 4 }, "epochs_run"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := base()
			c.change(b)
			diffs := outcomeDiffs(base(), b)
			switch {
			case c.want == "" && len(diffs) != 0:
				t.Errorf("diffs %q, want none", diffs)
			case c.want != "" && (len(diffs) != 1 || !strings.HasPrefix(diffs[0], c.want+":")):
				t.Errorf("diffs %q, want one of %s", diffs, c.want)
			}
		})
	}
}
