// Package results owns the trial record (trial.json), its atomic writes,
// loading a sweep directory, ranking trials and rendering reports.
package results

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"time"
)

// Status is where a trial run stands.
type Status string

// The statuses a trial run can have.
const (
	StatusRunning     Status = "running"     // started; if no process owns it, it was killed
	StatusSucceeded   Status = "succeeded"   // trained to its end or stopped early
	StatusFailed      Status = "failed"      // error, divergence, crash or timeout: see Error
	StatusInterrupted Status = "interrupted" // cancelled (Ctrl-C, scancel); runs again on resume
)

// TrialFile is the name of a trial run's record inside its run directory.
const TrialFile = "trial.json"

// Trial is the record of one trial run, written to <run dir>/trial.json when
// the run starts and again when it ends.
type Trial struct {
	ID       string         `json:"id"`        // hash of params, data and seed
	ConfigID string         `json:"config_id"` // hash of params and data: the same for every repeat
	Name     string         `json:"name"`      // the directory name, for people
	Params   map[string]any `json:"params"`    // every resolved hyperparameter
	Swept    []string       `json:"swept"`     // which of Params the grid varies, in grid order
	Seed     int64          `json:"seed"`
	Repeat   int            `json:"repeat"` // 0-based index among the configuration's seeds
	Attempt  int            `json:"attempt"`

	Status Status `json:"status"`
	Error  string `json:"error,omitempty"`

	// Metrics are pointers because JSON has no NaN: nil means not reached or
	// not a number (a diverged loss).
	BestValLoss    *float64 `json:"best_val_loss"`
	BestEpoch      int64    `json:"best_epoch"`
	EpochsRun      int64    `json:"epochs_run"`
	StoppedEarly   bool     `json:"stopped_early"`
	FinalTrainLoss *float64 `json:"final_train_loss"`
	FinalValLoss   *float64 `json:"final_val_loss"`

	StartedAt       time.Time `json:"started_at"`
	EndedAt         time.Time `json:"ended_at,omitzero"`
	DurationSeconds float64   `json:"duration_seconds"`
	Host            string    `json:"host"`
	PID             int       `json:"pid"`

	Provenance Provenance `json:"provenance"`
}

// Metric returns v as a record's metric: a pointer to it, or nil when it is
// NaN or infinite, which JSON cannot hold (a diverged loss).
func Metric(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// RemoveTemps removes the temporary files that an interrupted
// WriteFileAtomic (or WriteTrial) left in dir: a process killed between
// writing and renaming leaves one behind.
func RemoveTemps(dir string) error {
	temps, err := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	for _, t := range temps {
		err = errors.Join(err, os.Remove(t))
	}
	return err
}

// Provenance ties a run to the code and grid that produced it.
type Provenance struct {
	SweepVersion string `json:"sweep_version"`
	GridHash     string `json:"grid_hash"`
	Executor     string `json:"executor"` // "local" or "slurm"
	SlurmJob     string `json:"slurm_job,omitempty"`
}
