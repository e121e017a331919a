//go:build unix

package tests

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sweep-ml/sweep/tests/testio"
)

// procsKey keys a script's *procTable in its testscript values.
type procsKey struct{}

// procTable is a script's background processes, by name.
type procTable struct {
	work string // the script's $WORK
	mu   sync.Mutex
	m    map[string]*proc
}

// proc is a background process.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr testio.SyncBuffer
	done           chan struct{}
}

func newProcTable(work string) *procTable {
	return &procTable{work: work, m: map[string]*proc{}}
}

func procsOf(ts *testscript.TestScript) *procTable {
	return ts.Value(procsKey{}).(*procTable)
}

// start starts cmd (see scriptCmd) under the given name.
func (t *procTable) start(name string, cmd *exec.Cmd) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.m[name]; ok {
		return 0, fmt.Errorf("a background process is already named %q", name)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		return 0, err
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	t.m[name] = p
	return p.cmd.Process.Pid, nil
}

func (t *procTable) get(name string) (*proc, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.m[name]
	if !ok {
		return nil, fmt.Errorf("no background process named %q", name)
	}
	return p, nil
}

// signal sends sig to the named process, or with group to its process group.
func (t *procTable) signal(name string, sig syscall.Signal, group bool) error {
	p, err := t.get(name)
	if err != nil {
		return err
	}
	pid := p.cmd.Process.Pid
	if group {
		pid = -pid // its own group, made by Setpgid
	}
	return syscall.Kill(pid, sig)
}

// wait waits up to timeout for the named process to exit and forgets it.
// The process is returned, for its output, even when it does not exit in time.
func (t *procTable) wait(name string, timeout time.Duration) (*proc, error) {
	p, err := t.get(name)
	if err != nil {
		return nil, err
	}
	select {
	case <-p.done:
	case <-time.After(timeout):
		return p, fmt.Errorf("%s still running after %s", name, timeout)
	}
	t.mu.Lock()
	delete(t.m, name)
	t.mu.Unlock()
	return p, nil
}

// killAll kills the process groups of the background processes still
// running, then any other process of the script that runs a binary under
// test (a plugin whose host died without taking it along), so that nothing
// outlives a failed script.
func (t *procTable) killAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for name, p := range t.m {
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		delete(t.m, name)
	}
	for _, line := range scriptProcesses(t.work) {
		if pid := processID(line); pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// pids returns the process IDs of the background processes.
func (t *procTable) pids() map[int]bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	pids := map[int]bool{}
	for _, p := range t.m {
		pids[p.cmd.Process.Pid] = true
	}
	return pids
}

// processID reads the PID from a line of scriptProcesses (0 if none).
func processID(line string) int {
	pidText, _, _ := strings.Cut(line, " ")
	pid, _ := strconv.Atoi(pidText)
	return pid
}

// scriptProcesses lists, as "PID COMMAND LINE", the live processes that run
// a binary under test or a Python plugin on behalf of the script whose $WORK
// is work: their executable is in binDir or is testio.Python, and their
// environment holds WORK=work, which every process a script starts inherits
// (plugins from their host). That tells them apart from the processes of
// scripts running in parallel.
func scriptProcesses(work string) []string {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	python, _ := filepath.EvalSymlinks(testio.Python) // the kernel names executables resolved
	marker := []byte("WORK=" + work + "\x00")
	var found []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		dir := filepath.Join("/proc", e.Name())
		// A zombie or a process of another user has no readable exe link.
		exe, err := os.Readlink(filepath.Join(dir, "exe"))
		if err != nil || (!strings.HasPrefix(exe, binDir+string(os.PathSeparator)) && exe != python) {
			continue
		}
		environ, err := os.ReadFile(filepath.Join(dir, "environ"))
		if err != nil || !bytes.Contains(environ, marker) {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		found = append(found, fmt.Sprintf("%d %s", pid, strings.TrimSpace(string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))))
	}
	return found
}
