package search

import "math"

// MedianConfig sets when a Median pruner starts to prune.
type MedianConfig struct {
	// MinEpochs is the warm-up: no trial is pruned while it has run fewer
	// epochs. Optuna's n_warmup_steps with steps counted from 1 (epochs);
	// with Optuna's steps counted from 0 it is n_warmup_steps + 1.
	MinEpochs int
	// StartupTrials is how many trials must have completed before any is
	// pruned; 0 (or less) means 5, Optuna's default.
	StartupTrials int
}

// defaultStartupTrials is Optuna's MedianPruner n_startup_trials.
const defaultStartupTrials = 5

// Median is the median stopping rule (Golovin et al., "Google Vizier",
// KDD 2017) as Optuna 3.1's MedianPruner applies it (PercentilePruner at
// the 50th percentile, interval_steps 1, n_min_trials 1): after k epochs
// a trial stops when its best-so-far score is worse than the median of
// the completed trials' values at epoch k. Its state is the completed
// trials' curves, which the caller reads from the trial records, so it
// keeps nothing of its own.
type Median struct {
	cfg       MedianConfig
	completed Completed
}

// Completed describes the completed trials (not the pruned, failed or
// running ones) to a Median pruner: how many there are, and the values
// at epoch i (from 0) of those whose learning curves have it. Asking for
// one epoch's values, not the curves, keeps a report's cost to one value
// a trial however long the curves are.
type Completed func(epoch int) (n int, values []float64, err error)

// NewMedian returns a median pruner; completed is called on each Report
// that passes the warm-up.
func NewMedian(cfg MedianConfig, completed Completed) *Median {
	if cfg.StartupTrials <= 0 {
		cfg.StartupTrials = defaultStartupTrials
	}
	return &Median{cfg: cfg, completed: completed}
}

// Report says whether the trial stops after len(curve) epochs, following
// Optuna's PercentilePruner.prune step by step: never while the trial is
// in its warm-up or fewer than StartupTrials trials have completed; always
// when every value of its curve is NaN; otherwise when its best value so
// far is greater than the median of the completed curves' values at the
// same epoch, NaNs left out. Completed curves too short to have that
// epoch are left out, and when none has it the trial goes on. Report keeps
// nothing, so a resumed trial gets the same answers while the completed
// trials are the same. trial is not used: the rule needs no record of
// its own.
func (m *Median) Report(trial string, curve []float64) (bool, error) {
	epochs := len(curve)
	if epochs == 0 || epochs < m.cfg.MinEpochs {
		return false, nil
	}
	done, values, err := m.completed(epochs - 1)
	if err != nil {
		return false, err
	}
	if done == 0 || done < m.cfg.StartupTrials {
		return false, nil
	}
	best := nanMin(curve)
	if math.IsNaN(best) {
		return true, nil // Optuna prunes a curve of NaNs before it looks at others
	}
	med := percentile(values, 50)
	if math.IsNaN(med) {
		return false, nil // no completed trial has a value at this epoch
	}
	return best > med, nil
}

var _ Pruner = (*Median)(nil)
