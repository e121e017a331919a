package slurm

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fakeRunner answers Slurm commands from a table keyed by the command line,
// and records the calls.
type fakeRunner struct {
	answers map[string]fakeAnswer
	calls   []string
}

type fakeAnswer struct {
	out []byte
	err error
}

func (f *fakeRunner) run(_ context.Context, name string, args ...string) ([]byte, error) {
	cmd := strings.Join(append([]string{name}, args...), " ")
	f.calls = append(f.calls, cmd)
	a, ok := f.answers[cmd]
	if !ok {
		return nil, &CommandError{Cmd: cmd, Stderr: "fakeRunner: unexpected command", Err: os.ErrInvalid}
	}
	return a.out, a.err
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const squeueCmd = "squeue --noheader --array --states=all --jobs=6,7 --format=%i %T %r"

// The expected states below are read off the captured squeue outputs in
// testdata (see testdata/README.md for how they were made): array 6 is
// 0-5%2 with task 1 failing and task 5 cancelled while pending; array 7 is
// 0-2 with task 1 cancelled while pending, then the whole array cancelled.
func TestPollCaptured(t *testing.T) {
	const (
		pd = "PENDING"
		r  = "RUNNING"
		cd = "COMPLETED"
		f  = "FAILED"
		ca = "CANCELLED"
	)
	for _, tc := range []struct {
		file       string
		six, seven map[int]TaskState
		active     int
	}{
		{
			file:   "squeue-active.txt",
			six:    map[int]TaskState{0: {pd, "None"}, 1: {pd, "None"}, 2: {pd, "None"}, 3: {pd, "None"}, 4: {pd, "None"}, 5: {pd, "None"}},
			seven:  map[int]TaskState{0: {pd, "None"}, 1: {pd, "None"}, 2: {pd, "None"}},
			active: 9,
		},
		{
			file:   "squeue-mixed.txt",
			six:    map[int]TaskState{0: {cd, "None"}, 1: {f, "NonZeroExitCode"}, 2: {cd, "None"}, 3: {cd, "None"}, 4: {r, "None"}},
			seven:  map[int]TaskState{0: {r, "None"}, 2: {pd, "Resources"}},
			active: 3,
		},
		{
			file:   "squeue-finished.txt",
			six:    map[int]TaskState{0: {cd, "None"}, 1: {f, "NonZeroExitCode"}, 2: {cd, "None"}, 3: {cd, "None"}, 4: {cd, "None"}},
			seven:  map[int]TaskState{0: {ca, "None"}, 2: {ca, "Resources"}},
			active: 0,
		},
	} {
		fr := &fakeRunner{answers: map[string]fakeAnswer{squeueCmd: {out: readTestdata(t, tc.file)}}}
		st, err := (&Client{Run: fr.run}).Poll(context.Background(), []string{"6", "7"})
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if len(fr.calls) != 1 {
			t.Errorf("%s: Poll ran %d commands, want one squeue: %q", tc.file, len(fr.calls), fr.calls)
		}
		if got := st.Arrays[0].Tasks; !reflect.DeepEqual(got, tc.six) {
			t.Errorf("%s: array 6 = %v, want %v", tc.file, got, tc.six)
		}
		if got := st.Arrays[1].Tasks; !reflect.DeepEqual(got, tc.seven) {
			t.Errorf("%s: array 7 = %v, want %v", tc.file, got, tc.seven)
		}
		if got := st.Active(); got != tc.active {
			t.Errorf("%s: Active = %d, want %d", tc.file, got, tc.active)
		}
	}
}

func TestPollCounts(t *testing.T) {
	fr := &fakeRunner{answers: map[string]fakeAnswer{squeueCmd: {out: readTestdata(t, "squeue-mixed.txt")}}}
	st, err := (&Client{Run: fr.run}).Poll(context.Background(), []string{"6", "7"})
	if err != nil {
		t.Fatal(err)
	}
	six := st.Arrays[0]
	for state, want := range map[string]int{"COMPLETED": 3, "FAILED": 1, "RUNNING": 1, "PENDING": 0} {
		if got := six.Count(state); got != want {
			t.Errorf("array 6: Count(%s) = %d, want %d", state, got, want)
		}
	}
}

// squeue exits 1 with "Invalid job id specified" when it knows none of the
// jobs (captured: `squeue -h -j 424242`): every task is gone, no error.
func TestPollPurged(t *testing.T) {
	cmd := "squeue --noheader --array --states=all --jobs=424242 --format=%i %T %r"
	fr := &fakeRunner{answers: map[string]fakeAnswer{cmd: {err: &CommandError{
		Cmd: cmd, Stderr: "slurm_load_jobs error: Invalid job id specified", Err: os.ErrInvalid}}}}
	st, err := (&Client{Run: fr.run}).Poll(context.Background(), []string{"424242"})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Arrays[0]; len(got.Tasks) != 0 || got.Active() != 0 {
		t.Errorf("array %+v, want no task listed", got)
	}
}

func TestPollErrors(t *testing.T) {
	c := &Client{Run: (&fakeRunner{answers: map[string]fakeAnswer{
		squeueCmd: {err: &CommandError{Cmd: "squeue", Stderr: "squeue: error: Unable to contact slurm controller", Err: os.ErrInvalid}},
	}}).run}
	if _, err := c.Poll(context.Background(), []string{"6", "7"}); err == nil || !strings.Contains(err.Error(), "Unable to contact slurm controller") {
		t.Errorf("Poll error = %v, want squeue's stderr in it", err)
	}
	if _, err := c.Poll(context.Background(), []string{"6;x"}); err == nil || !strings.Contains(err.Error(), `"6;x"`) {
		t.Errorf("Poll of a bad id: error = %v, want it to name the id", err)
	}
}

// Without Slurm's commands on PATH, the error says so in a way callers can
// test: errors.Is(err, exec.ErrNotFound).
func TestMissingCommand(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := (&Client{}).Poll(context.Background(), []string{"6"})
	if !errors.Is(err, exec.ErrNotFound) || !strings.Contains(err.Error(), "squeue") {
		t.Errorf("Poll without squeue: %v, want an exec.ErrNotFound naming squeue", err)
	}
}

func TestParseSqueueErrors(t *testing.T) {
	for _, tc := range []struct{ out, want string }{
		{"6_0\n", "line 1"},
		{"6_0 PENDING None\n9_0 RUNNING None\n", `line 2 "9_0 RUNNING None": job 9 was not asked for`},
		{"6 RUNNING None\n", "not an array task"},
		{"6_x RUNNING None\n", "bad array index range"},
		{"6_[3-1] PENDING None\n", "bad array index range"},
	} {
		st := Status{Arrays: []ArrayStatus{{JobID: "6", Tasks: map[int]TaskState{}}}}
		err := parseSqueue(&st, []byte(tc.out))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseSqueue(%q) = %v, want an error with %q", tc.out, err, tc.want)
		}
	}
}

func TestParseTaskRange(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
	}{
		{"3", []int{3}},
		{"0-3", []int{0, 1, 2, 3}},
		{"0-5%2", []int{0, 1, 2, 3, 4, 5}},
		{"1,4-6", []int{1, 4, 5, 6}},
		{"0-9:3", []int{0, 3, 6, 9}},
	} {
		got, err := parseTaskRange(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parseTaskRange(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "x", "-1", "5-2", "0-4:0", "1,", "0-4000001"} {
		if got, err := parseTaskRange(bad); err == nil {
			t.Errorf("parseTaskRange(%q) = %v, want an error", bad, got)
		}
	}
}

// Expected exits read off the captured `scontrol --oneliner show job` files.
func TestTaskExitsCaptured(t *testing.T) {
	done := func(task int) TaskExit { return TaskExit{Task: task, State: "COMPLETED", Reason: "None"} }
	pending := func(task int) TaskExit { return TaskExit{Task: task, State: "PENDING", Reason: "None"} }
	for _, tc := range []struct {
		file string
		want []TaskExit
	}{
		{"scontrol-show-job-active.txt", []TaskExit{pending(0), pending(1), pending(2), pending(3), pending(4), pending(5)}},
		{"scontrol-show-job-finished.txt", []TaskExit{
			done(0), {Task: 1, State: "FAILED", Reason: "NonZeroExitCode", ExitCode: 1}, done(2), done(3), done(4)}},
		{"scontrol-show-job-cancelled.txt", []TaskExit{
			{Task: 0, State: "CANCELLED", Reason: "None", Signal: 15}, {Task: 2, State: "CANCELLED", Reason: "Resources"}}},
	} {
		cmd := "scontrol --oneliner show job 6"
		fr := &fakeRunner{answers: map[string]fakeAnswer{cmd: {out: readTestdata(t, tc.file)}}}
		got, err := (&Client{Run: fr.run}).TaskExits(context.Background(), "6")
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.file, got, tc.want)
		}
	}
}

func TestParseShowJobSpacesInValues(t *testing.T) {
	rec := "JobId=9 ArrayJobId=6 ArrayTaskId=1 JobName=x JobState=PENDING Reason=launch failed requeued held " +
		"Dependency=(null) ExitCode=0:0 Command=/bin/sh -c JobState=BOGUS WorkDir=/tmp/a b\n"
	got, err := parseShowJob([]byte(rec))
	want := []TaskExit{{Task: 1, State: "PENDING", Reason: "launch failed requeued held"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("parseShowJob = %+v, %v; want %+v", got, err, want)
	}
}

func TestParseShowJobErrors(t *testing.T) {
	for _, tc := range []struct{ rec, key string }{
		{"JobId=6 JobState=RUNNING ExitCode=0:0", "ArrayTaskId"},
		{"JobId=6 ArrayTaskId=1 ExitCode=0:0", "JobState"},
		{"JobId=6 ArrayTaskId=1 JobState=RUNNING ExitCode=0", "ExitCode"},
	} {
		_, err := parseShowJob([]byte(tc.rec))
		if err == nil || !strings.Contains(err.Error(), "line 1: key "+tc.key) {
			t.Errorf("parseShowJob(%q) = %v, want an error naming key %s", tc.rec, err, tc.key)
		}
	}
}

// The captured configuration is that of scripts/slurm/up.sh, which sets
// MaxArraySize=1001.
func TestMaxArraySize(t *testing.T) {
	fr := &fakeRunner{answers: map[string]fakeAnswer{"scontrol show config": {out: readTestdata(t, "scontrol-show-config.txt")}}}
	n, err := (&Client{Run: fr.run}).MaxArraySize(context.Background())
	if err != nil || n != 1001 {
		t.Errorf("MaxArraySize = %d, %v; want 1001", n, err)
	}
	for _, bad := range []string{"ClusterName = x\n", "MaxArraySize = many\n"} {
		if n, err := parseMaxArraySize([]byte(bad)); err == nil {
			t.Errorf("parseMaxArraySize(%q) = %d, want an error", bad, n)
		}
	}
}

func FuzzParseSqueue(f *testing.F) {
	for _, name := range []string{"squeue-active.txt", "squeue-mixed.txt", "squeue-finished.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("6_[0-3%2] PENDING JobArrayTaskLimit\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		st := Status{Arrays: []ArrayStatus{{JobID: "6", Tasks: map[int]TaskState{}}, {JobID: "7", Tasks: map[int]TaskState{}}}}
		if err := parseSqueue(&st, out); err != nil {
			return
		}
		for _, a := range st.Arrays {
			for i := range a.Tasks {
				if i < 0 || i >= maxTasks {
					t.Fatalf("task index %d out of range", i)
				}
			}
		}
	})
}

func FuzzParseShowJob(f *testing.F) {
	for _, name := range []string{"scontrol-show-job-active.txt", "scontrol-show-job-finished.txt", "scontrol-show-job-cancelled.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		exits, err := parseShowJob(out)
		if err != nil {
			return
		}
		if !slices.IsSortedFunc(exits, func(a, b TaskExit) int { return a.Task - b.Task }) {
			t.Fatalf("exits not sorted by task: %+v", exits)
		}
	})
}
