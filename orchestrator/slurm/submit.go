package slurm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sweep-ml/sweep/results/atomicfile"
)

// Submission is one submission of a sweep's remaining trials to Slurm.
type Submission struct {
	// SweepDir is the sweep directory, on a filesystem that the compute
	// nodes share; the submission's files go under SweepDir/.slurm/<time>/.
	SweepDir string
	// JobName names the job arrays in squeue; "sweep" if empty.
	JobName string
	// Batches are the packed trial IDs (see Pack): batch i is the work of
	// task i, counted across all arrays of the submission.
	Batches [][]string
	// Search says that the tasks are search workers, which ask for more
	// trials once their batch is done: a batch may then be empty.
	Search bool
	// Command is the shell command line each task runs, with SWEEP_DIR,
	// SWEEP_BATCH (the task's batch file) and SWEEP_WORKERS (the task's CPUs)
	// in its environment; see WorkerCommand.
	Command string
	// Config holds the sbatch settings.
	Config Config
	// MaxArraySize overrides the cluster's (see Client.MaxArraySize) when
	// positive.
	MaxArraySize int
	// Time names the submission directory; zero means now.
	Time time.Time
}

// WorkerCommand returns the Command that runs the sweep binary at bin as
// `sweep worker` over the task's batch, with one worker per CPU of the task.
// exec lets scancel's SIGTERM, and the USR1 that --signal sends before the
// time limit, reach the worker, which marks its trials interrupted (and on
// USR1 requeues its task).
func WorkerCommand(bin string) string {
	return "exec " + shellQuote(bin) +
		` worker --sweep-dir "$SWEEP_DIR" --batch "$SWEEP_BATCH" --workers "$SWEEP_WORKERS"`
}

// Array is one job array of a submission.
type Array struct {
	JobID  string // as sbatch --parsable printed it
	Offset int    // the submission-wide task number of the array's index 0
	Tasks  int    // the array's indices are 0 to Tasks-1
	Script string // the sbatch script's path
}

// Submitted is what Submit did.
type Submitted struct {
	Dir    string  // SweepDir/.slurm/<time>: batch files, scripts, logs/
	Arrays []Array // in submission order; their tasks cover the batches in order
}

// JobIDs returns the arrays' job ids, for Poll and Cancel.
func (s *Submitted) JobIDs() []string {
	ids := make([]string, len(s.Arrays))
	for i, a := range s.Arrays {
		ids[i] = a.JobID
	}
	return ids
}

// SubmissionsDir, in a sweep directory, holds one directory per submission.
// It is hidden so that it never meets a trial's directory, which a grid's
// trial_name template may call anything, "slurm" included.
const SubmissionsDir = ".slurm"

// TimeLayout names a submission's directory, as trial runs' are named.
const TimeLayout = "20060102-150405"

// JobsFile, in a submission's directory, lists its arrays as they are
// submitted: one line "<job id> <offset> <tasks>" per array, so that a later
// `sweep` can find the jobs again. It is replaced atomically, so a reader
// never sees half of it.
const JobsFile = "jobs.txt"

// Submit writes the submission's batch files and sbatch scripts under
// sub.SweepDir/.slurm/<time>/ and submits the scripts with `sbatch
// --parsable`, one job array per MaxArraySize tasks. Arrays after the first
// wait for the one before (afterany) when Config.Parallelism is set, so that
// the throttle holds across them. If an sbatch fails (or recording its job
// in the JobsFile does), Submit cancels the arrays it had submitted (or,
// with none submitted, removes the submission's directory) and returns the
// error.
func (c *Client) Submit(ctx context.Context, sub Submission) (*Submitted, error) {
	sweepDir, err := sub.check()
	if err != nil {
		return nil, err
	}
	maxSize := sub.MaxArraySize
	if maxSize <= 0 {
		if maxSize, err = c.MaxArraySize(ctx); err != nil {
			return nil, err
		}
		if maxSize < 1 {
			return nil, errors.New("slurm: the cluster's MaxArraySize is 0: job arrays are disabled")
		}
	}
	dir, arrays, err := sub.writeFiles(sweepDir, maxSize)
	if err != nil {
		return nil, err
	}
	res := &Submitted{Dir: dir}
	for _, a := range arrays {
		args := []string{"--parsable"}
		if n := len(res.Arrays); n > 0 && sub.Config.Parallelism > 0 {
			args = append(args, "--dependency=afterany:"+res.Arrays[n-1].JobID)
		}
		out, err := c.run(ctx, "sbatch", append(args, a.Script)...)
		if err == nil {
			// --parsable prints "<id>" or "<id>;<cluster>".
			a.JobID, _, _ = strings.Cut(strings.TrimSpace(string(out)), ";")
			err = checkJobID(a.JobID)
		}
		if err != nil {
			return nil, c.abandon(ctx, res, fmt.Errorf("slurm: submitting %s: %w", a.Script, err))
		}
		res.Arrays = append(res.Arrays, a)
		// Recorded after every sbatch, not once at the end, so that an
		// array is on record as soon as it exists: a later sweep that finds
		// it still active does not submit the same trials again.
		if err := atomicfile.Write(filepath.Join(dir, JobsFile), []byte(res.jobsText())); err != nil {
			return nil, c.abandon(ctx, res, fmt.Errorf("slurm: %w", err))
		}
	}
	return res, nil
}

// writeFiles makes the submission's directory and writes every batch file
// and sbatch script into it, before anything is submitted, so that a failure
// to write leaves no job array behind. It returns the directory and the
// arrays to submit, without job ids.
func (s Submission) writeFiles(sweepDir string, maxSize int) (dir string, arrays []Array, err error) {
	when := s.Time
	if when.IsZero() {
		when = time.Now()
	}
	if dir, err = makeUniqueDir(filepath.Join(sweepDir, SubmissionsDir), when.Format(TimeLayout)); err != nil {
		return "", nil, err
	}
	if err := os.Mkdir(filepath.Join(dir, "logs"), 0o755); err != nil {
		return "", nil, fmt.Errorf("slurm: %w", err)
	}
	for i, b := range s.Batches {
		if err := writeFile(batchPath(dir, i), strings.Join(append(b, ""), "\n")); err != nil {
			return "", nil, err
		}
	}
	for off := 0; off < len(s.Batches); off += maxSize {
		a := Array{Offset: off, Tasks: min(maxSize, len(s.Batches)-off), Script: scriptPath(dir, len(arrays))}
		if err := writeFile(a.Script, s.script(sweepDir, dir, a)); err != nil {
			return "", nil, err
		}
		arrays = append(arrays, a)
	}
	return dir, arrays, nil
}

// abandon cancels the arrays of a submission that failed part-way and
// returns err, joined with scancel's error if that fails too. It cancels even
// when ctx has ended: the arrays must not run unwatched. A submission with
// no array in the queue is removed instead: nothing of it will run or log,
// and its directory would only look like a submission.
func (c *Client) abandon(ctx context.Context, res *Submitted, err error) error {
	if len(res.Arrays) == 0 {
		if rerr := os.RemoveAll(res.Dir); rerr != nil {
			return errors.Join(err, fmt.Errorf("slurm: %w", rerr))
		}
		return err
	}
	if cerr := c.Cancel(context.WithoutCancel(ctx), res.JobIDs()); cerr != nil {
		return errors.Join(err, cerr)
	}
	return err
}

// check refuses a submission that cannot run, before anything is written,
// and returns the sweep directory's absolute path.
func (s Submission) check() (sweepDir string, err error) {
	if err := s.Config.Validate(); err != nil {
		return "", err
	}
	switch {
	case s.SweepDir == "":
		return "", errors.New("slurm: submission has no sweep directory")
	case len(s.Batches) == 0:
		return "", errors.New("slurm: submission has no trials")
	case strings.TrimSpace(s.Command) == "":
		return "", errors.New("slurm: submission has no command")
	}
	if err := checkWord(s.JobName); err != nil {
		return "", fmt.Errorf("slurm: job name %q: %v", s.JobName, err)
	}
	for i, b := range s.Batches {
		if len(b) == 0 && !s.Search {
			return "", fmt.Errorf("slurm: batch %d is empty", i)
		}
		for _, id := range b {
			if err := checkTrialID(id); err != nil {
				return "", fmt.Errorf("slurm: batch %d: %v", i, err)
			}
		}
	}
	if sweepDir, err = filepath.Abs(s.SweepDir); err != nil {
		return "", fmt.Errorf("slurm: sweep directory: %w", err)
	}
	// The path goes into #SBATCH lines, which sbatch splits at white space,
	// and into --output patterns, where % is special.
	if strings.ContainsAny(sweepDir, " \t\n\r\"'\\%") {
		return "", fmt.Errorf("slurm: sweep directory %q: must not hold white space, quotes, backslashes or %%", sweepDir)
	}
	return sweepDir, nil
}

// script renders the sbatch script of array a, whose batch files are in dir.
func (s Submission) script(sweepDir, dir string, a Array) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	opt := func(name, value string) {
		if value != "" {
			line("#SBATCH --%s=%s", name, value)
		}
	}
	line("#!/bin/bash")
	line("# Written by sweep: tasks %d to %d of the submission in this directory.", a.Offset, a.Offset+a.Tasks-1)
	opt("job-name", cmp.Or(s.JobName, "sweep"))
	opt("partition", s.Config.Partition)
	opt("time", s.Config.Time)
	opt("cpus-per-task", strconv.Itoa(max(s.Config.CPUsPerTask, 1)))
	opt("mem", s.Config.Mem)
	array := fmt.Sprintf("0-%d", a.Tasks-1)
	if s.Config.Parallelism > 0 {
		array += fmt.Sprintf("%%%d", s.Config.Parallelism)
	}
	opt("array", array)
	opt("output", filepath.Join(dir, "logs", "%A_%a.out"))
	opt("error", filepath.Join(dir, "logs", "%A_%a.err"))
	// A preempted task goes back to the queue rather than failing, and the
	// worker (the batch shell, which exec became: hence B:) hears USR1
	// before the time limit, stops its trials cleanly (their training
	// states stay) and requeues its task, so that the trials continue in
	// the next allocation.
	line("#SBATCH --requeue")
	opt("signal", fmt.Sprintf("B:USR1@%d", cmp.Or(s.Config.SignalSeconds, DefaultSignalSeconds)))
	// The grid's own sbatch arguments come last so that they override the
	// lines above. An argument that does not start with "-" is the value of
	// the option before it, as in ["--account", "ml"].
	extra := s.Config.ExtraArgs
	for len(extra) > 0 {
		n := 1
		for n < len(extra) && !strings.HasPrefix(extra[n], "-") {
			n++
		}
		line("#SBATCH %s", strings.Join(extra[:n], " "))
		extra = extra[n:]
	}
	line("")
	line("set -eu")
	// A time-limit signal due as the task starts must not kill the batch
	// shell (Slurm would mark the task failed, not requeue it): ignored
	// until the worker, which exec makes of this shell, listens for it.
	line("trap '' USR1")
	line("export SWEEP_DIR=%s", shellQuote(sweepDir))
	line(`export SWEEP_BATCH=%s"$((SLURM_ARRAY_TASK_ID + %d)).txt"`, shellQuote(filepath.Join(dir, batchPrefix)), a.Offset)
	line(`export SWEEP_WORKERS="${SLURM_CPUS_PER_TASK:-1}"`)
	line("%s", s.Command)
	return b.String()
}

// batchPrefix starts the name of the file that lists a task's trial IDs,
// batch-<task>.txt.
const batchPrefix = "batch-"

// batchPath is the file that lists task i's trial IDs.
func batchPath(dir string, task int) string {
	return filepath.Join(dir, batchPrefix+strconv.Itoa(task)+".txt")
}

// makeUniqueDir creates parent/name, or parent/name-1, -2, ... when it
// exists, and returns its path; two submissions in one second get two
// directories.
func makeUniqueDir(parent, name string) (string, error) {
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("slurm: %w", err)
	}
	for i := 0; ; i++ {
		dir := filepath.Join(parent, name)
		if i > 0 {
			dir += "-" + strconv.Itoa(i)
		}
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("slurm: %w", err)
		}
	}
}

func writeFile(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		return fmt.Errorf("slurm: %w", err)
	}
	return nil
}

// shellQuote quotes s for bash as one word.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
