package plugins

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestStderrSink(t *testing.T) {
	for _, tc := range []struct {
		name   string
		keep   int
		writes []string
		log    string   // what the trial's writer receives
		tail   []string // what an error quotes
	}{
		{"lines", 5, []string{"a\n", "b\n"}, "a\nb\n", []string{"a", "b"}},
		{"split writes", 5, []string{"he", "llo\nwor", "ld\n"}, "hello\nworld\n", []string{"hello", "world"}},
		{"unfinished line", 5, []string{"a\nb"}, "a\n", []string{"a", "b"}},
		{"ring keeps the last", 2, []string{"1\n2\n3\n4\n"}, "1\n2\n3\n4\n", []string{"3", "4"}},
		{"marks are consumed", 5, []string{"a\n" + markPrefix + "1\nb\n"}, "a\nb\n", []string{"a", "b"}},
		{"panic start kept", 2, []string{"w\nx\npanic: boom\n\ngoroutine 1 [running]:\nmain.f()\n\tmain.go:3\n"},
			"w\nx\npanic: boom\n\ngoroutine 1 [running]:\nmain.f()\n\tmain.go:3\n",
			[]string{"w", "x", "panic: boom", "", "goroutine 1 [running]:", "main.f()", "\tmain.go:3"}},
		{"long panic cut", 2, []string{"panic: boom\n" + strings.Repeat("frame\n", 20)},
			"panic: boom\n" + strings.Repeat("frame\n", 20),
			append(append([]string{"panic: boom"}, strings.Split(strings.Repeat("frame\n", crashLines-1), "\n")[:crashLines-1]...), "… (9 more lines)")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStderrSink(tc.keep)
			var log bytes.Buffer
			s.attach(&log)
			for _, w := range tc.writes {
				if n, err := s.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if log.String() != tc.log {
				t.Errorf("log %q, want %q", log.String(), tc.log)
			}
			if got := s.tail(); !reflect.DeepEqual(got, tc.tail) {
				t.Errorf("tail %q, want %q", got, tc.tail)
			}
		})
	}
}

func TestStderrSinkMarks(t *testing.T) {
	s := newStderrSink(5)
	fmt.Fprintf(s, "%s2\n", markPrefix)
	select {
	case <-s.expect(1): // an earlier mark is already through
	default:
		t.Error("mark 1 not seen after mark 2")
	}
	ch := s.expect(3)
	select {
	case <-ch:
		t.Fatal("mark 3 seen early")
	default:
	}
	fmt.Fprintf(s, "x\n%s3\n", markPrefix)
	select {
	case <-ch:
	case <-time.After(time.Second):
		t.Error("mark 3 not seen")
	}
}

// FuzzStderrSink checks that, whatever a plugin writes and however the pipe
// splits it, the trial log gets every line but the marks, unchanged.
func FuzzStderrSink(f *testing.F) {
	f.Add("a\nb\n", 1)
	f.Add("panic: x\n"+markPrefix+"7\nlast", 3)
	f.Add("\x00\n\n\n", 2)
	f.Fuzz(func(t *testing.T, text string, split int) {
		s := newStderrSink(4)
		var log bytes.Buffer
		s.attach(&log)
		if split < 1 {
			split = 1
		}
		for b := []byte(text); len(b) > 0; {
			n := min(split, len(b))
			s.Write(b[:n])
			b = b[n:]
		}
		var want strings.Builder
		lines := strings.SplitAfter(text, "\n")
		for _, l := range lines {
			if !strings.HasSuffix(l, "\n") || strings.HasPrefix(l, markPrefix) {
				continue // unfinished lines wait for their newline
			}
			want.WriteString(l)
		}
		if log.String() != want.String() {
			t.Errorf("log %q, want %q", log.String(), want.String())
		}
		if n := len(s.tail()); n > 4+crashLines+2 {
			t.Errorf("tail of %d lines", n)
		}
	})
}

// TestChildProcesses checks the leak detector that TestMain relies on.
func TestChildProcesses(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	found := slices.Contains(childProcesses(os.Getpid()), cmd.Process.Pid)
	cmd.Process.Kill()
	cmd.Wait()
	if !found {
		t.Error("a running child was not found")
	}
	if slices.Contains(childProcesses(os.Getpid()), cmd.Process.Pid) {
		t.Error("a reaped child was still found")
	}
}
