// Package slurm runs a sweep's trials as one Slurm job array whose tasks run
// `sweep worker` over packed batches of trials, on a filesystem that the
// submitting host and the compute nodes share.
package slurm

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
	// worker SIGUSR1 (sbatch --signal=B:USR1@SignalSeconds), on which the
	// worker stops its trials, keeping their training states, and requeues
	// its task. 0 means DefaultSignalSeconds.
	SignalSeconds int `toml:"signal_seconds" json:"signal_seconds,omitempty"`
}

// DefaultSignalSeconds is the default of Config.SignalSeconds: time for the
// worker to end its trials cleanly and requeue its task. Slurm sends the
// signal up to a minute late (its event loop), so it must be more than that.
const DefaultSignalSeconds = 120
