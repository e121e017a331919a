package slurm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/tests/slurm/slurmtest"
)

// requireSlurm skips or fails tb when no cluster answers (see
// slurmtest.Require), and returns the Client to test with.
func requireSlurm(tb testing.TB) *Client {
	tb.Helper()
	slurmtest.Require(tb)
	return &Client{}
}

// waitDone waits until no task of jobIDs is pending or running, and returns
// the last status.
func waitDone(ctx context.Context, tb testing.TB, c *Client, jobIDs []string, every time.Duration) Status {
	tb.Helper()
	st, err := c.Wait(ctx, jobIDs, every)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// cancelOnExit cancels the jobs when the test ends, whatever happened.
func cancelOnExit(tb testing.TB, c *Client, jobIDs []string) {
	tb.Cleanup(func() {
		if err := c.Cancel(context.Background(), jobIDs); err != nil {
			tb.Error(err)
		}
	})
}

// The whole path on a real cluster: 8 trials packed 3 a task into 3 tasks,
// split into two arrays (MaxArraySize 2) chained by the throttle, whose
// tasks write one file per trial; trial "fail" makes its task exit 3.
func TestSlurmEndToEnd(t *testing.T) {
	c := requireSlurm(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sweepDir := t.TempDir() // one node: its /tmp is the shared filesystem
	if err := os.Mkdir(filepath.Join(sweepDir, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	trials := append(ids(7), "fail")
	res, err := c.Submit(ctx, Submission{
		SweepDir: sweepDir,
		JobName:  "sweep-test",
		Batches:  Pack(trials, 3),
		Command: `while read -r id; do
  case "$id" in fail) echo "trial $id fails" >&2; exit 3;; esac
  echo "$SLURM_ARRAY_TASK_ID $SWEEP_WORKERS" > "$SWEEP_DIR/out/$id"
done < "$SWEEP_BATCH"`,
		Config:       Config{Parallelism: 1, Time: "00:05:00", ExtraArgs: []string{"--comment", "sweep-test"}},
		MaxArraySize: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	ids := res.JobIDs()
	cancelOnExit(t, c, ids)
	if len(ids) != 2 {
		t.Fatalf("submitted %d arrays, want 2: %+v", len(ids), res)
	}

	st := waitDone(ctx, t, c, ids, 100*time.Millisecond)
	want := []map[int]TaskState{
		{0: {"COMPLETED", "None"}, 1: {"COMPLETED", "None"}},
		{0: {"FAILED", "NonZeroExitCode"}},
	}
	for i, a := range st.Arrays {
		if !reflect.DeepEqual(a.Tasks, want[i]) {
			t.Errorf("array %d (job %s): tasks %v, want %v", i, a.JobID, a.Tasks, want[i])
		}
	}
	for i, id := range trials[:7] {
		b, err := os.ReadFile(filepath.Join(sweepDir, "out", id))
		task := i / 3 % 2 // the index within its array: tasks 0, 1 | 0
		if wantText := fmt.Sprintf("%d 1\n", task); err != nil || string(b) != wantText {
			t.Errorf("trial %s wrote %q, %v; want %q", id, b, err, wantText)
		}
	}
	exits, err := c.TaskExits(ctx, ids[1])
	if wantExits := []TaskExit{{Task: 0, State: "FAILED", Reason: "NonZeroExitCode", ExitCode: 3}}; err != nil || !reflect.DeepEqual(exits, wantExits) {
		t.Errorf("TaskExits(%s) = %+v, %v; want %+v", ids[1], exits, err, wantExits)
	}
	errLog := filepath.Join(res.Dir, "logs", ids[1]+"_0.err")
	if b, err := os.ReadFile(errLog); err != nil || !strings.Contains(string(b), "trial fail fails") {
		t.Errorf("%s = %q, %v; want the task's stderr", errLog, b, err)
	}
}

// scancel of a running array ends it: its tasks end CANCELLED or, if they
// never started, disappear.
func TestSlurmCancel(t *testing.T) {
	c := requireSlurm(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := c.Submit(ctx, Submission{
		SweepDir: t.TempDir(),
		JobName:  "sweep-test-cancel",
		Batches:  Pack(ids(3), 1),
		Command:  "exec sleep 300",
		Config:   Config{Parallelism: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	ids := res.JobIDs()
	cancelOnExit(t, c, ids)
	for {
		st, err := c.Poll(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		if st.Arrays[0].Count("RUNNING") > 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no task started: %+v", st)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err := c.Cancel(ctx, ids); err != nil {
		t.Fatal(err)
	}
	st := waitDone(ctx, t, c, ids, 100*time.Millisecond)
	if n := st.Arrays[0].Count("CANCELLED"); n == 0 || n != len(st.Arrays[0].Tasks) {
		t.Errorf("after scancel: %v, want every listed task CANCELLED and at least one", st.Arrays[0].Tasks)
	}
}

// BenchmarkTurnaround measures Slurm's own cost: the time from sbatch to
// every task done, for trivial trials packed perTask to a task. Unpacked
// (perTask 1) it is the per-task overhead of an array; packed, the same
// trials in fewer tasks. It informs PerTask (see DefaultTaskSeconds).
func BenchmarkTurnaround(b *testing.B) {
	c := requireSlurm(b)
	for _, tc := range []struct{ trials, perTask int }{{1, 1}, {10, 1}, {50, 1}, {50, 10}, {50, 25}} {
		b.Run(fmt.Sprintf("trials=%d/perTask=%d", tc.trials, tc.perTask), func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			batches := Pack(ids(tc.trials), tc.perTask)
			for b.Loop() {
				res, err := c.Submit(ctx, Submission{
					SweepDir: b.TempDir(), JobName: "sweep-bench", Batches: batches,
					Command: `while read -r id; do :; done < "$SWEEP_BATCH"`,
				})
				if err != nil {
					b.Fatal(err)
				}
				cancelOnExit(b, c, res.JobIDs())
				st := waitDone(ctx, b, c, res.JobIDs(), 20*time.Millisecond)
				if got := st.Arrays[0].Count("COMPLETED"); got != len(batches) {
					b.Fatalf("%d of %d tasks completed: %v", got, len(batches), st.Arrays[0].Tasks)
				}
			}
			ms := float64(b.Elapsed().Milliseconds()) / float64(b.N)
			b.ReportMetric(ms/float64(len(batches)), "ms/task")
			b.ReportMetric(ms/float64(tc.trials), "ms/trial")
		})
	}
}
