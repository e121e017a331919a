package slurm

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeTemp(t testing.TB, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadBatch(t *testing.T) {
	for _, tc := range []struct {
		content string
		want    []string
		err     string
	}{
		{"a1\nb2\n", []string{"a1", "b2"}, ""},
		{"a1\r\n\n  b2  \n", []string{"a1", "b2"}, ""},
		{"# by hand\na1\n  # the slow one\nb2\n", []string{"a1", "b2"}, ""},
		{"a1\nb 2\n", nil, `batch-0.txt:2: trial id "b 2": must be non-empty`},
		{"\n\n", nil, ""},
		{"# only a comment\n", nil, ""},
	} {
		path := writeTemp(t, "batch-0.txt", tc.content)
		got, err := ReadBatch(path)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ReadBatch(%q) = %v, %v; want an error with %q", tc.content, got, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ReadBatch(%q) = %q, %v; want %q", tc.content, got, err, tc.want)
		}
	}
	if _, err := ReadBatch(filepath.Join(t.TempDir(), "missing.txt")); err == nil || !strings.Contains(err.Error(), "missing.txt") {
		t.Errorf("ReadBatch of a missing file: %v, want an error naming it", err)
	}
}

func TestLoadSubmittedErrors(t *testing.T) {
	for _, tc := range []struct{ content, want string }{
		{"", "no jobs"},
		{"100 0\n", ":1: \"100 0\": want"},
		{"100 0 2\n10x 2 1\n", `:2: slurm: job id "10x"`},
		{"100 0 2\n101 3 1\n", ":2: offset 3, want 2"},
		{"100 0 0\n", ":1: \"100 0 0\": offset and tasks must be counts"},
	} {
		dir := filepath.Dir(writeTemp(t, JobsFile, tc.content))
		if got, err := LoadSubmitted(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadSubmitted(%q) = %+v, %v; want an error with %q", tc.content, got, err, tc.want)
		}
	}
}

func FuzzReadBatch(f *testing.F) {
	f.Add([]byte("a\nb\n"))
	f.Add([]byte("a b\n"))
	f.Fuzz(func(t *testing.T, content []byte) {
		ids, err := ReadBatch(writeTemp(t, "batch-0.txt", string(content)))
		if err != nil {
			return
		}
		// What ReadBatch accepts, Submit accepts and writes back the same.
		sub := Submission{SweepDir: "/x", Batches: [][]string{ids}, Command: "true"}
		if _, err := sub.check(); err != nil {
			t.Fatalf("ReadBatch gave %q, which Submit refuses: %v", ids, err)
		}
	})
}

func FuzzLoadSubmitted(f *testing.F) {
	f.Add([]byte("100 0 2\n101 2 2\n102 4 1\n"))
	f.Add([]byte("100 0 2\n101 3 1\n"))
	f.Fuzz(func(t *testing.T, content []byte) {
		dir := filepath.Dir(writeTemp(t, JobsFile, string(content)))
		s, err := LoadSubmitted(dir)
		if err != nil {
			return
		}
		// A loaded submission renders back to an equivalent file.
		path := writeTemp(t, JobsFile, s.jobsText())
		s2, err := LoadSubmitted(filepath.Dir(path))
		if err != nil || !slices.Equal(s2.JobIDs(), s.JobIDs()) || s2.tasks() != s.tasks() {
			t.Fatalf("round trip of %q: %+v, %v", s.jobsText(), s2, err)
		}
	})
}
