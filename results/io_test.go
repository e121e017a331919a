package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sampleTrial() *Trial {
	return trialSpec{name: "ffn_lr0.01", id: "id1", config: "c1",
		params: map[string]any{"lr": 0.01, "hidden_dims": []any{64.0, 32.0}, "activation": "relu"},
		seed:   42, status: StatusSucceeded, best: fp(0.125), bestEpoch: 7, finalTrain: fp(0.1),
		finalVal: fp(0.13), epochs: 10, duration: 1.5}.record([]string{"lr"})
}

// dirNames lists a directory, hidden files included.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWriteTrialRoundTripAndOverwrite(t *testing.T) {
	dir := t.TempDir()
	want := sampleTrial()
	if err := WriteTrial(dir, want); err != nil {
		t.Fatal(err)
	}
	// The record is written twice per run (start, end): the second write
	// must replace the first whole and leave no temporary file.
	want.Status, want.EpochsRun = StatusFailed, 11
	if err := WriteTrial(dir, want); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); len(names) != 1 || names[0] != TrialFile {
		t.Fatalf("directory holds %q, want only %s", names, TrialFile)
	}
	got, err := ReadTrial(filepath.Join(dir, TrialFile))
	if err != nil {
		t.Fatal(err)
	}
	if g, w := mustJSON(t, got), mustJSON(t, want); !bytes.Equal(g, w) {
		t.Errorf("read back\n%s\nwant\n%s", g, w)
	}
	info, err := os.Stat(filepath.Join(dir, TrialFile))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm&0o044 != 0o044 {
		t.Errorf("trial.json mode %v: want it readable by group and others", perm)
	}
}

func TestWriteTrialNonFiniteMetricsBecomeNull(t *testing.T) {
	dir := t.TempDir()
	tr := sampleTrial()
	tr.BestValLoss, tr.FinalTrainLoss, tr.FinalValLoss = fp(math.NaN()), fp(math.Inf(1)), fp(0.5)
	if err := WriteTrial(dir, tr); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(*tr.BestValLoss) {
		t.Error("WriteTrial modified its argument")
	}
	got, err := ReadTrial(filepath.Join(dir, TrialFile))
	if err != nil {
		t.Fatal(err)
	}
	if got.BestValLoss != nil || got.FinalTrainLoss != nil || got.FinalValLoss == nil || *got.FinalValLoss != 0.5 {
		t.Errorf("metrics read back as %v, %v, %v; want nil, nil, 0.5",
			got.BestValLoss, got.FinalTrainLoss, got.FinalValLoss)
	}
}

func TestWriteTrialErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no", "such", "run")
	err := WriteTrial(missing, sampleTrial())
	if err == nil || !strings.Contains(err.Error(), filepath.Join(missing, TrialFile)) {
		t.Errorf("WriteTrial into a missing directory: error %v, want one naming the file", err)
	}
	if err := WriteTrial(t.TempDir(), nil); err == nil {
		t.Error("WriteTrial(nil): no error")
	}
	// A value JSON cannot hold fails the encoding and leaves nothing behind.
	dir := t.TempDir()
	tr := sampleTrial()
	tr.Params["bad"] = math.NaN()
	if err := WriteTrial(dir, tr); err == nil || !strings.Contains(err.Error(), TrialFile) {
		t.Errorf("NaN hyperparameter: error %v, want one naming the file", err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("failed write left %q", names)
	}
}

func TestReadTrialErrors(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		want          []string // fragments of the error after the path
	}{
		{"empty", "  \n", []string{"empty file"}},
		{"truncated", "{\n  \"id\": \"x\",\n  \"name\": \"ab", []string{"line 3", "truncated"}},
		{"syntax", "{\n  \"id\": \"x\",\n  \"status\": succeeded\n}", []string{"line 3, column 13", "invalid character"}},
		{"wrong type", "{\n  \"id\": \"x\",\n  \"seed\": \"42\"\n}", []string{"line 3", `key "seed"`, "int64"}},
		{"missing id", `{"status": "running"}`, []string{`"id"`, "missing"}},
		{"unknown status", `{"id": "x", "status": "done"}`, []string{`unknown status "done"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), TrialFile)
			writeFile(t, path, tc.content)
			_, err := ReadTrial(path)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, path) {
				t.Errorf("error %q does not name %s", msg, path)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
		})
	}
	if _, err := ReadTrial(filepath.Join(t.TempDir(), "absent.json")); err == nil ||
		!strings.Contains(err.Error(), "absent.json") {
		t.Errorf("missing file: error %v, want one naming it", err)
	}
}

func TestLineCol(t *testing.T) {
	data := []byte("ab\ncde\nf")
	for _, tc := range []struct {
		off       int64
		line, col int
	}{
		{0, 1, 1}, {1, 1, 1}, {2, 1, 2}, {3, 2, 1}, {5, 2, 2}, {8, 3, 1}, {99, 3, 1}, {-1, 1, 1},
	} {
		if l, c := lineCol(data, tc.off); l != tc.line || c != tc.col {
			t.Errorf("lineCol(%d) = %d:%d, want %d:%d", tc.off, l, c, tc.line, tc.col)
		}
	}
}

// FuzzDecodeTrial checks that no input makes the record parser panic, and
// that whatever it accepts survives a write and a read unchanged.
func FuzzDecodeTrial(f *testing.F) {
	good, err := json.Marshal(sampleTrial())
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{string(good), "", "{", `{"id":"x","status":"running"}`, `[1,2]`,
		`{"id":"x","status":"failed","best_val_loss":1e999}`, `{"id":"x","status":"failed","seed":1.5}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := decodeTrial(data)
		if err != nil {
			return
		}
		dir := t.TempDir()
		if err := WriteTrial(dir, tr); err != nil {
			// Params may hold what JSON decodes but cannot encode: none.
			t.Fatalf("accepted record does not write back: %v", err)
		}
		back, err := ReadTrial(filepath.Join(dir, TrialFile))
		if err != nil {
			t.Fatalf("written record does not read back: %v", err)
		}
		if a, b := mustJSON(t, sanitized(tr)), mustJSON(t, back); !bytes.Equal(a, b) {
			t.Fatalf("round trip changed the record:\n%s\n%s", a, b)
		}
	})
}

// A write that fails after its temporary file exists (here the rename, over
// a directory) removes that file.
func TestWriteTrialFailedRenameLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, TrialFile, "occupied"), "x")
	if err := WriteTrial(dir, sampleTrial()); err == nil {
		t.Fatal("no error renaming over a directory")
	}
	if names := dirNames(t, dir); len(names) != 1 || names[0] != TrialFile {
		t.Errorf("directory holds %q, want only the %s directory", names, TrialFile)
	}
}

// TestWriteTrialReaderNeverSeesPartial rewrites a record while another
// goroutine reads it: every read must parse and be one of the versions
// written, which an in-place rewrite (truncate, then write) would break.
func TestWriteTrialReaderNeverSeesPartial(t *testing.T) {
	dir := t.TempDir()
	tr := sampleTrial()
	// A long error message makes a partial read likely if writes were not
	// atomic.
	tr.Error = strings.Repeat("x", 64<<10)
	if err := WriteTrial(dir, tr); err != nil {
		t.Fatal(err)
	}
	const writes = 50
	done := make(chan error, 1)
	go func() {
		for i := 1; i <= writes; i++ {
			tr.EpochsRun = int64(i)
			if err := WriteTrial(dir, tr); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	path := filepath.Join(dir, TrialFile)
	var readErr error
	reads := 0
	writing := true
	for ; writing && readErr == nil; reads++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			writing = false
		default:
		}
		got, err := ReadTrial(path)
		switch {
		case err != nil:
			readErr = err
		case len(got.Error) != len(tr.Error):
			readErr = fmt.Errorf("error field of %d bytes, want %d", len(got.Error), len(tr.Error))
		case !writing && got.EpochsRun != writes:
			readErr = fmt.Errorf("final record has epochs %d, want %d", got.EpochsRun, writes)
		}
	}
	if readErr != nil {
		if writing {
			<-done // let the writer finish before the directory is removed
		}
		t.Fatalf("read %d during rewrites: %v", reads, readErr)
	}
}

func BenchmarkWriteTrial(b *testing.B) {
	dir := b.TempDir()
	tr := sampleTrial()
	for b.Loop() {
		if err := WriteTrial(dir, tr); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadTrial(b *testing.B) {
	dir := b.TempDir()
	if err := WriteTrial(dir, sampleTrial()); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, TrialFile)
	for b.Loop() {
		if _, err := ReadTrial(path); err != nil {
			b.Fatal(err)
		}
	}
}

// A record read back gives each hyperparameter its Go type again: an int
// stays an int, 0.0 stays a float, lists keep their element types.
func TestParamTypesRoundTrip(t *testing.T) {
	dir := t.TempDir()
	params := map[string]any{"epochs": int64(3), "dropout": 0.0, "lr": 1.0, "act": "relu", "bn": true,
		"hidden_dims": []int64{64, 32}, "weights": []float64{0.5, 1}}
	if err := WriteTrial(dir, &Trial{ID: "x", Status: StatusRunning, Params: params}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadTrial(filepath.Join(dir, TrialFile))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range params {
		if fmt.Sprintf("%#v", got.Params[k]) != fmt.Sprintf("%#v", want) {
			t.Errorf("%s = %#v, want %#v", k, got.Params[k], want)
		}
	}
	for _, bad := range []string{
		`{"id": "x", "status": "running", "params": {"a": 1.5}, "param_types": {"a": "int"}}`,
		`{"id": "x", "status": "running", "params": {"a": [1, "b"]}, "param_types": {"a": "int_list"}}`,
		`{"id": "x", "status": "running", "params": {}, "param_types": {"a": "int"}}`,
		`{"id": "x", "status": "running", "params": {"a": 1}, "param_types": {"a": "complex"}}`,
	} {
		if _, err := decodeTrial([]byte(bad)); err == nil {
			t.Errorf("decodeTrial(%s) accepted a value that does not fit its type", bad)
		}
	}
}
