package results

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// GridFile is the name of the grid as run, kept at the root of a sweep
// directory for provenance.
const GridFile = "sweep.toml"

// Sweep is what a sweep directory holds: every trial run found on disk,
// grouped by trial ID.
type Sweep struct {
	// Dir is the sweep directory as given to LoadSweep.
	Dir string
	// Trials holds one entry per trial ID, ordered by name then ID.
	Trials []*TrialRuns
	// Unrecorded lists the run directories that hold no trial.json: a run
	// between creating its directory and writing its first record, or one
	// killed in that instant (see Warnings too).
	Unrecorded []string
	// Warnings lists what LoadSweep skipped and why (an unreadable or
	// partial trial.json, a run directory without a record), each naming
	// the path. A sweep that is still running can produce some of these.
	Warnings []string
}

// TrialRuns is every run of one trial (first run, re-runs, retries).
type TrialRuns struct {
	ID   string
	Name string // from the latest run's record
	// Runs is ordered by StartedAt, then by run directory name.
	Runs []*Run
	// Finished is the latest run whose status is succeeded, failed or pruned, or
	// nil if there is none yet. It is the run a report counts.
	Finished *Run
}

// Run is one run of a trial: a timestamped run directory and its record.
type Run struct {
	Dir   string // the run directory, holding trial.json and the event files
	Trial *Trial // the record read from Dir/trial.json
}

// InProgress reports whether the run's record says it is still running.
// Whether the process that owns it is alive is for the caller to decide,
// from the record's Host and PID: a killed sweep leaves such records behind.
func (r *Run) InProgress() bool { return r.Trial.Status == StatusRunning }

// Latest returns the most recent run of any status. It panics if tr has no
// runs, which LoadSweep never produces.
func (tr *TrialRuns) Latest() *Run { return tr.Runs[len(tr.Runs)-1] }

// InProgress returns the runs whose record says they are still running.
func (tr *TrialRuns) InProgress() []*Run {
	var out []*Run
	for _, r := range tr.Runs {
		if r.InProgress() {
			out = append(out, r)
		}
	}
	return out
}

// Trial returns the runs of the trial with the given ID, or nil.
func (s *Sweep) Trial(id string) *TrialRuns {
	for _, tr := range s.Trials {
		if tr.ID == id {
			return tr
		}
	}
	return nil
}

// finished reports whether a status ends a trial run for good: succeeded
// and failed runs count for a report; interrupted runs run again.
func finished(s Status) bool { return s == StatusSucceeded || s == StatusFailed || s == StatusPruned }

// LoadSweep reads every <dir>/<trial>/<run>/trial.json. Records that cannot
// be read or parsed, and run directories without a record, are skipped and
// listed in Sweep.Warnings, so that a sweep still running (or one that was
// killed) can be reported on. Files and hidden entries at both levels are
// ignored, as is GridFile. LoadSweep fails only when dir itself cannot be
// read.
func LoadSweep(dir string) (*Sweep, error) {
	trialDirs, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("results: sweep directory: %w", err)
	}
	s := &Sweep{Dir: dir}
	byID := make(map[string]*TrialRuns)
	for _, td := range trialDirs {
		if !isVisibleDir(td) {
			continue
		}
		tdPath := filepath.Join(dir, td.Name())
		runDirs, err := os.ReadDir(tdPath)
		if err != nil {
			s.warnf("%s: %v", tdPath, err)
			continue
		}
		for _, rd := range runDirs {
			if !isVisibleDir(rd) {
				continue
			}
			runPath := filepath.Join(tdPath, rd.Name())
			t, err := readTrial(filepath.Join(runPath, TrialFile))
			if errors.Is(err, fs.ErrNotExist) {
				s.warnf("%s: no %s (a run starting, or killed before its first record)", runPath, TrialFile)
				s.Unrecorded = append(s.Unrecorded, runPath)
				continue
			}
			if err != nil {
				s.warnf("%v", err)
				continue
			}
			tr := byID[t.ID]
			if tr == nil {
				tr = &TrialRuns{ID: t.ID}
				byID[t.ID] = tr
				s.Trials = append(s.Trials, tr)
			}
			tr.Runs = append(tr.Runs, &Run{Dir: runPath, Trial: t})
		}
	}
	for _, tr := range s.Trials {
		sort.SliceStable(tr.Runs, func(i, j int) bool { return runBefore(tr.Runs[i], tr.Runs[j]) })
		tr.Name = tr.Latest().Trial.Name
		if tr.Name == "" {
			tr.Name = filepath.Base(filepath.Dir(tr.Latest().Dir))
		}
		for _, r := range tr.Runs {
			if finished(r.Trial.Status) {
				tr.Finished = r
			}
		}
	}
	sort.SliceStable(s.Trials, func(i, j int) bool {
		a, b := s.Trials[i], s.Trials[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	return s, nil
}

// runBefore orders runs by start time, then by directory name: timestamped
// names sort in time order, and they break ties between runs started within
// the record's clock resolution.
func runBefore(a, b *Run) bool {
	if !a.Trial.StartedAt.Equal(b.Trial.StartedAt) {
		return a.Trial.StartedAt.Before(b.Trial.StartedAt)
	}
	return a.Dir < b.Dir
}

func isVisibleDir(e fs.DirEntry) bool {
	return e.IsDir() && e.Name() != "" && e.Name()[0] != '.'
}

func (s *Sweep) warnf(format string, args ...any) {
	s.Warnings = append(s.Warnings, fmt.Sprintf(format, args...))
}
