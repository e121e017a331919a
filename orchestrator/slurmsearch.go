package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sweep-ml/sweep/orchestrator/slurm"
	"github.com/sweep-ml/sweep/results"
)

// An adaptive search on Slurm has no controller: each array task is a
// search worker that, in turn, reads the claims and records in the shared
// sweep directory, asks the sampler, claims the next configuration number
// exclusively (so two tasks never run the same configuration and the
// budget holds exactly), and runs its trials, pruning against the rung
// records of every task. `sweep run` only submits the tasks, hands each a
// share of the trials an earlier submission left unfinished, and follows
// the records.

// SearchUntilLayout is how `sweep worker --search-until` takes the time
// after which no new configuration is asked ([search] timeout).
const SearchUntilLayout = time.RFC3339

// searchJobs lists every trial the search has asked for, as read from its
// claims now.
func searchJobs(p *Plan) ([]Job, error) {
	trials, err := askedTrials(p)
	if err != nil {
		return nil, err
	}
	jobs := make([]Job, len(trials))
	for i, t := range trials {
		jobs[i] = Job{Trial: t, MaxAttempts: 1 + p.Spec.Retries}
	}
	return jobs, nil
}

// submitSearch submits one array of search workers, as many as the grid's
// workers (the --workers flag) but no more than there are trials left; the
// unfinished trials of earlier submissions are dealt out among them.
func submitSearch(ctx context.Context, p *Plan, pending []Job, total int, so SlurmOptions, opts RunOptions) (*slurm.Submitted, error) {
	bin, err := workerBinary(so)
	if err != nil {
		return nil, err
	}
	tasks := max(1, min(Workers(opts.Workers, p.Spec), total))
	batches := make([][]string, tasks)
	for i, j := range pending {
		batches[i%tasks] = append(batches[i%tasks], j.Trial.ID)
	}
	cmd := slurm.WorkerCommand(bin) + " --search"
	if t := p.Spec.Search.Timeout; t > 0 {
		cmd += " --search-until " + time.Now().Add(t).UTC().Format(SearchUntilLayout)
	}
	if opts.Rerun != RerunNone {
		cmd += " --rerun " + opts.Rerun
	}
	return so.Client.Submit(ctx, slurm.Submission{
		SweepDir: p.Dir,
		JobName:  "sweep-" + p.Spec.Name,
		Batches:  batches,
		Search:   true,
		Command:  cmd,
		Config:   so.Config,
	})
}

// workerBinary is the sweep executable the tasks run.
func workerBinary(so SlurmOptions) (string, error) {
	if so.Binary != "" {
		return so.Binary, nil
	}
	bin, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find the sweep binary for the Slurm tasks: %w", err)
	}
	return bin, nil
}

// RunSearchWorker is one search worker of an adaptive search (a Slurm
// task's `sweep worker --search`): until the budget is spent, the time is
// up (until, if not zero) or ctx ends, it asks the sampler from what is on
// disk, claims the configuration and runs its trials with at most workers
// at once. A number another worker claimed first is simply looked at
// again.
func RunSearchWorker(ctx context.Context, p *Plan, workers int, executor string, obs Observer, until time.Time) (*Summary, error) {
	start := time.Now()
	if p.Search == nil {
		return nil, fmt.Errorf("%s: a %s sweep has no search to work on", p.Dir, p.Spec.Search.Sampler)
	}
	r := newTrialRunner(p, executor)
	prog := newProgress(obs, p, 0, 0, false)
	sum := &Summary{Dir: p.Dir}
	var err error
	for ctx.Err() == nil {
		var jobs []Job
		if jobs, err = claimNext(p, r, until); err != nil || jobs == nil {
			break
		}
		var records []*results.Trial
		records, err = runAll(ctx, listed(jobs), workers, false, func(ctx context.Context, j Job) (*results.Trial, error) {
			return r.run(ctx, j, prog)
		})
		for _, rec := range records {
			if rec != nil {
				sum.Records = append(sum.Records, rec)
				if rec.Status == results.StatusFailed {
					sum.Failed++
				}
			}
		}
		if err != nil {
			break
		}
	}
	sum.Interrupted, sum.Elapsed = ctx.Err() != nil, time.Since(start)
	prog.finish(sum.ended(err))
	return sum, err
}

// claimNext reads the search's state from disk, asks for the next
// configuration and claims it; it returns its trials, or nil when the
// budget or the time is spent. It sets the runner's pruner to judge
// against the state it read.
func claimNext(p *Plan, r *trialRunner, until time.Time) ([]Job, error) {
	for {
		onDisk, err := results.LoadSweep(p.Dir)
		if err != nil {
			return nil, err
		}
		sr, err := loadSearch(p)
		if err != nil {
			return nil, err
		}
		sr.start(newFinishedStore(onDisk, p.Spec.Objective, nil), nil)
		job, ok, err := sr.next(until)
		if errors.Is(err, errClaimed) {
			continue // another worker took that number: look again
		}
		if err != nil || !ok {
			return nil, err
		}
		if r.pruner, err = newPruner(p, sr.finished.valuesAt); err != nil {
			return nil, err
		}
		return append([]Job{job}, sr.queue...), nil
	}
}
