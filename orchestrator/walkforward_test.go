package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/logger"
	"github.com/sweep-ml/sweep/orchestrator/spec"
	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/builtin"
	"github.com/sweep-ml/sweep/plugins/dataset"
	"github.com/sweep-ml/sweep/results"
)

// foldModel reports, every epoch, the validation set's size and first
// target as val_loss and train_loss, so that a test can tell which fold's
// rows each training saw.
type foldModel struct{}

func (foldModel) Describe(context.Context) (plugins.Description, error) {
	return plugins.Description{Name: "folds", Metrics: []string{"train_loss", "val_loss"},
		Params: []plugins.ParamSpec{{Name: "epochs", Type: plugins.TypeInt, Default: int64(2)},
			{Name: "fail_fold", Type: plugins.TypeInt, Default: int64(0)}}}, nil
}

func (foldModel) Train(ctx context.Context, req plugins.TrainRequest, emit func(plugins.Event) error) (plugins.Outcome, error) {
	d, err := dataset.Load(ctx, req.Data)
	if err != nil {
		return plugins.Outcome{}, err
	}
	epochs := req.Params["epochs"].(int64)
	for e := range epochs {
		// val_loss falls with the epoch; its level is the fold's first
		// validation target.
		ev := plugins.Event{Step: e, Scalars: []plugins.Scalar{
			{Tag: "train_loss", Value: float64(d.NumTrain)},
			{Tag: "val_loss", Value: d.ValY[0] + float64(epochs-e)}}}
		if err := emit(ev); err != nil {
			return plugins.Outcome{}, err
		}
	}
	if int64(req.Data.Fold) == req.Params["fail_fold"].(int64) {
		return plugins.Outcome{}, errors.New("this fold fails")
	}
	return plugins.Outcome{}, nil
}

// TestWalkForwardTrial checks that a walk-forward trial trains once per
// fold on that fold's rows, records each fold's score and scores the trial
// by their mean, and logs every fold to a TensorBoard run of its own beside
// the trial's mean curve.
func TestWalkForwardTrial(t *testing.T) {
	dir := t.TempDir()
	// One row a day, target = the day's index, written newest first (the
	// split sorts by date): a fold's first validation target says where
	// its validation starts.
	var rows strings.Builder
	rows.WriteString("date,x,target\n")
	for d := 39; d >= 0; d-- {
		fmt.Fprintf(&rows, "%s,%d,%d\n", dayString(d), d, d)
	}
	if err := os.WriteFile(filepath.Join(dir, "days.csv"), []byte(rows.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	grid := "[data]\npath = \"days.csv\"\ndate = \"date\"\nsplit = \"walk_forward\"\nfolds = 3\nembargo = 2\n[grid]\nepochs = [2, 3]\n"
	p := newTestPlanIn(t, dir, grid, foldModel{})
	mustRun(t, context.Background(), p, RunOptions{})
	s, err := results.LoadSweep(p.Dir)
	if err != nil {
		t.Fatal(err)
	}
	// 40 days, 3 folds: each validates on 10 days, starting at days 10,
	// 20, 30 (scikit-learn's TimeSeriesSplit), and trains on the days
	// before it less the 2-day embargo.
	for _, tr := range p.Trials {
		rec := s.Trial(tr.ID).Finished.Trial
		if rec.Status != results.StatusSucceeded || len(rec.Folds) != 3 {
			t.Fatalf("%s: %s with %d folds (%s)", tr.Name, rec.Status, len(rec.Folds), rec.Error)
		}
		var sum float64
		for i, f := range rec.Folds {
			want := float64(10*(i+1)) + 1 // the first validation day, plus the last epoch's 1
			if f.Fold != i+1 || f.Score == nil || *f.Score != want || f.EpochsRun != tr.Params["epochs"].(int64) {
				t.Errorf("%s: fold %+v, want fold %d scoring %v", tr.Name, f, i+1, want)
			}
			sum += *f.Score
		}
		if rec.Score == nil || math.Abs(*rec.Score-sum/3) > 1e-12 {
			t.Errorf("%s: score %v, want the folds' mean %v", tr.Name, rec.Score, sum/3)
		}
		// train_loss reports the training rows: 8, 18 and 28 days.
		if got := *rec.FinalTrainLoss; got != (8+18+28)/3.0 {
			t.Errorf("%s: final train_loss %v, want the mean of 8, 18 and 28 training rows", tr.Name, got)
		}
		runDir := s.Trial(tr.ID).Finished.Dir
		for f := 1; f <= 3; f++ {
			run, err := logger.ReadRun(filepath.Join(runDir, fmt.Sprintf("fold%d", f)))
			if err != nil {
				t.Fatal(err)
			}
			if n := len(run.Scalars["val_loss"]); int64(n) != tr.Params["epochs"].(int64) {
				t.Errorf("%s fold %d: %d val_loss points in its own run", tr.Name, f, n)
			}
		}
		run, err := logger.ReadRun(runDir)
		if err != nil {
			t.Fatal(err)
		}
		if pts := run.Scalars["val_loss"]; len(pts) == 0 || pts[len(pts)-1].Value != sum/3 {
			t.Errorf("%s: the trial's run has val_loss %v, want the folds' mean ending at %v", tr.Name, pts, sum/3)
		}
	}
}

// TestWalkForwardFailedFold: a trial whose second fold fails is recorded as
// failed with the first two folds, and keeps their mean curve and epochs, as
// a trial without folds keeps its epochs so far.
func TestWalkForwardFailedFold(t *testing.T) {
	dir := t.TempDir()
	var rows strings.Builder
	rows.WriteString("date,x,target\n")
	for d := range 40 {
		fmt.Fprintf(&rows, "%s,%d,%d\n", dayString(d), d, d)
	}
	if err := os.WriteFile(filepath.Join(dir, "days.csv"), []byte(rows.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	p := newTestPlanIn(t, dir, "[data]\npath = \"days.csv\"\ndate = \"date\"\nsplit = \"walk_forward\"\nfolds = 3\n[params]\nfail_fold = 2\nepochs = 3\n", foldModel{})
	mustRun(t, context.Background(), p, RunOptions{})
	s, err := results.LoadSweep(p.Dir)
	if err != nil {
		t.Fatal(err)
	}
	rec := s.Trial(p.Trials[0].ID).Finished.Trial
	if rec.Status != results.StatusFailed || !strings.Contains(rec.Error, "fold 2 of 3: this fold fails") {
		t.Fatalf("status %s (%s), want failed at fold 2", rec.Status, rec.Error)
	}
	if len(rec.Folds) != 2 || rec.EpochsRun != 3 || len(rec.Curve) != 3 || rec.FinalTrainLoss == nil {
		t.Errorf("folds %d, epochs %d, curve %v, final train loss %v: want the two folds' mean kept", len(rec.Folds), rec.EpochsRun, rec.Curve, rec.FinalTrainLoss)
	}
}

// TestPrunerSeesFirstFolds: the median rule compares a walk-forward trial's
// first fold (what it is pruned on) with the other trials' first folds, not
// with their means over folds.
func TestPrunerSeesFirstFolds(t *testing.T) {
	rec := &results.Trial{ID: "a", Status: results.StatusSucceeded, Curve: results.Series{9, 9},
		Folds: []results.FoldResult{{Fold: 1, Curve: results.Series{1, 2}}, {Fold: 2, Curve: results.Series{17, 16}}}}
	f := newFinishedStore(nil, spec.Objective{Metric: "val_loss", Mode: spec.ModeMin}, nil)
	f.add(rec)
	for epoch, want := range []float64{1, 2} {
		n, values, err := f.valuesAt(epoch)
		if err != nil || n != 1 || len(values) != 1 || values[0] != want {
			t.Errorf("epoch %d: %d trials, values %v, %v; want the first fold's %v", epoch, n, values, err, want)
		}
	}
}

func dayString(d int) string {
	return fmt.Sprintf("2024-%02d-%02d", 1+d/28, 1+d%28)
}

// TestWalkForwardPreparesEveryFold: a walk-forward sweep's prepared data is
// one file per fold, equal to what dataset.Load gives that fold, and a
// trial's trainings are each handed their fold's file.
func TestWalkForwardPreparesEveryFold(t *testing.T) {
	dir := t.TempDir()
	var rows strings.Builder
	rows.WriteString("date,x,target\n")
	for d := range 30 {
		fmt.Fprintf(&rows, "%s,%d,%d\n", dayString(d), d*d, d)
	}
	if err := os.WriteFile(filepath.Join(dir, "days.csv"), []byte(rows.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	p := newTestPlanIn(t, dir, "[data]\npath = \"days.csv\"\ndate = \"date\"\nsplit = \"walk_forward\"\nfolds = 2\n", builtin.FFN())
	prep, err := prepareData(context.Background(), p.Spec, p.Dir)
	if err != nil {
		t.Fatal(err)
	}
	files := prep.Files
	if len(files) != 2 || files[0] == files[1] {
		t.Fatalf("data files %v, want one per fold", files)
	}
	for f, file := range files {
		spec := p.Spec.Data
		spec.Fold = f + 1
		d, err := dataset.Load(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		var want strings.Builder
		if err := dataset.WriteArrays(&want, d); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want.String() {
			t.Errorf("fold %d: the prepared file differs from dataset.Load's fold", f+1)
		}
	}
}
