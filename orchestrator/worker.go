package orchestrator

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sweep-ml/sweep/orchestrator/spec"
	"github.com/sweep-ml/sweep/results"
)

// OpenSweep re-creates the plan of a sweep that `sweep run` prepared in dir,
// from the grid it recorded there, so that a worker on another node runs
// exactly the trials it was given. Relative paths in the grid resolve
// against the original grid file's directory, as they did for `sweep run`.
func OpenSweep(ctx context.Context, dir string, opts PlanOptions) (*Plan, error) {
	data, err := os.ReadFile(filepath.Join(dir, MetaFile))
	if err != nil {
		return nil, fmt.Errorf("%s is not a prepared sweep directory: %w", dir, err)
	}
	var meta Meta
	if err := json.Unmarshal(data, &meta); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, MetaFile), err)
	}
	src, err := os.ReadFile(filepath.Join(dir, results.GridFile))
	if err != nil {
		return nil, err
	}
	s, err := spec.Parse(meta.GridFile, src)
	if err != nil {
		return nil, err
	}
	// Absolute, as a plan's directory always is: records and progress
	// name it, whatever the worker's current directory.
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	opts.Workers = max(opts.Workers, 1)
	plan, err := planSpec(ctx, s, opts)
	if err != nil {
		return nil, err
	}
	plan.Dir = dir
	if meta.ModelHash != "" && meta.ModelHash != s.ModelHash {
		// The trials were handed out under the model `sweep run` found:
		// running them with another would record the new model's numbers
		// under the old one's identity.
		plan.Close()
		return nil, fmt.Errorf("the model changed since `sweep run` prepared %s (its fingerprint was %.12s, it is %.12s now): "+
			"its trials are not this model's; run `sweep run` again to run them with it", dir, meta.ModelHash, s.ModelHash)
	}
	return plan, nil
}

// RunTrials runs the given trials of a prepared sweep, at most workers at
// once, without taking the sweep's lock: it is what one Slurm array task
// does, beside other tasks, while `sweep run` holds the lock. Trials that
// already succeeded are skipped, so a requeued task does not repeat them
// (unless rerun says otherwise). An unknown ID is an error before anything
// runs.
func RunTrials(ctx context.Context, p *Plan, ids []string, workers int, rerun, executor string, obs Observer) (*Summary, error) {
	start := time.Now()
	byID := make(map[string]spec.Trial, len(p.Trials))
	for _, t := range p.Trials {
		byID[t.ID] = t
	}
	chosen := make([]spec.Trial, 0, len(ids))
	for _, id := range ids {
		t, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("trial %s is not in the sweep %s (was the grid changed?)", id, p.Dir)
		}
		chosen = append(chosen, t)
	}
	onDisk, err := results.LoadSweep(p.Dir)
	if err != nil {
		return nil, err
	}
	jobs, skipped := Pending(chosen, onDisk, p.Spec.Retries, rerun)
	r := newTrialRunner(p, executor)
	// ASHA's rungs are files in the shared directory, so tasks on other
	// nodes prune against each other; the median rule sees the trials
	// completed when this task started, and its own.
	finished := newFinishedStore(onDisk, p.Spec.Objective, jobs)
	if r.pruner, err = newPruner(p, finished.valuesAt); err != nil {
		return nil, err
	}
	prog := newProgress(obs, p, len(jobs), skipped, false)
	records, err := runAll(ctx, listed(jobs), workers, false, func(ctx context.Context, j Job) (*results.Trial, error) {
		rec, err := r.run(ctx, j, prog)
		finished.add(rec)
		return rec, err
	})
	sum := &Summary{Dir: p.Dir, Skipped: skipped, Interrupted: ctx.Err() != nil, Elapsed: time.Since(start)}
	for _, rec := range records {
		if rec == nil {
			continue
		}
		sum.Records = append(sum.Records, rec)
		if rec.Status == results.StatusFailed {
			sum.Failed++
		}
	}
	prog.finish(sum.ended(err))
	return sum, err
}
