package plugins

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestReadmeShowsTheRealExample keeps README.md's listings, each marked
// <!-- file: PATH -->, identical to the files they show, so the documented
// plugins are the ones the tests build and run.
func TestReadmeShowsTheRealExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)<!-- file: (\\S+) -->\n```(?:go|python)\n(.*?)```\n").FindAllSubmatch(readme, -1)
	if len(blocks) < 3 {
		t.Fatalf("README.md has %d file listings, want the ridge model, its main and the PyTorch example", len(blocks))
	}
	for _, b := range blocks {
		want, err := os.ReadFile(filepath.FromSlash(string(b[1])))
		if err != nil {
			t.Error(err)
			continue
		}
		if string(b[2]) != string(want) {
			t.Errorf("README.md's listing of %s differs from the file", b[1])
		}
	}
}
