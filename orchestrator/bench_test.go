package orchestrator

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/plugins"
)

// noopModel trains nothing: one epoch event and an outcome. It isolates
// what the orchestrator itself costs per trial.
type noopModel struct{}

func (noopModel) Describe(context.Context) (plugins.Description, error) {
	return plugins.Description{Name: "noop", Params: []plugins.ParamSpec{{Name: "x", Type: plugins.TypeInt, Default: int64(0)}},
		Metrics: []string{"train_loss", "val_loss"}}, nil
}

func (noopModel) Train(_ context.Context, _ plugins.TrainRequest, emit func(plugins.Event) error) (plugins.Outcome, error) {
	err := emit(plugins.Event{Scalars: []plugins.Scalar{{Tag: "train_loss", Value: 1}, {Tag: "val_loss", Value: 1}}})
	return plugins.Outcome{BestValLoss: 1, EpochsRun: 1, FinalTrainLoss: 1, FinalValLoss: 1}, err
}

// BenchmarkTrialOverhead is the orchestrator's cost per trial on top of the
// model's work, in process (no plugin boundary: see plugins' benchmarks):
// the run directory, trial.json written atomically twice, the event file
// with its HParams session, the model log, and the scheduler. One op is one
// trial: of a grid listed before the run, or of a random search that asks
// its sampler and claims each configuration in .search/asked/ as it goes.
func BenchmarkTrialOverhead(b *testing.B) {
	grids := map[string]func(n int) string{
		"grid": func(n int) string {
			xs := make([]string, n)
			for i := range xs {
				xs[i] = fmt.Sprint(i)
			}
			return "[grid]\nx = [" + strings.Join(xs, ", ") + "]\n"
		},
		"random": func(n int) string {
			return fmt.Sprintf("[search]\nsampler = \"random\"\ntrials = %d\n[search.space]\nx = { int = [0, 1000000000] }\n", n)
		},
	}
	for _, kind := range []string{"grid", "random"} {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", kind, workers), func(b *testing.B) {
				p := newTestPlan(b, grids[kind](b.N), noopModel{})
				b.ResetTimer()
				sum, err := Run(context.Background(), p, RunOptions{Workers: workers})
				if err != nil || len(sum.Records) != b.N {
					b.Fatalf("ran %d of %d trials: %v", len(sum.Records), b.N, err)
				}
			})
		}
	}
}
