package orchestrator

import (
	"context"
	"fmt"
	"testing"

	"github.com/sweep-ml/sweep/plugins"
)

// noopModel trains nothing: one epoch event and an outcome. It isolates
// what the orchestrator itself costs per trial.
type noopModel struct{}

func (noopModel) Describe(context.Context) (plugins.Description, error) {
	return plugins.Description{Name: "noop", Params: []plugins.ParamSpec{{Name: "x", Type: plugins.TypeInt, Default: int64(0)}}}, nil
}

func (noopModel) Train(_ context.Context, _ plugins.TrainRequest, emit func(plugins.Event) error) (plugins.Outcome, error) {
	err := emit(plugins.Event{Scalars: []plugins.Scalar{{Tag: "train_loss", Value: 1}, {Tag: "val_loss", Value: 1}}})
	return plugins.Outcome{BestValLoss: 1, EpochsRun: 1, FinalTrainLoss: 1, FinalValLoss: 1}, err
}

// BenchmarkTrialOverhead is the orchestrator's cost per trial on top of the
// model's work, in process (no plugin boundary: see plugins' benchmarks):
// the run directory, trial.json written atomically twice, the event file
// with its HParams session, the model log, and the scheduler. One op is one
// trial.
func BenchmarkTrialOverhead(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			p := newTestPlan(b, fmt.Sprintf("[random]\nsamples = %d\nx = { int = [0, 1000000000] }\n", b.N), noopModel{})
			b.ResetTimer()
			sum, err := Run(context.Background(), p, RunOptions{Workers: workers})
			if err != nil || len(sum.Records) != b.N {
				b.Fatalf("ran %d of %d trials: %v", len(sum.Records), b.N, err)
			}
		})
	}
}
