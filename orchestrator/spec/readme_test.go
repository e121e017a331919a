package spec

import (
	"os"
	"regexp"
	"testing"
)

// Every TOML block of the README is a grid (or a part of one) that a user
// may copy: each must parse and check against the built-in model, so that
// the README never documents a grid sweep refuses.
func TestReadmeGrids(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```toml\n(.*?)```").FindAllSubmatch(readme, -1)
	if len(blocks) < 2 {
		t.Fatalf("README.md has %d TOML blocks, want the grid and the search at least", len(blocks))
	}
	desc := builtinFFNDesc(t)
	for i, b := range blocks {
		s, err := Parse("README.md", b[1])
		if err == nil {
			err = s.Check(desc)
		}
		if err != nil {
			t.Errorf("README.md's TOML block %d: %v", i+1, err)
		}
	}
}
