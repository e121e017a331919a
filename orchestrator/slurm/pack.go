package slurm

import (
	"fmt"
	"strings"
	"time"
)

// Pack splits trialIDs, in their order, into consecutive batches of perTask
// IDs; the last batch holds the rest. The same input always gives the same
// batches, so that a batch file's content depends only on the sweep.
// The batches share trialIDs' backing array.
//
// Pack panics if perTask < 1.
func Pack(trialIDs []string, perTask int) [][]string {
	if perTask < 1 {
		panic(fmt.Sprintf("slurm: Pack: perTask %d < 1", perTask))
	}
	batches := make([][]string, 0, (len(trialIDs)+perTask-1)/perTask)
	for len(trialIDs) > 0 {
		n := min(perTask, len(trialIDs))
		batches = append(batches, trialIDs[:n:n])
		trialIDs = trialIDs[n:]
	}
	return batches
}

// DefaultTaskSeconds is the target duration of an array task when the
// configuration names neither TrialsPerTask nor TaskSeconds. Slurm starts
// roughly one task a second and each task pays for a job start and a worker
// start, so a task should last minutes, not seconds.
const DefaultTaskSeconds = 600

// PerTask returns how many trials one array task carries: cfg.TrialsPerTask
// when it is set; otherwise as many as fill cfg.TaskSeconds (DefaultTaskSeconds
// when 0) with trials of the estimated duration, run cfg.CPUsPerTask at a
// time. When cfg.Parallelism is set, it packs no more than keeps that many
// tasks busy with nTrials trials, so that packing never leaves granted slots
// idle. With no estimate (estimate <= 0) it packs one trial per worker.
// The result is at least 1.
func PerTask(cfg Config, nTrials int, estimate time.Duration) int {
	if cfg.TrialsPerTask > 0 {
		return cfg.TrialsPerTask
	}
	workers := max(cfg.CPUsPerTask, 1)
	per := workers
	if estimate > 0 {
		target := time.Duration(cfg.TaskSeconds) * time.Second
		if cfg.TaskSeconds <= 0 {
			target = DefaultTaskSeconds * time.Second
		}
		// Rounds of trials that fit the target, each round running one trial
		// per worker; a trial longer than the target still gets one round.
		rounds := max(int(target/estimate), 1)
		per = rounds * workers
	}
	if cfg.Parallelism > 0 && nTrials > 0 {
		per = min(per, max(ceilDiv(nTrials, cfg.Parallelism), 1))
	}
	return max(per, 1)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// Validate reports the first setting of c that cannot make a valid
// submission, naming its key in the [slurm] table.
func (c Config) Validate() error {
	for _, f := range []struct {
		key string
		v   int
	}{
		{"cpus_per_task", c.CPUsPerTask},
		{"parallelism", c.Parallelism},
		{"trials_per_task", c.TrialsPerTask},
		{"task_seconds", c.TaskSeconds},
		{"signal_seconds", c.SignalSeconds},
	} {
		if f.v < 0 {
			return fmt.Errorf("slurm.%s = %d: must not be negative", f.key, f.v)
		}
	}
	for _, f := range []struct{ key, v string }{
		{"partition", c.Partition},
		{"time", c.Time},
		{"mem", c.Mem},
	} {
		if err := checkWord(f.v); err != nil {
			return fmt.Errorf("slurm.%s = %q: %v", f.key, f.v, err)
		}
	}
	if err := c.checkSignalFits(); err != nil {
		return err
	}
	// Each argument lands on an #SBATCH line (see Submission), which sbatch
	// splits at white space.
	for i, a := range c.ExtraArgs {
		if err := checkWord(a); a == "" || err != nil {
			return fmt.Errorf("slurm.sbatch_args[%d] = %q: want a non-empty argument without white space", i, a)
		}
		if i == 0 && !strings.HasPrefix(a, "-") {
			return fmt.Errorf("slurm.sbatch_args[0] = %q: must be an option, starting with -", a)
		}
	}
	return nil
}

// checkWord refuses a value that would break the #SBATCH line it is written
// on: sbatch reads one option per line and stops at white space.
func checkWord(s string) error {
	if strings.ContainsAny(s, " \t\n\r\x00") {
		return fmt.Errorf("must not hold white space")
	}
	return nil
}
