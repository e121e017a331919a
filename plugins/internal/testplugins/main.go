// Command testplugins is a model plugin that misbehaves on request, for the
// tests of package plugins. Its first argument picks how it starts:
//
//	(none)         serve the test model below
//	wrong-cookie   speak go-plugin with another application's magic cookie
//	wrong-version  speak a plugin protocol version sweep does not know
//	not-a-plugin   print a line and exit, as an ordinary program would
//	ffn            serve the built-in FFN, as the sweep binary does
//	slow-start [D] wait D (default a minute) before serving the test model;
//	               first it writes plugin-PID.starting in its working
//	               directory, and a SIGINT that reaches it while it waits
//	               appends its pid to plugins.sigint there before it exits 1
//	bad-stream     serve a Train that sends an event after the outcome
//	script FILE    serve the test model with every loss multiplied by the number
//	               in FILE, read at each trial, and a val_ic metric too: FILE
//	               stands for a script a plugin's interpreter runs, so that
//	               editing it changes the model
//
// The test model's hyperparameter "fail" picks how a trial misbehaves at
// epoch "fail_at": "panic", "exit" (os.Exit(7)), "kill" (SIGKILL itself),
// "error" (return an error), "hang" (ignore cancellation and block forever).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/sweep-ml/sweep/plugins"
	"github.com/sweep-ml/sweep/plugins/builtin"
	pb "github.com/sweep-ml/sweep/plugins/proto"
)

func main() {
	mode := ""
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "":
		plugins.Serve(model{})
	case "script":
		if len(os.Args) != 3 {
			fmt.Fprintln(os.Stderr, "testplugins: usage: testplugins script FILE")
			os.Exit(2)
		}
		plugins.Serve(model{script: os.Args[2]})
	case "wrong-cookie", "wrong-version":
		hs := plugins.Handshake
		if mode == "wrong-cookie" {
			hs.MagicCookieKey, hs.MagicCookieValue = "OTHER_APP_PLUGIN", "not-sweep"
		} else {
			hs.ProtocolVersion += 98
		}
		plugin.Serve(&plugin.ServeConfig{
			HandshakeConfig: hs,
			Plugins:         plugin.PluginSet{"model": &plugins.GRPCPlugin{Impl: model{}}},
			GRPCServer:      plugin.DefaultGRPCServer,
		})
	case "bad-stream":
		plugin.Serve(&plugin.ServeConfig{
			HandshakeConfig: plugins.Handshake,
			Plugins:         plugin.PluginSet{"model": badStreamPlugin{}},
			GRPCServer:      plugin.DefaultGRPCServer,
		})
	case "slow-start":
		slowStart(os.Args[2:])
		plugins.Serve(model{})
	case "ffn":
		plugins.Serve(builtin.FFN())
	case "not-a-plugin":
		fmt.Fprintln(os.Stderr, "hello, I am an ordinary program")
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "testplugins: unknown mode %q\n", mode)
		os.Exit(2)
	}
}

// slowStart waits before the handshake and records whether a SIGINT, which
// only a terminal's Ctrl-C sent to the host's process group would bring,
// reached the plugin meanwhile.
func slowStart(args []string) {
	wait := time.Minute
	if len(args) > 0 {
		d, err := time.ParseDuration(args[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, "testplugins: slow-start:", err)
			os.Exit(2)
		}
		wait = d
	}
	sigint := make(chan os.Signal, 1)
	signal.Notify(sigint, os.Interrupt)
	if err := os.WriteFile(fmt.Sprintf("plugin-%d.starting", os.Getpid()), nil, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "testplugins:", err)
		os.Exit(2)
	}
	select {
	case <-sigint:
		if f, err := os.OpenFile("plugins.sigint", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
			fmt.Fprintln(f, os.Getpid())
			f.Close()
		}
		os.Exit(1)
	case <-time.After(wait):
	}
	signal.Stop(sigint)
}

// model is the test model; with a script, its losses are scaled by the
// number in that file and it reports val_ic as well.
type model struct{ script string }

// params declares one hyperparameter of every type, so that the tests see
// each type cross the wire both ways.
var params = []plugins.ParamSpec{
	{Name: "epochs", Type: plugins.TypeInt, Default: int64(3), Help: "epochs to run"},
	{Name: "sleep_ms", Type: plugins.TypeInt, Default: int64(0), Help: "sleep per epoch"},
	{Name: "fail", Type: plugins.TypeString, Default: "", Help: "panic, exit, kill, error or hang"},
	{Name: "fail_at", Type: plugins.TypeInt, Default: int64(1), Help: "epoch at which to fail"},
	{Name: "hist", Type: plugins.TypeInt, Default: int64(0), Help: "values per histogram"},
	{Name: "lr", Type: plugins.TypeFloat, Default: 1.0, Help: "a float that looks like an int"},
	{Name: "verbose", Type: plugins.TypeBool, Default: false, Help: "print every epoch to stderr"},
	{Name: "dims", Type: plugins.TypeIntList, Default: []int64{64, 32}, Help: "an int list"},
	{Name: "weights", Type: plugins.TypeFloatList, Default: []float64{0.5, 1}, Help: "a float list"},
}

func (m model) Describe(context.Context) (plugins.Description, error) {
	metrics := []string{"train_loss", "val_loss", "pid"}
	if m.script != "" {
		metrics = append(metrics, "val_ic")
	}
	return plugins.Description{Name: "testplugin", Params: params, Metrics: metrics}, nil
}

// scale is the factor of the model's losses: the number in its script, or 1.
func (m model) scale() (float64, error) {
	if m.script == "" {
		return 1, nil
	}
	text, err := os.ReadFile(m.script)
	if err != nil {
		return 0, err
	}
	return strconv.ParseFloat(strings.TrimSpace(string(text)), 64)
}

func (m model) Train(ctx context.Context, req plugins.TrainRequest, emit func(plugins.Event) error) (plugins.Outcome, error) {
	// Every value must arrive with the Go type its spec declares.
	for _, p := range params {
		v, ok := req.Params[p.Name]
		if !ok {
			continue
		}
		if fmt.Sprintf("%T", v) != fmt.Sprintf("%T", p.Default) {
			return plugins.Outcome{}, fmt.Errorf("hyperparameter %s arrived as %T, want %T", p.Name, v, p.Default)
		}
	}
	get := func(name string) any {
		if v, ok := req.Params[name]; ok {
			return v
		}
		for _, p := range params {
			if p.Name == name {
				return p.Default
			}
		}
		panic("no parameter " + name)
	}
	epochs, sleep := get("epochs").(int64), time.Duration(get("sleep_ms").(int64))*time.Millisecond
	fail, failAt := get("fail").(string), get("fail_at").(int64)
	hist, verbose := get("hist").(int64), get("verbose").(bool)
	scale, err := m.scale()
	if err != nil {
		return plugins.Outcome{}, fmt.Errorf("script: %w", err)
	}
	fmt.Fprintf(os.Stderr, "trial %s starts in pid %d\n", req.TrialID, os.Getpid())
	var out plugins.Outcome
	for epoch := range epochs {
		if epoch == failAt {
			misbehave(fail, req.TrialID)
			if fail == "error" {
				return out, errors.New("diverged: loss is NaN")
			}
		}
		if sleep > 0 {
			select {
			case <-ctx.Done():
				fmt.Fprintf(os.Stderr, "trial %s cancelled at epoch %d\n", req.TrialID, epoch)
				return out, ctx.Err()
			case <-time.After(sleep):
			}
		}
		loss := scale / float64(epoch+1)
		ev := plugins.Event{Step: epoch, Scalars: []plugins.Scalar{
			{Tag: "train_loss", Value: loss}, {Tag: "val_loss", Value: 2 * loss}, {Tag: "pid", Value: float64(os.Getpid())},
		}}
		if m.script != "" {
			ev.Scalars = append(ev.Scalars, plugins.Scalar{Tag: "val_ic", Value: float64(epoch) / (10 * scale)})
		}
		if epoch == 0 {
			ev.Graph = &plugins.Graph{Nodes: []plugins.GraphNode{
				{Name: "input", Op: "Placeholder", Shape: []int64{-1, 4}},
				{Name: "network/0", Op: "Linear", Inputs: []string{"input"}, Shape: []int64{-1, 1}},
			}}
		}
		if hist > 0 {
			vals := make([]float64, hist)
			for i := range vals {
				vals[i] = float64(i) * loss
			}
			ev.Histograms = []plugins.Histogram{{Tag: "weights/network.0.weight", Values: vals}}
		}
		if verbose {
			fmt.Fprintf(os.Stderr, "trial %s epoch %d loss %g\n", req.TrialID, epoch, loss)
		}
		if err := emit(ev); err != nil {
			return out, err
		}
		out = plugins.Outcome{BestValLoss: 2 * loss, BestEpoch: epoch, EpochsRun: epoch + 1, FinalTrainLoss: loss, FinalValLoss: 2 * loss}
	}
	return out, nil
}

// misbehave does what fail asks, announcing it on stderr first so that the
// host's error can quote it.
func misbehave(fail, trial string) {
	if fail == "" || fail == "error" {
		return
	}
	fmt.Fprintf(os.Stderr, "trial %s: about to %s\n", trial, fail)
	switch fail {
	case "panic":
		panic("deliberate panic in trial " + trial)
	case "exit":
		os.Exit(7)
	case "kill":
		if self, err := os.FindProcess(os.Getpid()); err == nil {
			_ = self.Kill() // SIGKILL on Unix
		}
		select {}
	case "hang":
		select {} // ignores ctx: only killing the process ends this
	}
}

// badStreamPlugin serves the Model service directly, without Serve, to break
// the protocol in a way a plugins.Model cannot: its Train sends an event
// after the outcome.
type badStreamPlugin struct{ plugin.NetRPCUnsupportedPlugin }

func (badStreamPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterModelServer(s, badStreamServer{})
	return nil
}

func (badStreamPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("badStreamPlugin serves only")
}

type badStreamServer struct{ pb.UnimplementedModelServer }

func (badStreamServer) Train(_ *pb.TrainRequest, stream pb.Model_TrainServer) error {
	if err := stream.Send(&pb.TrainEvent{Kind: &pb.TrainEvent_Outcome{Outcome: &pb.Outcome{}}}); err != nil {
		return err
	}
	return stream.Send(&pb.TrainEvent{Kind: &pb.TrainEvent_Event{Event: &pb.Event{Step: 1}}})
}
