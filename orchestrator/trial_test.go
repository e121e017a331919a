package orchestrator

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/orchestrator/spec"
	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/results"
)

// TestCheckOutcome cross-checks Outcomes against one trial's events: three
// epochs whose val_loss is best (0.5) at epoch 1, and whose last losses are
// 0.8 (train) and 0.6 (val). An Outcome agrees when each field it states
// matches them; a zero field states nothing; a model's best epoch may be
// its own choice if its val_loss there is what it says.
func TestCheckOutcome(t *testing.T) {
	m := newTrialMetrics(spec.Objective{Metric: "val_loss", Mode: spec.ModeMin})
	for _, e := range []plugins.Event{
		{Step: 0, Scalars: []plugins.Scalar{{Tag: "train_loss", Value: 1}, {Tag: "val_loss", Value: 0.9}}},
		{Step: 1, Scalars: []plugins.Scalar{{Tag: "train_loss", Value: 0.9}, {Tag: "val_loss", Value: 0.5}}},
		{Step: 2, Scalars: []plugins.Scalar{{Tag: "train_loss", Value: 0.8}, {Tag: "val_loss", Value: 0.6}}},
	} {
		m.observe(e)
	}
	truth := plugins.Outcome{BestValLoss: 0.5, BestEpoch: 1, EpochsRun: 3, FinalTrainLoss: 0.8, FinalValLoss: 0.6}
	with := func(change func(*plugins.Outcome)) plugins.Outcome {
		o := truth
		change(&o)
		return o
	}
	for _, c := range []struct {
		name string
		out  plugins.Outcome
		want string // "" for no contradiction, else a part of the error
	}{
		{"the truth", truth, ""},
		{"nothing stated", plugins.Outcome{}, ""},
		{"only stopped early", plugins.Outcome{StoppedEarly: true}, ""},
		{"only the epochs", plugins.Outcome{EpochsRun: 3}, ""},
		{"float32 bookkeeping", with(func(o *plugins.Outcome) { o.FinalValLoss = float64(float32(0.6)) }), ""},
		{"its own best epoch, as early stopping's min_delta picks it", with(func(o *plugins.Outcome) { o.BestValLoss, o.BestEpoch = 0.9, 0 }), ""},
		{"no finite best", with(func(o *plugins.Outcome) { o.BestValLoss, o.BestEpoch = math.Inf(1), 0 }), ""},
		{"a better best than reported", with(func(o *plugins.Outcome) { o.BestValLoss = 0.1 }),
			"best_val_loss 0.1 at epoch 1, but it reported val_loss 0.5 at that epoch"},
		{"a best off by a little", with(func(o *plugins.Outcome) { o.BestValLoss = 0.5001 }), "best_val_loss 0.5001"},
		{"the best at another epoch", with(func(o *plugins.Outcome) { o.BestEpoch = 2 }),
			"best_val_loss 0.5 at epoch 2, but it reported val_loss 0.6 at that epoch"},
		{"a best epoch never reported", with(func(o *plugins.Outcome) { o.BestEpoch = 7 }), "no val_loss at that epoch"},
		{"a best epoch alone, out of range", plugins.Outcome{BestEpoch: 3}, "best_epoch 3, but it reported 3 epochs"},
		{"more epochs", with(func(o *plugins.Outcome) { o.EpochsRun = 4 }), "epochs_run 4, but its events' steps make 3 epochs"},
		{"final train loss", with(func(o *plugins.Outcome) { o.FinalTrainLoss = 0.9 }), "final_train_loss 0.9, but its last train_loss was 0.8"},
		{"final val loss", with(func(o *plugins.Outcome) { o.FinalValLoss = 0.5 }), "final_val_loss 0.5, but its last val_loss was 0.6"},
		{"NaN for a finite loss", with(func(o *plugins.Outcome) { o.FinalValLoss = math.NaN() }), "final_val_loss NaN"},
		{"every contradiction at once", plugins.Outcome{BestValLoss: 0.1, BestEpoch: 1, EpochsRun: 9, FinalTrainLoss: 2, FinalValLoss: 3},
			"epochs_run 9, but its events' steps make 3 epochs (steps count epochs from 0); best_val_loss 0.1"},
	} {
		err := m.checkOutcome(c.out)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want no contradiction", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) ||
			!strings.HasPrefix(err.Error(), "the model's outcome contradicts the events it reported: ")):
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
	}

	silent := newTrialMetrics(spec.Objective{Metric: "val_loss", Mode: spec.ModeMin})
	silent.observe(plugins.Event{Step: 0, Scalars: []plugins.Scalar{{Tag: "val_loss", Value: 1}}})
	if err := silent.checkOutcome(plugins.Outcome{FinalTrainLoss: 1}); err == nil || !strings.Contains(err.Error(), "final_train_loss 1, but it reported no train_loss") {
		t.Errorf("a loss stated but never reported: %v", err)
	}
}

// liarModel streams honest events (val_loss 1, 0.5, 0.75) and returns the
// Outcome its hyperparameter "lie" asks for: "" the truth, "none" a zero
// Outcome, "best" a better loss than it reported, "epochs" more epochs.
type liarModel struct{}

func (liarModel) Describe(context.Context) (plugins.Description, error) {
	return plugins.Description{Name: "liar", Params: []plugins.ParamSpec{{Name: "lie", Type: plugins.TypeString, Default: ""}},
		Metrics: []string{"train_loss", "val_loss"}}, nil
}

func (liarModel) Train(_ context.Context, req plugins.TrainRequest, emit func(plugins.Event) error) (plugins.Outcome, error) {
	vals := []float64{1, 0.5, 0.75}
	for epoch, v := range vals {
		if err := emit(plugins.Event{Step: int64(epoch), Scalars: []plugins.Scalar{{Tag: "train_loss", Value: v / 2}, {Tag: "val_loss", Value: v}}}); err != nil {
			return plugins.Outcome{}, err
		}
	}
	out := plugins.Outcome{BestValLoss: 0.5, BestEpoch: 1, EpochsRun: 3, FinalTrainLoss: 0.375, FinalValLoss: 0.75}
	switch req.Params["lie"] {
	case "none":
		out = plugins.Outcome{}
	case "best":
		out.BestValLoss = 0.01
	case "epochs":
		out.EpochsRun = 100
	}
	return out, nil
}

// A model whose Outcome contradicts its events fails the trial with the
// reason (issue 17, item 2); an honest or a zero Outcome succeeds, with the
// numbers the host computed from the events either way.
func TestRunFailsAnOutcomeThatContradictsTheEvents(t *testing.T) {
	p := newTestPlan(t, "[grid]\nlie = [\"\", \"none\", \"best\", \"epochs\"]\n", liarModel{})
	sum, err := Run(context.Background(), p, RunOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 2 {
		t.Errorf("%d trials failed, want 2", sum.Failed)
	}
	want := map[string]string{"": "", "none": "", "best": "best_val_loss 0.01 at epoch 1, but it reported val_loss 0.5",
		"epochs": "epochs_run 100, but its events' steps make 3 epochs"}
	for _, rec := range sum.Records {
		lie := rec.Params["lie"].(string)
		if want[lie] == "" {
			if rec.Status != results.StatusSucceeded {
				t.Errorf("lie %q: %s (%s), want succeeded", lie, rec.Status, rec.Error)
			}
		} else if rec.Status != results.StatusFailed || !strings.Contains(rec.Error, want[lie]) {
			t.Errorf("lie %q: %s (%q), want failed saying %q", lie, rec.Status, rec.Error, want[lie])
		}
		if rec.Score == nil || *rec.Score != 0.5 || rec.BestEpoch != 1 || rec.EpochsRun != 3 {
			t.Errorf("lie %q: score %v at epoch %d of %d, want the events' 0.5 at 1 of 3", lie, rec.Score, rec.BestEpoch, rec.EpochsRun)
		}
	}
}
