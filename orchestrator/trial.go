package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/sweep-ml/sweep/logger"
	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/results"
)

// ModelLogFile is the file in a trial's run directory that receives the
// model's own output (a plugin's stderr), so that it never reaches the
// user's terminal and a crash's last words stay with the trial.
const ModelLogFile = "model.log"

// trialRunner runs trials of one sweep on a Trainer and records them.
type trialRunner struct {
	spec     *Spec
	dir      string // the sweep directory
	trainer  plugins.Trainer
	host     string
	executor string // provenance: "local" or "slurm"
	slurmJob string
	logOpts  logger.Options
}

// infraError marks a failure of the sweep's machinery (the sweep directory
// cannot be written) as opposed to a failure of the trial: it stops the
// sweep.
type infraError struct{ err error }

func (e infraError) Error() string { return e.err.Error() }
func (e infraError) Unwrap() error { return e.err }

// run runs a trial, retrying a failed attempt while attempts remain, and
// returns the last attempt's record. priorFailures counts the failed runs
// already on disk; maxAttempts bounds their total.
func (r *trialRunner) run(ctx context.Context, t Trial, priorFailures, maxAttempts int, prog *progress) (*results.Trial, error) {
	for attempt := priorFailures + 1; ; attempt++ {
		rec, err := r.attempt(ctx, t, attempt, prog)
		if err != nil || rec.Status != results.StatusFailed || attempt >= maxAttempts || ctx.Err() != nil {
			if rec != nil && prog != nil {
				prog.ended(rec)
			}
			return rec, err
		}
		if prog != nil {
			prog.retrying(rec)
		}
	}
}

// attempt makes one run of a trial in a new timestamped run directory.
func (r *trialRunner) attempt(ctx context.Context, t Trial, attempt int, prog *progress) (*results.Trial, error) {
	tl, err := logger.NewTrainingLogger(r.dir, t.Name, r.logOpts)
	if err != nil {
		return nil, infraError{fmt.Errorf("trial %s: %w", t.Name, err)}
	}
	rec := r.newRecord(t, attempt)
	if err := results.WriteTrial(tl.Dir(), rec); err != nil {
		tl.Close()
		return nil, infraError{err}
	}
	if prog != nil {
		prog.started(rec)
	}
	outcome, last, trainErr := r.train(ctx, t, tl)
	r.finish(ctx, rec, outcome, last, trainErr)
	logErr := closeSession(tl, rec)
	if logErr != nil && rec.Status == results.StatusSucceeded {
		rec.Status, rec.Error = results.StatusFailed, "writing TensorBoard events: "+logErr.Error()
	}
	if err := results.WriteTrial(tl.Dir(), rec); err != nil {
		return rec, infraError{err}
	}
	return rec, nil
}

func (r *trialRunner) newRecord(t Trial, attempt int) *results.Trial {
	return &results.Trial{
		ID: t.ID, ConfigID: t.ConfigID, Name: t.Name,
		Params: t.Params, Swept: t.Swept, Seed: t.Seed, Repeat: t.Repeat, Attempt: attempt,
		Status:    results.StatusRunning,
		StartedAt: time.Now().UTC(), Host: r.host, PID: os.Getpid(),
		Provenance: results.Provenance{
			SweepVersion: BuildVersion(), GridHash: r.spec.GridHash,
			Executor: r.executor, SlurmJob: r.slurmJob,
		},
	}
}

// lastLosses remembers the latest losses a trial reported, so that a trial
// that fails mid-way still records where it got to.
type lastLosses struct {
	train, val float64
	epochs     int64
}

// train runs the trial on the trainer, streaming its events into the
// TensorBoard run. The model's output goes to ModelLogFile.
func (r *trialRunner) train(ctx context.Context, t Trial, tl *logger.TrainingLogger) (plugins.Outcome, lastLosses, error) {
	last := lastLosses{train: math.NaN(), val: math.NaN()}
	modelLog, err := os.Create(filepath.Join(tl.Dir(), ModelLogFile))
	if err != nil {
		return plugins.Outcome{}, last, err
	}
	defer modelLog.Close()
	if err := tl.LogHyperparameters(withSeed(t)); err != nil {
		return plugins.Outcome{}, last, err
	}
	trainCtx := ctx
	if r.spec.Timeout > 0 {
		var cancel context.CancelFunc
		trainCtx, cancel = context.WithTimeout(ctx, r.spec.Timeout)
		defer cancel()
	}
	req := plugins.TrainRequest{TrialID: t.ID, Params: t.Params, Data: r.spec.Data, Seed: t.Seed, HistogramEvery: r.spec.LogEvery}
	emit := func(e plugins.Event) error {
		last.observe(e)
		return logEvent(tl, e)
	}
	out, err := r.trainer.Train(trainCtx, req, modelLog, emit)
	if err != nil && ctx.Err() == nil && trainCtx.Err() != nil {
		err = fmt.Errorf("timed out after %s (the grid's timeout)", r.spec.Timeout)
	}
	return out, last, err
}

func (l *lastLosses) observe(e plugins.Event) {
	for _, s := range e.Scalars {
		switch s.Tag {
		case "train_loss":
			l.train, l.epochs = s.Value, e.Step+1
		case "val_loss":
			l.val = s.Value
		}
	}
}

// logEvent writes a model's event into its TensorBoard run.
func logEvent(tl *logger.TrainingLogger, e plugins.Event) error {
	if e.Graph != nil {
		g := &logger.Graph{Nodes: make([]logger.Node, len(e.Graph.Nodes))}
		for i, n := range e.Graph.Nodes {
			g.Nodes[i] = logger.Node(n)
		}
		if err := tl.LogModelGraph(g); err != nil {
			return err
		}
	}
	if len(e.Scalars) > 0 {
		scalars := make([]logger.Scalar, len(e.Scalars))
		for i, s := range e.Scalars {
			scalars[i] = logger.Scalar(s)
		}
		if err := tl.LogScalarList(e.Step, scalars); err != nil {
			return err
		}
	}
	if len(e.Histograms) == 0 {
		return nil
	}
	params := make([]logger.Param, len(e.Histograms))
	for i, h := range e.Histograms {
		params[i] = logger.Param{Name: h.Tag, Values: h.Values}
	}
	return tl.LogHistograms(e.Step, params)
}

// finish fills a record from how training ended. A cancelled parent context
// means the user (or Slurm) stopped the sweep: the trial is interrupted and
// will run again; a passed timeout or any other error fails the trial.
func (r *trialRunner) finish(ctx context.Context, rec *results.Trial, out plugins.Outcome, last lastLosses, err error) {
	rec.EndedAt = time.Now().UTC()
	rec.DurationSeconds = rec.EndedAt.Sub(rec.StartedAt).Seconds()
	switch {
	case err == nil:
		rec.Status = results.StatusSucceeded
		rec.BestValLoss = results.Metric(out.BestValLoss)
		rec.BestEpoch, rec.EpochsRun, rec.StoppedEarly = out.BestEpoch, out.EpochsRun, out.StoppedEarly
		rec.FinalTrainLoss, rec.FinalValLoss = results.Metric(out.FinalTrainLoss), results.Metric(out.FinalValLoss)
		return
	case ctx.Err() != nil:
		rec.Status, rec.Error = results.StatusInterrupted, context.Cause(ctx).Error()
	default:
		rec.Status, rec.Error = results.StatusFailed, err.Error()
	}
	rec.EpochsRun = last.epochs
	rec.FinalTrainLoss, rec.FinalValLoss = results.Metric(last.train), results.Metric(last.val)
}

// closeSession logs the trial's summary metrics and ends its HParams
// session with its status, then closes the event file.
func closeSession(tl *logger.TrainingLogger, rec *results.Trial) error {
	status := logger.StatusFailure
	var err error
	if rec.Status == results.StatusSucceeded {
		status = logger.StatusSuccess
		if rec.BestValLoss != nil {
			err = tl.LogScalars(rec.BestEpoch, map[string]float64{"best_val_loss": *rec.BestValLoss})
		}
	}
	if rec.Error != "" {
		err = errors.Join(err, tl.LogText("error", rec.Error, rec.EpochsRun))
	}
	err = errors.Join(err, tl.EndSession(status))
	return errors.Join(err, tl.Close())
}
