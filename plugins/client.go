package plugins

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/sweep-ml/sweep/plugins/proto"
)

// Command says how to start a plugin process.
type Command struct {
	// Path is the plugin program. A name without a path separator is looked
	// up in PATH; a relative path is relative to Dir (or to the current
	// directory when Dir is empty).
	Path string
	Args []string
	// Env holds extra "KEY=value" entries on top of the host's environment;
	// they win over the host's values.
	Env []string
	// Dir is the process's working directory; empty: the host's.
	Dir string
}

// resolve checks that the program exists and can be run, and returns its
// absolute path, so that these mistakes are reported plainly before go-plugin
// tries to start anything.
func (c Command) resolve() (string, error) {
	if c.Path == "" {
		return "", errors.New("plugin: no program path given")
	}
	p := c.Path
	if !strings.ContainsRune(p, filepath.Separator) && !strings.ContainsRune(p, '/') {
		lp, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("plugin %q: no such program in PATH", p)
		}
		p = lp
	} else if !filepath.IsAbs(p) && c.Dir != "" {
		p = filepath.Join(c.Dir, p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("plugin %s: %w", c.Path, err)
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("plugin %s: no such file", abs)
	case err != nil:
		return "", fmt.Errorf("plugin %s: %w", abs, err)
	case fi.IsDir():
		return "", fmt.Errorf("plugin %s: is a directory, not a program", abs)
	case fi.Mode()&0o111 == 0:
		return "", fmt.Errorf("plugin %s: not executable (mode %v; chmod +x it)", abs, fi.Mode().Perm())
	}
	return abs, nil
}

// PoolOptions tunes how plugin processes are started and stopped. The zero
// value selects the defaults documented on each field.
type PoolOptions struct {
	// StartTimeout bounds a process's start-up, until its handshake
	// (default 30s).
	StartTimeout time.Duration
	// CancelGrace is how long a plugin may take to stop a cancelled trial
	// before its process is killed and replaced (default 2s).
	CancelGrace time.Duration
	// StderrLines is how many of a plugin's last stderr lines an error
	// quotes (default 20).
	StderrLines int
}

func (o PoolOptions) withDefaults() PoolOptions {
	if o.StartTimeout <= 0 {
		o.StartTimeout = 30 * time.Second
	}
	if o.CancelGrace <= 0 {
		o.CancelGrace = 2 * time.Second
	}
	if o.StderrLines <= 0 {
		o.StderrLines = 20
	}
	return o
}

// parentDeathSignal is false only in a test that checks Serve's own watch on
// its parent.
var parentDeathSignal = true

// Client is one running plugin process. Its methods may be called from one
// goroutine at a time; a Pool runs many Clients in parallel.
//
// A Client whose process died, hung, or broke the protocol is broken: its
// process is killed and every later call fails. A Pool replaces it.
type Client struct {
	path  string
	opts  PoolOptions
	pc    *plugin.Client
	rpc   pb.ModelClient
	sink  *stderrSink
	cmd   *exec.Cmd // go-plugin starts and waits for it
	pid   int
	abort context.CancelFunc // SIGKILLs the process

	mu     sync.Mutex
	broken error // why the client is unusable, or nil
}

// Launch starts the plugin process cmd and completes the handshake, with the
// default PoolOptions. A missing or non-executable program, a program that is
// not a sweep plugin, and a protocol version mismatch are errors naming the
// path. If ctx ends during the start, Launch stops the process (once go-plugin
// has it, at most StartTimeout) and returns ctx's error. Close the Client to
// stop the process.
func Launch(ctx context.Context, cmd Command) (*Client, error) {
	return launch(ctx, cmd, PoolOptions{}.withDefaults())
}

func launch(ctx context.Context, cmd Command, opts PoolOptions) (*Client, error) {
	path, err := cmd.resolve()
	if err != nil {
		return nil, err
	}
	// abort kills the process through os/exec, which knows it from its
	// start, even while go-plugin is still waiting for the handshake.
	procCtx, abort := context.WithCancel(context.Background())
	c := &Client{path: path, opts: opts, sink: newStderrSink(opts.StderrLines), abort: abort}
	ec := exec.CommandContext(procCtx, path, cmd.Args...)
	c.cmd = ec
	// go-plugin appends the host's environment after Env, and exec keeps the
	// last of duplicate keys: put the host's first so that cmd.Env wins.
	ec.Env = append(os.Environ(), cmd.Env...)
	ec.Dir = cmd.Dir
	leaveTerminalGroup(ec)
	if parentDeathSignal {
		setParentDeathSignal(ec)
	}
	c.pc = plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          plugin.PluginSet{pluginName: &GRPCPlugin{}},
		Cmd:              ec,
		SkipHostEnv:      true,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		StartTimeout:     opts.StartTimeout,
		Stderr:           c.sink,
		SyncStderr:       c.sink,
		SyncStdout:       c.sink,
		// go-plugin's own log would clutter the user's terminal; how the
		// process ended comes from its exec.Cmd (exitText).
		Logger: hclog.NewNullLogger(),
		// Histograms of a large network exceed gRPC's default 4 MiB.
		GRPCDialOptions: []grpc.DialOption{grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(1 << 30))},
	})

	type started struct {
		rpc pb.ModelClient
		err error
	}
	done := make(chan started, 1)
	go func() {
		proto, err := c.pc.Client()
		if err != nil {
			done <- started{err: err}
			return
		}
		raw, err := proto.Dispense(pluginName)
		if err != nil {
			done <- started{err: err}
			return
		}
		done <- started{rpc: raw.(pb.ModelClient)}
	}()
	var s started
	select {
	case s = <-done:
	case <-ctx.Done():
		abort()
		<-done
		c.kill()
		return nil, fmt.Errorf("plugin %s: start: %w", path, ctx.Err())
	}
	if s.err != nil {
		c.kill()
		if ctx.Err() != nil {
			// The start was being cut short anyway: whatever ended the
			// process, the caller's cancellation is the reason.
			return nil, fmt.Errorf("plugin %s: start: %w", path, ctx.Err())
		}
		return nil, fmt.Errorf("plugin %s: did not start: %s%s", path, startError(s.err, c.exitText()), c.sink.tailText())
	}
	c.rpc = s.rpc
	if rc := c.pc.ReattachConfig(); rc != nil {
		c.pid = rc.Pid
	}
	return c, nil
}

// startError rewords go-plugin's start-up errors, which guess at causes
// that resolve has ruled out, and says what to do.
func startError(err error, exit string) string {
	msg := err.Error()
	lower := strings.ToLower(msg)
	switch {
	case strings.Contains(lower, "exited before we could connect"), strings.Contains(lower, "failed to read any lines"):
		return fmt.Sprintf("the program exited%s without completing the handshake; is it a sweep model plugin? "+
			"It must accept the cookie %s=%s and print the handshake line (see plugins/README.md)",
			exit, Handshake.MagicCookieKey, Handshake.MagicCookieValue)
	case strings.Contains(lower, "incompatible api version"):
		return fmt.Sprintf("%s; this sweep speaks plugin protocol version %d: rebuild the plugin against it", msg, Handshake.ProtocolVersion)
	case strings.Contains(lower, "timeout while waiting"):
		return msg + "; it never printed the handshake line (is it a sweep model plugin?)"
	}
	return msg + exit
}

// Path is the plugin program's absolute path.
func (c *Client) Path() string { return c.path }

// Pid is the plugin process's id.
func (c *Client) Pid() int { return c.pid }

// Err reports why the client is broken, or nil while it is usable.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.broken
}

// Describe asks the plugin to describe its model.
func (c *Client) Describe(ctx context.Context) (Description, error) {
	if err := c.Err(); err != nil {
		return Description{}, err
	}
	callCtx, cancel := callContext(ctx)
	defer cancel()
	d, err := c.rpc.Describe(callCtx, &pb.DescribeRequest{})
	if err != nil {
		return Description{}, c.callFailed(ctx, "describe", err)
	}
	out, err := describeFromProto(d)
	if err != nil {
		return Description{}, fmt.Errorf("plugin %s: describe: %w", c.path, err)
	}
	return out, nil
}

// Train runs one trial in the plugin process and calls emit, in order, for
// each event the plugin streams. While it runs, what the plugin writes to its
// stdout and stderr goes to stderr (nil: discarded).
//
// A model's own failure is returned as an error with the model's message and
// leaves the process usable. If the process dies, the error says how and
// quotes its last stderr lines. If ctx ends or emit fails, the trial is
// cancelled; a plugin that does not stop within CancelGrace is killed. In
// every case but a model's own failure and a clean cancellation the Client is
// broken afterwards.
func (c *Client) Train(ctx context.Context, req TrainRequest, stderr io.Writer, emit func(Event) error) (Outcome, error) {
	if err := c.Err(); err != nil {
		return Outcome{}, err
	}
	what := fmt.Sprintf("trial %s", req.TrialID)
	preq, err := requestToProto(req)
	if err != nil {
		return Outcome{}, fmt.Errorf("%s: %w", what, err)
	}
	c.sink.attach(stderr)
	defer c.sink.attach(nil)
	callCtx, cancel := callContext(ctx)
	defer cancel()
	stream, err := c.rpc.Train(callCtx, preq)
	if err != nil {
		return Outcome{}, c.callFailed(ctx, what, err)
	}
	var out *pb.Outcome
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			err = c.callFailed(ctx, what, err)
			if c.Err() == nil {
				c.awaitMark(stream.Trailer())
			}
			return Outcome{}, err
		}
		switch k := m.GetKind().(type) {
		case *pb.TrainEvent_Event:
			if out != nil {
				return Outcome{}, c.fail("plugin %s: %s: an event came after the outcome", c.path, what)
			}
			if err := emit(eventFromProto(k.Event)); err != nil {
				cancel()
				c.settle()
				return Outcome{}, err
			}
		case *pb.TrainEvent_Outcome:
			out = k.Outcome
		default:
			return Outcome{}, c.fail("plugin %s: %s: an empty message in the event stream", c.path, what)
		}
	}
	c.awaitMark(stream.Trailer())
	if out == nil {
		return Outcome{}, fmt.Errorf("plugin %s: %s: the plugin ended the trial without an outcome", c.path, what)
	}
	return outcomeFromProto(out), nil
}

// callContext returns the context for an RPC made on behalf of ctx: it is
// cancelled when ctx ends, but carries no deadline. With a deadline, gRPC
// would also time the call out on the plugin's side, and the host could see
// the plugin's cancellation before its own context ended, and mistake it
// for a broken process.
func callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	callCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel)
	return callCtx, func() {
		stop()
		cancel()
	}
}

// callFailed classifies a failed RPC, breaks the client where the process is
// no longer trustworthy, and builds the error.
func (c *Client) callFailed(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		if c.settle() {
			return fmt.Errorf("%s: %w", what, ctx.Err())
		}
		return fmt.Errorf("%s: %w (the plugin did not stop within %v and was killed)%s",
			what, ctx.Err(), c.opts.CancelGrace, c.sink.tailText())
	}
	st := status.Convert(err)
	switch st.Code() {
	case codes.Aborted, codes.Unknown, codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange:
		// The model (or a plugin's own validation) failed this trial; the
		// process answered, so it is fine.
		return fmt.Errorf("%s failed: %s", what, st.Message())
	}
	// Anything else means the process or the connection broke. Give the
	// process a moment to be reaped so that the error can say how it ended.
	// The message is built after the kill, which lets go-plugin record how
	// the process ended and the last stderr lines arrive.
	exited := c.waitExit(time.Second)
	c.kill()
	if exited {
		return c.breakf("plugin %s: the process exited during %s%s%s", c.path, what, c.exitText(), c.sink.tailText())
	}
	return c.breakf("plugin %s: %s: %s%s", c.path, what, st.Message(), c.sink.tailText())
}

// settle waits, at most CancelGrace, for the plugin to finish every Train
// call after a cancellation. It reports whether the process is still usable;
// if not, it kills it.
func (c *Client) settle() bool {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.CancelGrace)
	defer cancel()
	var md metadata.MD
	if _, err := c.rpc.Wait(ctx, &pb.WaitRequest{}, grpc.Trailer(&md)); err != nil {
		c.fail("plugin %s: did not stop a cancelled trial within %v", c.path, c.opts.CancelGrace)
		return false
	}
	c.awaitMark(md)
	return true
}

// awaitMark waits, briefly, until the stderr mark named in a call's trailer
// has come through, so that the call's output lands in its trial's log. A
// plugin that sends no mark (not written with Serve) is not waited for.
func (c *Client) awaitMark(md metadata.MD) {
	v := md.Get(markTrailer)
	if len(v) == 0 {
		return
	}
	n, err := strconv.ParseInt(v[0], 10, 64)
	if err != nil {
		return
	}
	select {
	case <-c.sink.expect(n):
	case <-time.After(time.Second):
	}
}

func (c *Client) waitExit(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for !c.pc.Exited() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// fail kills the process, which can no longer be trusted, marks the client
// broken and returns the error.
func (c *Client) fail(format string, args ...any) error {
	c.kill()
	return c.breakf(format, args...)
}

// breakf marks the client broken (keeping the first reason) and returns the
// error.
func (c *Client) breakf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken == nil {
		c.broken = err
	}
	return err
}

// kill stops the process: go-plugin's Kill asks it to exit and force-kills it
// after 2s; a process so wedged that even that hangs (its Shutdown call
// never returns) is killed through os/exec.
func (c *Client) kill() {
	done := make(chan struct{})
	go func() {
		c.pc.Kill()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		c.abort()
		<-done
	}
	c.abort() // the process is gone: release os/exec's watch on the context
}

// Close stops the plugin process and waits for it to exit. It may be called
// more than once.
func (c *Client) Close() error {
	c.breakf("plugin %s: closed", c.path)
	c.kill()
	return nil
}

// exitText is " (how)" once the process has exited ("exit status 2",
// "signal: killed"), else "". go-plugin's Exited, which it sets under its
// lock after its Wait on the command returned, orders this read after the
// write of ProcessState.
func (c *Client) exitText() string {
	if !c.pc.Exited() || c.cmd.ProcessState == nil {
		return ""
	}
	return " (" + c.cmd.ProcessState.String() + ")"
}
