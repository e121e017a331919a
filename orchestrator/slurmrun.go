package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sweep-ml/sweep/orchestrator/slurm"
	"github.com/sweep-ml/sweep/results"
)

// SlurmOptions configures SlurmExecutor.
type SlurmOptions struct {
	Config slurm.Config
	// Detach returns once the job arrays are submitted instead of waiting
	// for them; `sweep report` follows the sweep from its files.
	Detach bool
	// PollEvery is the time between two looks at the queue (default 2 s).
	PollEvery time.Duration
	// Binary is the sweep executable the tasks run (default: this one). It
	// must be reachable at the same path on the compute nodes.
	Binary string
	Client *slurm.Client
	// OnSubmit, if set, hears about the submission (job ids, directory).
	OnSubmit func(*slurm.Submitted)
}

// SlurmExecutor runs a plan's pending trials as one Slurm job array (several
// when the cluster's MaxArraySize is smaller), whose tasks run `sweep
// worker` over packed batches of trials in the shared sweep directory (for
// a search: search workers, each asking, claiming and running
// configurations until the budget is spent), and waits for them while
// reporting progress from the trials' records and one squeue call per poll.
// Cancelling ctx cancels the arrays (scancel), whose workers mark their
// trials interrupted. Trials of a task that was killed or preempted have no
// finished record and run again on the next Run.
func SlurmExecutor(so SlurmOptions) Executor { return slurmExecutor{so} }

type slurmExecutor struct{ so SlurmOptions }

// check refuses a sweep whose earlier arrays still have tasks queued or
// running; once none has, no recorded run lives, on whichever node.
func (e slurmExecutor) check(ctx context.Context, p *Plan) (mayLive, error) {
	active, err := activeJobs(ctx, e.so.Client, p.Dir)
	if err != nil {
		return nil, err
	}
	if len(active) > 0 {
		return nil, fmt.Errorf("%w: Slurm job arrays %s of this sweep are still queued or running; wait for them or scancel them",
			ErrLocked, strings.Join(active, ", "))
	}
	return noneLives, nil
}

func (e slurmExecutor) execute(ctx context.Context, w *work) error {
	p, so := w.p, e.so
	current := func() ([]Job, error) { return w.jobs, nil }
	var sub *slurm.Submitted
	var err error
	if w.search != nil {
		current = func() ([]Job, error) { return searchJobs(p) }
		sub, err = submitSearch(ctx, p, w.jobs, w.total, so, w.opts)
	} else {
		sub, err = submit(ctx, p, w.jobs, w.onDisk, so, w.opts.Rerun)
	}
	if err != nil {
		return err
	}
	if so.OnSubmit != nil {
		so.OnSubmit(sub)
	}
	if so.Detach {
		w.detached = true
		return nil
	}
	return follow(ctx, p, current, sub, so, w.prog, w.start, w.sum)
}

// submit packs the jobs' trials into batches and submits them.
func submit(ctx context.Context, p *Plan, jobs []Job, onDisk *results.Sweep, so SlurmOptions, rerun string) (*slurm.Submitted, error) {
	bin, err := workerBinary(so)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.Trial.ID
	}
	per := slurm.PerTask(so.Config, len(ids), typicalDuration(onDisk))
	cmd := slurm.WorkerCommand(bin)
	if rerun != RerunNone {
		cmd += " --rerun " + rerun
	}
	return so.Client.Submit(ctx, slurm.Submission{
		SweepDir: p.Dir,
		JobName:  "sweep-" + p.Spec.Name,
		Batches:  slurm.Pack(ids, per),
		Command:  cmd,
		Config:   so.Config,
	})
}

// typicalDuration is the median duration of the sweep's succeeded trials,
// the estimate that packing uses; 0 when none has finished yet.
func typicalDuration(s *results.Sweep) time.Duration {
	var ds []float64
	for _, tr := range s.Trials {
		if tr.Finished != nil && tr.Finished.Trial.Status == results.StatusSucceeded {
			ds = append(ds, tr.Finished.Trial.DurationSeconds)
		}
	}
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return time.Duration(ds[len(ds)/2] * float64(time.Second))
}

// follow polls the queue and the trials' records until no task of the
// submission is queued or running, reporting trials as they start and end.
// On cancellation it cancels the arrays and waits for their tasks to stop.
func follow(ctx context.Context, p *Plan, jobs func() ([]Job, error), sub *slurm.Submitted, so SlurmOptions, prog *progress, since time.Time, sum *Summary) error {
	every := so.PollEvery
	if every <= 0 {
		every = 2 * time.Second
	}
	seen := map[string]runSeen{}
	cancelled := false
	for {
		st, err := so.Client.Poll(context.WithoutCancel(ctx), sub.JobIDs())
		if err != nil {
			return err
		}
		if err := observeRecords(p, jobs, since, seen, prog, sum); err != nil {
			return err
		}
		if st.Active() == 0 {
			lost, err := settleLost(p, jobs)
			if err != nil {
				return err
			}
			if lost > 0 {
				// Report the abandoned runs, now marked interrupted.
				if err := observeRecords(p, jobs, since, seen, prog, sum); err != nil {
					return err
				}
			}
			sum.Interrupted = cancelled || lost > 0
			return endInterrupted(jobs, seen, sum)
		}
		if ctx.Err() != nil && !cancelled {
			if err := so.Client.Cancel(context.WithoutCancel(ctx), sub.JobIDs()); err != nil {
				return err
			}
			cancelled = true
		}
		if cancelled {
			time.Sleep(every) // ctx is done: pace the wait for the tasks to stop
			continue
		}
		if err := watchRecords(ctx, p, jobs, since, seen, prog, sum, every); err != nil {
			return err
		}
	}
}

// recordsEvery is how often follow reads the trials' records between two
// looks at the queue: progress shows sooner than the queue's poll interval,
// and the queue is asked again as soon as every trial has finished.
const recordsEvery = 200 * time.Millisecond

// watchRecords reports the trials' progress from their records until the
// next look at the queue is due (after every), every trial has finished,
// or ctx is done.
func watchRecords(ctx context.Context, p *Plan, jobs func() ([]Job, error), since time.Time, seen map[string]runSeen, prog *progress, sum *Summary, every time.Duration) error {
	due := time.After(every)
	tick := time.NewTicker(min(recordsEvery, every))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-due:
			return nil
		case <-tick.C:
		}
		if err := observeRecords(p, jobs, since, seen, prog, sum); err != nil {
			return err
		}
		if js, err := jobs(); err != nil || len(sum.Records) == len(js) {
			return err
		}
	}
}

// settleLost is called once no task of the sweep is queued or running. A
// job's trial without a finished record was then lost with its task: killed
// (kill -9, the OOM killer), preempted, timed out, or cancelled before it
// started. settleLost marks the runs still recorded running as abandoned
// (interrupted), so that no report shows them in progress, and returns how
// many of the jobs' trials did not finish: the sweep is not complete, and
// the same command runs them again.
func settleLost(p *Plan, current func() ([]Job, error)) (int, error) {
	jobs, err := current()
	if err != nil {
		return 0, err
	}
	onDisk, err := results.LoadSweep(p.Dir)
	if err != nil {
		return 0, err
	}
	if _, err := markAbandoned(p, onDisk, noneLives); err != nil {
		return 0, err
	}
	lost := 0
	for _, j := range jobs {
		if runs := onDisk.Trial(j.Trial.ID); runs == nil || runs.Finished == nil {
			lost++
		}
	}
	return lost, nil
}

// runSeen is what observeRecords last reported of a trial: the directory
// and status of its latest run, and the record of an interrupted one.
type runSeen struct {
	dir         string
	status      results.Status
	interrupted *results.Trial
}

// endInterrupted adds to the summary the trials whose latest run was
// interrupted once every task has ended. Until then a requeued task may
// resume them, and a trial stopped at several time limits on its way to
// the end is one trial run, not several interrupted ones.
func endInterrupted(current func() ([]Job, error), seen map[string]runSeen, sum *Summary) error {
	jobs, err := current()
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if rec := seen[j.Trial.ID].interrupted; rec != nil {
			sum.Records = append(sum.Records, rec)
		}
	}
	return nil
}

// observeRecords reads the current jobs' records and reports the runs that started
// or ended since the last look, the failed attempts that the workers retry
// included. Only runs started after since count.
func observeRecords(p *Plan, current func() ([]Job, error), since time.Time, seen map[string]runSeen, prog *progress, sum *Summary) error {
	jobs, err := current()
	if err != nil {
		return err
	}
	onDisk, err := results.LoadSweep(p.Dir)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		runs := onDisk.Trial(j.Trial.ID)
		if runs == nil {
			continue
		}
		run := runs.Latest()
		rec, last := run.Trial, seen[j.Trial.ID]
		if rec.StartedAt.Before(since) || (last.dir == run.Dir && last.status == rec.Status) {
			continue
		}
		if last.dir != run.Dir {
			if last.status == results.StatusRunning && len(runs.Runs) > 1 {
				// The attempt last seen running ended between two looks,
				// and the next began.
				prog.retrying(runs.Runs[len(runs.Runs)-2].Trial)
			}
			prog.started(rec)
		}
		seen[j.Trial.ID] = runSeen{dir: run.Dir, status: rec.Status}
		switch {
		case rec.Status == results.StatusRunning:
		case rec.Status == results.StatusFailed && rec.Attempt < j.MaxAttempts:
			prog.retrying(rec)
		case rec.Status == results.StatusInterrupted:
			prog.ended(rec)
			seen[j.Trial.ID] = runSeen{dir: run.Dir, status: rec.Status, interrupted: rec}
		default:
			prog.ended(rec)
			sum.Records = append(sum.Records, rec)
		}
	}
	return nil
}

// activeJobs returns the job arrays of earlier submissions of this sweep
// that still have tasks queued or running.
func activeJobs(ctx context.Context, c *slurm.Client, dir string) ([]string, error) {
	_, st, err := pollSubmissions(ctx, c, dir)
	if err != nil {
		return nil, err
	}
	var active []string
	for _, a := range st.Arrays {
		if a.Active() > 0 {
			active = append(active, a.JobID)
		}
	}
	return active, nil
}

// QueuedTrials returns the IDs of the trials that wait in the batch of a
// Slurm array task of the sweep in dir that is still queued or running:
// trials submitted (by `sweep run --detach`, say) that a task has yet to
// start, or is running now. The caller tells them apart by their records.
// It asks Slurm once; with no Slurm on this machine, none is queued.
func QueuedTrials(ctx context.Context, c *slurm.Client, dir string) (map[string]bool, error) {
	subs, st, err := pollSubmissions(ctx, c, dir)
	if err != nil {
		return nil, err
	}
	queued := map[string]bool{}
	i := 0 // st.Arrays follows the submissions' arrays in order
	for _, sub := range subs {
		var batches [][]string
		for _, a := range sub.Arrays {
			for index, task := range st.Arrays[i].Tasks {
				if task.Final() {
					continue
				}
				if batches == nil {
					if batches, err = sub.Batches(); err != nil {
						return nil, err
					}
				}
				for _, id := range batches[a.Offset+index] {
					queued[id] = true
				}
			}
			i++
		}
	}
	return queued, nil
}

// pollSubmissions loads every submission of the sweep in dir and asks
// Slurm, in one call, for the state of their arrays, which the status
// lists in the submissions' order. With no Slurm on this machine, nothing
// of it can be running: the status lists no array.
func pollSubmissions(ctx context.Context, c *slurm.Client, dir string) ([]*slurm.Submitted, slurm.Status, error) {
	files, err := filepath.Glob(filepath.Join(dir, slurm.SubmissionsDir, "*", slurm.JobsFile))
	if err != nil || len(files) == 0 {
		return nil, slurm.Status{}, err
	}
	subs := make([]*slurm.Submitted, len(files))
	var ids []string
	for i, f := range files {
		if subs[i], err = slurm.LoadSubmitted(filepath.Dir(f)); err != nil {
			return nil, slurm.Status{}, err
		}
		ids = append(ids, subs[i].JobIDs()...)
	}
	st, err := c.Poll(ctx, ids)
	if errors.Is(err, exec.ErrNotFound) {
		return nil, slurm.Status{}, nil
	}
	return subs, st, err
}
