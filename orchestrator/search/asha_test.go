package search

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestASHARungs(t *testing.T) {
	for _, tc := range []struct {
		cfg  ASHAConfig
		want []int
	}{
		{ASHAConfig{1, 3, 27}, []int{1, 3, 9}}, // 27 is where trials end, not a rung
		{ASHAConfig{1, 3, 28}, []int{1, 3, 9, 27}},
		{ASHAConfig{1, 2, 16}, []int{1, 2, 4, 8}},
		{ASHAConfig{2, 3, 100}, []int{2, 6, 18, 54}}, // 162 ≥ 100
		{ASHAConfig{3, 10, 1000}, []int{3, 30, 300}},
		{ASHAConfig{1, 4, 2}, []int{1}},
		{ASHAConfig{5, 2, 6}, []int{5}},
	} {
		a, err := NewASHA(t.TempDir(), tc.cfg)
		if err != nil {
			t.Fatalf("NewASHA(%+v): %v", tc.cfg, err)
		}
		if got := a.Rungs(); !slices.Equal(got, tc.want) {
			t.Errorf("NewASHA(%+v).Rungs() = %v, want %v", tc.cfg, got, tc.want)
		}
	}
	// 2^0 … 2^62 are below MaxInt; 2^63 would overflow and must not loop.
	a, err := NewASHA(t.TempDir(), ASHAConfig{1, 2, math.MaxInt})
	if err != nil {
		t.Fatal(err)
	}
	if r := a.Rungs(); len(r) != 63 || r[62] != 1<<62 {
		t.Errorf("Rungs up to MaxInt: %d rungs, last %d; want 63, 1<<62", len(r), r[len(r)-1])
	}
}

func TestASHAConfigErrors(t *testing.T) {
	for _, cfg := range []ASHAConfig{
		{0, 3, 9},  // MinEpochs < 1
		{1, 1, 9},  // Eta < 2
		{3, 3, 3},  // MinEpochs == MaxEpochs
		{4, 3, 3},  // MinEpochs > MaxEpochs
		{-1, 3, 9}, // MinEpochs < 1
	} {
		if _, err := NewASHA(t.TempDir(), cfg); err == nil {
			t.Errorf("NewASHA(%+v): no error", cfg)
		}
	}
}

// ashaStep is one Report and the answer it must get.
type ashaStep struct {
	trial string
	curve []float64
	stop  bool
	why   string
}

func newTestASHA(t *testing.T, cfg ASHAConfig) (*ASHA, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rungs")
	a, err := NewASHA(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a, dir
}

func runASHASteps(t *testing.T, a *ASHA, steps []ashaStep) {
	t.Helper()
	for i, s := range steps {
		stop, err := a.Report(s.trial, s.curve)
		if err != nil {
			t.Fatalf("step %d (%s): Report(%s, %v): %v", i, s.why, s.trial, s.curve, err)
		}
		if stop != s.stop {
			t.Errorf("step %d (%s): Report(%s, %v) = %v, want %v", i, s.why, s.trial, s.curve, stop, s.stop)
		}
	}
}

// TestASHADecisions reports trials at rung 1 (Eta 3) one after another.
// Each stops when its score exceeds the 1/3 quantile (numpy linear: index
// h = (n-1)/3 into the sorted scores recorded before it), Ray's rule with
// rewards negated.
func TestASHADecisions(t *testing.T) {
	a, _ := newTestASHA(t, ASHAConfig{MinEpochs: 1, Eta: 3, MaxEpochs: 9})
	runASHASteps(t, a, []ashaStep{
		{"a", []float64{0.5}, false, "first at the rung: nothing recorded"},
		{"b", []float64{0.4}, false, "[0.5]: cutoff 0.5"},
		{"c", []float64{0.9}, true, "[0.4 0.5]: h=1/3, cutoff 0.4+0.1/3=0.433"},
		{"d", []float64{0.3}, false, "[0.4 0.5 0.9]: h=2/3, cutoff 0.4+0.1·2/3=0.467"},
		{"e", []float64{0.4}, false, "[0.3 0.4 0.5 0.9]: h=1, cutoff 0.4; a tie goes on"},
		{"f", []float64{0.45}, true, "[0.3 0.4 0.4 0.5 0.9]: h=4/3, cutoff 0.4"},
		{"g", []float64{0.35}, false, "[0.3 0.4 0.4 0.45 0.5 0.9]: h=5/3, cutoff 0.4"},
		{"h", []float64{0.39}, false, "[0.3 0.35 0.4 0.4 0.45 0.5 0.9]: h=2, cutoff 0.4"},
		{"i", []float64{0.395}, true, "[0.3 0.35 0.39 0.4 0.4 0.45 0.5 0.9]: h=7/3, cutoff 0.39+0.01/3=0.3933"},
		{"j", []float64{0.393}, false, "[0.3 0.35 0.39 0.395 0.4 …]: h=8/3, cutoff 0.395-0.005/3=0.3933"},
	})
}

// TestASHAOthersOnly pins that the cutoff is over the scores recorded
// before the trial's own, as in Ray, and not over them and its own.
func TestASHAOthersOnly(t *testing.T) {
	a, _ := newTestASHA(t, ASHAConfig{MinEpochs: 1, Eta: 3, MaxEpochs: 9})
	runASHASteps(t, a, []ashaStep{
		{"a", []float64{0}, false, "first"},
		{"b", []float64{1}, true, "[0]: cutoff 0"},
		// [0 1]: h=1/3, cutoff 1/3. Counting its own, [0 0.3 1] would give
		// h=2/3, cutoff 0.2, and stop it.
		{"c", []float64{0.3}, false, "cutoff 1/3 over others only"},
	})
}

// TestASHABestSoFar checks that the score at a rung is the curve's best so
// far, and that only rung lengths are judged.
func TestASHABestSoFar(t *testing.T) {
	a, dir := newTestASHA(t, ASHAConfig{MinEpochs: 1, Eta: 3, MaxEpochs: 9})
	runASHASteps(t, a, []ashaStep{
		{"x", []float64{0.5, 0.4, 0.3}, false, "first at rung 3"},
		{"y", []float64{0.9, 0.2}, false, "2 epochs: no rung"},
		// Its last value 0.6 would stop it against cutoff 0.3; its best 0.2 does not.
		{"y", []float64{0.9, 0.2, 0.6}, false, "best 0.2 ≤ cutoff [0.3]"},
		{"z", []float64{nanScore, 0.25, nanScore}, true, "best 0.25 > cutoff of [0.2 0.3]: 0.2+0.1/3"},
		{"y", []float64{0.9, 0.2, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6}, false, "MaxEpochs: finished, not pruned"},
	})
	rungs, err := ReadRungs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rungs[1]; ok {
		t.Errorf("rung 1 has records, but no trial reported 1 epoch: %v", rungs)
	}
	if got := rungs[3]["y"].Score; got != 0.2 {
		t.Errorf("y's score at rung 3 = %v, want its best so far 0.2", got)
	}
	if len(rungs[3]) != 3 {
		t.Errorf("rung 3 holds %d records, want 3 (x y z): %v", len(rungs[3]), rungs[3])
	}
}

// TestASHANonFinite checks that a non-finite score stops its trial and is
// left out of later cutoffs.
func TestASHANonFinite(t *testing.T) {
	a, dir := newTestASHA(t, ASHAConfig{MinEpochs: 1, Eta: 3, MaxEpochs: 9})
	runASHASteps(t, a, []ashaStep{
		{"nanScore", []float64{nanScore}, true, "all NaN: score +Inf, even first at the rung"},
		{"a", []float64{0.2}, false, "the NaN record is no competitor"},
		{"b", []float64{0.3}, true, "[0.2]: cutoff 0.2"},
		{"ninf", []float64{0.1, math.Inf(-1), nanScore}, true, "-Inf: diverged"},
		// Finite records [0.2 0.3]: h=1/3, cutoff 0.233. Had the +Inf record
		// counted, [0.2 0.3 +Inf] would give cutoff NaN and let it go on.
		{"c", []float64{0.35}, true, "cutoff over finite records only"},
	})
	rungs, err := ReadRungs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r := rungs[1]["nanScore"]; !math.IsInf(r.Score, 1) || !r.Stop {
		t.Errorf("record of the NaN trial = %+v, want +Inf, stopped", r)
	}
}

// TestASHAResume checks that a trial reporting again at a rung keeps one
// record and gets the answer it got the first time.
func TestASHAResume(t *testing.T) {
	a, dir := newTestASHA(t, ASHAConfig{MinEpochs: 1, Eta: 3, MaxEpochs: 9})
	runASHASteps(t, a, []ashaStep{
		{"a", []float64{0.2}, false, "first"},
		{"b", []float64{0.6}, true, "[0.2]: cutoff 0.2"},
		{"a", []float64{0.2}, false, "resumed: same answer"},
		{"b", []float64{0.6}, true, "resumed: same answer"},
		// [0.2 0.6]: h=1/3, cutoff 0.333. Had a counted twice,
		// [0.2 0.2 0.6] would give cutoff 0.2 and stop it.
		{"c", []float64{0.3}, false, "each trial counts once"},
		// The answer stands though a's new score would now stop it.
		{"a", []float64{0.9}, false, "resumed with a worse score: promotion stands"},
		{"b", []float64{0.1}, true, "resumed with a better score: stop stands"},
	})
	rungs, err := ReadRungs(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]RungRecord{"a": {0.9, false}, "b": {0.1, true}, "c": {0.3, false}}
	if len(rungs) != 1 || !mapsEqual(rungs[1], want) {
		t.Errorf("ReadRungs = %v, want {1: %v}", rungs, want)
	}
}

func mapsEqual(a, b map[string]RungRecord) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestASHAFiles pins the layout that other tools read: dir/<rung>/<trial>.json.
func TestASHAFiles(t *testing.T) {
	a, dir := newTestASHA(t, ASHAConfig{MinEpochs: 2, Eta: 2, MaxEpochs: 8})
	runASHASteps(t, a, []ashaStep{
		{"3fa2c1", []float64{0.7, 0.5}, false, "rung 2"},
		{"3fa2c1", []float64{0.7, 0.5, 0.4, 0.45}, false, "rung 4"},
	})
	for _, path := range []string{"2/3fa2c1.json", "4/3fa2c1.json"} {
		data, err := os.ReadFile(filepath.Join(dir, path))
		if err != nil {
			t.Fatal(err)
		}
		var rec struct {
			Score float64
			Stop  bool
		}
		if err := json.Unmarshal(data, &rec); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "2"))
	if len(entries) != 1 {
		t.Errorf("rung 2 directory holds %d entries, want 1 (no temp file left)", len(entries))
	}
}

// TestASHATempAndCorrupt checks that a killed writer's temp file is
// ignored, and that a record that does not parse is an error naming it.
func TestASHATempAndCorrupt(t *testing.T) {
	a, dir := newTestASHA(t, ASHAConfig{MinEpochs: 1, Eta: 3, MaxEpochs: 9})
	rung := filepath.Join(dir, "1")
	if err := os.MkdirAll(rung, 0o755); err != nil {
		t.Fatal(err)
	}
	// A writer killed mid-write leaves a part of a record under a dot name.
	writeRaw(t, filepath.Join(rung, ".dead.json.tmp-123456"), `{"trial":"dead","epo`)
	writeRaw(t, filepath.Join(rung, ".nfs000001"), `junk`)
	writeRaw(t, filepath.Join(rung, ".hidden.json"), `junk`) // no trial id starts with a dot
	runASHASteps(t, a, []ashaStep{{"a", []float64{0.5}, false, "first: temp files are no records"}})
	if rungs, err := ReadRungs(dir); err != nil || len(rungs[1]) != 1 {
		t.Errorf("ReadRungs = %v, %v; want a's record alone", rungs, err)
	}

	bad := filepath.Join(rung, "bad.json")
	writeRaw(t, bad, `{"trial":"bad",`)
	if _, err := a.Report("b", []float64{0.4}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("Report with a corrupt record: error %v, want one naming %s", err, bad)
	}
	if _, err := ReadRungs(dir); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("ReadRungs with a corrupt record: error %v, want one naming %s", err, bad)
	}
	// A record copied under another trial's name is caught too.
	writeRaw(t, bad, `{"trial":"a","epochs":1,"score":0.5,"stop":false}`)
	if _, err := ReadRungs(dir); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("ReadRungs with a misplaced record: error %v, want one naming %s", err, bad)
	}
}

func writeRaw(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestASHABadTrialID(t *testing.T) {
	a, dir := newTestASHA(t, ASHAConfig{MinEpochs: 1, Eta: 3, MaxEpochs: 9})
	for _, id := range []string{"", "..", "../x", "a/b", ".hidden"} {
		for _, n := range []int{1, 2} { // at a rung and between rungs
			if _, err := a.Report(id, make([]float64, n)); err == nil {
				t.Errorf("Report(%q) after %d epochs: no error", id, n)
			}
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a rejected id wrote under %s (stat: %v)", dir, err)
	}
}

func TestASHAReadRungsEmpty(t *testing.T) {
	rungs, err := ReadRungs(filepath.Join(t.TempDir(), "none"))
	if err != nil || len(rungs) != 0 {
		t.Errorf("ReadRungs of a missing dir = %v, %v; want empty, nil", rungs, err)
	}
}

// concurrentScore is trial i's score in the concurrency tests: distinct
// scores in a scrambled order (5 is prime to 16), the best, 0.1, for i=3.
func concurrentScore(i int) float64 { return 0.1 + 0.01*float64((5*i+1)%16) }

// checkConcurrentRung checks the records that n trials left at rung 1
// against the answers they got. Each decision was taken against some
// subset of the other records, so: every record is there and parses, a
// record's stop is the answer its trial got, and a stopped trial is beaten
// by a better record in the final set (a cutoff is never below the least
// score it is taken over), so the best trial went on.
func checkConcurrentRung(t *testing.T, dir string, n int, got map[string]bool) {
	t.Helper()
	rungs, err := ReadRungs(dir)
	if err != nil {
		t.Fatal(err)
	}
	recs := rungs[1]
	if len(recs) != n || len(got) != n {
		t.Fatalf("%d records, %d answers; want %d of each", len(recs), len(got), n)
	}
	best := math.Inf(1)
	for _, r := range recs {
		best = min(best, r.Score)
	}
	for i := range n {
		id := fmt.Sprintf("t%02d", i)
		r, ok := recs[id]
		switch {
		case !ok:
			t.Errorf("%s: no record", id)
		case r.Score != concurrentScore(i):
			t.Errorf("%s: recorded score %v, want %v", id, r.Score, concurrentScore(i))
		case r.Stop != got[id]:
			t.Errorf("%s: recorded stop %v, answered %v", id, r.Stop, got[id])
		case r.Stop && r.Score <= best:
			t.Errorf("%s: stopped with no better record", id)
		}
	}
}

// TestASHAConcurrentGoroutines has 16 pruners (as 16 processes would)
// report 16 trials at the same rung at once.
func TestASHAConcurrentGoroutines(t *testing.T) {
	const n = 16
	dir := filepath.Join(t.TempDir(), "rungs")
	cfg := ASHAConfig{MinEpochs: 1, Eta: 3, MaxEpochs: 9}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		start = make(chan struct{})
		got   = map[string]bool{}
	)
	for i := range n {
		wg.Go(func() {
			a, err := NewASHA(dir, cfg)
			if err != nil {
				t.Error(err)
				return
			}
			<-start
			id := fmt.Sprintf("t%02d", i)
			stop, err := a.Report(id, []float64{concurrentScore(i)})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			got[id] = stop
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	checkConcurrentRung(t, dir, n, got)
}

// helperEnv names the variables that make the test binary an ASHA
// reporting process for TestASHAConcurrentProcesses.
const (
	helperDirEnv    = "SWEEP_ASHA_HELPER_DIR"
	helperTrialsEnv = "SWEEP_ASHA_HELPER_TRIALS"
)

// TestASHAHelperProcess is not a test: run by TestASHAConcurrentProcesses
// with helperDirEnv set, it reports the trials numbered in helperTrialsEnv
// at rung 1 and prints "id stop" for each.
func TestASHAHelperProcess(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	if dir == "" {
		t.Skip("helper process for TestASHAConcurrentProcesses")
	}
	a, err := NewASHA(dir, ASHAConfig{MinEpochs: 1, Eta: 3, MaxEpochs: 9})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range strings.Fields(os.Getenv(helperTrialsEnv)) {
		i, _ := strconv.Atoi(s)
		id := fmt.Sprintf("t%02d", i)
		stop, err := a.Report(id, []float64{concurrentScore(i)})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("%s %v\n", id, stop)
	}
}

// TestASHAConcurrentProcesses has four processes (the test binary run
// again) report four trials each at the same rung at once, as workers
// sharing a sweep directory do.
func TestASHAConcurrentProcesses(t *testing.T) {
	const procs, each = 4, 4
	dir := filepath.Join(t.TempDir(), "rungs")
	cmds := make([]*exec.Cmd, procs)
	outs := make([]strings.Builder, procs)
	for p := range procs {
		var trials []string
		for k := range each {
			trials = append(trials, strconv.Itoa(k*procs+p))
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestASHAHelperProcess$")
		cmd.Env = append(os.Environ(), helperDirEnv+"="+dir, helperTrialsEnv+"="+strings.Join(trials, " "))
		cmd.Stdout, cmd.Stderr = &outs[p], &outs[p]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[p] = cmd
	}
	got := map[string]bool{}
	for p, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper %d: %v\n%s", p, err, outs[p].String())
		}
		for _, line := range strings.Split(outs[p].String(), "\n") {
			var id string
			var stop bool
			if _, err := fmt.Sscanf(line, "t%s %t", &id, &stop); err == nil {
				got["t"+id] = stop
			}
		}
	}
	checkConcurrentRung(t, dir, procs*each, got)
}

// replayCurve is trial i's loss after e epochs: it falls as c/e towards a
// floor f. The floors are 0.2 + 0.01·((7i+8) mod 27), a permutation, so
// trial 22 (7·22+8 = 162 ≡ 0) ends best; the rates c differ, so curves cross.
func replayCurve(i, e int) float64 {
	f := 0.2 + 0.01*float64((7*i+8)%27)
	c := 0.5 + 0.3*float64((5*i)%27)/27
	return f + c/float64(e)
}

// TestASHAReplay runs 27 trials one after another under ASHA (Eta 3, 1 to
// 27 epochs), each until it is stopped or finishes.
func TestASHAReplay(t *testing.T) {
	const n, maxEpochs, bestTrial = 27, 27, 22
	a, dir := newTestASHA(t, ASHAConfig{MinEpochs: 1, Eta: 3, MaxEpochs: maxEpochs})
	total := 0
	ran := make([]int, n)
	for i := range n {
		var curve []float64
		for e := 1; e <= maxEpochs; e++ {
			curve = append(curve, replayCurve(i, e))
			stop, err := a.Report(fmt.Sprintf("%02x", i), curve)
			if err != nil {
				t.Fatal(err)
			}
			if stop {
				break
			}
		}
		ran[i] = len(curve)
		total += len(curve)
	}
	for i := range n {
		if replayCurve(i, maxEpochs) < replayCurve(bestTrial, maxEpochs) {
			t.Fatalf("trial %d ends below trial %d: the formula's comment is wrong", i, bestTrial)
		}
	}
	if ran[bestTrial] != maxEpochs {
		t.Errorf("the best trial, %d, was stopped after %d epochs", bestTrial, ran[bestTrial])
	}
	// Without pruning 27 trials run 27·27 = 729 epochs.
	if total >= n*maxEpochs/3 {
		t.Errorf("ASHA ran %d epochs in all, want well under 729/3 = 243", total)
	}
	checkPromotions(t, dir, a.Rungs())
}

// checkPromotions checks that the trials recorded at each rung past the
// first are those that went on from the rung before.
func checkPromotions(t *testing.T, dir string, rungs []int) {
	t.Helper()
	recs, err := ReadRungs(dir)
	if err != nil {
		t.Fatal(err)
	}
	for k := 1; k < len(rungs); k++ {
		var went []string
		for id, r := range recs[rungs[k-1]] {
			if !r.Stop {
				went = append(went, id)
			}
		}
		var next []string
		for id := range recs[rungs[k]] {
			next = append(next, id)
		}
		slices.Sort(went)
		slices.Sort(next)
		if !slices.Equal(went, next) {
			t.Errorf("rung %d holds %v, but %v went on from rung %d", rungs[k], next, went, rungs[k-1])
		}
	}
}
