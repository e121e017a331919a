package plugins

import (
	"context"
	"os"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/sweep-ml/sweep/plugins/proto"
)

// Handshake is the go-plugin handshake between sweep and a model plugin. A
// plugin process started by sweep finds SWEEP_PLUGIN_COOKIE in its
// environment; it must check the value, then print one line on stdout:
//
//	1|1|unix|/path/to/socket|grpc|
//
// (go-plugin's core protocol version 1, this ProtocolVersion, the network and
// address it listens on, the protocol). Plugins in Go get all of this from
// Serve.
var Handshake = plugin.HandshakeConfig{
	// ProtocolVersion changes whenever model.proto changes incompatibly.
	ProtocolVersion:  1,
	MagicCookieKey:   "SWEEP_PLUGIN_COOKIE",
	MagicCookieValue: "sweep-model-7f3c9a1e",
}

// pluginName is the name under which a plugin process offers its model.
const pluginName = "model"

// GRPCPlugin is the go-plugin Plugin for a Model over gRPC. On the plugin
// side Impl is the model served; on the host side Impl is unused and
// dispensing yields a client that speaks to the plugin process.
//
// Most code never touches it: plugin authors call Serve and hosts call Launch
// or NewPool.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl Model

	// stderr is where the server writes the marks that end each call's
	// output (see stderrSink); Serve sets it. Without it, no marks.
	stderr *os.File
}

// GRPCServer registers Impl with the plugin process's gRPC server.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterModelServer(s, newServer(p.Impl, p.stderr))
	return nil
}

// GRPCClient returns the host's stub for the plugin's Model service.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return pb.NewModelClient(c), nil
}
