//go:build unix

package tests

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sweep-ml/sweep/results"
)

// cmdKillloop runs a command again and again, each time killing it with
// SIGKILL after a delay drawn uniformly from [0, MAX) by a generator seeded
// with SEED, so that the kills land at every stage of a sweep: starting
// its plugins, taking the lock, writing records and event files, between
// trials. A run that ends before its kill is fine (the sweep was done).
//
//	killloop -n N -max DURATION -seed S PROG [ARGS...]
//
// It prints how many runs it killed and how many ended on their own.
func cmdKillloop(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "killloop")
	flags, args := flagArgs(ts, args, "n=", "max=", "seed=")
	n, err1 := strconv.Atoi(flags["n"])
	maxDelay, err2 := time.ParseDuration(flags["max"])
	seed, err3 := strconv.ParseUint(flags["seed"], 10, 64)
	if len(args) < 1 || err1 != nil || err2 != nil || err3 != nil || maxDelay <= 0 {
		ts.Fatalf("usage: killloop -n N -max DURATION -seed S PROG [ARGS...]")
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	killed, ended := 0, 0
	for range n {
		delay := time.Duration(rng.Int64N(int64(maxDelay)))
		cmd, err := scriptCmd(ts, args[0], args[1:])
		ts.Check(err)
		ts.Check(cmd.Start())
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			ended++
			// A sweep that ends on its own must end well: every trial
			// succeeds in this script's grids.
			if err != nil {
				ts.Fatalf("a run that was not killed failed: %v", err)
			}
		case <-time.After(delay):
			// Only the sweep itself, as `kill -9 PID` does: its plugins
			// must notice and exit on their own.
			ts.Check(cmd.Process.Signal(syscall.SIGKILL))
			<-done
			killed++
		}
	}
	fmt.Fprintf(ts.Stdout(), "%d runs: %d killed, %d ended\n", n, killed, ended)
}

// cmdCheckresumed checks a sweep that was killed any number of times and
// then completed: readSweep's checks hold for every run, every trial
// succeeded exactly once and in its latest run, and every earlier run is
// one a killed sweep abandoned, marked interrupted by the next run. So no
// finished trial was run again and none was lost.
//
//	checkresumed DIR
//
// It prints how many trials and abandoned runs it saw.
func cmdCheckresumed(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "checkresumed")
	if len(args) != 1 {
		ts.Fatalf("usage: checkresumed DIR")
	}
	trials, err := readSweep(ts.MkAbs(args[0]))
	ts.Check(err)
	if err := checkResumed(trials); err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	abandonedRuns := 0
	for _, tr := range trials {
		abandonedRuns += len(tr.runs) - 1
	}
	fmt.Fprintf(ts.Stdout(), "%d trials succeeded once each, after %d abandoned runs\n", len(trials), abandonedRuns)
}

// checkResumed is checkresumed's test of a sweep's trials.
func checkResumed(trials []sweepTrial) error {
	for _, tr := range trials {
		var statuses []string
		for _, r := range tr.runs {
			statuses = append(statuses, string(r.rec.Status))
		}
		last := tr.runs[len(tr.runs)-1].rec
		if last.Status != results.StatusSucceeded {
			return fmt.Errorf("trial %s: runs %s: the latest did not succeed", tr.name, strings.Join(statuses, " "))
		}
		for _, r := range tr.runs[:len(tr.runs)-1] {
			if r.rec.Status != results.StatusInterrupted || !abandoned(r.rec) {
				return fmt.Errorf("trial %s: runs %s: an earlier run is %s (%s), not one a killed sweep abandoned",
					tr.name, strings.Join(statuses, " "), r.rec.Status, r.rec.Error)
			}
		}
	}
	return nil
}
