package plugins

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Plugin binaries built once for all tests, by TestMain.
var (
	testPluginPath  string
	ridgePluginPath string
)

func TestMain(m *testing.M) {
	if os.Getenv(hostHelperEnv) != "" {
		hostHelper() // this process is a host that the test kills; see TestKilledHostLeavesNoPlugin
		return
	}
	dir, err := os.MkdirTemp("", "sweep-plugins-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testPluginPath = filepath.Join(dir, "testplugins")
	ridgePluginPath = filepath.Join(dir, "sweep-ridge")
	for _, b := range []struct{ out, pkg string }{
		{testPluginPath, "github.com/sweep-ml/sweep/plugins/internal/testplugins"},
		{ridgePluginPath, "github.com/sweep-ml/sweep/plugins/ridge/cmd/sweep-ridge"},
	} {
		out, err := exec.Command("go", "build", "-o", b.out, b.pkg).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", b.pkg, err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	// Every test closes what it starts; a process still here is a leak.
	if left := childProcesses(os.Getpid()); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "plugin processes left behind: %v\n", left)
		code = 1
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// childProcesses lists the live (not zombie) children of pid, read from /proc.
// It returns nil where there is no /proc.
func childProcesses(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ppid, state, ok := procStat(child)
		if ok && ppid == pid && state != "Z" {
			out = append(out, child)
		}
	}
	return out
}

// procStat reads a process's parent and state from /proc/pid/stat.
func procStat(pid int) (ppid int, state string, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, "", false
	}
	// The command name, in parentheses, may hold spaces: fields follow the
	// last ')'.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 2 {
		return 0, "", false
	}
	ppid, err = strconv.Atoi(f[1])
	return ppid, f[0], err == nil
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	_, state, ok := procStat(pid)
	return ok && state != "Z"
}

// waitGone waits up to d for pid to end.
func waitGone(pid int, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if !alive(pid) {
			return true
		}
	}
	return !alive(pid)
}
