package orchestrator

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/orchestrator/spec"
	"github.com/sweep-ml/sweep/results"
)

// runAll asks its source only when a worker is free: with 2 workers and
// jobs that block until released, the source is asked twice, not more,
// before a job ends. Records come back in launch order.
func TestRunAllAsksOnlyWhenAWorkerIsFree(t *testing.T) {
	var asked atomic.Int32
	release := make(chan struct{})
	next := func() (Job, bool, error) {
		n := int(asked.Add(1))
		if n > 5 {
			return Job{}, false, nil
		}
		return Job{Trial: spec.Trial{Name: string(rune('a' + n - 1))}}, true, nil
	}
	done := make(chan []*results.Trial)
	go func() {
		recs, err := runAll(context.Background(), next, 2, false, func(_ context.Context, j Job) (*results.Trial, error) {
			<-release
			return &results.Trial{Name: j.Trial.Name, Status: results.StatusSucceeded}, nil
		})
		if err != nil {
			t.Error(err)
		}
		done <- recs
	}()
	time.Sleep(50 * time.Millisecond)
	if n := asked.Load(); n != 2 {
		t.Errorf("the source was asked %d times while both workers were busy, want 2", n)
	}
	close(release)
	recs := <-done
	if len(recs) != 5 {
		t.Fatalf("%d records, want 5", len(recs))
	}
	for i, r := range recs {
		if r.Name != string(rune('a'+i)) {
			t.Errorf("record %d is %s, want launch order", i, r.Name)
		}
	}
}

// A source's error and a job's infrastructure error end the loop and come
// back; with failFast a failed trial stops the launching of more.
func TestRunAllStops(t *testing.T) {
	boom := errors.New("boom")
	ok := func(_ context.Context, j Job) (*results.Trial, error) {
		return &results.Trial{Name: j.Trial.Name, Status: results.StatusSucceeded}, nil
	}
	jobs := []Job{{Trial: spec.Trial{Name: "a"}}, {Trial: spec.Trial{Name: "b"}}, {Trial: spec.Trial{Name: "c"}}}
	calls := 0
	failing := func() (Job, bool, error) {
		if calls++; calls > 1 {
			return Job{}, false, boom
		}
		return jobs[0], true, nil
	}
	if recs, err := runAll(context.Background(), failing, 1, false, ok); !errors.Is(err, boom) || len(recs) != 1 {
		t.Errorf("source error: %d records, %v; want 1 and boom", len(recs), err)
	}
	infra := func(_ context.Context, j Job) (*results.Trial, error) { return nil, boom }
	if recs, err := runAll(context.Background(), listed(jobs), 1, false, infra); !errors.Is(err, boom) || len(recs) != 1 {
		t.Errorf("infrastructure error: %d launched, %v; want 1 and boom", len(recs), err)
	}
	fail := func(_ context.Context, j Job) (*results.Trial, error) {
		return &results.Trial{Name: j.Trial.Name, Status: results.StatusFailed}, nil
	}
	if recs, err := runAll(context.Background(), listed(jobs), 1, true, fail); err != nil || len(recs) != 1 {
		t.Errorf("fail fast: %d launched, %v; want 1 and no error", len(recs), err)
	}
	if recs, err := runAll(context.Background(), listed(jobs), 1, false, fail); err != nil || len(recs) != 3 {
		t.Errorf("failed trials are data: %d launched, %v; want 3 and no error", len(recs), err)
	}
}
