package orchestrator

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sweep-ml/sweep/logger"
	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/builtin"
	"github.com/sweep-ml/sweep/results"
)

// stopAt is the built-in network, stopping the sweep (as Ctrl-C does)
// once any trial has reported epoch stop-1 afresh.
type stopAt struct {
	plugins.Model
	stop   int64
	cancel context.CancelFunc
}

func (m stopAt) Train(ctx context.Context, req plugins.TrainRequest, emit func(plugins.Event) error) (plugins.Outcome, error) {
	return m.Model.Train(ctx, req, func(e plugins.Event) error {
		if !e.Replayed && e.Step+1 == m.stop {
			m.cancel()
		}
		return emit(e)
	})
}

// TestResumeIsExact interrupts a sweep at random epochs, runs it again
// until it is done, and requires every trial's record (score, curve, best
// epoch, losses, ASHA's decisions) and kept weights to be the
// uninterrupted sweep's, bit for bit; the resumed runs to say so; each
// trial's TensorBoard steps across its runs to be logged once each; and
// the training states to be gone once the trials finished.
func TestResumeIsExact(t *testing.T) {
	const grid = `seed = 3
workers = 1
checkpoint = "best+last"
checkpoint_every = 4
[data.synthetic]
rows = 300
features = 4
[params]
epochs = 30
hidden_dims = [6]
dropout = 0.2
[grid]
lr = [0.01, 0.003, 0.03]
[prune]
method = "asha"
min_epochs = 5
eta = 2
`
	want := newTestPlan(t, grid, builtin.FFN())
	mustRun(t, context.Background(), want, RunOptions{})
	rng := rand.New(rand.NewPCG(14, 1))
	for range 3 {
		p := newTestPlan(t, grid, builtin.FFN())
		for stops := 0; ; stops++ {
			ctx, cancel := context.WithCancel(context.Background())
			p.Trainer = plugins.InProcess(stopAt{Model: builtin.FFN(), stop: 1 + rng.Int64N(30), cancel: cancel})
			sum := mustRun(t, ctx, p, RunOptions{})
			cancel()
			if !sum.Interrupted {
				break
			}
		}
		compareResumed(t, want.Dir, p.Dir)
	}
}

// compareResumed compares a resumed sweep with the uninterrupted one.
func compareResumed(t *testing.T, wantDir, gotDir string) {
	t.Helper()
	want, err := results.LoadSweep(wantDir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := results.LoadSweep(gotDir)
	if err != nil {
		t.Fatal(err)
	}
	resumed := 0
	for _, w := range want.Trials {
		g := got.Trial(w.ID)
		a, b := *w.Finished.Trial, *g.Finished.Trial
		if b.ResumedFrom != "" {
			resumed++
		}
		// The sweeps differ in their times, processes and directories
		// (the grids' log_dir, and so their hashes).
		for _, r := range []*results.Trial{&a, &b} {
			r.StartedAt, r.EndedAt, r.DurationSeconds, r.PID, r.ResumedFrom, r.ResumedEpochs = a.StartedAt, a.EndedAt, 0, 0, "", 0
			r.Provenance.GridHash = ""
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("trial %s: resumed record\n%+v\nwant\n%+v", w.Name, b, a)
		}
		for _, f := range []string{builtin.CheckpointFile, builtin.LastCheckpointFile} {
			x, _ := os.ReadFile(filepath.Join(w.Finished.Dir, f))
			y, _ := os.ReadFile(filepath.Join(g.Finished.Dir, f))
			x = bytes.ReplaceAll(x, []byte(w.Finished.Trial.Provenance.GridHash), []byte(g.Finished.Trial.Provenance.GridHash))
			if !bytes.Equal(x, y) || len(x) == 0 && b.Status == results.StatusSucceeded {
				t.Errorf("trial %s: %s differs", w.Name, f)
			}
		}
		steps := map[int64]int{}
		for _, run := range g.Runs {
			if _, err := os.Stat(filepath.Join(run.Dir, StateFile)); err == nil {
				t.Errorf("%s: a finished trial keeps its training state", run.Dir)
			}
			ev, _ := logger.ReadRun(run.Dir)
			for _, p := range ev.Scalars[MetricValLoss] {
				steps[p.Step]++
			}
		}
		for s := range b.EpochsRun {
			if steps[s] != 1 {
				t.Errorf("trial %s: step %d logged %d times over %d runs", w.Name, s, steps[s], len(g.Runs))
			}
		}
	}
	if resumed == 0 {
		t.Errorf("no trial resumed")
	}
}
