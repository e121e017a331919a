package orchestrator

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The layers the design fixes: the orchestrator is handed a way to start
// models and never imports the built-in ones (their table is the program's),
// and the grid's package knows nothing of running.
func TestLayers(t *testing.T) {
	for _, c := range []struct {
		dir       string
		forbidden []string
	}{
		{".", []string{"github.com/sweep-ml/sweep/plugins/builtin", "github.com/sweep-ml/sweep/plugins/ffn"}},
		{"spec", []string{"github.com/sweep-ml/sweep/orchestrator"}},
		{"search", []string{"github.com/sweep-ml/sweep/orchestrator", "github.com/sweep-ml/sweep/orchestrator/spec", "github.com/sweep-ml/sweep/plugins"}},
	} {
		files, err := filepath.Glob(filepath.Join(c.dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no Go files (%v)", c.dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range ast.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				for _, bad := range c.forbidden {
					if path == bad {
						t.Errorf("%s imports %s", f, path)
					}
				}
			}
		}
	}
}
