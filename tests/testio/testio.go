// Package testio holds I/O helpers that tests of several packages share.
package testio

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// SyncBuffer is a bytes.Buffer that one goroutine may write (a process's
// output relay, a ticker) while another reads it. The zero value is ready.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Bytes returns a copy of what was written so far.
func (b *SyncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// Python is the interpreter that the Python SDK's tests run plugins with:
// Debian's, for which CI installs python3-grpcio, python3-protobuf and
// python3-torch. A python3 found on PATH could be a pyenv or conda one
// without them.
const Python = "/usr/bin/python3"

// SDKModules are what the Python SDK's tests import: the SDK's own
// packages, and numpy, which trial.data needs.
var SDKModules = []string{"grpc", "google.protobuf", "numpy"}

// PythonRequiredEnv names the environment variable that, set to 1, makes a
// test fail where Python lacks what it needs instead of skipping (CI sets it
// where it has installed the packages).
const PythonRequiredEnv = "SWEEP_PYTHON_REQUIRED"

// PythonMissing says why Python cannot import every one of modules, or
// returns "" when it can. The answer for each set of modules is computed
// once per process: starting Python and importing torch takes seconds.
func PythonMissing(modules ...string) string {
	key := strings.Join(modules, ", ")
	pythonChecks.mu.Lock()
	defer pythonChecks.mu.Unlock()
	if why, ok := pythonChecks.m[key]; ok {
		return why
	}
	why := ""
	if out, err := exec.Command(Python, "-c", "import "+key).CombinedOutput(); err != nil {
		last := strings.TrimSpace(string(out))
		if i := strings.LastIndexByte(last, '\n'); i >= 0 {
			last = last[i+1:]
		}
		why = fmt.Sprintf("%s cannot import %s (%v: %s); Debian: apt-get install python3-grpcio python3-protobuf python3-torch",
			Python, key, err, last)
	}
	pythonChecks.m[key] = why
	return why
}

var pythonChecks = struct {
	mu sync.Mutex
	m  map[string]string
}{m: map[string]string{}}

// PythonRequired reports whether PythonRequiredEnv asks for the Python
// tests to run.
func PythonRequired() bool { return os.Getenv(PythonRequiredEnv) == "1" }

// RequirePython returns Python if it can import modules. Otherwise it skips
// tb, or fails it when PythonRequired.
func RequirePython(tb testing.TB, modules ...string) string {
	tb.Helper()
	if why := PythonMissing(modules...); why != "" {
		if PythonRequired() {
			tb.Fatalf("%s, and %s=1", why, PythonRequiredEnv)
		}
		tb.Skip(why)
	}
	return Python
}

// Float64SHA256 is the SHA-256, in hex, of the arrays' values as
// little-endian float64 bytes, one array after the other: the checksum the
// Python SDK's test model logs of the prepared arrays it reads.
func Float64SHA256(arrays ...[]float64) string {
	h := sha256.New()
	var buf [8]byte
	for _, a := range arrays {
		for _, x := range a {
			binary.LittleEndian.PutUint64(buf[:], math.Float64bits(x))
			h.Write(buf[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
