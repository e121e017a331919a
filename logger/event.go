package logger

import (
	"bytes"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// FileVersion is the content of the first event of every event file.
// Without it TensorBoard discards points whenever a step goes backwards.
const FileVersion = "brain.Event:2"

// Event is one record of an event file (tensorflow.Event). Exactly one of
// FileVersion, GraphDef and Summary is set in a valid event; fields that
// this package does not use (session_log, tagged_run_metadata, ...) are
// skipped when decoding.
type Event struct {
	WallTime    float64 // seconds since the Unix epoch
	Step        int64
	FileVersion string
	GraphDef    []byte  // a serialized GraphDef; see DecodeGraph
	Summary     []Value // written as a Summary when not empty
}

// ValueKind says which of a Value's payloads is set.
type ValueKind uint8

// The payloads a summary value can carry.
const (
	KindNone   ValueKind = iota // metadata only, as HParams summaries are
	KindSimple                  // simple_value: a float32 scalar
	KindHisto                   // histo: a HistogramProto
	KindTensor                  // tensor: a TensorProto
)

// Value is one tagged value of a summary (tensorflow.Summary.Value).
type Value struct {
	Tag      string
	Metadata *Metadata // nil when absent
	Kind     ValueKind
	Simple   float32
	Histo    *Histogram
	Tensor   *Tensor
}

// DataClass is SummaryMetadata's data_class.
type DataClass int32

// The data classes TensorBoard knows.
const (
	DataClassUnknown      DataClass = 0
	DataClassScalar       DataClass = 1
	DataClassTensor       DataClass = 2
	DataClassBlobSequence DataClass = 3
)

// Metadata is a summary value's SummaryMetadata. TensorBoard keeps only the
// first metadata it sees for each tag of a run.
type Metadata struct {
	PluginName    string
	PluginContent []byte
	DisplayName   string
	Description   string
	DataClass     DataClass
}

// Histogram is a HistogramProto. Bucket i counts the values in
// (BucketLimit[i-1], BucketLimit[i]]; TensorBoard drops empty buckets at
// both ends and uses Min and Max as the outer edges.
type Histogram struct {
	Min, Max, Num, Sum, SumSquares float64
	BucketLimit                    []float64
	Bucket                         []float64
}

// DataType is a TensorProto dtype.
type DataType int32

// The tensor types this package writes or reads.
const (
	DTFloat  DataType = 1
	DTDouble DataType = 2
	DTString DataType = 7
)

// Tensor is the part of a TensorProto that summaries use.
type Tensor struct {
	DType   DataType
	Shape   []int64 // dimension sizes; empty for a scalar (rank 0)
	Content []byte  // tensor_content: the values in little-endian bytes
	Floats  []float32
	Doubles []float64
	Strings [][]byte
}

// Field numbers of event.proto, summary.proto, tensor.proto and
// tensor_shape.proto.
const (
	eventWallTime    = 1
	eventStep        = 2
	eventFileVersion = 3
	eventGraphDef    = 4
	eventSummary     = 5

	summaryValue = 1

	valueTag      = 1
	valueSimple   = 2
	valueHisto    = 5
	valueTensor   = 8
	valueMetadata = 9

	metaPluginData  = 1
	metaDisplayName = 2
	metaDescription = 3
	metaDataClass   = 4
	pluginName      = 1
	pluginContent   = 2

	histoMin         = 1
	histoMax         = 2
	histoNum         = 3
	histoSum         = 4
	histoSumSquares  = 5
	histoBucketLimit = 6
	histoBucket      = 7

	tensorDType   = 1
	tensorShape   = 2
	tensorContent = 4
	tensorFloats  = 5
	tensorDoubles = 6
	tensorStrings = 8

	shapeDim = 2
	dimSize  = 1
)

// AppendEvent appends the serialized event to b.
func AppendEvent(b []byte, e *Event) []byte {
	b = appendDouble(b, eventWallTime, e.WallTime)
	b = appendVarint(b, eventStep, uint64(e.Step))
	b = appendBytes(b, eventFileVersion, e.FileVersion)
	b = appendBytes(b, eventGraphDef, e.GraphDef)
	if len(e.Summary) > 0 {
		b = appendMessage(b, eventSummary, func(b []byte) []byte {
			for i := range e.Summary {
				b = appendMessage(b, summaryValue, func(b []byte) []byte { return appendValue(b, &e.Summary[i]) })
			}
			return b
		})
	}
	return b
}

func appendValue(b []byte, v *Value) []byte {
	b = appendBytes(b, valueTag, v.Tag)
	switch v.Kind {
	case KindSimple:
		// Written even when zero: the oneof must say which payload it is.
		b = protowire.AppendTag(b, valueSimple, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(v.Simple))
	case KindHisto:
		b = appendMessage(b, valueHisto, func(b []byte) []byte { return appendHistogram(b, v.Histo) })
	case KindTensor:
		b = appendMessage(b, valueTensor, func(b []byte) []byte { return appendTensor(b, v.Tensor) })
	}
	if m := v.Metadata; m != nil {
		b = appendMessage(b, valueMetadata, func(b []byte) []byte {
			if m.PluginName != "" || len(m.PluginContent) > 0 {
				b = appendMessage(b, metaPluginData, func(b []byte) []byte {
					b = appendBytes(b, pluginName, m.PluginName)
					return appendBytes(b, pluginContent, m.PluginContent)
				})
			}
			b = appendBytes(b, metaDisplayName, m.DisplayName)
			b = appendBytes(b, metaDescription, m.Description)
			return appendVarint(b, metaDataClass, uint64(m.DataClass))
		})
	}
	return b
}

func appendHistogram(b []byte, h *Histogram) []byte {
	if h == nil {
		return b
	}
	b = appendDouble(b, histoMin, h.Min)
	b = appendDouble(b, histoMax, h.Max)
	b = appendDouble(b, histoNum, h.Num)
	b = appendDouble(b, histoSum, h.Sum)
	b = appendDouble(b, histoSumSquares, h.SumSquares)
	b = appendPackedDoubles(b, histoBucketLimit, h.BucketLimit)
	return appendPackedDoubles(b, histoBucket, h.Bucket)
}

func appendTensor(b []byte, t *Tensor) []byte {
	if t == nil {
		return b
	}
	b = appendVarint(b, tensorDType, uint64(t.DType))
	// The shape is written even for a scalar: an absent shape and a rank-0
	// shape decode alike, and PyTorch writes it.
	b = appendMessage(b, tensorShape, func(b []byte) []byte { return appendShape(b, t.Shape) })
	b = appendBytes(b, tensorContent, t.Content)
	if len(t.Floats) > 0 {
		b = protowire.AppendTag(b, tensorFloats, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(4*len(t.Floats)))
		for _, x := range t.Floats {
			b = protowire.AppendFixed32(b, math.Float32bits(x))
		}
	}
	b = appendPackedDoubles(b, tensorDoubles, t.Doubles)
	for _, s := range t.Strings {
		b = protowire.AppendTag(b, tensorStrings, protowire.BytesType)
		b = protowire.AppendBytes(b, s)
	}
	return b
}

// DecodeEvent decodes a serialized Event. The result shares no memory with
// data.
func DecodeEvent(data []byte) (Event, error) {
	var e Event
	err := walk(data, "Event", func(f field) error {
		switch f.num {
		case eventWallTime:
			if err := wantFixed64("Event.wall_time", f); err != nil {
				return err
			}
			e.WallTime = math.Float64frombits(f.u)
		case eventStep:
			if err := wantVarint("Event.step", f); err != nil {
				return err
			}
			e.Step = int64(f.u)
		case eventFileVersion:
			return stringField(&e.FileVersion, "Event.file_version", f)
		case eventGraphDef:
			if err := wantBytes("Event.graph_def", f); err != nil {
				return err
			}
			e.GraphDef = bytes.Clone(f.b)
		case eventSummary:
			if err := wantBytes("Event.summary", f); err != nil {
				return err
			}
			return walk(f.b, "Summary", func(f field) error {
				if f.num != summaryValue {
					return nil
				}
				if err := wantBytes("Summary.value", f); err != nil {
					return err
				}
				v, err := decodeValue(f.b)
				if err != nil {
					return err
				}
				e.Summary = append(e.Summary, v)
				return nil
			})
		}
		return nil
	})
	return e, err
}

func decodeValue(msg []byte) (Value, error) {
	var v Value
	err := walk(msg, "Summary.Value", func(f field) error {
		var err error
		switch f.num {
		case valueTag:
			err = stringField(&v.Tag, "Summary.Value.tag", f)
		case valueSimple:
			err = wantFixed32("Summary.Value.simple_value", f)
			v.Kind, v.Simple = KindSimple, math.Float32frombits(uint32(f.u))
		case valueHisto:
			if err = wantBytes("Summary.Value.histo", f); err == nil {
				v.Kind, v.Histo = KindHisto, new(Histogram)
				err = decodeHistogram(v.Histo, f.b)
			}
		case valueTensor:
			if err = wantBytes("Summary.Value.tensor", f); err == nil {
				v.Kind, v.Tensor = KindTensor, new(Tensor)
				err = decodeTensor(v.Tensor, f.b)
			}
		case valueMetadata:
			if err = wantBytes("Summary.Value.metadata", f); err == nil {
				v.Metadata = new(Metadata)
				err = decodeMetadata(v.Metadata, f.b)
			}
		}
		return err
	})
	if err != nil {
		return v, fmt.Errorf("tag %q: %w", v.Tag, err)
	}
	return v, nil
}

func decodeMetadata(m *Metadata, msg []byte) error {
	return walk(msg, "SummaryMetadata", func(f field) error {
		var err error
		switch f.num {
		case metaPluginData:
			if err = wantBytes("SummaryMetadata.plugin_data", f); err != nil {
				return err
			}
			return walk(f.b, "PluginData", func(f field) error {
				var err error
				switch f.num {
				case pluginName:
					err = stringField(&m.PluginName, "PluginData.plugin_name", f)
				case pluginContent:
					err = wantBytes("PluginData.content", f)
					m.PluginContent = bytes.Clone(f.b)
				}
				return err
			})
		case metaDisplayName:
			err = stringField(&m.DisplayName, "SummaryMetadata.display_name", f)
		case metaDescription:
			err = stringField(&m.Description, "SummaryMetadata.summary_description", f)
		case metaDataClass:
			err = wantVarint("SummaryMetadata.data_class", f)
			m.DataClass = DataClass(f.u)
		}
		return err
	})
}

func decodeHistogram(h *Histogram, msg []byte) error {
	const what = "HistogramProto"
	err := walk(msg, what, func(f field) error {
		var err error
		if f.num >= histoMin && f.num <= histoSumSquares {
			if err = wantFixed64(what, f); err != nil {
				return err
			}
		}
		x := math.Float64frombits(f.u)
		switch f.num {
		case histoMin:
			h.Min = x
		case histoMax:
			h.Max = x
		case histoNum:
			h.Num = x
		case histoSum:
			h.Sum = x
		case histoSumSquares:
			h.SumSquares = x
		case histoBucketLimit:
			h.BucketLimit, err = doubles(h.BucketLimit, what, f)
		case histoBucket:
			h.Bucket, err = doubles(h.Bucket, what, f)
		}
		return err
	})
	if err == nil && len(h.BucketLimit) != len(h.Bucket) {
		err = fmt.Errorf("%s: %d bucket limits but %d buckets", what, len(h.BucketLimit), len(h.Bucket))
	}
	return err
}

func decodeTensor(t *Tensor, msg []byte) error {
	const what = "TensorProto"
	return walk(msg, what, func(f field) error {
		var err error
		switch f.num {
		case tensorDType:
			err = wantVarint("TensorProto.dtype", f)
			t.DType = DataType(f.u)
		case tensorShape:
			if err = wantBytes("TensorProto.tensor_shape", f); err != nil {
				return err
			}
			t.Shape, err = decodeShape(f.b)
		case tensorContent:
			err = wantBytes("TensorProto.tensor_content", f)
			t.Content = bytes.Clone(f.b)
		case tensorFloats:
			t.Floats, err = floats(t.Floats, what, f)
		case tensorDoubles:
			t.Doubles, err = doubles(t.Doubles, what, f)
		case tensorStrings:
			err = wantBytes("TensorProto.string_val", f)
			t.Strings = append(t.Strings, bytes.Clone(f.b))
		}
		return err
	})
}

// appendShape appends a TensorShapeProto's fields; a negative size is an
// unknown dimension, such as the batch.
func appendShape(b []byte, shape []int64) []byte {
	for _, d := range shape {
		b = appendMessage(b, shapeDim, func(b []byte) []byte { return appendVarint(b, dimSize, uint64(d)) })
	}
	return b
}

// decodeShape returns the dimension sizes of a TensorShapeProto.
func decodeShape(msg []byte) ([]int64, error) {
	shape := []int64{}
	err := walk(msg, "TensorShapeProto", func(f field) error {
		if f.num != shapeDim {
			return nil
		}
		if err := wantBytes("TensorShapeProto.dim", f); err != nil {
			return err
		}
		var size int64
		err := walk(f.b, "TensorShapeProto.Dim", func(f field) error {
			if f.num != dimSize {
				return nil
			}
			if err := wantVarint("TensorShapeProto.Dim.size", f); err != nil {
				return err
			}
			size = int64(f.u)
			return nil
		})
		shape = append(shape, size)
		return err
	})
	return shape, err
}
