//go:build linux

package slurm

import (
	"context"
	"encoding/csv"
	"fmt"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/orchestrator/slurm"
	"github.com/sweep-ml/sweep/results"
)

// slurmRun is `sweep run grid.toml --executor slurm` with more flags.
func slurmRun(flags ...string) []string {
	return append([]string{"run", "grid.toml", "--executor", "slurm"}, flags...)
}

// The quickstart-like grid through Slurm, packed 3 trials a task, gives the
// same ranking and the same numbers as a local run of the same grid and
// seed, bit for bit: a trial's result depends on its hyperparameters, data
// and seed only, not on where or beside what it ran.
func TestSlurmMatchesLocal(t *testing.T) {
	requireSlurm(t)
	dir := workDir(t, "quickstart.toml")
	writeVariant(t, dir, "grid.toml", "local.toml", `log_dir = "runs"`, `log_dir = "runs-local"`)

	r := sweep(t, dir, slurmRun("--trials-per-task", "3", "--cpus-per-task", "1")...)
	mustExit(t, r, 0)
	mustMatch(t, r.stderr, `(?m)^sweep: 8 trials run \(8 succeeded, 0 failed\), 0 already finished`)
	mustExit(t, sweep(t, dir, "run", "local.toml", "--executor", "local", "--workers", "2"), 0)

	// The submission: one array of 3 tasks holding 3, 3 and 2 trials, each
	// task completed.
	if got := batchSizes(batches(t, completedSubmission(t, filepath.Join(dir, "runs", "quickstart")))); !slices.Equal(got, []int{3, 3, 2}) {
		t.Errorf("batch sizes %v, want [3 3 2]", got)
	}

	onSlurm := load(t, filepath.Join(dir, "runs", "quickstart"))
	local := load(t, filepath.Join(dir, "runs-local", "quickstart"))
	if len(onSlurm) != 8 || len(local) != 8 {
		t.Fatalf("%d trials on Slurm and %d locally, want 8 each", len(onSlurm), len(local))
	}
	for name, l := range local {
		s := onSlurm[name]
		if s == nil {
			t.Errorf("trial %s ran locally but not on Slurm", name)
			continue
		}
		if len(s.Runs) != 1 || len(l.Runs) != 1 {
			t.Errorf("trial %s: %d runs on Slurm, %d locally; want 1 each", name, len(s.Runs), len(l.Runs))
		}
		sr, lr := s.Latest().Trial, l.Latest().Trial
		if sr.Provenance.Executor != "slurm" || sr.Provenance.SlurmJob == "" || lr.Provenance.Executor != "local" {
			t.Errorf("trial %s: provenance %+v on Slurm, %+v locally", name, sr.Provenance, lr.Provenance)
		}
		for _, d := range outcomeDiffs(sr, lr) {
			t.Errorf("trial %s: %s", name, d)
		}
	}

	// The reports agree too, ranking included, except for the durations.
	slurmCSV := reportCSV(t, dir, "runs/quickstart")
	localCSV := reportCSV(t, dir, "runs-local/quickstart")
	if !reflect.DeepEqual(slurmCSV, localCSV) {
		t.Errorf("report without durations:\non Slurm %q\nlocally %q", slurmCSV, localCSV)
	}
}

// Killing one array task in the middle of its batch loses only the trials
// of its batch that had not finished; the other tasks finish theirs, `sweep
// run` says the sweep is not complete (exit 130, as for an interrupt), and
// running the same command again runs only the missing trials. The task
// dies either by kill -9 of its worker, as the OOM killer or a node failure
// would do it, leaving its trial recorded running until the arrays end, or
// by `scancel <job>_<task>`, whose SIGTERM the worker hears.
func TestSlurmKilledTaskReruns(t *testing.T) {
	requireSlurm(t)
	for _, c := range []struct {
		name   string
		kill   func(t *testing.T, sub *slurm.Submitted, worker int)
		exit   slurm.TaskExit // how task 0 ends, Reason aside
		reason string         // how the killed trial's error starts
	}{{
		name: "kill -9 worker",
		kill: func(t *testing.T, sub *slurm.Submitted, worker int) {
			killWorker(t, worker, sub.BatchFile(0))
		},
		exit:   slurm.TaskExit{Task: 0, State: "FAILED", Signal: int(syscall.SIGKILL)},
		reason: "abandoned: ",
	}, {
		name: "scancel task",
		kill: func(t *testing.T, sub *slurm.Submitted, _ int) {
			if out, err := exec.Command("scancel", sub.Arrays[0].JobID+"_0").CombinedOutput(); err != nil {
				t.Fatalf("scancel: %v: %s", err, out)
			}
		},
		// The worker marks its trial interrupted and exits 130.
		exit:   slurm.TaskExit{Task: 0, State: "CANCELLED", ExitCode: 130},
		reason: "stopped by signal terminated",
	}} {
		t.Run(c.name, func(t *testing.T) {
			dir := workDir(t, "slow.toml")
			sweepDir := filepath.Join(dir, "runs", "slow")
			args := slurmRun("--trials-per-task", "2", "--cpus-per-task", "1")
			p := start(t, dir, args...)
			sub := waitSubmitted(t, sweepDir, 1)
			victims := batches(t, sub)[0]

			// Kill task 0 in the middle of its batch: normally in its first
			// trial, so that the second never starts.
			var pid int
			waitFor(t, 30*time.Second, "task 0's first trial to start", func() bool {
				rec := latest(t, sweepDir, victims[0])
				if rec != nil && rec.Status == results.StatusRunning {
					pid = rec.PID
				}
				return pid != 0
			})
			c.kill(t, sub, pid)

			r := p.wait(t, 2*time.Minute)
			mustExit(t, r, 130)
			// On a loaded machine the worker may have reached its second
			// trial before the kill: lost are the batch's trials from the one
			// it was running on, which must be the only ones unfinished.
			lost := victims
			if rec := latest(t, sweepDir, victims[0]); rec != nil && rec.Status == results.StatusSucceeded {
				lost = victims[1:]
			}
			mustMatch(t, r.stderr, fmt.Sprintf(`(?m)^sweep: %d trials did not finish: their Slurm tasks ended first .*see the logs in %s$`,
				len(lost), regexp.QuoteMeta(filepath.Join(sub.Dir, "logs"))))
			exits := taskExits(t, sub)
			if len(exits) > 0 {
				exits[0].Reason = "" // Slurm 22.05 says JobLaunchFailure for a kill -9
			}
			if len(exits) != 3 || exits[0] != c.exit {
				t.Errorf("task exits %+v; want task 0 to end %+v", exits, c.exit)
			}
			for _, e := range exits[1:] {
				if e.State != "COMPLETED" {
					t.Errorf("task %d ended %s, want COMPLETED", e.Task, e.State)
				}
			}
			killed := latest(t, sweepDir, lost[0])
			if killed == nil || killed.Status != results.StatusInterrupted || !strings.HasPrefix(killed.Error, c.reason) {
				t.Fatalf("the killed trial's record: %+v; want interrupted, %q...", killed, c.reason)
			}
			for _, id := range lost[1:] {
				if rec := latest(t, sweepDir, id); rec != nil {
					t.Errorf("trial %s after the killed one has a record %+v; want none", id, rec)
				}
			}
			rep := sweep(t, dir, "report", "runs/slow")
			mustExit(t, rep, 0)
			// The report lists the killed trial as interrupted (to run
			// again), not as running.
			mustMatch(t, rep.stdout, `(?m)^  `+killed.Name+`: interrupted `)
			if strings.Contains(rep.stdout, "running on") {
				t.Errorf("the report shows a trial of the killed task running:\n%s", rep.stdout)
			}

			r = sweep(t, dir, args...)
			mustExit(t, r, 0)
			mustMatch(t, r.stderr, fmt.Sprintf(`(?m)^sweep: %d trials to run, %d already finished$`, len(lost), 6-len(lost)))
			subs := submissions(t, sweepDir)
			if len(subs) != 2 {
				t.Fatalf("%d submissions, want 2", len(subs))
			}
			if got := slices.Concat(batches(t, subs[1])...); !sameSet(got, lost) {
				t.Errorf("the re-run submitted trials %v, want the killed task's unfinished %v", got, lost)
			}
			// Finished trials keep their one run; the killed one has the
			// interrupted run and the new one.
			checkRunDirs(t, sweepDir, 6, map[string]int{lost[0]: 2})
		})
	}
}

// A failing trial fails alone: the other trials succeed, `sweep run` exits
// 3, `sweep report` names the failure and its reason, and the array task
// that ran it ended FAILED with the worker's exit code 3.
func TestSlurmFailingTrial(t *testing.T) {
	requireSlurm(t)
	dir := workDir(t, "failing.toml")
	sweepDir := filepath.Join(dir, "runs", "failing")
	r := sweep(t, dir, slurmRun("--trials-per-task", "1", "--cpus-per-task", "1")...)
	mustExit(t, r, 3)
	mustMatch(t, r.stderr, `(?m)^sweep: 2 trials failed; see 'sweep report `+regexp.QuoteMeta(sweepDir)+`'$`)

	trials := load(t, sweepDir)
	if len(trials) != 4 {
		t.Fatalf("%d trials on disk, want 4", len(trials))
	}
	names := map[string]string{}
	for name, tr := range trials {
		names[tr.ID] = name
		rec := tr.Latest().Trial
		wantFail := strings.HasPrefix(name, "t_error_")
		switch {
		case wantFail && (rec.Status != results.StatusFailed || !strings.Contains(rec.Error, "diverged: loss is NaN")):
			t.Errorf("trial %s: %s %q; want failed, diverged", name, rec.Status, rec.Error)
		case !wantFail && rec.Status != results.StatusSucceeded:
			t.Errorf("trial %s: %s %q; want succeeded", name, rec.Status, rec.Error)
		}
	}

	rep := sweep(t, dir, "report", "runs/failing")
	mustExit(t, rep, 0)
	mustMatch(t, rep.stdout, `(?m)^Failed trials \(2\)$`)
	mustMatch(t, rep.stdout, `(?m)^  t_error_1 \(seed 1, attempt 1, t_error_1/[0-9-]+\): .*diverged: loss is NaN$`)
	mustMatch(t, rep.stdout, `(?m)^  t_error_2 \(seed 1, attempt 1, t_error_2/[0-9-]+\): .*diverged: loss is NaN$`)
	mustMatch(t, rep.stdout, `(?m)^ +[12] +t_no_[12] .* succeeded$`)

	sub := submissions(t, sweepDir)[0]
	bs := batches(t, sub)
	exits := taskExits(t, sub)
	if len(exits) != 4 {
		t.Fatalf("%d task exits, want 4: %+v", len(exits), exits)
	}
	for _, e := range exits {
		name := names[bs[e.Task][0]]
		want := slurm.TaskExit{Task: e.Task, State: "COMPLETED", Reason: "None"}
		if strings.HasPrefix(name, "t_error_") {
			want.State, want.Reason, want.ExitCode = "FAILED", "NonZeroExitCode", 3
		}
		if e != want {
			t.Errorf("task %d (trial %s) ended %+v, want %+v", e.Task, name, e, want)
		}
	}

	// `sweep worker` runs one trial by ID by hand, for debugging: the failed
	// trial again, failing the same way, in a new run directory.
	w := sweep(t, dir, "worker", "--sweep-dir", "runs/failing", "--trial", trials["t_error_1"].ID, "--rerun", "failed", "--executor", "local")
	mustExit(t, w, 3)
	mustMatch(t, w.stderr, `(?m)^sweep worker: 1 of 1 trials failed$`)
	again := load(t, sweepDir)["t_error_1"]
	if rec := again.Latest().Trial; len(again.Runs) != 2 || rec.Status != results.StatusFailed ||
		!strings.Contains(rec.Error, "diverged: loss is NaN") || rec.Provenance.Executor != "local" {
		t.Errorf("after the worker's re-run t_error_1 has %d runs, the latest %s %q by %q; want 2, failed, diverged, local",
			len(again.Runs), rec.Status, rec.Error, rec.Provenance.Executor)
	}
}

// SIGINT to `sweep run --executor slurm` cancels its job arrays: the
// running trials' workers get scancel's SIGTERM and mark them interrupted,
// the pending tasks never start, and `sweep run` exits 130. Running the same
// command again completes the sweep.
func TestSlurmInterrupt(t *testing.T) {
	requireSlurm(t)
	dir := workDir(t, "long.toml")
	sweepDir := filepath.Join(dir, "runs", "long")
	args := slurmRun("--trials-per-task", "1", "--cpus-per-task", "1")
	p := start(t, dir, args...)
	sub := waitSubmitted(t, sweepDir, 1)
	bs := batches(t, sub)

	// Two tasks fit on the node's two CPUs, unless other jobs hold one:
	// interrupt once a trial runs.
	var running []string
	waitFor(t, 30*time.Second, "a trial to run", func() bool {
		for _, b := range bs {
			if rec := latest(t, sweepDir, b[0]); rec != nil && rec.Status == results.StatusRunning {
				running = append(running, b[0])
			}
		}
		return len(running) > 0
	})
	p.signal(t, syscall.SIGINT)
	r := p.wait(t, time.Minute)
	mustExit(t, r, 130)
	mustMatch(t, r.stderr, `(?m)^sweep: interrupted; run the same command again to resume$`)

	// The trials seen running are interrupted; the others did not finish
	// either: they were pending, or started just before the cancel came.
	interrupted := map[string]int{}
	for _, b := range bs {
		rec := latest(t, sweepDir, b[0])
		switch {
		case rec != nil && rec.Status == results.StatusInterrupted:
			interrupted[b[0]] = 2 // runs after the re-run: this one and the next
		case slices.Contains(running, b[0]):
			t.Errorf("trial %s was running at SIGINT; its record %+v, want interrupted", b[0], rec)
		case rec != nil:
			t.Errorf("trial %s was not running at SIGINT; its record %+v, want none or interrupted", b[0], rec)
		}
	}
	st, err := (&slurm.Client{}).Poll(context.Background(), sub.JobIDs())
	if err != nil {
		t.Fatal(err)
	}
	if st.Active() != 0 || st.Arrays[0].Count("COMPLETED") != 0 {
		t.Errorf("after SIGINT the array is %+v; want no task active or completed", st.Arrays[0])
	}

	r = sweep(t, dir, args...)
	mustExit(t, r, 0)
	mustMatch(t, r.stderr, `(?m)^sweep: 4 trials run \(4 succeeded, 0 failed\), 0 already finished`)
	checkRunDirs(t, sweepDir, 4, interrupted)
}

// --detach returns once the array is submitted, naming its job id; `sweep
// report` works while it runs and after; `sweep run` refuses to submit the
// sweep again while its array is alive, and afterwards finds nothing to do.
func TestSlurmDetach(t *testing.T) {
	requireSlurm(t)
	dir := workDir(t, "slow.toml")
	// Trials of 4 s, so that each task's last trial is still queued (its
	// task 8 s from it) when `sweep plan` looks, however slowly a loaded
	// machine starts it.
	writeVariant(t, dir, "grid.toml", "grid.toml", "sleep_ms = 250", "sleep_ms = 1000")
	sweepDir := filepath.Join(dir, "runs", "slow")
	r := sweep(t, dir, slurmRun("--trials-per-task", "3", "--cpus-per-task", "1", "--detach")...)
	mustExit(t, r, 0)
	// Six trials of 4 s on two CPUs take 12 s at least: a command that
	// waited for them would find them all finished.
	finished := 0
	for _, tr := range load(t, sweepDir) {
		if tr.Finished != nil {
			finished++
		}
	}
	if finished == 6 {
		t.Errorf("all 6 trials had finished when --detach returned; want it to return once submitted")
	}
	m := regexp.MustCompile(`(?m)^sweep: submitted Slurm job arrays ([0-9]+) `).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no job id in\n%s", r)
	}
	mustMatch(t, r.stdout, `(?m)^Follow with: sweep report `+regexp.QuoteMeta(sweepDir)+`$`)
	sub := submissions(t, sweepDir)[0]
	if !slices.Equal(sub.JobIDs(), []string{m[1]}) {
		t.Errorf("jobs.txt names %v, the command said %s", sub.JobIDs(), m[1])
	}
	// The plan shows the submitted trials that no task has started yet as
	// queued, not as to run: nothing is left for another `sweep run`.
	plan := sweep(t, dir, "plan", "grid.toml")
	mustExit(t, plan, 0)
	mustMatch(t, plan.stdout, `(?m)^t10 +[0-9a-f]{16} +(queued|running|succeeded) `)
	mustMatch(t, plan.stdout, `(?m)^6 trials .*, [1-6] queued on Slurm, 0 to run$`)

	waitFor(t, 30*time.Second, "a trial to start", func() bool { return len(load(t, sweepDir)) > 0 })
	rep := sweep(t, dir, "report", "runs/slow")
	mustExit(t, rep, 0)
	// Whatever the trials' progress, the report reads it.
	mustMatch(t, rep.stdout, `(?m)^rank +trial `)
	mustMatch(t, rep.stdout, `(?m)^In progress \([1-6]\)$|(?m) succeeded$`)
	again := sweep(t, dir, slurmRun()...)
	mustExit(t, again, 1)
	mustMatch(t, again.stderr, `Slurm job arrays `+m[1]+` of this sweep are still queued or running`)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	waitJobs(ctx, t, sub.JobIDs())
	rep = sweep(t, dir, "report", "runs/slow")
	mustExit(t, rep, 0)
	if n := len(regexp.MustCompile(`(?m) succeeded$`).FindAllString(rep.stdout, -1)); n != 6 || strings.Contains(rep.stdout, "In progress") {
		t.Errorf("report after the array ended: %d trials succeeded, want 6 and none in progress\n%s", n, rep.stdout)
	}
	r = sweep(t, dir, slurmRun()...)
	mustExit(t, r, 0)
	mustMatch(t, r.stderr, `(?m)^sweep: 0 trials run \(0 succeeded, 0 failed\), 6 already finished`)
	checkRunDirs(t, sweepDir, 6, nil)
}

// An sbatch that fails (here: no such partition) is an error that says
// why, and leaves no submission directory behind: the sweep's .slurm holds
// only submissions that reached the queue.
func TestSlurmSubmitFails(t *testing.T) {
	requireSlurm(t)
	dir := workDir(t, "tiny.toml")
	r := sweep(t, dir, slurmRun("--partition", "nosuchpartition")...)
	mustExit(t, r, 1)
	mustMatch(t, r.stderr, `sbatch .*: .*(?i:invalid partition)`)
	if left, _ := os.ReadDir(filepath.Join(dir, "runs", "tiny", slurm.SubmissionsDir)); len(left) != 0 {
		t.Errorf("the failed submission left %v in %s", left, slurm.SubmissionsDir)
	}
}

// writeVariant writes dir/dst as dir/src with old replaced by new, which
// must occur in it.
func writeVariant(tb testing.TB, dir, src, dst, old, new string) {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(dir, src))
	if err != nil {
		tb.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		tb.Fatalf("%s does not contain %q", src, old)
	}
	if err := os.WriteFile(filepath.Join(dir, dst), []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// mustMatch fails tb unless text matches the regular expression re.
func mustMatch(tb testing.TB, text, re string) {
	tb.Helper()
	if !regexp.MustCompile(re).MatchString(text) {
		tb.Fatalf("no match for %s in\n%s", re, text)
	}
}

// outcomeDiffs lists how two records of one trial differ in what the trial
// computed: its identity, hyperparameters, seed, status and metrics, floats
// compared bit for bit. Timings, host and provenance are left out.
func outcomeDiffs(a, b *results.Trial) []string {
	var diffs []string
	diff := func(what string, x, y any) {
		if !reflect.DeepEqual(x, y) {
			diffs = append(diffs, fmt.Sprintf("%s: %v != %v", what, x, y))
		}
	}
	diff("id", a.ID, b.ID)
	diff("params", a.Params, b.Params)
	diff("seed", a.Seed, b.Seed)
	diff("status", a.Status, b.Status)
	diff("best_epoch", a.BestEpoch, b.BestEpoch)
	diff("epochs_run", a.EpochsRun, b.EpochsRun)
	diff("stopped_early", a.StoppedEarly, b.StoppedEarly)
	diff("best_val_loss", bits(a.BestValLoss), bits(b.BestValLoss))
	diff("final_train_loss", bits(a.FinalTrainLoss), bits(b.FinalTrainLoss))
	diff("final_val_loss", bits(a.FinalValLoss), bits(b.FinalValLoss))
	return diffs
}

// bits returns a metric's IEEE 754 bits as text, "nil" for no value.
func bits(v *float64) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprintf("%#016x (%v)", math.Float64bits(*v), *v)
}

// reportCSV returns `sweep report --format csv` of a sweep without its
// duration column, which measures the run rather than the result.
func reportCSV(tb testing.TB, dir, sweepDir string) [][]string {
	tb.Helper()
	r := sweep(tb, dir, "report", "--format", "csv", sweepDir)
	mustExit(tb, r, 0)
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(rows) < 2 {
		tb.Fatalf("report of %s: %v\n%s", sweepDir, err, r)
	}
	col := slices.Index(rows[0], "duration_seconds")
	if col < 0 {
		tb.Fatalf("report of %s: no duration_seconds column in %q", sweepDir, rows[0])
	}
	for i, row := range rows {
		rows[i] = slices.Delete(row, col, col+1)
	}
	return rows
}

// batchSizes returns how many trials each batch holds.
func batchSizes(bs [][]string) []int {
	sizes := make([]int, len(bs))
	for i, b := range bs {
		sizes[i] = len(b)
	}
	return sizes
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// latest returns the latest record of the trial with the given ID, or nil.
func latest(tb testing.TB, sweepDir, id string) *results.Trial {
	tb.Helper()
	s, err := results.LoadSweep(sweepDir)
	if err != nil {
		tb.Fatal(err)
	}
	if tr := s.Trial(id); tr != nil {
		return tr.Latest().Trial
	}
	return nil
}

// waitSubmitted waits for the sweep's n-th submission to be recorded and
// returns it.
func waitSubmitted(tb testing.TB, sweepDir string, n int) *slurm.Submitted {
	tb.Helper()
	var sub *slurm.Submitted
	waitFor(tb, 30*time.Second, fmt.Sprintf("submission %d of %s", n, sweepDir), func() bool {
		files, _ := filepath.Glob(filepath.Join(sweepDir, slurm.SubmissionsDir, "*", slurm.JobsFile))
		if len(files) < n {
			return false
		}
		// Submit replaces jobs.txt atomically: what is there is whole.
		s, err := slurm.LoadSubmitted(filepath.Dir(files[n-1]))
		if err != nil {
			tb.Fatal(err)
		}
		sub = s
		return true
	})
	return sub
}

// killWorker sends SIGKILL to pid after checking that it is the sweep
// worker of the given batch, so that a stale or reused pid kills nothing
// else.
func killWorker(tb testing.TB, pid int, batch string) {
	tb.Helper()
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		tb.Fatal(err)
	}
	args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	if len(args) < 2 || args[0] != filepath.Join(binDir, "sweep") || args[1] != "worker" || !slices.Contains(args, batch) {
		tb.Fatalf("pid %d runs %q, not the worker of %s", pid, args, batch)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		tb.Fatal(err)
	}
}

// checkRunDirs checks that the sweep holds trials trial directories whose
// latest records say succeeded, and that each trial has one run directory
// on disk, or as many as runs gives for its ID.
func checkRunDirs(tb testing.TB, sweepDir string, trials int, runs map[string]int) {
	tb.Helper()
	got := load(tb, sweepDir)
	if len(got) != trials {
		tb.Errorf("%d trials on disk, want %d", len(got), trials)
	}
	for name, tr := range got {
		if rec := tr.Latest().Trial; rec.Status != results.StatusSucceeded {
			tb.Errorf("trial %s: latest run %s %q, want succeeded", name, rec.Status, rec.Error)
		}
		entries, err := os.ReadDir(filepath.Join(sweepDir, name))
		if err != nil {
			tb.Fatal(err)
		}
		want := runs[tr.ID]
		if want == 0 {
			want = 1
		}
		if len(entries) != want {
			tb.Errorf("trial %s: %d run directories, want %d", name, len(entries), want)
		}
	}
}

// A TPE + ASHA search through Slurm: three array tasks each ask, claim and
// run configurations from the shared directory until the budget is spent.
// The budget holds exactly (twelve claims, numbered 0 to 11, each run once
// by one task), ASHA prunes across the tasks, and the report ranks the
// search; running the command again has nothing left to do.
func TestSlurmSearch(t *testing.T) {
	requireSlurm(t)
	dir := workDir(t, "search.toml")
	r := sweep(t, dir, slurmRun("--workers", "3", "--cpus-per-task", "1")...)
	mustExit(t, r, 0)
	mustMatch(t, r.stderr, `(?m)^sweep: 12 trials run \([0-9]+ succeeded, 0 failed, [1-9][0-9]* pruned\)`)
	sweepDir := filepath.Join(dir, "runs", "search")

	if got := batchSizes(batches(t, completedSubmission(t, sweepDir))); !slices.Equal(got, []int{0, 0, 0}) {
		t.Errorf("batch sizes %v, want three search workers with nothing to rerun", got)
	}
	claims, err := filepath.Glob(filepath.Join(sweepDir, ".search", "asked", "*.json"))
	if err != nil || len(claims) != 12 || filepath.Base(claims[11]) != "000011.json" {
		t.Errorf("claims %v (%v), want 000000.json to 000011.json", claims, err)
	}
	trials := load(t, sweepDir)
	numbers := map[int]bool{}
	jobs := map[string]bool{}
	for name, tr := range trials {
		rec := tr.Latest().Trial
		if len(tr.Runs) != 1 || (rec.Status != results.StatusSucceeded && rec.Status != results.StatusPruned) {
			t.Errorf("trial %s: %d runs, latest %s; want one that succeeded or was pruned", name, len(tr.Runs), rec.Status)
		}
		if rec.Provenance.Executor != "slurm" {
			t.Errorf("trial %s ran on %q, want slurm", name, rec.Provenance.Executor)
		}
		numbers[rec.Number] = true
		jobs[rec.Provenance.SlurmJob] = true
	}
	if len(trials) != 12 || len(numbers) != 12 {
		t.Errorf("%d trials with %d distinct configuration numbers, want 12 and 12", len(trials), len(numbers))
	}
	if len(jobs) < 2 {
		t.Errorf("every trial ran in task(s) %v; want the work shared by the tasks", slices.Collect(maps.Keys(jobs)))
	}
	rep := sweep(t, dir, "report", "runs/search", "--format", "json")
	mustExit(t, rep, 0)
	mustMatch(t, rep.stdout, `"asked": 12`)
	mustMatch(t, rep.stdout, `"rank": 1,`)

	again := sweep(t, dir, slurmRun()...)
	mustExit(t, again, 0)
	mustMatch(t, again.stderr, `(?m)^sweep: 0 trials run .* 12 already finished`)
	if n := len(submissions(t, sweepDir)); n != 1 {
		t.Errorf("%d submissions after a second run, want none new", n)
	}
}

// completedSubmission returns the sweep's only submission, after checking
// that every task of it completed with exit status 0.
func completedSubmission(tb testing.TB, sweepDir string) *slurm.Submitted {
	tb.Helper()
	subs := submissions(tb, sweepDir)
	if len(subs) != 1 {
		tb.Fatalf("%d submissions, want 1", len(subs))
	}
	for _, e := range taskExits(tb, subs[0]) {
		if e.State != "COMPLETED" || e.ExitCode != 0 {
			tb.Errorf("task %d ended %s with exit %d, want COMPLETED with 0", e.Task, e.State, e.ExitCode)
		}
	}
	return subs[0]
}

// Ctrl-C in the middle of a search on Slurm cancels its tasks, whose
// running trials are marked interrupted; the same command then resumes it:
// the interrupted trials run again, new configurations are asked only for
// the budget left, and in the end exactly the budget's configurations
// have run, each trial finishing once.
func TestSlurmSearchInterrupt(t *testing.T) {
	requireSlurm(t)
	dir := workDir(t, "longsearch.toml")
	sweepDir := filepath.Join(dir, "runs", "longsearch")
	args := slurmRun("--workers", "2", "--cpus-per-task", "1")
	p := start(t, dir, args...)
	waitSubmitted(t, sweepDir, 1)
	waitFor(t, 30*time.Second, "a trial to run", func() bool {
		for _, tr := range load(t, sweepDir) {
			if tr.Latest().Trial.Status == results.StatusRunning {
				return true
			}
		}
		return false
	})
	p.signal(t, syscall.SIGINT)
	r := p.wait(t, time.Minute)
	mustExit(t, r, 130)
	mustMatch(t, r.stderr, `(?m)^sweep: interrupted; run the same command again to resume$`)
	interrupted := 0
	for _, tr := range load(t, sweepDir) {
		if tr.Latest().Trial.Status == results.StatusInterrupted {
			interrupted++
		}
	}
	if interrupted == 0 {
		t.Error("no trial was recorded interrupted by the Ctrl-C")
	}

	r = sweep(t, dir, args...)
	mustExit(t, r, 0)
	claims, err := filepath.Glob(filepath.Join(sweepDir, ".search", "asked", "*.json"))
	if err != nil || len(claims) != 6 {
		t.Errorf("claims %v (%v), want 6", claims, err)
	}
	for name, tr := range load(t, sweepDir) {
		var statuses []results.Status
		for _, run := range tr.Runs {
			statuses = append(statuses, run.Trial.Status)
		}
		if last := statuses[len(statuses)-1]; last != results.StatusSucceeded ||
			slices.ContainsFunc(statuses[:len(statuses)-1], func(s results.Status) bool { return s != results.StatusInterrupted }) {
			t.Errorf("trial %s: runs %v, want interrupted ones, then one that succeeded", name, statuses)
		}
	}
	if n := len(load(t, sweepDir)); n != 6 {
		t.Errorf("%d trials, want 6", n)
	}
}
