package slurm

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/tests/golden"
)

func TestScriptGolden(t *testing.T) {
	const (
		sweepDir = "/shared/runs/hyperparam_search"
		dir      = sweepDir + "/" + SubmissionsDir + "/20261125-213000"
	)
	for _, tc := range []struct {
		name string
		sub  Submission
		arr  Array
	}{
		{"script-minimal.golden", Submission{Command: WorkerCommand("/opt/sweep/bin/sweep")}, Array{Tasks: 1}},
		{"script-full.golden", Submission{
			JobName: "hyperparam_search",
			Command: WorkerCommand("/home/o'neil/bin/sweep"),
			Config: Config{Partition: "cpu", Time: "02:00:00", CPUsPerTask: 4, Mem: "8G", Parallelism: 16,
				ExtraArgs: []string{"--account", "ml", "--qos=low", "-C", "avx2"}, SignalSeconds: 300},
		}, Array{Offset: 1001, Tasks: 250}},
	} {
		golden.Check(t, filepath.Join("testdata", tc.name), []byte(tc.sub.script(sweepDir, dir, tc.arr)))
	}
}

// A submission of 5 batches on a cluster that takes arrays of 2 tasks: three
// arrays, chained because Parallelism is set.
func TestSubmitSplitsArrays(t *testing.T) {
	sweepDir := t.TempDir()
	when := time.Date(2026, 11, 25, 21, 30, 0, 0, time.UTC)
	dir := filepath.Join(sweepDir, SubmissionsDir, "20261125-213000")
	script := func(i int) string { return filepath.Join(dir, "array-"+strconv.Itoa(i)+".sh") }
	fr := &fakeRunner{answers: map[string]fakeAnswer{
		"sbatch --parsable " + script(0):                           {out: []byte("100\n")},
		"sbatch --parsable --dependency=afterany:100 " + script(1): {out: []byte("101;cluster\n")},
		"sbatch --parsable --dependency=afterany:101 " + script(2): {out: []byte("102\n")},
		"scontrol show config":                                     {out: []byte("MaxArraySize = 2\n")},
	}}
	sub := Submission{
		SweepDir: sweepDir,
		Batches:  Pack(ids(9), 2),
		Command:  "true",
		Config:   Config{Parallelism: 1},
		Time:     when,
	}
	res, err := (&Client{Run: fr.run}).Submit(context.Background(), sub)
	if err != nil {
		t.Fatal(err)
	}
	if res.Dir != dir {
		t.Errorf("Dir = %s, want %s", res.Dir, dir)
	}
	want := []Array{{"100", 0, 2, script(0)}, {"101", 2, 2, script(1)}, {"102", 4, 1, script(2)}}
	if !slices.Equal(res.Arrays, want) {
		t.Errorf("Arrays = %+v, want %+v", res.Arrays, want)
	}
	if got := res.JobIDs(); !slices.Equal(got, []string{"100", "101", "102"}) {
		t.Errorf("JobIDs = %v", got)
	}
	for i, wantText := range []string{"t0\nt1\n", "t2\nt3\n", "t4\nt5\n", "t6\nt7\n", "t8\n"} {
		b, err := os.ReadFile(batchPath(dir, i))
		if err != nil || string(b) != wantText {
			t.Errorf("batch %d = %q, %v; want %q", i, b, err, wantText)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, JobsFile)); err != nil || string(b) != "100 0 2\n101 2 2\n102 4 1\n" {
		t.Errorf("%s = %q, %v", JobsFile, b, err)
	}
	if loaded, err := LoadSubmitted(dir); err != nil || !reflect.DeepEqual(loaded, res) {
		t.Errorf("LoadSubmitted = %+v, %v; want what Submit returned, %+v", loaded, err, res)
	}
	if got, err := ReadBatch(batchPath(dir, 4)); err != nil || !slices.Equal(got, []string{"t8"}) {
		t.Errorf("ReadBatch(batch 4) = %q, %v", got, err)
	}
	if got, err := res.Batches(); err != nil || !reflect.DeepEqual(got, sub.Batches) {
		t.Errorf("Batches() = %q, %v; want what was submitted, %q", got, err, sub.Batches)
	}
	if b, err := os.ReadFile(script(2)); err != nil || !strings.Contains(string(b), "$((SLURM_ARRAY_TASK_ID + 4))") ||
		!strings.Contains(string(b), "#SBATCH --array=0-0%1") {
		t.Errorf("array-2.sh does not run batches from 4 with throttle 1:\n%s (%v)", b, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "logs")); err != nil || !fi.IsDir() {
		t.Errorf("no logs directory: %v", err)
	}

	// The same second again gets its own directory.
	fr.answers["sbatch --parsable "+filepath.Join(dir+"-1", "array-0.sh")] = fakeAnswer{out: []byte("200\n")}
	sub.MaxArraySize = 10
	res, err = (&Client{Run: fr.run}).Submit(context.Background(), sub)
	if err != nil {
		t.Fatal(err)
	}
	if res.Dir != dir+"-1" || len(res.Arrays) != 1 || res.Arrays[0].Tasks != 5 {
		t.Errorf("second submission = %+v, want one array of 5 tasks in %s-1", res, dir)
	}
}

// When the second sbatch fails, the first array is cancelled and the error
// carries sbatch's stderr.
func TestSubmitFailureCancels(t *testing.T) {
	sweepDir := t.TempDir()
	dir := filepath.Join(sweepDir, SubmissionsDir, "20261125-213000")
	stderr := "sbatch: error: invalid partition specified: nope"
	fr := &fakeRunner{answers: map[string]fakeAnswer{
		"sbatch --parsable " + filepath.Join(dir, "array-0.sh"): {out: []byte("100\n")},
		"sbatch --parsable " + filepath.Join(dir, "array-1.sh"): {err: &CommandError{Cmd: "sbatch", Stderr: stderr, Err: os.ErrInvalid}},
		"scancel 100": {},
	}}
	_, err := (&Client{Run: fr.run}).Submit(context.Background(), Submission{
		SweepDir: sweepDir, Batches: Pack(ids(3), 1), Command: "true", MaxArraySize: 2,
		Time: time.Date(2026, 11, 25, 21, 30, 0, 0, time.UTC),
	})
	if err == nil || !strings.Contains(err.Error(), stderr) || !strings.Contains(err.Error(), "array-1.sh") {
		t.Errorf("Submit error = %v, want sbatch's stderr and the script", err)
	}
	if !slices.Contains(fr.calls, "scancel 100") {
		t.Errorf("the submitted array was not cancelled; calls: %q", fr.calls)
	}
	// The first array was on record from its sbatch on, so that a sweep
	// killed before the cancel could still find it.
	if loaded, err := LoadSubmitted(dir); err != nil || !slices.Equal(loaded.JobIDs(), []string{"100"}) {
		t.Errorf("LoadSubmitted after the failure = %+v, %v; want job 100 on record", loaded, err)
	}
	// Every script was written before the first sbatch.
	for i := range 2 {
		if _, err := os.Stat(scriptPath(dir, i)); err != nil {
			t.Errorf("script %d: %v", i, err)
		}
	}
}

// A submission that got no array into the queue leaves no directory: after
// a failed first sbatch the sweep is as it was, with no .slurm/<time> that
// looks like a submission.
func TestSubmitNothingSubmittedLeavesNothing(t *testing.T) {
	for _, c := range []struct {
		name   string
		sbatch fakeAnswer
	}{
		{"sbatch fails", fakeAnswer{err: &CommandError{Cmd: "sbatch", Stderr: "sbatch: error: Batch job submission failed", Err: os.ErrInvalid}}},
		{"sbatch prints no job id", fakeAnswer{out: []byte("\n")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			sweepDir := t.TempDir()
			dir := filepath.Join(sweepDir, SubmissionsDir, "20261125-213000")
			fr := &fakeRunner{answers: map[string]fakeAnswer{"sbatch --parsable " + filepath.Join(dir, "array-0.sh"): c.sbatch}}
			_, err := (&Client{Run: fr.run}).Submit(context.Background(), Submission{
				SweepDir: sweepDir, Batches: Pack(ids(3), 1), Command: "true", MaxArraySize: 10,
				Time: time.Date(2026, 11, 25, 21, 30, 0, 0, time.UTC),
			})
			if err == nil {
				t.Fatal("Submit succeeded")
			}
			if left, _ := os.ReadDir(filepath.Join(sweepDir, SubmissionsDir)); len(left) != 0 {
				t.Errorf("after %v, %s holds %v; want nothing", err, SubmissionsDir, left)
			}
		})
	}
}

func TestSubmitRefuses(t *testing.T) {
	ok := Submission{SweepDir: "/tmp/x", Batches: [][]string{{"a"}}, Command: "true", MaxArraySize: 10}
	for _, tc := range []struct {
		edit func(*Submission)
		want string
	}{
		{func(s *Submission) { s.SweepDir = "" }, "no sweep directory"},
		{func(s *Submission) { s.SweepDir = "/tmp/my runs" }, `"/tmp/my runs"`},
		{func(s *Submission) { s.Batches = nil }, "no trials"},
		{func(s *Submission) { s.Batches = [][]string{{"a"}, {}} }, "batch 1 is empty"},
		{func(s *Submission) { s.Batches = [][]string{{"a b"}} }, `trial id "a b"`},
		{func(s *Submission) { s.Batches = [][]string{{"#a"}} }, `trial id "#a"`},
		{func(s *Submission) { s.Command = " " }, "no command"},
		{func(s *Submission) { s.JobName = "my sweep" }, "job name"},
		{func(s *Submission) { s.Config.CPUsPerTask = -1 }, "slurm.cpus_per_task"},
	} {
		sub := ok
		tc.edit(&sub)
		fr := &fakeRunner{}
		_, err := (&Client{Run: fr.run}).Submit(context.Background(), sub)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Submit(%+v) = %v, want an error with %q", sub, err, tc.want)
		}
		if len(fr.calls) > 0 {
			t.Errorf("Submit(%+v) ran %q before refusing", sub, fr.calls)
		}
	}
}
