package builtin

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sweep-ml/sweep/plugins"
)

// TestResumeIsExact interrupts trials at random epochs (cancelling the
// call, as Ctrl-C and Slurm's signal do), resumes each from the training
// state it saved when stopped, in a new directory, and requires what the
// host sees and keeps to be what the uninterrupted trial gives, bit for
// bit: the events (replayed ones, then new ones), the outcome and every
// checkpoint file.
func TestResumeIsExact(t *testing.T) {
	cases := []struct {
		name   string
		params plugins.Params
		every  int
	}{
		{"restore_best, dropout", plugins.Params{"epochs": int64(24), "hidden_dims": []int64{6, 4}, "dropout": 0.3}, 5},
		{"last kept, cosine, early stopping", plugins.Params{"epochs": int64(30), "hidden_dims": []int64{5}, "restore_best": false,
			"lr_schedule": "cosine", "patience": int64(3), "lr": 0.02}, 2},
		{"float32, last kept, dropout", plugins.Params{"epochs": int64(20), "hidden_dims": []int64{16, 8}, "restore_best": false,
			"dropout": 0.2, "dtype": "float32"}, 3},
		{"float32, restore_best", plugins.Params{"epochs": int64(20), "hidden_dims": []int64{6}, "dtype": "float32"}, 4},
	}
	rng := rand.New(rand.NewPCG(14, 3))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := trainTrial(t, c.params, c.every, "", nil)
			for range 3 {
				stop := c.every + rng.IntN(len(want.events)-c.every)
				first := trainTrial(t, c.params, c.every, "", &stop)
				if !errors.Is(first.err, context.Canceled) {
					t.Fatalf("stopped after epoch %d: %v", stop-1, first.err)
				}
				got := trainTrial(t, c.params, c.every, filepath.Join(first.dir, stateFile), nil)
				if got.err != nil {
					t.Fatal(got.err)
				}
				if got.out != want.out || !reflect.DeepEqual(got.scalars(), want.scalars()) {
					t.Fatalf("stopped after epoch %d: outcome %+v, want %+v; or the events differ", stop-1, got.out, want.out)
				}
				replayed := 0
				for _, e := range got.events {
					if e.Replayed {
						replayed++
					}
				}
				// Stopped between epochs, the run saved its state on the
				// way out: the resumed one repeats no epoch.
				if replayed != stop {
					t.Errorf("stopped after epoch %d, saving every %d: %d epochs replayed, want %d", stop-1, c.every, replayed, stop)
				}
				for _, f := range []string{CheckpointFile, LastCheckpointFile} {
					a, errA := os.ReadFile(filepath.Join(want.dir, f))
					b, errB := os.ReadFile(filepath.Join(got.dir, f))
					if !bytes.Equal(a, b) || (errA == nil) != (errB == nil) {
						t.Errorf("stopped after epoch %d: %s differs from the uninterrupted trial's", stop-1, f)
					}
				}
			}
		})
	}
}

const stateFile = "train_state.ckpt"

type trialRun struct {
	dir    string
	events []plugins.Event
	out    plugins.Outcome
	err    error
}

// scalars are the events' steps and scalars, whether replayed or not.
func (r trialRun) scalars() [][]plugins.Scalar {
	out := make([][]plugins.Scalar, len(r.events))
	for i, e := range r.events {
		if int(e.Step) != i {
			return nil
		}
		out[i] = e.Scalars
	}
	return out
}

// trainTrial trains one trial into a new directory, saving its state
// every so many epochs, resuming from resumeFrom if not empty, and
// cancelling it after epoch *stop-1 if stop is not nil.
func trainTrial(t *testing.T, params plugins.Params, every int, resumeFrom string, stop *int) trialRun {
	t.Helper()
	r := trialRun{dir: t.TempDir()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := plugins.TrainRequest{TrialID: "t1", Params: params, Data: smallData, Seed: 5, ResumeFrom: resumeFrom,
		Checkpoint: plugins.Checkpoint{Dir: r.dir, Last: true, StateEvery: every, StateFile: stateFile}}
	r.out, r.err = FFN().Train(ctx, req, func(e plugins.Event) error {
		r.events = append(r.events, e)
		if stop != nil && int(e.Step)+1 == *stop {
			cancel()
		}
		return nil
	})
	return r
}

// TestResumeFallsBack: a state that cannot be used (missing, of another
// trial, not a state at all) starts the trial from epoch 0, which gives
// the uninterrupted result, only later.
func TestResumeFallsBack(t *testing.T) {
	params := plugins.Params{"epochs": int64(6), "hidden_dims": []int64{4}}
	want := trainTrial(t, params, 2, "", nil)
	other := filepath.Join(t.TempDir(), "other")
	req := plugins.TrainRequest{TrialID: "t2", Params: params, Data: smallData, Seed: 5,
		Checkpoint: plugins.Checkpoint{Dir: other, StateEvery: 2, StateFile: stateFile}}
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := FFN().Train(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	junk := filepath.Join(t.TempDir(), "junk")
	if err := os.WriteFile(junk, []byte("not a state"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(t.TempDir(), "missing"), filepath.Join(other, stateFile), junk} {
		got := trainTrial(t, params, 2, path, nil)
		if got.err != nil || got.out != want.out || got.events[0].Replayed {
			t.Errorf("resuming from %s: %v, outcome %+v, want a start from epoch 0 and %+v", path, got.err, got.out, want.out)
		}
	}
}
