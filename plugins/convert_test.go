package plugins

import (
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sweep-ml/sweep/plugins/dataset"
	pb "github.com/sweep-ml/sweep/plugins/proto"
)

// roundTrip sends m through the protobuf wire encoding, as gRPC does.
func roundTrip[M proto.Message](t *testing.T, m M, into M) M {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(b, into); err != nil {
		t.Fatal(err)
	}
	return into
}

func TestValuesKeepTheirTypes(t *testing.T) {
	for _, tc := range []struct {
		in, want any
	}{
		{1.0, 1.0}, // a float that looks like an int stays a float
		{0.0, 0.0},
		{int64(1), int64(1)},
		{1, int64(1)}, // int widens to int64
		{"relu", "relu"},
		{"", ""},
		{true, true},
		{false, false},
		{[]int64{64, 32}, []int64{64, 32}},
		{[]int{64, 32}, []int64{64, 32}},
		{[]int64{}, []int64{}}, // an empty list stays a list of its type
		{[]float64{}, []float64{}},
		{[]float64{0.5, 1}, []float64{0.5, 1}},
	} {
		v, err := valueToProto(tc.in)
		if err != nil {
			t.Fatalf("%#v: %v", tc.in, err)
		}
		got, err := valueFromProto(roundTrip(t, v, &pb.Value{}))
		if err != nil {
			t.Fatalf("%#v: %v", tc.in, err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%#v (%T) came back as %#v (%T), want %#v (%T)", tc.in, tc.in, got, got, tc.want, tc.want)
		}
	}
}

func TestValueErrors(t *testing.T) {
	for _, v := range []any{float32(1), int32(1), []string{"a"}, nil, map[string]int{}} {
		if _, err := valueToProto(v); err == nil || !strings.Contains(err.Error(), "unsupported Go type") {
			t.Errorf("%#v: error %v", v, err)
		}
	}
	if _, err := valueFromProto(&pb.Value{}); err == nil {
		t.Error("a value without a kind decoded")
	}
}

func TestRequestRoundTrip(t *testing.T) {
	no := false
	req := TrainRequest{
		TrialID: "ffn_lr0.01", Seed: 42, HistogramEvery: 10,
		Params: Params{"lr": 0.01, "epochs": int64(100), "activation": "relu", "batch_norm": true, "hidden_dims": []int64{64, 32}, "w": []float64{1}},
		Data: dataset.Spec{Path: "/data/x.csv", Target: "y", Features: []string{"a", "b"}, ValSplit: 0.25,
			Split: "chronological", Standardize: &no, Seed: 7},
		Checkpoint: Checkpoint{Dir: "/runs/s/t/1", Last: true, Metadata: map[string]string{"trial_id": "ab12"},
			StateEvery: 10, StateFile: "train_state.ckpt"},
		ResumeFrom: "/runs/s/t/0/train_state.ckpt",
	}
	p, err := requestToProto(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := requestFromProto(roundTrip(t, p, &pb.TrainRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, req) {
		t.Errorf("got %+v\nwant %+v", got, req)
	}
	// Of several bad hyperparameters, the first by name is reported, every
	// time: map order would name either.
	for range 20 {
		if _, err := requestToProto(TrainRequest{Params: Params{"c": 1.0, "b": uint8(1), "a": uint8(1)}}); err == nil || !strings.Contains(err.Error(), `hyperparameter "a"`) {
			t.Fatalf("error %v, want one naming hyperparameter a", err)
		}
	}
	if _, err := requestFromProto(&pb.TrainRequest{DataJson: []byte("{")}); err == nil || !strings.Contains(err.Error(), "data spec") {
		t.Errorf("bad data JSON: error %v", err)
	}
}

func TestDescriptionAndEventRoundTrip(t *testing.T) {
	d := Description{Name: "m", Metrics: []string{"train_loss"}, Params: []ParamSpec{
		{Name: "lr", Type: TypeFloat, Default: 1e-3, Help: "learning rate"},
		{Name: "dims", Type: TypeIntList, Default: []int64{8}},
		{Name: "act", Type: TypeString}, // no default
		{Name: "dtype", Type: TypeString, Default: "float64", NeutralDefault: true},
	}}
	pd, err := describeToProto(d)
	if err != nil {
		t.Fatal(err)
	}
	gotD, err := describeFromProto(roundTrip(t, pd, &pb.Description{}))
	if err != nil || !reflect.DeepEqual(gotD, d) {
		t.Errorf("description: got %+v, %v\nwant %+v", gotD, err, d)
	}
	if _, err := describeToProto(Description{Params: []ParamSpec{{Name: "x", Type: "complex"}}}); err == nil || !strings.Contains(err.Error(), `parameter "x"`) {
		t.Errorf("unknown type: error %v", err)
	}

	e := Event{Step: 3, Replayed: true, Scalars: []Scalar{{"train_loss", 0.5}},
		Histograms: []Histogram{{"weights/network.0.weight", []float64{1, -2}}},
		Graph:      &Graph{Nodes: []GraphNode{{Name: "input", Op: "Placeholder", Shape: []int64{-1, 50}}}}}
	gotE := eventFromProto(roundTrip(t, eventToProto(e), &pb.Event{}))
	if !reflect.DeepEqual(gotE, e) {
		t.Errorf("event: got %+v, want %+v", gotE, e)
	}
	o := Outcome{BestValLoss: 0.1, BestEpoch: 4, EpochsRun: 9, StoppedEarly: true, FinalTrainLoss: 0.2, FinalValLoss: 0.3}
	if got := outcomeFromProto(roundTrip(t, outcomeToProto(o), &pb.Outcome{})); got != o {
		t.Errorf("outcome: got %+v, want %+v", got, o)
	}
}

func TestGet(t *testing.T) {
	p := Params{"lr": 0.1, "epochs": int64(3)}
	if v, err := Get[float64](p, "lr"); err != nil || v != 0.1 {
		t.Errorf("lr: %v, %v", v, err)
	}
	if _, err := Get[float64](p, "epochs"); err == nil || err.Error() != `hyperparameter "epochs" is a int64, want float64` {
		t.Errorf("ill-typed: %v", err)
	}
	if _, err := Get[string](p, "act"); err == nil || err.Error() != `hyperparameter "act" is missing` {
		t.Errorf("missing: %v", err)
	}
}

// FuzzRequestFromProto feeds the plugin side's decoder arbitrary wire bytes:
// it must refuse or accept them without panicking, and what it accepts must
// encode again.
func FuzzRequestFromProto(f *testing.F) {
	seed, err := requestToProto(TrainRequest{TrialID: "t", Params: Params{"lr": 0.1, "dims": []int64{2}}, Seed: 3})
	if err != nil {
		f.Fatal(err)
	}
	b, err := proto.Marshal(seed)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m pb.TrainRequest
		if proto.Unmarshal(b, &m) != nil {
			return
		}
		req, err := requestFromProto(&m)
		if err != nil {
			return
		}
		if _, err := requestToProto(req); err != nil {
			t.Errorf("a decoded request does not encode: %v", err)
		}
	})
}
