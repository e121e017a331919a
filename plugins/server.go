package plugins

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/sweep-ml/sweep/plugins/proto"
)

// Serve serves m as a sweep model plugin over gRPC and returns when the host
// closes the connection. It is the whole of a plugin's main:
//
//	func main() { plugins.Serve(mymodel.New()) }
//
// Serve may be called from any main, for example from a hidden subcommand of
// a larger program. Run outside sweep (without the handshake cookie in its
// environment) it prints an explanation and exits with status 1.
//
// In the plugin process, os.Stdout and os.Stderr both go to the host, which
// writes them to the current trial's log. The process exits by itself when its
// parent dies, so a killed host leaves no plugin behind.
func Serve(m Model) {
	// go-plugin points os.Stdout and os.Stderr at pipes relayed over gRPC,
	// which lose the last lines of a process that dies (os.Exit, a fatal
	// signal). Plain fd 2 reaches the host even then, so the server restores
	// it before the first call; stdout, once the handshake line is written,
	// joins it there.
	stderr := os.Stderr
	restore := func() {
		os.Stdout = stderr
		os.Stderr = stderr
	}
	watchParent(os.Getppid(), 200*time.Millisecond)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         plugin.PluginSet{pluginName: &GRPCPlugin{Impl: &stdioRestorer{Model: m, restore: restore}, stderr: stderr}},
		GRPCServer:      plugin.DefaultGRPCServer,
		// go-plugin's own debug chatter would land in every trial's log.
		Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Error, Output: stderr, JSONFormat: true}),
	})
}

// stdioRestorer runs restore once, before the first call reaches the model.
type stdioRestorer struct {
	Model
	once    sync.Once
	restore func()
}

func (s *stdioRestorer) Describe(ctx context.Context) (Description, error) {
	s.once.Do(s.restore)
	return s.Model.Describe(ctx)
}

func (s *stdioRestorer) Train(ctx context.Context, req TrainRequest, emit func(Event) error) (Outcome, error) {
	s.once.Do(s.restore)
	return s.Model.Train(ctx, req, emit)
}

// watchParent exits the process soon after the process that started it dies
// (the process is then re-parented, so its parent pid changes). go-plugin
// itself does not notice a dead host: the plugin would wait on its socket
// forever.
func watchParent(ppid int, every time.Duration) {
	if ppid <= 1 {
		return // already orphaned or started by init: nothing to watch
	}
	go func() {
		for range time.Tick(every) {
			if os.Getppid() != ppid {
				os.Exit(3)
			}
		}
	}()
}

// server is the plugin side of the Model service: it turns RPCs into calls of
// a Model.
type server struct {
	pb.UnimplementedModelServer
	impl   Model
	stderr *os.File // for marks; nil: none
	marks  atomic.Int64

	mu     sync.Mutex
	active int           // Describe and Train calls running
	idle   chan struct{} // closed while active == 0
}

func newServer(m Model, stderr *os.File) *server {
	idle := make(chan struct{})
	close(idle)
	return &server{impl: m, stderr: stderr, idle: idle}
}

// mark writes the next mark line to stderr and returns the trailer that
// names it, or nil without a stderr. Everything the process wrote to stderr
// before the call is then ahead of the mark in the pipe.
func (s *server) mark() metadata.MD {
	if s.stderr == nil {
		return nil
	}
	n := s.marks.Add(1)
	if _, err := fmt.Fprintf(s.stderr, "%s%d\n", markPrefix, n); err != nil {
		return nil
	}
	return metadata.Pairs(markTrailer, strconv.FormatInt(n, 10))
}

func (s *server) begin() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active == 0 {
		s.idle = make(chan struct{})
	}
	s.active++
}

func (s *server) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active--
	if s.active == 0 {
		close(s.idle)
	}
}

// Describe implements the Describe RPC.
func (s *server) Describe(ctx context.Context, _ *pb.DescribeRequest) (*pb.Description, error) {
	s.begin()
	defer s.end()
	d, err := s.impl.Describe(ctx)
	if err != nil {
		return nil, modelError(ctx, err)
	}
	out, err := describeToProto(d)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "describe: %v", err)
	}
	return out, nil
}

// Train implements the Train RPC. The stream's context is the model's: the
// host cancelling the call cancels training.
func (s *server) Train(req *pb.TrainRequest, stream pb.Model_TrainServer) error {
	s.begin()
	defer s.end()
	ctx := stream.Context()
	r, err := requestFromProto(req)
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	out, err := s.impl.Train(ctx, r, func(e Event) error {
		return stream.Send(&pb.TrainEvent{Kind: &pb.TrainEvent_Event{Event: eventToProto(e)}})
	})
	if md := s.mark(); md != nil {
		stream.SetTrailer(md)
	}
	if err != nil {
		return modelError(ctx, err)
	}
	return stream.Send(&pb.TrainEvent{Kind: &pb.TrainEvent_Outcome{Outcome: outcomeToProto(out)}})
}

// Wait implements the Wait RPC: it returns once no Describe or Train call is
// running.
func (s *server) Wait(ctx context.Context, _ *pb.WaitRequest) (*pb.WaitReply, error) {
	s.mu.Lock()
	idle := s.idle
	s.mu.Unlock()
	select {
	case <-idle:
		if md := s.mark(); md != nil {
			_ = grpc.SetTrailer(ctx, md)
		}
		return &pb.WaitReply{}, nil
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	}
}

// modelError turns a model's error into a gRPC status: Aborted says "the
// model failed this trial and the process is fine", which the host tells
// apart from a broken process.
func modelError(ctx context.Context, err error) error {
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return status.FromContextError(ctx.Err()).Err()
	}
	return status.Error(codes.Aborted, err.Error())
}
