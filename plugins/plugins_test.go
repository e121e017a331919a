package plugins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sweep-ml/sweep/tests/testio"
)

func testCommand(args ...string) Command { return Command{Path: testPluginPath, Args: args} }

// newPool returns a pool of the test plugin that the test closes.
func newPool(t *testing.T, size int, opts PoolOptions) *Pool {
	t.Helper()
	p := NewPool(testCommand(), size, opts)
	t.Cleanup(func() { p.Close() })
	return p
}

// run trains one trial of the test plugin and returns its events.
func run(ctx context.Context, tr Trainer, id string, params Params, stderr *testio.SyncBuffer) ([]Event, Outcome, error) {
	var w io.Writer // a nil *testio.SyncBuffer must be a nil Writer
	if stderr != nil {
		w = stderr
	}
	var evs []Event
	out, err := tr.Train(ctx, TrainRequest{TrialID: id, Params: params}, w, func(e Event) error {
		evs = append(evs, e)
		return nil
	})
	return evs, out, err
}

// idleClients returns the process in each slot of a pool that runs no
// trial (nil for a slot without one), leaving the slots as they were.
func idleClients(p *Pool) []*Client {
	cs := make([]*Client, cap(p.slots))
	for i := range cs {
		cs[i] = <-p.slots
	}
	for _, c := range cs {
		p.slots <- c
	}
	return cs
}

// pidOf is the plugin process that sent an event of the test plugin.
func pidOf(t *testing.T, evs []Event) int {
	t.Helper()
	if len(evs) == 0 {
		t.Fatal("no events")
	}
	for _, s := range evs[0].Scalars {
		if s.Tag == "pid" {
			return int(s.Value)
		}
	}
	t.Fatal("no pid scalar")
	return 0
}

func TestTrainStreamsEveryEpoch(t *testing.T) {
	p := newPool(t, 1, PoolOptions{})
	var log testio.SyncBuffer
	evs, out, err := run(context.Background(), p, "t1", Params{"epochs": int64(5), "verbose": true}, &log)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 5 {
		t.Fatalf("%d events, want 5", len(evs))
	}
	for i, e := range evs {
		loss := 1 / float64(i+1)
		if e.Step != int64(i) || e.Scalars[0] != (Scalar{"train_loss", loss}) || e.Scalars[1] != (Scalar{"val_loss", 2 * loss}) {
			t.Errorf("event %d = %+v", i, e)
		}
		if (e.Graph != nil) != (i == 0) {
			t.Errorf("event %d: graph %v, want one with the first event only", i, e.Graph)
		}
	}
	wantGraph := &Graph{Nodes: []GraphNode{
		{Name: "input", Op: "Placeholder", Shape: []int64{-1, 4}},
		{Name: "network/0", Op: "Linear", Inputs: []string{"input"}, Shape: []int64{-1, 1}},
	}}
	if !reflect.DeepEqual(evs[0].Graph, wantGraph) {
		t.Errorf("graph %+v, want %+v", evs[0].Graph, wantGraph)
	}
	want := Outcome{BestValLoss: 0.4, BestEpoch: 4, EpochsRun: 5, FinalTrainLoss: 0.2, FinalValLoss: 0.4}
	if out != want {
		t.Errorf("outcome %+v, want %+v", out, want)
	}
	// The plugin's stderr reaches the trial's writer, up to the line written
	// just before the trial ended: Train waits for the call's stderr mark.
	for _, want := range []string{"trial t1 starts", "trial t1 epoch 4 loss 0.2\n"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("trial log %q lacks %q", log.String(), want)
		}
	}
}

func TestHistogramsCrossTheWire(t *testing.T) {
	p := newPool(t, 1, PoolOptions{})
	evs, _, err := run(context.Background(), p, "h", Params{"epochs": int64(2), "hist": int64(1000)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := evs[1].Histograms[0]
	if h.Tag != "weights/network.0.weight" || len(h.Values) != 1000 || h.Values[999] != 999*0.5 {
		t.Errorf("histogram %s with %d values, last %v", h.Tag, len(h.Values), h.Values[len(h.Values)-1])
	}
}

func TestDescribeKeepsTypes(t *testing.T) {
	p := newPool(t, 1, PoolOptions{})
	d, err := p.Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The test plugin's declaration, as the Go values it wrote.
	want := map[string]any{
		"epochs": int64(3), "sleep_ms": int64(0), "fail": "", "fail_at": int64(1), "hist": int64(0),
		"lr": 1.0, "verbose": false, "dims": []int64{64, 32}, "weights": []float64{0.5, 1},
	}
	if d.Name != "testplugin" || len(d.Params) != len(want) {
		t.Fatalf("description %+v", d)
	}
	for _, s := range d.Params {
		if !reflect.DeepEqual(s.Default, want[s.Name]) {
			t.Errorf("%s: default %#v (%T), want %#v (%T)", s.Name, s.Default, s.Default, want[s.Name], want[s.Name])
		}
	}
	// The plugin refuses a value whose Go type differs from its spec, so a
	// passing trial shows every type arrived intact.
	params := Params{"epochs": int64(1), "lr": 2.0, "verbose": true, "fail": "", "dims": []int64{}, "weights": []float64{1, 2, 3}}
	if _, _, err := run(context.Background(), p, "types", params, nil); err != nil {
		t.Error(err)
	}
}

func TestCrashFailsOnlyThatTrial(t *testing.T) {
	for _, tc := range []struct{ fail, how string }{
		{"panic", "exit status 2"},
		{"exit", "exit status 7"},
		{"kill", "signal: killed"},
	} {
		t.Run(tc.fail, func(t *testing.T) {
			p := newPool(t, 1, PoolOptions{})
			evs, _, err := run(context.Background(), p, "ok1", Params{"epochs": int64(1)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			pid := pidOf(t, evs)
			var log testio.SyncBuffer
			_, _, err = run(context.Background(), p, "bad", Params{"fail": tc.fail}, &log)
			if err == nil {
				t.Fatal("a crashed trial succeeded")
			}
			wants := []string{testPluginPath, "exited during trial bad", tc.how, "trial bad: about to " + tc.fail}
			if tc.fail == "panic" {
				wants = append(wants, "panic: deliberate panic in trial bad", "main.misbehave")
			}
			for _, want := range wants {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if tc.fail == "panic" && !strings.Contains(log.String(), "deliberate panic") {
				t.Errorf("trial log %q lacks the panic", log.String())
			}
			if !waitGone(pid, 5*time.Second) {
				t.Errorf("crashed plugin %d still runs", pid)
			}
			evs, _, err = run(context.Background(), p, "ok2", Params{"epochs": int64(1)}, nil)
			if err != nil {
				t.Fatalf("the trial after a crash: %v", err)
			}
			if pidOf(t, evs) == pid {
				t.Error("the trial after a crash ran in the crashed process")
			}
		})
	}
}

func TestModelErrorKeepsProcess(t *testing.T) {
	p := newPool(t, 1, PoolOptions{})
	_, _, err := run(context.Background(), p, "bad", Params{"fail": "error"}, nil)
	if err == nil || !strings.Contains(err.Error(), "trial bad failed: diverged: loss is NaN") {
		t.Fatalf("error %v", err)
	}
	evs1, _, err := run(context.Background(), p, "ok1", Params{"epochs": int64(1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	evs2, _, err := run(context.Background(), p, "ok2", Params{"epochs": int64(1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pidOf(t, evs1) != pidOf(t, evs2) {
		t.Error("a healthy process was not reused")
	}
}

func TestHangStoppedByDeadline(t *testing.T) {
	p := newPool(t, 1, PoolOptions{CancelGrace: 200 * time.Millisecond})
	evs, _, err := run(context.Background(), p, "ok1", Params{"epochs": int64(1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pid := pidOf(t, evs)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, _, err = run(ctx, p, "hung", Params{"fail": "hang"}, nil)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "was killed") ||
		!strings.Contains(err.Error(), "about to hang") {
		t.Errorf("error %v, want a deadline that killed the plugin, quoting its stderr", err)
	}
	if !waitGone(pid, 5*time.Second) {
		t.Errorf("hung plugin %d still runs", pid)
	}
	evs, _, err = run(context.Background(), p, "ok2", Params{"epochs": int64(1)}, nil)
	if err != nil {
		t.Fatalf("the trial after a hang: %v", err)
	}
	if pidOf(t, evs) == pid {
		t.Error("the trial after a hang ran in the hung process")
	}
}

// TestCancelReachesModel shows that cancelling the host's context cancels
// the model's: the model stops at once, says so, and its process stays in
// use.
func TestCancelReachesModel(t *testing.T) {
	p := newPool(t, 1, PoolOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log testio.SyncBuffer
	var evs []Event
	start := time.Now()
	_, err := p.Train(ctx, TrainRequest{TrialID: "c", Params: Params{"epochs": int64(1000), "sleep_ms": int64(20)}}, &log, func(e Event) error {
		evs = append(evs, e)
		if len(evs) == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("cancellation took %v", d)
	}
	// The line the model writes on seeing its context cancelled went out
	// before its Train returned, and the host waited for that.
	if !strings.Contains(log.String(), "trial c cancelled at epoch") {
		t.Errorf("trial log %q: the model did not see the cancellation", log.String())
	}
	next, _, err := run(context.Background(), p, "after", Params{"epochs": int64(1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pidOf(t, next) != pidOf(t, evs) {
		t.Error("a process that honoured the cancellation was replaced")
	}
}

// An error from the event callback (a full disk, or the host's pruner
// stopping the trial) stops the trial; the plugin's process lives on and
// runs the next trial.
func TestEmitErrorStopsTrial(t *testing.T) {
	p := newPool(t, 1, PoolOptions{})
	stop := errors.New("disk full")
	n := 0
	var pid float64
	_, err := p.Train(context.Background(), TrainRequest{TrialID: "e", Params: Params{"epochs": int64(1000), "sleep_ms": int64(1)}}, nil, func(e Event) error {
		n++
		pid = scalar(e, "pid")
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("%d events, error %v; want 1 and %v", n, err, stop)
	}
	events, _, err := run(context.Background(), p, "after", Params{"epochs": int64(1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if after := scalar(events[0], "pid"); after != pid {
		t.Errorf("the next trial ran in process %v, want the same process %v", after, pid)
	}
}

// scalar is the value of the event's scalar tag, or NaN.
func scalar(e Event, tag string) float64 {
	for _, s := range e.Scalars {
		if s.Tag == tag {
			return s.Value
		}
	}
	return math.NaN()
}

// A plugin that breaks the protocol fails its trial, and its process,
// which can no longer be trusted, is killed at once.
func TestProtocolBreakKillsProcess(t *testing.T) {
	c, err := Launch(context.Background(), testCommand("bad-stream"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _, err = run(context.Background(), c, "b", Params{}, nil)
	if err == nil || !strings.Contains(err.Error(), "an event came after the outcome") {
		t.Fatalf("error %v, want one about the event after the outcome", err)
	}
	if c.Err() == nil {
		t.Error("the client is still usable")
	}
	if !waitGone(c.Pid(), 100*time.Millisecond) {
		t.Errorf("plugin %d still runs after breaking the protocol", c.Pid())
	}
}

func TestBadParamsRefusedByHost(t *testing.T) {
	p := newPool(t, 1, PoolOptions{})
	_, _, err := run(context.Background(), p, "x", Params{"lr": float32(1)}, nil)
	if err == nil || !strings.Contains(err.Error(), `hyperparameter "lr": unsupported Go type float32`) {
		t.Errorf("error %v", err)
	}
}

func TestStartErrors(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	for _, tc := range []struct {
		name string
		cmd  Command
		want []string
	}{
		{"missing", Command{Path: missing}, []string{missing, "no such file"}},
		{"not in PATH", Command{Path: "sweep-no-such-plugin"}, []string{`"sweep-no-such-plugin"`, "no such program in PATH"}},
		{"directory", Command{Path: dir}, []string{dir, "is a directory"}},
		{"not executable", Command{Path: plain}, []string{plain, "not executable", "chmod +x"}},
		{"relative to Dir", Command{Path: "./missing", Dir: dir}, []string{missing, "no such file"}},
		{"not a plugin", testCommand("not-a-plugin"), []string{testPluginPath, "did not start", "exited (exit status 2) without completing the handshake", "hello, I am an ordinary program", "SWEEP_PLUGIN_COOKIE"}},
		{"wrong cookie", testCommand("wrong-cookie"), []string{testPluginPath, "did not start", "This binary is a plugin", "SWEEP_PLUGIN_COOKIE"}},
		{"wrong version", testCommand("wrong-version"), []string{testPluginPath, "incompatible API version", "Plugin version: 99", "protocol version 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPool(tc.cmd, 1, PoolOptions{})
			defer p.Close()
			_, err := p.Describe(context.Background())
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestPoolRunsInParallelOnItsProcesses(t *testing.T) {
	p := newPool(t, 2, PoolOptions{})
	var (
		mu   sync.Mutex
		pids = map[int]bool{}
		wg   sync.WaitGroup
	)
	for i := range 8 {
		wg.Go(func() {
			evs, _, err := run(context.Background(), p, fmt.Sprint(i), Params{"epochs": int64(2), "sleep_ms": int64(50)}, nil)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			pids[pidOf(t, evs)] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(pids) != 2 {
		t.Errorf("trials ran in %d processes, want the pool's 2", len(pids))
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for pid := range pids {
		if !waitGone(pid, 5*time.Second) {
			t.Errorf("plugin %d outlived Close", pid)
		}
	}
	if _, err := p.Describe(context.Background()); !errors.Is(err, ErrPoolClosed) {
		t.Errorf("Describe after Close: %v", err)
	}
}

func TestCloseDuringTrial(t *testing.T) {
	p := NewPool(testCommand(), 1, PoolOptions{})
	started := make(chan int, 1)
	done := make(chan error, 1)
	go func() {
		_, err := p.Train(context.Background(), TrainRequest{TrialID: "long", Params: Params{"epochs": int64(100000), "sleep_ms": int64(10)}}, nil, func(e Event) error {
			if e.Step == 0 {
				started <- int(e.Scalars[2].Value)
			}
			return nil
		})
		done <- err
	}()
	pid := <-started
	p.Close()
	if err := <-done; err == nil {
		t.Error("a trial cut off by Close succeeded")
	}
	if !waitGone(pid, 5*time.Second) {
		t.Errorf("plugin %d outlived Close", pid)
	}
}

// TestKilledHostLeavesNoPlugin kills a host process (this test binary,
// re-run as hostHelper) with SIGKILL while its plugin runs a trial, and
// checks that the plugin goes too: by the parent-death signal, and, with
// that turned off, by the plugin's own watch on its parent (Serve's in Go,
// the SDK's in Python).
func TestKilledHostLeavesNoPlugin(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	for _, lang := range []struct {
		name    string
		command func(testing.TB) Command
	}{{"go", func(testing.TB) Command { return testCommand() }}, {"python", pythonCommand}} {
		for _, deathSignal := range []string{"on", "off"} {
			t.Run(lang.name+"/deathsig "+deathSignal, func(t *testing.T) {
				killHostDuringTrial(t, lang.command(t), deathSignal)
			})
		}
	}
}

// killHostDuringTrial starts a host that runs a trial on plugin, kills the
// host, and waits for the plugin to go.
func killHostDuringTrial(t *testing.T, plugin Command, deathSignal string) {
	cmd, err := json.Marshal(plugin)
	if err != nil {
		t.Fatal(err)
	}
	host := exec.Command(os.Args[0], "-test.run=^$")
	host.Env = append(os.Environ(), hostHelperEnv+"="+string(cmd), hostDeathSigEnv+"="+deathSignal)
	out, err := host.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	var line [32]byte
	n, _ := out.Read(line[:])
	pid, err := strconv.Atoi(strings.TrimSpace(string(line[:n])))
	if err != nil {
		host.Process.Kill()
		host.Wait()
		t.Fatalf("host said %q", line[:n])
	}
	if !alive(pid) {
		t.Fatalf("plugin %d not running", pid)
	}
	host.Process.Kill()
	host.Wait()
	if !waitGone(pid, 5*time.Second) {
		if p, err := os.FindProcess(pid); err == nil {
			p.Kill()
		}
		t.Fatalf("plugin %d outlived its killed host", pid)
	}
}

const (
	hostHelperEnv   = "SWEEP_TEST_HOST_PLUGIN" // the plugin's Command, as JSON
	hostDeathSigEnv = "SWEEP_TEST_HOST_DEATHSIG"
)

// hostHelper starts the plugin, prints its pid, and trains until killed.
func hostHelper() {
	parentDeathSignal = os.Getenv(hostDeathSigEnv) == "on"
	var cmd Command
	err := json.Unmarshal([]byte(os.Getenv(hostHelperEnv)), &cmd)
	var c *Client
	if err == nil {
		c, err = Launch(context.Background(), cmd)
	}
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println(c.Pid())
	_, err = c.Train(context.Background(), TrainRequest{Params: Params{"epochs": int64(1 << 40), "sleep_ms": int64(10)}}, nil, func(Event) error { return nil })
	fmt.Println(err)
	os.Exit(1)
}

func TestLaunchCancelled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	cmd := testCommand("slow-start")
	cmd.Dir = t.TempDir() // where it leaves its marker file
	c, err := Launch(ctx, cmd)
	if err == nil {
		c.Close()
		t.Fatal("a plugin that never completes its handshake started")
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), testPluginPath) {
		t.Errorf("error %v", err)
	}
	// The start is abandoned at once, not after StartTimeout; TestMain
	// checks that the process is gone.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Launch returned after %v", d)
	}
}
