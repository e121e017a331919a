package logger

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/tests/golden"
)

// fixedClock makes files byte-identical from run to run.
var fixedClock = func() time.Time { return time.Date(2026, 11, 25, 19, 30, 0, 500_000_000, time.UTC) }

func testOptions() Options { return Options{Now: fixedClock, Hostname: "testhost"} }

// textbookGraph is the textbook network 50→64→32→1 as the ffn plugin
// describes it: Linear, BatchNorm, ReLU, Dropout per hidden layer.
func textbookGraph() *Graph {
	g := &Graph{Nodes: []Node{{Name: "input/x", Op: "IO Node", Shape: []int64{-1, 50}}}}
	prev := "input/x"
	add := func(name, op string, width int64) {
		g.Nodes = append(g.Nodes, Node{Name: name, Op: op, Inputs: []string{prev}, Shape: []int64{-1, width}})
		prev = name
	}
	for i, w := range []int64{64, 32} {
		base := 4 * i
		add(fmt.Sprintf("network/%d/linear", base), "Linear", w)
		add(fmt.Sprintf("network/%d/batch_norm", base+1), "BatchNorm1d", w)
		add(fmt.Sprintf("network/%d/relu", base+2), "ReLU", w)
		add(fmt.Sprintf("network/%d/dropout", base+3), "Dropout", w)
	}
	add("network/8/linear", "Linear", 1)
	add("output/y", "IO Node", 1)
	return g
}

// textbookParams returns the textbook network's parameters, as nn.Sequential
// names them, filled from src (a Kaiming-uniform-like range).
func textbookParams(src rand.Source) []Param {
	rng := rand.New(src)
	shapes := []struct {
		name string
		n    int
	}{
		{"network.0.weight", 64 * 50}, {"network.0.bias", 64},
		{"network.1.weight", 64}, {"network.1.bias", 64},
		{"network.4.weight", 32 * 64}, {"network.4.bias", 32},
		{"network.5.weight", 32}, {"network.5.bias", 32},
		{"network.8.weight", 32}, {"network.8.bias", 1},
	}
	params := make([]Param, len(shapes))
	for i, s := range shapes {
		v := make([]float64, s.n)
		for j := range v {
			v[j] = (2*rng.Float64() - 1) * 0.14
		}
		params[i] = Param{Name: s.name, Values: v}
	}
	return params
}

// writeSampleRun writes one run of every kind of record to l and closes it.
func writeSampleRun(t testing.TB, l *TrainingLogger) []Param {
	t.Helper()
	params := textbookParams(rand.NewPCG(1, 2))
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	check(l.LogHyperparameters(map[string]any{
		"lr": 0.001, "dropout": 0.3, "hidden_dims": []int64{64, 32}, "batch_size": 64,
		"activation": "relu", "standardize": true,
	}))
	check(l.LogModelGraph(textbookGraph()))
	check(l.LogText("notes", "textbook FFN", 0))
	for step := int64(0); step < 12; step++ {
		x := float64(step)
		check(l.LogScalars(step, map[string]float64{"train_loss": 1 / (x + 1), "val_loss": 1.5 / (x + 1), "learning_rate": 0.001}))
		if step%10 == 0 {
			check(l.LogWeights(step, params))
			check(l.LogGradients(step, params))
		}
	}
	check(l.LogScalarList(12, []Scalar{{"best_val_loss", 0.125}, {"nan", math.NaN()}, {"inf", math.Inf(-1)}}))
	check(l.EndSession(StatusSuccess))
	check(l.Close())
	return params
}

// sampleFile writes the sample run with the fixed clock into a new event
// file and returns the file's path and bytes.
func sampleFile(t *testing.T) (path string, data []byte) {
	t.Helper()
	l, err := Open(t.TempDir(), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	writeSampleRun(t, l)
	data, err = os.ReadFile(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	return l.Path(), data
}

// closeAndRead closes l and reads its run back.
func closeAndRead(t *testing.T, l *TrainingLogger) *Run {
	t.Helper()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	run, err := ReadRun(l.Dir())
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// TestRoundTrip reads back what the writer wrote, exactly.
func TestRoundTrip(t *testing.T) {
	l, err := NewTrainingLogger(t.TempDir(), "sweep/trial", testOptions())
	if err != nil {
		t.Fatal(err)
	}
	params := writeSampleRun(t, l)
	run, err := ReadRun(l.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(l.Dir()) != "20261125-193000" {
		t.Errorf("run directory %s, want .../20261125-193000", l.Dir())
	}
	if got := run.Scalars["val_loss"]; len(got) != 12 || got[3].Value != float64(float32(1.5/4)) || got[3].Step != 3 {
		t.Errorf("val_loss = %v", got)
	}
	if got := run.Scalars["nan"]; len(got) != 1 || !math.IsNaN(got[0].Value) {
		t.Errorf("nan scalar = %v", got)
	}
	if got := run.Scalars["inf"]; len(got) != 1 || !math.IsInf(got[0].Value, -1) {
		t.Errorf("inf scalar = %v", got)
	}
	if got := run.Scalars["train_loss"][0].WallTime; got != 1795635000.5 {
		t.Errorf("wall time %v, want 1795635000.5", got)
	}
	for _, prefix := range []string{"weights/", "gradients/"} {
		for _, p := range params {
			hs := run.Histograms[prefix+p.Name]
			var want Histogram
			if err := FillHistogram(&want, p.Values); err != nil {
				t.Fatal(err)
			}
			if len(hs) != 2 || hs[0].Step != 0 || hs[1].Step != 10 {
				t.Fatalf("%s%s: %d histograms", prefix, p.Name, len(hs))
			}
			g := hs[1].Histogram
			if !same(g.Min, want.Min) || !same(g.Max, want.Max) || g.Num != want.Num || !same(g.Sum, want.Sum) ||
				!same(g.SumSquares, want.SumSquares) || !sameSlice(g.BucketLimit, want.BucketLimit) || !sameSlice(g.Bucket, want.Bucket) {
				t.Errorf("%s%s: read %+v, wrote %+v", prefix, p.Name, g, want)
			}
		}
	}
	wantGraph := textbookGraph()
	wantGraph.Producer = DefaultProducer
	if g := run.Graph; g == nil || len(g.Nodes) != len(wantGraph.Nodes) {
		t.Fatalf("graph = %+v", g)
	}
	for i, n := range run.Graph.Nodes {
		w := wantGraph.Nodes[i]
		if n.Name != w.Name || n.Op != w.Op || !slices.Equal(n.Inputs, w.Inputs) || !slices.Equal(n.Shape, w.Shape) {
			t.Errorf("graph node %d = %+v, want %+v", i, n, w)
		}
	}
	if txt := run.Texts["notes"]; len(txt) != 1 || txt[0].Text != "textbook FFN" {
		t.Errorf("text = %+v", txt)
	}
	wantHP := map[string]HParamValue{
		"lr":          {Type: HParamNumber, Number: 0.001},
		"dropout":     {Type: HParamNumber, Number: 0.3},
		"batch_size":  {Type: HParamNumber, Number: 64},
		"hidden_dims": {Type: HParamString, String: "[64, 32]"},
		"activation":  {Type: HParamString, String: "relu"},
		"standardize": {Type: HParamBool, Bool: true},
	}
	if s := run.SessionStart; s == nil || len(s.HParams) != len(wantHP) || s.StartTime != 1795635000.5 {
		t.Fatalf("session start = %+v", s)
	}
	for k, v := range wantHP {
		if got := run.SessionStart.HParams[k]; got != v {
			t.Errorf("hparam %s = %+v, want %+v", k, got, v)
		}
	}
	if e := run.SessionEnd; e == nil || e.Status != StatusSuccess || e.EndTime != 1795635000.5 {
		t.Errorf("session end = %+v", e)
	}
}

func TestSessionGroup(t *testing.T) {
	l, err := Open(t.TempDir(), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.StartSession(SessionStart{HParams: HParams(map[string]any{"lr": 0.1}), GroupName: "cfg-1a2b", StartTime: 7}); err != nil {
		t.Fatal(err)
	}
	if err := l.EndSession(StatusFailure); err != nil {
		t.Fatal(err)
	}
	run := closeAndRead(t, l)
	if s := run.SessionStart; s.GroupName != "cfg-1a2b" || s.StartTime != 7 || s.HParams["lr"] != HParam(0.1) {
		t.Errorf("session start = %+v", s)
	}
	if run.SessionEnd.Status != StatusFailure {
		t.Errorf("status %d, want FAILURE", run.SessionEnd.Status)
	}
}

// TestGolden pins the writer's bytes: a format change shows up here first.
func TestGolden(t *testing.T) {
	_, got := sampleFile(t)
	golden.Check(t, filepath.Join("testdata", "golden", "sample.tfevents"), got)
}

func TestExperimentRoundTrip(t *testing.T) {
	dir := t.TempDir()
	exp := Experiment{
		Name: "hyperparam_search", Description: "textbook grid",
		HParams: []HParamInfo{
			{Name: "lr", Type: HParamNumber, Domain: []HParamValue{HParam(0.01), HParam(0.001), HParam(0.0)}},
			{Name: "hidden_dims", Type: HParamString, Domain: []HParamValue{HParam([]int{64, 32}), HParam([]int{128, 64})}},
			{Name: "dropout", Type: HParamNumber, Interval: &Interval{Min: 0.2, Max: 0.5}},
			{Name: "bn", Type: HParamBool, Domain: []HParamValue{HParam(false), HParam(true)}},
		},
		Metrics: []MetricInfo{
			{Tag: "best_val_loss", DatasetType: DatasetValidation},
			{Tag: "train_loss", DisplayName: "train", DatasetType: DatasetTraining},
		},
	}
	if err := WriteExperiment(dir, exp, testOptions()); err != nil {
		t.Fatal(err)
	}
	run, err := ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	exp.TimeCreated = 1795635000.5
	got := run.Experiment
	if got == nil || got.Name != exp.Name || got.Description != exp.Description || got.TimeCreated != exp.TimeCreated ||
		len(got.HParams) != len(exp.HParams) || !slices.Equal(got.Metrics, exp.Metrics) {
		t.Fatalf("experiment = %+v, want %+v", got, exp)
	}
	for i, h := range exp.HParams {
		g := got.HParams[i]
		if g.Name != h.Name || g.Type != h.Type || !slices.Equal(g.Domain, h.Domain) || (g.Interval == nil) != (h.Interval == nil) ||
			(h.Interval != nil && *g.Interval != *h.Interval) {
			t.Errorf("hparam info %d = %+v, want %+v", i, g, h)
		}
	}
}

func TestHParamText(t *testing.T) {
	var nilSlice []int
	for _, tc := range []struct {
		in   any
		want HParamValue
	}{
		{int64(64), HParamValue{Type: HParamNumber, Number: 64}},
		{uint8(3), HParamValue{Type: HParamNumber, Number: 3}},
		{float32(0.5), HParamValue{Type: HParamNumber, Number: 0.5}},
		{"adam", HParamValue{Type: HParamString, String: "adam"}},
		{false, HParamValue{Type: HParamBool}},
		{[]int64{64, 32}, HParamValue{Type: HParamString, String: "[64, 32]"}},
		{[]float64{0.1, 1e-5}, HParamValue{Type: HParamString, String: "[0.1, 1e-05]"}},
		{[][]int{{1}, {2, 3}}, HParamValue{Type: HParamString, String: "[[1], [2, 3]]"}},
		{[]any{"a", true, nil}, HParamValue{Type: HParamString, String: "[a, True, None]"}},
		{nilSlice, HParamValue{Type: HParamString, String: "[]"}},
		{nil, HParamValue{Type: HParamString, String: "None"}},
		{map[string]int{"a": 1}, HParamValue{Type: HParamString, String: "map[a:1]"}},
	} {
		if got := HParam(tc.in); got != tc.want {
			t.Errorf("HParam(%#v) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

// TestUniqueRunDirs starts runs in the same second: each gets its own
// directory, and an existing directory is never reused.
func TestUniqueRunDirs(t *testing.T) {
	root := t.TempDir()
	var dirs []string
	for range 3 {
		l, err := NewTrainingLogger(root, "exp", testOptions())
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, filepath.Base(l.Dir()))
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"20261125-193000", "20261125-193000-1", "20261125-193000-2"}; !slices.Equal(dirs, want) {
		t.Errorf("run directories %q, want %q", dirs, want)
	}
	// Two files opened in one run directory do not collide either.
	a, err := Open(filepath.Join(root, "chosen"), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(filepath.Join(root, "chosen"), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if a.Path() == b.Path() {
		t.Errorf("two loggers share %s", a.Path())
	}
	a.Close()
	b.Close()
}

func TestBadInput(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		open func() (*TrainingLogger, error)
	}{
		{"log dir is a file", func() (*TrainingLogger, error) { return NewTrainingLogger(file, "exp", Options{}) }},
		{"run dir under a file", func() (*TrainingLogger, error) { return Open(filepath.Join(file, "run"), Options{}) }},
		{"escaping experiment", func() (*TrainingLogger, error) { return NewTrainingLogger(root, "../out", Options{}) }},
		{"absolute experiment", func() (*TrainingLogger, error) { return NewTrainingLogger(root, "/tmp/x", Options{}) }},
		{"empty experiment", func() (*TrainingLogger, error) { return NewTrainingLogger(root, "", Options{}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if l, err := tc.open(); err == nil {
				l.Close()
				t.Fatal("succeeded")
			}
		})
	}
	t.Run("read-only directory", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root ignores permissions")
		}
		ro := filepath.Join(root, "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		if l, err := Open(ro, Options{}); err == nil {
			l.Close()
			t.Fatal("opened a logger in a read-only directory")
		}
	})

	l, err := Open(filepath.Join(root, "run"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"empty scalar tag":    l.LogScalars(0, map[string]float64{"": 1}),
		"empty histogram":     l.LogHistogram(0, "h", nil),
		"all-NaN histogram":   l.LogWeights(0, []Param{{Name: "w", Values: []float64{math.NaN()}}}),
		"unnamed parameter":   l.LogGradients(0, []Param{{Values: []float64{1}}}),
		"empty text tag":      l.LogText("", "x", 0),
		"nil graph":           l.LogModelGraph(nil),
		"graph without names": l.LogModelGraph(&Graph{Nodes: []Node{{Op: "x"}}}),
		"graph repeated name": l.LogModelGraph(&Graph{Nodes: []Node{{Name: "a"}, {Name: "a"}}}),
		"graph dangling edge": l.LogModelGraph(&Graph{Nodes: []Node{{Name: "a", Inputs: []string{"b:0"}}}}),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if err := l.LogModelGraph(&Graph{Nodes: []Node{{Name: "a"}, {Name: "b", Inputs: []string{"a:0", "^a"}}}}); err != nil {
		t.Errorf("graph with output and control inputs: %v", err)
	}
}

// TestClosed checks that every method of a closed logger returns ErrClosed.
func TestClosed(t *testing.T) {
	l, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"Close":              l.Close(),
		"Flush":              l.Flush(),
		"LogScalars":         l.LogScalars(1, map[string]float64{"a": 1}),
		"LogScalarList":      l.LogScalarList(1, []Scalar{{"a", 1}}),
		"LogHistogram":       l.LogHistogram(1, "h", []float64{1}),
		"LogWeights":         l.LogWeights(1, []Param{{Name: "w", Values: []float64{1}}}),
		"LogModelGraph":      l.LogModelGraph(&Graph{}),
		"LogText":            l.LogText("t", "x", 1),
		"LogHyperparameters": l.LogHyperparameters(map[string]any{"a": 1}),
		"EndSession":         l.EndSession(StatusFailure),
		"LogExperiment":      l.LogExperiment(Experiment{}),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s on a closed logger: %v, want ErrClosed", name, err)
		}
	}
}

// TestFullDisk writes to /dev/full, which fails every write with ENOSPC.
func TestFullDisk(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full:", err)
	}
	l := &TrainingLogger{dir: "/dev", path: "/dev/full", now: time.Now, interval: time.Hour, f: f}
	if err := l.LogScalars(0, map[string]float64{"loss": 1}); err != nil {
		t.Fatalf("a buffered write failed early: %v", err)
	}
	if err := l.Flush(); err == nil || !strings.Contains(err.Error(), "no space") {
		t.Fatalf("Flush to a full disk: %v, want no space left", err)
	}
	if err := l.LogScalars(1, map[string]float64{"loss": 1}); err == nil {
		t.Error("a write after a failed flush succeeded")
	}
	if err := l.Close(); err == nil {
		t.Error("Close after a failed flush succeeded")
	}
}

// TestFlushInterval checks that a buffered event reaches the file without
// Flush or Close once the interval passes.
func TestFlushInterval(t *testing.T) {
	l, err := Open(t.TempDir(), Options{FlushInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.LogScalars(0, map[string]float64{"loss": 1}); err != nil {
		t.Fatal(err)
	}
	// Generous: only a stalled machine takes 10 s for a 20 ms timer.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if s, err := ReadScalars(l.Path()); err == nil && len(s["loss"]) == 1 {
			return
		}
	}
	t.Fatal("the event never reached the file")
}

// TestTruncatedAndCorruptRun damages a finished run's file: a cut last
// record keeps every earlier point and says ErrTruncated; a flipped byte
// says ErrCorrupt with the record's offset.
func TestTruncatedAndCorruptRun(t *testing.T) {
	path, full := sampleFile(t)
	var offsets []int64
	if err := ReadEvents(path, func(off int64, _ *Event) error { offsets = append(offsets, off); return nil }); err != nil {
		t.Fatal(err)
	}
	last := offsets[len(offsets)-1]

	write := func(b []byte) string {
		p := filepath.Join(t.TempDir(), "events.out.tfevents.1.h.1.1")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	run, err := ReadRun(filepath.Dir(write(full[:len(full)-3])))
	if !errors.Is(err, ErrTruncated) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("cut file: %v, want ErrTruncated", err)
	}
	if len(run.Scalars["val_loss"]) != 12 || run.SessionStart == nil || run.SessionEnd != nil {
		t.Errorf("cut file lost earlier records: %d val_loss points", len(run.Scalars["val_loss"]))
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("byte offset %d", last)) {
		t.Errorf("error %q does not name offset %d", err, last)
	}

	bad := bytes.Clone(full)
	bad[offsets[3]+recordHeaderLen+2] ^= 1
	_, err = ReadFile(write(bad))
	var fe *FormatError
	if !errors.As(err, &fe) || !errors.Is(err, ErrCorrupt) || fe.Offset != offsets[3] {
		t.Errorf("flipped byte: %v, want ErrCorrupt at %d", err, offsets[3])
	}
}

// TestParallelLoggers runs one logger per goroutine, as the scheduler runs
// trials; with -race this also checks the interval flushes.
func TestParallelLoggers(t *testing.T) {
	root := t.TempDir()
	const n, steps = 8, 50
	var wg sync.WaitGroup
	dirs := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			l, err := NewTrainingLogger(root, fmt.Sprintf("trial%d", i), Options{FlushInterval: time.Millisecond})
			if err != nil {
				errs[i] = err
				return
			}
			dirs[i] = l.Dir()
			params := textbookParams(rand.NewPCG(uint64(i), 0))
			for s := int64(0); s < steps && err == nil; s++ {
				err = l.LogScalars(s, map[string]float64{"loss": float64(i*1000) + float64(s)})
				if err == nil && s%10 == 0 {
					err = l.LogWeights(s, params)
				}
				if s%7 == 0 {
					l.Flush()
				}
			}
			if cerr := l.Close(); err == nil {
				err = cerr
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("logger %d: %v", i, errs[i])
		}
		run, err := ReadRun(dirs[i])
		if err != nil {
			t.Fatal(err)
		}
		loss := run.Scalars["loss"]
		if len(loss) != steps || loss[steps-1].Value != float64(i*1000+steps-1) {
			t.Errorf("logger %d: %d points, last %v", i, len(loss), loss[len(loss)-1])
		}
		if len(run.Histograms["weights/network.0.weight"]) != steps/10 {
			t.Errorf("logger %d: %d weight histograms", i, len(run.Histograms["weights/network.0.weight"]))
		}
	}
}

// TestTagCharacters checks that tags keep any characters TensorBoard
// accepts: spaces, punctuation, non-ASCII, nested scopes.
func TestTagCharacters(t *testing.T) {
	l, err := Open(t.TempDir(), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	tags := []string{"loss/val α β", "weird:tag[0].x", "a//b", "ünïcödé 损失"}
	for i, tag := range tags {
		if err := l.LogScalarList(int64(i), []Scalar{{tag, float64(i)}}); err != nil {
			t.Fatal(err)
		}
		if err := l.LogHistogram(int64(i), tag, []float64{float64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	run := closeAndRead(t, l)
	for i, tag := range tags {
		if s := run.Scalars[tag]; len(s) != 1 || s[0].Value != float64(i) {
			t.Errorf("scalar %q = %v", tag, s)
		}
		if h := run.Histograms[tag]; len(h) != 1 || h[0].Max != float64(i) {
			t.Errorf("histogram %q = %v", tag, h)
		}
	}
}
