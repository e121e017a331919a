package plugins

import (
	"context"
	"io"
)

// Trainer is what the orchestrator runs trials on: a Pool of plugin
// processes, one Client, or a Model in the host process (InProcess).
type Trainer interface {
	Describe(ctx context.Context) (Description, error)
	// Train runs one trial; see Model.Train. stderr receives the model's
	// diagnostic output where the Trainer can capture it (plugin
	// processes), and may be nil.
	Train(ctx context.Context, req TrainRequest, stderr io.Writer, emit func(Event) error) (Outcome, error)
	// Close releases the Trainer's resources (processes).
	Close() error
}

var (
	_ Trainer = (*Pool)(nil)
	_ Trainer = (*Client)(nil)
	_ Trainer = InProcess(nil)
)

// InProcess returns a Trainer that calls m directly, with no process and no
// RPC. m must be safe for concurrent calls if the Trainer is. Its output
// cannot be captured: stderr is ignored and whatever m prints goes to the
// host's own stdout and stderr.
func InProcess(m Model) Trainer { return inProcess{m} }

type inProcess struct{ m Model }

func (t inProcess) Describe(ctx context.Context) (Description, error) { return t.m.Describe(ctx) }

func (t inProcess) Train(ctx context.Context, req TrainRequest, _ io.Writer, emit func(Event) error) (Outcome, error) {
	return t.m.Train(ctx, req, emit)
}

func (inProcess) Close() error { return nil }
