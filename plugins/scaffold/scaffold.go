// Package scaffold writes a new model plugin to start from: a tiny working
// model with two constrained hyperparameters, a grid that sweeps it and a
// README, in Go or in Python (`sweep plugins new go|python DIR`). The Go
// files are templates here; the Python ones, and the SDK they import, are
// package python's.
package scaffold

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"text/template"

	"github.com/sweep-ml/sweep/plugins/python"
)

// goTemplates are the Go plugin's files, each NAME.tmpl written as NAME.
//
//go:embed templates/go
var goTemplates embed.FS

// SweepModule is the module a Go plugin imports its contract from.
const SweepModule = "github.com/sweep-ml/sweep"

// params fill in the templates.
type params struct {
	Name      string // the plugin's name: DIR's base name
	SweepDir  string // the sweep checkout a Go plugin's go.mod replaces the module with
	GoVersion string
}

// validName is what a plugin's name (the directory's base name) may be: it
// names a Go module, an executable and a sweep, so plain words only.
var validName = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

// Go writes a Go model plugin into dir, which must not exist or be empty.
// sweepDir is the checkout of the sweep module its go.mod points at.
func Go(dir, sweepDir string) error {
	sweepDir, err := filepath.Abs(sweepDir)
	if err != nil {
		return err
	}
	if !IsSweepModule(sweepDir) {
		return fmt.Errorf("%s is not a checkout of %s (it has no go.mod of that module)", sweepDir, SweepModule)
	}
	p, err := start(dir)
	if err != nil {
		return err
	}
	p.SweepDir = sweepDir
	p.GoVersion = strings.TrimPrefix(runtime.Version(), "go")
	if i := strings.IndexAny(p.GoVersion, " -"); i >= 0 { // devel builds
		p.GoVersion = p.GoVersion[:i]
	}
	return writeTemplates(dir, goTemplates, "templates/go", p)
}

// Python writes a Python model plugin into dir, which must not exist or be
// empty: the template's model.py, grid.toml and README.md, and the SDK
// vendored beside them as sweep_plugin/ (a user's project has no copy of
// this repository).
func Python(dir string) error {
	p, err := start(dir)
	if err != nil {
		return err
	}
	if err := writeTemplates(dir, python.Template, "template", p); err != nil {
		return err
	}
	return writeTemplates(filepath.Join(dir, "sweep_plugin"), python.SDK, "sweep_plugin", p)
}

// start checks dir and the name it gives the plugin, and makes dir.
func start(dir string) (params, error) {
	name := filepath.Base(filepath.Clean(dir))
	if !validName.MatchString(name) {
		return params{}, fmt.Errorf("%q cannot name a plugin: use lower-case letters, digits, - and _, starting with a letter", name)
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return params{}, err
	case len(entries) > 0:
		return params{}, fmt.Errorf("%s is not empty: give a new directory, so that nothing is overwritten", dir)
	}
	return params{Name: name}, os.MkdirAll(dir, 0o755)
}

// writeTemplates writes every file under root of files into dir: NAME.tmpl
// executed with p as NAME, any other file as it is. The templates' actions
// are <%.Field%>, since Go's composite literals are full of {{.
func writeTemplates(dir string, files fs.FS, root string, p params) error {
	return fs.WalkDir(files, root, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, err := fs.ReadFile(files, name)
		if err != nil {
			return err
		}
		out := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(name, root+"/")))
		if base, ok := strings.CutSuffix(path.Base(name), ".tmpl"); ok {
			t, err := template.New(base).Delims("<%", "%>").Option("missingkey=error").Parse(string(content))
			if err != nil {
				return err
			}
			var b bytes.Buffer
			if err := t.Execute(&b, p); err != nil {
				return err
			}
			content, out = b.Bytes(), strings.TrimSuffix(out, ".tmpl")
		}
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, content, 0o644)
	})
}

// IsSweepModule reports whether dir holds the go.mod of the sweep module.
func IsSweepModule(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`) == SweepModule
		}
	}
	return false
}

// FindSweepModule returns the checkout of the sweep module that holds dir
// or one of its parents.
func FindSweepModule(dir string) (string, bool) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	for {
		if IsSweepModule(dir) {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}
