//go:build unix

// Package tests holds the end-to-end tests of sweep: testscript scripts
// (testdata/*.txtar) that drive the real binaries as a user would, from a
// shell, and check what lands on disk.
//
// TestMain builds the binaries once (sweep, the sweep-ridge example plugin
// and the misbehaving testplugins) into a temporary directory that it puts
// first on PATH. Each script runs in its own temporary directory ($WORK),
// where $WORK/bin links to the binaries so that grids can name plugins by a
// relative path, as users do. The commands that scripts add to testscript's
// own are documented in commands_test.go.
//
// Run `go test ./tests -update` to rewrite the golden sections of the
// scripts (the files that `cmp` compares against) from the actual output.
// With SWEEP_E2E_RACE=1 in the environment, the binaries are built with the
// race detector, and a data race in sweep or a plugin fails the script
// that provokes it (a race report makes the process exit with status 66).
package tests

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sweep-ml/sweep/tests/golden"
	"github.com/sweep-ml/sweep/tests/testio"
)

// binaries are the programs the scripts run, by package (relative to the
// module root) and executable name.
var binaries = []struct{ pkg, name string }{
	{"./cmd/sweep", "sweep"},
	{"./plugins/ridge/cmd/sweep-ridge", "sweep-ridge"},
	{"./plugins/internal/testplugins", "testplugins"},
}

// binDir holds the binaries that TestMain built; repoRoot is the module root.
var binDir, repoRoot string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "sweep-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "tests:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	// Resolve symbolic links (a macOS /tmp, say) so that the paths of running
	// processes, which the kernel reports resolved, compare equal to binDir.
	if binDir, err = filepath.EvalSymlinks(dir); err == nil {
		repoRoot, err = buildBinaries(binDir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tests:", err)
		return 1
	}
	os.Setenv("PATH", binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return m.Run()
}

// buildBinaries builds the binaries into dir with the go command of the
// toolchain that runs the tests, and returns the module root.
func buildBinaries(dir string) (string, error) {
	goCmd, err := goTool()
	if err != nil {
		return "", err
	}
	gomod, err := output(exec.Command(goCmd, "env", "GOMOD"))
	if err != nil {
		return "", err
	}
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("go env GOMOD: not inside the sweep module")
	}
	root := filepath.Dir(gomod)
	args := []string{"build", "-o", dir + string(os.PathSeparator)}
	if os.Getenv("SWEEP_E2E_RACE") != "" {
		args = append(args, "-race")
	}
	for _, b := range binaries {
		args = append(args, b.pkg)
	}
	build := exec.Command(goCmd, args...)
	build.Dir = root
	if _, err := output(build); err != nil {
		return "", err
	}
	for _, b := range binaries {
		if _, err := os.Stat(filepath.Join(dir, b.name)); err != nil {
			return "", fmt.Errorf("go build %s: %w", b.pkg, err)
		}
	}
	return root, nil
}

// goTool finds the go command of the toolchain that runs the tests: `go
// test` puts its GOROOT/bin first on PATH, and `go env GOROOT` names the
// toolchain actually selected (a go.mod toolchain line can switch it).
func goTool() (string, error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("the go command is needed to build the binaries under test: %w", err)
	}
	goroot, err := output(exec.Command(goCmd, "env", "GOROOT"))
	if err != nil {
		return "", err
	}
	if p := filepath.Join(goroot, "bin", "go"); fileExists(p) {
		return p, nil
	}
	return goCmd, nil
}

// output runs cmd and returns its trimmed standard output; an error quotes
// the command and its standard error.
func output(cmd *exec.Cmd) (string, error) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, stderr.Bytes())
	}
	return strings.TrimSpace(string(out)), nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestScripts runs every testdata/*.txtar script against the built binaries.
func TestScripts(t *testing.T) {
	// The scripts' directories go under the test's own temporary directory,
	// which the testing package removes even when -run picks a few scripts
	// (testscript's default root is then left behind, empty). With
	// -testwork they stay where testscript puts them, for inspection.
	root := t.TempDir()
	if f := flag.Lookup("testwork"); f != nil && f.Value.String() == "true" {
		root = ""
	}
	testscript.Run(t, testscript.Params{
		WorkdirRoot:        root,
		Dir:                "testdata",
		Setup:              setupScript,
		Cmds:               scriptCommands(),
		UpdateScripts:      golden.Update(), // -update rewrites the golden sections of testdata/*.txtar
		Condition:          scriptCondition,
		RequireUniqueNames: true,
	})
}

// scriptCondition answers the conditions scripts have beyond testscript's
// own:
//
//	[python]  testio.Python runs the Python SDK's test model (testio.SDKModules)
//	[torch]   and the PyTorch example
//
// Where SWEEP_PYTHON_REQUIRED=1, a missing package fails the script rather
// than making the condition false.
func scriptCondition(cond string) (bool, error) {
	modules := testio.SDKModules
	switch cond {
	case "python":
	case "torch":
		modules = append(slices.Clone(modules), "torch")
	default:
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	why := testio.PythonMissing(modules...)
	if why != "" && testio.PythonRequired() {
		return false, fmt.Errorf("%s, and %s=1", why, testio.PythonRequiredEnv)
	}
	return why == "", nil
}

// setupScript gives a script $BIN (the binaries), $REPO (the module root,
// to copy the shipped example grids), $HOST (this host's name, which lock
// and abandonment messages quote) and $WORK/bin, a link to $BIN; it
// registers the script's background processes for cleanup.
func setupScript(env *testscript.Env) error {
	host, err := os.Hostname()
	if err != nil {
		return err
	}
	env.Setenv("BIN", binDir)
	env.Setenv("REPO", repoRoot)
	env.Setenv("HOST", host)
	// Python plugins run from the repository: no __pycache__ there.
	env.Setenv("PYTHONDONTWRITEBYTECODE", "1")
	if err := os.Symlink(binDir, filepath.Join(env.WorkDir, "bin")); err != nil {
		return err
	}
	procs := newProcTable(env.WorkDir)
	env.Values[procsKey{}] = procs
	// Whatever a failed script left running dies with it: its background
	// commands' process groups and any plugin process of this script.
	env.Defer(procs.killAll)
	return nil
}
