package plugins

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// stderrSink receives a plugin process's stderr. It forwards each line to the
// writer of the trial running now (the trial's log), if any, and keeps the
// last lines, and the start of a Go panic, so that an error can say what the
// plugin printed before it died.
//
// The plugin's stderr arrives on a pipe, apart from the gRPC stream, so a
// trial's last lines may arrive after its outcome. Serve therefore ends each
// call by writing a mark line and naming it in the call's trailer; the host
// waits for the mark before it moves the sink to the next trial's writer.
type stderrSink struct {
	mu       sync.Mutex
	w        io.Writer
	lines    []string      // ring of the last cap(lines) complete lines
	next     int           // where the next line goes in lines once it is full
	crash    []string      // a few lines before a panic or fatal error, and its first lines
	after    int           // lines seen after crash filled up
	partial  []byte        // an incomplete last line
	lastMark int64         // the highest mark seen
	want     int64         // the mark awaited, if any
	seen     chan struct{} // closed when want is seen
}

const (
	// maxLineBytes bounds one remembered line: a plugin that prints
	// megabytes without a newline must not make the host's errors huge.
	maxLineBytes = 1024
	// crashLines is how much of a panic's start an error quotes, and
	// crashContext how many lines before it.
	crashLines   = 12
	crashContext = 3
	// markPrefix starts the lines Serve writes to mark the end of a call.
	// They are consumed by the host and reach no log.
	markPrefix = "\x00sweep-stderr-mark "
	// markTrailer is the gRPC trailer key that names a call's mark.
	markTrailer = "sweep-stderr-mark"
)

func newStderrSink(keep int) *stderrSink {
	if keep < 1 {
		keep = 1
	}
	return &stderrSink{lines: make([]string, 0, keep)}
}

// attach sends the lines that follow to w (nil: nowhere) and forgets those
// seen so far, so that a trial's error shows that trial's output only.
func (s *stderrSink) attach(w io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w = w
	s.lines = s.lines[:0]
	s.next = 0
	s.crash = nil
	s.after = 0
}

// expect returns a channel closed once the mark line has gone through the
// sink. Marks count up from 1 in each process.
func (s *stderrSink) expect(mark int64) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = make(chan struct{})
	s.want = mark
	if s.lastMark >= mark {
		close(s.seen)
		s.want = 0
	}
	return s.seen
}

// Write implements io.Writer. It never fails: an unwritable trial log must not
// stall the plugin's stderr pipe.
func (s *stderrSink) Write(p []byte) (int, error) {
	n := len(p)
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.partial = append(s.partial, p...)
			if len(s.partial) > 64<<10 {
				// Too long for a mark: pass it on rather than hold it.
				s.forward(s.partial)
				s.partial = s.partial[:0]
			}
			break
		}
		s.partial = append(s.partial, p[:i]...)
		s.line(string(s.partial))
		s.partial = s.partial[:0]
		p = p[i+1:]
	}
	return n, nil
}

// line handles one complete line.
func (s *stderrSink) line(l string) {
	if m, ok := strings.CutPrefix(l, markPrefix); ok {
		n, _ := strconv.ParseInt(m, 10, 64)
		s.lastMark = max(s.lastMark, n)
		if s.want > 0 && s.lastMark >= s.want {
			close(s.seen)
			s.want = 0
		}
		return
	}
	s.forward([]byte(l + "\n"))
	if len(l) > maxLineBytes {
		l = l[:maxLineBytes] + "…"
	}
	if s.crash == nil && (strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ")) {
		before := s.ordered()
		before = before[max(0, len(before)-crashContext):]
		s.crash = append(make([]string, 0, len(before)+crashLines), before...)
	}
	if s.crash != nil {
		if len(s.crash) < cap(s.crash) {
			s.crash = append(s.crash, l)
		} else {
			s.after++
		}
	}
	if len(s.lines) < cap(s.lines) {
		s.lines = append(s.lines, l)
		return
	}
	s.lines[s.next] = l
	s.next = (s.next + 1) % len(s.lines)
}

func (s *stderrSink) forward(b []byte) {
	if s.w != nil {
		_, _ = s.w.Write(b)
	}
}

// ordered returns the ring's lines, oldest first. s.mu must be held.
func (s *stderrSink) ordered() []string {
	return append(slices.Clone(s.lines[s.next:]), s.lines[:s.next]...)
}

// tail returns what an error should quote: after a panic or fatal error, the
// lines before it and its first lines (the message and the top frames);
// otherwise the remembered lines, oldest first, with an unfinished last line.
func (s *stderrSink) tail() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.crash != nil {
		out := slices.Clone(s.crash)
		if s.after > 0 {
			out = append(out, fmt.Sprintf("… (%d more lines)", s.after))
		}
		return out
	}
	out := s.ordered()
	if len(s.partial) > 0 {
		out = append(out, string(s.partial[:min(len(s.partial), maxLineBytes)]))
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
