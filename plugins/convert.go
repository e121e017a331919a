package plugins

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	pb "github.com/sweep-ml/sweep/plugins/proto"
)

// paramTypes maps each ParamType to its wire enum, in both directions.
var paramTypes = map[ParamType]pb.ParamType{
	TypeFloat:     pb.ParamType_PARAM_TYPE_FLOAT,
	TypeInt:       pb.ParamType_PARAM_TYPE_INT,
	TypeString:    pb.ParamType_PARAM_TYPE_STRING,
	TypeBool:      pb.ParamType_PARAM_TYPE_BOOL,
	TypeIntList:   pb.ParamType_PARAM_TYPE_INT_LIST,
	TypeFloatList: pb.ParamType_PARAM_TYPE_FLOAT_LIST,
}

func paramTypeToProto(t ParamType) (pb.ParamType, error) {
	if p, ok := paramTypes[t]; ok {
		return p, nil
	}
	return 0, fmt.Errorf("unknown parameter type %q", t)
}

func paramTypeFromProto(p pb.ParamType) (ParamType, error) {
	for t, q := range paramTypes {
		if q == p {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown parameter type %v", p)
}

// valueToProto encodes a hyperparameter value. It accepts the Go types that
// Params documents, and for convenience int and []int, which it widens to
// int64; any other type is an error, never a silent conversion.
func valueToProto(v any) (*pb.Value, error) {
	switch x := v.(type) {
	case float64:
		return &pb.Value{Kind: &pb.Value_Float{Float: x}}, nil
	case int64:
		return &pb.Value{Kind: &pb.Value_Int{Int: x}}, nil
	case int:
		return &pb.Value{Kind: &pb.Value_Int{Int: int64(x)}}, nil
	case string:
		return &pb.Value{Kind: &pb.Value_String_{String_: x}}, nil
	case bool:
		return &pb.Value{Kind: &pb.Value_Bool{Bool: x}}, nil
	case []int64:
		return &pb.Value{Kind: &pb.Value_IntList{IntList: &pb.IntList{Values: x}}}, nil
	case []int:
		l := make([]int64, len(x))
		for i, e := range x {
			l[i] = int64(e)
		}
		return &pb.Value{Kind: &pb.Value_IntList{IntList: &pb.IntList{Values: l}}}, nil
	case []float64:
		return &pb.Value{Kind: &pb.Value_FloatList{FloatList: &pb.FloatList{Values: x}}}, nil
	}
	return nil, fmt.Errorf("unsupported Go type %T (want float64, int64, string, bool, []int64 or []float64)", v)
}

// valueFromProto decodes a hyperparameter value into the Go type its wire
// kind names. Lists decode to non-nil slices so that an empty list stays a
// list.
func valueFromProto(v *pb.Value) (any, error) {
	switch x := v.GetKind().(type) {
	case *pb.Value_Float:
		return x.Float, nil
	case *pb.Value_Int:
		return x.Int, nil
	case *pb.Value_String_:
		return x.String_, nil
	case *pb.Value_Bool:
		return x.Bool, nil
	case *pb.Value_IntList:
		return append([]int64{}, x.IntList.GetValues()...), nil
	case *pb.Value_FloatList:
		return append([]float64{}, x.FloatList.GetValues()...), nil
	}
	return nil, fmt.Errorf("value has no kind")
}

func describeToProto(d Description) (*pb.Description, error) {
	out := &pb.Description{Name: d.Name, Metrics: d.Metrics, Version: d.Version}
	for _, p := range d.Params {
		t, err := paramTypeToProto(p.Type)
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %w", p.Name, err)
		}
		spec := &pb.ParamSpec{Name: p.Name, Type: t, Help: p.Help, Constraints: constraintsToProto(p.Constraints),
			NeutralDefault: p.NeutralDefault}
		if p.Default != nil {
			if spec.Default, err = valueToProto(p.Default); err != nil {
				return nil, fmt.Errorf("parameter %q: default: %w", p.Name, err)
			}
		}
		out.Params = append(out.Params, spec)
	}
	return out, nil
}

func describeFromProto(d *pb.Description) (Description, error) {
	out := Description{Name: d.GetName(), Metrics: d.GetMetrics(), Version: d.GetVersion()}
	for _, p := range d.GetParams() {
		t, err := paramTypeFromProto(p.GetType())
		if err != nil {
			return Description{}, fmt.Errorf("parameter %q: %w", p.GetName(), err)
		}
		spec := ParamSpec{Name: p.GetName(), Type: t, Help: p.GetHelp(), Constraints: constraintsFromProto(p.GetConstraints()),
			NeutralDefault: p.GetNeutralDefault()}
		if p.Default != nil {
			if spec.Default, err = valueFromProto(p.Default); err != nil {
				return Description{}, fmt.Errorf("parameter %q: default: %w", p.GetName(), err)
			}
		}
		out.Params = append(out.Params, spec)
	}
	return out, nil
}

func requestToProto(r TrainRequest) (*pb.TrainRequest, error) {
	data, err := json.Marshal(r.Data)
	if err != nil {
		return nil, fmt.Errorf("data spec: %w", err)
	}
	out := &pb.TrainRequest{
		TrialId:        r.TrialID,
		Params:         make(map[string]*pb.Value, len(r.Params)),
		DataJson:       data,
		Seed:           r.Seed,
		HistogramEvery: int64(r.HistogramEvery),
		DataFile:       r.DataFile,
		ResumeFrom:     r.ResumeFrom,
	}
	if c := r.Checkpoint; c.Dir != "" {
		out.Checkpoint = &pb.Checkpoint{Dir: c.Dir, Last: c.Last, Metadata: c.Metadata, StateEvery: int64(c.StateEvery), StateFile: c.StateFile}
	}
	// Sorted so that the first bad parameter reported is the same every run.
	for _, k := range slices.Sorted(maps.Keys(r.Params)) {
		v, err := valueToProto(r.Params[k])
		if err != nil {
			return nil, fmt.Errorf("hyperparameter %q: %w", k, err)
		}
		out.Params[k] = v
	}
	return out, nil
}

func requestFromProto(r *pb.TrainRequest) (TrainRequest, error) {
	out := TrainRequest{
		TrialID:        r.GetTrialId(),
		Params:         make(Params, len(r.GetParams())),
		Seed:           r.GetSeed(),
		HistogramEvery: int(r.GetHistogramEvery()),
		DataFile:       r.GetDataFile(),
		ResumeFrom:     r.GetResumeFrom(),
		Checkpoint: Checkpoint{Dir: r.GetCheckpoint().GetDir(), Last: r.GetCheckpoint().GetLast(),
			Metadata: r.GetCheckpoint().GetMetadata(), StateEvery: int(r.GetCheckpoint().GetStateEvery()),
			StateFile: r.GetCheckpoint().GetStateFile()},
	}
	if len(r.GetDataJson()) > 0 {
		if err := json.Unmarshal(r.GetDataJson(), &out.Data); err != nil {
			return TrainRequest{}, fmt.Errorf("data spec: %w", err)
		}
	}
	for k, v := range r.GetParams() {
		x, err := valueFromProto(v)
		if err != nil {
			return TrainRequest{}, fmt.Errorf("hyperparameter %q: %w", k, err)
		}
		out.Params[k] = x
	}
	return out, nil
}

func eventToProto(e Event) *pb.Event {
	out := &pb.Event{Step: e.Step, Replayed: e.Replayed}
	if len(e.Scalars) > 0 {
		out.Scalars = make([]*pb.Scalar, len(e.Scalars))
		for i, s := range e.Scalars {
			out.Scalars[i] = &pb.Scalar{Tag: s.Tag, Value: s.Value}
		}
	}
	if len(e.Histograms) > 0 {
		out.Histograms = make([]*pb.Histogram, len(e.Histograms))
		for i, h := range e.Histograms {
			out.Histograms[i] = &pb.Histogram{Tag: h.Tag, Values: h.Values}
		}
	}
	if e.Graph != nil {
		g := &pb.Graph{Nodes: make([]*pb.GraphNode, len(e.Graph.Nodes))}
		for i, n := range e.Graph.Nodes {
			g.Nodes[i] = &pb.GraphNode{Name: n.Name, Op: n.Op, Inputs: n.Inputs, Shape: n.Shape}
		}
		out.Graph = g
	}
	return out
}

func eventFromProto(e *pb.Event) Event {
	out := Event{Step: e.GetStep(), Replayed: e.GetReplayed()}
	if n := len(e.GetScalars()); n > 0 {
		out.Scalars = make([]Scalar, n)
		for i, s := range e.GetScalars() {
			out.Scalars[i] = Scalar{Tag: s.GetTag(), Value: s.GetValue()}
		}
	}
	if n := len(e.GetHistograms()); n > 0 {
		out.Histograms = make([]Histogram, n)
		for i, h := range e.GetHistograms() {
			out.Histograms[i] = Histogram{Tag: h.GetTag(), Values: h.GetValues()}
		}
	}
	if g := e.GetGraph(); g != nil {
		out.Graph = &Graph{Nodes: make([]GraphNode, len(g.GetNodes()))}
		for i, n := range g.GetNodes() {
			out.Graph.Nodes[i] = GraphNode{Name: n.GetName(), Op: n.GetOp(), Inputs: n.GetInputs(), Shape: n.GetShape()}
		}
	}
	return out
}

func outcomeToProto(o Outcome) *pb.Outcome {
	return &pb.Outcome{
		BestValLoss:    o.BestValLoss,
		BestEpoch:      o.BestEpoch,
		EpochsRun:      o.EpochsRun,
		StoppedEarly:   o.StoppedEarly,
		FinalTrainLoss: o.FinalTrainLoss,
		FinalValLoss:   o.FinalValLoss,
	}
}

func outcomeFromProto(o *pb.Outcome) Outcome {
	return Outcome{
		BestValLoss:    o.GetBestValLoss(),
		BestEpoch:      o.GetBestEpoch(),
		EpochsRun:      o.GetEpochsRun(),
		StoppedEarly:   o.GetStoppedEarly(),
		FinalTrainLoss: o.GetFinalTrainLoss(),
		FinalValLoss:   o.GetFinalValLoss(),
	}
}

// constraintsToProto encodes c; the zero value is sent as no message.
func constraintsToProto(c Constraints) *pb.Constraints {
	if c.IsZero() {
		return nil
	}
	bound := func(b *Bound) *pb.Bound {
		if b == nil {
			return nil
		}
		return &pb.Bound{Value: b.Value, Exclusive: b.Exclusive}
	}
	return &pb.Constraints{Min: bound(c.Min), Max: bound(c.Max), Choices: c.Choices,
		MinLen: int64(c.MinLen), MaxLen: int64(c.MaxLen)}
}

func constraintsFromProto(c *pb.Constraints) Constraints {
	bound := func(b *pb.Bound) *Bound {
		if b == nil {
			return nil
		}
		return &Bound{Value: b.GetValue(), Exclusive: b.GetExclusive()}
	}
	return Constraints{Min: bound(c.GetMin()), Max: bound(c.GetMax()), Choices: c.GetChoices(),
		MinLen: int(c.GetMinLen()), MaxLen: int(c.GetMaxLen())}
}
