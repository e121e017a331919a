package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/logger"
	"github.com/sweep-ml/sweep/orchestrator/spec"
	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/builtin"
	"github.com/sweep-ml/sweep/results"
)

// scriptedModel is a model whose behaviour its hyperparameters choose:
// val_loss falls as 1/(epoch+1) + lr; fail makes it fail at epoch 1; hang
// makes it block until cancelled. It counts its calls.
type scriptedModel struct {
	mu     sync.Mutex
	calls  int
	onCall func(call int) // runs at the start of every Train call
}

func (m *scriptedModel) Describe(context.Context) (plugins.Description, error) {
	return plugins.Description{Name: "scripted", Params: []plugins.ParamSpec{
		{Name: "lr", Type: plugins.TypeFloat, Default: 0.1},
		{Name: "epochs", Type: plugins.TypeInt, Default: int64(3)},
		{Name: "fail", Type: plugins.TypeBool, Default: false},
		{Name: "hang", Type: plugins.TypeBool, Default: false},
	}, Metrics: []string{"train_loss", "val_loss"}}, nil
}

func (m *scriptedModel) Train(ctx context.Context, req plugins.TrainRequest, emit func(plugins.Event) error) (plugins.Outcome, error) {
	m.mu.Lock()
	m.calls++
	call := m.calls
	m.mu.Unlock()
	if m.onCall != nil {
		m.onCall(call)
	}
	if req.Params["hang"].(bool) {
		<-ctx.Done()
		return plugins.Outcome{}, ctx.Err()
	}
	lr := req.Params["lr"].(float64)
	epochs := req.Params["epochs"].(int64)
	for e := range epochs {
		if req.Params["fail"].(bool) && e == 1 {
			return plugins.Outcome{}, fmt.Errorf("diverged at epoch %d: train_loss is NaN", e)
		}
		val := 1/float64(e+1) + lr
		if err := emit(plugins.Event{Step: e, Scalars: []plugins.Scalar{{Tag: "train_loss", Value: val / 2}, {Tag: "val_loss", Value: val}}}); err != nil {
			return plugins.Outcome{}, err
		}
	}
	last := 1/float64(epochs) + lr
	return plugins.Outcome{BestValLoss: last, BestEpoch: epochs - 1, EpochsRun: epochs, FinalTrainLoss: last / 2, FinalValLoss: last}, nil
}

func (m *scriptedModel) callCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls
}

// newTestPlan parses grid (log_dir is set to a temporary directory) and
// expands it for model, run in process.
func newTestPlan(t testing.TB, grid string, model plugins.Model) *Plan {
	t.Helper()
	return newTestPlanIn(t, t.TempDir(), grid, model)
}

// newTestPlanIn is newTestPlan with its files under dir, so that two plans
// can share a sweep directory. An adaptive search gets its SearchSpace and
// the trials asked so far, as NewPlan gives them.
func newTestPlanIn(t testing.TB, dir, grid string, model plugins.Model) *Plan {
	t.Helper()
	p, err := newModelPlan(t, dir, grid, model, "")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newModelPlan is newTestPlanIn for a model whose fingerprint is
// modelHash, returning the error of planning it.
func newModelPlan(t testing.TB, dir, grid string, model plugins.Model, modelHash string) (*Plan, error) {
	t.Helper()
	src := fmt.Sprintf("name = \"s\"\nlog_dir = %q\n%s", filepath.Join(dir, "runs"), grid)
	s, err := spec.Parse(filepath.Join(dir, "grid.toml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	s.ModelHash = modelHash
	trainer := plugins.InProcess(model)
	desc, err := trainer.Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p := &Plan{Spec: s, Desc: desc, Dir: filepath.Join(s.LogDir, s.Name), Trainer: trainer}
	if s.Search.Adaptive() {
		if p.Search, err = spec.NewSearchSpace(s, desc); err == nil {
			p.Trials, err = askedTrials(p)
		}
	} else {
		p.Trials, err = spec.Expand(s, desc)
	}
	return p, err
}

func mustRun(t testing.TB, ctx context.Context, p *Plan, opts RunOptions) *Summary {
	t.Helper()
	sum, err := Run(ctx, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// runDirs lists every trial run directory of a sweep.
func runDirs(t *testing.T, sweepDir string) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(sweepDir, "*", "*", results.TrialFile))
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

func statuses(recs []*results.Trial) map[results.Status]int {
	n := map[results.Status]int{}
	for _, r := range recs {
		n[r.Status]++
	}
	return n
}

func TestRunRecordsAndResumes(t *testing.T) {
	m := &scriptedModel{}
	p := newTestPlan(t, "[grid]\nlr = [0.1, 0.2, 0.3]\nepochs = [2, 4]\n", m)
	sum := mustRun(t, context.Background(), p, RunOptions{Workers: 2})
	if got := statuses(sum.Records); got[results.StatusSucceeded] != 6 || len(sum.Records) != 6 {
		t.Fatalf("statuses %v, want 6 succeeded", got)
	}
	if sum.Failed != 0 || sum.Interrupted || sum.Skipped != 0 {
		t.Errorf("summary %+v", sum)
	}
	for _, path := range runDirs(t, p.Dir) {
		rec, err := results.ReadTrial(path)
		if err != nil {
			t.Fatal(err)
		}
		// The record keeps each hyperparameter's Go type (param_types).
		lr, epochs := rec.Params["lr"].(float64), rec.Params["epochs"].(int64)
		if want := 1/float64(epochs) + lr; rec.BestValLoss == nil || *rec.BestValLoss != want {
			t.Errorf("%s: best_val_loss %v, want %v", rec.Name, rec.BestValLoss, want)
		}
		scalars, err := logger.ReadScalars(filepath.Dir(path))
		if err != nil {
			t.Fatal(err)
		}
		if got := len(scalars["val_loss"]); int64(got) != epochs {
			t.Errorf("%s: %d val_loss points, want %d", rec.Name, got, epochs)
		}
		if got := scalars["best_val_loss"]; len(got) != 1 || got[0].Value != float64(float32(*rec.BestValLoss)) {
			t.Errorf("%s: best_val_loss scalar %v", rec.Name, got)
		}
	}
	for _, f := range []string{results.GridFile, MetaFile} {
		if _, err := os.Stat(filepath.Join(p.Dir, f)); err != nil {
			t.Error(err)
		}
	}

	again := mustRun(t, context.Background(), p, RunOptions{Workers: 2})
	if len(again.Records) != 0 || again.Skipped != 6 || m.callCount() != 6 {
		t.Errorf("re-run ran %d trials (skipped %d, %d calls), want none", len(again.Records), again.Skipped, m.callCount())
	}
	if n := len(runDirs(t, p.Dir)); n != 6 {
		t.Errorf("%d run directories after the re-run, want 6", n)
	}
	all := mustRun(t, context.Background(), p, RunOptions{Workers: 2, Rerun: RerunAll})
	if len(all.Records) != 6 || len(runDirs(t, p.Dir)) != 12 {
		t.Errorf("--rerun all ran %d trials into %d directories, want 6 and 12", len(all.Records), len(runDirs(t, p.Dir)))
	}
}

func TestRunFailedTrialIsData(t *testing.T) {
	tests := []struct {
		name         string
		retries      int
		wantAttempts int
	}{
		{"no retries", 0, 1},
		{"one retry", 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &scriptedModel{}
			p := newTestPlan(t, fmt.Sprintf("retries = %d\n[zip.c]\nlr = [0.1, 0.2, 0.3]\nfail = [false, true, false]\n", tt.retries), m)
			sum := mustRun(t, context.Background(), p, RunOptions{Workers: 2})
			if sum.Failed != 1 {
				t.Fatalf("Failed = %d, want 1", sum.Failed)
			}
			var failed *results.Trial
			for _, r := range sum.Records {
				if r.Status == results.StatusFailed {
					failed = r
				}
			}
			if failed == nil || !strings.Contains(failed.Error, "diverged at epoch 1") || failed.Attempt != tt.wantAttempts {
				t.Fatalf("failed record %+v, want the reason and attempt %d", failed, tt.wantAttempts)
			}
			if failed.EpochsRun != 1 || failed.FinalValLoss == nil {
				t.Errorf("failed trial records epochs %d and final val loss %v, want where it got to", failed.EpochsRun, failed.FinalValLoss)
			}
			if m.callCount() != 2+tt.wantAttempts {
				t.Errorf("%d calls, want %d", m.callCount(), 2+tt.wantAttempts)
			}
			// Retries are spent: a plain re-run leaves the failure alone,
			// --rerun failed tries once more.
			if again := mustRun(t, context.Background(), p, RunOptions{}); len(again.Records) != 0 || again.Failed != 1 {
				t.Errorf("re-run ran %d trials, reported %d failed; want 0 and 1", len(again.Records), again.Failed)
			}
			rerun := mustRun(t, context.Background(), p, RunOptions{Rerun: RerunFailed})
			if len(rerun.Records) != 1 || rerun.Records[0].Attempt != tt.wantAttempts+1 {
				t.Errorf("--rerun failed ran %d trials (attempt %d), want 1 at attempt %d", len(rerun.Records), rerun.Records[0].Attempt, tt.wantAttempts+1)
			}
		})
	}
}

func TestRunTimeout(t *testing.T) {
	p := newTestPlan(t, "timeout = \"50ms\"\n[grid]\nhang = [true, false]\n", &scriptedModel{})
	sum := mustRun(t, context.Background(), p, RunOptions{Workers: 2})
	got := statuses(sum.Records)
	if got[results.StatusFailed] != 1 || got[results.StatusSucceeded] != 1 {
		t.Fatalf("statuses %v, want one failed and one succeeded", got)
	}
	for _, r := range sum.Records {
		if r.Status == results.StatusFailed && !strings.Contains(r.Error, "timed out after 50ms") {
			t.Errorf("error %q, want a timeout", r.Error)
		}
	}
}

func TestRunInterruptIsResumable(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	m := &scriptedModel{}
	p := newTestPlan(t, "[grid]\nlr = [0.1, 0.2, 0.3, 0.4]\nhang = [false, true]\n", m)
	// The second call, a hung trial, cancels the sweep: it and everything
	// still waiting are interrupted.
	m.onCall = func(call int) {
		if call == 2 {
			cancel(errors.New("stopped by signal interrupt"))
		}
	}
	sum := mustRun(t, ctx, p, RunOptions{Workers: 1})
	if !sum.Interrupted {
		t.Fatal("summary does not say interrupted")
	}
	for _, r := range sum.Records {
		if r.Status == results.StatusInterrupted && r.Error != "stopped by signal interrupt" {
			t.Errorf("interrupted record's error %q", r.Error)
		}
	}
	if len(sum.Records) >= len(p.Trials) {
		t.Errorf("%d trials launched after the cancellation of %d", len(sum.Records), len(p.Trials))
	}
	m.onCall = nil
	// Resuming runs only what did not succeed; hung trials need a timeout.
	p.Spec.Timeout = 20 * time.Millisecond
	done := statuses(sum.Records)[results.StatusSucceeded]
	resumed := mustRun(t, context.Background(), p, RunOptions{Workers: 2})
	if resumed.Skipped != done || len(resumed.Records) != len(p.Trials)-done {
		t.Errorf("resume skipped %d and ran %d, want %d and %d", resumed.Skipped, len(resumed.Records), done, len(p.Trials)-done)
	}
}

func TestRunFailFast(t *testing.T) {
	p := newTestPlan(t, "[zip.c]\nlr = [0.1, 0.2, 0.3, 0.4, 0.5]\nfail = [true, false, false, false, false]\n", &scriptedModel{})
	sum := mustRun(t, context.Background(), p, RunOptions{Workers: 1, FailFast: true})
	if len(sum.Records) != 1 || sum.Records[0].Status != results.StatusFailed {
		t.Errorf("fail-fast ran %d trials (%v), want only the failing one", len(sum.Records), statuses(sum.Records))
	}
}

func TestRunRecoversAbandonedRuns(t *testing.T) {
	p := newTestPlan(t, "[grid]\nlr = [0.1, 0.2]\n", &scriptedModel{})
	// A sweep killed with -9 leaves a "running" record behind.
	runDir := filepath.Join(p.Dir, p.Trials[0].Name, "20260101-000000")
	rec := &results.Trial{ID: p.Trials[0].ID, Name: p.Trials[0].Name, Status: results.StatusRunning, PID: 99999999, Host: "gone",
		StartedAt: time.Now().Add(-time.Hour), Provenance: results.Provenance{Executor: "local"}}
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := results.WriteTrial(runDir, rec); err != nil {
		t.Fatal(err)
	}
	sum := mustRun(t, context.Background(), p, RunOptions{})
	if len(sum.Records) != 2 {
		t.Errorf("ran %d trials, want both (the abandoned one again)", len(sum.Records))
	}
	old, err := results.ReadTrial(filepath.Join(runDir, results.TrialFile))
	if err != nil {
		t.Fatal(err)
	}
	if old.Status != results.StatusInterrupted || !strings.Contains(old.Error, "abandoned") {
		t.Errorf("abandoned record: status %s, error %q", old.Status, old.Error)
	}
}

func TestLockRefusesASecondHolder(t *testing.T) {
	dir := t.TempDir()
	first, err := AcquireLock(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = AcquireLock(dir)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("second AcquireLock: %v, want ErrLocked naming pid %d", err, os.Getpid())
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := AcquireLock(dir)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again.Release()
}

func TestRecordGridKeepsEarlierGrids(t *testing.T) {
	p := newTestPlan(t, "[grid]\nlr = [0.1]\n", &scriptedModel{})
	if err := os.MkdirAll(p.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	first := p.Spec.Source
	for _, src := range [][]byte{first, first, append([]byte("# changed\n"), first...)} {
		p.Spec.Source = src
		if err := RecordGrid(p.Dir, p.Spec); err != nil {
			t.Fatal(err)
		}
	}
	kept, _ := filepath.Glob(filepath.Join(p.Dir, "sweep.*.toml"))
	if len(kept) != 1 {
		t.Fatalf("kept %v, want the one earlier grid", kept)
	}
	if data, _ := os.ReadFile(kept[0]); string(data) != string(first) {
		t.Errorf("kept grid %q, want the first", data)
	}
}

// TestDeterministicAcrossWorkers trains the real FFN in process: the same
// grid and seed give bit-identical results with one worker and with three.
func TestDeterministicAcrossWorkers(t *testing.T) {
	grid := "seed = 7\n[data.synthetic]\nrows = 600\nfeatures = 6\n[params]\nhidden_dims = [8]\nepochs = 4\nbatch_size = 32\n" +
		"[grid]\nlr = [0.01, 0.003]\ndropout = [0.0, 0.3]\n"
	best := func(workers int) map[string]float64 {
		p := newTestPlan(t, grid, builtin.FFN())
		sum := mustRun(t, context.Background(), p, RunOptions{Workers: workers})
		out := map[string]float64{}
		for _, r := range sum.Records {
			if r.Status != results.StatusSucceeded || r.BestValLoss == nil {
				t.Fatalf("%s: %s %s", r.Name, r.Status, r.Error)
			}
			out[r.ID] = *r.BestValLoss
		}
		return out
	}
	one, three := best(1), best(3)
	if len(one) != 4 {
		t.Fatalf("%d trials, want 4", len(one))
	}
	for id, v := range one {
		if three[id] != v || math.IsNaN(v) {
			t.Errorf("trial %s: best_val_loss %v with 1 worker, %v with 3", id, v, three[id])
		}
	}
}

func TestExperimentListsEveryHyperparameter(t *testing.T) {
	p := newTestPlan(t, "[grid]\nlr = [0.1, 0.2]\nfail = [false]\n", &scriptedModel{})
	exp := Experiment(p)
	var names []string
	for _, h := range exp.HParams {
		names = append(names, h.Name)
		if h.Name == "lr" && len(h.Domain) != 2 {
			t.Errorf("lr domain %v, want both values", h.Domain)
		}
	}
	if got := strings.Join(names, ","); got != "epochs,fail,hang,lr,seed" {
		t.Errorf("hparams %s", got)
	}
	if exp.Metrics[0].Tag != "best_val_loss" || exp.Metrics[0].DatasetType != logger.DatasetValidation || len(exp.Metrics) != 3 {
		t.Errorf("metrics %+v", exp.Metrics)
	}
}

// A sweep killed between making a run directory and writing its first
// record leaves the directory without one: the next run gives it an
// interrupted record and removes the half-written temporary file.
func TestRunRecordsUnrecordedRuns(t *testing.T) {
	p := newTestPlan(t, "[grid]\nlr = [0.1, 0.2]\n", &scriptedModel{})
	runDir := filepath.Join(p.Dir, p.Trials[1].Name, "20260101-000000")
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(runDir, ".trial.json.tmp-123"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, context.Background(), p, RunOptions{})
	rec, err := results.ReadTrial(filepath.Join(runDir, results.TrialFile))
	if err != nil {
		t.Fatal(err)
	}
	if rec.ID != p.Trials[1].ID || rec.Status != results.StatusInterrupted {
		t.Errorf("record of the unrecorded run: id %s status %s, want %s interrupted", rec.ID, rec.Status, p.Trials[1].ID)
	}
	if left, _ := filepath.Glob(filepath.Join(runDir, ".trial.json.tmp-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	s, err := results.LoadSweep(p.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Warnings) != 0 {
		t.Errorf("warnings after the run: %v", s.Warnings)
	}
}

// Retried attempts are reported as retries, not as finished trials: the
// progress counts end at the number of trials.
func TestProgressCountsTrialsNotAttempts(t *testing.T) {
	p := newTestPlan(t, "retries = 2\n[zip.c]\nlr = [0.1, 0.2]\nfail = [true, false]\n", &scriptedModel{})
	var last Event
	retries := 0
	obs := ObserverFunc(func(e Event) {
		if e.Kind == EventTrialRetry {
			retries++
		}
		last = e
	})
	mustRun(t, context.Background(), p, RunOptions{Workers: 2, Observer: obs})
	if last.Kind != EventSweepEnd || last.Succeeded != 1 || last.Failed != 1 || last.Finished() != 2 || last.Running != 0 || retries != 2 {
		t.Errorf("last event %+v after %d retries; want 1 succeeded, 1 failed, none running, 2 retries", last, retries)
	}
}

// The progress says where the sweep is, counts each way a trial ends apart
// (a failed trial is not a succeeded one), and its last event says how the
// sweep ended. Epoch events come only when asked for, one per epoch.
func TestProgressEvents(t *testing.T) {
	for _, c := range []struct {
		name   string
		grid   string
		opts   RunOptions
		cancel bool // the second Train call cancels the sweep
		want   Event
		epochs int
	}{
		{name: "finished", grid: "[zip.c]\nlr = [0.1, 0.2, 0.3]\nfail = [false, true, false]\n",
			opts: RunOptions{Workers: 1}, want: Event{Total: 3, Succeeded: 2, Failed: 1, Ended: EndFinished}},
		{name: "failed fast", grid: "[zip.c]\nlr = [0.1, 0.2, 0.3]\nfail = [false, true, false]\n",
			opts: RunOptions{Workers: 1, FailFast: true}, want: Event{Total: 3, Succeeded: 1, Failed: 1, Ended: EndFailedFast}},
		{name: "interrupted", grid: "[zip.c]\nlr = [0.1, 0.2, 0.3]\nhang = [false, true, false]\n",
			opts: RunOptions{Workers: 1}, cancel: true, want: Event{Total: 3, Succeeded: 1, Interrupted: 1, Ended: EndInterrupted}},
		{name: "epochs", grid: "[grid]\nlr = [0.1, 0.2]\n",
			opts: RunOptions{Workers: 2, EpochEvents: true}, want: Event{Total: 2, Succeeded: 2, Ended: EndFinished}, epochs: 6},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			m := &scriptedModel{}
			if c.cancel {
				m.onCall = func(call int) {
					if call == 2 {
						cancel()
					}
				}
			}
			p := newTestPlan(t, c.grid, m)
			var events []Event
			c.opts.Observer = ObserverFunc(func(e Event) { events = append(events, e) })
			mustRun(t, ctx, p, c.opts)
			first, last := events[0], events[len(events)-1]
			if first.Kind != EventSweepStart || first.Sweep != "s" || first.Dir != p.Dir || !filepath.IsAbs(first.Dir) ||
				first.Objective != p.Spec.Objective {
				t.Errorf("first event %+v; want sweep_start of s in %s", first, p.Dir)
			}
			got := Event{Total: last.Total, Succeeded: last.Succeeded, Failed: last.Failed, Pruned: last.Pruned,
				Interrupted: last.Interrupted, Ended: last.Ended}
			if last.Kind != EventSweepEnd || got != c.want || last.Running != 0 {
				t.Errorf("last event %+v; want sweep_end with %+v", last, c.want)
			}
			epochs := 0
			for _, e := range events {
				if e.Kind != EventEpoch {
					continue
				}
				epochs++
				if m := e.Epoch; m == nil || m.TrialID == "" || m.TrialName == "" || len(m.Scalars) != 2 || m.Scalars["val_loss"] == 0 {
					t.Errorf("epoch event %+v", m)
				}
			}
			if epochs != c.epochs {
				t.Errorf("%d epoch events, want %d", epochs, c.epochs)
			}
		})
	}
}

func TestCheckLock(t *testing.T) {
	dir := t.TempDir()
	if err := CheckLock(filepath.Join(dir, "never-run")); err != nil {
		t.Errorf("a sweep never run: %v", err)
	}
	held, err := AcquireLock(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckLock(dir); !errors.Is(err, ErrLocked) {
		t.Errorf("CheckLock of a held lock: %v, want ErrLocked", err)
	}
	held.Release()
	if err := CheckLock(dir); err != nil {
		t.Errorf("after release: %v", err)
	}
	// Checking does not keep the lock.
	again, err := AcquireLock(dir)
	if err != nil {
		t.Fatalf("CheckLock kept the lock: %v", err)
	}
	again.Release()
}

// A run recorded running is abandoned only when its executor cannot still
// be running it: a local sweep under its lock marks its own executor's
// runs, and leaves a Slurm task's, which may live on another node, until
// the Slurm executor has seen no task alive.
func TestMarkAbandonedAsksTheExecutor(t *testing.T) {
	dir := t.TempDir()
	for _, r := range []struct{ name, executor string }{{"a", ExecutorLocal}, {"b", ExecutorSlurm}} {
		run := filepath.Join(dir, r.name, "20260101-000000")
		if err := os.MkdirAll(run, 0o755); err != nil {
			t.Fatal(err)
		}
		rec := &results.Trial{ID: r.name, Name: r.name, Status: results.StatusRunning,
			Provenance: results.Provenance{Executor: r.executor}}
		if err := results.WriteTrial(run, rec); err != nil {
			t.Fatal(err)
		}
	}
	statuses := func(live mayLive, wantWrote bool) map[string]results.Status {
		s, err := results.LoadSweep(dir)
		if err != nil {
			t.Fatal(err)
		}
		if wrote, err := markAbandoned(&Plan{Dir: dir}, s, live); err != nil || wrote != wantWrote {
			t.Fatalf("markAbandoned: wrote %v, %v; want wrote %v", wrote, err, wantWrote)
		}
		if s, err = results.LoadSweep(dir); err != nil {
			t.Fatal(err)
		}
		out := map[string]results.Status{}
		for _, tr := range s.Trials {
			out[tr.Name] = tr.Latest().Trial.Status
		}
		return out
	}
	if got := statuses(othersMayLive, true); got["a"] != results.StatusInterrupted || got["b"] != results.StatusRunning {
		t.Errorf("under a local lock: %v, want a interrupted and b (Slurm) still running", got)
	}
	if got := statuses(noneLives, true); got["b"] != results.StatusInterrupted {
		t.Errorf("with no task alive: %v, want b interrupted too", got)
	}
	// Nothing is left running: nothing to write, which Run takes as leave
	// to keep the records it loaded.
	statuses(noneLives, false)
}

// A trial killed twice before its first record: the second directory is
// adopted too. The record written for the first names no executor, and
// that must not read as "a run of another executor that may live" (20
// runs of the chaos script under load found this).
func TestRecordUnrecordedTwice(t *testing.T) {
	dir := t.TempDir()
	p := &Plan{Spec: &spec.Spec{ModelHash: "m"}, Dir: dir, Trials: []spec.Trial{{ID: "a1", Name: "a"}}}
	for _, run := range []string{"20260101-000000", "20260101-000001"} {
		if err := os.MkdirAll(filepath.Join(dir, "a", run), 0o755); err != nil {
			t.Fatal(err)
		}
		s, err := results.LoadSweep(dir)
		if err != nil {
			t.Fatal(err)
		}
		if wrote, err := markAbandoned(p, s, othersMayLive); err != nil || !wrote {
			t.Fatalf("markAbandoned: wrote %v, %v; want a record written", wrote, err)
		}
	}
	s, err := results.LoadSweep(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Unrecorded) != 0 || s.Trial("a1") == nil || len(s.Trial("a1").Runs) != 2 {
		t.Fatalf("unrecorded %v, trial %+v; want both directories adopted", s.Unrecorded, s.Trial("a1"))
	}
	if h := s.Trial("a1").Runs[1].Trial.ModelHash; h != "m" {
		t.Errorf("an adopted run's model_hash %q, want the plan's model, whose ID it has", h)
	}
}

// valOnlyModel reports val_loss and val_ic but no train_loss, and a zero
// Outcome, as a careless plugin returns: it states nothing.
type valOnlyModel struct{}

func (valOnlyModel) Describe(context.Context) (plugins.Description, error) {
	return plugins.Description{Name: "valonly", Params: []plugins.ParamSpec{{Name: "x", Type: plugins.TypeFloat, Default: 1.0}},
		Metrics: []string{"val_loss", "val_ic"}}, nil
}

func (valOnlyModel) Train(_ context.Context, req plugins.TrainRequest, emit func(plugins.Event) error) (plugins.Outcome, error) {
	for epoch := range int64(3) {
		v := req.Params["x"].(float64) + 1/float64(epoch+1)
		ic := float64(epoch) / 10 // best at the last epoch, when maximised
		if err := emit(plugins.Event{Step: epoch, Scalars: []plugins.Scalar{{Tag: "val_loss", Value: v}, {Tag: "val_ic", Value: ic}}}); err != nil {
			return plugins.Outcome{}, err
		}
	}
	return plugins.Outcome{}, nil
}

// A metric the model never reported is absent from the record (nil, shown
// "-" and null), not 0; the scores come from the events, not from a zero
// Outcome; and every declared metric's best and final values are recorded,
// val_ic's best as the highest (issue 10, item 3; issue 17, items 2 and 3).
func TestRecordsWhatWasReported(t *testing.T) {
	p := newTestPlan(t, "[grid]\nx = [0.5, 2.0]\n", valOnlyModel{})
	sum := mustRun(t, context.Background(), p, RunOptions{Workers: 1})
	for _, rec := range sum.Records {
		if rec.FinalTrainLoss != nil {
			t.Errorf("%s: final_train_loss %v, want none: the model reports no train_loss", rec.Name, *rec.FinalTrainLoss)
		}
		want := rec.Params["x"].(float64) + 1.0/3
		if rec.Score == nil || math.Abs(*rec.Score-want) > 1e-12 || rec.BestEpoch != 2 || rec.EpochsRun != 3 {
			t.Errorf("%s: score %v at epoch %d of %d, want %v at 2 of 3 (from the events)", rec.Name, rec.Score, rec.BestEpoch, rec.EpochsRun, want)
		}
		wantMetrics := map[string]results.MetricSummary{
			"val_loss": {Mode: spec.ModeMin, Best: &want, BestEpoch: 2, Final: &want},
			"val_ic":   {Mode: spec.ModeMax, Best: results.Metric(0.2), BestEpoch: 2, Final: results.Metric(0.2)},
		}
		if !reflect.DeepEqual(rec.Metrics, wantMetrics) {
			t.Errorf("%s: metrics %s, want %s", rec.Name, metricsString(rec.Metrics), metricsString(wantMetrics))
		}
	}
}

// metricsString shows a record's metrics with their values, not pointers.
func metricsString(ms map[string]results.MetricSummary) string {
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(ms)) {
		m := ms[name]
		fmt.Fprintf(&b, "%s{%s best %v at %d, final %v} ", name, m.Mode, deref(m.Best), m.BestEpoch, deref(m.Final))
	}
	return b.String()
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// Another objective, maximised: the record's score and best epoch follow
// it, and the TensorBoard run holds it as best_<metric> (the HParams
// dashboard's column), besides best_val_loss.
func TestObjectiveInRecordsAndTensorBoard(t *testing.T) {
	p := newTestPlan(t, "[grid]\nx = [0.5]\n[objective]\nmetric = \"val_ic\"\nmode = \"max\"\n", valOnlyModel{})
	mustRun(t, context.Background(), p, RunOptions{Workers: 1})
	s, err := results.LoadSweep(p.Dir)
	if err != nil || len(s.Trials) != 1 {
		t.Fatalf("sweep: %v, %d trials", err, len(s.Trials))
	}
	run := s.Trials[0].Latest()
	rec := run.Trial
	if rec.Score == nil || *rec.Score != 0.2 || rec.BestEpoch != 2 || rec.Objective == nil || rec.Objective.Mode != spec.ModeMax {
		t.Fatalf("record: score %v at epoch %d, objective %+v; want 0.2 at 2, maximised val_ic", rec.Score, rec.BestEpoch, rec.Objective)
	}
	events, err := logger.ReadRun(run.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for tag, want := range map[string]float64{"best_val_ic": 0.2, "best_val_loss": 0.5 + 1.0/3} {
		got := events.Scalars[tag]
		if len(got) != 1 || float32(got[0].Value) != float32(want) {
			t.Errorf("%s events %v, want one of %v", tag, got, want)
		}
	}
}

// TestExperimentDomains checks that the HParams columns use the widest
// domain known before any trial ends: a search's ranges and choices, and a
// string's declared choices; and that each column says what is allowed.
func TestExperimentDomains(t *testing.T) {
	p := newTestPlan(t, "[params]\nepochs = 2\n[search]\nsampler = \"random\"\ntrials = 3\n[search.space]\n"+
		"lr = { log_uniform = [1e-4, 1e-1] }\nbatch_size = { int = [16, 64] }\nhidden_dims = { choice = [[8], [16, 8]] }\n",
		builtin.FFN())
	byName := map[string]logger.HParamInfo{}
	for _, h := range Experiment(p).HParams {
		byName[h.Name] = h
	}
	for name, want := range map[string]*logger.Interval{"lr": {Min: 1e-4, Max: 1e-1}, "batch_size": {Min: 16, Max: 64}} {
		if got := byName[name]; got.Interval == nil || *got.Interval != *want || got.Domain != nil || got.Type != logger.HParamNumber {
			t.Errorf("%s: %+v, want the interval %v", name, got, *want)
		}
	}
	if got := byName["hidden_dims"].Domain; len(got) != 2 {
		t.Errorf("hidden_dims domain %v, want the 2 choices", got)
	}
	act := byName["activation"]
	var choices []string
	for _, v := range act.Domain {
		choices = append(choices, v.String)
	}
	if strings.Join(choices, ",") != "relu,tanh,leaky_relu,elu" {
		t.Errorf("activation domain %v, want the declared choices", choices)
	}
	if want := "dropout probability after each hidden layer (in [0, 1))"; byName["dropout"].Description != want {
		t.Errorf("dropout's description %q, want %q", byName["dropout"].Description, want)
	}
}
