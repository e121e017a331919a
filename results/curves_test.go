package results

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/logger"
)

// logSeries writes val_loss and train_loss for steps 0..len(vals)-1 to a new
// event file in runDir, as the orchestrator's logger does, and returns the
// file's path. TensorBoard scalars are float32: tests use values that
// float32 holds exactly.
func logSeries(t *testing.T, runDir string, vals []float64) string {
	t.Helper()
	l, err := logger.Open(runDir, logger.Options{Now: func() time.Time { return t0 }, Hostname: "node1"})
	if err != nil {
		t.Fatal(err)
	}
	for step, v := range vals {
		if err := l.LogScalars(int64(step), map[string]float64{"val_loss": v, "train_loss": 2 * v}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return l.Path()
}

// curveSweep writes five succeeded trials, ranked c (0.1), a, b, d, e
// (0.5), with val_loss logged for a, b and c (c's file cut inside its last
// record, as when a run is still being written), no event file for d and
// only train_loss for e.
func curveSweep(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "s")
	spec := func(name string, best float64) trialSpec {
		return succeeded(name, fp(best), 1)
	}
	runs := map[string]string{}
	for _, s := range []trialSpec{spec("a", 0.2), spec("b", 0.3), spec("c", 0.1), spec("d", 0.4), spec("e", 0.5)} {
		runs[s.name] = writeRun(t, dir, runName(0), s.record([]string{"lr"}))
	}
	logSeries(t, runs["a"], []float64{0.875, 0.5, 0.25})
	logSeries(t, runs["b"], []float64{0.75, 0.375})
	path := logSeries(t, runs["c"], []float64{0.625, 0.5, 0.125})
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, info.Size()-3); err != nil {
		t.Fatal(err)
	}
	l, err := logger.Open(runs["e"], logger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.LogScalars(0, map[string]float64{"train_loss": 1}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestReadCurves(t *testing.T) {
	dir := curveSweep(t)
	s, err := LoadSweep(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := Rank(s, RankOptions{})
	curves, warnings := ReadCurves(r, "val_loss", 0)
	var got []string
	for _, c := range curves {
		got = append(got, c.Name+FormatValue(c.Steps)+FormatValue(c.Values))
	}
	want := "c[0, 1][0.625, 0.5] a[0, 1, 2][0.875, 0.5, 0.25] b[0, 1][0.75, 0.375]"
	if strings.Join(got, " ") != want {
		t.Errorf("curves %q, want %q", strings.Join(got, " "), want)
	}
	for i, w := range []string{"truncated", filepath.Join("d", runName(0)) + ": no event file",
		filepath.Join("e", runName(0)) + `: no "val_loss" scalars`} {
		if i >= len(warnings) || !strings.Contains(warnings[i], w) {
			t.Errorf("warning %d: got %q, want one containing %q", i, warnings, w)
		}
	}
	if len(warnings) != 3 {
		t.Errorf("%d warnings, want 3: %q", len(warnings), warnings)
	}

	top, _ := ReadCurves(r, "val_loss", 2)
	if len(top) != 2 || top[0].Name != "c" || top[1].Name != "a" {
		t.Errorf("top 2 gave %d curves, want c and a", len(top))
	}
	if err := PlotCurves(filepath.Join(t.TempDir(), "top.svg"), curves, PlotOptions{}); err != nil {
		t.Error(err)
	}
}
