package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/orchestrator/search"
	"github.com/sweep-ml/sweep/orchestrator/spec"
	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/results"
)

// bowlModel reports val_loss = (lr-0.01)² + 1/(epoch+1) after each epoch
// (and val_acc = 1 - val_loss): every configuration improves with epochs,
// and lr = 0.01 is the best at every epoch. It records each call's trial
// ID; onCall, if set, runs at the start of every call.
type bowlModel struct {
	mu     sync.Mutex
	calls  []string
	onCall func(call int)
}

func (m *bowlModel) Describe(context.Context) (plugins.Description, error) {
	return plugins.Description{Name: "bowl", Params: []plugins.ParamSpec{
		{Name: "lr", Type: plugins.TypeFloat, Default: 0.01},
		{Name: "epochs", Type: plugins.TypeInt, Default: int64(3)},
		{Name: "kind", Type: plugins.TypeString, Default: "a"},
		{Name: "width", Type: plugins.TypeInt, Default: int64(1)},
	}, Metrics: []string{"train_loss", "val_loss", "val_acc"}}, nil
}

// bowlLoss is the bowl's val_loss after epoch e (counted from 0).
func bowlLoss(lr float64, e int64) float64 { return (lr-0.01)*(lr-0.01) + 1/float64(e+1) }

func (m *bowlModel) Train(ctx context.Context, req plugins.TrainRequest, emit func(plugins.Event) error) (plugins.Outcome, error) {
	m.mu.Lock()
	m.calls = append(m.calls, req.TrialID)
	call := len(m.calls)
	m.mu.Unlock()
	if m.onCall != nil {
		m.onCall(call)
	}
	lr, epochs := req.Params["lr"].(float64), req.Params["epochs"].(int64)
	for e := range epochs {
		if err := ctx.Err(); err != nil {
			return plugins.Outcome{}, err
		}
		v := bowlLoss(lr, e)
		if err := emit(plugins.Event{Step: e, Scalars: []plugins.Scalar{
			{Tag: "train_loss", Value: v / 2}, {Tag: "val_loss", Value: v}, {Tag: "val_acc", Value: 1 - v}}}); err != nil {
			return plugins.Outcome{}, err
		}
	}
	last := bowlLoss(lr, epochs-1)
	return plugins.Outcome{BestValLoss: last, BestEpoch: epochs - 1, EpochsRun: epochs, FinalTrainLoss: last / 2, FinalValLoss: last}, nil
}

// callsByTrial counts the model's calls of each trial.
func (m *bowlModel) callsByTrial() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := map[string]int{}
	for _, id := range m.calls {
		n[id]++
	}
	return n
}

func (m *bowlModel) callCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.calls)
}

// bowlSpace is the bowl's space in a search: lr and width.
var bowlSpace = search.Space{
	{Name: "lr", Kind: search.LogUniform, Lo: 1e-3, Hi: 1e-1},
	{Name: "width", Kind: search.Int, Lo: 1, Hi: 64},
	{Name: "kind", Kind: search.Choice, Choices: []any{"a", "b"}},
	{Name: "dims", Kind: search.Choice, Choices: []any{[]int64{64, 32}, []int64{128}}},
	{Name: "scale", Kind: search.Int, Lo: 0, Hi: 3, AsFloat: true},
}

func bowlParams(lr float64, width int64) map[string]any {
	return map[string]any{"lr": lr, "width": width, "kind": "b", "dims": []int64{64, 32}, "scale": 2.0}
}

// TestAskedRoundTrip proves that a claim read back from disk restores
// every value with the Go type the space gives it (JSON has one number type
// and returns lists as []any): int64 for an int dimension, float64 for an
// int dimension of a float hyperparameter and for whole floats, and a
// list choice as the choice's own []int64. The other fields come back as
// written.
func TestAskedRoundTrip(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 11, 30, 4, 48, 54, 0, time.UTC)
	dup := 0
	want := []*askRecord{
		{Number: 0, Params: bowlParams(0.01, 7), Trials: []string{"aa", "bb"}, AskedAt: at, Host: "h", PID: 12},
		{Number: 1, Params: map[string]any{"lr": 0.1, "width": int64(64), "kind": "a", "dims": []int64{128}, "scale": 0.0},
			Trials: []string{"cc"}, AskedAt: at, Host: "h", PID: 12},
		{Number: 2, Params: bowlParams(0.01, 7), Trials: []string{"aa", "bb"}, DuplicateOf: &dup, AskedAt: at, Host: "h", PID: 13},
	}
	for _, a := range want {
		if err := claim(dir, a); err != nil {
			t.Fatal(err)
		}
	}
	got, err := loadAsked(dir, bowlSpace)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		for i := range got {
			t.Errorf("claim %d:\ngot  %#v\nwant %#v", i, *got[i], *want[i])
		}
	}
	if got, err := loadAsked(filepath.Join(dir, "never"), bowlSpace); got != nil || err != nil {
		t.Errorf("loadAsked of a search never run: %v, %v; want nothing", got, err)
	}
}

// TestLoadAskedErrors proves that a history that cannot be trusted is an
// error naming the file at fault: a gap in the numbering, a file that does
// not parse, a file whose name does not match its number, and a value that
// does not fit the space (the grid's space changed since it was asked).
func TestLoadAskedErrors(t *testing.T) {
	good := func(n int) string {
		return fmt.Sprintf(`{"number": %d, "params": {"lr": 0.01, "width": 3, "kind": "a", "dims": [128], "scale": 1}, "trials": ["x"]}`, n)
	}
	for _, c := range []struct {
		name  string
		files map[string]string
		bad   string // the file the error names
		want  string
	}{
		{"gap", map[string]string{"000000.json": good(0), "000002.json": good(2)}, "000002.json",
			"configuration 2, want 1: the claims of"},
		{"missing first", map[string]string{"000001.json": good(1)}, "000001.json", "configuration 1, want 0"},
		{"not JSON", map[string]string{"000000.json": good(0), "000001.json": "{"}, "000001.json", "unexpected end of JSON input"},
		{"misnamed", map[string]string{"000000.json": good(0), "1.json": good(1)}, "1.json", "configuration 1, want 1"},
		{"number mismatch", map[string]string{"000000.json": good(1)}, "000000.json", "configuration 1, want 0"},
		{"outside a range", map[string]string{"000000.json": strings.Replace(good(0), `"lr": 0.01`, `"lr": 5`, 1)}, "000000.json",
			"lr = 5 is outside [0.001, 0.1] (did [search.space] change?"},
		{"not a choice", map[string]string{"000000.json": strings.Replace(good(0), `"dims": [128]`, `"dims": [256]`, 1)}, "000000.json",
			"dims = [256] is not one of its choices"},
		{"a string for a number", map[string]string{"000000.json": strings.Replace(good(0), `"width": 3`, `"width": "3"`, 1)}, "000000.json",
			"width = 3 is outside [1, 64]"},
		{"a dimension missing", map[string]string{"000000.json": strings.Replace(good(0), `"kind": "a", `, ``, 1)}, "000000.json",
			"no value of kind"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(askedDir(dir), 0o755); err != nil {
				t.Fatal(err)
			}
			for name, data := range c.files {
				if err := os.WriteFile(filepath.Join(askedDir(dir), name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := loadAsked(dir, bowlSpace)
			if err == nil {
				t.Fatalf("no error; read %d claims", len(got))
			}
			if path := filepath.Join(askedDir(dir), c.bad); !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want %q naming %s", err, c.want, path)
			}
		})
	}
}

// TestLoadAskedIgnoresTemps proves that what a killed claim leaves behind
// (a '.'-prefixed temporary file) and files that are not claims are not
// read as history.
func TestLoadAskedIgnoresTemps(t *testing.T) {
	dir := t.TempDir()
	if err := claim(dir, &askRecord{Number: 0, Params: bowlParams(0.02, 2), Trials: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{".000001.json.tmp-1234": "{", ".000001.json": "{", "README.txt": "notes"} {
		if err := os.WriteFile(filepath.Join(askedDir(dir), name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := loadAsked(dir, bowlSpace)
	if err != nil || len(got) != 1 || got[0].Number != 0 {
		t.Fatalf("loadAsked: %v, %v; want claim 0 alone", got, err)
	}
}

// TestClaimTwice proves that a configuration number is claimed once: a
// second claim of it, by this process or another, gets errClaimed and
// leaves the first claim as it was.
func TestClaimTwice(t *testing.T) {
	dir := t.TempDir()
	first := &askRecord{Number: 0, Params: bowlParams(0.02, 2), Trials: []string{"first"}}
	if err := claim(dir, first); err != nil {
		t.Fatal(err)
	}
	err := claim(dir, &askRecord{Number: 0, Params: bowlParams(0.05, 9), Trials: []string{"second"}})
	if !errors.Is(err, errClaimed) {
		t.Fatalf("second claim of 0: %v, want errClaimed", err)
	}
	got, err := loadAsked(dir, bowlSpace)
	if err != nil || len(got) != 1 || got[0].Trials[0] != "first" {
		t.Errorf("after the refused claim: %v, %v; want the first claim alone", got, err)
	}
	if err := claim(dir, &askRecord{Number: 1, Params: bowlParams(0.05, 9), Trials: []string{"second"}}); err != nil {
		t.Errorf("claim of the next number: %v", err)
	}
}

// TestObserve proves how a configuration's trials sum up for the sampler:
// running while any repeat has not finished; complete with the mean of
// its completed repeats' scores, minimised (negated for mode "max");
// pruned, when no repeat completed, with the mean score and the fewest
// epochs a repeat ran; failed when every repeat failed or reported no
// score.
func TestObserve(t *testing.T) {
	score := func(v float64) *float64 { return &v }
	rec := func(status results.Status, s *float64, epochs int64) *results.Trial {
		return &results.Trial{Status: status, Score: s, EpochsRun: epochs}
	}
	ok, failed, pruned := results.StatusSucceeded, results.StatusFailed, results.StatusPruned
	for _, c := range []struct {
		name string
		mode string
		recs []*results.Trial // nil: not finished
		want search.Observation
	}{
		{"one repeat unfinished", spec.ModeMin, []*results.Trial{rec(ok, score(1), 9), nil},
			search.Observation{State: search.Running}},
		{"complete, mean", spec.ModeMin, []*results.Trial{rec(ok, score(1), 9), rec(ok, score(3), 9)},
			search.Observation{State: search.Complete, Value: 2}},
		{"complete, mode max", spec.ModeMax, []*results.Trial{rec(ok, score(1), 9), rec(ok, score(3), 9)},
			search.Observation{State: search.Complete, Value: -2}},
		{"complete and failed", spec.ModeMin, []*results.Trial{rec(failed, nil, 1), rec(ok, score(0.5), 9)},
			search.Observation{State: search.Complete, Value: 0.5}},
		{"complete and pruned", spec.ModeMin, []*results.Trial{rec(pruned, score(9), 1), rec(ok, score(0.5), 9)},
			search.Observation{State: search.Complete, Value: 0.5}},
		{"pruned at the fewest epochs", spec.ModeMin, []*results.Trial{rec(pruned, score(0.5), 3), rec(pruned, score(0.7), 1)},
			search.Observation{State: search.Pruned, Value: 0.6, Step: 1}},
		{"pruned, mode max", spec.ModeMax, []*results.Trial{rec(pruned, score(0.5), 5)},
			search.Observation{State: search.Pruned, Value: -0.5, Step: 5}},
		{"pruned without a score", spec.ModeMin, []*results.Trial{rec(pruned, nil, 2)},
			search.Observation{State: search.Pruned, Value: math.Inf(1), Step: 2}},
		{"all failed", spec.ModeMin, []*results.Trial{rec(failed, nil, 1), rec(failed, score(4), 2)},
			search.Observation{State: search.Failed}},
		{"succeeded without a score", spec.ModeMin, []*results.Trial{rec(ok, nil, 9)},
			search.Observation{State: search.Failed}},
	} {
		t.Run(c.name, func(t *testing.T) {
			sr := &searchRun{p: &Plan{Spec: &spec.Spec{Objective: spec.Objective{Metric: "val_loss", Mode: c.mode}}},
				finished: newFinishedStore(nil, spec.Objective{}, nil)}
			a := &askRecord{Number: 4, Params: bowlParams(0.02, 3)}
			for i, r := range c.recs {
				id := fmt.Sprintf("t%d", i)
				a.Trials = append(a.Trials, id)
				if r != nil {
					sr.finished.recs[id] = r
				}
			}
			got := sr.observe(a)
			c.want.Params = a.Params
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("observe: %+v, want %+v", got, c.want)
			}
		})
	}
}

// writeRecord writes rec as a finished run of its trial under sweepDir.
func writeRecord(t *testing.T, sweepDir string, rec *results.Trial, stamp string) {
	t.Helper()
	dir := filepath.Join(sweepDir, rec.Name, stamp)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := results.WriteTrial(dir, rec); err != nil {
		t.Fatal(err)
	}
}

// TestPendingSkipsPruned proves that a pruned trial has ended for good: it
// is skipped like a succeeded one, by a plain re-run and by --rerun failed
// (which re-runs only the failure), and runs again only with --rerun all.
func TestPendingSkipsPruned(t *testing.T) {
	trials := newTestPlan(t, "[grid]\nlr = [0.1, 0.2, 0.3, 0.4]\n", &scriptedModel{}).Trials
	dir := t.TempDir()
	status := []results.Status{results.StatusPruned, results.StatusFailed, results.StatusSucceeded}
	for i, st := range status {
		writeRecord(t, dir, &results.Trial{ID: trials[i].ID, Name: trials[i].Name, Status: st, Attempt: 1,
			StartedAt: time.Now()}, "20260101-000000")
	}
	onDisk, err := results.LoadSweep(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		rerun   string
		run     []int // indices of the trials to run
		skipped int
	}{
		{RerunNone, []int{3}, 3},
		{RerunFailed, []int{1, 3}, 2},
		{RerunAll, []int{0, 1, 2, 3}, 0},
	} {
		jobs, skipped := Pending(trials, onDisk, 0, c.rerun)
		var run []int
		for _, j := range jobs {
			run = append(run, j.Trial.Index)
		}
		if !reflect.DeepEqual(run, c.run) || skipped != c.skipped {
			t.Errorf("rerun %q: runs %v, skips %d; want %v and %d", c.rerun, run, skipped, c.run, c.skipped)
		}
	}
}

// TestTrialMetrics proves what the host computes from the events it
// received: the objective's curve (NaN at an epoch that did not report
// it), the best score and its epoch by the objective's mode (earliest on
// a tie, NaN never best), the curve negated for a maximised objective as
// the pruner sees it, the epochs run, and the last value of a metric.
func TestTrialMetrics(t *testing.T) {
	events := []plugins.Event{
		{Step: 0, Scalars: []plugins.Scalar{{Tag: "val_loss", Value: 3}, {Tag: "acc", Value: 0.2}}},
		{Step: 1, Scalars: []plugins.Scalar{{Tag: "train_loss", Value: 9}}}, // no val_loss at epoch 1
		{Step: 2, Scalars: []plugins.Scalar{{Tag: "val_loss", Value: 1}, {Tag: "acc", Value: 0.7}}},
		{Step: 3, Scalars: []plugins.Scalar{{Tag: "val_loss", Value: math.NaN()}, {Tag: "acc", Value: 0.7}}},
		{Step: 4, Scalars: []plugins.Scalar{{Tag: "val_loss", Value: 1}, {Tag: "acc", Value: 0.5}}},
		{Step: 5}, // a histogram-only event
	}
	feed := func(obj spec.Objective) trialMetrics {
		m := newTrialMetrics(obj)
		for _, e := range events {
			m.observe(e)
		}
		return m
	}
	sameCurve := func(a, b []float64) bool {
		return slices.EqualFunc(a, b, func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) })
	}

	byMin := feed(spec.Objective{Metric: "val_loss", Mode: spec.ModeMin})
	nan := math.NaN()
	if c := byMin.curve(); !sameCurve(c, []float64{3, nan, 1, nan, 1}) {
		t.Errorf("curve %v, want [3 NaN 1 NaN 1]", c)
	}
	if s, e := byMin.score(); s == nil || *s != 1 || e != 2 {
		t.Errorf("min: score %v at epoch %d, want 1 at epoch 2 (the earliest of a tie)", s, e)
	}
	if c := byMin.minimised(); !sameCurve(c, []float64{3, nan, 1, nan, 1}) {
		t.Errorf("minimised curve of a minimised objective %v, want the curve", c)
	}
	if n := byMin.epochs(); n != 5 {
		t.Errorf("epochs %d, want 5 (epochs 0 to 4 reported scalars)", n)
	}
	if v := byMin.last("train_loss"); v != 9 {
		t.Errorf("last train_loss %v, want 9", v)
	}
	if v := byMin.last("nope"); !math.IsNaN(v) {
		t.Errorf("last of a metric never reported %v, want NaN", v)
	}

	byMax := feed(spec.Objective{Metric: "acc", Mode: spec.ModeMax})
	if s, e := byMax.score(); s == nil || *s != 0.7 || e != 2 {
		t.Errorf("max: score %v at epoch %d, want 0.7 at epoch 2", s, e)
	}
	if c := byMax.minimised(); !sameCurve(c, []float64{-0.2, nan, -0.7, -0.7, -0.5}) {
		t.Errorf("minimised curve of a maximised objective %v, want it negated", c)
	}
	if c := byMax.curve(); !sameCurve(c, []float64{0.2, nan, 0.7, 0.7, 0.5}) {
		t.Errorf("curve %v, want the values as reported", c)
	}

	none := feed(spec.Objective{Metric: "f1", Mode: spec.ModeMax})
	if s, _ := none.score(); s != nil || none.curve() != nil {
		t.Errorf("a metric never reported: score %v curve %v, want none", s, none.curve())
	}
	if byMin.reported(events[1]) || !byMin.reported(events[0]) || byMax.reported(events[1]) || !byMax.reported(events[2]) {
		t.Errorf("reported: says an event carries the objective when it does not, or the reverse")
	}
}

// bowlSearch is a random search of the bowl model.
func bowlSearch(trials int) string {
	return fmt.Sprintf(`seed = 5
[params]
epochs = 3
[search]
sampler = "random"
trials = %d
[search.space]
lr    = { log_uniform = [1e-3, 1e-1] }
width = { int = [1, 64] }
`, trials)
}

// askedFiles lists the claim files of a sweep directory.
func askedFiles(t *testing.T, sweepDir string) []string {
	t.Helper()
	entries, err := os.ReadDir(askedDir(sweepDir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func claimNames(from, to int) []string {
	var names []string
	for n := from; n < to; n++ {
		names = append(names, fmt.Sprintf("%06d.json", n))
	}
	return names
}

// checkFinishedOnce fails t unless every asked trial of p has exactly one
// run on disk and it succeeded.
func checkFinishedOnce(t *testing.T, p *Plan, m *bowlModel) {
	t.Helper()
	onDisk, err := results.LoadSweep(p.Dir)
	if err != nil {
		t.Fatal(err)
	}
	calls := m.callsByTrial()
	for _, tr := range p.Trials {
		runs := onDisk.Trial(tr.ID)
		if runs == nil || len(runs.Runs) != 1 || runs.Finished == nil || runs.Finished.Trial.Status != results.StatusSucceeded {
			t.Errorf("trial %d (%s): runs %+v, want one succeeded", tr.Number, tr.Name, runs)
		}
		if calls[tr.ID] != 1 {
			t.Errorf("trial %d (%s) trained %d times, want once", tr.Number, tr.Name, calls[tr.ID])
		}
	}
	if len(onDisk.Trials) != len(p.Trials) {
		t.Errorf("%d trials on disk, %d asked", len(onDisk.Trials), len(p.Trials))
	}
}

// TestRunSearch runs a random search end to end in process, with one
// worker and with two. It proves that exactly the budget is asked (claims
// 000000 to 000006), that every asked trial runs once and its record says
// which configuration it is, that the progress ends with every trial done,
// and that running the finished search again runs nothing.
func TestRunSearch(t *testing.T) {
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			m := &bowlModel{}
			p := newTestPlan(t, bowlSearch(7), m)
			if len(p.Trials) != 0 {
				t.Fatalf("a fresh search plans %d trials, want none", len(p.Trials))
			}
			var first, last Event
			obs := ObserverFunc(func(e Event) {
				if e.Kind == EventSweepStart {
					first = e
				}
				last = e
			})
			sum := mustRun(t, context.Background(), p, RunOptions{Workers: workers, Observer: obs})
			if got := askedFiles(t, p.Dir); !reflect.DeepEqual(got, claimNames(0, 7)) {
				t.Errorf("claims %v, want 000000 to 000006", got)
			}
			if len(sum.Records) != 7 || statuses(sum.Records)[results.StatusSucceeded] != 7 || sum.Failed != 0 || sum.Skipped != 0 {
				t.Errorf("summary %+v (%v), want 7 trials succeeded", sum, statuses(sum.Records))
			}
			if len(p.Trials) != 7 {
				t.Errorf("the plan lists %d trials after the run, want the 7 asked", len(p.Trials))
			}
			checkFinishedOnce(t, p, m)
			asked, err := loadAsked(p.Dir, p.Search.Space)
			if err != nil {
				t.Fatal(err)
			}
			byID := map[string]*results.Trial{}
			for _, r := range sum.Records {
				byID[r.ID] = r
			}
			for _, a := range asked {
				r := byID[a.Trials[0]]
				if len(a.Trials) != 1 || r == nil || r.Number != a.Number || r.Params["lr"] != a.Params["lr"] ||
					r.Params["width"] != a.Params["width"] {
					t.Errorf("claim %d (%v, trials %v) and its record %+v disagree", a.Number, a.Params, a.Trials, r)
				}
				if want := bowlLoss(r.Params["lr"].(float64), 2); r.Score == nil || *r.Score != want || r.EpochsRun != 3 {
					t.Errorf("trial %d: score %v after %d epochs, want %v after 3", a.Number, r.Score, r.EpochsRun, want)
				}
			}
			if first.Total != 7 || last.Kind != EventSweepEnd || last.Succeeded != 7 || last.Running != 0 {
				t.Errorf("progress: first %+v, last %+v; want 7 trials, all done", first, last)
			}

			again := mustRun(t, context.Background(), p, RunOptions{Workers: workers})
			if len(again.Records) != 0 || again.Skipped != 7 || m.callCount() != 7 {
				t.Errorf("second run ran %d trials (skipped %d, %d calls in all), want none", len(again.Records), again.Skipped, m.callCount())
			}
			if got := askedFiles(t, p.Dir); len(got) != 7 {
				t.Errorf("second run left %d claims, want 7", len(got))
			}
		})
	}
}

// TestRunSearchRaiseBudget proves that a search resumes from its claims:
// a new plan over the same directory with a budget of 10 instead of 7
// lists the 7 asked trials, asks exactly 3 more (numbers 7 to 9) and does
// not run the first 7 again; ReadSearchInfo reports the budget and the
// claims after each run.
func TestRunSearchRaiseBudget(t *testing.T) {
	dir := t.TempDir()
	m := &bowlModel{}
	p := newTestPlanIn(t, dir, bowlSearch(7), m)
	mustRun(t, context.Background(), p, RunOptions{Workers: 2})
	first := append([]spec.Trial(nil), p.Trials...)
	checkSearchInfo(t, p.Dir, &results.SearchInfo{Sampler: spec.SamplerRandom, Budget: 7, Asked: 7, Pruner: spec.PruneNone})

	p10 := newTestPlanIn(t, dir, bowlSearch(10), m)
	if len(p10.Trials) != 7 {
		t.Fatalf("the new plan lists %d trials, want the 7 asked", len(p10.Trials))
	}
	for i := range first {
		if p10.Trials[i].ID != first[i].ID || p10.Trials[i].Name != first[i].Name || p10.Trials[i].Number != first[i].Number {
			t.Errorf("asked trial %d: %s %s in the new plan, %s %s in the first", i, p10.Trials[i].ID, p10.Trials[i].Name, first[i].ID, first[i].Name)
		}
	}
	sum := mustRun(t, context.Background(), p10, RunOptions{Workers: 2})
	if got := askedFiles(t, p10.Dir); !reflect.DeepEqual(got, claimNames(0, 10)) {
		t.Errorf("claims %v, want 000000 to 000009", got)
	}
	var numbers []int
	for _, r := range sum.Records {
		numbers = append(numbers, r.Number)
	}
	slices.Sort(numbers)
	if !reflect.DeepEqual(numbers, []int{7, 8, 9}) || sum.Skipped != 7 {
		t.Errorf("the raised budget ran configurations %v and skipped %d, want 7, 8, 9 and 7", numbers, sum.Skipped)
	}
	checkFinishedOnce(t, p10, m)
	checkSearchInfo(t, p10.Dir, &results.SearchInfo{Sampler: spec.SamplerRandom, Budget: 10, Asked: 10, Pruner: spec.PruneNone})
}

// checkSearchInfo fails t unless ReadSearchInfo describes the sweep in
// dir as want: the grid as last run, and the claims on disk.
func checkSearchInfo(t *testing.T, dir string, want *results.SearchInfo) {
	t.Helper()
	got, err := ReadSearchInfo(dir)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ReadSearchInfo: %+v, %v; want %+v", got, err, want)
	}
}

// TestRunSearchDeterministic proves that a search's proposals come from
// its seed: two fresh directories, one worker each, ask the same
// configurations in the same order, with the same trial IDs and names.
func TestRunSearchDeterministic(t *testing.T) {
	askedIn := func() ([]*askRecord, []spec.Trial) {
		p := newTestPlan(t, bowlSearch(6), &bowlModel{})
		mustRun(t, context.Background(), p, RunOptions{Workers: 1})
		asked, err := loadAsked(p.Dir, p.Search.Space)
		if err != nil {
			t.Fatal(err)
		}
		return asked, p.Trials
	}
	a, ta := askedIn()
	b, tb := askedIn()
	if len(a) != 6 || len(b) != 6 {
		t.Fatalf("asked %d and %d, want 6", len(a), len(b))
	}
	for i := range a {
		if !reflect.DeepEqual(a[i].Params, b[i].Params) || !reflect.DeepEqual(a[i].Trials, b[i].Trials) {
			t.Errorf("configuration %d: %v in one directory, %v in the other", i, a[i].Params, b[i].Params)
		}
	}
	names := func(trials []spec.Trial) []string {
		out := make([]string, len(trials))
		for i, tr := range trials {
			out[i] = tr.Name
		}
		return out
	}
	if !reflect.DeepEqual(names(ta), names(tb)) {
		t.Errorf("names %v and %v", names(ta), names(tb))
	}
}

// TestRunSearchInterrupted proves that an interrupted search resumes
// without asking more than its budget: the claims survive, the trial that
// was interrupted runs again, and every asked trial ends with one
// succeeded run.
func TestRunSearchInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	m := &bowlModel{}
	m.onCall = func(call int) {
		if call == 3 {
			cancel(errors.New("stopped by signal interrupt"))
		}
	}
	dir := t.TempDir()
	p := newTestPlanIn(t, dir, bowlSearch(5), m)
	sum := mustRun(t, ctx, p, RunOptions{Workers: 1})
	if !sum.Interrupted || statuses(sum.Records)[results.StatusInterrupted] != 1 {
		t.Fatalf("summary %+v (%v), want interrupted with one interrupted trial", sum, statuses(sum.Records))
	}
	m.onCall = nil
	resumed := newTestPlanIn(t, dir, bowlSearch(5), m)
	rs := mustRun(t, context.Background(), resumed, RunOptions{Workers: 1})
	if got := askedFiles(t, resumed.Dir); !reflect.DeepEqual(got, claimNames(0, 5)) {
		t.Errorf("claims %v, want 000000 to 000004", got)
	}
	if rs.Skipped != 2 || len(rs.Records) != 3 || statuses(rs.Records)[results.StatusSucceeded] != 3 {
		t.Errorf("resume skipped %d and ran %v, want 2 skipped and 3 succeeded", rs.Skipped, statuses(rs.Records))
	}
	onDisk, err := results.LoadSweep(resumed.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range resumed.Trials {
		if runs := onDisk.Trial(tr.ID); runs == nil || runs.Finished == nil || runs.Finished.Trial.Status != results.StatusSucceeded {
			t.Errorf("trial %d did not succeed: %+v", tr.Number, runs)
		}
	}
}

// TestRunSearchRerunAllRefused proves that --rerun all is refused for an
// adaptive search, which learns from its history, before anything runs.
func TestRunSearchRerunAllRefused(t *testing.T) {
	m := &bowlModel{}
	p := newTestPlan(t, bowlSearch(2), m)
	if _, err := Run(context.Background(), p, RunOptions{Rerun: RerunAll}); err == nil || !strings.Contains(err.Error(), "--rerun all") {
		t.Errorf("--rerun all: %v, want refused", err)
	}
	if m.callCount() != 0 {
		t.Errorf("%d trials ran", m.callCount())
	}
}

// TestRunSearchTPE runs a TPE search past its random start-up (10
// configurations) with two workers: exactly the budget is asked and every
// trial runs once, also once TPE proposes from the history.
func TestRunSearchTPE(t *testing.T) {
	m := &bowlModel{}
	p := newTestPlan(t, strings.Replace(bowlSearch(13), `"random"`, `"tpe"`, 1), m)
	sum := mustRun(t, context.Background(), p, RunOptions{Workers: 2})
	if got := askedFiles(t, p.Dir); !reflect.DeepEqual(got, claimNames(0, 13)) {
		t.Errorf("claims %v, want 000000 to 000012", got)
	}
	if len(sum.Records) != 13 || statuses(sum.Records)[results.StatusSucceeded] != 13 {
		t.Errorf("ran %v, want 13 succeeded", statuses(sum.Records))
	}
	checkFinishedOnce(t, p, m)
}

// TestRunASHAGrid runs a grid of 9 configurations of the bowl for 9
// epochs under ASHA (min_epochs 1, eta 3: rungs at 1 and 3 epochs) with one
// worker, in an order that prunes trials at both rungs. It proves that the
// pruner sees each epoch's curve (a trial stops exactly at a rung, with
// the score it had there), that pruned trials are recorded as pruned, that
// the best configuration runs to its end, that ASHA's records are kept
// under .search/rungs, and that a second run re-runs none of them.
//
// The outcomes follow from ASHA's rule (a trial goes on at a rung when its
// score is within the best 1/eta of the scores recorded there before it):
// lr 0.01 and 0.02 run 9 epochs, 0.04 and 0.03 stop at 3, the others at 1.
func TestRunASHAGrid(t *testing.T) {
	m := &bowlModel{}
	p := newTestPlan(t, `[params]
epochs = 9
[grid]
lr = [0.01, 0.05, 0.06, 0.04, 0.08, 0.07, 0.03, 0.09, 0.02]
[prune]
method = "asha"
min_epochs = 1
eta = 3
`, m)
	sum := mustRun(t, context.Background(), p, RunOptions{Workers: 1})
	want := map[float64]struct {
		status results.Status
		epochs int64
	}{
		0.01: {results.StatusSucceeded, 9}, 0.02: {results.StatusSucceeded, 9},
		0.04: {results.StatusPruned, 3}, 0.03: {results.StatusPruned, 3},
		0.05: {results.StatusPruned, 1}, 0.06: {results.StatusPruned, 1}, 0.07: {results.StatusPruned, 1},
		0.08: {results.StatusPruned, 1}, 0.09: {results.StatusPruned, 1},
	}
	if len(sum.Records) != 9 {
		t.Fatalf("ran %d trials, want 9", len(sum.Records))
	}
	for _, r := range sum.Records {
		lr := r.Params["lr"].(float64)
		w := want[lr]
		if r.Status == results.StatusPruned && r.EpochsRun != 1 && r.EpochsRun != 3 {
			t.Errorf("lr %v: pruned after %d epochs, which is no rung", lr, r.EpochsRun)
		}
		if r.Status != w.status || r.EpochsRun != w.epochs {
			t.Errorf("lr %v: %s after %d epochs, want %s after %d", lr, r.Status, r.EpochsRun, w.status, w.epochs)
		}
		if wantScore := bowlLoss(lr, r.EpochsRun-1); r.Score == nil || *r.Score != wantScore || len(r.Curve) != int(r.EpochsRun) {
			t.Errorf("lr %v: score %v with a curve of %d epochs, want %v and %d", lr, r.Score, len(r.Curve), wantScore, r.EpochsRun)
		}
		if r.Status == results.StatusPruned && r.Error != "" {
			t.Errorf("lr %v: a pruned trial has an error: %s", lr, r.Error)
		}
	}
	if n := statuses(sum.Records)[results.StatusPruned]; n != 7 || sum.Failed != 0 {
		t.Errorf("%d pruned, %d failed; want 7 and 0", n, sum.Failed)
	}
	rungs, err := search.ReadRungs(filepath.Join(p.Dir, searchDir, "rungs"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rungs[1]) != 9 || len(rungs[3]) != 4 || len(rungs) != 2 {
		t.Errorf("rung records: %d at 1, %d at 3, %d rungs; want 9, 4 and 2", len(rungs[1]), len(rungs[3]), len(rungs))
	}

	if info, err := ReadSearchInfo(p.Dir); info != nil || err != nil {
		t.Errorf("ReadSearchInfo of a grid sweep: %+v, %v; want nil", info, err)
	}
	calls := m.callCount()
	again := mustRun(t, context.Background(), p, RunOptions{Workers: 1})
	if len(again.Records) != 0 || again.Skipped != 9 || m.callCount() != calls {
		t.Errorf("second run ran %d trials and skipped %d, want none run and 9 skipped", len(again.Records), again.Skipped)
	}
	failed := mustRun(t, context.Background(), p, RunOptions{Workers: 1, Rerun: RerunFailed})
	if len(failed.Records) != 0 {
		t.Errorf("--rerun failed ran %d pruned trials, want none", len(failed.Records))
	}
}

// TestRunSearchProgressTotal proves that the progress's total counts the
// trials this invocation may run: after the budget is lowered below what
// was already asked, nothing is left to run and the total is 0, not
// negative.
func TestRunSearchProgressTotal(t *testing.T) {
	dir := t.TempDir()
	m := &bowlModel{}
	mustRun(t, context.Background(), newTestPlanIn(t, dir, bowlSearch(5), m), RunOptions{Workers: 1})
	var first Event
	obs := ObserverFunc(func(e Event) {
		if e.Kind == EventSweepStart {
			first = e
		}
	})
	sum := mustRun(t, context.Background(), newTestPlanIn(t, dir, bowlSearch(3), m), RunOptions{Workers: 1, Observer: obs})
	if len(sum.Records) != 0 {
		t.Errorf("a lowered budget ran %d trials, want none", len(sum.Records))
	}
	if first.Total != 0 || first.Skipped != 5 {
		t.Errorf("sweep_start: total %d, skipped %d; want 0 and 5", first.Total, first.Skipped)
	}
}

// TestRunSearchNamesUnique proves that two configurations of a search
// never share a trial name (and so a directory): a trial_name that leaves
// out a dimension of [search.space] is refused, as a grid's is, or the
// names still differ.
func TestRunSearchNamesUnique(t *testing.T) {
	m := &bowlModel{}
	dir := t.TempDir()
	src := "trial_name = \"bowl_{kind}\"\n" + strings.Replace(bowlSearch(4), "width = { int = [1, 64] }",
		"kind = { choice = [\"a\", \"b\"] }", 1)
	s, err := spec.Parse(filepath.Join(dir, "grid.toml"), []byte(fmt.Sprintf("name = \"s\"\nlog_dir = %q\n%s", filepath.Join(dir, "runs"), src)))
	if err != nil {
		t.Fatal(err)
	}
	desc, _ := m.Describe(context.Background())
	if _, err := spec.NewSearchSpace(s, desc); err != nil {
		return // refused before anything runs
	}
	p := newTestPlanIn(t, dir, src, m)
	if _, err := Run(context.Background(), p, RunOptions{Workers: 1}); err != nil {
		return // refused when the names collide
	}
	seen := map[string]int{}
	for _, tr := range p.Trials {
		if prev, dup := seen[tr.Name]; dup {
			t.Errorf("configurations %d (%s) and %d (%s) share the name %q", prev, p.Trials[prev].Label(), tr.Number, tr.Label(), tr.Name)
		}
		seen[tr.Name] = tr.Number
	}
}

// TestMaxEpochs proves that ASHA's last epoch is the most any trial runs:
// a search's fixed epochs (from [params] or the model's default), the top
// of a searched epochs dimension, or a grid's largest epochs.
func TestMaxEpochs(t *testing.T) {
	for _, c := range []struct {
		name, grid string
		want       int
	}{
		{"search, [params]", strings.Replace(bowlSearch(2), "epochs = 3", "epochs = 7", 1), 7},
		{"search, default", strings.Replace(bowlSearch(2), "epochs = 3\n", "", 1), 3},
		{"search, searched", strings.Replace(bowlSearch(2), "epochs = 3\n", "", 1) + "epochs = { int = [2, 9] }\n", 9},
		{"grid", "[grid]\nlr = [0.1, 0.2]\nepochs = [2, 4]\n", 4},
	} {
		if got := maxEpochs(newTestPlan(t, c.grid, &bowlModel{})); got != c.want {
			t.Errorf("%s: max epochs %d, want %d", c.name, got, c.want)
		}
	}
}
