// Package slurm runs a sweep's trials as one Slurm job array whose tasks run
// `sweep worker` over packed batches of trials, on a filesystem that the
// submitting host and the compute nodes share.
package slurm

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Config is the [slurm] table of a grid; `sweep run` flags override it.
type Config struct {
	Partition   string `toml:"partition" json:"partition,omitempty"`
	Time        string `toml:"time" json:"time,omitempty"`                   // a task's time limit, sbatch --time syntax, e.g. "01:00:00"
	CPUsPerTask int    `toml:"cpus_per_task" json:"cpus_per_task,omitempty"` // also the task's worker count; default 1
	Mem         string `toml:"mem" json:"mem,omitempty"`                     // sbatch --mem, e.g. "2G"
	Parallelism int    `toml:"parallelism" json:"parallelism,omitempty"`     // array throttle: at most this many tasks at once (%K); 0 = no limit
	// TrialsPerTask packs this many trials into one array task. 0 derives it
	// from TaskSeconds and an estimate of a trial's duration.
	TrialsPerTask int `toml:"trials_per_task" json:"trials_per_task,omitempty"`
	// TaskSeconds is the target duration of one array task when
	// TrialsPerTask is 0.
	TaskSeconds int      `toml:"task_seconds" json:"task_seconds,omitempty"`
	ExtraArgs   []string `toml:"sbatch_args" json:"sbatch_args,omitempty"` // passed to sbatch as they are
	// SignalSeconds is how long before a task's time limit Slurm sends its
	// worker SIGUSR1 (sbatch --signal=B:USR1@SignalSeconds; up to 30 s
	// earlier), on which the worker stops its trials, which save their
	// training states, and requeues its task. 0 means DefaultSignalSeconds.
	SignalSeconds int `toml:"signal_seconds" json:"signal_seconds,omitempty"`
}

// DefaultSignalSeconds is the default of Config.SignalSeconds: time for the
// worker to end its trials cleanly and requeue its task.
const DefaultSignalSeconds = 120

// signalEarly is how early Slurm may send the time-limit signal: slurmctld
// checks time limits every 30 s and sends the signal at the first check
// that is within SignalSeconds + 30 s of the limit.
const signalEarly = 30 * time.Second

// checkSignalFits refuses a time limit so short that the time-limit signal
// would be due as the task starts: it could reach the batch shell before
// the worker listens, and would stop every allocation at once.
func (c Config) checkSignalFits() error {
	limit, ok := parseTimeLimit(c.Time)
	signal := time.Duration(cmp.Or(c.SignalSeconds, DefaultSignalSeconds)) * time.Second
	if !ok || limit > signal+signalEarly {
		return nil
	}
	return fmt.Errorf("slurm.time = %q: a task's time limit must be longer than signal_seconds (%d) + 30 s, "+
		"as Slurm sends the time-limit signal up to 30 s early; lengthen the limit or lower slurm.signal_seconds",
		c.Time, signal/time.Second)
}

// parseTimeLimit reads sbatch --time's formats: minutes, minutes:seconds,
// hours:minutes:seconds, days-hours, days-hours:minutes and
// days-hours:minutes:seconds. ok is false for no limit ("", "0",
// "INFINITE", "UNLIMITED") and for what it cannot read, which sbatch
// judges.
func parseTimeLimit(s string) (d time.Duration, ok bool) {
	days := 0
	rest := s
	if before, after, found := strings.Cut(s, "-"); found {
		n, err := strconv.Atoi(before)
		if err != nil || n < 0 {
			return 0, false
		}
		days, rest = n, after
	}
	parts := strings.Split(rest, ":")
	if len(parts) > 3 {
		return 0, false
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return 0, false
		}
		nums[i] = n
	}
	var h, m, sec int
	switch {
	case s != rest && len(nums) == 1: // days-hours
		h = nums[0]
	case s != rest && len(nums) == 2: // days-hours:minutes
		h, m = nums[0], nums[1]
	case len(nums) == 1: // minutes
		m = nums[0]
	case len(nums) == 2: // minutes:seconds
		m, sec = nums[0], nums[1]
	default: // [days-]hours:minutes:seconds
		h, m, sec = nums[0], nums[1], nums[2]
	}
	d = time.Duration(((days*24+h)*60+m)*60+sec) * time.Second
	return d, d > 0
}
