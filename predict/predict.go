// Package predict applies the trained models a sweep kept (the built-in
// network's model.safetensors) to new rows: it picks a trial (the best of
// the ranking, or one named), reads its features by name from a CSV,
// standardises them as training did and writes one prediction per row.
package predict

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/sweep-ml/sweep/plugins/builtin"
	"github.com/sweep-ml/sweep/plugins/dataset"
	"github.com/sweep-ml/sweep/results"
)

// Best selects the best trial of the ranking, as an empty Options.Trial
// does.
const Best = "best"

// Column is the name of the predictions' column in the output.
const Column = "prediction"

// Options says which model predicts and what the output keeps.
type Options struct {
	// Trial is a trial's ID or name, or Best (or empty): the best
	// configuration of the ranking and, with repeats, its best seed.
	Trial string
	// Keep names input columns copied to the output before the
	// predictions (a date, an asset's identifier).
	Keep []string
	// Ensemble averages the predictions of every succeeded seed of the
	// chosen trial's configuration.
	Ensemble bool
}

// Summary says what predicted.
type Summary struct {
	Rows   int
	Trials []*results.Trial // the trials whose models predicted
	Files  []string         // their checkpoint files
}

// Run predicts the rows of the CSV at data with a trial of the sweep in
// sweepDir and writes them to w as CSV: the Keep columns, then Column.
// Every number is written so that it reads back bit for bit.
func Run(ctx context.Context, sweepDir, data string, opts Options, w io.Writer) (*Summary, error) {
	s, err := results.LoadSweep(sweepDir)
	if err != nil {
		return nil, err
	}
	runs, err := choose(s, opts)
	if err != nil {
		return nil, err
	}
	sum := &Summary{}
	var models []*builtin.Trained
	for _, run := range runs {
		file := checkpointFile(run)
		m, err := builtin.ReadCheckpoint(file)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("trial %s keeps no weights in %s: it ran with checkpoint = \"none\", before sweep kept "+
				"checkpoints, or with a model that keeps none (sweep predict needs the built-in %s)", run.Trial.Name, filepath.Dir(file), builtin.FFNName)
		}
		if err != nil {
			return nil, err
		}
		if len(models) > 0 && !slices.Equal(m.Features, models[0].Features) {
			return nil, fmt.Errorf("%s and %s take different features", file, sum.Files[0])
		}
		models = append(models, m)
		sum.Trials, sum.Files = append(sum.Trials, run.Trial), append(sum.Files, file)
	}
	cols, err := dataset.ReadColumns(ctx, data, models[0].Features, opts.Keep)
	if err != nil {
		return nil, err
	}
	sum.Rows = cols.Rows
	preds := make([]float64, cols.Rows)
	for _, m := range models {
		p, err := m.Predict(cols.X)
		if err != nil {
			return nil, err
		}
		for i, v := range p {
			preds[i] += v
		}
	}
	if n := float64(len(models)); n > 1 {
		for i := range preds {
			preds[i] /= n
		}
	}
	return sum, write(w, opts.Keep, cols, preds)
}

func write(w io.Writer, keep []string, cols *dataset.Columns, preds []float64) error {
	cw := csv.NewWriter(w)
	record := append(append([]string(nil), keep...), Column)
	cw.Write(record)
	for i, p := range preds {
		for j := range keep {
			record[j] = cols.Text[j][i]
		}
		record[len(keep)] = strconv.FormatFloat(p, 'g', -1, 64)
		cw.Write(record)
	}
	cw.Flush()
	return cw.Error()
}

// checkpointFile is the best weights of a run: in its directory, or for a
// walk-forward trial in its last fold's, the model trained on the most
// recent data.
func checkpointFile(run *results.Run) string {
	dir := run.Dir
	if n := len(run.Trial.Folds); n > 0 {
		dir = filepath.Join(dir, fmt.Sprintf("fold%d", run.Trial.Folds[n-1].Fold))
	}
	return filepath.Join(dir, builtin.CheckpointFile)
}

// choose returns the finished runs whose models predict: one, or with
// Ensemble every succeeded seed of the configuration.
func choose(s *results.Sweep, opts Options) ([]*results.Run, error) {
	var chosen *results.TrialRuns
	if opts.Trial == "" || opts.Trial == Best {
		r := results.Rank(s, results.RankOptions{})
		if len(r.Rows) == 0 || r.Rows[0].Rank != 1 {
			return nil, fmt.Errorf("no trial of the sweep in %s has succeeded with a score: nothing to predict with", s.Dir)
		}
		configID := r.Rows[0].ConfigID
		members := succeeded(s, configID)
		if opts.Ensemble {
			return members, nil
		}
		// The configuration's best seed.
		best := members[0]
		for _, m := range members[1:] {
			a, b := m.Trial.ScoreOrDefault(), best.Trial.ScoreOrDefault()
			if a != nil && (b == nil || m.Trial.ObjectiveOrDefault().Better(*a, *b)) {
				best = m
			}
		}
		return []*results.Run{best}, nil
	}
	for _, tr := range s.Trials {
		if tr.ID == opts.Trial || tr.Name == opts.Trial {
			chosen = tr
			break
		}
	}
	switch {
	case chosen == nil:
		return nil, fmt.Errorf("no trial %q in the sweep in %s: give a trial's id or name (sweep report lists them), or %q", opts.Trial, s.Dir, Best)
	case chosen.Finished == nil || chosen.Finished.Trial.Status != results.StatusSucceeded:
		status := chosen.Latest().Trial.Status
		if chosen.Finished != nil {
			status = chosen.Finished.Trial.Status
		}
		return nil, fmt.Errorf("trial %s has not succeeded (%s): it kept no trained model", chosen.Name, status)
	case opts.Ensemble:
		return succeeded(s, chosen.Finished.Trial.ConfigID), nil
	}
	return []*results.Run{chosen.Finished}, nil
}

// succeeded returns the latest finished runs of the configuration's trials
// that succeeded, by repeat.
func succeeded(s *results.Sweep, configID string) []*results.Run {
	var runs []*results.Run
	for _, tr := range s.Trials {
		if f := tr.Finished; f != nil && f.Trial.ConfigID == configID && f.Trial.Status == results.StatusSucceeded {
			runs = append(runs, f)
		}
	}
	slices.SortStableFunc(runs, func(a, b *results.Run) int { return a.Trial.Repeat - b.Trial.Repeat })
	return runs
}
