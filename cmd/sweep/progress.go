package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/sweep-ml/sweep/orchestrator"
	"github.com/sweep-ml/sweep/results"
)

// ioStreams are a command's output streams and what it needs to know of
// them: whether standard error is a terminal, where progress may redraw a
// status line. Commands get them from main (systemStreams) and tests fake
// them, terminal included.
type ioStreams struct {
	Out, ErrOut io.Writer
	ErrTTY      bool
}

// systemStreams are the process's stdout and stderr.
func systemStreams() *ioStreams {
	return &ioStreams{Out: os.Stdout, ErrOut: os.Stderr, ErrTTY: isTerminal(os.Stderr)}
}

// isTerminal reports whether f is a character device (a terminal), without
// a dependency: progress redraws only make sense there.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// newObserver picks how progress is shown: JSON lines on stdout for scripts,
// a redrawn status line on a terminal, else one line per finished trial.
func newObserver(jsonLines bool, ios *ioStreams) orchestrator.Observer {
	switch {
	case jsonLines:
		enc := json.NewEncoder(ios.Out)
		return orchestrator.ObserverFunc(func(e orchestrator.Event) {
			if err := enc.Encode(eventJSON(e)); err != nil {
				// A script must not miss an event without a word.
				fmt.Fprintf(ios.ErrOut, "sweep: warning: %s event not written: %v\n", e.Kind, err)
			}
		})
	case ios.ErrTTY:
		return newStatusLine(ios.ErrOut)
	default:
		return orchestrator.ObserverFunc(func(e orchestrator.Event) { printTrialLine(ios.ErrOut, e) })
	}
}

func printTrialLine(w io.Writer, e orchestrator.Event) {
	switch e.Kind {
	case orchestrator.EventSweepStart:
		fmt.Fprintf(w, "%s\nsweep: %d trials to run, %d already finished\n", describeDir(e), e.Total, e.Skipped)
	case orchestrator.EventTrialEnd:
		fmt.Fprintf(w, "[%d/%d] %s\n", e.Finished(), e.Total, describeTrial(e.Trial))
	case orchestrator.EventTrialRetry:
		fmt.Fprintf(w, "%s\n", describeRetry(e.Trial))
	}
}

// describeDir says where a starting sweep writes, by its absolute path,
// whatever directory the command was run from.
func describeDir(e orchestrator.Event) string {
	return "sweep: sweep directory " + e.Dir
}

func describeRetry(t *results.Trial) string {
	return fmt.Sprintf("%s: attempt %d failed, retrying: %s", t.Name, t.Attempt, t.Error)
}

func describeTrial(t *results.Trial) string {
	metric := t.ObjectiveOrDefault().Metric
	switch score := t.ScoreOrDefault(); {
	case t.Status == results.StatusSucceeded && score != nil:
		return fmt.Sprintf("%s: best %s %.6g at epoch %d (%d epochs, %s)",
			t.Name, metric, *score, t.BestEpoch, t.EpochsRun, roundDuration(t.DurationSeconds))
	case t.Status == results.StatusPruned && score != nil:
		return fmt.Sprintf("%s: pruned after %d epochs (best %s %.6g, %s)",
			t.Name, t.EpochsRun, metric, *score, roundDuration(t.DurationSeconds))
	case t.Error != "":
		return fmt.Sprintf("%s: %s: %s", t.Name, t.Status, t.Error)
	default:
		return fmt.Sprintf("%s: %s", t.Name, t.Status)
	}
}

func roundDuration(seconds float64) time.Duration {
	d := time.Duration(seconds * float64(time.Second))
	if d > time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

// statusLine redraws one line on a terminal: done/total, running, failed,
// the best trial so far, elapsed time and an ETA; finished trials scroll
// above it.
type statusLine struct {
	mu    sync.Mutex
	w     io.Writer
	last  orchestrator.Event
	start time.Time // when the sweep started, from the first event
	stop  chan struct{}
}

func newStatusLine(w io.Writer) *statusLine {
	s := &statusLine{w: w, stop: make(chan struct{})}
	go s.tick()
	return s
}

// tick redraws every second so that the elapsed time and the ETA move
// while long trials run.
func (s *statusLine) tick() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.mu.Lock()
			if s.last.Kind != "" {
				s.draw()
			}
			s.mu.Unlock()
		}
	}
}

func (s *statusLine) Observe(e orchestrator.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.start.IsZero() {
		s.start = e.Time.Add(-time.Duration(e.Elapsed * float64(time.Second)))
	}
	s.last = e
	switch e.Kind {
	case orchestrator.EventSweepStart:
		fmt.Fprintf(s.w, "\r\033[K%s\n", describeDir(e))
	case orchestrator.EventTrialEnd:
		fmt.Fprintf(s.w, "\r\033[K  %s\n", describeTrial(e.Trial))
	case orchestrator.EventTrialRetry:
		fmt.Fprintf(s.w, "\r\033[K  %s\n", describeRetry(e.Trial))
	case orchestrator.EventSweepEnd:
		fmt.Fprint(s.w, "\r\033[K")
		close(s.stop)
		return
	}
	s.draw()
}

// draw writes the status line; the elapsed time is read from the clock so
// that it moves between events.
func (s *statusLine) draw() {
	e := s.last
	elapsed := time.Since(s.start)
	done := e.Finished()
	line := fmt.Sprintf("%d/%d done, %d running, %d failed, ", done, e.Total, e.Running, e.Failed)
	if e.Pruned > 0 {
		line += fmt.Sprintf("%d pruned, ", e.Pruned)
	}
	line += fmt.Sprintf("%s elapsed", elapsed.Round(time.Second))
	if done > 0 && done < e.Total {
		eta := time.Duration(float64(elapsed) / float64(done) * float64(e.Total-done))
		line += fmt.Sprintf(", ETA %s", eta.Round(time.Second))
	}
	if e.Best != nil && e.Best.ScoreOrDefault() != nil {
		line += fmt.Sprintf(" | best %s %.6g", e.Best.Name, *e.Best.ScoreOrDefault())
	}
	fmt.Fprintf(s.w, "\r\033[K%s", line)
}
