package slurm

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func ids(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("t%d", i)
	}
	return s
}

func TestPack(t *testing.T) {
	for _, tc := range []struct {
		n, per int
		want   [][]string
	}{
		{0, 3, [][]string{}},
		{1, 3, [][]string{{"t0"}}},
		{6, 3, [][]string{{"t0", "t1", "t2"}, {"t3", "t4", "t5"}}},
		{7, 3, [][]string{{"t0", "t1", "t2"}, {"t3", "t4", "t5"}, {"t6"}}},
		{3, 1, [][]string{{"t0"}, {"t1"}, {"t2"}}},
		{2, 10, [][]string{{"t0", "t1"}}},
	} {
		got := Pack(ids(tc.n), tc.per)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Pack(%d ids, %d) = %v, want %v", tc.n, tc.per, got, tc.want)
		}
	}
}

func TestPackBatchesDoNotAlias(t *testing.T) {
	b := Pack(ids(4), 2)
	b[0] = append(b[0], "x") // must not overwrite b[1][0]
	if b[1][0] != "t2" {
		t.Fatalf("appending to batch 0 changed batch 1: %v", b)
	}
}

func TestPackPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Pack(ids, 0) did not panic")
		}
	}()
	Pack(ids(3), 0)
}

func TestPerTask(t *testing.T) {
	const s = time.Second
	for _, tc := range []struct {
		name     string
		cfg      Config
		n        int
		estimate time.Duration
		want     int
	}{
		{"explicit wins", Config{TrialsPerTask: 7, TaskSeconds: 10}, 100, s, 7},
		{"fill target", Config{TaskSeconds: 60}, 1000, 2 * s, 30},
		{"fill target per worker", Config{TaskSeconds: 60, CPUsPerTask: 4}, 1000, 2 * s, 120},
		{"default target", Config{}, 10000, 10 * s, DefaultTaskSeconds / 10},
		{"trial longer than target", Config{TaskSeconds: 60, CPUsPerTask: 2}, 100, time.Hour, 2},
		{"no estimate", Config{CPUsPerTask: 3}, 100, 0, 3},
		{"parallelism keeps slots busy", Config{TaskSeconds: 600, Parallelism: 10}, 50, s, 5},
		{"parallelism above trials", Config{TaskSeconds: 600, Parallelism: 10}, 3, s, 1},
		{"parallelism does not raise", Config{TaskSeconds: 10, Parallelism: 2}, 1000, s, 10},
	} {
		if got := PerTask(tc.cfg, tc.n, tc.estimate); got != tc.want {
			t.Errorf("%s: PerTask = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string // substring of the error; "" for none
	}{
		{Config{}, ""},
		{Config{Partition: "gpu", Time: "01:00:00", Mem: "2G", CPUsPerTask: 4, Parallelism: 8,
			ExtraArgs: []string{"--account", "ml", "--qos=low"}}, ""},
		{Config{CPUsPerTask: -1}, "slurm.cpus_per_task = -1"},
		{Config{Parallelism: -2}, "slurm.parallelism = -2"},
		{Config{TrialsPerTask: -1}, "slurm.trials_per_task"},
		{Config{TaskSeconds: -1}, "slurm.task_seconds"},
		{Config{Partition: "a b"}, "slurm.partition"},
		{Config{Time: "1:00\n#SBATCH --x"}, "slurm.time"},
		{Config{Mem: "2 G"}, "slurm.mem"},
		{Config{ExtraArgs: []string{"account"}}, "slurm.sbatch_args[0]"},
		{Config{ExtraArgs: []string{"--comment=a b"}}, "slurm.sbatch_args[0]"},
		{Config{ExtraArgs: []string{"--qos=low", ""}}, "slurm.sbatch_args[1]"},
		// The time-limit signal must not be due at a task's start: the
		// limit must exceed signal_seconds (default 120) + 30 s.
		{Config{Time: "2"}, `slurm.time = "2": a task's time limit must be longer than signal_seconds (120) + 30 s`},
		{Config{Time: "2:30"}, "slurm.time"},
		{Config{Time: "2:31"}, ""},
		{Config{Time: "1", SignalSeconds: 30}, "signal_seconds (30)"},
		{Config{Time: "1", SignalSeconds: 29}, ""},
		{Config{Time: "INFINITE"}, ""},
	} {
		err := tc.cfg.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("Validate(%+v) = %v, want nil", tc.cfg, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("Validate(%+v) = %v, want an error naming %q", tc.cfg, err, tc.want)
		}
	}
}

func TestParseTimeLimit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration // 0: no limit, or not read
	}{
		{"90", 90 * time.Minute},
		{"5:30", 5*time.Minute + 30*time.Second},
		{"01:00:00", time.Hour},
		{"2-12", 60 * time.Hour},
		{"1-00:30", 24*time.Hour + 30*time.Minute},
		{"1-02:03:04", 26*time.Hour + 3*time.Minute + 4*time.Second},
		{"0", 0},
		{"", 0},
		{"INFINITE", 0},
		{"UNLIMITED", 0},
		{"1:2:3:4", 0},
		{"-5", 0},
		{"1-", 0},
		{"x-1", 0},
		{"1:-1", 0},
	} {
		got, ok := parseTimeLimit(tc.in)
		if got != tc.want || ok != (tc.want > 0) {
			t.Errorf("parseTimeLimit(%q) = %v, %v; want %v", tc.in, got, ok, tc.want)
		}
	}
}
