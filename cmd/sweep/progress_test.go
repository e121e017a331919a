package main

import (
	"strings"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/orchestrator"
	"github.com/sweep-ml/sweep/results"
	"github.com/sweep-ml/sweep/tests/testio"
)

func TestStatusLine(t *testing.T) {
	var out testio.SyncBuffer
	s := newStatusLine(&out)
	start := time.Now().Add(-10 * time.Second) // the sweep began 10 s ago
	loss := 0.25
	done := &results.Trial{Name: "t1", Status: results.StatusSucceeded, BestValLoss: &loss, EpochsRun: 3, DurationSeconds: 1}
	for _, e := range []orchestrator.Event{
		{Kind: orchestrator.EventSweepStart, Total: 4, Elapsed: 0},
		{Kind: orchestrator.EventTrialStart, Total: 4, Running: 1, Elapsed: 1},
		{Kind: orchestrator.EventTrialEnd, Total: 4, Succeeded: 1, Trial: done, Best: done, Elapsed: 10},
		{Kind: orchestrator.EventSweepEnd, Total: 4, Succeeded: 1, Elapsed: 10},
	} {
		e.Time = start.Add(time.Duration(e.Elapsed * float64(time.Second)))
		s.Observe(e)
	}
	got := out.String()
	for _, want := range []string{
		"0/4 done, 1 running, 0 failed, 1",    // the clock, not the event, says how long
		"  t1: best val_loss 0.25 at epoch 0", // a finished trial scrolls above the line
		"1/4 done, 0 running, 0 failed, 10s elapsed, ETA 30s | best t1 0.25",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("status line output lacks %q:\n%q", want, got)
		}
	}
	if !strings.HasSuffix(got, "\r\033[K") {
		t.Errorf("the status line is not cleared at the end: %q", got)
	}
}
