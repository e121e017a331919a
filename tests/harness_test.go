//go:build unix

package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/logger"
	"github.com/sweep-ml/sweep/results"
)

// These tests check that the scripts' own checks can fail: each bad input
// below must be caught, or a script that passes would prove nothing.

func TestCheckProgress(t *testing.T) {
	for _, tc := range []struct {
		name, stderr string
		ok           bool
	}{
		{"each trial once", "sweep: 2 trials to run\n[1/2] a: ok\n[2/2] b: ok\nsweep: done\n", true},
		{"no progress line", "sweep: 0 trials to run\n", false},
		{"a retry counted again", "[1/2] a: failed\n[2/2] a: failed\n[3/2] b: ok\n", false},
		{"a retry shown, not counted", "[1/2] a: failed, retrying\n[1/2] a: ok\n[2/2] b: ok\n", true},
		{"a count skipped", "[1/3] a: ok\n[3/3] b: ok\n", false},
		{"a trial missing", "[1/3] a: ok\n[2/3] b: ok\n", false},
		{"out of order", "[2/2] a: ok\n[1/2] b: ok\n", false},
		{"total changes", "[1/2] a: ok\n[2/3] b: ok\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkProgress(tc.stderr)
			if (err == nil) != tc.ok {
				t.Errorf("checkProgress(%q) = %v, want ok %v", tc.stderr, err, tc.ok)
			}
		})
	}
}

func TestJSONLookup(t *testing.T) {
	const doc = `{"a": {"b": [1, "x", null, {"c": true}]}, "n": 1.50}`
	for _, tc := range []struct {
		key, want string // want "" for an error
	}{
		{"a.b.0", "1"},
		{"a.b.1", "x"},
		{"a.b.2", "null"},
		{"a.b.3.c", "true"},
		{"a.b.3", `{"c":true}`},
		{"a.b.len()", "4"},
		{"a.len()", "1"},
		{"n", "1.50"}, // numbers as written: 1.50 is not 1.5
		{"a.z", ""},
		{"a.b.4", ""},
		{"a.b.-1", ""},
		{"n.x", ""},
	} {
		got, err := jsonLookup([]byte(doc), tc.key)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("jsonLookup(%s) = %q, want an error", tc.key, got)
		case tc.want != "" && (err != nil || got != tc.want):
			t.Errorf("jsonLookup(%s) = %q, %v, want %q", tc.key, got, err, tc.want)
		}
	}
}

// runFixture describes a run directory to write, valid by default.
type runFixture struct {
	status         results.Status
	errText        string
	epochs         int64 // epochs_run in the record
	logged         int   // epochs whose losses are in the event file
	best           float64
	loggedBest     float64
	endSession     bool
	noSessionStart bool
	sweptMore      bool // the record sweeps a hyperparameter the session lacks
	noEvents       bool
	noModelLog     bool
	truncate       bool // cut the event file inside its last record
	recordName     string
	extraField     bool
	badRecord      bool
	noRecord       bool
	trialDir       string
	runDir         string
	startOffset    time.Duration
}

func validRun() runFixture {
	return runFixture{status: results.StatusSucceeded, epochs: 3, logged: 3, best: 0.25, loggedBest: 0.25,
		endSession: true, trialDir: "t1", runDir: "20260101-000000"}
}

// write makes the run directory under sweep.
func (f runFixture) write(t *testing.T, sweep string) {
	t.Helper()
	dir := filepath.Join(sweep, f.trialDir, f.runDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if !f.noEvents {
		tl, err := logger.Open(dir, logger.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !f.noSessionStart {
			must(t, tl.LogHyperparameters(map[string]any{"lr": 0.1, "seed": 0}))
		}
		for e := range f.logged {
			must(t, tl.LogScalars(int64(e), map[string]float64{"train_loss": 1, "val_loss": 0.5}))
		}
		ended := f.status == results.StatusSucceeded || f.status == results.StatusPruned
		if ended {
			must(t, tl.LogScalars(1, map[string]float64{"best_val_loss": f.loggedBest}))
		}
		if f.endSession {
			status := logger.StatusFailure
			if ended {
				status = logger.StatusSuccess
			}
			must(t, tl.EndSession(status))
		}
		must(t, tl.Close())
		if f.truncate {
			path := filepath.Join(dir, filepath.Base(tl.Path()))
			fi, err := os.Stat(path)
			must(t, err)
			must(t, os.Truncate(path, fi.Size()-3))
		}
	}
	if !f.noModelLog {
		must(t, os.WriteFile(filepath.Join(dir, "model.log"), nil, 0o644))
	}
	if f.noRecord {
		return
	}
	name := f.trialDir
	if f.recordName != "" {
		name = f.recordName
	}
	best := f.best
	rec := results.Trial{ID: "id-" + f.trialDir, Name: name, Status: f.status, Error: f.errText,
		Params: map[string]any{"lr": 0.1}, Swept: []string{"lr"},
		EpochsRun: f.epochs, BestValLoss: &best,
		StartedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(f.startOffset)}
	if f.sweptMore {
		rec.Swept = append(rec.Swept, "dropout")
	}
	data, err := json.Marshal(rec)
	must(t, err)
	switch {
	case f.extraField:
		data = []byte(strings.Replace(string(data), "{", `{"colour":"blue",`, 1))
	case f.badRecord:
		data = data[:len(data)/2]
	}
	must(t, os.WriteFile(filepath.Join(dir, results.TrialFile), data, 0o644))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestReadSweep(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*runFixture)
		want   string // the error's text, "" for none
	}{
		{"valid", func(*runFixture) {}, ""},
		{"no record", func(f *runFixture) { f.noRecord = true }, "a run directory without trial.json"},
		{"record cut short", func(f *runFixture) { f.badRecord = true }, "unexpected EOF"},
		{"unknown record field", func(f *runFixture) { f.extraField = true }, `unknown field "colour"`},
		{"record of another trial", func(f *runFixture) { f.recordName = "t2" }, `record names trial "t2"`},
		{"no event file", func(f *runFixture) { f.noEvents = true }, "no event file"},
		{"no model log", func(f *runFixture) { f.noModelLog = true }, "the model's log"},
		{"an epoch's losses missing", func(f *runFixture) { f.logged = 2 }, "2 train_loss points for 3 epochs"},
		{"best loss not as recorded", func(f *runFixture) { f.loggedBest = 0.5 }, "best_val_loss events"},
		{"no session end", func(f *runFixture) { f.endSession = false }, "session end"},
		{"no session start", func(f *runFixture) { f.noSessionStart = true }, "no HParams session start"},
		{"a swept value not in the session", func(f *runFixture) { f.sweptMore = true }, "lacks dropout"},
		{"truncated events", func(f *runFixture) { f.truncate = true }, "truncated"},
		{"failed with its session closed", func(f *runFixture) {
			f.status, f.errText, f.logged = results.StatusFailed, "diverged", 1
		}, ""},
		{"interrupted without a session end", func(f *runFixture) {
			f.status, f.errText, f.endSession = results.StatusInterrupted, "stopped by signal interrupt", false
		}, "session end"},
		{"abandoned, cut mid-record", func(f *runFixture) {
			f.status, f.endSession, f.truncate, f.noModelLog = results.StatusRunning, false, true, true
		}, ""},
		{"abandoned and marked so", func(f *runFixture) {
			f.status, f.errText, f.endSession, f.truncate = results.StatusInterrupted, "abandoned: pid 1", false, true
		}, ""},
		{"abandoned before its first record, adopted", func(f *runFixture) {
			f.status, f.errText, f.noEvents, f.noModelLog = results.StatusInterrupted,
				"abandoned: the sweep running it stopped before it wrote its first record", true, true
		}, ""},
		{"abandoned mid-run without events", func(f *runFixture) {
			f.status, f.errText, f.noEvents, f.noModelLog = results.StatusInterrupted, "abandoned: pid 1", true, true
		}, "no event file"},
		{"pruned with its session closed", func(f *runFixture) { f.status = results.StatusPruned }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sweep := t.TempDir()
			f := validRun()
			tc.change(&f)
			f.write(t, sweep)
			trials, err := readSweep(sweep)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("readSweep: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("readSweep: %v, want an error containing %q", err, tc.want)
			case tc.want == "" && (len(trials) != 1 || len(trials[0].runs) != 1 || trials[0].runs[0].rec.Status != f.status):
				t.Fatalf("readSweep: %+v, want one trial with one %s run", trials, f.status)
			}
		})
	}
}

// TestReadSweepOrder checks that runs are ordered by start time, then by
// directory name, and trials by name.
func TestReadSweepOrder(t *testing.T) {
	sweep := t.TempDir()
	for _, f := range []struct {
		trial, run string
		status     results.Status
		offset     time.Duration
	}{
		{"b", "20260101-000009", results.StatusSucceeded, 2 * time.Second},
		{"b", "20260101-000000-10", results.StatusFailed, time.Second},
		{"b", "20260101-000000-2", results.StatusFailed, time.Second},
		{"a", "20260101-000000", results.StatusSucceeded, 0},
	} {
		r := validRun()
		r.trialDir, r.runDir, r.status, r.startOffset = f.trial, f.run, f.status, f.offset
		if f.status != results.StatusSucceeded {
			r.errText = "failed"
		}
		r.write(t, sweep)
	}
	trials, err := readSweep(sweep)
	must(t, err)
	var got []string
	for _, tr := range trials {
		for _, r := range tr.runs {
			got = append(got, tr.name+"/"+filepath.Base(r.dir))
		}
	}
	want := "a/20260101-000000 b/20260101-000000-10 b/20260101-000000-2 b/20260101-000009"
	if strings.Join(got, " ") != want {
		t.Errorf("order %v, want %s", got, want)
	}
}

func TestCheckResumed(t *testing.T) {
	run := func(status results.Status, errText string) sweepRun {
		return sweepRun{rec: &results.Trial{Status: status, Error: errText}}
	}
	ok := run(results.StatusSucceeded, "")
	gone := run(results.StatusInterrupted, "abandoned: the sweep running it (pid 1 on h) stopped without finishing it")
	stopped := run(results.StatusInterrupted, "stopped by signal interrupt")
	for _, tc := range []struct {
		name  string
		runs  []sweepRun
		stops stoppedBy
		ok    bool
	}{
		{"once", []sweepRun{ok}, stoppedByKill, true},
		{"after abandoned runs", []sweepRun{gone, gone, ok}, stoppedByKill, true},
		{"a finished trial ran again", []sweepRun{ok, ok}, stoppedByKill, false},
		{"ran again after an abandoned run", []sweepRun{ok, gone, ok}, stoppedByKill, false},
		{"the latest abandoned", []sweepRun{ok, gone}, stoppedByKill, false},
		{"an earlier failure", []sweepRun{run(results.StatusFailed, "diverged"), ok}, stoppedByKill, false},
		{"a Ctrl-C, not a kill", []sweepRun{stopped, ok}, stoppedByKill, false},
		{"still running", []sweepRun{run(results.StatusRunning, ""), ok}, stoppedByKill, false},
		{"after Ctrl-Cs", []sweepRun{stopped, stopped, ok}, stoppedByCtrlC, true},
		{"a kill, not a Ctrl-C", []sweepRun{gone, ok}, stoppedByCtrlC, false},
		{"ran again after a Ctrl-C", []sweepRun{ok, stopped, ok}, stoppedByCtrlC, false},
		{"kills and Ctrl-Cs", []sweepRun{gone, stopped, gone, ok}, stoppedByKill | stoppedByCtrlC, true},
		{"mixed, but an earlier failure", []sweepRun{gone, run(results.StatusFailed, "diverged"), ok}, stoppedByKill | stoppedByCtrlC, false},
	} {
		err := checkResumed([]sweepTrial{{name: "t", runs: tc.runs}}, tc.stops)
		if (err == nil) != tc.ok {
			t.Errorf("%s: checkResumed = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

// TestReadSweepFFN checks that the FFN checks fail on a run that logs only
// its losses, as the fixture's do.
func TestReadSweepFFN(t *testing.T) {
	sweep := t.TempDir()
	validRun().write(t, sweep)
	if _, err := readSweep(sweep); err != nil {
		t.Fatalf("readSweep: %v", err)
	}
	if _, err := readSweep(sweep, ffnEvents); err == nil || !strings.Contains(err.Error(), "no model graph") {
		t.Errorf("readSweep with the FFN checks: %v, want no model graph", err)
	}
}
