package orchestrator

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sweep-ml/sweep/orchestrator/spec"
	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/results"
)

// EventKind says what a progress Event reports.
type EventKind string

// The progress events, in the order a sweep emits them.
const (
	EventSweepStart EventKind = "sweep_start"
	EventTrialStart EventKind = "trial_start"
	EventEpoch      EventKind = "epoch" // a model reported scalars; only with RunOptions.EpochEvents
	EventTrialEnd   EventKind = "trial_end"
	EventTrialRetry EventKind = "trial_retry" // an attempt failed and the trial runs again
	EventSweepEnd   EventKind = "sweep_end"
)

// EndState is how a sweep ended, as its EventSweepEnd says.
type EndState string

// The ways a sweep ends.
const (
	// EndFinished: every trial it had to run ended; some may have failed.
	EndFinished EndState = "finished"
	// EndFailedFast: RunOptions.FailFast stopped it at a failed trial.
	EndFailedFast EndState = "failed_fast"
	// EndInterrupted: it was cancelled (Ctrl-C, SIGTERM, scancel) or its
	// Slurm tasks ended before their trials; the same command resumes it.
	EndInterrupted EndState = "interrupted"
	// EndDetached: its Slurm arrays were submitted and left to run.
	EndDetached EndState = "detached"
	// EndError: the sweep itself failed (an unwritable directory, say).
	EndError EndState = "error"
)

// Event is a progress report. Counts cover the trials this invocation runs;
// Skipped counts those already finished on disk. Every event carries the
// counts as they stand; the other fields belong to some kinds only.
type Event struct {
	Kind    EventKind
	Time    time.Time
	Elapsed float64 // seconds since the sweep started

	Total       int // trials to run, a search's budget left included
	Skipped     int
	Running     int
	Succeeded   int
	Failed      int // trials whose last attempt failed
	Pruned      int
	Interrupted int

	Sweep     string         // sweep_start: the sweep's name
	Dir       string         // sweep_start: the sweep directory, absolute
	Objective spec.Objective // sweep_start
	Trial     *results.Trial // trial_*: the trial that started, ended or will retry
	Best      *results.Trial // the best finished trial so far by the objective, or nil
	Epoch     *EpochMetrics  // epoch
	Ended     EndState       // sweep_end
}

// Finished counts the trials that ended for good: succeeded, failed or
// pruned. An interrupted trial is not finished: it runs again on resume.
func (e Event) Finished() int { return e.Succeeded + e.Failed + e.Pruned }

// EpochMetrics is what a model reported for one step (epoch) of a trial.
type EpochMetrics struct {
	TrialID, TrialName string
	Fold               int // the walk-forward fold (from 1); 0 without folds
	Step               int64
	Scalars            map[string]float64
}

// Observer receives progress events. Calls are serialised.
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }

// progress counts what the scheduler has done and tells the observer.
type progress struct {
	mu        sync.Mutex
	obs       Observer
	start     time.Time
	counts    Event
	objective spec.Objective
	epochs    bool // report EventEpoch
}

// newProgress reports the start of the plan's sweep, with total trials to
// run and skipped ones already finished; epochs asks for EventEpoch.
func newProgress(obs Observer, p *Plan, total, skipped int, epochs bool) *progress {
	if obs == nil {
		obs = ObserverFunc(func(Event) {})
	}
	pr := &progress{obs: obs, start: time.Now(), objective: p.Spec.Objective, epochs: epochs}
	pr.counts.Total, pr.counts.Skipped = total, skipped
	start := pr.counts
	start.Sweep, start.Dir, start.Objective = p.Spec.Name, p.Dir, p.Spec.Objective
	pr.emit(start, EventSweepStart)
	return pr
}

// emit sends e, of the given kind, stamped with the time.
func (p *progress) emit(e Event, kind EventKind) {
	e.Kind, e.Time = kind, time.Now()
	e.Elapsed = e.Time.Sub(p.start).Seconds()
	p.obs.Observe(e)
}

// emitTrial sends an event about trial t with the counts as they stand.
func (p *progress) emitTrial(kind EventKind, t *results.Trial) {
	e := p.counts
	e.Trial = t
	p.emit(e, kind)
}

func (p *progress) started(t *results.Trial) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts.Running++
	p.emitTrial(EventTrialStart, t)
}

// epoch reports the scalars a model sent for one step of trial t, when
// epoch events were asked for.
func (p *progress) epoch(t spec.Trial, fold int, step int64, scalars []plugins.Scalar) {
	if !p.epochs || len(scalars) == 0 {
		return
	}
	m := &EpochMetrics{TrialID: t.ID, TrialName: t.Name, Fold: fold, Step: step, Scalars: make(map[string]float64, len(scalars))}
	for _, s := range scalars {
		m.Scalars[s.Tag] = s.Value
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.counts
	e.Epoch = m
	p.emit(e, EventEpoch)
}

func (p *progress) ended(t *results.Trial) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts.Running--
	switch t.Status {
	case results.StatusSucceeded:
		p.counts.Succeeded++
		if t.Score != nil && (p.counts.Best == nil || p.objective.Better(*t.Score, *p.counts.Best.Score)) {
			p.counts.Best = t
		}
	case results.StatusPruned:
		p.counts.Pruned++
	case results.StatusFailed:
		p.counts.Failed++
	case results.StatusInterrupted:
		p.counts.Interrupted++
	}
	p.emitTrial(EventTrialEnd, t)
}

// retrying reports a failed attempt of a trial that will run again: it
// is neither finished nor failed yet.
func (p *progress) retrying(t *results.Trial) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts.Running--
	p.emitTrial(EventTrialRetry, t)
}

// finish reports the end of the sweep, and how it ended.
func (p *progress) finish(how EndState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.counts
	e.Ended = how
	p.emit(e, EventSweepEnd)
}

// jobSource hands out the next job to run; ok is false when none is left.
// A grid's is its list of pending trials; a search's asks the sampler.
type jobSource func() (job Job, ok bool, err error)

// listed is the source of a fixed list of jobs, in order.
func listed(jobs []Job) jobSource {
	return func() (Job, bool, error) {
		if len(jobs) == 0 {
			return Job{}, false, nil
		}
		j := jobs[0]
		jobs = jobs[1:]
		return j, true, nil
	}
}

// runAll is the scheduler's producer loop: while a worker is free (at most
// workers run at once) and the source has jobs, it takes the next one and
// runs it. A job is taken only once a worker is free, so that a search asks
// its sampler with every result that came in meanwhile. It returns the
// records of the jobs it launched, in launch order.
//
// A failed trial is data: runJob reports it in its record, not as an error.
// An error from runJob is an infrastructure failure (the sweep directory is
// unwritable, say) and cancels the rest, as does an error of the source.
// With failFast, the first failed trial also stops the launching of more
// and cancels those running.
func runAll(ctx context.Context, next jobSource, workers int, failFast bool,
	runJob func(context.Context, Job) (*results.Trial, error)) ([]*results.Trial, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	free := make(chan struct{}, max(workers, 1))
	var (
		mu      sync.Mutex
		records []*results.Trial
		nextErr error
	)
	for gctx.Err() == nil {
		select {
		case free <- struct{}{}:
		case <-gctx.Done():
			continue
		}
		if gctx.Err() != nil {
			break // the job that freed the worker stopped the sweep
		}
		job, ok, err := next()
		if err != nil || !ok {
			nextErr = err
			break
		}
		mu.Lock()
		i := len(records)
		records = append(records, nil)
		mu.Unlock()
		g.Go(func() error {
			defer func() { <-free }()
			rec, err := runJob(gctx, job)
			mu.Lock()
			records[i] = rec
			mu.Unlock()
			// Cancel before the deferred release frees the worker, so that
			// the loop never starts another job after this one.
			if err != nil || (failFast && rec != nil && rec.Status == results.StatusFailed) {
				cancel()
			}
			return err
		})
	}
	err := g.Wait()
	return records, errors.Join(err, nextErr)
}
