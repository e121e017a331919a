package plugins

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/plugins/dataset"
	"github.com/sweep-ml/sweep/tests/testio"
)

// pythonWithTorch returns a Python that can run python/torch_mlp.py, or
// skips the test.
func pythonWithTorch(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(py); err == nil && exec.Command(path, "-c", "import grpc, google.protobuf, torch").Run() == nil {
			return path
		}
	}
	t.Skip("needs python3 with grpcio, protobuf and torch (Debian: python3-grpcio python3-protobuf python3-torch)")
	return ""
}

// TestPythonPlugin runs the PyTorch example through the same pool as the Go
// plugins: it proves the handshake and protocol that README.md documents for
// other languages.
func TestPythonPlugin(t *testing.T) {
	py := pythonWithTorch(t)
	script, err := filepath.Abs("python/torch_mlp.py")
	if err != nil {
		t.Fatal(err)
	}
	// y = 2a − b + a small deterministic wiggle, on 200 rows.
	var csv strings.Builder
	csv.WriteString("a,b,target\n")
	for i := range 200 {
		a, b := math.Sin(float64(i)), math.Cos(float64(3*i))
		fmt.Fprintf(&csv, "%g,%g,%g\n", a, b, 2*a-b+0.05*math.Sin(float64(7*i)))
	}
	data := filepath.Join(t.TempDir(), "data.csv")
	if err := os.WriteFile(data, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// No __pycache__ in the source tree.
	pool := NewPool(Command{Path: py, Args: []string{script}, Env: []string{"PYTHONDONTWRITEBYTECODE=1"}}, 1, PoolOptions{})
	defer pool.Close()
	ctx := context.Background()

	d, err := pool.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "torch-mlp" || d.Params[0].Default != int64(32) || d.Params[1].Default != 0.01 {
		t.Errorf("description %+v", d)
	}

	req := TrainRequest{TrialID: "py", Seed: 1, HistogramEvery: 10, Data: dataset.Spec{Path: data},
		Params: Params{"hidden": int64(16), "lr": 0.05, "epochs": int64(30)}}
	var evs []Event
	out, err := pool.Train(ctx, req, nil, func(e Event) error {
		evs = append(evs, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 30 || out.EpochsRun != 30 || evs[0].Graph == nil || len(evs[10].Histograms) != 8 || len(evs[11].Histograms) != 0 {
		t.Fatalf("%d events, outcome %+v", len(evs), out)
	}
	// Full-batch Adam at lr 0.05 fits a near-linear target well in 30 steps.
	if first, last := evs[0].Scalars[1].Value, evs[29].Scalars[1].Value; !(last < first/4) {
		t.Errorf("validation loss went from %g to %g", first, last)
	}

	// A model's own error fails the trial and keeps the process.
	for _, bad := range []Params{{"lr": -1.0}, {"epochs": int64(0)}} {
		req.Params = bad
		if _, err := pool.Train(ctx, req, nil, func(Event) error { return nil }); err == nil || !strings.Contains(err.Error(), "trial py failed: want lr > 0") {
			t.Errorf("%v: error %v", bad, err)
		}
	}

	// Cancelling reaches the model, which stops; the process is reused.
	before := idleClients(pool)[0]
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var log testio.SyncBuffer
	req.Params = Params{"epochs": int64(1000), "sleep_ms": int64(20)}
	n := 0
	_, err = pool.Train(cctx, req, &log, func(Event) error {
		if n++; n == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	// The plugin's stderr marks make its last lines land in the trial's log.
	if !strings.Contains(log.String(), "trial py cancelled at epoch") {
		t.Errorf("trial log %q lacks the model's note of the cancellation", log.String())
	}
	// Describe alone would pass with a replacement process too.
	if _, err := pool.Describe(ctx); err != nil || idleClients(pool)[0] != before {
		t.Errorf("the process did not survive a cancelled trial: %v", err)
	}
	start := time.Now()
	pool.Close()
	// Without the Shutdown handler go-plugin waits 2 s before it kills.
	if d := time.Since(start); d >= 1900*time.Millisecond {
		t.Errorf("Close took %v: the plugin did not take the shutdown request", d)
	}
}
