package orchestrator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/sweep-ml/sweep/orchestrator/spec"
	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/dataset"
	"github.com/sweep-ml/sweep/results"
	"github.com/sweep-ml/sweep/results/atomicfile"
)

// Rerun choices for RunOptions.Rerun.
const (
	RerunNone   = ""       // skip finished trials; retry failed ones while retries remain
	RerunFailed = "failed" // also run failed trials whose retries are spent
	RerunAll    = "all"    // run every trial again, in new run directories
)

// MetaFile, at a sweep directory's root, says where the grid came from, so
// that `sweep worker` on another node resolves its relative paths as
// `sweep run` did.
const MetaFile = "sweep.json"

// DataDir, in a sweep directory, holds the prepared data every trial reads
// (see prepareData). The leading dot keeps it out of LoadSweep's way.
const DataDir = ".data"

// Meta is the content of MetaFile.
type Meta struct {
	GridFile string `json:"grid_file"` // absolute path of the grid file as run
	GridHash string `json:"grid_hash"`
	// ModelHash is the fingerprint of the model as run (spec.ModelHash),
	// against which `sweep worker` checks the model it finds.
	ModelHash string    `json:"model_hash"`
	Version   string    `json:"sweep_version"`
	Updated   time.Time `json:"updated"`
}

// RunOptions tunes a `sweep run` beyond what the grid says.
type RunOptions struct {
	Workers  int    // trials at once; 0 takes the grid's workers (0 there: one per CPU)
	Rerun    string // one of the Rerun constants
	FailFast bool   // stop at the first failed trial
	Observer Observer
	// EpochEvents also reports every epoch's scalars to the Observer
	// (EventEpoch). Only the local executor sees them: a Slurm task's
	// epochs stay on its node.
	EpochEvents bool
	// Executor runs the trials: nil (or LocalExecutor()) for this
	// process's model plugins, SlurmExecutor for array tasks.
	Executor Executor
	// OnModelChanges, if set, is told before anything runs which of the
	// plan's trials run again because of their model (FindModelChanges),
	// from the records loaded under the sweep's lock.
	OnModelChanges func(ModelChanges)
}

// Summary is what a `sweep run` did.
type Summary struct {
	Dir     string           // the sweep directory, absolute
	Records []*results.Trial // this invocation's records, in launch order
	Skipped int              // trials already finished on disk
	Failed  int              // trials of the sweep whose latest finished run failed
	// Interrupted is set when the context was cancelled before every trial
	// finished: the sweep is resumable.
	Interrupted bool
	// FailedFast is set when RunOptions.FailFast stopped the sweep at a
	// failed trial.
	FailedFast bool
	Elapsed    time.Duration
	// Sweep is the sweep directory as loaded once the trials ended (or,
	// when nothing ran or was rewritten, as loaded under the lock), for
	// the caller's ranking (loading 100,000 records takes seconds); nil
	// when Run returned an error or detached.
	Sweep *results.Sweep
}

// ended says how a run that returned err with this summary ended.
func (s *Summary) ended(err error) EndState {
	switch {
	case err != nil:
		return EndError
	case s.Interrupted:
		return EndInterrupted
	case s.FailedFast:
		return EndFailedFast
	}
	return EndFinished
}

// String says what the invocation did and how fast, for people: "8 trials
// run (7 succeeded, 1 failed), 4 already finished, in 5.2s (1.5 trials/s)".
func (s *Summary) String() string {
	counts := map[results.Status]int{}
	for _, rec := range s.Records {
		counts[rec.Status]++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d trials run (%d succeeded, %d failed", len(s.Records), counts[results.StatusSucceeded], counts[results.StatusFailed])
	if n := counts[results.StatusPruned]; n > 0 {
		fmt.Fprintf(&b, ", %d pruned", n)
	}
	if n := counts[results.StatusInterrupted]; n > 0 {
		fmt.Fprintf(&b, ", %d interrupted", n)
	}
	fmt.Fprintf(&b, "), %d already finished, in %s", s.Skipped, s.Elapsed.Round(time.Millisecond))
	if len(s.Records) > 0 {
		fmt.Fprintf(&b, " (%.1f trials/s)", float64(len(s.Records))/s.Elapsed.Seconds())
	}
	return b.String()
}

// Plan is a loaded grid expanded into trials, with the model that runs them.
// An adaptive search's Trials are those asked so far, and Search says how
// to ask for more.
type Plan struct {
	Spec    *spec.Spec
	Desc    plugins.Description
	Trials  []spec.Trial
	Search  *spec.SearchSpace // nil for a grid
	Dir     string            // the sweep directory, absolute: <log_dir>/<name>
	Trainer plugins.Trainer
	// Data is the prepared data (see prepareData) that every trial's model
	// reads: its files (one, or one per walk-forward fold; none for a plan
	// that only describes), how they were made, and how many rows the
	// grid's data.missing = "drop" leaves out.
	Data dataset.Prepared
}

// Workers resolves the number of trials to run at once.
func Workers(flag int, s *spec.Spec) int {
	switch {
	case flag > 0:
		return flag
	case s.Workers > 0:
		return s.Workers
	default:
		return runtime.NumCPU()
	}
}

// PlanOptions says how NewPlan starts a grid's model.
type PlanOptions struct {
	// Workers overrides the grid's workers (see Workers) for the size of
	// the pool of model processes that runs the trials.
	Workers int
	// Builtin starts the built-in models a grid may name.
	Builtin BuiltinModels
	// DescribeOnly stops the model once it has described itself: the plan
	// lists trials and runs none, and its Trainer is nil.
	DescribeOnly bool
}

// NewPlan loads a grid, starts its model (with one process per worker
// unless opts.DescribeOnly) and expands the grid against the model's
// hyperparameters. Close the plan when done.
func NewPlan(ctx context.Context, gridPath string, opts PlanOptions) (*Plan, error) {
	return loadPlan(ctx, gridPath, opts, false)
}

// NewRunPlan is NewPlan for a run: it first refuses a sweep that another
// `sweep run` holds, before any model process starts.
func NewRunPlan(ctx context.Context, gridPath string, opts PlanOptions) (*Plan, error) {
	return loadPlan(ctx, gridPath, opts, true)
}

func loadPlan(ctx context.Context, gridPath string, opts PlanOptions, checkLock bool) (*Plan, error) {
	s, err := spec.Load(gridPath)
	if err != nil {
		return nil, err
	}
	if checkLock {
		if err := CheckLock(filepath.Join(s.LogDir, s.Name)); err != nil {
			return nil, err
		}
	}
	opts.Workers = Workers(opts.Workers, s)
	return planSpec(ctx, s, opts)
}

// Close stops the plan's model processes, if it has any.
func (p *Plan) Close() error {
	if p.Trainer == nil {
		return nil
	}
	return p.Trainer.Close()
}

func planSpec(ctx context.Context, s *spec.Spec, opts PlanOptions) (*Plan, error) {
	cmd, version, err := pluginCommand(s, opts.Builtin)
	if err != nil {
		return nil, err
	}
	var pool *plugins.Pool
	var desc plugins.Description
	if opts.DescribeOnly {
		desc, err = describeModel(ctx, cmd)
	} else {
		pool, desc, err = openModel(ctx, cmd, opts.Workers)
	}
	if err != nil && s.Plugin != "" {
		// Name the grid's line too: the path there is what the user fixes.
		return nil, &spec.SpecError{File: s.File, Line: s.Line("plugin"), Key: "plugin", Msg: err.Error()}
	}
	if err != nil {
		return nil, err
	}
	p := &Plan{Spec: s, Desc: desc, Dir: filepath.Join(s.LogDir, s.Name)}
	if pool != nil {
		p.Trainer = pool
	}
	if s.ModelHash, err = spec.ModelHash(s, version, desc.Version); err == nil {
		err = s.HashData()
	}
	if err != nil {
		p.Close()
		return nil, err
	}
	if s.Search.Adaptive() {
		p.Search, err = spec.NewSearchSpace(s, desc)
		if err == nil {
			p.Trials, err = askedTrials(p)
		}
	} else {
		p.Trials, err = spec.Expand(s, desc)
	}
	if err == nil && opts.DescribeOnly {
		p.Data.DroppedRows, err = checkData(ctx, s)
	} else if err == nil {
		p.Data, err = prepareData(ctx, s, p.Dir)
	}
	if err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// askedTrials lists the trials an adaptive search has asked for so far.
func askedTrials(p *Plan) ([]spec.Trial, error) {
	sr, err := readSearch(p)
	if err != nil {
		return nil, err
	}
	return sr.planTrials(), nil
}

// checkData reads a grid's data once before any trial runs, so that a bad
// file is one error naming its row and column, not a failure of every
// trial, and returns how many rows missing = "drop" leaves out. The
// built-in synthetic data cannot be bad, but its split can leave a fold or
// the validation too few rows. It writes nothing: it is what `sweep plan`
// does.
func checkData(ctx context.Context, s *spec.Spec) (dropped int, err error) {
	dropped, err = dataset.Check(ctx, s.Data)
	return dropped, dataError(s, err)
}

// prepareData writes the grid's data, split and standardised, into the
// sweep directory's DataDir (one file per walk-forward fold) unless it is
// there already, and returns the files and the rows dropped for a missing
// value. Every trial's model then reads a file instead of parsing the data
// again: each Go plugin process maps it (one copy in the page cache, however
// many workers), the Python SDK reads it.
func prepareData(ctx context.Context, s *spec.Spec, dir string) (dataset.Prepared, error) {
	// Parsing makes garbage (the blocks of text, their values) beside data
	// as large as the file's numbers; the default GC target would let the
	// heap reach twice that. The values hold no pointers, so collecting
	// more often costs little.
	defer debug.SetGCPercent(debug.SetGCPercent(20))
	p, err := dataset.PrepareArrays(ctx, s.Data, filepath.Join(dir, DataDir))
	if err == nil && !p.Reused {
		// The parsed data is garbage now, as large as the data: hand it
		// back before the workers map the prepared file, rather than hold
		// it for the whole sweep.
		debug.FreeOSMemory()
	}
	return p, dataError(s, err)
}

// dataError names the grid's line of a data error: the path's, or for the
// synthetic data (which is fine) its split's.
func dataError(s *spec.Spec, err error) error {
	if err == nil {
		return nil
	}
	key := "data.path"
	if s.Data.Path == "" {
		key = "data.split"
	}
	return &spec.SpecError{File: s.File, Line: s.Line(key), Key: key, Msg: err.Error()}
}

// Job is a trial to run and the failed runs it already has.
type Job struct {
	Trial         spec.Trial
	PriorFailures int
	MaxAttempts   int
	// Interrupted are the trial's latest runs, newest first, as long as
	// they were interrupted: what the job's first attempt may resume.
	Interrupted []*results.Run
}

// Pending decides, from what is on disk, which trials still need to run:
// succeeded and pruned ones are skipped, failed ones retried while attempts remain (or
// always with RerunFailed), and runs left "running" by a dead sweep run
// again. It also returns how many trials were skipped.
func Pending(trials []spec.Trial, onDisk *results.Sweep, retries int, rerun string) (jobs []Job, skipped int) {
	for _, t := range trials {
		job := Job{Trial: t, MaxAttempts: 1 + retries}
		if runs := onDisk.Trial(t.ID); runs != nil && rerun != RerunAll {
			job.PriorFailures = countFailed(runs)
			job.Interrupted = interruptedRuns(runs)
			switch {
			case runs.Finished == nil:
			case runs.Finished.Trial.Status == results.StatusSucceeded, runs.Finished.Trial.Status == results.StatusPruned:
				// A pruned trial ended as the sweep decided: it is done.
				skipped++
				continue
			case rerun == RerunFailed:
				job.MaxAttempts = max(job.MaxAttempts, job.PriorFailures+1)
			case job.PriorFailures >= job.MaxAttempts:
				skipped++
				continue
			}
		}
		jobs = append(jobs, job)
	}
	return jobs, skipped
}

// interruptedRuns are the trial's latest runs that were interrupted,
// newest first, up to one that was not.
func interruptedRuns(runs *results.TrialRuns) []*results.Run {
	var out []*results.Run
	for i := len(runs.Runs) - 1; i >= 0 && runs.Runs[i].Trial.Status == results.StatusInterrupted; i-- {
		out = append(out, runs.Runs[i])
	}
	return out
}

func countFailed(runs *results.TrialRuns) int {
	n := 0
	for _, r := range runs.Runs {
		if r.Trial.Status == results.StatusFailed {
			n++
		}
	}
	return n
}

// Run runs a plan's pending trials, and for a search the configurations
// its budget has left, on the options' executor (locally by default).
//
// It takes the sweep's lock, records the grid as run, loads the records on
// disk (once: opts.OnModelChanges is told from them too), marks runs that a
// killed sweep left "running" as interrupted (those no executor may still
// be running), then runs. Cancelling ctx stops launching trials and
// interrupts those running; their records say so and a later Run resumes.
// Failed trials are reported in the Summary, not as an error: the error is
// for failures of the sweep itself.
func Run(ctx context.Context, p *Plan, opts RunOptions) (*Summary, error) {
	start := time.Now()
	if p.Search != nil && opts.Rerun == RerunAll {
		return nil, fmt.Errorf("--rerun all: an adaptive search learns from its history and cannot run it again; give the grid another name to start a new search")
	}
	exec := opts.Executor
	if exec == nil {
		exec = LocalExecutor()
	}
	lock, onDisk, err := prepare(p)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	if opts.OnModelChanges != nil {
		opts.OnModelChanges(FindModelChanges(p, onDisk))
	}
	var sr *searchRun
	if p.Search != nil {
		// The claims on disk are the history: take them under the lock.
		if sr, err = loadSearch(p); err != nil {
			return nil, err
		}
	}
	live, err := exec.check(ctx, p)
	if err != nil {
		return nil, err
	}
	rewrote, err := markAbandoned(p, onDisk, live)
	if err != nil {
		return nil, err
	}
	jobs, skipped := Pending(p.Trials, onDisk, p.Spec.Retries, opts.Rerun)
	w := &work{p: p, opts: opts, jobs: jobs, search: sr, onDisk: onDisk, start: start, total: len(jobs),
		finished: newFinishedStore(onDisk, p.Spec.Objective, jobs), sum: &Summary{Dir: p.Dir, Skipped: skipped}}
	if sr != nil {
		sr.start(w.finished, jobs)
		w.total += max(0, p.Spec.Search.Trials-len(sr.asked)) * p.Spec.Repeats
	}
	w.prog = newProgress(opts.Observer, p, w.total, skipped, opts.EpochEvents)
	if w.total > 0 {
		err = exec.execute(ctx, w)
	}
	sum := w.sum
	if w.detached {
		w.prog.finish(EndDetached)
	} else {
		w.prog.finish(sum.ended(err))
	}
	sum.Elapsed = time.Since(start)
	if err != nil || w.detached {
		return sum, err
	}
	if sum.Sweep, err = sweepAfter(p, onDisk, w.total > 0 || rewrote); err != nil {
		return sum, err
	}
	sum.Failed = countSweepFailures(p, sum.Sweep)
	return sum, nil
}

// sweepAfter returns the sweep as a run left it: onDisk, as loaded under
// the lock, if nothing was written since; else loaded again, which reads
// what the run wrote and writes the record index anew for the reports that
// follow.
func sweepAfter(p *Plan, onDisk *results.Sweep, written bool) (*results.Sweep, error) {
	if !written {
		return onDisk, nil
	}
	return loadIndexed(p.Dir)
}

// Executor runs a sweep's trials somewhere: this process's pool of model
// plugins (LocalExecutor), or `sweep worker` in Slurm array tasks
// (SlurmExecutor). Run does what every executor shares: the lock, the
// abandoned runs, what is pending, the search's history, the summary.
type Executor interface {
	// check is called under the sweep's lock, before anything is marked
	// or run: it refuses a sweep it cannot run now, and says whose
	// recorded runs may still be running.
	check(ctx context.Context, p *Plan) (mayLive, error)
	// execute runs the work's jobs (and a search's new configurations)
	// and fills its summary's records and interruption.
	execute(ctx context.Context, w *work) error
}

// work is what Run hands an executor.
type work struct {
	p        *Plan
	opts     RunOptions
	jobs     []Job      // pending trials, in order
	total    int        // trials to run: the pending ones and a search's budget left
	search   *searchRun // nil for a grid
	finished *finishedStore
	onDisk   *results.Sweep
	start    time.Time
	prog     *progress
	sum      *Summary
	detached bool // the executor left the trials running (Slurm --detach)
}

// LocalExecutor runs trials on this process's model plugin processes, with
// the workers the options (or the grid) ask for.
func LocalExecutor() Executor { return localExecutor{} }

type localExecutor struct{}

// check: under the lock, no local run of another process lives; a Slurm
// task's may.
func (localExecutor) check(context.Context, *Plan) (mayLive, error) { return othersMayLive, nil }

func (localExecutor) execute(ctx context.Context, w *work) error {
	p, sr := w.p, w.search
	r := newTrialRunner(p, ExecutorLocal)
	next := listed(w.jobs)
	if sr != nil {
		next = sr.source()
	}
	var err error
	if r.pruner, err = newPruner(p, w.finished.valuesAt); err != nil {
		return err
	}
	records, err := runAll(ctx, next, Workers(w.opts.Workers, p.Spec), w.opts.FailFast,
		func(ctx context.Context, j Job) (*results.Trial, error) {
			rec, err := r.run(ctx, j, w.prog)
			w.finished.add(rec) // the search's history and the median rule's curves
			return rec, err
		})
	if sr != nil {
		p.Trials = sr.planTrials()
	}
	for _, rec := range records {
		if rec != nil {
			w.sum.Records = append(w.sum.Records, rec)
			// runAll stopped at the first failed trial.
			w.sum.FailedFast = w.sum.FailedFast || (w.opts.FailFast && rec.Status == results.StatusFailed)
		}
	}
	w.sum.Interrupted = ctx.Err() != nil
	return err
}

// loadIndexed loads a sweep directory through its record index; tests
// count the loads through it.
var loadIndexed = results.LoadSweepIndexed

// prepare takes the sweep directory's lock, records the grid as run (and
// the experiment summary if the grid asks for it) and loads the records on
// disk.
func prepare(p *Plan) (*Lock, *results.Sweep, error) {
	if err := os.MkdirAll(p.Dir, 0o755); err != nil {
		return nil, nil, err
	}
	lock, err := AcquireLock(p.Dir)
	if err != nil {
		return nil, nil, err
	}
	err = RecordGrid(p.Dir, p.Spec)
	if err == nil && p.Spec.ExperimentSummary {
		err = writeExperiment(p)
	}
	var onDisk *results.Sweep
	if err == nil {
		// Through the index: resuming a large sweep reads only what
		// changed since its last load (and running records, always).
		onDisk, err = loadIndexed(p.Dir)
	}
	if err != nil {
		lock.Release()
		return nil, nil, err
	}
	return lock, onDisk, nil
}

// newTrialRunner returns the runner of p's trials in this process.
func newTrialRunner(p *Plan, executor string) *trialRunner {
	host, _ := os.Hostname()
	return &trialRunner{spec: p.Spec, dir: p.Dir, trainer: p.Trainer, metrics: p.Desc.Metrics, host: host, executor: executor,
		slurmJob: slurmJobName(), dataFiles: p.Data.Files, droppedRows: p.Data.DroppedRows}
}

// slurmJobName names the Slurm job running this process as squeue and
// `sweep run` show it: "181_3" for task 3 of array 181, else the job id.
func slurmJobName() string {
	if array, task := os.Getenv("SLURM_ARRAY_JOB_ID"), os.Getenv("SLURM_ARRAY_TASK_ID"); array != "" && task != "" {
		return array + "_" + task
	}
	return os.Getenv("SLURM_JOB_ID")
}

// countSweepFailures counts the plan's trials whose latest finished run
// failed, this invocation's and earlier ones'.
func countSweepFailures(p *Plan, onDisk *results.Sweep) int {
	n := 0
	for _, t := range p.Trials {
		if runs := onDisk.Trial(t.ID); runs != nil && runs.Finished != nil &&
			runs.Finished.Trial.Status == results.StatusFailed {
			n++
		}
	}
	return n
}

// The executors a trial's provenance names.
const (
	ExecutorLocal = "local" // a plugin process of the `sweep run` that holds the lock
	ExecutorSlurm = "slurm" // a `sweep worker` in a Slurm array task
)

// mayLive says whether a run recorded "running" by the named executor may
// still be running, which only that executor can tell: under a local
// sweep's lock no local run of another process lives, while array tasks of
// an earlier Slurm submission may, until the Slurm executor has seen none
// of them queued or running.
type mayLive func(executor string) bool

// othersMayLive is what a local sweep knows under its lock: its own
// executor's runs are dead, any other's may live. A record that names no
// executor (one written for a directory a killed sweep left without any)
// belongs to no process that could still run it.
func othersMayLive(executor string) bool { return executor != "" && executor != ExecutorLocal }

// noneLives is what an executor knows once it has seen every run of every
// executor stopped.
func noneLives(string) bool { return false }

// markAbandoned rewrites the records of runs still marked running that no
// executor may still be running, as interrupted: they belong to a sweep or
// task that was killed. Their directories stay; the trials run again in new
// ones. Run directories killed before their first record get one. It
// reports whether it wrote any record.
func markAbandoned(p *Plan, s *results.Sweep, live mayLive) (wrote bool, err error) {
	if wrote, err = recordUnrecorded(p, s, live); err != nil {
		return wrote, err
	}
	for _, tr := range s.Trials {
		for _, run := range tr.InProgress() {
			rec := run.Trial
			if live(rec.Provenance.Executor) {
				continue
			}
			rec.Status = results.StatusInterrupted
			rec.Error = fmt.Sprintf("abandoned: the sweep running it (pid %d on %s) stopped without finishing it", rec.PID, rec.Host)
			if err := results.WriteTrial(run.Dir, rec); err != nil {
				return wrote, err
			}
			wrote = true
		}
	}
	return wrote, nil
}

// recordUnrecorded gives a record to each run directory that a killed sweep
// left without one (it died between making the directory and writing the
// first record), so that reports and TensorBoard's HParams session say what
// it was, and removes the temporary file a write in flight left there. The
// trial is known by its directory's name. The writer of such a directory is
// unknown: while an executor that ran the trial before may live (a Slurm
// task still writing its first record), the directory waits. It reports
// whether it wrote any record.
func recordUnrecorded(p *Plan, s *results.Sweep, live mayLive) (wrote bool, err error) {
	byName := make(map[string]spec.Trial, len(p.Trials))
	for _, t := range p.Trials {
		byName[t.Name] = t
	}
	for _, dir := range s.Unrecorded {
		t, ok := byName[filepath.Base(filepath.Dir(dir))]
		if !ok || ranOnLive(s, t.ID, live) {
			continue
		}
		if err := atomicfile.RemoveTemps(dir); err != nil {
			return wrote, err
		}
		rec := &results.Trial{ID: t.ID, ConfigID: t.ConfigID, ModelHash: p.Spec.ModelHash, Name: t.Name, Params: t.Params, Swept: t.Swept,
			Seed: t.Seed, Repeat: t.Repeat, Status: results.StatusInterrupted,
			Error: "abandoned: the sweep running it stopped before it wrote its first record"}
		if fi, err := os.Stat(dir); err == nil {
			rec.StartedAt = fi.ModTime().UTC()
		}
		if err := results.WriteTrial(dir, rec); err != nil {
			return wrote, err
		}
		wrote = true
	}
	return wrote, nil
}

// ranOnLive reports whether an executor that may still live ran the trial.
func ranOnLive(s *results.Sweep, id string, live mayLive) bool {
	if tr := s.Trial(id); tr != nil {
		for _, r := range tr.Runs {
			if live(r.Trial.Provenance.Executor) {
				return true
			}
		}
	}
	return false
}

// RecordGrid keeps the grid as run at the sweep's root (GridFile) with its
// origin (MetaFile). A different grid run earlier into the same directory is
// kept beside it under a timestamped name: nothing is overwritten.
func RecordGrid(dir string, s *spec.Spec) error {
	path := filepath.Join(dir, results.GridFile)
	old, err := os.ReadFile(path)
	switch {
	case err == nil && !bytes.Equal(old, s.Source):
		stamp := time.Now().UTC().Format("20060102-150405.000000000")
		if err := os.Rename(path, filepath.Join(dir, "sweep."+stamp+".toml")); err != nil {
			return err
		}
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return err
	}
	file, err := filepath.Abs(s.File)
	if err != nil {
		return err
	}
	meta, err := json.MarshalIndent(Meta{GridFile: file, GridHash: s.GridHash, ModelHash: s.ModelHash,
		Version: BuildVersion(), Updated: time.Now().UTC()}, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, s.Source); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, MetaFile), append(meta, '\n'))
}
