package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/orchestrator"
	"github.com/sweep-ml/sweep/results"
	"github.com/sweep-ml/sweep/tests/testio"
)

// wantUsage checks that err is a usage error (exit 2) containing msg.
func wantUsage(t *testing.T, args []string, err error, msg string) {
	t.Helper()
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), msg) {
		t.Errorf("%q: error %v, want a usage error containing %q", args, err, msg)
	}
}

// Flags before or after the grid become the run's options; bad values are
// usage errors naming the flag.
func TestParseRunArgs(t *testing.T) {
	ra, err := parseRunArgs(strings.Fields("g.toml --workers 3 --rerun failed --fail-fast --json --executor slurm --partition cpu"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := orchestrator.RunOptions{Workers: 3, Rerun: orchestrator.RerunFailed, FailFast: true}
	if ra.grid != "g.toml" || !reflect.DeepEqual(ra.opts, want) || !ra.jsonLines || ra.executor != orchestrator.ExecutorSlurm || ra.slurm.partition != "cpu" {
		t.Errorf("parsed %+v (slurm %+v)", ra, ra.slurm)
	}
	if ra, err := parseRunArgs([]string{"g.toml"}, io.Discard); err != nil || ra.executor != orchestrator.ExecutorLocal || ra.opts.Workers != 0 {
		t.Errorf("defaults: %+v, %v", ra, err)
	}
	for _, c := range []struct{ args, msg string }{
		{"g.toml --workers -1", "--workers -1"},
		{"g.toml --rerun some", `--rerun "some"`},
		{"g.toml --executor k8s", `--executor "k8s"`},
		{"a.toml b.toml", "exactly one grid file"},
		{"g.toml --nope", "flag provided but not defined: -nope"},
	} {
		_, err := parseRunArgs(strings.Fields(c.args), io.Discard)
		wantUsage(t, strings.Fields(c.args), err, c.msg)
	}
}

func TestParseReportArgs(t *testing.T) {
	target, opts, err := parseReportArgs(strings.Fields("runs/x --top 3 --format csv --plot c.png --log-y --history h.png"), io.Discard)
	want := results.ReportOptions{Top: 3, Format: results.FormatCSV, Plot: "c.png", LogY: true, History: "h.png"}
	if err != nil || target != "runs/x" || !reflect.DeepEqual(opts, want) {
		t.Errorf("parsed %q %+v, %v; want runs/x %+v", target, opts, err, want)
	}
	if _, opts, err := parseReportArgs([]string{"runs/x"}, io.Discard); err != nil || opts.Format != results.FormatTable || opts.Metrics != nil {
		t.Errorf("defaults: %+v, %v", opts, err)
	}
	if _, opts, err := parseReportArgs([]string{"runs/x", "--metrics", "val_ic, train_loss,,val_ic"}, io.Discard); err != nil ||
		!reflect.DeepEqual(opts.Metrics, []string{"val_ic", "train_loss"}) {
		t.Errorf("--metrics: %q, %v; want [val_ic train_loss], blanks and repeats left out", opts.Metrics, err)
	}
	for _, c := range []struct{ args, msg string }{
		{"runs/x --format xml", `--format "xml"`},
		{"runs/x --top -2", "--top -2"},
		{"", "exactly one sweep directory or grid file"},
	} {
		_, _, err := parseReportArgs(strings.Fields(c.args), io.Discard)
		wantUsage(t, strings.Fields(c.args), err, c.msg)
	}
}

func TestParseWorkerArgs(t *testing.T) {
	wa, err := parseWorkerArgs(strings.Fields("--sweep-dir d --batch b.txt --search --search-until 2026-11-30T18:00:00Z --workers 4 --rerun all --executor local"), io.Discard)
	until := time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)
	want := workerArgs{dir: "d", batch: "b.txt", rerun: orchestrator.RerunAll, executor: orchestrator.ExecutorLocal, search: true, until: until, workers: 4}
	if err != nil || !reflect.DeepEqual(wa, want) {
		t.Errorf("parsed %+v, %v; want %+v", wa, err, want)
	}
	if wa, err := parseWorkerArgs(strings.Fields("--sweep-dir d --trial abc"), io.Discard); err != nil || wa.trial != "abc" || wa.executor != orchestrator.ExecutorSlurm || wa.workers != 1 {
		t.Errorf("defaults: %+v, %v", wa, err)
	}
	for _, c := range []struct{ args, msg string }{
		{"--batch b.txt", "worker needs --sweep-dir"},
		{"--sweep-dir d", "one of --batch or --trial, or --search"},
		{"--sweep-dir d --batch b --trial t", "one of --batch or --trial"},
		{"--sweep-dir d --trial t --workers 0", "--workers 0"},
		{"--sweep-dir d --search --search-until tomorrow", `--search-until "tomorrow"`},
		{"--sweep-dir d --trial t --rerun some", `--rerun "some"`},
	} {
		_, err := parseWorkerArgs(strings.Fields(c.args), io.Discard)
		wantUsage(t, strings.Fields(c.args), err, c.msg)
	}
}

// Progress redraws a status line only where the streams say stderr is a
// terminal; elsewhere it prints one line per finished trial; with --json,
// events go to stdout.
func TestObserverFollowsTheStreams(t *testing.T) {
	loss := 0.5
	done := &results.Trial{Name: "t1", Status: results.StatusSucceeded, BestValLoss: &loss, EpochsRun: 2}
	events := []orchestrator.Event{
		{Kind: orchestrator.EventSweepStart, Total: 1, Dir: "/abs/runs/s"},
		{Kind: orchestrator.EventTrialEnd, Total: 1, Succeeded: 1, Trial: done},
		{Kind: orchestrator.EventSweepEnd, Total: 1, Succeeded: 1, Ended: orchestrator.EndFinished},
	}
	for _, c := range []struct {
		name            string
		tty, json       bool
		wantOut, wantEr string
	}{
		{"terminal", true, false, "", "\r\033[Ksweep: sweep directory /abs/runs/s\n"},
		{"pipe", false, false, "", "sweep: sweep directory /abs/runs/s\nsweep: 1 trials to run, 0 already finished\n[1/1] t1: best val_loss 0.5"},
		{"json", true, true, `"event":"trial_end"`, ""},
	} {
		var out, errOut testio.SyncBuffer
		obs := newObserver(c.json, &ioStreams{Out: &out, ErrOut: &errOut, ErrTTY: c.tty})
		for _, e := range events {
			obs.Observe(e)
		}
		if !strings.Contains(out.String(), c.wantOut) || !strings.Contains(errOut.String(), c.wantEr) {
			t.Errorf("%s: stdout %q, stderr %q; want %q and %q", c.name, out.String(), errOut.String(), c.wantOut, c.wantEr)
		}
		if !c.tty && strings.Contains(errOut.String(), "\r") {
			t.Errorf("%s: a status line was drawn on a pipe: %q", c.name, errOut.String())
		}
	}
}

// The flag package takes a back-quoted word of a flag's help for the name
// of its value: `sweep worker -h` once showed "-sweep-dir sweep run".
func TestWorkerHelpNamesValues(t *testing.T) {
	var help strings.Builder
	if _, err := parseWorkerArgs([]string{"-h"}, &help); !errors.Is(err, errHelp) {
		t.Fatalf("worker -h: %v, want the help", err)
	}
	for _, want := range []string{"-sweep-dir string", "-trial string"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("worker -h lacks %q:\n%s", want, help.String())
		}
	}
}

// A command's help lists its flags under "Flags:", and a command without
// flags has no such heading: `sweep plan -h` once printed an empty one.
func TestHelpListsFlagsOnlyIfAny(t *testing.T) {
	for _, c := range commands() {
		if c.hidden || c.name == "plugins" { // plugins has a help of its own
			continue
		}
		var out, errOut bytes.Buffer
		err := c.run(context.Background(), []string{"-h"}, &ioStreams{Out: &out, ErrOut: &errOut})
		if !errors.Is(err, errHelp) {
			t.Errorf("%s -h: %v, want the help", c.name, err)
			continue
		}
		help := errOut.String()
		_, flags, hasHeading := strings.Cut(help, "\nFlags:\n")
		switch {
		case !strings.HasPrefix(help, "Usage: sweep "+c.name):
			t.Errorf("%s -h does not start with its usage:\n%s", c.name, help)
		case hasHeading && !strings.HasPrefix(flags, "  -"):
			t.Errorf("%s -h has a Flags: heading and no flag under it:\n%s", c.name, help)
		case !hasHeading && strings.Contains(help, "-"):
			t.Errorf("%s -h lists flags without a heading:\n%s", c.name, help)
		case !hasHeading && strings.Contains(help, "[flags]"):
			t.Errorf("%s -h mentions flags it does not have:\n%s", c.name, help)
		}
	}
}

// The --json stream has, per event, exactly the fields the README lists
// (tests/jsonschema checks the binary's whole stream against it); here, the
// counts: a failed trial is counted as failed, not as done.
func TestEventJSONCounts(t *testing.T) {
	score := 0.25
	best := &results.Trial{ID: "b", Name: "tb", Score: &score}
	for _, c := range []struct {
		e    orchestrator.Event
		want string
	}{
		{orchestrator.Event{Kind: orchestrator.EventSweepEnd, Total: 3, Succeeded: 1, Failed: 1, Interrupted: 1, Best: best, Ended: orchestrator.EndInterrupted},
			`"ended":"interrupted","total":3,"skipped":0,"running":0,"succeeded":1,"failed":1,"pruned":0,"interrupted":1,"best":{"id":"b","name":"tb","score":0.25}}`},
		{orchestrator.Event{Kind: orchestrator.EventSweepEnd, Total: 1, Failed: 1, Ended: orchestrator.EndFailedFast},
			`"ended":"failed_fast","total":1,"skipped":0,"running":0,"succeeded":0,"failed":1,"pruned":0,"interrupted":0,"best":null}`},
		{orchestrator.Event{Kind: orchestrator.EventEpoch, Epoch: &orchestrator.EpochMetrics{TrialID: "a", TrialName: "ta", Step: 2,
			Scalars: map[string]float64{"val_loss": math.NaN()}}},
			`"trial_id":"a","trial_name":"ta","fold":0,"step":2,"scalars":{"val_loss":null}}`},
	} {
		b, err := json.Marshal(eventJSON(c.e))
		if err != nil || !strings.HasSuffix(string(b), c.want) {
			t.Errorf("%s: %s, %v; want it to end with %s", c.e.Kind, b, err, c.want)
		}
	}
}
