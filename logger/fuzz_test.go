package logger

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/tests/golden"
)

// fuzzSeeds are valid, truncated and damaged event files. Their committed
// copies in testdata/fuzz/FuzzReadEvents are rewritten with -update.
func fuzzSeeds(t testing.TB) map[string][]byte {
	t.Helper()
	hp, err := os.ReadFile(filepath.Join(torchDir, "ffn_dropout0.3_lr0.001/hparams/events.out.tfevents.1795635742.vm.30421.1"))
	if err != nil {
		t.Fatal(err)
	}
	main, err := os.ReadFile(filepath.Join(torchDir, "ffn_dropout0.3_lr0.001/events.out.tfevents.1795635742.vm.30421.0"))
	if err != nil {
		t.Fatal(err)
	}
	// A small file of our own with one record of every kind.
	dir := t.TempDir()
	l, err := Open(dir, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		l.LogHyperparameters(map[string]any{"lr": 0.01, "dims": []int{8, 4}, "bn": true, "act": "relu"}),
		l.LogModelGraph(&Graph{Nodes: []Node{{Name: "in", Shape: []int64{-1, 3}}, {Name: "net/fc", Op: "Linear", Inputs: []string{"in"}, Shape: []int64{-1, 1}}}}),
		l.LogText("notes", "hi", 0),
		l.LogScalars(1, map[string]float64{"loss": 0.5}),
		l.LogHistogram(2, "h", []float64{-1, 0, 1}),
		l.EndSession(StatusFailure),
		l.Close(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	ours, err := os.ReadFile(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(ours)
	flipped[len(flipped)/2] ^= 0x10
	return map[string][]byte{
		"torch-hparams":  hp,
		"torch-cut":      main[:3000],
		"ours":           ours,
		"ours-flipped":   flipped,
		"ours-cut":       ours[:len(ours)-7],
		"header-only":    ours[:recordHeaderLen],
		"empty":          {},
		"bad-length-crc": append([]byte{1, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9}, ours...),
	}
}

// TestWriteFuzzSeeds keeps the committed seed corpus in step with the
// writer; it writes only with -update.
func TestWriteFuzzSeeds(t *testing.T) {
	if !golden.Update() {
		t.Skip("run with -update to rewrite testdata/fuzz/FuzzReadEvents")
	}
	writeCorpus(t, "FuzzReadEvents", fuzzSeeds(t))
	writeCorpus(t, "FuzzDecodeEvent", eventSeeds(t))
}

func writeCorpus(t *testing.T, target string, seeds map[string][]byte) {
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range seeds {
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// eventSeeds are the serialized events of the valid seed files, one of
// each kind: the file version, a graph, scalars, a histogram, text and
// HParams records.
func eventSeeds(t testing.TB) map[string][]byte {
	seeds := map[string][]byte{}
	for _, file := range []string{"torch-hparams", "ours"} {
		rr := NewRecordReader(bytes.NewReader(fuzzSeeds(t)[file]), file)
		for i := 0; ; i++ {
			data, err := rr.Next()
			if err != nil {
				break
			}
			seeds[fmt.Sprintf("%s-%d", file, i)] = bytes.Clone(data)
		}
	}
	return seeds
}

// FuzzDecodeEvent decodes arbitrary bytes as one event, past the CRCs that
// keep FuzzReadEvents' mutations mostly out of the decoder: it must never
// panic, and what it decodes must re-encode to a fixed point.
func FuzzDecodeEvent(f *testing.F) {
	for _, b := range eventSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := DecodeEvent(data)
		if err != nil {
			return
		}
		checkFixedPoint(t, &e)
		newRun(".").add(&e)
	})
}

func checkFixedPoint(t *testing.T, e *Event) {
	t.Helper()
	once := AppendEvent(nil, e)
	back, err := DecodeEvent(once)
	if err != nil {
		t.Fatalf("re-decoding an encoded event: %v", err)
	}
	if twice := AppendEvent(nil, &back); !bytes.Equal(once, twice) {
		t.Fatalf("event does not re-encode to a fixed point:\n%x\n%x", once, twice)
	}
}

// FuzzReadEvents reads arbitrary bytes as an event file: it must never
// panic, must name the file and offset of any damage, must classify it as
// truncated or corrupt, and every event it decodes must re-encode to a
// fixed point.
func FuzzReadEvents(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.tfevents"
		run := newRun(".")
		err := readEvents(bytes.NewReader(data), name, func(off int64, e *Event) error {
			checkFixedPoint(t, e)
			if err := run.add(e); err != nil {
				return &FormatError{File: name, Offset: off, Kind: ErrCorrupt, Detail: err.Error()}
			}
			return nil
		})
		if err == nil {
			return
		}
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Fatalf("error %v is not a *FormatError", err)
		}
		if errors.Is(err, ErrTruncated) == errors.Is(err, ErrCorrupt) {
			t.Fatalf("error %v is not exactly one of truncated and corrupt", err)
		}
		if fe.Offset < 0 || fe.Offset > int64(len(data)) || !strings.HasPrefix(err.Error(), fmt.Sprintf("%s: byte offset %d: ", name, fe.Offset)) {
			t.Fatalf("error %q does not locate the damage", err)
		}
	})
}
