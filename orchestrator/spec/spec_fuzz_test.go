package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sweep-ml/sweep/orchestrator/search"
)

// FuzzLoad proves that loading any file, and expanding what loads (for an
// adaptive search: checking its space and turning a few random proposals
// into trials), never panics, and that every error of the spec is a
// *SpecError whose message starts with the file's name. The seed corpus is every grid under testdata/ and
// sweeps/, plus testdata/fuzz/FuzzLoad.
//
//	go test ./orchestrator/spec -run '^$' -fuzz FuzzLoad -fuzztime 1m
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"testdata/bad/*.toml", "../../sweeps/*.toml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			src, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	desc := ffnDesc()
	f.Fuzz(func(t *testing.T, src []byte) {
		s, err := Parse("fuzz.toml", src)
		if err != nil {
			checkSpecError(t, err)
			return
		}
		// Keep the fuzzer fast and away from the files of the machine: a
		// data path would be read, and a huge expansion takes long.
		if s.Data.Path != "" || specSize(s) > 10000 {
			return
		}
		if s.Search.Adaptive() {
			fuzzSearch(t, s)
			return
		}
		trials, err := Expand(s, desc)
		if err != nil {
			checkSpecError(t, err)
			return
		}
		for _, tr := range trials {
			if msg := checkPathName(tr.Name); msg != "" {
				t.Fatalf("Expand accepted a bad name: %s", msg)
			}
		}
	})
}

// fuzzSearch checks an adaptive search's space against the FFN and turns
// a few random proposals into trials, whose names must be valid.
func fuzzSearch(t *testing.T, s *Spec) {
	ss, err := NewSearchSpace(s, ffnDesc())
	if err != nil {
		checkSpecError(t, err)
		return
	}
	sampler := search.NewRandom(ss.Space, uint64(s.Seed))
	var history []search.Observation
	for n := range 3 {
		p, err := sampler.Ask(history)
		if err != nil {
			t.Fatalf("Ask: %v", err)
		}
		history = append(history, search.Observation{Params: p, State: search.Complete})
		trials, err := ss.Trials(n, p)
		if err != nil {
			continue // a name the template renders badly: an error, as wanted
		}
		for _, tr := range trials {
			if msg := checkPathName(tr.Name); msg != "" {
				t.Fatalf("Trials accepted a bad name: %s", msg)
			}
		}
	}
}

func checkSpecError(t *testing.T, err error) {
	t.Helper()
	var se *SpecError
	if !errors.As(err, &se) {
		t.Fatalf("error %T is not a *SpecError: %v", err, err)
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, "fuzz.toml:") {
			t.Fatalf("message %q does not start with the file", line)
		}
	}
}

// specSize is how many trials s expands to, at most, capped near 1e9.
func specSize(s *Spec) int {
	n := s.Repeats
	mul := func(k int) {
		if k > 0 && n < 1e9 {
			n *= k
		}
	}
	for _, a := range s.Grid {
		mul(len(a.Values))
	}
	for _, g := range s.Zip {
		if len(g.Axes) > 0 {
			mul(len(g.Axes[0].Values))
		}
	}
	mul(s.Search.Trials)
	return n
}
