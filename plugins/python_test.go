package plugins

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/plugins/dataset"
	"github.com/sweep-ml/sweep/tests/testio"
)

// pythonCommand starts the Python SDK's test model
// (internal/testplugins/python/testmodel.py), or skips tb where Python
// lacks what it needs (fails it with SWEEP_PYTHON_REQUIRED=1).
func pythonCommand(tb testing.TB) Command {
	py := testio.RequirePython(tb, testio.SDKModules...)
	script, err := filepath.Abs("internal/testplugins/python/testmodel.py")
	if err != nil {
		tb.Fatal(err)
	}
	// No __pycache__ in the source tree.
	return Command{Path: py, Args: []string{script}, Env: []string{"PYTHONDONTWRITEBYTECODE=1"}}
}

// TestPythonDescribe checks that every hyperparameter type, default and
// constraint, the version and the wish for data cross from the SDK as the
// Go contract has them.
func TestPythonDescribe(t *testing.T) {
	pool := NewPool(pythonCommand(t), 1, PoolOptions{})
	defer pool.Close()
	d, err := pool.Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := Description{Name: "pytest", Version: "7", Metrics: []string{"train_loss", "val_loss", "pid"},
		Params: []ParamSpec{
			{Name: "epochs", Type: TypeInt, Default: int64(3), Help: "epochs to run", Constraints: Constraints{Min: AtLeast(0)}},
			{Name: "sleep_ms", Type: TypeInt, Default: int64(0), Help: "sleep per epoch", Constraints: Constraints{Min: AtLeast(0)}},
			{Name: "fail", Type: TypeString, Default: "no", Help: "how to fail",
				Constraints: Constraints{Choices: []string{"no", "raise", "hang", "kill", "exit", "undeclared"}}},
			{Name: "fail_at", Type: TypeInt, Default: int64(1), Help: "epoch at which to fail", Constraints: Constraints{Min: AtLeast(0)}},
			{Name: "hist", Type: TypeInt, Default: int64(0), Help: "values per histogram (numpy)", Constraints: Constraints{Min: AtLeast(0)}},
			{Name: "checksum", Type: TypeBool, Default: false, Help: "log the SHA-256 of the data"},
			{Name: "lr", Type: TypeFloat, Default: 1.0, Help: "a float that looks like an int", Constraints: Constraints{Min: Beyond(0)}},
			{Name: "dims", Type: TypeIntList, Default: []int64{64, 32}, Help: "an int list", Constraints: Constraints{Min: AtLeast(1), MaxLen: 4}},
			{Name: "weights", Type: TypeFloatList, Default: []float64{0.5, 1}, Help: "a float list"},
			{Name: "stop_after", Type: TypeInt, Default: int64(0), Help: "stop early after this many epochs (0: never)",
				Constraints: Constraints{Min: AtLeast(0)}},
		}}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("description\n%+v\nwant\n%+v", d, want)
	}
}

// TestPythonTrain runs trials of the test model through the same pool as
// Go plugins: events, histograms and the graph arrive; the outcome is empty
// (the host computes results from the events); every value arrives with
// its type (the model fails the trial otherwise).
func TestPythonTrain(t *testing.T) {
	pool := NewPool(pythonCommand(t), 1, PoolOptions{})
	defer pool.Close()
	params := Params{"epochs": int64(4), "hist": int64(7), "lr": 2.0, "dims": []int64{8}, "weights": []float64{}, "fail": "no"}
	evs, out, err := run(context.Background(), pool, "py", params, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 4 || out != (Outcome{}) {
		t.Fatalf("%d events, outcome %+v", len(evs), out)
	}
	for i, e := range evs {
		if e.Step != int64(i) || (e.Graph != nil) != (i == 0) || len(e.Scalars) != 3 || e.Scalars[1].Tag != "val_loss" ||
			e.Scalars[1].Value != 2/float64(i+1) || len(e.Histograms) != 1 || len(e.Histograms[0].Values) != 7 {
			t.Errorf("event %d: %+v", i, e)
		}
	}
	if g := evs[0].Graph; len(g.Nodes) != 2 || !reflect.DeepEqual(g.Nodes[1], GraphNode{Name: "network/0", Op: "Linear", Inputs: []string{"input"}, Shape: []int64{-1, 1}}) {
		t.Errorf("graph %+v", g)
	}
	if h := evs[3].Histograms[0]; h.Tag != "weights/network.0.weight" || h.Values[6] != 6.0/4 {
		t.Errorf("histogram %+v", h)
	}
}

// TestPythonStoppedEarly checks that a model's trial.stop_early() reaches
// the host as the outcome's StoppedEarly, for its trial only: the next trial
// in the same process, which runs all its epochs, says nothing.
func TestPythonStoppedEarly(t *testing.T) {
	pool := NewPool(pythonCommand(t), 1, PoolOptions{})
	defer pool.Close()
	ctx := context.Background()
	for _, tc := range []struct {
		stopAfter, events int
		want              Outcome
	}{
		{2, 2, Outcome{StoppedEarly: true}},
		{0, 5, Outcome{}},
	} {
		evs, out, err := run(ctx, pool, "py", Params{"epochs": int64(5), "stop_after": int64(tc.stopAfter)}, nil)
		if err != nil || len(evs) != tc.events || out != tc.want {
			t.Errorf("stop_after %d: %d events, outcome %+v, error %v; want %d events, outcome %+v",
				tc.stopAfter, len(evs), out, err, tc.events, tc.want)
		}
	}
}

// TestPythonData checks that the arrays a Python model reads are the ones
// Go loads for the same [data] table: the test model logs the SHA-256 of
// their float64 bytes, for synthetic data, for a CSV split in order without
// standardisation, and for the second fold of a walk-forward split of a
// synthetic panel: every model trains on the same folds.
func TestPythonData(t *testing.T) {
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("a,b,ret\n")
	for i := range 50 {
		fmt.Fprintf(&csv, "%g,%g,%g\n", math.Sin(float64(i)), float64(i%7), math.Cos(float64(3*i)))
	}
	csvPath := filepath.Join(dir, "data.csv")
	if err := os.WriteFile(csvPath, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	noStd := false
	specs := map[string]dataset.Spec{
		"synthetic": {Synthetic: &dataset.SyntheticSpec{Rows: 300, Features: 4}, Seed: 5},
		"csv":       {Path: csvPath, Target: "ret", Split: "chronological", ValSplit: 0.3, Standardize: &noStd},
		"fold2": {Synthetic: &dataset.SyntheticSpec{Rows: 400, Features: 3, Assets: 4}, Split: dataset.SplitWalkForward,
			Folds: 3, Embargo: "2", Fold: 2},
	}
	pool := NewPool(pythonCommand(t), 1, PoolOptions{})
	defer pool.Close()
	for name, spec := range specs {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			d, err := dataset.Load(ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			prep, err := dataset.PrepareArrays(ctx, spec, filepath.Join(dir, ".data"))
			if err != nil {
				t.Fatal(err)
			}
			var log testio.SyncBuffer
			req := TrainRequest{TrialID: name, Data: spec, DataFile: prep.Files[max(spec.Fold-1, 0)], Params: Params{"checksum": true, "epochs": int64(1)}}
			if _, err := pool.Train(ctx, req, &log, discard); err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("data sha256 %s train (%d, %d) val (%d, %d) features %s target %s",
				testio.Float64SHA256(d.TrainX, d.TrainY, d.ValX, d.ValY), d.NumTrain, d.NumFeatures(), d.NumVal, d.NumFeatures(),
				strings.Join(d.Features, ","), d.Target)
			if !strings.Contains(log.String(), want+"\n") {
				t.Errorf("the model's log\n%s\nlacks %q", log.String(), want)
			}
		})
	}
}

// TestPythonFailures checks how a Python model's failures reach the host: an
// exception fails its trial with the exception's type, message and place
// (the traceback goes to the trial's log) and keeps the process; a
// cancellation reaches the training loop as Stopped and keeps the process;
// Close ends the process at once.
func TestPythonFailures(t *testing.T) {
	pool := NewPool(pythonCommand(t), 1, PoolOptions{})
	ctx := context.Background()
	evs, _, err := run(ctx, pool, "first", Params{"epochs": int64(1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pid := pidOf(t, evs)

	for _, tc := range []struct{ fail, want string }{
		{"raise", `^trial py failed: ValueError: deliberate failure in trial py \(testmodel\.py:\d+ in misbehave\)$`},
		{"undeclared", `^trial py failed: ValueError: report: 'accuracy' is not a declared metric; add it to the model's metrics ` +
			`\(now \['train_loss', 'val_loss', 'pid'\]\) \(testmodel\.py:\d+ in misbehave\)$`},
	} {
		var log testio.SyncBuffer
		_, _, err := run(ctx, pool, "py", Params{"fail": tc.fail}, &log)
		if err == nil || !regexp.MustCompile(tc.want).MatchString(err.Error()) {
			t.Errorf("fail=%s: error %v, want %s", tc.fail, err, tc.want)
		}
		if !strings.Contains(log.String(), "Traceback (most recent call last):") {
			t.Errorf("fail=%s: the trial's log lacks the traceback:\n%s", tc.fail, log.String())
		}
	}

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var log testio.SyncBuffer
	n := 0
	_, err = pool.Train(cctx, TrainRequest{TrialID: "slow", Params: Params{"epochs": int64(1000), "sleep_ms": int64(20)}}, &log, func(Event) error {
		if n++; n == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	// The SDK's marks make the model's last lines land in the trial's log.
	for _, want := range []string{"trial slow saw Stopped at epoch", "sweep_plugin: sweep stopped trial slow after epoch"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the trial's log lacks %q:\n%s", want, log.String())
		}
	}

	evs, _, err = run(ctx, pool, "last", Params{"epochs": int64(1)}, nil)
	if err != nil || pidOf(t, evs) != pid {
		t.Errorf("after the failures the trial ran in process %d, not %d: %v", pidOf(t, evs), pid, err)
	}
	start := time.Now()
	pool.Close()
	// Without the SDK's Shutdown handler go-plugin waits 2 s before it kills.
	if d := time.Since(start); d >= 1900*time.Millisecond {
		t.Errorf("Close took %v: the plugin did not take the shutdown request", d)
	}
	if !waitGone(pid, 5*time.Second) {
		t.Errorf("plugin process %d still runs after Close", pid)
	}
}
