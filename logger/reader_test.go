package logger

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

const torchDir = "testdata/torch-1.13"

// expectedRun is one run of testdata/torch-1.13/expected.json: what
// TensorBoard's own loader decodes from PyTorch's files.
type expectedRun struct {
	Scalars    map[string][][2]float64 `json:"scalars"`
	Histograms map[string][]struct {
		Step        int64     `json:"step"`
		Min         float64   `json:"min"`
		Max         float64   `json:"max"`
		Num         float64   `json:"num"`
		Sum         float64   `json:"sum"`
		SumSquares  float64   `json:"sum_squares"`
		BucketLimit []float64 `json:"bucket_limit"`
		Bucket      []float64 `json:"bucket"`
	} `json:"histograms"`
	Graph   bool     `json:"graph"`
	Tensors []string `json:"tensors"`
}

func loadExpected(t testing.TB) map[string]expectedRun {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(torchDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp map[string]expectedRun
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	return exp
}

// same compares floats bit for bit: "exactly" includes NaN and -0.
func same(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

func sameSlice(a, b []float64) bool { return slices.EqualFunc(a, b, same) }

// TestReadTorchRuns decodes PyTorch's files and matches TensorBoard's
// decoding in expected.json exactly: tolerance 0, every bit.
func TestReadTorchRuns(t *testing.T) {
	exp := loadExpected(t)
	runs, err := readLogDir(torchDir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Tags(runs), Tags(exp); !slices.Equal(got, want) {
		t.Fatalf("runs %q, want %q", got, want)
	}
	for name, want := range exp {
		run := runs[name]
		if got := Tags(run.Scalars); !slices.Equal(got, Tags(want.Scalars)) {
			t.Errorf("%s: scalar tags %q, want %q", name, got, Tags(want.Scalars))
		}
		for tag, points := range want.Scalars {
			got := run.Scalars[tag]
			if len(got) != len(points) {
				t.Errorf("%s %s: %d points, want %d", name, tag, len(got), len(points))
				continue
			}
			for i, p := range points {
				if float64(got[i].Step) != p[0] || !same(got[i].Value, p[1]) {
					t.Errorf("%s %s point %d: (%d, %v), want (%v, %v)", name, tag, i, got[i].Step, got[i].Value, p[0], p[1])
				}
			}
		}
		if got := Tags(run.Histograms); !slices.Equal(got, Tags(want.Histograms)) {
			t.Errorf("%s: histogram tags %q, want %q", name, got, Tags(want.Histograms))
		}
		for tag, hs := range want.Histograms {
			got := run.Histograms[tag]
			if len(got) != len(hs) {
				t.Errorf("%s %s: %d histograms, want %d", name, tag, len(got), len(hs))
				continue
			}
			for i, h := range hs {
				g := got[i]
				if g.Step != h.Step || !same(g.Min, h.Min) || !same(g.Max, h.Max) || !same(g.Num, h.Num) ||
					!same(g.Sum, h.Sum) || !same(g.SumSquares, h.SumSquares) ||
					!sameSlice(g.BucketLimit, h.BucketLimit) || !sameSlice(g.Bucket, h.Bucket) {
					t.Errorf("%s %s histogram %d:\n got %+v\nwant %+v", name, tag, i, g, h)
				}
			}
		}
		if (run.Graph != nil) != want.Graph {
			t.Errorf("%s: graph found %v, want %v", name, run.Graph != nil, want.Graph)
		}
		if got := Tags(run.Texts); !slices.Equal(got, want.Tensors) {
			t.Errorf("%s: text tags %q, want %q", name, got, want.Tensors)
		}
	}

	// What expected.json does not list, checked against the values the
	// PyTorch script logged (testdata/README.md).
	main := runs["ffn_dropout0.3_lr0.001"]
	if txt := main.Texts["notes/text_summary"]; len(txt) != 1 || txt[0].Text != "textbook FFN, 12 epochs" {
		t.Errorf("text = %+v", txt)
	}
	if g := main.Graph; g == nil || len(g.Nodes) != 30 || g.Producer != DefaultProducer ||
		g.Nodes[0].Name != "input/x" || !slices.Equal(g.Nodes[0].Shape, []int64{2, 8}) {
		t.Errorf("graph = %+v", g)
	}
	hp := runs["ffn_dropout0.3_lr0.001/hparams"]
	wantHP := map[string]HParamValue{
		"batch_size":  {Type: HParamNumber, Number: 32},
		"dropout":     {Type: HParamNumber, Number: 0.3},
		"lr":          {Type: HParamNumber, Number: 0.001},
		"hidden_dims": {Type: HParamString, String: "[6, 4]"},
	}
	if hp.SessionStart == nil || len(hp.SessionStart.HParams) != len(wantHP) {
		t.Fatalf("session start = %+v", hp.SessionStart)
	}
	for k, v := range wantHP {
		if hp.SessionStart.HParams[k] != v {
			t.Errorf("hparam %s = %+v, want %+v", k, hp.SessionStart.HParams[k], v)
		}
	}
	if hp.SessionEnd == nil || hp.SessionEnd.Status != StatusSuccess {
		t.Errorf("session end = %+v, want SUCCESS", hp.SessionEnd)
	}
	if e := hp.Experiment; e == nil || len(e.HParams) != 4 || len(e.Metrics) != 1 || e.Metrics[0].Tag != "best_val_loss" {
		t.Errorf("experiment = %+v", e)
	}
}

func TestReadScalarsFileAndDir(t *testing.T) {
	dir := filepath.Join(torchDir, "ffn_dropout0.3_lr0.001")
	fromDir, err := ReadScalars(dir)
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := ReadScalars(filepath.Join(dir, "events.out.tfevents.1795635742.vm.30421.0"))
	if err != nil {
		t.Fatal(err)
	}
	if len(fromDir["val_loss"]) != 12 || !slices.Equal(fromDir["val_loss"], fromFile["val_loss"]) {
		t.Errorf("val_loss from dir %v, from file %v", fromDir["val_loss"], fromFile["val_loss"])
	}
	if _, err := ReadScalars(filepath.Join(torchDir, "missing")); err == nil {
		t.Error("ReadScalars of a missing path succeeded")
	}
	if _, err := ReadRun(t.TempDir()); err == nil {
		t.Error("ReadRun of a directory without event files succeeded")
	}
}

// TestReencodeMatchesPyTorch decodes every event PyTorch wrote and encodes
// it again: scalars, histograms, text and the three HParams records come
// out byte for byte as PyTorch wrote them, which shows that the writer
// produces PyTorch's format, field order and defaults included. Only two
// records carry fields this package does not model: the file-version event
// (PyTorch adds source_metadata, which TensorBoard does not need) and the
// graph's tagged_run_metadata (step statistics).
func TestReencodeMatchesPyTorch(t *testing.T) {
	same := map[string]int{}
	for _, file := range []string{
		"ffn_dropout0.3_lr0.001/events.out.tfevents.1795635742.vm.30421.0",
		"ffn_dropout0.3_lr0.001/hparams/events.out.tfevents.1795635742.vm.30421.1",
	} {
		b, err := os.ReadFile(filepath.Join(torchDir, file))
		if err != nil {
			t.Fatal(err)
		}
		rr := NewRecordReader(bytes.NewReader(b), file)
		for {
			off := rr.Offset()
			data, err := rr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			e, err := DecodeEvent(data)
			if err != nil {
				t.Fatal(err)
			}
			if e.FileVersion != "" || (e.GraphDef == nil && len(e.Summary) == 0) {
				continue // the two records with fields not modelled
			}
			kind := "graph"
			if len(e.Summary) > 0 {
				kind = [...]string{"hparams", "scalar", "histogram", "text"}[e.Summary[0].Kind]
			}
			if got := AppendEvent(nil, &e); !bytes.Equal(got, data) {
				t.Errorf("%s at %d (%s) re-encodes differently:\n got %x\nwant %x", file, off, kind, got, data)
				continue
			}
			same[kind]++
		}
	}
	// 12 epochs × 3 scalars + best_val_loss; 20 tags × 2 steps; 1 text;
	// experiment, session start and session end; the graph event (its
	// GraphDef bytes are carried through as they are, so this checks only
	// the Event around them).
	want := map[string]int{"scalar": 37, "histogram": 40, "text": 1, "hparams": 3, "graph": 1}
	if !maps.Equal(same, want) {
		t.Errorf("byte-identical events %v, want %v", same, want)
	}
}

// readLogDir reads every run below root, as TensorBoard finds them: each
// directory that directly holds an event file, named by its path relative
// to root with "/" separators ("." for root itself). A truncated file does
// not stop the walk; the first error met is returned with every run read.
func readLogDir(root string) (map[string]*Run, error) {
	runs := map[string]*Run{}
	var first error
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !isEventFile(d.Name()) {
			return nil
		}
		dir := filepath.Dir(path)
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if runs[name] != nil {
			return nil
		}
		run, err := ReadRun(dir)
		if run != nil {
			runs[name] = run
		}
		if err != nil && first == nil {
			first = err
		}
		return nil
	})
	if err != nil {
		return runs, err
	}
	return runs, first
}
