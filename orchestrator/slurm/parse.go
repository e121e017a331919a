package slurm

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Status is what one Poll saw of a submission's job arrays.
type Status struct {
	Arrays []ArrayStatus // in the order of the job ids given to Poll
}

// Active returns how many tasks of all arrays are pending or running (or in
// another state that is not final).
func (s Status) Active() int {
	n := 0
	for _, a := range s.Arrays {
		n += a.Active()
	}
	return n
}

// ArrayStatus is the state of one job array's tasks as squeue lists them.
type ArrayStatus struct {
	JobID string
	// Tasks maps an array index to its state. An index absent from it was
	// purged after it ended, or cancelled while pending; see Gone.
	Tasks map[int]TaskState
}

// TaskState is one array task's line of squeue.
type TaskState struct {
	State  string // squeue's %T: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ...
	Reason string // squeue's %r: why it waits or ended, "None" if nothing
}

// Final reports whether the state is one a job does not leave.
func (t TaskState) Final() bool { return finalStates[t.State] }

// Slurm's final job states (squeue's long names).
var finalStates = map[string]bool{
	"BOOT_FAIL": true, "CANCELLED": true, "COMPLETED": true, "DEADLINE": true,
	"FAILED": true, "NODE_FAIL": true, "OUT_OF_MEMORY": true, "PREEMPTED": true,
	"REVOKED": true, "TIMEOUT": true,
}

// Count returns how many listed tasks are in state.
func (a ArrayStatus) Count(state string) int {
	n := 0
	for _, t := range a.Tasks {
		if t.State == state {
			n++
		}
	}
	return n
}

// Active returns how many listed tasks are not in a final state.
func (a ArrayStatus) Active() int {
	n := 0
	for _, t := range a.Tasks {
		if !t.Final() {
			n++
		}
	}
	return n
}

// parseSqueue adds the lines of `squeue --noheader --array --format='%i %T
// %r'` to the arrays of st. A line of a job st does not hold is an error:
// squeue was asked for these jobs only.
func parseSqueue(st *Status, out []byte) error {
	byID := make(map[string]*ArrayStatus, len(st.Arrays))
	for i := range st.Arrays {
		byID[st.Arrays[i].JobID] = &st.Arrays[i]
	}
	return eachLine(out, func(line int, text string) error {
		f := strings.SplitN(text, " ", 3)
		if len(f) < 2 {
			return fmt.Errorf("slurm: squeue output line %d %q: want \"<job>_<task> <state> <reason>\"", line, text)
		}
		job, tasks, ok := strings.Cut(f[0], "_")
		if !ok {
			return fmt.Errorf("slurm: squeue output line %d %q: %q is not an array task", line, text, f[0])
		}
		a := byID[job]
		if a == nil {
			return fmt.Errorf("slurm: squeue output line %d %q: job %s was not asked for", line, text, job)
		}
		// squeue --array lists each task, but a pending range can still
		// appear in brackets, as in 7_[2-5%2].
		idx, err := parseTaskRange(strings.Trim(tasks, "[]"))
		if err != nil {
			return fmt.Errorf("slurm: squeue output line %d %q: %v", line, text, err)
		}
		t := TaskState{State: f[1], Reason: "None"}
		if len(f) == 3 {
			t.Reason = f[2]
		}
		for _, i := range idx {
			a.Tasks[i] = t
		}
		return nil
	})
}

// maxTasks bounds what parseTaskRange expands: Slurm's own MaxArraySize
// cannot exceed 4,000,001.
const maxTasks = 4_000_001

// parseTaskRange expands Slurm's array index syntax, "3", "0-9", "1,4-6",
// "0-9:2" or any of them with a "%K" throttle, into indices.
func parseTaskRange(s string) ([]int, error) {
	spec, _, _ := strings.Cut(s, "%")
	var idx []int
	for part := range strings.SplitSeq(spec, ",") {
		rng, stepText, hasStep := strings.Cut(part, ":")
		loText, hiText, isRange := strings.Cut(rng, "-")
		lo, err := strconv.Atoi(loText)
		hi := lo
		if err == nil && isRange {
			hi, err = strconv.Atoi(hiText)
		}
		step := 1
		if err == nil && hasStep {
			step, err = strconv.Atoi(stepText)
		}
		if err != nil || lo < 0 || hi < lo || step < 1 || hi >= maxTasks {
			return nil, fmt.Errorf("bad array index range %q", s)
		}
		if len(idx)+(hi-lo)/step >= maxTasks {
			return nil, fmt.Errorf("array index range %q holds more than %d tasks", s, maxTasks)
		}
		for i := lo; i <= hi; i += step {
			idx = append(idx, i)
		}
	}
	return idx, nil
}

// TaskExit is how one array task ended or stands, from `scontrol show job`.
type TaskExit struct {
	Task     int    // the array index
	State    string // JobState: COMPLETED, FAILED, CANCELLED, TIMEOUT, PENDING, RUNNING, ...
	Reason   string // Reason, e.g. NonZeroExitCode; "None" if nothing
	ExitCode int    // the batch script's exit status
	Signal   int    // the signal that ended it, 0 if none
}

// parseShowJob reads `scontrol --oneliner show job <array>`: one record per
// line, one per task that has its own record, plus one for the tasks still
// pending together (ArrayTaskId=2-5%2). The result is sorted by task.
func parseShowJob(out []byte) ([]TaskExit, error) {
	var exits []TaskExit
	err := eachLine(out, func(line int, text string) error {
		rec := showJobFields(text)
		where := func(key string) error {
			return fmt.Errorf("slurm: scontrol show job line %d: key %s: missing or malformed in %.80q", line, key, text)
		}
		tasks, err := parseTaskRange(rec["ArrayTaskId"])
		if err != nil {
			return where("ArrayTaskId")
		}
		state := rec["JobState"]
		if state == "" {
			return where("JobState")
		}
		code, sig, ok := parseExitCode(rec["ExitCode"])
		if !ok {
			return where("ExitCode")
		}
		for _, t := range tasks {
			exits = append(exits, TaskExit{Task: t, State: state, Reason: rec["Reason"], ExitCode: code, Signal: sig})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(exits, func(a, b TaskExit) int { return a.Task - b.Task })
	return exits, nil
}

// showJobFields splits one scontrol record into its Key=Value fields. Values
// may hold spaces (Reason, Command, WorkDir), so a field runs up to the next
// " Key=" whose key is a word; the first occurrence of a key wins, since the
// keys read here come before the free-text ones.
func showJobFields(rec string) map[string]string {
	fields := map[string]string{}
	var key string
	var val strings.Builder
	flush := func() {
		if _, dup := fields[key]; key != "" && !dup {
			fields[key] = val.String()
		}
	}
	for tok := range strings.SplitSeq(rec, " ") {
		if k, v, ok := strings.Cut(tok, "="); ok && isKey(k) {
			flush()
			key = k
			val.Reset()
			val.WriteString(v)
			continue
		}
		if key != "" {
			val.WriteByte(' ')
			val.WriteString(tok)
		}
	}
	flush()
	return fields
}

// isKey reports whether k looks like one of scontrol's keys, such as
// JobState, AllocNode:Sid or CPUs/Task.
func isKey(k string) bool {
	if k == "" || k[0] < 'A' || k[0] > 'Z' {
		return false
	}
	for _, r := range k {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == ':' || r == '/' || r == '_'
		if !ok {
			return false
		}
	}
	return true
}

// parseExitCode reads scontrol's "status:signal".
func parseExitCode(s string) (code, sig int, ok bool) {
	a, b, found := strings.Cut(s, ":")
	if !found {
		return 0, 0, false
	}
	code, err1 := strconv.Atoi(a)
	sig, err2 := strconv.Atoi(b)
	return code, sig, err1 == nil && err2 == nil
}

// errStop ends an eachLine early without an error.
var errStop = errors.New("stop")

// parseMaxArraySize finds "MaxArraySize = N" in `scontrol show config`.
func parseMaxArraySize(out []byte) (int, error) {
	n := -1
	err := eachLine(out, func(_ int, text string) error {
		k, v, ok := strings.Cut(text, "=")
		if !ok || strings.TrimSpace(k) != "MaxArraySize" {
			return nil
		}
		var err error
		if n, err = strconv.Atoi(strings.TrimSpace(v)); err != nil || n < 0 {
			return fmt.Errorf("slurm: scontrol show config: MaxArraySize = %q is not a count", strings.TrimSpace(v))
		}
		return errStop
	})
	switch {
	case err == errStop:
		return n, nil
	case err != nil:
		return 0, err
	}
	return 0, fmt.Errorf("slurm: scontrol show config has no MaxArraySize")
}
