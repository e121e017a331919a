package plugins

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// stderrSink receives a plugin process's stderr. It forwards the bytes to the
// writer of the trial running now (the trial's log), if any, and keeps the
// last lines so that an error can say what the plugin printed before it died.
type stderrSink struct {
	mu      sync.Mutex
	w       io.Writer
	lines   []string // ring of the last cap(lines) complete lines
	next    int      // where the next line goes in lines once it is full
	partial []byte   // an incomplete last line
}

// maxLineBytes bounds one remembered line: a plugin that prints megabytes
// without a newline must not make the host's error messages huge.
const maxLineBytes = 1024

func newStderrSink(keep int) *stderrSink {
	if keep < 1 {
		keep = 1
	}
	return &stderrSink{lines: make([]string, 0, keep)}
}

// attach sends what follows to w (nil: nowhere) and forgets the lines seen so
// far, so that a trial's error shows that trial's output only.
func (s *stderrSink) attach(w io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w = w
	s.lines = s.lines[:0]
	s.next = 0
	s.partial = s.partial[:0]
}

// Write implements io.Writer. It never fails: an unwritable trial log must not
// stall the plugin's stderr pipe.
func (s *stderrSink) Write(p []byte) (int, error) {
	n := len(p)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w != nil {
		_, _ = s.w.Write(p)
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.addPartial(p)
			break
		}
		s.addPartial(p[:i])
		s.push(string(s.partial))
		s.partial = s.partial[:0]
		p = p[i+1:]
	}
	return n, nil
}

func (s *stderrSink) addPartial(p []byte) {
	if room := maxLineBytes - len(s.partial); room > 0 {
		s.partial = append(s.partial, p[:min(room, len(p))]...)
	}
}

func (s *stderrSink) push(line string) {
	if len(s.lines) < cap(s.lines) {
		s.lines = append(s.lines, line)
		return
	}
	s.lines[s.next] = line
	s.next = (s.next + 1) % len(s.lines)
}

// tail returns the remembered lines, oldest first, including an unfinished
// last line.
func (s *stderrSink) tail() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.lines)+1)
	out = append(out, s.lines[s.next:]...)
	out = append(out, s.lines[:s.next]...)
	if len(s.partial) > 0 {
		out = append(out, string(s.partial))
	}
	return out
}

// tailText formats tail for an error message: an indented block, or "" when
// the plugin printed nothing.
func (s *stderrSink) tailText() string {
	t := s.tail()
	if len(t) == 0 {
		return ""
	}
	return "\nlast stderr lines of the plugin:\n\t" + strings.Join(t, "\n\t")
}
