package scaffold

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/orchestrator/spec"
	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/dataset"
	"github.com/sweep-ml/sweep/tests/testio"
)

// TestGoPluginBuildsAndRuns follows the README the scaffold writes: go mod
// tidy, go build, then the host describes the plugin, accepts its grid and
// trains a trial on it.
func TestGoPluginBuildsAndRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin module (-short)")
	}
	repo, ok := FindSweepModule(".")
	if !ok {
		t.Fatal("the test runs inside the sweep module")
	}
	dir := filepath.Join(t.TempDir(), "mymodel")
	if err := Go(dir, repo); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"mod", "tidy"}, {"build", "-o", "mymodel", "."}, {"vet", "."}} {
		cmd := exec.Command("go", args...)
		// CI sets -mod=readonly for the repository; the new module is
		// written by tidy.
		cmd.Dir, cmd.Env = dir, append(os.Environ(), "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	if out, _ := exec.Command("gofmt", "-l", dir).Output(); len(out) > 0 {
		t.Errorf("gofmt would change %s", out)
	}

	desc, params, valLoss := firstTrial(t, dir, plugins.Command{Path: filepath.Join(dir, "mymodel")})
	if desc.Name != "mymodel" || len(desc.Params) != 2 || desc.Params[0].Constraints.IsZero() {
		t.Errorf("description %+v, want mymodel with two constrained hyperparameters", desc)
	}
	epochs := params["epochs"].(int64)
	if int64(len(valLoss)) != epochs || !(valLoss[len(valLoss)-1] < valLoss[0]) {
		t.Errorf("val_loss over %d epochs: %v, want one per epoch, falling", epochs, valLoss)
	}
}

// firstTrial does what `sweep run` does with a scaffold's plugin (cmd) and
// grid, for the grid's first trial: it describes the model, expands the
// grid against it, prepares the data and trains the trial. It returns the
// description, the trial's hyperparameters and its val_loss per epoch.
func firstTrial(t *testing.T, dir string, cmd plugins.Command) (plugins.Description, plugins.Params, []float64) {
	t.Helper()
	ctx := context.Background()
	client, err := plugins.Launch(ctx, cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	desc, err := client.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	grid, err := spec.Load(filepath.Join(dir, "grid.toml"))
	if err != nil {
		t.Fatal(err)
	}
	trials, err := spec.Expand(grid, desc)
	if err != nil {
		t.Fatalf("the scaffold's grid: %v", err)
	}
	prep, err := dataset.PrepareArrays(ctx, grid.Data, filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	var valLoss []float64
	req := plugins.TrainRequest{TrialID: "t", Params: trials[0].Params, Data: grid.Data, Seed: 1, DataFile: prep.Files[0]}
	req.Data.File = prep.Files[0]
	_, err = client.Train(ctx, req, nil, func(e plugins.Event) error {
		for _, s := range e.Scalars {
			if s.Tag == "val_loss" {
				valLoss = append(valLoss, s.Value)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("training: %v", err)
	}
	return desc, trials[0].Params, valLoss
}

func TestRefusals(t *testing.T) {
	repo, _ := FindSweepModule(".")
	full := filepath.Join(t.TempDir(), "full")
	if err := os.Mkdir(full, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(full, "keep.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ dir, sweep, want string }{
		{full, repo, "is not empty"},
		{filepath.Join(t.TempDir(), "My Model"), repo, "cannot name a plugin"},
		{filepath.Join(t.TempDir(), "m"), t.TempDir(), "is not a checkout of github.com/sweep-ml/sweep"},
	} {
		if err := Go(c.dir, c.sweep); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Go(%s, %s): %v, want %q", c.dir, c.sweep, err, c.want)
		}
	}
	if entries, _ := os.ReadDir(full); len(entries) != 1 {
		t.Errorf("a refused directory changed: %v", entries)
	}
}

// TestPythonPluginRuns writes the Python plugin and follows its README: the
// host expands its grid, which names the interpreter, against the model's
// description, and trains a trial.
func TestPythonPluginRuns(t *testing.T) {
	testio.RequirePython(t, testio.SDKModules...)
	dir := filepath.Join(t.TempDir(), "mymodel")
	if err := Python(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"model.py", "grid.toml", "README.md", "sweep_plugin/__init__.py", "sweep_plugin/model_pb2.py"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	grid, err := spec.Load(filepath.Join(dir, "grid.toml"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, valLoss := firstTrial(t, dir, plugins.Command{Path: grid.Interpreter, Args: []string{grid.Plugin}, Dir: dir,
		Env: []string{"PYTHONDONTWRITEBYTECODE=1"}})
	if len(valLoss) == 0 {
		t.Error("the Python plugin reported no val_loss")
	}
}
