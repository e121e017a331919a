package results

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// indexedSweep writes a sweep of four trials (one still running, one with
// a failed run retried) and loads it once, so that it has an index which
// trusts every record.
func indexedSweep(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ix")
	ok := func(name string, score float64, minutes float64) trialSpec {
		return trialSpec{name: name, id: name, config: "c" + name, params: map[string]any{"lr": score, "act": "relu"},
			status: StatusSucceeded, best: fp(score), bestEpoch: 1, epochs: 2, minutes: minutes, duration: 1}
	}
	failed := ok("b", 0.2, 0)
	failed.status, failed.err, failed.best = StatusFailed, "crashed", nil
	running := ok("d", 0.4, 3)
	running.status = StatusRunning
	writeSpecs(t, dir, []string{"lr", "act"}, []trialSpec{ok("a", 0.1, 0), failed, ok("b", 0.2, 1), ok("c", 0.3, 2), running})
	writeFile(t, filepath.Join(dir, GridFile), "name = \"ix\"\n")
	if _, use, err := loadIndexed(dir, true); err != nil || !use.wrote {
		t.Fatalf("first load: wrote index %v, %v", use.wrote, err)
	}
	settle(t, dir)
	return dir
}

// settle makes the index an hour newer, as if that long had passed since
// it was written: it then trusts every record (see racyMargin). Changing
// the records' times instead would change their change times, which the
// index compares too.
func settle(t *testing.T, dir string) {
	t.Helper()
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, IndexFile), later, later); err != nil {
		t.Fatal(err)
	}
}

// sweepJSON is what a test compares two loads by: every field of every
// record, run and warning.
func sweepJSON(t *testing.T, s *Sweep) string {
	t.Helper()
	b, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rewrite reads run's record in trial dir name, lets change alter it, and
// writes it back as the orchestrator would.
func rewrite(t *testing.T, dir, name string, change func(*Trial)) string {
	t.Helper()
	runs, err := filepath.Glob(filepath.Join(dir, name, "*", TrialFile))
	if err != nil || len(runs) == 0 {
		t.Fatalf("no record of %s: %v", name, err)
	}
	path := runs[len(runs)-1]
	rec, err := ReadTrial(path)
	if err != nil {
		t.Fatal(err)
	}
	change(rec)
	if err := WriteTrial(filepath.Dir(path), rec); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLoadSweepIndexedStaleness changes a sweep behind its index's back in
// every way a sweep changes, and checks that the indexed load equals a
// load from the files, and how much it could take from the index.
func TestLoadSweepIndexedStaleness(t *testing.T) {
	for _, tc := range []struct {
		name string
		// change alters the sweep after its index was written.
		change func(t *testing.T, dir string)
		// fromIndex is how many of the 5 runs the index may still give.
		fromIndex int
		wrote     bool // whether the index is written anew
	}{
		{"unchanged: the running record is read, the rest cached", func(*testing.T, string) {}, 4, false},
		{"trial added", func(t *testing.T, dir string) {
			writeRun(t, dir, runName(9), trialSpec{name: "e", id: "e", config: "ce", status: StatusSucceeded,
				params: map[string]any{"lr": 0.5, "act": "relu"}, best: fp(0.05)}.record([]string{"lr", "act"}))
		}, 4, true},
		{"trial rerun in a new run directory", func(t *testing.T, dir string) {
			writeRun(t, dir, runName(9), trialSpec{name: "a", id: "a", config: "ca", status: StatusSucceeded,
				params: map[string]any{"lr": 0.1, "act": "relu"}, best: fp(0.01), minutes: 9}.record([]string{"lr", "act"}))
		}, 4, true},
		{"record rewritten", func(t *testing.T, dir string) {
			rewrite(t, dir, "c", func(r *Trial) { r.BestValLoss = fp(0.0001) })
		}, 3, true},
		{"record rewritten to the same size and time", func(t *testing.T, dir string) {
			runs, _ := filepath.Glob(filepath.Join(dir, "c", "*", TrialFile))
			before := statOf(t, runs[0])
			path := rewrite(t, dir, "c", func(r *Trial) { r.BestValLoss = fp(0.9) }) // 0.3 -> 0.9: same length
			if after := statOf(t, path); after.Size() != before.Size() {
				t.Fatalf("sizes %d and %d differ; the test wants them equal", before.Size(), after.Size())
			}
			if err := os.Chtimes(path, before.ModTime(), before.ModTime()); err != nil {
				t.Fatal(err)
			}
			if runtime.GOOS != "linux" {
				t.Skip("only Linux gives the inode and change time that tell these apart")
			}
		}, 3, true},
		{"record deleted", func(t *testing.T, dir string) {
			runs, _ := filepath.Glob(filepath.Join(dir, "c", "*", TrialFile))
			if err := os.Remove(runs[0]); err != nil {
				t.Fatal(err)
			}
		}, 3, true},
		{"run directory deleted", func(t *testing.T, dir string) {
			runs, _ := filepath.Glob(filepath.Join(dir, "b", "*"))
			if err := os.RemoveAll(runs[0]); err != nil {
				t.Fatal(err)
			}
		}, 3, true},
		{"trial directory deleted", func(t *testing.T, dir string) {
			if err := os.RemoveAll(filepath.Join(dir, "c")); err != nil {
				t.Fatal(err)
			}
		}, 3, true},
		{"running record finished", func(t *testing.T, dir string) {
			rewrite(t, dir, "d", func(r *Trial) { r.Status = StatusSucceeded })
		}, 4, true},
		{"record corrupted", func(t *testing.T, dir string) {
			runs, _ := filepath.Glob(filepath.Join(dir, "a", "*", TrialFile))
			writeFile(t, runs[0], `{"id": "a", "name": `)
		}, 3, true},
		{"index corrupted", func(t *testing.T, dir string) { flipByte(t, filepath.Join(dir, IndexFile), 100) }, 0, true},
		{"index truncated", func(t *testing.T, dir string) { truncate(t, filepath.Join(dir, IndexFile), 50) }, 0, true},
		{"index empty", func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, IndexFile), "") }, 0, true},
		{"index of another record schema", func(t *testing.T, dir string) {
			path := filepath.Join(dir, IndexFile)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, path, string(withChecksum(bytes.Replace(data, []byte(trialSchema), []byte(strings.Repeat("0", len(trialSchema))), 1))))
		}, 0, true},
		{"index too new to trust", func(t *testing.T, dir string) {
			// The records were written less than racyMargin before the
			// index's time: any could have been rewritten in the same
			// clock tick, so all are read again.
			now := time.Now()
			if err := os.Chtimes(filepath.Join(dir, IndexFile), now, now); err != nil {
				t.Fatal(err)
			}
		}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := indexedSweep(t)
			tc.change(t, dir)
			want, err := LoadSweep(dir)
			if err != nil {
				t.Fatal(err)
			}
			got, use, err := loadIndexed(dir, true)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := sweepJSON(t, got), sweepJSON(t, want); g != w {
				t.Errorf("indexed load differs from the files:\n got %s\nwant %s", g, w)
			}
			if use.fromIndex != tc.fromIndex || use.wrote != tc.wrote {
				t.Errorf("%d records from the index, index written %v; want %d, %v", use.fromIndex, use.wrote, tc.fromIndex, tc.wrote)
			}
			// What was read is now in the index: the next load reads only
			// what is not cached (running, unreadable or new records).
			settle(t, dir)
			again, use2, err := loadIndexed(dir, true)
			if err != nil || sweepJSON(t, again) != sweepJSON(t, want) {
				t.Fatalf("second load differs (%v)", err)
			}
			if use2.wrote {
				t.Errorf("second load wrote the index again (%+v)", use2)
			}
		})
	}
}

// Without trust (report --reread) every record is read from its file and
// the index is written anew.
func TestLoadIndexedReread(t *testing.T) {
	dir := indexedSweep(t)
	_, use, err := loadIndexed(dir, false)
	if err != nil || use.fromIndex != 0 || use.fromFiles != 5 || !use.wrote {
		t.Errorf("reread: %+v, %v; want 5 records from the files and the index written", use, err)
	}
}

// A sweep directory the report cannot write to keeps no index, and the
// report still loads it.
func TestLoadSweepIndexedReadOnly(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root writes anywhere")
	}
	dir := indexedSweep(t)
	if err := os.Remove(filepath.Join(dir, IndexFile)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	s, use, err := loadIndexed(dir, true)
	if err != nil || len(s.Trials) != 4 || use.wrote {
		t.Errorf("read-only: %d trials, %+v, %v; want 4 and no index", len(s.Trials), use, err)
	}
}

func statOf(t *testing.T, path string) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

// flipByte changes one byte of the file at path, keeping its times.
func flipByte(t *testing.T, path string, at int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[min(at, len(data)-1)] ^= 0x55
	writeFile(t, path, string(data))
}

func truncate(t *testing.T, path string, n int) {
	t.Helper()
	if err := os.Truncate(path, int64(n)); err != nil {
		t.Fatal(err)
	}
}

// withChecksum replaces the CRC at the end of an index with the right one
// for what precedes it, so that a test reaches the decoder.
func withChecksum(data []byte) []byte {
	body := data[:len(data)-4]
	return binary.LittleEndian.AppendUint32(bytes.Clone(body), crc32.Checksum(body, castagnoli))
}

// TestDecodeIndexCorrupt feeds the decoder every truncation of a real
// index, and byte flips, each with a valid checksum: it must return an
// error or an index, never panic.
func TestDecodeIndexCorrupt(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(indexedSweep(t), IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	for n := len(indexMagic) + 4; n < len(data)-4; n++ {
		if _, err := decodeIndex(withChecksum(append(bytes.Clone(data[:n]), 0, 0, 0, 0)), 0); err == nil {
			t.Errorf("truncated to %d of %d bytes: no error", n, len(data))
		}
	}
	for at := len(indexMagic); at < len(data)-4; at++ {
		b := bytes.Clone(data)
		b[at] ^= 0xff
		decodeIndex(withChecksum(b), 0) // must not panic
	}
}

func FuzzDecodeIndex(f *testing.F) {
	f.Add([]byte(indexMagic + "\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) >= 4 {
			decodeIndex(withChecksum(data), 0)
		}
	})
}

// TestIndexCodecRoundTrip fills every field of a record, recursively, and
// checks that the index gives it back whole: a field that Trial gains and
// the codec lacks fails here.
func TestIndexCodecRoundTrip(t *testing.T) {
	var rec Trial
	fill(reflect.ValueOf(&rec).Elem(), 1)
	rec.Params = map[string]any{"i": int64(-3), "f": 0.25, "s": "relu", "b": true, "il": []int64{64, 32},
		"fl": []float64{0.5, 1e-300}, "l": []any{1.5, "x", nil}, "m": map[string]any{"k": []any{}}, "n": nil}
	rec.StartedAt = time.Date(2026, 11, 30, 8, 14, 40, 506841758, time.FixedZone("", 3600))
	rec.EndedAt = time.Date(2026, 11, 30, 8, 15, 0, 1, time.UTC)
	for _, r := range []*Trial{&rec, {ID: "minimal", Status: StatusSucceeded}} {
		e := &indexEncoder{}
		if err := e.trial(r); err != nil {
			t.Fatal(err)
		}
		d := &indexDecoder{data: string(e.buf)}
		got := d.trial()
		if d.err != nil || d.off != len(e.buf) {
			t.Fatalf("decode: %v at %d of %d bytes", d.err, d.off, len(e.buf))
		}
		if !got.StartedAt.Equal(r.StartedAt) || !got.EndedAt.Equal(r.EndedAt) || zone(got.StartedAt) != zone(r.StartedAt) {
			t.Errorf("times %v, %v; want %v, %v", got.StartedAt, got.EndedAt, r.StartedAt, r.EndedAt)
		}
		got.StartedAt, got.EndedAt = r.StartedAt, r.EndedAt
		if !reflect.DeepEqual(got, r) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, r)
		}
	}
}

func zone(t time.Time) string {
	name, off := t.Zone()
	return fmt.Sprint(name, off)
}

// An unknown value type leaves the record out of the index, not the index
// broken.
func TestIndexCodecUnindexable(t *testing.T) {
	e := &indexEncoder{}
	e.str("before")
	mark := len(e.buf)
	err := e.trial(&Trial{ID: "x", Params: map[string]any{"ch": make(chan int)}})
	if !errors.Is(err, errUnindexable) || len(e.buf) != mark || len(e.strs) != 1 {
		t.Errorf("error %v, %d bytes (want %d), %d strings (want 1)", err, len(e.buf), mark, len(e.strs))
	}
}

// fill sets every settable field under v to a value that is not its zero,
// differing from field to field (seq).
func fill(v reflect.Value, seq int) int {
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprint("s", seq))
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(seq))
	case reflect.Float64:
		v.SetFloat(float64(seq) + 0.5)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		seq = fill(v.Elem(), seq)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			seq = fill(v.Index(i), seq+1)
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for range 2 {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			seq = fill(k, seq+1)
			seq = fill(e, seq+1)
			v.SetMapIndex(k, e)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return seq
		}
		for i := range v.NumField() {
			seq = fill(v.Field(i), seq+1)
		}
	case reflect.Interface:
		v.Set(reflect.ValueOf(float64(seq)))
	}
	return seq
}
