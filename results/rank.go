package results

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat"
)

// RankOptions selects what Rank considers.
type RankOptions struct {
	// IDs, if not empty, restricts the ranking to these trial IDs (for
	// example the trials a grid expands to today, leaving out runs of an
	// older grid that share the sweep directory).
	IDs []string
}

// Ranking is a sweep's configurations ordered by their score: the best
// value of the objective's metric.
type Ranking struct {
	// Objective is what the scores measure (the latest record's).
	Objective Objective
	// Dir is the sweep directory; reports show run directories relative
	// to it.
	Dir string
	// Swept names the swept hyperparameters, in grid order, over all
	// ranked trials.
	Swept []string
	// Metrics names, sorted, every metric that the counted records of some
	// row sum up (Trial.Metrics).
	Metrics []string
	// Rows holds one row per configuration with at least one finished
	// trial: first the ranked ones (Rank 1, 2, ...), then the pruned ones
	// (Rank 0) from the furthest to the shortest, then those without a
	// finite score (Rank 0), by name.
	Rows []Row
	// Failed lists every trial whose latest finished run failed.
	Failed []Failure
	// InProgress lists the trials with no finished run yet.
	InProgress []Pending
	// Repeats reports whether any configuration has more than one trial
	// (several seeds), so that renderers show mean ± std and n.
	Repeats bool
	// Tested reports that some ranked configuration has two scores or
	// more, so that rows carry confidence intervals and comparisons with
	// the best (Row.Versus); without it, differences between rows are of
	// unknown significance and reports say so.
	Tested bool
	// Folds reports that some configuration's trials were walk-forward
	// trials (Trial.Folds), so that renderers show the spread over folds.
	Folds bool
	// Compared counts the comparisons with the best that Holm's method
	// adjusts for: every other ranked configuration, shown or not.
	Compared int
	// Importance is each swept hyperparameter's share of the score's
	// variance; Report sets it (see ParamImportance), Rank does not.
	Importance *ImportanceReport
	// Warnings are the sweep's loading warnings.
	Warnings []string
	// Search describes an adaptive search (nil for a grid); Pruned counts
	// the pruned trials by the epochs they had run when stopped.
	Search *SearchInfo
	Pruned map[int64]int
}

// SearchInfo is what a report says of an adaptive search beside its
// ranking: the sampler, its budget and how much of it is spent.
type SearchInfo struct {
	Sampler string `json:"sampler"`
	Budget  int    `json:"budget"` // configurations
	Asked   int    `json:"asked"`  // configurations asked so far
	Pruner  string `json:"pruner"` // "asha", "median" or "none"
}

// Row is one configuration: a single trial, or with repeats, the trials that
// share a ConfigID, aggregated over their seeds.
type Row struct {
	// Rank is 1-based; 0 marks a configuration that no succeeded trial
	// with a finite score ranks (pruned, failed or diverged), which comes
	// after all ranked ones.
	Rank     int
	ConfigID string
	// Name is the trial's name, or with repeats the part their names share.
	Name   string
	Trials []string       // the names of the configuration's finished trials, by repeat
	Dirs   []string       // the latest finished run directory of each of Trials
	Params map[string]any // the configuration's hyperparameters

	// The statistics are over the succeeded trials with a finite score; if
	// there are none, over every finished trial, for display only.
	Score           Stat
	BestEpoch       Stat
	FinalTrainLoss  Stat
	FinalValLoss    Stat
	EpochsRun       Stat
	DurationSeconds Stat
	// FoldScores are the walk-forward folds' scores of the counted trials,
	// every fold of every seed: their spread says how much the score
	// depends on the period. N is 0 for trials without folds.
	FoldScores Stat
	// Metrics holds, by name, the statistics of each metric the counted
	// trials' records sum up.
	Metrics map[string]MetricStat

	// CILow and CIHigh bound the 1-Alpha confidence interval of
	// Score.Mean (Student's t); NaN with fewer than two scores.
	CILow, CIHigh float64
	// Versus compares a ranked row's scores with the best row's when the
	// ranking is Tested; nil otherwise.
	Versus *Comparison

	// Status is the trial's status, or with repeats a count such as
	// "2/3 succeeded".
	Status string
	// Failures are the configuration's trials whose latest finished run
	// failed.
	Failures []Failure

	ranked bool              // some trial succeeded with a finite score
	pruned bool              // not ranked, and some trial was pruned
	scores map[int64]float64 // seed -> score of the trials ranking it
}

// MetricStat is a metric's best and final values over a configuration's
// trials, and the mode its best is taken by.
type MetricStat struct {
	Mode        string
	Best, Final Stat
}

// Stat is the mean of a metric over a configuration's trials, the sample
// standard deviation (n-1 in the denominator) and the number of finite
// values it is computed from. Mean is NaN when N is 0 and Std when N < 2.
type Stat struct {
	Mean, Std float64
	N         int
}

// Failure is a trial whose latest finished run failed.
type Failure struct {
	Name    string
	ID      string
	Seed    int64
	Repeat  int
	Attempt int
	Error   string // the recorded reason; never empty
	Dir     string // the failed run's directory
}

// Pending is a trial with no finished run: running, or interrupted and
// waiting to run again.
type Pending struct {
	Name      string
	ID        string
	Status    Status
	Dir       string // the latest run's directory
	StartedAt time.Time
	// Host and PID say which process owns a running record, so that a
	// caller can tell a live run from one left behind by a killed sweep.
	Host string
	PID  int
}

// Rank orders the configurations of s by score, the best first under the
// objective's mode. Each trial counts through its latest finished run.
// Trials sharing a ConfigID (repeats with different seeds) form one
// configuration, ranked by the mean of their scores; with two scores or more
// somewhere, each ranked configuration is compared with the best (see
// compareWithBest) and those tied with it share rank 1. Ties go to the earlier
// (mean) best epoch, then to the name, so the order is stable. A
// configuration without a succeeded trial with a finite score never ranks
// before one with it; pruned configurations follow the ranked ones.
func Rank(s *Sweep, opts RankOptions) Ranking {
	keep := idFilter(opts.IDs)
	r := Ranking{Dir: s.Dir, Warnings: s.Warnings, Objective: DefaultObjective}
	groups := make(map[string][]*Run)
	var order []string
	pendingIn := make(map[string]int) // configuration -> trials without a finished run
	failuresOf := make(map[string][]Failure)
	for _, tr := range s.Trials {
		if !keep(tr.ID) {
			continue
		}
		if tr.Finished == nil {
			r.InProgress = append(r.InProgress, newPending(tr))
			pendingIn[configKey(tr.Latest().Trial)]++
			continue
		}
		t := tr.Finished.Trial
		r.Objective = t.ObjectiveOrDefault()
		key := configKey(t)
		if t.Status == StatusPruned {
			if r.Pruned == nil {
				r.Pruned = map[int64]int{}
			}
			r.Pruned[t.EpochsRun]++
		}
		if t.Status == StatusFailed {
			f := newFailure(tr.Finished)
			r.Failed = append(r.Failed, f)
			failuresOf[key] = append(failuresOf[key], f)
		}
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], tr.Finished)
	}

	r.Swept = sweptParams(s, keep)
	metrics := map[string]bool{}
	r.Rows = make([]Row, 0, len(order))
	for _, key := range order {
		members := groups[key]
		if len(members)+pendingIn[key] > 1 {
			r.Repeats = true
		}
		row := newRow(members, pendingIn[key])
		row.Failures = failuresOf[key]
		r.Folds = r.Folds || row.FoldScores.N > 0
		r.Rows = append(r.Rows, row)
		for name := range row.Metrics {
			metrics[name] = true
		}
	}
	r.Metrics = slices.Sorted(maps.Keys(metrics))
	r.Rows = sortRows(r.Objective, r.Rows)
	for i := range r.Rows {
		if r.Rows[i].ranked {
			r.Rows[i].Rank = i + 1
		}
	}
	r.compareWithBest()
	return r
}

// sweptParams names the hyperparameters that the finished trials of s
// that keep selects sweep, in grid order (the first trial's, then those
// later trials add).
func sweptParams(s *Sweep, keep func(id string) bool) []string {
	var swept []string
	seen := make(map[string]bool)
	for _, tr := range s.Trials {
		if !keep(tr.ID) || tr.Finished == nil {
			continue
		}
		for _, k := range tr.Finished.Trial.Swept {
			if !seen[k] {
				seen[k] = true
				swept = append(swept, k)
			}
		}
	}
	return swept
}

// sortRows returns rows ordered by rowBefore, stably. It sorts indices and
// copies each row once: a Row is several hundred bytes, and a stable sort
// moving them in place spent more time in memmove than in comparisons at
// 100,000 configurations. Ties go to the earlier index, which makes the
// order total, so the faster unstable sort gives the stable order.
func sortRows(obj Objective, rows []Row) []Row {
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(i, j int) int {
		switch {
		case rowBefore(obj, &rows[i], &rows[j]):
			return -1
		case rowBefore(obj, &rows[j], &rows[i]):
			return 1
		}
		return cmp.Compare(i, j)
	})
	out := make([]Row, len(rows))
	for k, i := range idx {
		out[k] = rows[i]
	}
	return out
}

// idFilter returns whether Rank keeps a trial ID: every ID when ids is
// empty, else those in ids.
func idFilter(ids []string) func(string) bool {
	if len(ids) == 0 {
		return func(string) bool { return true }
	}
	set := make(map[string]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return func(id string) bool { return set[id] }
}

// configKey groups repeats; a record without a ConfigID stands alone.
func configKey(t *Trial) string {
	if t.ConfigID != "" {
		return t.ConfigID
	}
	return "id:" + t.ID
}

// newPending describes a trial without a finished run by its latest run.
func newPending(tr *TrialRuns) Pending {
	latest := tr.Latest()
	t := latest.Trial
	return Pending{Name: tr.Name, ID: tr.ID, Status: t.Status, Dir: latest.Dir, StartedAt: t.StartedAt,
		Host: t.Host, PID: t.PID}
}

func newFailure(run *Run) Failure {
	t := run.Trial
	reason := t.Error
	if reason == "" {
		reason = "(no reason recorded)"
	}
	return Failure{Name: t.Name, ID: t.ID, Seed: t.Seed, Repeat: t.Repeat, Attempt: t.Attempt,
		Error: reason, Dir: run.Dir}
}

// newRow aggregates the finished runs of one configuration's trials;
// pending is the number of its trials that have not finished yet.
func newRow(runs []*Run, pending int) Row {
	sort.SliceStable(runs, func(i, j int) bool {
		a, b := runs[i].Trial, runs[j].Trial
		if a.Repeat != b.Repeat {
			return a.Repeat < b.Repeat
		}
		return a.Name < b.Name
	})
	members := make([]*Trial, len(runs))
	for i, r := range runs {
		members[i] = r.Trial
	}
	row := Row{ConfigID: members[0].ConfigID, Params: members[0].Params, CILow: math.NaN(), CIHigh: math.NaN()}
	var succeeded []*Trial
	pruned := 0
	for i, t := range members {
		row.Trials = append(row.Trials, t.Name)
		row.Dirs = append(row.Dirs, runs[i].Dir)
		switch t.Status {
		case StatusSucceeded:
			succeeded = append(succeeded, t)
		case StatusPruned:
			pruned++
		}
	}
	row.Name = commonName(row.Trials)

	// Only succeeded trials with a score rank a configuration; a failed or
	// diverged seed must not make its configuration look better or worse.
	counted := make([]*Trial, 0, len(succeeded))
	for _, t := range succeeded {
		if finite(t.ScoreOrDefault()) {
			counted = append(counted, t)
		}
	}
	row.ranked = len(counted) > 0
	row.pruned = !row.ranked && pruned > 0
	if !row.ranked {
		counted = members
	}
	var best, epoch, ftrain, fval, epochs, dur, folds []float64
	if row.ranked {
		row.scores = make(map[int64]float64, len(counted))
	}
	for _, t := range counted {
		if score := t.ScoreOrDefault(); finite(score) {
			if row.ranked {
				row.scores[t.Seed] = *score
			}
			best = append(best, *score)
			epoch = append(epoch, float64(t.BestEpoch))
		}
		if finite(t.FinalTrainLoss) {
			ftrain = append(ftrain, *t.FinalTrainLoss)
		}
		if finite(t.FinalValLoss) {
			fval = append(fval, *t.FinalValLoss)
		}
		epochs = append(epochs, float64(t.EpochsRun))
		dur = append(dur, t.DurationSeconds)
		for _, f := range t.Folds {
			if finite(f.Score) {
				folds = append(folds, *f.Score)
			}
		}
	}
	row.Score = newStat(best)
	row.BestEpoch = newStat(epoch)
	row.FinalTrainLoss = newStat(ftrain)
	row.FinalValLoss = newStat(fval)
	row.EpochsRun = newStat(epochs)
	row.DurationSeconds = newStat(dur)
	row.FoldScores = newStat(folds)
	row.Metrics = metricStats(counted)

	total := len(members) + pending
	switch {
	case total == 1:
		row.Status = string(members[0].Status)
	case pruned > 0:
		row.Status = fmt.Sprintf("%d/%d succeeded, %d pruned", len(succeeded), total, pruned)
	default:
		row.Status = fmt.Sprintf("%d/%d succeeded", len(succeeded), total)
	}
	return row
}

// metricStats aggregates the metrics that the records of trials sum up;
// nil when none does.
func metricStats(trials []*Trial) map[string]MetricStat {
	type values struct {
		mode        string
		best, final []float64
	}
	byName := map[string]*values{}
	for _, t := range trials {
		for name, m := range t.Metrics {
			v := byName[name]
			if v == nil {
				v = &values{mode: m.Mode}
				byName[name] = v
			}
			if finite(m.Best) {
				v.best = append(v.best, *m.Best)
			}
			if finite(m.Final) {
				v.final = append(v.final, *m.Final)
			}
		}
	}
	if len(byName) == 0 {
		return nil
	}
	out := make(map[string]MetricStat, len(byName))
	for name, v := range byName {
		out[name] = MetricStat{Mode: v.mode, Best: newStat(v.best), Final: newStat(v.final)}
	}
	return out
}

// newStat returns the mean and sample standard deviation of x.
func newStat(x []float64) Stat {
	switch len(x) {
	case 0:
		return Stat{Mean: math.NaN(), Std: math.NaN()}
	case 1:
		return Stat{Mean: x[0], Std: math.NaN(), N: 1}
	}
	mean, std := stat.MeanStdDev(x, nil)
	return Stat{Mean: mean, Std: std, N: len(x)}
}

// finite reports whether p holds a number other than NaN and ±Inf.
func finite(p *float64) bool {
	return p != nil && !math.IsNaN(*p) && !math.IsInf(*p, 0)
}

func rowBefore(obj Objective, a, b *Row) bool {
	if a.ranked != b.ranked {
		return a.ranked
	}
	if a.pruned != b.pruned {
		return a.pruned
	}
	switch {
	case a.ranked:
		if a.Score.Mean != b.Score.Mean {
			return obj.Better(a.Score.Mean, b.Score.Mean)
		}
		if a.BestEpoch.Mean != b.BestEpoch.Mean {
			return a.BestEpoch.Mean < b.BestEpoch.Mean
		}
	case a.pruned:
		// The trial that got further was the more promising one.
		if a.EpochsRun.Mean != b.EpochsRun.Mean {
			return a.EpochsRun.Mean > b.EpochsRun.Mean
		}
		if a.Score.Mean != b.Score.Mean && !math.IsNaN(a.Score.Mean) && !math.IsNaN(b.Score.Mean) {
			return obj.Better(a.Score.Mean, b.Score.Mean)
		}
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	return a.ConfigID < b.ConfigID
}

// commonName names a configuration after its trials: the single name, or
// the part every name shares, cut at the last separator so that
// "lr0.01_seed1" and "lr0.01_seed2" give "lr0.01". With nothing shared it
// falls back to the first name.
func commonName(names []string) string {
	prefix := names[0]
	for _, n := range names[1:] {
		i := 0
		for i < len(prefix) && i < len(n) && prefix[i] == n[i] {
			i++
		}
		prefix = prefix[:i]
	}
	if len(names) == 1 || allEqual(names) {
		return prefix
	}
	if cut := strings.LastIndexAny(prefix, "_-/ "); cut > 0 {
		return prefix[:cut]
	}
	return names[0]
}

func allEqual(s []string) bool {
	for _, v := range s[1:] {
		if v != s[0] {
			return false
		}
	}
	return true
}
