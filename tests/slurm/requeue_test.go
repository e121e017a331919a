//go:build linux

package slurm

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/plugins/safetensors"
	"github.com/sweep-ml/sweep/results"
)

// A task stopped in the middle of a trial of the built-in model and put back
// in the queue runs its batch again in a new allocation: the trial resumes
// from its last training state and ends with the numbers and weights of the
// same grid run locally without interruption. The task is requeued either
// from outside with `scontrol requeue`, as preemption of a task submitted
// with --requeue does (the worker hears SIGTERM), or by its worker itself on
// the SIGUSR1 that --signal=B:USR1@N sends before the time limit (sent here
// with scancel --signal).
func TestSlurmRequeueResumes(t *testing.T) {
	requireSlurm(t)
	for _, c := range []struct {
		name    string
		requeue func(t *testing.T, task string)
	}{{
		name: "scontrol requeue",
		requeue: func(t *testing.T, task string) {
			if out, err := exec.Command("scontrol", "requeue", task).CombinedOutput(); err != nil {
				t.Fatalf("scontrol requeue %s: %v: %s", task, err, out)
			}
		},
	}, {
		name: "USR1 before the time limit",
		requeue: func(t *testing.T, task string) {
			if out, err := exec.Command("scancel", "--batch", "--signal=USR1", task).CombinedOutput(); err != nil {
				t.Fatalf("scancel --signal=USR1 %s: %v: %s", task, err, out)
			}
		},
	}} {
		t.Run(c.name, func(t *testing.T) {
			// A requeued task waits about two minutes (Slurm's credential
			// lifetime) before it runs again: the cases wait side by side.
			t.Parallel()
			dir := workDir(t, "resume.toml")
			writeVariant(t, dir, "grid.toml", "local.toml", `log_dir          = "runs"`, `log_dir          = "runs-local"`)
			sweepDir := filepath.Join(dir, "runs", "resume")
			p := start(t, dir, slurmRun("--trials-per-task", "2", "--cpus-per-task", "1")...)
			sub := waitSubmitted(t, sweepDir, 1)
			if len(sub.Arrays) != 1 || sub.Arrays[0].Tasks != 1 {
				t.Fatalf("submission %+v, want one array of one task", sub.Arrays)
			}
			first := batches(t, sub)[0][0]

			// Requeue the task once its first trial has saved a training state.
			waitFor(t, 2*time.Minute, "a training state of the first trial", func() bool {
				rec := latest(t, sweepDir, first)
				if rec == nil || rec.Status != results.StatusRunning {
					return false
				}
				files, _ := filepath.Glob(filepath.Join(sweepDir, rec.Name, "*", "train_state.ckpt"))
				return len(files) > 0
			})
			c.requeue(t, sub.Arrays[0].JobID+"_0")

			r := p.wait(t, 6*time.Minute)
			mustExit(t, r, 0)
			// Both trials succeeded; the first trial's interrupted run,
			// which the requeued task resumed, is no interrupted trial.
			mustMatch(t, r.stderr, `(?m)^sweep: 2 trials run \(2 succeeded, 0 failed\)`)
			exits := taskExits(t, sub)
			if len(exits) != 1 || exits[0].State != "COMPLETED" {
				t.Errorf("task exits %+v, want the one task COMPLETED", exits)
			}
			if len(submissions(t, sweepDir)) != 1 {
				t.Errorf("more than one submission: the requeued task should have finished the sweep")
			}
			mustExit(t, sweep(t, dir, "run", "local.toml", "--executor", "local", "--workers", "1"), 0)

			onSlurm, err := results.LoadSweep(sweepDir)
			if err != nil {
				t.Fatal(err)
			}
			local, err := results.LoadSweep(filepath.Join(dir, "runs-local", "resume"))
			if err != nil {
				t.Fatal(err)
			}
			if len(local.Trials) != 2 {
				t.Fatalf("%d trials locally, want 2", len(local.Trials))
			}
			resumed := 0
			for _, l := range local.Trials {
				s := onSlurm.Trial(l.ID)
				if s == nil || s.Finished == nil || l.Finished == nil {
					t.Fatalf("trial %s: not finished both on Slurm and locally", l.Name)
				}
				sr, lr := s.Finished.Trial, l.Finished.Trial
				for _, d := range outcomeDiffs(sr, lr) {
					t.Errorf("trial %s: %s", l.Name, d)
				}
				if bits(sr.Score) != bits(lr.Score) {
					t.Errorf("trial %s: score %s on Slurm, %s locally", l.Name, bits(sr.Score), bits(lr.Score))
				}
				if !reflect.DeepEqual(weights(t, s.Finished.Dir), weights(t, l.Finished.Dir)) {
					t.Errorf("trial %s: model.safetensors differs from the local run's", l.Name)
				}
				if sr.ResumedFrom != "" {
					resumed++
					if sr.Provenance.SlurmJob == "" {
						t.Errorf("trial %s: resumed run without a Slurm job in its provenance", l.Name)
					}
				}
			}
			// The first trial was stopped after its first training state:
			// its finished run resumed from the interrupted one.
			tr := onSlurm.Trial(first)
			if rf := tr.Finished.Trial.ResumedFrom; rf == "" {
				t.Errorf("trial %s: its finished run did not resume (no resumed_from)", tr.Name)
			} else if _, err := os.Stat(filepath.Join(sweepDir, tr.Name, rf, results.TrialFile)); err != nil {
				t.Errorf("trial %s: resumed_from %q: %v", tr.Name, rf, err)
			}
			if resumed != 1 {
				t.Errorf("%d resumed trials, want 1", resumed)
			}
		})
	}
}

// weights reads a run's model.safetensors without the metadata that names
// its sweep (its grid differs from the local one by log_dir).
func weights(tb testing.TB, runDir string) *safetensors.File {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(runDir, "model.safetensors"))
	if err != nil {
		tb.Fatal(err)
	}
	f, err := safetensors.Read(data)
	if err != nil {
		tb.Fatal(err)
	}
	f.Metadata = maps.Clone(f.Metadata)
	delete(f.Metadata, "sweep")
	delete(f.Metadata, "grid_hash")
	return f
}

// A trial longer than its task's time limit finishes over several
// allocations: before each limit Slurm sends the worker SIGUSR1
// (--signal), the worker stops the trial, which saves its training state,
// and requeues its own task; each new allocation resumes the trial where
// the last stopped. The trial ends with the numbers and weights of an
// uninterrupted local run, and each run resumed from the newest one before
// it that saved a state.
func TestSlurmTimeLimit(t *testing.T) {
	requireSlurm(t)
	t.Parallel()
	dir := workDir(t, "timelimit.toml")
	writeVariant(t, dir, "grid.toml", "local.toml", `log_dir          = "runs"`, `log_dir          = "runs-local"`)
	sweepDir := filepath.Join(dir, "runs", "timelimit")
	p := start(t, dir, slurmRun()...)
	local := start(t, dir, "run", "local.toml", "--executor", "local", "--workers", "1")
	mustExit(t, local.wait(t, 8*time.Minute), 0)
	r := p.wait(t, 15*time.Minute)
	mustExit(t, r, 0)
	mustMatch(t, r.stderr, `(?m)^sweep: 1 trials run \(1 succeeded, 0 failed\)`)
	sub := submissions(t, sweepDir)
	if len(sub) != 1 {
		t.Fatalf("%d submissions, want 1: the requeued task should have finished the sweep", len(sub))
	}
	if exits := taskExits(t, sub[0]); len(exits) != 1 || exits[0].State != "COMPLETED" {
		t.Errorf("task exits %+v, want the one task COMPLETED", exits)
	}

	onSlurm, err := results.LoadSweep(sweepDir)
	if err != nil {
		t.Fatal(err)
	}
	want, err := results.LoadSweep(filepath.Join(dir, "runs-local", "timelimit"))
	if err != nil {
		t.Fatal(err)
	}
	if len(onSlurm.Trials) != 1 || len(want.Trials) != 1 {
		t.Fatalf("%d trials on Slurm, %d locally, want 1", len(onSlurm.Trials), len(want.Trials))
	}
	tr, l := onSlurm.Trials[0], want.Trials[0]
	if tr.Finished == nil || l.Finished == nil {
		t.Fatal("the trial did not finish both on Slurm and locally")
	}
	if len(tr.Runs) < 2 {
		t.Fatalf("%d run(s) of the trial on Slurm, want several allocations", len(tr.Runs))
	}
	for i, run := range tr.Runs {
		rec := run.Trial
		if i == len(tr.Runs)-1 {
			if run != tr.Finished {
				t.Errorf("the last run %s is not the finished one", run.Dir)
			}
		} else if rec.Status != results.StatusInterrupted || !strings.Contains(rec.Error, "user defined signal 1") {
			t.Errorf("run %d: %s (%q), want interrupted by SIGUSR1", i, rec.Status, rec.Error)
		}
		// A run resumes the newest earlier one that saved a state; one
		// stopped before it could resume saved none.
		if i > 0 && rec.ResumedFrom != filepath.Base(tr.Runs[i-1].Dir) &&
			(tr.Runs[i-1].Trial.EpochsRun > 0 || rec.ResumedFrom == "") {
			t.Errorf("run %d resumed from %q, want the run before it, %s", i, rec.ResumedFrom, filepath.Base(tr.Runs[i-1].Dir))
		}
	}
	sr, lr := tr.Finished.Trial, l.Finished.Trial
	for _, d := range outcomeDiffs(sr, lr) {
		t.Error(d)
	}
	if bits(sr.Score) != bits(lr.Score) {
		t.Errorf("score %s on Slurm, %s locally", bits(sr.Score), bits(lr.Score))
	}
	if !reflect.DeepEqual(weights(t, tr.Finished.Dir), weights(t, l.Finished.Dir)) {
		t.Error("model.safetensors differs from the local run's")
	}
	t.Logf("the trial ran in %d allocations", len(tr.Runs))
}
