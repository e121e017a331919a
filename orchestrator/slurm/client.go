package slurm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Runner runs one Slurm command and returns its standard output. An error
// must say what failed, including the command's standard error.
type Runner func(ctx context.Context, name string, args ...string) ([]byte, error)

// Client runs Slurm's commands (sbatch, squeue, scontrol, scancel). The zero
// Client runs them from PATH.
type Client struct {
	// Run replaces how commands run, for tests; nil runs them with os/exec.
	Run Runner
}

// CommandError is the error of a Slurm command that failed; it carries the
// command's standard error, which says why.
type CommandError struct {
	Cmd    string // the command line, for people
	Stderr string // what the command wrote to standard error, trimmed
	Err    error  // how it failed: exit status, not found, cancelled
}

func (e *CommandError) Error() string {
	if e.Stderr == "" {
		return fmt.Sprintf("%s: %v", e.Cmd, e.Err)
	}
	return fmt.Sprintf("%s: %v: %s", e.Cmd, e.Err, e.Stderr)
}

func (e *CommandError) Unwrap() error { return e.Err }

// execRunner is the Runner of the zero Client.
func execRunner(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), &CommandError{
			Cmd:    strings.Join(append([]string{name}, args...), " "),
			Stderr: strings.TrimSpace(stderr.String()),
			Err:    err,
		}
	}
	return stdout.Bytes(), nil
}

func (c *Client) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	if c == nil || c.Run == nil {
		return execRunner(ctx, name, args...)
	}
	return c.Run(ctx, name, args...)
}

// invalidJobID is how squeue and scontrol say that none of the job ids they
// were given is known, as for jobs purged MinJobAge after they ended.
const invalidJobID = "Invalid job id specified"

func isInvalidJobID(err error) bool {
	return err != nil && strings.Contains(err.Error(), invalidJobID)
}

// MaxArraySize returns the cluster's MaxArraySize, read from `scontrol show
// config`: an array's task indices must be below it.
func (c *Client) MaxArraySize(ctx context.Context) (int, error) {
	out, err := c.run(ctx, "scontrol", "show", "config")
	if err != nil {
		return 0, fmt.Errorf("slurm: reading MaxArraySize: %w", err)
	}
	return parseMaxArraySize(out)
}

// Poll returns the state of every task of the given job arrays, from one
// squeue call for all of them. Tasks whose jobs Slurm has purged (MinJobAge
// after they end) and pending tasks cancelled before they started are
// absent: see ArrayStatus.Gone. Poll never calls squeue once per task.
func (c *Client) Poll(ctx context.Context, jobIDs []string) (Status, error) {
	st := Status{Arrays: make([]ArrayStatus, len(jobIDs))}
	for i, id := range jobIDs {
		if err := checkJobID(id); err != nil {
			return Status{}, err
		}
		st.Arrays[i] = ArrayStatus{JobID: id, Tasks: map[int]TaskState{}}
	}
	if len(jobIDs) == 0 {
		return st, nil
	}
	// -t all keeps ended tasks in the answer until they are purged, so one
	// call tells both what is queued and how the rest ended; -r lists each
	// pending task on its own line.
	out, err := c.run(ctx, "squeue", "--noheader", "--array", "--states=all",
		"--jobs="+strings.Join(jobIDs, ","), "--format=%i %T %r")
	if isInvalidJobID(err) {
		return st, nil // every job has been purged
	}
	if err != nil {
		return Status{}, fmt.Errorf("slurm: polling jobs %s: %w", strings.Join(jobIDs, ","), err)
	}
	if err := parseSqueue(&st, out); err != nil {
		return Status{}, err
	}
	return st, nil
}

// Wait polls the job arrays every `every` until none of their tasks is
// queued or running, and returns the last status. It stops with ctx's
// error when ctx ends first.
func (c *Client) Wait(ctx context.Context, jobIDs []string, every time.Duration) (Status, error) {
	for {
		st, err := c.Poll(ctx, jobIDs)
		if err != nil || st.Active() == 0 {
			return st, err
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("slurm: jobs %s still active: %w", strings.Join(jobIDs, ","), ctx.Err())
		case <-time.After(every):
		}
	}
}

// TaskExits returns how each task of the job array jobID ended or stands,
// with exit codes, from `scontrol show job`: the detail Poll does not have.
// A job that Slurm has purged gives no tasks and no error.
func (c *Client) TaskExits(ctx context.Context, jobID string) ([]TaskExit, error) {
	if err := checkJobID(jobID); err != nil {
		return nil, err
	}
	out, err := c.run(ctx, "scontrol", "--oneliner", "show", "job", jobID)
	if isInvalidJobID(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("slurm: reading job %s: %w", jobID, err)
	}
	return parseShowJob(out)
}

// Cancel cancels the given job arrays with scancel: their pending tasks never
// start and running ones get SIGTERM, then SIGKILL after Slurm's KillWait.
func (c *Client) Cancel(ctx context.Context, jobIDs []string) error {
	if len(jobIDs) == 0 {
		return nil
	}
	for _, id := range jobIDs {
		if err := checkJobID(id); err != nil {
			return err
		}
	}
	// scancel (22.05) exits 0 for jobs that have ended or been purged.
	if _, err := c.run(ctx, "scancel", jobIDs...); err != nil {
		return fmt.Errorf("slurm: cancelling jobs %s: %w", strings.Join(jobIDs, ","), err)
	}
	return nil
}

// Requeue puts the job (or array task) jobID back into the queue with
// `scontrol requeue`: a running one is stopped first, and it runs again from
// the start of its batch script in a new allocation. A worker calls it for
// its own task (its SLURM_JOB_ID) when its time limit is near.
func (c *Client) Requeue(ctx context.Context, jobID string) error {
	if err := checkJobID(jobID); err != nil {
		return err
	}
	if _, err := c.run(ctx, "scontrol", "requeue", jobID); err != nil {
		return fmt.Errorf("slurm: requeueing job %s: %w", jobID, err)
	}
	return nil
}

// checkJobID refuses what is not a job id as sbatch --parsable prints it, so
// that nothing else reaches Slurm's command lines.
func checkJobID(id string) error {
	if id == "" {
		return errors.New("slurm: empty job id")
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return fmt.Errorf("slurm: job id %q: want digits only", id)
		}
	}
	return nil
}
