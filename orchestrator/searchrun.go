package orchestrator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/sweep-ml/sweep/orchestrator/search"
	"github.com/sweep-ml/sweep/orchestrator/spec"
	"github.com/sweep-ml/sweep/results"
	"github.com/sweep-ml/sweep/results/atomicfile"
)

// searchDir, at a sweep directory's root, holds an adaptive search's own
// state beside the trial records: asked/, one claim per configuration the
// sampler proposed, and rungs/, ASHA's records. The leading dot keeps it
// out of LoadSweep's way.
const searchDir = ".search"

// askRecord is the claim of one configuration of an adaptive search, kept at
// <sweep>/.search/asked/<number>.json. Its file is created exclusively, so
// that two processes asking at once never both take a number; the trial
// records then say how its trials went. The claims and the records are the
// whole history: a resumed search rebuilds its sampler's view from them.
type askRecord struct {
	Number int            `json:"number"`
	Params map[string]any `json:"params"` // the sampled dimensions
	Trials []string       `json:"trials"` // the IDs of its repeats
	// ModelHash is the fingerprint of the model the trials were asked for
	// (spec.ModelHash); claims made before IDs covered the model have none.
	ModelHash string `json:"model_hash,omitempty"`
	// DuplicateOf is set when the sampler proposed a configuration it had
	// already asked for: nothing runs again, and it shares that one's
	// result.
	DuplicateOf *int      `json:"duplicate_of,omitempty"`
	AskedAt     time.Time `json:"asked_at"`
	Host        string    `json:"host"`
	PID         int       `json:"pid"`
}

func askedDir(sweepDir string) string { return filepath.Join(sweepDir, searchDir, "asked") }

func askedPath(sweepDir string, n int) string {
	return filepath.Join(askedDir(sweepDir), fmt.Sprintf("%06d.json", n))
}

// errClaimed says that another process claimed a configuration number.
var errClaimed = errors.New("configuration number already claimed")

// claim records a as asked, exclusively.
func claim(sweepDir string, a *askRecord) error {
	data, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(askedDir(sweepDir), 0o755); err != nil {
		return err
	}
	err = atomicfile.Create(askedPath(sweepDir, a.Number), append(data, '\n'))
	if errors.Is(err, fs.ErrExist) {
		return errClaimed
	}
	return err
}

// loadAsked reads a search's claims in number order, restoring each
// value's Go type from the space. A missing number, or a claim that does
// not parse or does not fit the space (the grid's space changed), is an
// error naming its file.
func loadAsked(sweepDir string, space search.Space) ([]*askRecord, error) {
	entries, err := os.ReadDir(askedDir(sweepDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*askRecord
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || !strings.HasSuffix(e.Name(), ".json") {
			continue // a claim's temporary file, left by a killed process
		}
		path := filepath.Join(askedDir(sweepDir), e.Name())
		a, err := readAsked(path, space)
		if err != nil {
			return nil, err
		}
		if a.Number != len(out) || e.Name() != filepath.Base(askedPath(sweepDir, a.Number)) {
			return nil, fmt.Errorf("%s: configuration %d, want %d: the claims of %s are not numbered 0, 1, 2, ...",
				path, a.Number, len(out), askedDir(sweepDir))
		}
		out = append(out, a)
	}
	return out, nil
}

func readAsked(path string, space search.Space) (*askRecord, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var a askRecord
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if a.Params, err = restoreParams(space, a.Params); err != nil {
		return nil, fmt.Errorf("%s: %w (did [search.space] change? a search cannot resume into another space)", path, err)
	}
	return &a, nil
}

// restoreParams gives values read back from JSON the Go types of the
// space's dimensions: JSON has one number type, and lists come back as
// []any.
func restoreParams(space search.Space, raw map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(space))
	for i := range space {
		d := &space[i]
		v, ok := raw[d.Name]
		if !ok {
			return nil, fmt.Errorf("no value of %s", d.Name)
		}
		x, isNum := v.(float64)
		switch {
		case d.Kind == search.Choice:
			idx, err := choiceIndex(d, v)
			if err != nil {
				return nil, err
			}
			out[d.Name] = spec.CloneValue(d.Choices[idx])
		case !isNum || x < d.Lo || x > d.Hi:
			return nil, fmt.Errorf("%s = %v is outside [%v, %v]", d.Name, v, d.Lo, d.Hi)
		default:
			out[d.Name] = d.Value(x)
		}
	}
	return out, nil
}

// choiceIndex finds v among a choice dimension's values by their JSON.
func choiceIndex(d *search.Dimension, v any) (int, error) {
	want, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	for i, c := range d.Choices {
		if got, err := json.Marshal(c); err == nil && string(got) == string(want) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%s = %s is not one of its choices", d.Name, want)
}

// searchRun is the state of an adaptive search while it runs: the claims,
// each configuration's trials, the latest finished record of each trial,
// and the trials waiting for a worker. It is the sampler's history, kept
// current in memory.
type searchRun struct {
	p       *Plan
	sampler search.Sampler
	host    string

	mu       sync.Mutex
	asked    []*askRecord
	trials   map[string]spec.Trial // every asked trial, by ID
	finished *finishedStore        // the trials that will not run again, by ID
	queue    []Job                 // trials to run, in order
}

func newSearchRun(p *Plan, asked []*askRecord) (*searchRun, error) {
	host, _ := os.Hostname()
	sr := &searchRun{p: p, sampler: p.Search.Sampler(), host: host, asked: asked,
		trials: map[string]spec.Trial{}, finished: newFinishedStore(nil, p.Spec.Objective, nil)}
	for _, a := range asked {
		if a.DuplicateOf != nil {
			continue
		}
		ts, err := p.Search.Trials(a.Number, a.Params)
		if err != nil {
			return nil, err
		}
		for i, t := range ts {
			if i >= len(a.Trials) || t.ID != a.Trials[i] {
				return nil, claimChanged(p, a, t, i)
			}
			sr.trials[t.ID] = t
		}
	}
	return sr, nil
}

// claimChanged says why trial i of claim a no longer has the ID the claim
// recorded. A search learns from its history, which the trials it asked
// for make: it cannot go on with another model, other hyperparameters or
// other data, whose trials have other IDs.
func claimChanged(p *Plan, a *askRecord, t spec.Trial, i int) error {
	path := askedPath(p.Dir, a.Number)
	rename := fmt.Sprintf("give the grid another name to start a new search (the runs in %s stay)", p.Dir)
	switch {
	case i < len(a.Trials) && a.ModelHash != "" && t.IDWithModel(a.ModelHash) == a.Trials[i]:
		return fmt.Errorf("%s: the model changed since this search asked for its configurations (its fingerprint was %.12s, it is %.12s now), "+
			"and a search learns from what the earlier model did: %s", path, a.ModelHash, p.Spec.ModelHash, rename)
	case i < len(a.Trials) && a.ModelHash == "" && t.LegacyID() == a.Trials[i]:
		return fmt.Errorf("%s: this search asked for its configurations before sweep fingerprinted models, "+
			"so whether its model changed since cannot be told: %s", path, rename)
	}
	return fmt.Errorf("%s: its trials' IDs differ from those the grid gives today "+
		"(did the model, [params] or the data change?); run the changed search under another name", path)
}

// planTrials lists every asked trial in number order, for the plan.
func (sr *searchRun) planTrials() []spec.Trial {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	out := make([]spec.Trial, 0, len(sr.trials))
	for _, t := range sr.trials {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b spec.Trial) int { return a.Index - b.Index })
	return out
}

// start takes what is on disk: the trials to run again go first in the
// queue; finished holds the others' latest finished records, the history,
// and is kept current as trials end (by whoever runs them).
func (sr *searchRun) start(finished *finishedStore, jobs []Job) {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	sr.finished = finished
	sr.queue = append(sr.queue, jobs...)
}

// next returns the next trial to run: a queued one, or the first trial of
// a newly asked configuration while the budget and the time allow. ok is
// false when there is nothing left to start.
func (sr *searchRun) next(deadline time.Time) (job Job, ok bool, err error) {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	for len(sr.queue) == 0 {
		if len(sr.asked) >= sr.p.Spec.Search.Trials || (!deadline.IsZero() && time.Now().After(deadline)) {
			return Job{}, false, nil
		}
		if err := sr.ask(); err != nil {
			return Job{}, false, err
		}
	}
	job, sr.queue = sr.queue[0], sr.queue[1:]
	return job, true, nil
}

// ask asks the sampler for one configuration, claims its number and queues
// its trials. A configuration asked before is claimed as a duplicate and
// queues nothing.
func (sr *searchRun) ask() error {
	history := sr.history()
	params, err := sr.sampler.Ask(history)
	if err != nil {
		return fmt.Errorf("sampler: %w", err)
	}
	n := len(sr.asked)
	a := &askRecord{Number: n, Params: params, ModelHash: sr.p.Spec.ModelHash, AskedAt: time.Now().UTC(), Host: sr.host, PID: os.Getpid()}
	key := sr.p.Search.Space.Key(params)
	for _, prev := range sr.asked {
		if prev.DuplicateOf == nil && sr.p.Search.Space.Key(prev.Params) == key {
			a.DuplicateOf, a.Trials = &prev.Number, prev.Trials
		}
	}
	var ts []spec.Trial
	if a.DuplicateOf == nil {
		if ts, err = sr.p.Search.Trials(n, params); err != nil {
			return err
		}
		for _, t := range ts {
			a.Trials = append(a.Trials, t.ID)
		}
	}
	if err := claim(sr.p.Dir, a); err != nil {
		return err
	}
	sr.asked = append(sr.asked, a)
	for _, t := range ts {
		sr.trials[t.ID] = t
		sr.queue = append(sr.queue, Job{Trial: t, MaxAttempts: 1 + sr.p.Spec.Retries})
	}
	return nil
}

// history is every asked configuration as the sampler sees it.
func (sr *searchRun) history() []search.Observation {
	out := make([]search.Observation, len(sr.asked))
	for i, a := range sr.asked {
		out[i] = sr.observe(a)
	}
	return out
}

// observe sums up a configuration's trials: running while any has not
// finished; else complete with the mean score of its completed repeats;
// else pruned, at the fewest epochs a repeat reached; else failed.
func (sr *searchRun) observe(a *askRecord) search.Observation {
	o := search.Observation{Params: a.Params, State: search.Failed}
	obj := sr.p.Spec.Objective
	var complete, pruned []float64
	step := math.MaxInt
	for _, id := range a.Trials {
		rec := sr.finished.get(id)
		switch {
		case rec == nil:
			o.State = search.Running
			return o
		case rec.Status == results.StatusSucceeded && rec.Score != nil:
			complete = append(complete, obj.Minimised(*rec.Score))
		case rec.Status == results.StatusPruned:
			v := math.Inf(1)
			if rec.Score != nil {
				v = obj.Minimised(*rec.Score)
			}
			pruned = append(pruned, v)
			step = min(step, int(rec.EpochsRun))
		}
	}
	switch {
	case len(complete) > 0:
		o.State, o.Value = search.Complete, stat.Mean(complete, nil)
	case len(pruned) > 0:
		o.State, o.Value, o.Step = search.Pruned, stat.Mean(pruned, nil), step
	}
	return o
}

// source is the search's job source: the queued trials, then new
// configurations while the budget and [search] timeout (counted from now)
// allow.
func (sr *searchRun) source() jobSource {
	var deadline time.Time
	if t := sr.p.Spec.Search.Timeout; t > 0 {
		deadline = time.Now().Add(t)
	}
	return func() (Job, bool, error) { return sr.next(deadline) }
}

// readSearch reads an adaptive search's claims into a searchRun.
func readSearch(p *Plan) (*searchRun, error) {
	asked, err := loadAsked(p.Dir, p.Search.Space)
	if err != nil {
		return nil, err
	}
	return newSearchRun(p, asked)
}

// loadSearch is readSearch that also makes the plan's trials those asked
// so far.
func loadSearch(p *Plan) (*searchRun, error) {
	sr, err := readSearch(p)
	if err != nil {
		return nil, err
	}
	p.Trials = sr.planTrials()
	return sr, nil
}

// newPruner builds the grid's pruner, or returns nil without one. The
// median rule compares with the completed trials: the search's history, or
// for a grid the finished records, kept current as trials end.
func newPruner(p *Plan, completed search.Completed) (search.Pruner, error) {
	s := p.Spec
	switch s.Prune.Method {
	case spec.PruneASHA:
		return search.NewASHA(filepath.Join(p.Dir, searchDir, "rungs"),
			search.ASHAConfig{MinEpochs: s.Prune.MinEpochs, Eta: s.Prune.Eta, MaxEpochs: maxEpochs(p)})
	case spec.PruneMedian:
		return search.NewMedian(search.MedianConfig{MinEpochs: s.Prune.MinEpochs}, completed), nil
	}
	return nil, nil
}

// maxEpochs is the most epochs a trial of the plan runs, when its model
// takes an "epochs" hyperparameter; ASHA sets no rung at or past it.
func maxEpochs(p *Plan) int {
	n := 0
	if p.Search != nil {
		for _, d := range p.Search.Space {
			if d.Name == "epochs" {
				return int(d.Hi)
			}
		}
		v, _ := p.Search.Fixed("epochs")
		if e, ok := v.(int64); ok {
			n = int(e)
		}
	}
	for _, t := range p.Trials {
		if e, ok := t.Params["epochs"].(int64); ok {
			n = max(n, int(e))
		}
	}
	if n == 0 {
		return math.MaxInt32
	}
	return n
}

// finishedStore is the latest finished record of each trial that will not
// run again, kept current as trials end: a search's history and the median
// rule's completed curves.
type finishedStore struct {
	mu   sync.Mutex
	recs map[string]*results.Trial
	obj  spec.Objective
}

// newFinishedStore takes the finished records on disk (onDisk may be nil),
// leaving out the trials of pending, which run again (a failed trial with
// attempts left).
func newFinishedStore(onDisk *results.Sweep, obj spec.Objective, pending []Job) *finishedStore {
	f := &finishedStore{recs: map[string]*results.Trial{}, obj: obj}
	if onDisk == nil {
		return f
	}
	again := make(map[string]bool, len(pending))
	for _, j := range pending {
		again[j.Trial.ID] = true
	}
	for _, tr := range onDisk.Trials {
		if tr.Finished != nil && !again[tr.ID] {
			f.recs[tr.ID] = tr.Finished.Trial
		}
	}
	return f
}

// add takes a trial's last record, if it finished (an interrupted one runs
// again).
func (f *finishedStore) add(rec *results.Trial) {
	if rec == nil || (rec.Status != results.StatusSucceeded && rec.Status != results.StatusFailed && rec.Status != results.StatusPruned) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recs[rec.ID] = rec
}

func (f *finishedStore) get(id string) *results.Trial {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.recs[id]
}

// valuesAt is the search.Completed of the median rule: the trials that
// ran to their end, and their minimised values at the epoch.
func (f *finishedStore) valuesAt(epoch int) (int, []float64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	var values []float64
	for _, rec := range f.recs {
		curve := rec.Curve
		if len(rec.Folds) > 0 {
			// A walk-forward trial is pruned on its first fold, so it is
			// compared with the others' first folds, not their means.
			curve = rec.Folds[0].Curve
		}
		if rec.Status != results.StatusSucceeded || len(curve) == 0 {
			continue
		}
		n++
		if epoch < len(curve) {
			values = append(values, f.obj.Minimised(curve[epoch]))
		}
	}
	return n, values, nil
}

// ReadSearchInfo describes the adaptive search run into sweepDir, from the
// grid as run (results.GridFile) and its claims; nil for a grid sweep, or
// a directory without a recorded grid.
func ReadSearchInfo(sweepDir string) (*results.SearchInfo, error) {
	path := filepath.Join(sweepDir, results.GridFile)
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s, err := spec.Parse(path, src)
	if err != nil || !s.Search.Adaptive() {
		return nil, err
	}
	entries, err := os.ReadDir(askedDir(sweepDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	asked := 0
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") && strings.HasSuffix(e.Name(), ".json") {
			asked++
		}
	}
	return &results.SearchInfo{Sampler: s.Search.Sampler, Budget: s.Search.Trials, Asked: asked, Pruner: s.Prune.Method}, nil
}
