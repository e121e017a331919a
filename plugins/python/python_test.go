package python_test

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/dataset"
	"github.com/sweep-ml/sweep/plugins/python"
	"github.com/sweep-ml/sweep/tests/testio"
)

// noPycache keeps Python from writing __pycache__ into the source tree.
const noPycache = "PYTHONDONTWRITEBYTECODE=1"

// TestSDKUnit runs the SDK's Python unit tests (test_sweep_plugin.py).
func TestSDKUnit(t *testing.T) {
	py := testio.RequirePython(t, testio.SDKModules...)
	cmd := exec.Command(py, "-m", "unittest", "test_sweep_plugin")
	cmd.Env = append(os.Environ(), noPycache)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// writeDir writes the files under dir in fsys into to, as `sweep plugins
// new python` does, and returns their names.
func writeDir(t *testing.T, fsys fs.FS, dir, to string) []string {
	t.Helper()
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	err = fs.WalkDir(sub, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(sub, path)
		if err == nil {
			err = os.MkdirAll(filepath.Join(to, filepath.Dir(path)), 0o755)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(to, path), data, 0o644)
		}
		names = append(names, path)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestTemplate writes the template and the embedded SDK into a directory, as
// a user's project gets them, and runs the model there: it describes itself
// with its constraints and trains on prepared data, reporting every epoch
// and histograms when the grid's log_every asks.
func TestTemplate(t *testing.T) {
	py := testio.RequirePython(t, testio.SDKModules...)
	dir := t.TempDir()
	if names := writeDir(t, python.Template, "template", dir); !slices.Equal(names, []string{"README.md", "grid.toml", "model.py"}) {
		t.Errorf("template files %v", names)
	}
	if names := writeDir(t, python.SDK, "sweep_plugin", filepath.Join(dir, "sweep_plugin")); !slices.Contains(names, "__init__.py") {
		t.Errorf("SDK files %v", names)
	}
	ctx := context.Background()
	c, err := plugins.Launch(ctx, plugins.Command{Path: py, Args: []string{"model.py"}, Dir: dir, Env: []string{noPycache}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d, err := c.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []plugins.ParamSpec{
		{Name: "lr", Type: plugins.TypeFloat, Default: 0.1, Help: "gradient descent's step size",
			Constraints: plugins.Constraints{Min: plugins.Beyond(0), Max: plugins.AtLeast(1)}},
		{Name: "l2", Type: plugins.TypeFloat, Default: 1e-3, Help: "L2 penalty on the weights",
			Constraints: plugins.Constraints{Min: plugins.AtLeast(0)}},
	}
	if d.Name != "ridge" || !reflect.DeepEqual(d.Params, want) {
		t.Errorf("description %+v", d)
	}

	spec := dataset.Spec{Synthetic: &dataset.SyntheticSpec{Rows: 1000, Features: 5}}
	prep, err := dataset.PrepareArrays(ctx, spec, filepath.Join(dir, ".data"))
	if err != nil {
		t.Fatal(err)
	}
	var val []float64
	var histAt []int64
	req := plugins.TrainRequest{TrialID: "tmpl", Params: plugins.Params{"lr": 0.1, "l2": 1e-3}, Data: spec, HistogramEvery: 25, DataFile: prep.Files[0]}
	_, err = c.Train(ctx, req, nil, func(e plugins.Event) error {
		val = append(val, e.Scalars[1].Value)
		if len(e.Histograms) > 0 {
			histAt = append(histAt, e.Step)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(val) != 100 || !(val[99] < 0.8*val[0]) {
		t.Errorf("%d epochs, val_loss from %v to %v", len(val), val[0], val[len(val)-1])
	}
	if !slices.Equal(histAt, []int64{0, 25, 50, 75, 99}) {
		t.Errorf("histograms at epochs %v", histAt)
	}
}
