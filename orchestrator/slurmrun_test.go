package orchestrator

import (
	"context"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/orchestrator/slurm"
)

// The trials queued on Slurm are those in the batches of the tasks squeue
// says are pending or running, across the submissions and the arrays of a
// submission; a finished task's, or a purged one's, are not. Without Slurm
// on the machine, none is.
func TestQueuedTrials(t *testing.T) {
	dir := t.TempDir()
	jobs := []string{"7", "8", "9"}
	squeue := ""
	c := &slurm.Client{Run: func(_ context.Context, name string, args ...string) ([]byte, error) {
		switch name {
		case "sbatch":
			id := jobs[0]
			jobs = jobs[1:]
			return []byte(id + "\n"), nil
		case "squeue":
			return []byte(squeue), nil
		}
		return nil, fmt.Errorf("unexpected %s %s", name, strings.Join(args, " "))
	}}
	// Two submissions: arrays 7 (tasks a, b) and 8 (task c) of one, split
	// by MaxArraySize; array 9 (tasks d, e) of the other.
	for i, batches := range [][][]string{{{"a1", "a2"}, {"b1"}, {"c1"}}, {{"d1"}, {"e1", "e2"}}} {
		_, err := c.Submit(context.Background(), slurm.Submission{SweepDir: dir, Batches: batches, Command: "true",
			MaxArraySize: 2, Time: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c2 := range []struct {
		squeue string
		want   []string
	}{
		{"7_0 PENDING None\n7_1 PENDING None\n8_0 PENDING None\n9_0 PENDING None\n9_1 PENDING None\n",
			[]string{"a1", "a2", "b1", "c1", "d1", "e1", "e2"}},
		{"7_0 COMPLETED None\n7_1 RUNNING None\n9_1 PENDING Priority\n", []string{"b1", "e1", "e2"}},
		{"7_0 COMPLETED None\n7_1 FAILED NonZeroExitCode\n8_0 CANCELLED None\n", nil},
	} {
		squeue = c2.squeue
		queued, err := QueuedTrials(context.Background(), c, dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Sorted(maps.Keys(queued)); !slices.Equal(got, c2.want) {
			t.Errorf("squeue %q: queued %v, want %v", c2.squeue, got, c2.want)
		}
	}

	noSlurm := &slurm.Client{Run: func(context.Context, string, ...string) ([]byte, error) { return nil, exec.ErrNotFound }}
	if queued, err := QueuedTrials(context.Background(), noSlurm, dir); err != nil || len(queued) != 0 {
		t.Errorf("without Slurm: %v, %v; want none queued", queued, err)
	}
	if queued, err := QueuedTrials(context.Background(), c, t.TempDir()); err != nil || len(queued) != 0 {
		t.Errorf("a sweep never submitted: %v, %v; want none queued", queued, err)
	}
}
