//go:build unix

package tests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sweep-ml/sweep/orchestrator/spec"
	"github.com/sweep-ml/sweep/plugins/dataset"
	"github.com/sweep-ml/sweep/tests/testio"
)

// waitTimeout bounds every polling command, so that a sweep that hangs
// fails its script with a message instead of stalling the whole test run.
const waitTimeout = 90 * time.Second

// pollInterval is how often polling commands look again.
const pollInterval = 20 * time.Millisecond

// scriptCommands are the commands scripts have beyond testscript's own.
//
//	exitcode CODE PROG [ARGS...]   run PROG (like exec) and require exit status CODE
//	start NAME PROG [ARGS...]      start PROG in the background in its own process
//	                               group; $NAME_pid holds its pid
//	signal [-group] NAME SIG       send SIG (INT, TERM or KILL) to NAME, or with
//	                               -group to its process group, as a terminal's
//	                               Ctrl-C does
//	waitstderr NAME REGEXP         poll until NAME's standard error matches REGEXP
//	waitexit [-within D] NAME CODE|SIG
//	                               wait (at most D) for NAME to exit with status
//	                               CODE or to die of signal SIG; its output
//	                               becomes stdout/stderr
//	waitfile [-n N] GLOB [REGEXP]  poll until N files (default 1) matching GLOB
//	                               exist (and their content matches REGEXP)
//	waittrials [-status S] DIR N   poll until DIR holds N trial runs whose
//	                               trial.json says S (default succeeded)
//	trials [-v] [-ffn] DIR         check every run of the sweep directory DIR (see
//	                               readSweep; -ffn: and what the FFN logs, see
//	                               ffnEvents) and print each trial's run statuses,
//	                               with -v one line per run with its error
//	jsonfield FILE KEY VALUE       FILE's JSON value at KEY (dot-separated; a
//	                               number indexes an array, len() is a length) prints
//	                               as VALUE; FILE may be stdout or a glob that
//	                               matches one file
//	jsonschema [-all] run|plan|describe FILE
//	                               FILE (one event per line for run) has exactly
//	                               the fields, of the types, that the README's
//	                               "JSON output" documents; -all: every
//	                               documented event is there (jsonschema_test.go)
//	capture VAR REGEXP             set $VAR to REGEXP's first group in stdout (a
//	                               multi-line match: ^ and $ match at lines)
//	glob VAR PATTERN               set $VAR to the first path (in name order)
//	                               matching PATTERN; fail if none does
//	noprocs                        wait until no process of this script runs a
//	                               binary under test (plugins included); negated,
//	                               wait until a plugin process of it runs
//	samecurves DIR1 DIR2           two sweep directories hold the same trials
//	                               with bit-identical records and event series
//	killloop -n N -max D -seed S PROG [ARGS...]
//	sameresults RESUMED UNINTERRUPTED  a resumed sweep has the uninterrupted results (resume_test.go)
//	                               run PROG N times, each killed with SIGKILL
//	                               after a random delay below D (chaos_test.go)
//	checkresumed DIR               every trial of DIR succeeded once, in its
//	                               latest run, after only abandoned runs
//	experiment DIR                 print the HParams experiment summary at the
//	                               root of the sweep directory DIR, if any
//	checkprogress [FILE]           the "[done/total]" lines of stderr (or FILE)
//	                               count each trial once, up to total (see
//	                               checkProgress)
//	datasha GRID                   print the SHA-256 of the arrays that the
//	                               grid's [data] loads to in Go (see
//	                               testio.Float64SHA256)
func scriptCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"exitcode":      cmdExitcode,
		"start":         cmdStart,
		"signal":        cmdSignal,
		"waitexit":      cmdWaitexit,
		"waitstderr":    cmdWaitstderr,
		"waittrials":    cmdWaittrials,
		"waitfile":      cmdWaitfile,
		"trials":        cmdTrials,
		"jsonfield":     cmdJSONField,
		"jsonschema":    cmdJSONSchema,
		"glob":          cmdGlob,
		"capture":       cmdCapture,
		"noprocs":       cmdNoprocs,
		"samecurves":    cmdSamecurves,
		"checkprogress": cmdCheckprogress,
		"killloop":      cmdKillloop,
		"sameresults":   cmdSameresults,
		"checkresumed":  cmdCheckresumed,
		"experiment":    cmdExperiment,
		"datasha":       cmdDatasha,
	}
}

// noNeg fails a command that has no negated form when it is negated.
func noNeg(ts *testscript.TestScript, neg bool, name string) {
	if neg {
		ts.Fatalf("unsupported: ! %s", name)
	}
}

// flagArgs splits a command's leading flags from its other arguments. known
// lists the flags the command takes: "v" is a boolean flag (-v), "status="
// one with a value (-status S). An unknown flag fails the script, so that a
// misspelt flag cannot pass unnoticed.
func flagArgs(ts *testscript.TestScript, args []string, known ...string) (map[string]string, []string) {
	flags := map[string]string{}
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		name := args[0][1:]
		switch {
		case slices.Contains(known, name+"="):
			if len(args) < 2 {
				ts.Fatalf("flag -%s needs a value", name)
			}
			flags[name], args = args[1], args[2:]
		case slices.Contains(known, name):
			flags[name], args = "true", args[1:]
		default:
			ts.Fatalf("unknown flag -%s", name)
		}
	}
	return flags, args
}

func cmdExitcode(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "exitcode")
	if len(args) < 2 {
		ts.Fatalf("usage: exitcode CODE PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	code := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		code = exitErr.ExitCode()
	}
	if code != want {
		ts.Fatalf("%s exited with status %d, want %d", strings.Join(args[1:], " "), code, want)
	}
}

// signals are the signals that signal and waitexit name.
var signals = map[string]syscall.Signal{"INT": syscall.SIGINT, "TERM": syscall.SIGTERM, "KILL": syscall.SIGKILL}

var procName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)

func cmdStart(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "start")
	if len(args) < 2 || !procName.MatchString(args[0]) {
		ts.Fatalf("usage: start NAME PROG [ARGS...] (NAME alphanumeric)")
	}
	cmd, err := scriptCmd(ts, args[1], args[2:])
	ts.Check(err)
	pid, err := procsOf(ts).start(args[0], cmd)
	ts.Check(err)
	ts.Setenv(args[0]+"_pid", strconv.Itoa(pid))
}

// scriptCmd makes a command that runs prog as testscript's exec would (in
// the script's current directory, with the environment testscript gives
// its own commands) but in a process group of its own, so that a signal to
// the group reaches the sweep and its plugins as a terminal's Ctrl-C does,
// and so that cleanup can kill the whole tree.
func scriptCmd(ts *testscript.TestScript, prog string, args []string) (*exec.Cmd, error) {
	path, err := exec.LookPath(prog)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = []string{"PWD=" + cmd.Dir}
	for _, k := range []string{"WORK", "PATH", "HOME", "TMPDIR", "GOTRACEBACK", "GOCOVERDIR", "GORACE", "PYTHONDONTWRITEBYTECODE"} {
		if v := ts.Getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd, nil
}

func cmdSignal(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "signal")
	flags, args := flagArgs(ts, args, "group")
	if len(args) != 2 {
		ts.Fatalf("usage: signal [-group] NAME INT|TERM|KILL")
	}
	sig, ok := signals[args[1]]
	if !ok {
		ts.Fatalf("unknown signal %q", args[1])
	}
	ts.Check(procsOf(ts).signal(args[0], sig, flags["group"] == "true"))
}

func cmdWaitexit(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "waitexit")
	flags, args := flagArgs(ts, args, "within=")
	if len(args) != 2 {
		ts.Fatalf("usage: waitexit [-within DURATION] NAME CODE|SIGNAL")
	}
	timeout := waitTimeout
	if within, ok := flags["within"]; ok {
		var err error
		timeout, err = time.ParseDuration(within)
		ts.Check(err)
	}
	p, err := procsOf(ts).wait(args[0], timeout)
	if p != nil {
		ts.Stdout().Write(p.stdout.Bytes())
		ts.Stderr().Write(p.stderr.Bytes())
	}
	ts.Check(err)
	ws := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	got := "exit status " + strconv.Itoa(ws.ExitStatus())
	if ws.Signaled() {
		got = "signal " + ws.Signal().String()
	}
	want := "exit status " + args[1]
	if sig, ok := signals[args[1]]; ok {
		want = "signal " + sig.String()
	}
	if got != want {
		ts.Fatalf("%s ended with %s, want %s", args[0], got, want)
	}
}

func cmdWaitstderr(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "waitstderr")
	if len(args) != 2 {
		ts.Fatalf("usage: waitstderr NAME REGEXP")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	p, err := procsOf(ts).get(args[0])
	ts.Check(err)
	poll(ts, waitTimeout, func() (bool, string) {
		stderr := p.stderr.Bytes()
		return re.Match(stderr), fmt.Sprintf("%s's stderr does not match %q:\n%s", args[0], args[1], stderr)
	})
}

// poll calls check until it reports done, or fails the script with check's
// description of what it saw once timeout has passed.
func poll(ts *testscript.TestScript, timeout time.Duration, check func() (done bool, saw string)) {
	deadline := time.Now().Add(timeout)
	for {
		done, saw := check()
		if done {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("after %s: %s", timeout, saw)
		}
		time.Sleep(pollInterval)
	}
}

func cmdWaitfile(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "waitfile")
	flags, args := flagArgs(ts, args, "n=")
	want := 1
	if n, ok := flags["n"]; ok {
		var err error
		if want, err = strconv.Atoi(n); err != nil || want < 1 {
			ts.Fatalf("waitfile -n %q: want a count of at least 1", n)
		}
	}
	if len(args) != 1 && len(args) != 2 {
		ts.Fatalf("usage: waitfile [-n N] GLOB [REGEXP]")
	}
	re := regexp.MustCompile("")
	if len(args) == 2 {
		var err error
		re, err = regexp.Compile(args[1])
		ts.Check(err)
	}
	poll(ts, waitTimeout, func() (bool, string) {
		matches, err := filepath.Glob(ts.MkAbs(args[0]))
		ts.Check(err)
		seen := 0
		for _, m := range matches {
			if data, err := os.ReadFile(m); err == nil && re.Match(data) {
				seen++
			}
		}
		return seen >= want, fmt.Sprintf("%d files matching %s hold %q; want %d", seen, args[0], re, want)
	})
}

func cmdWaittrials(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "waittrials")
	flags, args := flagArgs(ts, args, "status=")
	if len(args) != 2 {
		ts.Fatalf("usage: waittrials [-status S] DIR N")
	}
	status := "succeeded"
	if s, ok := flags["status"]; ok {
		status = s
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	dir := ts.MkAbs(args[0])
	poll(ts, waitTimeout, func() (bool, string) {
		seen, err := countStatuses(dir)
		ts.Check(err)
		return seen[status] >= want, fmt.Sprintf("%s holds runs %v; want %d %s", args[0], seen, want, status)
	})
}

func cmdTrials(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "trials")
	flags, args := flagArgs(ts, args, "v", "ffn")
	if len(args) != 1 {
		ts.Fatalf("usage: trials [-v] [-ffn] DIR")
	}
	var checks []succeededCheck
	if flags["ffn"] == "true" {
		checks = append(checks, ffnEvents)
	}
	trials, err := readSweep(ts.MkAbs(args[0]), checks...)
	ts.Check(err)
	for _, tr := range trials {
		if flags["v"] == "true" {
			for i, r := range tr.runs {
				line := fmt.Sprintf("%s %d %s", tr.name, i+1, r.rec.Status)
				if r.rec.Error != "" {
					first, _, _ := strings.Cut(r.rec.Error, "\n")
					line += ": " + first
				}
				fmt.Fprintln(ts.Stdout(), line)
			}
			continue
		}
		statuses := make([]string, len(tr.runs))
		for i, r := range tr.runs {
			statuses[i] = string(r.rec.Status)
		}
		fmt.Fprintf(ts.Stdout(), "%s %s\n", tr.name, strings.Join(statuses, " "))
	}
}

func cmdJSONField(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: jsonfield FILE KEY VALUE")
	}
	file := args[0]
	if file != "stdout" && file != "stderr" {
		matches, err := filepath.Glob(ts.MkAbs(file))
		ts.Check(err)
		if len(matches) != 1 {
			ts.Fatalf("%s matches %d files, want 1: %v", file, len(matches), matches)
		}
		file = matches[0]
	}
	got, err := jsonLookup([]byte(ts.ReadFile(file)), args[1])
	if err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	switch {
	case got != args[2] && !neg:
		ts.Fatalf("%s: %s is %s, want %s", args[0], args[1], got, args[2])
	case got == args[2] && neg:
		ts.Fatalf("%s: %s is %s", args[0], args[1], got)
	}
}

// jsonLookup returns the value at key in a JSON document, formatted as
// jsonfield compares it: a string unquoted, null as "null", a number as
// written, an object or array as compact JSON.
func jsonLookup(data []byte, key string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	for _, k := range strings.Split(key, ".") {
		switch x := v.(type) {
		case map[string]any:
			if k == "len()" {
				v = json.Number(strconv.Itoa(len(x)))
				continue
			}
			val, ok := x[k]
			if !ok {
				return "", fmt.Errorf("no key %q in %s", k, key)
			}
			v = val
		case []any:
			if k == "len()" {
				v = json.Number(strconv.Itoa(len(x)))
				continue
			}
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return "", fmt.Errorf("%s: index %q out of an array of %d", key, k, len(x))
			}
			v = x[i]
		default:
			return "", fmt.Errorf("%s: %q is inside a %T, not an object or array", key, k, v)
		}
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case nil:
		return "null", nil
	case json.Number:
		return x.String(), nil
	default:
		b, err := json.Marshal(x)
		return string(b), err
	}
}

func cmdGlob(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "glob")
	if len(args) != 2 {
		ts.Fatalf("usage: glob VAR PATTERN")
	}
	matches, err := filepath.Glob(ts.MkAbs(args[1]))
	ts.Check(err)
	if len(matches) == 0 {
		ts.Fatalf("nothing matches %s", args[1])
	}
	ts.Setenv(args[0], matches[0]) // Glob sorts its matches
}

func cmdCapture(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "capture")
	if len(args) != 2 {
		ts.Fatalf("usage: capture VAR REGEXP")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	m := re.FindStringSubmatch(ts.ReadFile("stdout"))
	if len(m) < 2 {
		ts.Fatalf("stdout has no match for %q with a group", args[1])
	}
	ts.Setenv(args[0], m[1])
}

func cmdNoprocs(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 0 {
		ts.Fatalf("usage: [!] noprocs")
	}
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		ts.Logf("noprocs: cannot check without Linux's /proc")
		return
	}
	work := ts.Getenv("WORK")
	if neg {
		// The control that gives noprocs its meaning: a plugin process of
		// this script's running sweep is found.
		background := procsOf(ts).pids()
		poll(ts, waitTimeout, func() (bool, string) {
			for _, line := range scriptProcesses(work) {
				if !background[processID(line)] {
					return true, ""
				}
			}
			return false, "no plugin process of this script is running"
		})
		return
	}
	// Plugins of a killed host notice on their own (a parent-death signal,
	// a watch of the parent): allow them a few seconds.
	poll(ts, 5*time.Second, func() (bool, string) {
		left := scriptProcesses(work)
		return len(left) == 0, "processes still running:\n" + strings.Join(left, "\n")
	})
}

var progressLine = regexp.MustCompile(`(?m)^\[(\d+)/(\d+)\] `)

func cmdCheckprogress(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "checkprogress")
	file := "stderr"
	switch len(args) {
	case 0:
	case 1:
		file = args[0]
	default:
		ts.Fatalf("usage: checkprogress [FILE]")
	}
	if err := checkProgress(ts.ReadFile(file)); err != nil {
		ts.Fatalf("%s: %v", file, err)
	}
}

// checkProgress checks the "[done/total] trial: ..." lines of a sweep's
// stderr: total stays the same, done goes up by at most one a line (a line
// may repeat a count, to show a retried attempt), never passes total and
// ends at it. So every trial counts once, retried or not.
func checkProgress(stderr string) error {
	lines := progressLine.FindAllStringSubmatch(stderr, -1)
	if len(lines) == 0 {
		return errors.New("no [done/total] progress line")
	}
	total, err := strconv.Atoi(lines[0][2])
	if err != nil {
		return err
	}
	done := 0
	for i, m := range lines {
		d, err1 := strconv.Atoi(m[1])
		t, err2 := strconv.Atoi(m[2])
		if err1 != nil || err2 != nil || t != total || d < done || d > done+1 || d > total {
			return fmt.Errorf("progress line %d says [%s/%s] after %d of %d done", i+1, m[1], m[2], done, total)
		}
		done = d
	}
	if done != total {
		return fmt.Errorf("progress ends at %d of %d", done, total)
	}
	return nil
}

func cmdDatasha(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "datasha")
	if len(args) != 1 {
		ts.Fatalf("usage: datasha GRID")
	}
	s, err := spec.Load(ts.MkAbs(args[0]))
	ts.Check(err)
	d, err := dataset.Load(context.Background(), s.Data)
	ts.Check(err)
	fmt.Fprintln(ts.Stdout(), "sha256", testio.Float64SHA256(d.TrainX, d.TrainY, d.ValX, d.ValY))
}
