package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Of many writers claiming one path at once, exactly one wins, and the file
// holds the winner's data whole.
func TestCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "claim.json")
	const writers = 16
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() { errs[i] = Create(path, []byte(strings.Repeat(strconv.Itoa(i%10), 4096))) })
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("writers %d and %d both claimed the path", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, fs.ErrExist):
			t.Errorf("writer %d: %v, want fs.ErrExist", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer claimed the path")
	}
	data, err := os.ReadFile(path)
	if err != nil || string(data) != strings.Repeat(strconv.Itoa(winner%10), 4096) {
		t.Errorf("the file holds %.20q... (%v), want writer %d's data", data, err, winner)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// Write replaces a file whole and leaves no temporary file; RemoveTemps
// clears what a killed writer would have left, and nothing else.
func TestWriteAndRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "trial.json")
	for _, content := range []string{"first", "second, longer"} {
		if err := Write(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(path); err != nil || string(got) != content {
			t.Fatalf("after Write(%q): %q, %v", content, got, err)
		}
	}
	left := filepath.Join(dir, ".trial.json"+tempMark+"123")
	if err := os.WriteFile(left, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := RemoveTemps(dir); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "trial.json" {
		t.Errorf("after RemoveTemps the directory holds %v, want trial.json alone", entries)
	}
}
