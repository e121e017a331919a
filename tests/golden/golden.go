// Package golden compares tests' output with golden files and rewrites them
// when the tests run with -update, for every package of the module:
//
//	go test ./results -run TestRenderGolden -update
//
// It owns the -update flag, so that no two test files of a package define it.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files with the actual output")

// Update reports whether the tests run with -update.
func Update() bool { return *update }

// Want returns the golden file at path, which the caller compares with got
// however it needs (by meaning, with tolerances). With -update it first
// writes got there, making the directory. A missing file fails t.
func Want(t testing.TB, path string, got []byte) []byte {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	return want
}

// Check fails t unless got equals the golden file at path byte for byte
// (see Want for -update). Text is shown in full; binary content by size.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	want := Want(t, path, got)
	if bytes.Equal(got, want) {
		return
	}
	if utf8.Valid(got) && utf8.Valid(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it if the change is intended)\n--- got\n%s\n--- want\n%s", path, got, want)
		return
	}
	t.Errorf("%s differs from the golden file: %d bytes, want %d (go test -update rewrites it if the change is intended)", path, len(got), len(want))
}
