// Package plugins is the contract between sweep and a model, both sides of
// it: the go-plugin handshake and the gRPC service (proto/model.proto) in
// the middle; on the model's side the Model interface that a plugin author
// implements and Serve, which serves it; on the host's side the Trainer
// interface that the orchestrator runs trials on, implemented by a Client
// (one plugin process, the far end of Serve), a Pool of them, and
// InProcess(model).
//
// There are two interfaces, not one as in go-plugin's examples/grpc, because
// the host needs what a model's author should not have to write: each
// trial's stderr captured into that trial's log (Trainer.Train takes the
// writer; Model.Train does not), and Close for the processes behind a
// Client or a Pool. Apart from that they are the same: Describe, and a Train
// that streams events and ends with an outcome, so that any Model is a
// Trainer through InProcess.
package plugins

import (
	"context"

	"github.com/sweep-ml/sweep/plugins/dataset"
)

// ParamType is the type of a hyperparameter a model declares.
type ParamType string

// The hyperparameter types. Values of each type are carried in Go as:
// TypeFloat float64, TypeInt int64, TypeString string, TypeBool bool,
// TypeIntList []int64, TypeFloatList []float64.
const (
	TypeFloat     ParamType = "float"
	TypeInt       ParamType = "int"
	TypeString    ParamType = "string"
	TypeBool      ParamType = "bool"
	TypeIntList   ParamType = "int_list"
	TypeFloatList ParamType = "float_list"
)

// ParamSpec declares one hyperparameter a model accepts.
type ParamSpec struct {
	Name    string
	Type    ParamType
	Default any // of the Go type that Type names
	Help    string
	// Constraints are the values the model accepts; the zero value accepts
	// every value of Type. The host refuses a grid that breaks them before
	// any trial starts.
	Constraints Constraints
	// NeutralDefault says that the default leaves the model's numbers as
	// they were before the hyperparameter existed, so that a trial at the
	// default keeps the identity it had and an upgrade does not run it
	// again. It matters for built-in models, whose identity names their
	// version: a plugin's names its executable's hash, which any change
	// of the plugin changes.
	NeutralDefault bool
}

// Description is what a model says about itself before any trial runs.
type Description struct {
	Name    string
	Params  []ParamSpec
	Metrics []string // scalar tags it reports per epoch, e.g. "train_loss"
	// Version is the model's own version, part of every trial's identity:
	// bump it when the model's numbers change, so that old records are not
	// reused for the new model. Empty is allowed.
	Version string
}

// Params holds hyperparameter values by name, each of the Go type its
// ParamType names.
type Params map[string]any

// TrainRequest is one trial.
type TrainRequest struct {
	TrialID string
	Params  Params // every declared hyperparameter, defaults filled in
	Data    dataset.Spec
	Seed    int64
	// HistogramEvery asks for weight and gradient histograms every N epochs
	// and at the last epoch; 0 asks for none.
	HistogramEvery int
	// DataFile is the absolute path of the prepared arrays the host made
	// of Data (the fold's, for a walk-forward split), which every model
	// trains from.
	DataFile string
	// Checkpoint says where the model may keep files of the trial (its
	// trained weights, its training state); its zero value asks for none.
	Checkpoint Checkpoint
	// ResumeFrom, when not empty, asks the model to continue an earlier,
	// interrupted run of the same trial from the training state that run
	// saved (Checkpoint.StateFile): the file's absolute path. A model that
	// resumes first replays the events of the epochs the state covers,
	// marked Replayed and with the values the interrupted run reported,
	// then trains on from there; the host counts the replayed events and
	// does not log them again, so the run's curves continue the earlier
	// run's. A model that cannot resume ignores ResumeFrom and starts from
	// epoch 0, which is always correct, only slower.
	ResumeFrom string
}

// Checkpoint asks a model to keep files of its trial in a directory the
// host names: the trial's run directory (a walk-forward fold's, for a
// fold), which the host has created. A model writes each file with
// SaveFile; the host keeps whatever is there when the trial ends. The
// built-in network writes model.safetensors, the weights of its best epoch
// (see plugins/builtin), and with Last also model_last.safetensors.
type Checkpoint struct {
	Dir  string // absolute; empty: keep no files
	Last bool   // keep the final weights too, beside the best
	// Metadata is the host's provenance of the trial (trial_id,
	// trial_name, sweep, grid_hash, sweep_version, ...), for the model to
	// store in its files, as safetensors' __metadata__ does.
	Metadata map[string]string
	// StateEvery > 0 asks the model to save its whole training state
	// (what it needs to continue the run exactly as if it had never
	// stopped: weights, optimiser state, random generator, epoch, early
	// stopping, the best weights so far, the events reported so far) every
	// StateEvery epochs, after that epoch's event, as the file StateFile
	// in Dir through SaveFile, replacing the previous one; and once more,
	// after the last finished epoch, when the run is stopped (its context
	// cancelled: Ctrl-C, SIGTERM, Slurm's time-limit signal), so that it
	// loses at most the epoch it was in. 0 asks for none. The host hands
	// the file back as TrainRequest.ResumeFrom when the run is
	// interrupted, and removes it once the trial has finished.
	StateEvery int
	StateFile  string
}

// Event is what a model reports during training, usually once per epoch.
// Step is the epoch, counted from 0 as TensorBoard's step axis shows it.
type Event struct {
	Step       int64
	Scalars    []Scalar
	Histograms []Histogram
	Graph      *Graph // sent once, with the first event
	// Replayed marks an event of an epoch that a resumed run's state
	// covers, sent again as the interrupted run reported it (see
	// TrainRequest.ResumeFrom).
	Replayed bool
}

// Scalar is one named value at a step.
type Scalar struct {
	Tag   string
	Value float64
}

// Histogram is the raw values of a named tensor, e.g. tag
// "weights/network.0.weight".
type Histogram struct {
	Tag    string
	Values []float64
}

// Graph describes a model's layers for TensorBoard's graph view.
type Graph struct {
	Nodes []GraphNode
}

// GraphNode is one operation. A "/" in Name makes a collapsible scope.
type GraphNode struct {
	Name   string
	Op     string
	Inputs []string
	Shape  []int64 // output shape; -1 for the batch dimension
}

// Outcome is how a trial that ran to its end went, as the model kept count.
// It is optional: the host computes a trial's numbers from the events it
// received, and checks each field that is not zero against them (a zero
// field states nothing, since proto3 cannot tell it from one not set); a
// contradiction fails the trial.
type Outcome struct {
	BestValLoss    float64
	BestEpoch      int64
	EpochsRun      int64
	StoppedEarly   bool
	FinalTrainLoss float64
	FinalValLoss   float64
}

// Model is a trainable model. Implementations must honour ctx: cancelling
// it stops Train promptly with ctx's error.
type Model interface {
	Describe(ctx context.Context) (Description, error)
	// Train runs one trial, calling emit for each event in order. An error
	// from emit stops training and is returned. A trial that fails (bad
	// hyperparameters, divergence) returns an error that says why.
	Train(ctx context.Context, req TrainRequest, emit func(Event) error) (Outcome, error)
}
