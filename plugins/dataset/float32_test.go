package dataset

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// prepared32 prepares a small synthetic dataset in a new directory and
// returns the spec that loads it from its prepared file, and the file.
func prepared32(t *testing.T, rows, features int) (Spec, string) {
	t.Helper()
	spec := Spec{Seed: 3, Synthetic: &SyntheticSpec{Rows: rows, Features: features}}
	prep, err := PrepareArrays(context.Background(), spec, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	spec.File = prep.Files[0]
	return spec, spec.File
}

// load32 loads spec afresh (as another process would) and returns its
// dataset and float32 arrays.
func load32(t *testing.T, spec Spec) (*Dataset, *Float32Arrays) {
	t.Helper()
	d, err := Load(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	return d, d.Float32()
}

// checkRounded fails unless a holds float32(x) of every value of d, bit for
// bit, in train and val.
func checkRounded(t *testing.T, d *Dataset, a *Float32Arrays) {
	t.Helper()
	for _, c := range []struct {
		name string
		f64  []float64
		f32  []float32
	}{{"TrainX", d.TrainX, a.TrainX}, {"TrainY", d.TrainY, a.TrainY}, {"ValX", d.ValX, a.ValX}, {"ValY", d.ValY, a.ValY}} {
		if len(c.f32) != len(c.f64) || len(c.f64) == 0 {
			t.Fatalf("%s: %d float32 values for %d float64 ones", c.name, len(c.f32), len(c.f64))
		}
		for i, x := range c.f64 {
			if math.Float32bits(c.f32[i]) != math.Float32bits(float32(x)) {
				t.Fatalf("%s[%d] is %v, want float32(%v) = %v", c.name, i, c.f32[i], x, float32(x))
			}
		}
	}
}

// stat returns the file's FileInfo or fails.
func stat(t *testing.T, path string) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

// TestFloat32Sibling checks the float32 sibling of a prepared file: its
// values are float32(x) of the file's, for both splits, read through the
// mapping and from the file's bytes; its layout is the documented one; a
// second open maps it as it is; and one cut short, with a wrong value, a
// wrong magic or another file's header is written again.
func TestFloat32Sibling(t *testing.T) {
	spec, file := prepared32(t, 3001, 7)
	d, a := load32(t, spec)
	if a.Err != nil || a.File != Float32Path(file) || a.File != file+".f32" {
		t.Fatalf("file %q, error %v; want %s mapped", a.File, a.Err, Float32Path(file))
	}
	checkRounded(t, d, a)
	if d.Float32() != a {
		t.Error("a second call on one dataset made other arrays")
	}
	if cap(a.TrainX) != len(a.TrainX) {
		t.Error("the mapped arrays are not capped: an append would write into the mapping")
	}

	// The layout: the magic, the float64 file's header bytes, then the
	// values as little-endian float32s, from an 8-byte boundary.
	f64, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f32, err := os.ReadFile(a.File)
	if err != nil {
		t.Fatal(err)
	}
	off := 16 + int(binary.LittleEndian.Uint64(f64[8:]))
	values := slices.Concat(d.TrainX, d.TrainY, d.ValX, d.ValY)
	if string(f32[:8]) != Arrays32Magic || !bytes.Equal(f32[8:off], f64[8:off]) || off%8 != 0 || len(f32) != off+4*len(values) {
		t.Fatalf("the sibling's layout: magic %q, %d bytes, header at %d", f32[:8], len(f32), off)
	}
	for i, x := range values {
		if got := binary.LittleEndian.Uint32(f32[off+4*i:]); got != math.Float32bits(float32(x)) {
			t.Fatalf("value %d in the file is %v, want %v", i, math.Float32frombits(got), float32(x))
		}
	}

	// Another process's open maps the same file, not written again.
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(a.File, old, old); err != nil {
		t.Fatal(err)
	}
	before, writes := stat(t, a.File), float32Writes.Load()
	d2, a2 := load32(t, spec)
	if a2.Err != nil || a2.File != a.File {
		t.Fatalf("second open: file %q, error %v", a2.File, a2.Err)
	}
	if after := stat(t, a.File); !os.SameFile(before, after) || !after.ModTime().Equal(old) || float32Writes.Load() != writes {
		t.Error("a second open wrote the sibling again")
	}
	checkRounded(t, d2, a2)

	// A bad sibling is written again; each case leaves one that is wrong.
	otherSpec, other := prepared32(t, 500, 7)
	if _, o := load32(t, otherSpec); o.Err != nil {
		t.Fatal(o.Err)
	}
	for _, c := range []struct {
		name  string
		spoil func(path string) error
	}{
		{"cut short", func(p string) error { return os.Truncate(p, int64(len(f32)-4)) }},
		{"too long", func(p string) error { return os.WriteFile(p, append(slices.Clone(f32), 0, 0, 0, 0), 0o644) }},
		{"a wrong last value", func(p string) error {
			b := slices.Clone(f32)
			binary.LittleEndian.PutUint32(b[len(b)-4:], math.Float32bits(1234.5))
			return os.WriteFile(p, b, 0o644)
		}},
		{"a wrong first value", func(p string) error {
			b := slices.Clone(f32)
			b[off] ^= 1
			return os.WriteFile(p, b, 0o644)
		}},
		{"the float64 magic", func(p string) error {
			b := slices.Clone(f32)
			copy(b, ArraysMagic)
			return os.WriteFile(p, b, 0o644)
		}},
		{"empty", func(p string) error { return os.WriteFile(p, nil, 0o644) }},
		{"another file's sibling", func(p string) error {
			b, err := os.ReadFile(Float32Path(other))
			if err == nil {
				err = os.WriteFile(p, b, 0o644)
			}
			return err
		}},
	} {
		if err := c.spoil(a.File); err != nil {
			t.Fatal(err)
		}
		d, a := load32(t, spec)
		if a.Err != nil || a.File != Float32Path(file) {
			t.Fatalf("%s: file %q, error %v", c.name, a.File, a.Err)
		}
		checkRounded(t, d, a)
		if b, err := os.ReadFile(a.File); err != nil || !bytes.Equal(b, f32) {
			t.Errorf("%s: the sibling was not written again as it was (%d bytes, %v)", c.name, len(b), err)
		}
	}
	if left := tempFiles(t, filepath.Dir(file)); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// tempFiles lists the temporary files in dir.
func tempFiles(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	return names
}

// TestFloat32Concurrent has goroutines that each load the prepared file
// afresh (as worker processes do) and goroutines that share one dataset
// all ask for the float32 arrays at once: every one gets the right values
// and the same file, and no temporary file is left. Run it with -race.
func TestFloat32Concurrent(t *testing.T) {
	spec, file := prepared32(t, 4000, 9)
	shared, err := Load(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	got := make([]*Float32Arrays, 2*n)
	data := make([]*Dataset, 2*n)
	var wg sync.WaitGroup
	for i := range 2 * n {
		wg.Go(func() {
			d := shared
			if i%2 == 0 {
				var err error
				if d, err = Load(context.Background(), spec); err != nil {
					t.Error(err)
					return
				}
			}
			data[i], got[i] = d, d.Float32()
		})
	}
	wg.Wait()
	for i, a := range got {
		if a == nil {
			t.Fatalf("goroutine %d got nothing", i)
		}
		if a.Err != nil || a.File != Float32Path(file) {
			t.Errorf("goroutine %d: file %q, error %v", i, a.File, a.Err)
		}
		checkRounded(t, data[i], a)
		if i%2 == 1 && a != got[1] {
			t.Errorf("goroutine %d: one dataset made two sets of arrays", i)
		}
	}
	if left := tempFiles(t, filepath.Dir(file)); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestFloat32InMemory: data that did not come from a prepared file, or
// whose sibling cannot be written, is converted in memory, once.
func TestFloat32InMemory(t *testing.T) {
	d, a := load32(t, Spec{Seed: 3, Synthetic: &SyntheticSpec{Rows: 300, Features: 5}})
	if a.File != "" || a.Err != nil {
		t.Errorf("loaded directly: file %q, error %v", a.File, a.Err)
	}
	checkRounded(t, d, a)
	if d.Float32() != a {
		t.Error("a second call converted again")
	}

	// A directory where the sibling goes: it cannot be written.
	spec, file := prepared32(t, 300, 5)
	if err := os.MkdirAll(filepath.Join(Float32Path(file), "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	d, a = load32(t, spec)
	if a.File != "" || a.Err == nil || !strings.Contains(a.Err.Error(), "writing the float32 data") {
		t.Errorf("with the sibling unwritable: file %q, error %v; want an error and a conversion", a.File, a.Err)
	}
	checkRounded(t, d, a)
}
