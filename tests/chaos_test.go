//go:build unix

package tests

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sweep-ml/sweep/results"
	"github.com/sweep-ml/sweep/tests/testio"
)

// cmdKillloop runs a command again and again, each time stopping it after
// a delay drawn uniformly from [0, MAX) by a generator seeded with SEED, so
// that the signal lands at every stage of a sweep: starting its plugins,
// taking the lock, writing records and event files, between trials.
//
//	killloop [-ctrlc] -n N -max DURATION -seed S PROG [ARGS...]
//
// By default the stop is SIGKILL to the command alone, as `kill -9 PID`
// does: its plugins must notice and exit on their own. With -ctrlc it is
// SIGINT to the command's process group, as a terminal's Ctrl-C, and the
// command must exit with status 130 (or die of the signal, if it came
// before the command could handle it). A run that ends before its signal
// must succeed: the sweep was done. It prints how many runs it stopped and
// how many ended on their own.
func cmdKillloop(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "killloop")
	flags, args := flagArgs(ts, args, "ctrlc", "n=", "max=", "seed=")
	n, err1 := strconv.Atoi(flags["n"])
	maxDelay, err2 := time.ParseDuration(flags["max"])
	seed, err3 := strconv.ParseUint(flags["seed"], 10, 64)
	if len(args) < 1 || err1 != nil || err2 != nil || err3 != nil || maxDelay <= 0 {
		ts.Fatalf("usage: killloop [-ctrlc] -n N -max DURATION -seed S PROG [ARGS...]")
	}
	ctrlc := flags["ctrlc"] == "true"
	rng := rand.New(rand.NewPCG(seed, 0))
	stopped, ended := 0, 0
	for range n {
		delay := time.Duration(rng.Int64N(int64(maxDelay)))
		cmd, err := scriptCmd(ts, args[0], args[1:])
		ts.Check(err)
		var stderr testio.SyncBuffer
		cmd.Stderr = &stderr
		ts.Check(cmd.Start())
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			ended++
			if err != nil {
				ts.Fatalf("a run that was not stopped failed: %v\n%s", err, stderr.Bytes())
			}
			continue
		case <-time.After(delay):
		}
		var sigErr error
		if ctrlc {
			sigErr = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
		} else {
			sigErr = cmd.Process.Signal(syscall.SIGKILL)
		}
		if errors.Is(sigErr, syscall.ESRCH) || errors.Is(sigErr, os.ErrProcessDone) {
			// It ended just as its delay ran out: a run that ended by itself.
			ended++
			if err := <-done; err != nil {
				ts.Fatalf("a run that was not stopped failed: %v\n%s", err, stderr.Bytes())
			}
			continue
		}
		ts.Check(sigErr)
		stopped++
		if !ctrlc {
			<-done
			continue
		}
		select {
		case <-done:
		case <-time.After(waitTimeout):
			ts.Fatalf("a run still runs %s after Ctrl-C", waitTimeout)
		}
		switch ws := cmd.ProcessState.Sys().(syscall.WaitStatus); {
		case ws.Exited() && (ws.ExitStatus() == 130 || ws.ExitStatus() == 0):
			// Interrupted, or done just as the signal came.
		case ws.Signaled() && ws.Signal() == syscall.SIGINT:
			// The signal came before the sweep could catch it.
		default:
			ts.Fatalf("Ctrl-C %s after its start: a run ended with %v, want exit status 130\n%s", delay, cmd.ProcessState, stderr.Bytes())
		}
	}
	fmt.Fprintf(ts.Stdout(), "%d runs: %d stopped, %d ended\n", n, stopped, ended)
}

// cmdCheckresumed checks a sweep that was stopped any number of times and
// then completed: readSweep's checks hold for every run, every trial
// succeeded (or was pruned) exactly once and in its latest run, and every
// earlier run was interrupted: abandoned by a killed sweep (and so marked
// by the next run), or with -ctrlc closed by the sweep itself on Ctrl-C,
// or with -mixed either. So no finished trial ran again and none was lost.
//
//	checkresumed [-ctrlc | -mixed] DIR
//
// It prints how many trials and interrupted runs it saw.
func cmdCheckresumed(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "checkresumed")
	flags, args := flagArgs(ts, args, "ctrlc", "mixed")
	if len(args) != 1 || (flags["ctrlc"] == "true" && flags["mixed"] == "true") {
		ts.Fatalf("usage: checkresumed [-ctrlc | -mixed] DIR")
	}
	stops := stoppedByKill
	switch {
	case flags["ctrlc"] == "true":
		stops = stoppedByCtrlC
	case flags["mixed"] == "true":
		stops = stoppedByKill | stoppedByCtrlC
	}
	trials, err := readSweep(ts.MkAbs(args[0]))
	ts.Check(err)
	if err := checkResumed(trials, stops); err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	interrupted, pruned := 0, 0
	for _, tr := range trials {
		interrupted += len(tr.runs) - 1
		if tr.runs[len(tr.runs)-1].rec.Status == results.StatusPruned {
			pruned++
		}
	}
	fmt.Fprintf(ts.Stdout(), "%d trials finished once each (%d pruned), after %d interrupted runs\n", len(trials), pruned, interrupted)
}

// stoppedBy says how the runs of a resumed sweep may have been stopped.
type stoppedBy int

const (
	stoppedByKill  stoppedBy = 1 << iota // kill -9: the next run marked them abandoned
	stoppedByCtrlC                       // Ctrl-C: the sweep closed them itself
)

// checkResumed is checkresumed's test of a sweep's trials: every earlier
// run of a trial was stopped in one of the ways stops allows.
func checkResumed(trials []sweepTrial, stops stoppedBy) error {
	for _, tr := range trials {
		var statuses []string
		for _, r := range tr.runs {
			statuses = append(statuses, string(r.rec.Status))
		}
		last := tr.runs[len(tr.runs)-1].rec
		if last.Status != results.StatusSucceeded && last.Status != results.StatusPruned {
			return fmt.Errorf("trial %s: runs %s: the latest neither succeeded nor was pruned", tr.name, strings.Join(statuses, " "))
		}
		for _, r := range tr.runs[:len(tr.runs)-1] {
			how := stoppedByCtrlC
			if abandoned(r.rec) {
				how = stoppedByKill
			}
			if r.rec.Status != results.StatusInterrupted || stops&how == 0 {
				return fmt.Errorf("trial %s: runs %s: an earlier run is %s (%s), not one the sweep's stops interrupted",
					tr.name, strings.Join(statuses, " "), r.rec.Status, r.rec.Error)
			}
		}
	}
	return nil
}
