package slurm

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
)

// ReadBatch reads a batch file that Submit wrote, batch-<task>.txt: one trial
// ID per line; blank lines and lines starting with # (for batches written by
// hand) are skipped. `sweep worker --batch` runs the trials it lists, in
// order. A batch may be empty: a search worker's then only asks for new
// trials.
func ReadBatch(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("slurm: %w", err)
	}
	var trialIDs []string
	err = eachLine(b, func(line int, text string) error {
		if strings.HasPrefix(text, "#") {
			return nil
		}
		if err := checkTrialID(text); err != nil {
			return fmt.Errorf("%s:%d: %v", path, line, err)
		}
		trialIDs = append(trialIDs, text)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return trialIDs, nil
}

// checkTrialID refuses a trial ID that cannot stand on a line of a batch
// file.
func checkTrialID(id string) error {
	if id == "" || strings.IndexFunc(id, unicode.IsSpace) >= 0 || strings.HasPrefix(id, "#") {
		return fmt.Errorf("trial id %q: must be non-empty, without white space, not starting with #", id)
	}
	return nil
}

// LoadSubmitted reads back what Submit did from the JobsFile in a
// submission's directory, so that a later command (sweep run after
// --detach, sweep report) can poll or cancel the jobs.
func LoadSubmitted(dir string) (*Submitted, error) {
	path := filepath.Join(dir, JobsFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("slurm: %w", err)
	}
	res := &Submitted{Dir: dir}
	err = eachLine(b, func(line int, text string) error {
		a, err := parseJobsLine(text)
		if err != nil {
			return fmt.Errorf("%s:%d: %v", path, line, err)
		}
		if want := res.tasks(); a.Offset != want {
			return fmt.Errorf("%s:%d: offset %d, want %d (the tasks of the arrays before)", path, line, a.Offset, want)
		}
		a.Script = scriptPath(dir, len(res.Arrays))
		res.Arrays = append(res.Arrays, a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(res.Arrays) == 0 {
		return nil, fmt.Errorf("%s: no jobs", path)
	}
	return res, nil
}

// tasks returns how many tasks the arrays of s hold together.
func (s *Submitted) tasks() int {
	n := 0
	for _, a := range s.Arrays {
		n += a.Tasks
	}
	return n
}

// BatchFile is the file that lists the trial IDs of task i, counted across
// all arrays of the submission (see Submission.Batches).
func (s *Submitted) BatchFile(task int) string { return batchPath(s.Dir, task) }

// Batches reads back the trial IDs of every task of the submission, by task.
func (s *Submitted) Batches() ([][]string, error) {
	out := make([][]string, s.tasks())
	for i := range out {
		ids, err := ReadBatch(s.BatchFile(i))
		if err != nil {
			return nil, err
		}
		out[i] = ids
	}
	return out, nil
}

// jobsText renders the JobsFile of s.
func (s *Submitted) jobsText() string {
	var b strings.Builder
	for _, a := range s.Arrays {
		fmt.Fprintf(&b, "%s %d %d\n", a.JobID, a.Offset, a.Tasks)
	}
	return b.String()
}

// parseJobsLine reads one line of the JobsFile: "<job id> <offset> <tasks>".
func parseJobsLine(text string) (Array, error) {
	f := strings.Fields(text)
	if len(f) != 3 {
		return Array{}, fmt.Errorf("%q: want \"<job id> <offset> <tasks>\"", text)
	}
	if err := checkJobID(f[0]); err != nil {
		return Array{}, err
	}
	off, err1 := strconv.Atoi(f[1])
	n, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil || off < 0 || n < 1 {
		return Array{}, fmt.Errorf("%q: offset and tasks must be counts, tasks at least 1", text)
	}
	return Array{JobID: f[0], Offset: off, Tasks: n}, nil
}

// scriptPath is the sbatch script of the i-th array of the submission in dir.
func scriptPath(dir string, i int) string {
	return filepath.Join(dir, "array-"+strconv.Itoa(i)+".sh")
}

// eachLine calls fn with each non-blank line of b, trimmed, and its 1-based
// number, and stops at fn's first error.
func eachLine(b []byte, fn func(line int, text string) error) error {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	line := 1
	for ; sc.Scan(); line++ {
		if text := strings.TrimSpace(sc.Text()); text != "" {
			if err := fn(line, text); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("slurm: line %d: %w", line, err)
	}
	return nil
}
