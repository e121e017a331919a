//go:build linux

package slurm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/orchestrator/slurm"
	"github.com/sweep-ml/sweep/results"
	"github.com/sweep-ml/sweep/tests/slurm/slurmtest"
)

// binDir holds the binaries TestMain built.
var binDir string

// binaries are the programs the tests run, by package relative to the module
// root; they land in binDir under the package's last element.
var binaries = []string{"./cmd/sweep", "./plugins/internal/testplugins"}

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	if slurmtest.Missing() != "" {
		// Nothing to build for tests that will skip (or fail at once).
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "sweep-slurm-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "tests/slurm:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if binDir, err = filepath.EvalSymlinks(dir); err == nil {
		err = build(binDir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tests/slurm:", err)
		return 1
	}
	return m.Run()
}

// requireSlurm skips or fails tb when no cluster answers; see slurmtest.Require.
func requireSlurm(tb testing.TB) {
	tb.Helper()
	slurmtest.Require(tb)
}

// build builds the binaries into dir with the go command of the toolchain
// that runs the tests, from the module root.
func build(dir string) error {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("the go command is needed to build the binaries under test: %w", err)
	}
	gomod, err := exec.Command(goCmd, "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	if root == "." || strings.HasSuffix(strings.TrimSpace(string(gomod)), os.DevNull) {
		return errors.New("go env GOMOD: not inside the sweep module")
	}
	cmd := exec.Command(goCmd, append([]string{"build", "-o", dir + string(os.PathSeparator)}, binaries...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	return nil
}

// workDir makes a directory for one sweep: grid (a file of testdata/) is
// copied into it as grid.toml, and bin links to the built binaries so that
// the grid can name the test plugin by a relative path, as users do. It
// returns the directory; its sweep directory's Slurm jobs are cancelled when
// the test ends.
func workDir(tb testing.TB, grid string) string {
	tb.Helper()
	dir := tb.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", grid))
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "grid.toml"), src, 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := os.Symlink(binDir, filepath.Join(dir, "bin")); err != nil {
		tb.Fatal(err)
	}
	// Registered after TempDir's removal, so it runs before it: no task of
	// a failed test goes on writing into a directory being removed.
	tb.Cleanup(func() { cancelSweepJobs(tb, dir) })
	return dir
}

// cancelSweepJobs cancels every job array submitted from the sweeps under
// dir and waits (a bounded while) for their tasks to end.
func cancelSweepJobs(tb testing.TB, dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "runs*", "*", slurm.SubmissionsDir, "*", slurm.JobsFile))
	var ids []string
	for _, f := range files {
		sub, err := slurm.LoadSubmitted(filepath.Dir(f))
		if err != nil {
			tb.Error(err)
			continue
		}
		ids = append(ids, sub.JobIDs()...)
	}
	if len(ids) == 0 {
		return
	}
	c := &slurm.Client{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Cancel(ctx, ids); err != nil {
		tb.Error(err)
		return
	}
	waitJobs(ctx, tb, ids)
}

// waitJobs waits until no task of the job arrays is queued or running and
// returns the last status.
func waitJobs(ctx context.Context, tb testing.TB, ids []string) slurm.Status {
	tb.Helper()
	st, err := (&slurm.Client{}).Wait(ctx, ids, 100*time.Millisecond)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// result is how a sweep command ended.
type result struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("sweep %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// proc is a sweep command running in the background.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan struct{}
	err            error
}

// start starts `sweep args...` in dir. The process is killed when the test
// ends if it is still running.
func start(tb testing.TB, dir string, args ...string) *proc {
	tb.Helper()
	p := &proc{cmd: exec.Command(filepath.Join(binDir, "sweep"), args...), done: make(chan struct{})}
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	tb.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits at most timeout for the process to end and returns how it did.
func (p *proc) wait(tb testing.TB, timeout time.Duration) result {
	tb.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		tb.Fatalf("sweep %s: still running after %v; killed\nstderr:\n%s", strings.Join(p.cmd.Args[1:], " "), timeout, p.stderr.String())
	}
	r := result{args: p.cmd.Args[1:], stdout: p.stdout.String(), stderr: p.stderr.String()}
	var ee *exec.ExitError
	switch {
	case p.err == nil:
	case errors.As(p.err, &ee):
		r.code = ee.ExitCode()
	default:
		tb.Fatalf("sweep %s: %v", strings.Join(r.args, " "), p.err)
	}
	return r
}

// signal sends sig to the process.
func (p *proc) signal(tb testing.TB, sig syscall.Signal) {
	tb.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		tb.Fatal(err)
	}
}

// sweep runs `sweep args...` in dir and returns how it ended.
func sweep(tb testing.TB, dir string, args ...string) result {
	tb.Helper()
	return start(tb, dir, args...).wait(tb, 2*time.Minute)
}

// mustExit fails tb unless r ended with the exit code want.
func mustExit(tb testing.TB, r result, want int) {
	tb.Helper()
	if r.code != want {
		tb.Fatalf("want exit %d; got\n%s", want, r)
	}
}

// waitFor polls cond until it holds, failing tb after timeout.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("still waiting after %v for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// load reads a sweep directory and returns its trials by name.
func load(tb testing.TB, sweepDir string) map[string]*results.TrialRuns {
	tb.Helper()
	s, err := results.LoadSweep(sweepDir)
	if err != nil {
		tb.Fatal(err)
	}
	byName := make(map[string]*results.TrialRuns, len(s.Trials))
	for _, tr := range s.Trials {
		byName[tr.Name] = tr
	}
	return byName
}

// submissions returns the sweep's submissions to Slurm, oldest first.
func submissions(tb testing.TB, sweepDir string) []*slurm.Submitted {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(sweepDir, slurm.SubmissionsDir, "*", slurm.JobsFile))
	if err != nil {
		tb.Fatal(err)
	}
	subs := make([]*slurm.Submitted, len(files)) // Glob sorts: the names are timestamps
	for i, f := range files {
		if subs[i], err = slurm.LoadSubmitted(filepath.Dir(f)); err != nil {
			tb.Fatal(err)
		}
	}
	return subs
}

// batches returns the trial IDs of each task of a submission, by task.
func batches(tb testing.TB, sub *slurm.Submitted) [][]string {
	tb.Helper()
	out, err := sub.Batches()
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// taskExits returns how each task of the submission's only array ended.
func taskExits(tb testing.TB, sub *slurm.Submitted) []slurm.TaskExit {
	tb.Helper()
	if len(sub.Arrays) != 1 {
		tb.Fatalf("submission %s has %d arrays, want 1", sub.Dir, len(sub.Arrays))
	}
	exits, err := (&slurm.Client{}).TaskExits(context.Background(), sub.Arrays[0].JobID)
	if err != nil {
		tb.Fatal(err)
	}
	return exits
}
