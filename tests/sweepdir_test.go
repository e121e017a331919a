//go:build unix

package tests

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sweep-ml/sweep/logger"
	"github.com/sweep-ml/sweep/results"
)

// These helpers read a sweep directory on their own, with the record type
// and the event-file reader but not with package results' loading, so that
// a bug there cannot hide the same bug in what `sweep` wrote.

// sweepTrial is one trial directory of a sweep and its runs, oldest first.
type sweepTrial struct {
	name string
	runs []sweepRun
}

// sweepRun is one run directory and its record.
type sweepRun struct {
	dir string
	rec *results.Trial
}

// readTrialFile decodes a trial.json strictly: an unknown field means the
// record and its reader disagree.
func readTrialFile(path string) (*results.Trial, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var rec results.Trial
	if err := dec.Decode(&rec); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &rec, nil
}

// runDirs lists a sweep directory's run directories: <dir>/<trial>/<run>/.
// Hidden directories (a Slurm sweep's .slurm) are not trials.
func runDirs(dir string) ([]string, error) {
	dirs, err := filepath.Glob(filepath.Join(dir, "*", "*"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range dirs {
		rel, _ := filepath.Rel(dir, d)
		if strings.HasPrefix(rel, ".") || strings.HasPrefix(filepath.Base(d), ".") {
			continue
		}
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			out = append(out, d)
		}
	}
	return out, nil
}

// countStatuses counts a sweep's run records by status. A run directory
// whose record is not written yet is skipped (the sweep may be starting
// it); a record that does not parse is an error, since records are
// written atomically.
func countStatuses(dir string) (map[string]int, error) {
	dirs, err := runDirs(dir)
	if err != nil {
		return nil, err
	}
	seen := map[string]int{}
	for _, d := range dirs {
		rec, err := readTrialFile(filepath.Join(d, results.TrialFile))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		seen[string(rec.Status)]++
	}
	return seen, nil
}

// readSweep reads every run of a sweep directory that no sweep is writing
// to, and checks it:
//   - every run directory holds a trial.json that parses, named for its
//     trial directory, and an event file; all but abandoned ones hold the
//     model's log;
//   - a finished or interrupted run's events are whole, start an HParams
//     session with the seed and every swept hyperparameter, and end it with
//     the run's status;
//   - a succeeded or pruned run's events hold one train_loss and val_loss
//     per epoch run, and its best_val_loss as the record says (as float32,
//     the precision of TensorBoard scalars); its session ended as a success.
//
// Only a run a killed sweep abandoned (still "running", or marked so by the
// next run) may have a truncated event file and no session end, and only
// one killed between making its directory and writing its first record
// (which the next run then wrote) may have no event file at all.
//
// Each of checks also runs on every succeeded run.
func readSweep(dir string, checks ...succeededCheck) ([]sweepTrial, error) {
	dirs, err := runDirs(dir)
	if err != nil {
		return nil, err
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("%s holds no run directory", dir)
	}
	byName := map[string]*sweepTrial{}
	var trials []*sweepTrial
	for _, d := range dirs {
		rec, err := readTrialFile(filepath.Join(d, results.TrialFile))
		if errors.Is(err, os.ErrNotExist) {
			// A sweep killed between making a run directory and writing
			// its first record leaves one; the next run should adopt it.
			return nil, fmt.Errorf("%s: a run directory without %s", d, results.TrialFile)
		}
		if err != nil {
			return nil, err
		}
		name := filepath.Base(filepath.Dir(d))
		if rec.Name != name {
			return nil, fmt.Errorf("%s: record names trial %q", d, rec.Name)
		}
		if err := checkEvents(d, rec, checks); err != nil {
			return nil, err
		}
		tr := byName[name]
		if tr == nil {
			tr = &sweepTrial{name: name}
			byName[name] = tr
			trials = append(trials, tr)
		}
		tr.runs = append(tr.runs, sweepRun{dir: d, rec: rec})
	}
	out := make([]sweepTrial, len(trials))
	for i, tr := range trials {
		sort.SliceStable(tr.runs, func(a, b int) bool {
			ra, rb := tr.runs[a], tr.runs[b]
			if !ra.rec.StartedAt.Equal(rb.rec.StartedAt) {
				return ra.rec.StartedAt.Before(rb.rec.StartedAt)
			}
			return ra.dir < rb.dir
		})
		out[i] = *tr
	}
	sort.Slice(out, func(a, b int) bool { return out[a].name < out[b].name })
	return out, nil
}

// abandoned reports whether a run was left behind by a killed sweep.
func abandoned(rec *results.Trial) bool {
	return rec.Status == results.StatusRunning ||
		(rec.Status == results.StatusInterrupted && strings.HasPrefix(rec.Error, "abandoned"))
}

// checkEvents checks a run's event files against its record (see readSweep).
func checkEvents(dir string, rec *results.Trial, checks []succeededCheck) error {
	run, err := logger.ReadRun(dir)
	if run == nil || len(run.Files) == 0 {
		if abandoned(rec) && strings.Contains(rec.Error, "before it wrote its first record") {
			return nil
		}
		return fmt.Errorf("%s: no event file: %v", dir, err)
	}
	if abandoned(rec) {
		if err != nil && !errors.Is(err, logger.ErrTruncated) {
			return fmt.Errorf("%s: %w", dir, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s (%s): %w", dir, rec.Status, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "model.log")); err != nil {
		return fmt.Errorf("%s: the model's log: %w", dir, err)
	}
	if run.SessionStart == nil {
		return fmt.Errorf("%s (%s): no HParams session start", dir, rec.Status)
	}
	for _, name := range append([]string{"seed"}, rec.Swept...) {
		if _, ok := run.SessionStart.HParams[name]; !ok {
			return fmt.Errorf("%s: the HParams session start lacks %s (it has %v)", dir, name, logger.Tags(run.SessionStart.HParams))
		}
	}
	want := logger.StatusFailure
	ended := rec.Status == results.StatusSucceeded || rec.Status == results.StatusPruned
	if ended {
		want = logger.StatusSuccess // a pruned trial ended as the sweep decided
	}
	if run.SessionEnd == nil || run.SessionEnd.Status != want {
		return fmt.Errorf("%s (%s): HParams session end %+v, want status %v", dir, rec.Status, run.SessionEnd, want)
	}
	if !ended {
		return nil
	}
	if rec.ResumedFrom != "" {
		if run, err = withEarlierRuns(dir, rec, run); err != nil {
			return err
		}
	}
	for _, tag := range []string{"train_loss", "val_loss"} {
		if n := len(run.Scalars[tag]); int64(n) != rec.EpochsRun {
			return fmt.Errorf("%s: %d %s points for %d epochs run", dir, n, tag, rec.EpochsRun)
		}
	}
	if rec.BestValLoss != nil {
		best := run.Scalars["best_val_loss"]
		if len(best) != 1 || float32(best[0].Value) != float32(*rec.BestValLoss) {
			return fmt.Errorf("%s: best_val_loss events %v, record %v", dir, best, *rec.BestValLoss)
		}
	}
	if rec.Status == results.StatusPruned {
		return nil // the checks below are of a trial that ran all its epochs
	}
	for _, check := range checks {
		if err := check(run, rec); err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
	}
	return nil
}

// withEarlierRuns adds to a resumed run's events those of the interrupted
// runs it continued, so that the checks see the trial's whole curve; and it
// checks that no step's scalars were logged twice across them: TensorBoard
// shows the runs as one curve. The runs it continued are the interrupted
// runs between it and the run whose state it resumed, that run, and, back
// the same way, the runs that run continued in turn: a run that started
// from epoch 0 ends the chain (runs before it were restarts, curves of
// their own).
func withEarlierRuns(dir string, rec *results.Trial, run *logger.Run) (*logger.Run, error) {
	siblings, err := filepath.Glob(filepath.Join(filepath.Dir(dir), "*", results.TrialFile))
	if err != nil {
		return nil, err
	}
	type earlier struct {
		dir string
		rec *results.Trial
	}
	var runs []earlier
	for _, f := range siblings {
		if r, err := readTrialFile(f); err == nil && r.StartedAt.Before(rec.StartedAt) {
			runs = append(runs, earlier{filepath.Dir(f), r})
		}
	}
	sort.Slice(runs, func(a, b int) bool { return runs[a].rec.StartedAt.Before(runs[b].rec.StartedAt) })
	merged := *run
	merged.Scalars, merged.Histograms = maps.Clone(run.Scalars), maps.Clone(run.Histograms)
	resumedFound := false
	want := rec.ResumedFrom // the run the chain continues back to
	for i := len(runs) - 1; i >= 0 && runs[i].rec.Status == results.StatusInterrupted && want != ""; i-- {
		if filepath.Base(runs[i].dir) == want {
			resumedFound = resumedFound || want == rec.ResumedFrom
			want = runs[i].rec.ResumedFrom // "" when it started from epoch 0
		}
		ev, _ := logger.ReadRun(runs[i].dir) // a killed run's last record may be cut short
		if ev == nil {
			continue
		}
		for tag, pts := range ev.Scalars {
			if !strings.HasPrefix(tag, "best_") {
				// The summary of a session (one killed after its training
				// ended, before its record) is that session's own.
				merged.Scalars[tag] = append(slices.Clone(merged.Scalars[tag]), pts...)
			}
		}
		for tag, pts := range ev.Histograms {
			merged.Histograms[tag] = append(slices.Clone(merged.Histograms[tag]), pts...)
		}
	}
	if !resumedFound {
		return nil, fmt.Errorf("%s: resumed from %s, which is not an interrupted run just before it", dir, rec.ResumedFrom)
	}
	for tag, pts := range merged.Scalars {
		seen := map[int64]bool{}
		for _, p := range pts {
			if seen[p.Step] {
				return nil, fmt.Errorf("%s: %s logged twice at step %d across the runs it resumed", dir, tag, p.Step)
			}
			seen[p.Step] = true
		}
		slices.SortFunc(pts, func(a, b logger.ScalarPoint) int { return cmp.Compare(a.Step, b.Step) })
	}
	for _, pts := range merged.Histograms {
		slices.SortFunc(pts, func(a, b logger.HistogramPoint) int { return cmp.Compare(a.Step, b.Step) })
	}
	return &merged, nil
}

// succeededCheck is a further check of a succeeded run's events.
type succeededCheck func(run *logger.Run, rec *results.Trial) error

// ffnEvents checks what the built-in FFN logs besides the losses: the model
// graph; learning_rate, pred_mean and pred_std every epoch; and the first
// layer's weight and gradient histograms at the first and the last epoch.
func ffnEvents(run *logger.Run, rec *results.Trial) error {
	if run.Graph == nil || len(run.Graph.Nodes) == 0 {
		return errors.New("no model graph")
	}
	for _, tag := range []string{"learning_rate", "pred_mean", "pred_std"} {
		if n := len(run.Scalars[tag]); int64(n) != rec.EpochsRun {
			return fmt.Errorf("%d %s points for %d epochs run", n, tag, rec.EpochsRun)
		}
	}
	// A resumed run replays its state's epochs without their histograms:
	// those may be lost with the events a killed run had not written, and
	// the first is then the first histogram epoch at or after the resumed
	// ones (histograms come every log_every epochs: the steps' spacing).
	for _, tag := range []string{"weights/network.0.weight", "gradients/network.0.weight"} {
		h := run.Histograms[tag]
		first := rec.ResumedEpochs
		if len(h) > 1 && first > 0 {
			first += h[1].Step - h[0].Step - 1
		}
		if len(h) == 0 || h[0].Step > first || h[len(h)-1].Step != rec.EpochsRun-1 {
			return fmt.Errorf("%s histograms at steps %v; want the first and the last epoch (%d)", tag, histSteps(h), rec.EpochsRun-1)
		}
	}
	return nil
}

func histSteps(h []logger.HistogramPoint) []int64 {
	steps := make([]int64, len(h))
	for i, p := range h {
		steps[i] = p.Step
	}
	return steps
}

func cmdSamecurves(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: samecurves DIR1 DIR2")
	}
	diffs, summary, err := compareSweeps(ts.MkAbs(args[0]), ts.MkAbs(args[1]))
	ts.Check(err)
	switch {
	case len(diffs) > 0:
		fmt.Fprintln(ts.Stderr(), strings.Join(diffs, "\n"))
		if !neg {
			ts.Fatalf("%s and %s differ", args[0], args[1])
		}
	case neg:
		ts.Fatalf("%s and %s are the same: %s", args[0], args[1], summary)
	default:
		fmt.Fprintln(ts.Stdout(), summary)
	}
}

// compareSweeps compares two sweep directories that each hold one
// succeeded run per trial: the event series first (steps and values, not
// wall times), then the records' identities and metrics, all exactly.
// It returns the differences found and, when there are none, a summary of
// what was compared.
func compareSweeps(dir1, dir2 string) (diffs []string, summary string, err error) {
	a, err := singleRuns(dir1)
	if err != nil {
		return nil, "", err
	}
	b, err := singleRuns(dir2)
	if err != nil {
		return nil, "", err
	}
	if !reflect.DeepEqual(sortedKeys(a), sortedKeys(b)) {
		return []string{fmt.Sprintf("trials %v and %v", sortedKeys(a), sortedKeys(b))}, "", nil
	}
	points, hists := 0, 0
	for _, name := range sortedKeys(a) {
		ra, rb := a[name], b[name]
		ea, err := logger.ReadRun(ra.dir)
		if err != nil {
			return nil, "", err
		}
		eb, err := logger.ReadRun(rb.dir)
		if err != nil {
			return nil, "", err
		}
		for _, tag := range union(logger.Tags(ea.Scalars), logger.Tags(eb.Scalars)) {
			sa, sb := stepValues(ea.Scalars[tag]), stepValues(eb.Scalars[tag])
			if !reflect.DeepEqual(sa, sb) {
				diffs = append(diffs, fmt.Sprintf("%s: %s series differ: %v vs %v", name, tag, sa, sb))
			}
			points += len(sa)
		}
		for _, tag := range union(logger.Tags(ea.Histograms), logger.Tags(eb.Histograms)) {
			ha, hb := ea.Histograms[tag], eb.Histograms[tag]
			if len(ha) != len(hb) {
				diffs = append(diffs, fmt.Sprintf("%s: %d and %d %s histograms", name, len(ha), len(hb), tag))
				continue
			}
			for i := range ha {
				if ha[i].Step != hb[i].Step || !reflect.DeepEqual(ha[i].Histogram, hb[i].Histogram) {
					diffs = append(diffs, fmt.Sprintf("%s: %s histogram at step %d differs", name, tag, ha[i].Step))
				}
			}
			hists += len(ha)
		}
		if d := compareRecords(ra.rec, rb.rec); d != "" {
			diffs = append(diffs, name+": "+d)
		}
	}
	return diffs, fmt.Sprintf("%d trials identical: %d scalar points, %d histograms", len(a), points, hists), nil
}

// singleRuns maps a sweep's trial names to their one run, which must have
// succeeded.
func singleRuns(dir string) (map[string]sweepRun, error) {
	trials, err := readSweep(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]sweepRun{}
	for _, tr := range trials {
		if st := tr.runs[0].rec.Status; len(tr.runs) != 1 || (st != results.StatusSucceeded && st != results.StatusPruned) {
			return nil, fmt.Errorf("%s: trial %s has %d runs; want one that succeeded or was pruned", dir, tr.name, len(tr.runs))
		}
		out[tr.name] = tr.runs[0]
	}
	return out, nil
}

// compareRecords describes how two records' identities and results differ.
func compareRecords(a, b *results.Trial) string {
	type outcome struct {
		ID, ConfigID                          string
		Seed                                  int64
		Params                                map[string]any
		BestValLoss, FinalTrainLoss, FinalVal *float64
		BestEpoch, EpochsRun                  int64
		StoppedEarly                          bool
	}
	of := func(r *results.Trial) outcome {
		return outcome{r.ID, r.ConfigID, r.Seed, r.Params, r.BestValLoss, r.FinalTrainLoss, r.FinalValLoss,
			r.BestEpoch, r.EpochsRun, r.StoppedEarly}
	}
	oa, ob := of(a), of(b)
	if reflect.DeepEqual(oa, ob) {
		return ""
	}
	ja, _ := json.Marshal(oa)
	jb, _ := json.Marshal(ob)
	return fmt.Sprintf("records differ:\n\t%s\n\t%s", ja, jb)
}

// stepValue is a scalar point without its wall time.
type stepValue struct {
	Step  int64
	Value float64
}

func stepValues(points []logger.ScalarPoint) []stepValue {
	out := make([]stepValue, len(points))
	for i, p := range points {
		out[i] = stepValue{p.Step, p.Value}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func union(a, b []string) []string {
	set := map[string]bool{}
	for _, s := range append(append([]string(nil), a...), b...) {
		set[s] = true
	}
	return sortedKeys(set)
}

// cmdExperiment prints the HParams experiment summary at the root of a
// sweep directory, one line per hyperparameter with its domain and one per
// metric, or says there is none; the root must hold at most one event file.
//
//	experiment DIR
func cmdExperiment(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "experiment")
	if len(args) != 1 {
		ts.Fatalf("usage: experiment DIR")
	}
	dir := ts.MkAbs(args[0])
	files, err := filepath.Glob(filepath.Join(dir, "*tfevents*"))
	ts.Check(err)
	switch {
	case len(files) == 0:
		fmt.Fprintln(ts.Stdout(), "no experiment summary")
		return
	case len(files) > 1:
		ts.Fatalf("%s holds %d event files, want one: %v", args[0], len(files), files)
	}
	run, err := logger.ReadFile(files[0])
	ts.Check(err)
	if run.Experiment == nil {
		ts.Fatalf("%s: an event file without an experiment summary", files[0])
	}
	for _, h := range run.Experiment.HParams {
		values := make([]string, len(h.Domain))
		for i, v := range h.Domain {
			values[i] = formatHParam(v)
		}
		fmt.Fprintf(ts.Stdout(), "hparam %s: %s\n", h.Name, strings.Join(values, ", "))
	}
	for _, m := range run.Experiment.Metrics {
		fmt.Fprintf(ts.Stdout(), "metric %s\n", m.Tag)
	}
}

func formatHParam(v logger.HParamValue) string {
	switch v.Type {
	case logger.HParamNumber:
		return strconv.FormatFloat(v.Number, 'g', -1, 64)
	case logger.HParamBool:
		return strconv.FormatBool(v.Bool)
	default:
		return strconv.Quote(v.String)
	}
}
