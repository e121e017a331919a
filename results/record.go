// Package results owns the trial record (trial.json), its atomic writes,
// loading a sweep directory, ranking trials and rendering reports.
package results

import (
	"encoding/json"
	"math"
	"strings"
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
	StatusPruned      Status = "pruned"      // stopped early by the sweep's pruner: finished, never re-run
)

// Statuses lists every status a record may hold.
var Statuses = []Status{StatusRunning, StatusSucceeded, StatusFailed, StatusInterrupted, StatusPruned}

// Objective is what a sweep optimises: the best value of Metric over a
// trial's epochs, the lowest (Mode "min") or the highest ("max").
type Objective struct {
	Metric string `json:"metric"`
	Mode   string `json:"mode"`
}

// DefaultObjective is what a record without one was ranked by.
var DefaultObjective = Objective{Metric: "val_loss", Mode: ModeMin}

// The modes of an Objective.
const (
	ModeMin = "min"
	ModeMax = "max"
)

// Better reports whether score a beats score b.
func (o Objective) Better(a, b float64) bool {
	if o.Mode == ModeMax {
		return a > b
	}
	return a < b
}

// MetricMode is the mode by which a record takes a metric's best value: the
// objective's own for its metric; otherwise "min" for a name that says it is
// a loss or an error (train_loss, val_error), "max" for any other, since
// what models report beside their losses is mostly a score where higher is
// better (val_ic, accuracy, sharpe). A metric that is neither (a learning
// rate) still gets a best, the largest: read its final value instead.
func (o Objective) MetricMode(metric string) string {
	switch {
	case metric == o.Metric:
		return o.Mode
	case strings.Contains(metric, "loss"), strings.Contains(metric, "error"):
		return ModeMin
	}
	return ModeMax
}

// Minimised is x as samplers and pruners see it: they always minimise.
func (o Objective) Minimised(x float64) float64 {
	if o.Mode == ModeMax {
		return -x
	}
	return x
}

// TrialFile is the name of a trial run's record inside its run directory.
const TrialFile = "trial.json"

// Trial is the record of one trial run, written to <run dir>/trial.json when
// the run starts and again when it ends.
type Trial struct {
	ID       string `json:"id"`        // hash of the model, params, data and seed
	ConfigID string `json:"config_id"` // hash of the model, params and data: the same for every repeat
	// ModelHash is the fingerprint of the model that ran the trial, which
	// ID covers (see spec.ModelHash); records written before IDs covered
	// the model have none.
	ModelHash string         `json:"model_hash,omitempty"`
	Name      string         `json:"name"`   // the directory name, for people
	Params    map[string]any `json:"params"` // every resolved hyperparameter
	// ParamTypes, on disk only, names each value's type ("int", "float",
	// "string", "bool", "int_list", "float_list"): WriteTrial writes it, and
	// reading a record gives each value its Go type again (int64, float64,
	// []int64, ...) and leaves ParamTypes nil.
	ParamTypes map[string]string `json:"param_types,omitempty"`
	Swept      []string          `json:"swept"` // which of Params the grid varies, in grid order
	Seed       int64             `json:"seed"`
	Repeat     int               `json:"repeat"` // 0-based index among the configuration's seeds
	// Number is the configuration's number: its place in the grid, or the
	// order in which an adaptive search asked for it.
	Number  int `json:"number"`
	Attempt int `json:"attempt"`
	// ResumedFrom names the run directory (a sibling of this one) whose
	// saved training state this run continued after it was interrupted,
	// and ResumedEpochs the epochs that state covered: this run's events
	// hold the epochs after them (and any the interrupted runs lost), its
	// numbers every epoch. Empty for a run that started from epoch 0.
	ResumedFrom   string `json:"resumed_from,omitempty"`
	ResumedEpochs int64  `json:"resumed_epochs,omitempty"`

	Status Status `json:"status"`
	Error  string `json:"error,omitempty"`

	// Metrics are pointers because JSON has no NaN: nil means not reached or
	// not a number (a diverged loss).
	// Objective is what Score measures; Score is the best value of its
	// metric over the epochs run (for a pruned trial, up to where it
	// stopped), BestEpoch the epoch that reached it, and Curve the metric
	// after each epoch. The host computes them from the events it received.
	Objective      *Objective `json:"objective,omitempty"`
	Score          *float64   `json:"score"`
	Curve          Series     `json:"curve,omitempty"`
	BestValLoss    *float64   `json:"best_val_loss"`
	BestEpoch      int64      `json:"best_epoch"`
	EpochsRun      int64      `json:"epochs_run"`
	StoppedEarly   bool       `json:"stopped_early"`
	FinalTrainLoss *float64   `json:"final_train_loss"`
	FinalValLoss   *float64   `json:"final_val_loss"`
	// Metrics sums up every metric the model declared and reported, the
	// losses and the objective's included, by name; a record written
	// before records kept them has none.
	Metrics map[string]MetricSummary `json:"metrics,omitempty"`
	// Folds are a walk-forward trial's trainings, one per fold in order
	// (see dataset.SplitWalkForward). Score is then the mean of the folds'
	// scores, and the losses and curve the mean over the folds per epoch.
	Folds []FoldResult `json:"folds,omitempty"`
	// DataDroppedRows is how many rows of the data the trial trained and
	// validated without, for a missing value (data.missing = "drop").
	DataDroppedRows int `json:"data_dropped_rows,omitempty"`

	StartedAt       time.Time `json:"started_at"`
	EndedAt         time.Time `json:"ended_at,omitzero"`
	DurationSeconds float64   `json:"duration_seconds"`
	Host            string    `json:"host"`
	PID             int       `json:"pid"`

	Provenance Provenance `json:"provenance"`
}

// FoldResult is one fold of a walk-forward trial: its score (the
// objective's best value on that fold's validation rows), the epoch that
// reached it, and how many epochs it ran.
type FoldResult struct {
	Fold      int      `json:"fold"`
	Score     *float64 `json:"score"`
	BestEpoch int64    `json:"best_epoch"`
	EpochsRun int64    `json:"epochs_run"`
	// Curve is the objective's metric on the fold per epoch: the first
	// fold's is what the pruner compares trials by.
	Curve Series `json:"curve,omitempty"`
}

// ObjectiveOrDefault returns what t's Score measures; records written before
// objectives existed were scored by validation loss.
func (t *Trial) ObjectiveOrDefault() Objective {
	if t.Objective != nil {
		return *t.Objective
	}
	return DefaultObjective
}

// ScoreOrDefault returns t's score: Score, or for an older record its best
// validation loss.
func (t *Trial) ScoreOrDefault() *float64 {
	if t.Objective != nil {
		return t.Score
	}
	return t.BestValLoss
}

// MetricSummary is what a record keeps of one metric: its best value over
// the epochs run (by Mode, see Objective.MetricMode), the epoch that
// reached it (the earliest on a tie), and its last value. The host computes
// them from the events it received; nil is a value that was never a finite
// number.
type MetricSummary struct {
	Mode      string   `json:"mode"`
	Best      *float64 `json:"best"`
	BestEpoch int64    `json:"best_epoch"`
	Final     *float64 `json:"final"`
}

// Series is a metric's value per epoch. JSON has no NaN: a non-finite
// value is written as null and read back as NaN.
type Series []float64

// MarshalJSON writes the series with null for each non-finite value.
func (s Series) MarshalJSON() ([]byte, error) {
	out := make([]*float64, len(s))
	for i := range s {
		out[i] = Metric(s[i])
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads a series written by MarshalJSON.
func (s *Series) UnmarshalJSON(data []byte) error {
	var in []*float64
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	*s = make(Series, len(in))
	for i, p := range in {
		(*s)[i] = math.NaN()
		if p != nil {
			(*s)[i] = *p
		}
	}
	return nil
}

// Metric returns v as a record's metric: a pointer to it, or nil when it is
// NaN or infinite, which JSON cannot hold (a diverged loss).
func Metric(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// Provenance ties a run to the code and grid that produced it.
type Provenance struct {
	SweepVersion string `json:"sweep_version"`
	GridHash     string `json:"grid_hash"`
	Executor     string `json:"executor"` // "local" or "slurm"
	SlurmJob     string `json:"slurm_job,omitempty"`
}
