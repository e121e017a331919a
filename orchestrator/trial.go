package orchestrator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sweep-ml/sweep/logger"
	"github.com/sweep-ml/sweep/orchestrator/search"
	"github.com/sweep-ml/sweep/orchestrator/spec"
	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/dataset"
	"github.com/sweep-ml/sweep/results"
)

// The metrics whose names the record's losses take.
const (
	MetricTrainLoss = "train_loss"
	MetricValLoss   = "val_loss"
)

// ModelLogFile is the file in a trial's run directory that receives the
// model's own output (a plugin's stderr), so that it never reaches the
// user's terminal and a crash's last words stay with the trial.
const ModelLogFile = "model.log"

// trialRunner runs trials of one sweep on a Trainer and records them.
type trialRunner struct {
	spec     *spec.Spec
	dir      string // the sweep directory
	trainer  plugins.Trainer
	metrics  []string // the model's declared metrics, which records sum up
	host     string
	executor string // provenance: ExecutorLocal or ExecutorSlurm
	slurmJob string
	logOpts  logger.Options
	// pruner, if not nil, sees the objective's curve after every epoch
	// and may stop the trial.
	pruner search.Pruner
	// dataFiles are the prepared data: one, or one per fold of a
	// walk-forward split (see prepareData).
	dataFiles []string
	// droppedRows is how many data rows were left out for a missing value,
	// which every record repeats.
	droppedRows int
}

// errPruned is what a trial's event callback returns to stop the trial
// when the pruner says so: the model sees a cancelled call, its process
// lives on for the next trial.
var errPruned = errors.New("pruned")

// infraError marks a failure of the sweep's machinery (the sweep directory
// cannot be written) as opposed to a failure of the trial: it stops the
// sweep.
type infraError struct{ err error }

func (e infraError) Error() string { return e.err.Error() }
func (e infraError) Unwrap() error { return e.err }

// run runs a job's trial, retrying a failed attempt while attempts
// remain, and returns the last attempt's record. The first attempt resumes
// the trial's interrupted runs, if it can; a retry starts afresh.
func (r *trialRunner) run(ctx context.Context, j Job, prog *progress) (*results.Trial, error) {
	t, res := j.Trial, r.resumption(j.Interrupted)
	for attempt := j.PriorFailures + 1; ; attempt++ {
		rec, err := r.attempt(ctx, t, attempt, res, prog)
		res = nil
		if err != nil || rec.Status != results.StatusFailed || attempt >= j.MaxAttempts || ctx.Err() != nil {
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

// StateFile is the name of the training state a model saves in its run
// directory every checkpoint_every epochs (plugins.Checkpoint.StateFile).
const StateFile = "train_state.ckpt"

// resumption is where a trial's interrupted runs stopped.
type resumption struct {
	state string // the newest training state they saved (absolute path)
	// logged are the steps whose events they logged: a resumed run logs
	// those again only if it lacks them, so that TensorBoard shows one
	// curve across the runs, without a step twice.
	logged map[int64]bool
	// runs are their directories, whose states are removed once the
	// trial has finished.
	runs []string
}

// resumption returns what the interrupted runs (newest first) leave to
// resume, or nil: none saved a training state, or the grid saves none.
// Walk-forward trials start again: their folds are runs of their own.
func (r *trialRunner) resumption(interrupted []*results.Run) *resumption {
	if len(interrupted) == 0 || r.spec.CheckpointEvery == 0 || r.spec.Checkpoint == spec.CheckpointNone ||
		r.spec.Data.Split == dataset.SplitWalkForward {
		return nil
	}
	res := &resumption{logged: map[int64]bool{}}
	for _, run := range interrupted {
		res.runs = append(res.runs, run.Dir)
		if path := filepath.Join(run.Dir, StateFile); res.state == "" {
			if _, err := os.Stat(path); err == nil {
				res.state = path
			}
		}
	}
	if res.state == "" {
		return nil
	}
	// The curve the state continues is that of the runs from the state's
	// own back along what each resumed (a run that started from epoch 0
	// begins it), and of the runs after it: only their steps are logged
	// already. Runs before such a restart are another attempt's curve.
	want := filepath.Base(filepath.Dir(res.state))
	for _, run := range interrupted {
		// A killed run's last event may be cut short: what reads counts.
		if events, _ := logger.ReadRun(run.Dir); events != nil {
			for _, points := range events.Scalars {
				for _, p := range points {
					res.logged[p.Step] = true
				}
			}
		}
		if filepath.Base(run.Dir) == want {
			if want = run.Trial.ResumedFrom; want == "" {
				break
			}
		}
	}
	return res
}

// removeStates removes the training states of a trial that has finished:
// nothing resumes it any more.
func removeStates(dirs ...string) {
	for _, d := range dirs {
		os.Remove(filepath.Join(d, StateFile)) // absent when none was saved
	}
}

// attempt makes one run of a trial in a new timestamped run directory,
// resuming res if not nil.
func (r *trialRunner) attempt(ctx context.Context, t spec.Trial, attempt int, res *resumption, prog *progress) (*results.Trial, error) {
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
	m := newTrialMetrics(r.spec.Objective)
	outcome, folds, trainErr := r.trainAll(ctx, t, tl, m, prog, res, rec)
	var infra infraError
	if errors.As(trainErr, &infra) {
		tl.Close()
		return rec, infra
	}
	r.finish(ctx, rec, outcome, m, trainErr)
	if folds != nil {
		rec.Folds, rec.Score = folds, meanScore(folds)
	}
	logErr := closeSession(tl, rec)
	if logErr != nil && rec.Status == results.StatusSucceeded {
		rec.Status, rec.Error = results.StatusFailed, "writing TensorBoard events: "+logErr.Error()
	}
	if err := results.WriteTrial(tl.Dir(), rec); err != nil {
		return rec, infraError{err}
	}
	if rec.Status != results.StatusInterrupted {
		removeStates(tl.Dir())
		if res != nil {
			removeStates(res.runs...)
		}
	}
	return rec, nil
}

func (r *trialRunner) newRecord(t spec.Trial, attempt int) *results.Trial {
	return &results.Trial{
		ID: t.ID, ConfigID: t.ConfigID, ModelHash: r.spec.ModelHash, Name: t.Name, Number: t.Number,
		Params: t.Params, Swept: t.Swept, Seed: t.Seed, Repeat: t.Repeat, Attempt: attempt, DataDroppedRows: r.droppedRows,
		Status:    results.StatusRunning,
		StartedAt: time.Now().UTC(), Host: r.host, PID: os.Getpid(),
		Provenance: results.Provenance{
			SweepVersion: BuildVersion(), GridHash: r.spec.GridHash,
			Executor: r.executor, SlurmJob: r.slurmJob,
		},
	}
}

// trialMetrics is what the host has seen of a trial: every scalar series
// the model reported (the trial's own MetricsTracker), from which it
// computes the score, the best epoch, the curve the pruner sees and the
// final losses, whatever the model's own summary says.
type trialMetrics struct {
	*logger.MetricsTracker
	objective spec.Objective
}

func newTrialMetrics(obj spec.Objective) trialMetrics {
	return trialMetrics{MetricsTracker: logger.NewMetricsTracker(), objective: obj}
}

func (m trialMetrics) observe(e plugins.Event) {
	if len(e.Scalars) == 0 {
		return
	}
	values := make(map[string]float64, len(e.Scalars))
	for _, s := range e.Scalars {
		values[s.Tag] = s.Value
	}
	m.Update(e.Step, values)
}

// reported reports whether e carries the objective's metric.
func (m trialMetrics) reported(e plugins.Event) bool {
	for _, s := range e.Scalars {
		if s.Tag == m.objective.Metric {
			return true
		}
	}
	return false
}

// curve is the objective's metric per epoch (epoch i at index i; NaN for
// an epoch that did not report it).
func (m trialMetrics) curve() results.Series {
	pts := m.Series(m.objective.Metric)
	if len(pts) == 0 {
		return nil
	}
	var n int64
	for _, p := range pts {
		n = max(n, p.Step+1)
	}
	out := make(results.Series, n)
	for i := range out {
		out[i] = math.NaN()
	}
	for _, p := range pts {
		if p.Step >= 0 {
			out[p.Step] = p.Value
		}
	}
	return out
}

// minimised is the curve as the pruner sees it.
func (m trialMetrics) minimised() []float64 {
	c := m.curve()
	for i := range c {
		c[i] = m.objective.Minimised(c[i])
	}
	return c
}

// score is the objective's best value and the epoch that reached it.
func (m trialMetrics) score() (*float64, int64) {
	v, step, ok := m.Best(m.objective.Metric, trackerMode(m.objective.Mode))
	if !ok {
		return nil, 0
	}
	return results.Metric(v), step
}

// trackerMode is a mode (spec.ModeMin, spec.ModeMax) as MetricsTracker.Best
// takes it.
func trackerMode(mode string) logger.Mode {
	if mode == spec.ModeMax {
		return logger.Max
	}
	return logger.Min
}

// summaries sums up each of the declared metrics that the model reported,
// its best by the mode the objective gives it (see
// results.Objective.MetricMode); nil when it reported none of them.
func (m trialMetrics) summaries(declared []string) map[string]results.MetricSummary {
	var out map[string]results.MetricSummary
	for _, name := range declared {
		if len(m.Series(name)) == 0 {
			continue
		}
		mode := m.objective.MetricMode(name)
		s := results.MetricSummary{Mode: mode, Final: results.Metric(m.last(name))}
		if v, step, ok := m.Best(name, trackerMode(mode)); ok {
			s.Best, s.BestEpoch = results.Metric(v), step
		}
		if out == nil {
			out = map[string]results.MetricSummary{}
		}
		out[name] = s
	}
	return out
}

// last is the latest value of a metric, or NaN.
func (m trialMetrics) last(name string) float64 {
	s := m.Series(name)
	if len(s) == 0 {
		return math.NaN()
	}
	return s[len(s)-1].Value
}

// at is the value of a metric the model reported at step, the latest if it
// reported that step twice.
func (m trialMetrics) at(name string, step int64) (float64, bool) {
	s := m.Series(name)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i].Step == step {
			return s[i].Value, true
		}
	}
	return 0, false
}

// epochs is how many epochs the model reported.
func (m trialMetrics) epochs() int64 {
	var n int64
	for _, name := range m.Names() {
		for _, p := range m.Series(name) {
			n = max(n, p.Step+1)
		}
	}
	return n
}

// outcomeTolerance is how far, relatively, a number of a model's Outcome may
// lie from the value it streamed: both cross the wire as float64 and agree
// exactly unless the model keeps its own bookkeeping in float32 (a relative
// error of 6e-8). Anything further is a contradiction.
const outcomeTolerance = 1e-6

// checkOutcome cross-checks the summary a model returns with a trial against
// the events it streamed, which are the source of the trial's numbers: a
// model whose own bookkeeping contradicts them has a bug that the record
// must not hide. Every field of an Outcome is optional (proto3 cannot tell a
// zero from a field left unset), so a zero field states nothing and a zero
// Outcome{} states nothing at all. A model may choose its best epoch by a
// rule of its own (early stopping's min_delta passes over improvements too
// small to count), so BestValLoss is checked against the val_loss the model
// reported at its BestEpoch, not against the host's best.
func (m trialMetrics) checkOutcome(out plugins.Outcome) error {
	var bad []string
	epochs := m.epochs()
	if out.EpochsRun != 0 && out.EpochsRun != epochs {
		bad = append(bad, fmt.Sprintf("epochs_run %d, but its events' steps make %d epochs (steps count epochs from 0)", out.EpochsRun, epochs))
	}
	switch v, ok := m.at(MetricValLoss, out.BestEpoch); {
	case out.BestValLoss == 0 || math.IsNaN(out.BestValLoss) || math.IsInf(out.BestValLoss, 0):
		// No best stated (a model that saw no finite loss says so with
		// NaN or Inf); a best epoch alone must still be an epoch.
		if out.BestEpoch < 0 || out.BestEpoch >= max(epochs, 1) {
			bad = append(bad, fmt.Sprintf("best_epoch %d, but it reported %d epochs", out.BestEpoch, epochs))
		}
	case !ok:
		bad = append(bad, fmt.Sprintf("best_val_loss %g at epoch %d, but it reported no %s at that epoch", out.BestValLoss, out.BestEpoch, MetricValLoss))
	case !agree(out.BestValLoss, v):
		bad = append(bad, fmt.Sprintf("best_val_loss %g at epoch %d, but it reported %s %g at that epoch", out.BestValLoss, out.BestEpoch, MetricValLoss, v))
	}
	for _, f := range []struct {
		field, metric string
		value         float64
	}{
		{"final_train_loss", MetricTrainLoss, out.FinalTrainLoss},
		{"final_val_loss", MetricValLoss, out.FinalValLoss},
	} {
		if f.value == 0 {
			continue
		}
		switch s := m.Series(f.metric); {
		case len(s) == 0:
			bad = append(bad, fmt.Sprintf("%s %g, but it reported no %s", f.field, f.value, f.metric))
		case !agree(f.value, s[len(s)-1].Value):
			bad = append(bad, fmt.Sprintf("%s %g, but its last %s was %g", f.field, f.value, f.metric, s[len(s)-1].Value))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("the model's outcome contradicts the events it reported: %s", strings.Join(bad, "; "))
}

// agree reports whether a number a model stated is within outcomeTolerance
// of the value it reported; NaN agrees with NaN, an infinity with itself.
func agree(stated, reported float64) bool {
	if math.IsNaN(stated) || math.IsNaN(reported) || math.IsInf(stated, 0) || math.IsInf(reported, 0) {
		return stated == reported || math.IsNaN(stated) && math.IsNaN(reported)
	}
	return math.Abs(stated-reported) <= outcomeTolerance*max(math.Abs(stated), math.Abs(reported))
}

// trainAll trains the trial: once, or once per fold of a walk-forward
// split. The model's output goes to ModelLogFile.
func (r *trialRunner) trainAll(ctx context.Context, t spec.Trial, tl *logger.TrainingLogger, m trialMetrics, prog *progress,
	res *resumption, rec *results.Trial) (plugins.Outcome, []results.FoldResult, error) {
	modelLog, err := os.Create(filepath.Join(tl.Dir(), ModelLogFile))
	if err != nil {
		return plugins.Outcome{}, nil, err
	}
	defer modelLog.Close()
	if err := tl.LogHyperparameters(withSeed(t)); err != nil {
		return plugins.Outcome{}, nil, err
	}
	if r.spec.Data.Split != dataset.SplitWalkForward {
		out, err := r.train(ctx, t, tl, m, prog, modelLog, 0, res, rec)
		return out, nil, err
	}
	return r.trainFolds(ctx, t, tl, m, prog, modelLog)
}

// trainFolds trains the trial once per fold, each fold into a TensorBoard
// run of its own (fold<i> in the trial's run directory). Each fold's
// outcome is checked against its own events. The trial's metrics m, and
// its run's scalars, are then each metric's mean over the folds per epoch
// (over the folds that reached it). The pruner sees the first fold only:
// its curve is comparable between trials, epoch by epoch, as soon as it
// runs. A failed fold fails the trial.
func (r *trialRunner) trainFolds(ctx context.Context, t spec.Trial, tl *logger.TrainingLogger, m trialMetrics, prog *progress,
	modelLog io.Writer) (plugins.Outcome, []results.FoldResult, error) {
	k := r.spec.Data.Folds
	perFold := make([]trialMetrics, 0, k)
	folds := make([]results.FoldResult, 0, k)
	var stoppedEarly bool
	for f := 1; f <= k; f++ {
		ftl, err := logger.Open(filepath.Join(tl.Dir(), fmt.Sprintf("fold%d", f)), r.logOpts)
		if err != nil {
			return plugins.Outcome{}, nil, infraError{fmt.Errorf("trial %s: %w", t.Name, err)}
		}
		fm := newTrialMetrics(r.spec.Objective)
		fmt.Fprintf(modelLog, "sweep: fold %d of %d\n", f, k)
		out, err := r.train(ctx, t, ftl, fm, prog, modelLog, f, nil, nil)
		if err == nil {
			err = fm.checkOutcome(out)
		}
		err = errors.Join(err, ftl.Close())
		perFold = append(perFold, fm)
		score, best := fm.score()
		folds = append(folds, results.FoldResult{Fold: f, Score: score, BestEpoch: best, EpochsRun: fm.epochs(), Curve: fm.curve()})
		if err != nil {
			// The record and the trial's run keep the folds so far, as a
			// trial without folds keeps its epochs so far.
			var infra infraError
			if errors.As(err, &infra) || errors.Is(err, errPruned) || ctx.Err() != nil {
				return plugins.Outcome{}, folds, errors.Join(err, m.meanOf(perFold, tl))
			}
			return plugins.Outcome{}, folds, errors.Join(fmt.Errorf("fold %d of %d: %w", f, k, err), m.meanOf(perFold, tl))
		}
		stoppedEarly = stoppedEarly || out.StoppedEarly
	}
	if err := m.meanOf(perFold, tl); err != nil {
		return plugins.Outcome{}, folds, err
	}
	return plugins.Outcome{StoppedEarly: stoppedEarly}, folds, nil
}

// meanOf sets m to the mean over the folds' metrics, per metric and epoch
// (over the folds that reported it), and logs it into the trial's run.
func (m trialMetrics) meanOf(folds []trialMetrics, tl *logger.TrainingLogger) error {
	type sum struct {
		total float64
		n     int
	}
	steps := map[int64]map[string]*sum{}
	for _, f := range folds {
		for _, name := range f.Names() {
			for _, p := range f.Series(name) {
				if steps[p.Step] == nil {
					steps[p.Step] = map[string]*sum{}
				}
				if steps[p.Step][name] == nil {
					steps[p.Step][name] = &sum{}
				}
				steps[p.Step][name].total += p.Value
				steps[p.Step][name].n++
			}
		}
	}
	for _, step := range slices.Sorted(maps.Keys(steps)) {
		values := make(map[string]float64, len(steps[step]))
		for name, s := range steps[step] {
			values[name] = s.total / float64(s.n)
		}
		m.Update(step, values)
		if err := tl.LogScalars(step, values); err != nil {
			return infraError{err}
		}
	}
	return nil
}

// meanScore is a walk-forward trial's score: the mean of its folds' scores,
// or nil if a fold has none.
func meanScore(folds []results.FoldResult) *float64 {
	var total float64
	for _, f := range folds {
		if f.Score == nil {
			return nil
		}
		total += *f.Score
	}
	return results.Metric(total / float64(len(folds)))
}

// train runs the trial (fold 0: the whole split, else that walk-forward
// fold) on the trainer, streaming its events into the TensorBoard run, the
// metrics and the progress, and asking the pruner after each epoch (of the
// first fold only). With res (fold 0 only) it asks the model to resume the
// interrupted runs, and notes in rec whether it did: a model that resumes
// replays the epochs its state covers, which count but are logged only
// where the interrupted runs lost them.
func (r *trialRunner) train(ctx context.Context, t spec.Trial, tl *logger.TrainingLogger, m trialMetrics, prog *progress,
	modelLog io.Writer, fold int, res *resumption, rec *results.Trial) (plugins.Outcome, error) {
	trainCtx := ctx
	if r.spec.Timeout > 0 {
		var cancel context.CancelFunc
		trainCtx, cancel = context.WithTimeout(ctx, r.spec.Timeout)
		defer cancel()
	}
	req := plugins.TrainRequest{TrialID: t.ID, Params: t.Params, Data: r.spec.Data, Seed: t.Seed, HistogramEvery: r.spec.LogEvery,
		Checkpoint: r.checkpoint(t, tl.Dir(), fold)}
	req.Data.Fold = fold
	var logged map[int64]bool // set once the model resumed
	if res != nil {
		req.ResumeFrom = res.state
	}
	if len(r.dataFiles) > 0 {
		req.DataFile = r.dataFiles[max(fold-1, 0)]
		req.Data.File = req.DataFile // Go models map it through dataset.Load
	}
	emit := func(e plugins.Event) error {
		m.observe(e)
		if e.Replayed && res != nil {
			first := logged == nil
			logged = res.logged
			rec.ResumedFrom, rec.ResumedEpochs = filepath.Base(filepath.Dir(res.state)), e.Step+1
			if first {
				// Said at once, not only at the end: a run killed later is
				// still known to continue that state, so that a run that
				// resumes it in turn can tell its curve's parts.
				if err := results.WriteTrial(tl.Dir(), rec); err != nil {
					return infraError{err}
				}
			}
		}
		if prog != nil {
			prog.epoch(t, fold, e.Step, e.Scalars)
		}
		if logged[e.Step] {
			// Logged by the interrupted runs, with the same numbers:
			// resuming is exact. Only the graph is the new run's own.
			e = plugins.Event{Step: e.Step, Graph: e.Graph}
		}
		if err := logEvent(tl, e); err != nil {
			return err
		}
		if r.pruner == nil || fold > 1 || !m.reported(e) {
			return nil
		}
		stop, err := r.pruner.Report(t.ID, m.minimised())
		if err != nil {
			return infraError{fmt.Errorf("trial %s: pruner: %w", t.Name, err)}
		}
		if stop {
			return errPruned
		}
		return nil
	}
	out, err := r.trainer.Train(trainCtx, req, modelLog, emit)
	if err != nil && ctx.Err() == nil && trainCtx.Err() != nil {
		err = fmt.Errorf("timed out after %s (the grid's timeout)", r.spec.Timeout)
	}
	return out, err
}

// The checkpoint metadata the host gives a model: where its files come
// from, so that a file copied elsewhere still says which trial and sweep
// made it.
const (
	MetaTrialID      = "trial_id"
	MetaTrialName    = "trial_name"
	MetaConfigID     = "config_id"
	MetaSeed         = "seed"
	MetaParams       = "params" // every resolved hyperparameter, as JSON
	MetaSweep        = "sweep"  // the sweep's name
	MetaGridHash     = "grid_hash"
	MetaSweepVersion = "sweep_version"
	MetaFold         = "fold" // a walk-forward fold, from 1; absent without folds
)

// checkpoint is what the trial's model is asked to keep in its run
// directory dir (the grid's checkpoint setting), with the trial's
// provenance.
func (r *trialRunner) checkpoint(t spec.Trial, dir string, fold int) plugins.Checkpoint {
	if r.spec.Checkpoint == spec.CheckpointNone {
		return plugins.Checkpoint{}
	}
	params, _ := json.Marshal(t.Params) // values of the declared types: cannot fail
	meta := map[string]string{
		MetaTrialID: t.ID, MetaTrialName: t.Name, MetaConfigID: t.ConfigID, MetaSeed: strconv.FormatInt(t.Seed, 10),
		MetaParams: string(params), MetaSweep: r.spec.Name, MetaGridHash: r.spec.GridHash, MetaSweepVersion: BuildVersion(),
	}
	if fold > 0 {
		meta[MetaFold] = strconv.Itoa(fold)
	}
	c := plugins.Checkpoint{Dir: dir, Last: r.spec.Checkpoint == spec.CheckpointBestLast, Metadata: meta}
	if fold == 0 {
		c.StateEvery, c.StateFile = r.spec.CheckpointEvery, StateFile
	}
	return c
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
// will run again; a passed timeout or any other error fails the trial. The
// score, the best epoch and the final losses come from the events the host
// received; the model's own summary only adds whether it stopped early, and
// fails the trial if it contradicts them (see checkOutcome).
func (r *trialRunner) finish(ctx context.Context, rec *results.Trial, out plugins.Outcome, m trialMetrics, err error) {
	rec.EndedAt = time.Now().UTC()
	rec.DurationSeconds = rec.EndedAt.Sub(rec.StartedAt).Seconds()
	if err == nil {
		err = m.checkOutcome(out)
	}
	switch {
	case err == nil:
		rec.Status = results.StatusSucceeded
		rec.StoppedEarly = out.StoppedEarly
	case errors.Is(err, errPruned):
		rec.Status = results.StatusPruned
	case ctx.Err() != nil:
		rec.Status, rec.Error = results.StatusInterrupted, context.Cause(ctx).Error()
	default:
		rec.Status, rec.Error = results.StatusFailed, err.Error()
	}
	obj := r.spec.Objective
	rec.Objective = &obj
	rec.Curve = m.curve()
	rec.Score, rec.BestEpoch = m.score()
	if val, _, ok := m.Best(MetricValLoss, logger.Min); ok {
		rec.BestValLoss = results.Metric(val)
	}
	rec.EpochsRun = m.epochs()
	rec.FinalTrainLoss, rec.FinalValLoss = results.Metric(m.last(MetricTrainLoss)), results.Metric(m.last(MetricValLoss))
	rec.Metrics = m.summaries(r.metrics)
}

// bestMetric is the scalar tag of a trial's score: best_val_loss for the
// default objective, best_<metric> for another.
func bestMetric(obj spec.Objective) string { return "best_" + obj.Metric }

// closeSession logs the trial's summary metrics and ends its HParams
// session with its status, then closes the event file.
func closeSession(tl *logger.TrainingLogger, rec *results.Trial) error {
	status := logger.StatusFailure
	var err error
	switch rec.Status {
	case results.StatusSucceeded, results.StatusPruned:
		// A pruned trial ended as designed: its session is no failure.
		status = logger.StatusSuccess
		best := map[string]float64{}
		if rec.BestValLoss != nil {
			best["best_val_loss"] = *rec.BestValLoss
		}
		if rec.Score != nil {
			// The HParams dashboard's column for the objective.
			best[bestMetric(rec.ObjectiveOrDefault())] = *rec.Score
		}
		if len(best) > 0 {
			err = tl.LogScalars(rec.BestEpoch, best)
		}
	}
	if rec.Status == results.StatusPruned {
		err = errors.Join(err, tl.LogText("pruned", fmt.Sprintf("stopped by the pruner after %d epochs", rec.EpochsRun), rec.EpochsRun))
	}
	if rec.Error != "" {
		err = errors.Join(err, tl.LogText("error", rec.Error, rec.EpochsRun))
	}
	err = errors.Join(err, tl.EndSession(status))
	return errors.Join(err, tl.Close())
}
