package spec

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/ridge"
	"github.com/sweep-ml/sweep/tests/testio"
)

// ffnDesc mirrors the built-in FFN's hyperparameters (plugins/ffn's
// TrainConfig and network), written by hand so that these tests do not
// depend on plugins/builtin.
func ffnDesc() plugins.Description {
	return plugins.Description{
		Name: "ffn",
		Params: []plugins.ParamSpec{
			{Name: "hidden_dims", Type: plugins.TypeIntList, Default: []int64{64, 32}},
			{Name: "dropout", Type: plugins.TypeFloat, Default: 0.3},
			{Name: "activation", Type: plugins.TypeString, Default: "relu"},
			{Name: "batch_norm", Type: plugins.TypeBool, Default: true},
			{Name: "lr", Type: plugins.TypeFloat, Default: 0.001},
			{Name: "weight_decay", Type: plugins.TypeFloat, Default: 0.0},
			{Name: "batch_size", Type: plugins.TypeInt, Default: int64(64)},
			{Name: "epochs", Type: plugins.TypeInt, Default: int64(100)},
			{Name: "patience", Type: plugins.TypeInt, Default: int64(10)},
			{Name: "min_delta", Type: plugins.TypeFloat, Default: 0.0},
			{Name: "restore_best", Type: plugins.TypeBool, Default: true},
			{Name: "lr_schedule", Type: plugins.TypeString, Default: "none"},
			{Name: "clip_grad_norm", Type: plugins.TypeFloat, Default: 0.0},
			{Name: "loss_weights", Type: plugins.TypeFloatList, Default: []float64{}},
		},
		Metrics: []string{"train_loss", "val_loss", "learning_rate"},
	}
}

// ridgeDesc is the example plugin's own description.
func ridgeDesc(t testing.TB) plugins.Description {
	t.Helper()
	desc, err := (&ridge.Model{}).Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return desc
}

// torchFFNDesc is the description of the PyTorch example on the Python SDK,
// as its process gives it; it skips t without Python, grpcio, protobuf and
// torch (fails it with SWEEP_PYTHON_REQUIRED=1).
func torchFFNDesc(t testing.TB) plugins.Description {
	t.Helper()
	py := testio.RequirePython(t, "grpc", "google.protobuf", "torch")
	ctx := context.Background()
	c, err := plugins.Launch(ctx, plugins.Command{Path: py, Args: []string{"plugins/python/examples/torch_ffn.py"},
		Dir: filepath.Join("..", ".."), Env: []string{"PYTHONDONTWRITEBYTECODE=1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	desc, err := c.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return desc
}

// writeGrid writes src to dir/name and returns its path.
func writeGrid(t testing.TB, dir, name, src string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// mustParse parses src as grid.toml in a temporary directory.
func mustParse(t testing.TB, src string) *Spec {
	t.Helper()
	s, err := Parse(filepath.Join(t.TempDir(), "grid.toml"), []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, src)
	}
	return s
}

// mustExpand parses and expands src against the FFN description.
func mustExpand(t testing.TB, src string) []Trial {
	t.Helper()
	trials, err := Expand(mustParse(t, src), ffnDesc())
	if err != nil {
		t.Fatalf("Expand: %v\n%s", err, src)
	}
	return trials
}
