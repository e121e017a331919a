package search

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sweep-ml/sweep/results/atomicfile"
)

// ASHAConfig sets the rungs of an ASHA pruner.
type ASHAConfig struct {
	// MinEpochs is the first rung: the epochs every trial runs. At least 1.
	MinEpochs int
	// Eta is the reduction factor: the rungs are Eta times apart, and about
	// one trial in Eta goes on past each. At least 2.
	Eta int
	// MaxEpochs is the epochs a trial that is never stopped runs; greater
	// than MinEpochs. It is not a rung: a trial that reaches it has ended.
	MaxEpochs int
}

// ASHA is the asynchronous successive halving pruner (Li et al., "A System
// for Massively Parallel Hyperparameter Tuning", MLSys 2020), in its
// stopping form with one bracket, as Ray Tune's ASHAScheduler runs it.
//
// A trial whose curve reaches a rung is compared with the trials recorded
// at that rung before it, and stops unless its score is among the best
// 1/Eta of them. Ray's _Bracket.on_result computes
//
//	cutoff = nanpercentile(recorded rewards, (1 - 1/rf) * 100)
//	stop if reward < cutoff
//
// over the rewards recorded at the rung before this trial's is added
// (none recorded: no cutoff, go on), and records the reward after. Rewards
// are maximised; with reward = -score, and because the linear percentile
// of the negated values is the negated percentile at the mirrored level,
// the same rule for minimised scores is
//
//	cutoff = nanpercentile(recorded scores, 100/Eta)
//	stop if score > cutoff
//
// that is, a trial goes on when it is in the best 1/Eta of the scores
// before it. The pruner computes Ray's form literally, on negated scores,
// so that even a score within rounding of the cutoff gets Ray's answer
// (an exact tie goes on). Two deliberate differences: the score is the
// best so far (see BestSoFar), not the last value, and a non-finite score
// always stops the trial; such a record is left out of later cutoffs, as
// Ray's nanpercentile leaves out a NaN reward. A trial that reaches MaxEpochs has finished:
// Report says go on and the caller stops it as complete, not pruned.
//
// The records are the state: one file per trial and rung, which only the
// process running that trial writes, by renaming a complete temporary
// file over it, never by appending. So several
// processes, on several hosts sharing the sweep directory over NFS, prune
// together without locks, and a resumed sweep sees what the first saw. The
// asynchrony is ASHA's own: two trials reaching a rung at the same moment
// may not see each other's records, and both may go on.
type ASHA struct {
	dir   string
	cfg   ASHAConfig
	rungs []int
}

// NewASHA returns an ASHA pruner whose records live under dir (the caller
// passes <sweep dir>/rungs), as dir/<rung epochs>/<trial>.json. dir and the
// rung directories are made when a record is first written.
func NewASHA(dir string, cfg ASHAConfig) (*ASHA, error) {
	switch {
	case cfg.MinEpochs < 1:
		return nil, fmt.Errorf("search: ASHA min epochs %d: must be at least 1", cfg.MinEpochs)
	case cfg.Eta < 2:
		return nil, fmt.Errorf("search: ASHA eta %d: must be at least 2", cfg.Eta)
	case cfg.MinEpochs >= cfg.MaxEpochs:
		return nil, fmt.Errorf("search: ASHA min epochs %d: must be less than max epochs %d", cfg.MinEpochs, cfg.MaxEpochs)
	}
	return &ASHA{dir: dir, cfg: cfg, rungs: ashaRungs(cfg)}, nil
}

// ashaRungs returns MinEpochs·Eta^k for every k ≥ 0 whose value is less
// than MaxEpochs, in increasing order. Ray's bracket also lists MaxEpochs
// when it is such a power, but a trial there is stopped as finished before
// its rung is consulted, so that rung never holds a record.
func ashaRungs(cfg ASHAConfig) []int {
	var rungs []int
	for r := cfg.MinEpochs; r < cfg.MaxEpochs; r *= cfg.Eta {
		rungs = append(rungs, r)
		if r > math.MaxInt/cfg.Eta {
			break // the next rung would overflow, so it is past any MaxEpochs
		}
	}
	return rungs
}

// Rungs returns the epochs at which trials are compared, in increasing
// order.
func (a *ASHA) Rungs() []int { return append([]int(nil), a.rungs...) }

// Report records the trial's score when len(curve) is a rung and says
// whether it stops there; between rungs it reads and writes nothing and
// says go on. A trial that reports at a rung where it is already recorded
// (it was interrupted and runs again) gets the answer it got the first
// time: ASHA never takes back a promotion, and a stopped trial stays
// stopped. Its record is rewritten with the new score, so that it keeps
// one record there however often it reports.
func (a *ASHA) Report(trial string, curve []float64) (bool, error) {
	if err := checkTrialID(trial); err != nil {
		return false, err
	}
	epochs := len(curve)
	if !slices.Contains(a.rungs, epochs) {
		return false, nil
	}
	dir := rungDir(a.dir, epochs)
	recs, err := readRung(dir, epochs)
	if err != nil {
		return false, err
	}
	score := BestSoFar(curve)
	old, resumed := recs[trial]
	stop := old.Stop
	if !resumed {
		stop = a.decide(score, recs)
	}
	rec := rungRecord{Trial: trial, Epochs: epochs, Score: finiteOrNil(score), Stop: stop}
	if err := writeRungRecord(dir, &rec); err != nil {
		return false, err
	}
	return stop, nil
}

// decide applies ASHA's rule to score against the finite scores of recs,
// the other trials' records at its rung (see ASHA). It computes Ray's
// cutoff literally, on negated scores, so that a score that ties the
// cutoff rounds as it does in Ray.
func (a *ASHA) decide(score float64, recs map[string]RungRecord) bool {
	if math.IsNaN(score) || math.IsInf(score, 0) {
		return true
	}
	rewards := make([]float64, 0, len(recs))
	for _, r := range recs {
		if !math.IsInf(r.Score, 0) && !math.IsNaN(r.Score) {
			rewards = append(rewards, -r.Score)
		}
	}
	if len(rewards) == 0 {
		return false // the first at its rung has nothing to lose to
	}
	cutoff := percentile(rewards, (1-1/float64(a.cfg.Eta))*100)
	return -score < cutoff
}

// RungRecord is what a trial recorded when it reached a rung.
type RungRecord struct {
	// Score is the trial's best-so-far score at the rung; +Inf when it was
	// not finite (JSON holds no NaN or infinity).
	Score float64
	// Stop says whether the trial was stopped there.
	Stop bool
}

// rungRecord is a RungRecord as its file holds it, with the trial and the
// rung it belongs to, so that a file copied to the wrong place is caught.
type rungRecord struct {
	Trial  string   `json:"trial"`
	Epochs int      `json:"epochs"`
	Score  *float64 `json:"score"` // nil: not finite
	Stop   bool     `json:"stop"`
}

// finiteOrNil returns a pointer to v, or nil when v is NaN or infinite.
func finiteOrNil(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// rungDir is the directory of the records at the rung of the given epochs.
func rungDir(dir string, epochs int) string {
	return filepath.Join(dir, strconv.Itoa(epochs))
}

// recordSuffix ends the name of every record file.
const recordSuffix = ".json"

// writeRungRecord writes rec to dir/<trial>.json atomically, making dir
// when it does not exist yet.
func writeRungRecord(dir string, rec *rungRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("search: encode rung record of %s: %w", rec.Trial, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	path := filepath.Join(dir, rec.Trial+recordSuffix)
	if err := atomicfile.Write(path, append(data, '\n')); err != nil {
		return fmt.Errorf("search: write %s: %w", path, err)
	}
	return nil
}

// readRung reads every record in the rung directory dir, whose rung is
// epochs, by trial. A directory that does not exist holds no records.
// Files whose names start with a dot are skipped: they are temporary
// files, left behind by a writer killed before its rename, or an NFS
// client's renamed-while-open files; neither is a record.
func readRung(dir string, epochs int) (map[string]RungRecord, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]RungRecord{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	recs := make(map[string]RungRecord, len(entries))
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, recordSuffix) || e.IsDir() {
			continue
		}
		trial := strings.TrimSuffix(name, recordSuffix)
		r, err := readRungRecord(filepath.Join(dir, name), trial, epochs)
		if err != nil {
			return nil, err
		}
		recs[trial] = r
	}
	return recs, nil
}

// readRungRecord reads the record at path, which must be the trial's at
// the rung of the given epochs. Its errors name the file.
func readRungRecord(path, trial string, epochs int) (RungRecord, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return RungRecord{}, fmt.Errorf("search: %w", err)
	}
	var rec rungRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return RungRecord{}, fmt.Errorf("search: rung record %s: %w", path, err)
	}
	if rec.Trial != trial || rec.Epochs != epochs {
		return RungRecord{}, fmt.Errorf("search: rung record %s: holds trial %q at %d epochs", path, rec.Trial, rec.Epochs)
	}
	r := RungRecord{Score: math.Inf(1), Stop: rec.Stop}
	if rec.Score != nil {
		r.Score = *rec.Score
	}
	return r, nil
}

// ReadRungs reads every rung record under dir (an ASHA pruner's
// directory): by rung epochs, then by trial. A dir that does not exist
// holds none. Entries of dir whose names are not positive integers are
// not rungs and are skipped. A record that does not parse is an error
// that names its file.
func ReadRungs(dir string) (map[int]map[string]RungRecord, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return map[int]map[string]RungRecord{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	rungs := make(map[int]map[string]RungRecord)
	for _, e := range entries {
		epochs, err := strconv.Atoi(e.Name())
		if err != nil || epochs < 1 || !e.IsDir() || e.Name() != strconv.Itoa(epochs) {
			continue
		}
		recs, err := readRung(filepath.Join(dir, e.Name()), epochs)
		if err != nil {
			return nil, err
		}
		rungs[epochs] = recs
	}
	return rungs, nil
}

var _ Pruner = (*ASHA)(nil)
