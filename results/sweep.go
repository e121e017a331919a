package results

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
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

	byID map[string]*TrialRuns // Trials by ID, as loaded
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

// Trial returns the runs of the trial with the given ID, or nil. It looks
// the ID up in a map for a sweep as loaded: `sweep run` asks for every
// trial of its grid, and scanning Trials made that quadratic (seconds at
// 100,000 trials). A Sweep built by hand, or whose Trials changed, is
// scanned.
func (s *Sweep) Trial(id string) *TrialRuns {
	if s.byID != nil && len(s.byID) == len(s.Trials) {
		return s.byID[id]
	}
	for _, tr := range s.Trials {
		if tr.ID == id {
			return tr
		}
	}
	return nil
}

// finished reports whether a status ends a trial run for good: succeeded,
// failed and pruned runs count for a report; interrupted runs run again.
func finished(s Status) bool { return s == StatusSucceeded || s == StatusFailed || s == StatusPruned }

// LoadSweep reads every <dir>/<trial>/<run>/trial.json. Records that cannot
// be read or parsed, and run directories without a record, are skipped and
// listed in Sweep.Warnings, so that a sweep still running (or one that was
// killed) can be reported on. Files and hidden entries at both levels are
// ignored, as is GridFile. LoadSweep fails only when dir itself cannot be
// read.
func LoadSweep(dir string) (*Sweep, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("results: sweep directory: %w", err)
	}
	dirs := visibleTrialDirs(dir, entries)
	parallel(len(dirs), func(i int) { dirs[i].runs, dirs[i].err = readRuns(dirs[i].path) })
	return assemble(dir, dirs), nil
}

// assemble groups the runs read from a sweep's trial directories into a
// Sweep, noting what could not be read among its warnings.
func assemble(dir string, dirs []trialDir) *Sweep {
	s := &Sweep{Dir: dir}
	byID := make(map[string]*TrialRuns)
	for _, d := range dirs {
		if d.err != nil {
			s.warnf("%s: %v", d.path, d.err)
			continue
		}
		for _, rs := range d.runs {
			if errors.Is(rs.err, fs.ErrNotExist) {
				s.warnf("%s: no %s (a run starting, or killed before its first record)", rs.path, TrialFile)
				s.Unrecorded = append(s.Unrecorded, rs.path)
				continue
			}
			if rs.err != nil {
				s.warnf("%v", rs.err)
				continue
			}
			tr := byID[rs.trial.ID]
			if tr == nil {
				tr = &TrialRuns{ID: rs.trial.ID}
				byID[rs.trial.ID] = tr
				s.Trials = append(s.Trials, tr)
			}
			tr.Runs = append(tr.Runs, &Run{Dir: rs.path, Trial: rs.trial})
		}
	}
	for _, tr := range s.Trials {
		tr.settle()
	}
	s.byID = byID
	sort.SliceStable(s.Trials, func(i, j int) bool {
		a, b := s.Trials[i], s.Trials[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	return s
}

// settle orders a trial's runs and picks its name and finished run.
func (tr *TrialRuns) settle() {
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

// trialDir is what a trial's directory holds: its runs' records, in
// directory order, or why it could not be listed.
type trialDir struct {
	name string // the directory's name in the sweep directory
	path string
	runs []runRecord
	err  error

	// For LoadSweepIndexed: what the next index holds of the directory,
	// and whether this load read from the files something that the index
	// did not hold; fromIndex counts the runs taken from the index.
	indexed   *indexedDir
	reread    bool
	fromIndex int
}

type runRecord struct {
	path  string
	trial *Trial
	err   error
}

// visibleTrialDirs returns the trial directories among a sweep
// directory's entries, in their order: the visible directories.
func visibleTrialDirs(dir string, entries []fs.DirEntry) []trialDir {
	var out []trialDir
	for _, e := range entries {
		if isVisibleDir(e) {
			out = append(out, trialDir{name: e.Name(), path: filepath.Join(dir, e.Name())})
		}
	}
	return out
}

// parallel calls f(0), ..., f(n-1) on several goroutines: a sweep of
// 100,000 trials is 100,000 directories and records, and reading them one
// by one leaves the cores idle while the disk answers.
func parallel(n int, f func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, 4*runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// readRuns reads the records of the run directories in a trial's
// directory.
func readRuns(trialPath string) ([]runRecord, error) {
	names, err := runDirNames(trialPath)
	if err != nil {
		return nil, err
	}
	runs := make([]runRecord, len(names))
	for i, name := range names {
		path := filepath.Join(trialPath, name)
		t, err := readTrial(filepath.Join(path, TrialFile))
		runs[i] = runRecord{path, t, err}
	}
	return runs, nil
}

// runDirNames lists the run directories in a trial's directory: the
// visible directories.
func runDirNames(trialPath string) ([]string, error) {
	entries, err := os.ReadDir(trialPath)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if isVisibleDir(e) {
			names = append(names, e.Name())
		}
	}
	return names, nil
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
