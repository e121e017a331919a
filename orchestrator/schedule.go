package orchestrator

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sweep-ml/sweep/orchestrator/spec"
	"github.com/sweep-ml/sweep/results"
)

// EventKind says what a progress Event reports.
type EventKind string

// The progress events, in the order a sweep emits them.
const (
	EventSweepStart EventKind = "sweep_start"
	EventTrialStart EventKind = "trial_start"
	EventTrialEnd   EventKind = "trial_end"
	EventTrialRetry EventKind = "trial_retry" // an attempt failed and the trial runs again
	EventSweepEnd   EventKind = "sweep_end"
)

// Event is a progress report. Counts cover the trials this invocation runs;
// Skipped counts those already finished on disk.
type Event struct {
	Kind    EventKind      `json:"event"`
	Time    time.Time      `json:"time"`
	Total   int            `json:"total"`
	Skipped int            `json:"skipped"`
	Done    int            `json:"done"`
	Running int            `json:"running"`
	Failed  int            `json:"failed"`
	Pruned  int            `json:"pruned"`
	Trial   *results.Trial `json:"trial,omitempty"` // the trial that started or ended
	Best    *results.Trial `json:"best,omitempty"`  // the best finished trial so far, by the objective
	Elapsed float64        `json:"elapsed_seconds"`
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
}

func newProgress(obs Observer, obj spec.Objective, total, skipped int) *progress {
	if obs == nil {
		obs = ObserverFunc(func(Event) {})
	}
	p := &progress{obs: obs, start: time.Now(), objective: obj}
	p.counts.Total, p.counts.Skipped = total, skipped
	p.emit(EventSweepStart, nil)
	return p
}

func (p *progress) emit(kind EventKind, t *results.Trial) {
	e := p.counts
	e.Kind, e.Time, e.Trial = kind, time.Now(), t
	e.Elapsed = e.Time.Sub(p.start).Seconds()
	p.obs.Observe(e)
}

func (p *progress) started(t *results.Trial) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts.Running++
	p.emit(EventTrialStart, t)
}

func (p *progress) ended(t *results.Trial) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts.Running--
	switch t.Status {
	case results.StatusSucceeded:
		p.counts.Done++
		if t.Score != nil && (p.counts.Best == nil || p.objective.Better(*t.Score, *p.counts.Best.Score)) {
			p.counts.Best = t
		}
	case results.StatusPruned:
		p.counts.Done++
		p.counts.Pruned++
	case results.StatusFailed:
		p.counts.Done++
		p.counts.Failed++
	}
	p.emit(EventTrialEnd, t)
}

// retrying reports a failed attempt of a trial that will run again: it
// is neither done nor failed yet.
func (p *progress) retrying(t *results.Trial) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts.Running--
	p.emit(EventTrialRetry, t)
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.emit(EventSweepEnd, nil)
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
