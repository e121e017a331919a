package logger

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// The tags and plugin name of TensorBoard's HParams summaries.
const (
	HParamsPlugin        = "hparams"
	ExperimentTag        = "_hparams_/experiment"
	SessionStartInfoTag  = "_hparams_/session_start_info"
	SessionEndInfoTag    = "_hparams_/session_end_info"
	hparamsPluginVersion = 0 // TensorBoard refuses any other
)

// HParamType is the type of a hyperparameter's values, as the HParams
// plugin's DataType enum numbers them.
type HParamType int32

// The hyperparameter value types TensorBoard understands.
const (
	HParamUnset  HParamType = 0
	HParamString HParamType = 1
	HParamBool   HParamType = 2
	HParamNumber HParamType = 3 // DATA_TYPE_FLOAT64
)

// HParamValue is one hyperparameter value (a google.protobuf.Value).
type HParamValue struct {
	Type   HParamType
	Number float64
	String string
	Bool   bool
}

// HParam converts a Go value to what TensorBoard can show: numbers (every
// int, uint and float type) as numbers, strings and bools as themselves,
// and anything else, lists included, as its text ("[64, 32]"), because
// TensorBoard does not understand lists. It never fails.
func HParam(v any) HParamValue {
	switch x := v.(type) {
	case string:
		return HParamValue{Type: HParamString, String: x}
	case bool:
		return HParamValue{Type: HParamBool, Bool: x}
	case float64:
		return HParamValue{Type: HParamNumber, Number: x}
	case float32:
		return HParamValue{Type: HParamNumber, Number: float64(x)}
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return HParamValue{Type: HParamNumber, Number: float64(rv.Int())}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return HParamValue{Type: HParamNumber, Number: float64(rv.Uint())}
	}
	return HParamValue{Type: HParamString, String: formatHParam(rv)}
}

// formatHParam writes a value as Python would print it, since the textbook
// and its readers know hyperparameters in that form: [64, 32], True, None.
func formatHParam(rv reflect.Value) string {
	if !rv.IsValid() {
		return "None"
	}
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return "[]"
		}
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = formatHParam(rv.Index(i))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return "None"
		}
		return formatHParam(rv.Elem())
	case reflect.Bool:
		if rv.Bool() {
			return "True"
		}
		return "False"
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(rv.Float(), 'g', -1, rv.Type().Bits())
	case reflect.String:
		return rv.String()
	}
	return fmt.Sprint(rv.Interface())
}

// SessionStatus is how an HParams session (one trial run) ended.
type SessionStatus int32

// The session statuses TensorBoard shows.
const (
	StatusUnknown SessionStatus = 0
	StatusSuccess SessionStatus = 1
	StatusFailure SessionStatus = 2
	StatusRunning SessionStatus = 3
)

// SessionStart is an HParams SessionStartInfo: one run's hyperparameters.
type SessionStart struct {
	HParams   map[string]HParamValue
	GroupName string // sessions with the same group name are aggregated; "" groups by run
	StartTime float64
}

// SessionEnd is an HParams SessionEndInfo.
type SessionEnd struct {
	Status  SessionStatus
	EndTime float64
}

// DatasetType says which data a metric is measured on.
type DatasetType int32

// The dataset types of the HParams plugin.
const (
	DatasetUnknown    DatasetType = 0
	DatasetTraining   DatasetType = 1
	DatasetValidation DatasetType = 2
)

// Experiment is the HParams experiment summary: the columns of the HParams
// dashboard. TensorBoard applies the first one it finds to the whole logdir
// and hides every hyperparameter and metric it does not list.
type Experiment struct {
	Name        string
	Description string
	TimeCreated float64
	HParams     []HParamInfo
	Metrics     []MetricInfo
}

// HParamInfo describes one hyperparameter column. Set at most one of
// Domain (a discrete domain) and Interval.
type HParamInfo struct {
	Name        string
	DisplayName string
	Description string
	Type        HParamType
	Domain      []HParamValue
	Interval    *Interval
}

// Interval is a continuous domain [Min, Max].
type Interval struct{ Min, Max float64 }

// MetricInfo describes one metric column: the last value of the scalar
// Tag in each session's run (or its subdirectory Group).
type MetricInfo struct {
	Group       string
	Tag         string
	DisplayName string
	Description string
	DatasetType DatasetType
}

// Field numbers of plugin_data.proto and api.proto of the HParams plugin,
// and of struct.proto.
const (
	hpVersion      = 1
	hpExperiment   = 2
	hpSessionStart = 3
	hpSessionEnd   = 4

	startHParams   = 1
	startGroupName = 4
	startTime      = 5
	endStatus      = 1
	endTime        = 2
	mapKey         = 1
	mapValue       = 2

	expDescription = 1
	expTimeCreated = 3
	expHParamInfos = 4
	expMetricInfos = 5
	expName        = 6

	hpiName           = 1
	hpiDisplayName    = 2
	hpiDescription    = 3
	hpiType           = 4
	hpiDomainDiscrete = 5
	hpiDomainInterval = 6
	intervalMin       = 1
	intervalMax       = 2
	listValues        = 1

	miName        = 1
	miDisplayName = 3
	miDescription = 4
	miDatasetType = 5
	metricGroup   = 1
	metricTag     = 2

	pbNumber = 2
	pbString = 3
	pbBool   = 4
)

// hparamsValue returns a metadata-only summary value carrying content, as
// PyTorch and TensorFlow write HParams summaries.
func hparamsValue(tag string, content []byte) Value {
	return Value{Tag: tag, Metadata: &Metadata{PluginName: HParamsPlugin, PluginContent: content}}
}

// appendPluginData appends an HParamsPluginData whose oneof field num holds
// the message fill appends.
func appendPluginData(b []byte, num protowire.Number, fill func([]byte) []byte) []byte {
	b = appendVarint(b, hpVersion, hparamsPluginVersion)
	return appendMessage(b, num, fill)
}

func appendSessionStart(b []byte, s *SessionStart) []byte {
	return appendPluginData(b, hpSessionStart, func(b []byte) []byte {
		// Sorted keys make the bytes, and so the file, deterministic.
		for _, k := range Tags(s.HParams) {
			b = appendMessage(b, startHParams, func(b []byte) []byte {
				b = protowire.AppendTag(b, mapKey, protowire.BytesType)
				b = protowire.AppendString(b, k)
				v := s.HParams[k]
				return appendMessage(b, mapValue, func(b []byte) []byte { return appendPBValue(b, &v) })
			})
		}
		b = appendBytes(b, startGroupName, s.GroupName)
		return appendDouble(b, startTime, s.StartTime)
	})
}

func appendSessionEnd(b []byte, s *SessionEnd) []byte {
	return appendPluginData(b, hpSessionEnd, func(b []byte) []byte {
		b = appendVarint(b, endStatus, uint64(s.Status))
		return appendDouble(b, endTime, s.EndTime)
	})
}

func appendExperiment(b []byte, e *Experiment) []byte {
	return appendPluginData(b, hpExperiment, func(b []byte) []byte {
		b = appendBytes(b, expDescription, e.Description)
		b = appendDouble(b, expTimeCreated, e.TimeCreated)
		for i := range e.HParams {
			h := &e.HParams[i]
			b = appendMessage(b, expHParamInfos, func(b []byte) []byte {
				b = appendBytes(b, hpiName, h.Name)
				b = appendBytes(b, hpiDisplayName, h.DisplayName)
				b = appendBytes(b, hpiDescription, h.Description)
				b = appendVarint(b, hpiType, uint64(h.Type))
				if len(h.Domain) > 0 {
					b = appendMessage(b, hpiDomainDiscrete, func(b []byte) []byte {
						for j := range h.Domain {
							b = appendMessage(b, listValues, func(b []byte) []byte { return appendPBValue(b, &h.Domain[j]) })
						}
						return b
					})
				}
				if h.Interval != nil {
					b = appendMessage(b, hpiDomainInterval, func(b []byte) []byte {
						b = appendDouble(b, intervalMin, h.Interval.Min)
						return appendDouble(b, intervalMax, h.Interval.Max)
					})
				}
				return b
			})
		}
		for i := range e.Metrics {
			m := &e.Metrics[i]
			b = appendMessage(b, expMetricInfos, func(b []byte) []byte {
				b = appendMessage(b, miName, func(b []byte) []byte {
					b = appendBytes(b, metricGroup, m.Group)
					return appendBytes(b, metricTag, m.Tag)
				})
				b = appendBytes(b, miDisplayName, m.DisplayName)
				b = appendBytes(b, miDescription, m.Description)
				return appendVarint(b, miDatasetType, uint64(m.DatasetType))
			})
		}
		return appendBytes(b, expName, e.Name)
	})
}

// appendPBValue appends a google.protobuf.Value. Its kind is a oneof, so the
// field is written even when it holds the default (0, "" or false).
func appendPBValue(b []byte, v *HParamValue) []byte {
	switch v.Type {
	case HParamNumber:
		b = protowire.AppendTag(b, pbNumber, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, math.Float64bits(v.Number))
	case HParamString:
		b = protowire.AppendTag(b, pbString, protowire.BytesType)
		return protowire.AppendString(b, v.String)
	case HParamBool:
		b = protowire.AppendTag(b, pbBool, protowire.VarintType)
		return protowire.AppendVarint(b, protowire.EncodeBool(v.Bool))
	}
	return b
}

func decodePBValue(msg []byte) (HParamValue, error) {
	var v HParamValue
	err := walk(msg, "google.protobuf.Value", func(f field) error {
		var err error
		switch f.num {
		case pbNumber:
			err = wantFixed64("Value.number_value", f)
			v = HParamValue{Type: HParamNumber, Number: math.Float64frombits(f.u)}
		case pbString:
			err = wantBytes("Value.string_value", f)
			v = HParamValue{Type: HParamString, String: string(f.b)}
		case pbBool:
			err = wantVarint("Value.bool_value", f)
			v = HParamValue{Type: HParamBool, Bool: f.u != 0}
		}
		return err
	})
	return v, err
}

// hparamsData is a decoded HParamsPluginData: one of its fields is set.
type hparamsData struct {
	start      *SessionStart
	end        *SessionEnd
	experiment *Experiment
}

func decodeHParams(content []byte) (hparamsData, error) {
	var d hparamsData
	err := walk(content, "HParamsPluginData", func(f field) error {
		switch f.num {
		case hpVersion:
			if err := wantVarint("HParamsPluginData.version", f); err != nil {
				return err
			}
			if f.u != hparamsPluginVersion {
				return fmt.Errorf("HParamsPluginData.version is %d, TensorBoard reads only %d", f.u, hparamsPluginVersion)
			}
		case hpSessionStart:
			if err := wantBytes("HParamsPluginData.session_start_info", f); err != nil {
				return err
			}
			d.start = &SessionStart{HParams: map[string]HParamValue{}}
			return decodeSessionStart(d.start, f.b)
		case hpSessionEnd:
			if err := wantBytes("HParamsPluginData.session_end_info", f); err != nil {
				return err
			}
			d.end = &SessionEnd{}
			return walk(f.b, "SessionEndInfo", func(f field) error {
				var err error
				switch f.num {
				case endStatus:
					err = wantVarint("SessionEndInfo.status", f)
					d.end.Status = SessionStatus(f.u)
				case endTime:
					err = wantFixed64("SessionEndInfo.end_time_secs", f)
					d.end.EndTime = math.Float64frombits(f.u)
				}
				return err
			})
		case hpExperiment:
			if err := wantBytes("HParamsPluginData.experiment", f); err != nil {
				return err
			}
			d.experiment = &Experiment{}
			return decodeExperiment(d.experiment, f.b)
		}
		return nil
	})
	return d, err
}

func decodeSessionStart(s *SessionStart, msg []byte) error {
	return walk(msg, "SessionStartInfo", func(f field) error {
		var err error
		switch f.num {
		case startHParams:
			if err = wantBytes("SessionStartInfo.hparams", f); err != nil {
				return err
			}
			var key string
			var val HParamValue
			err = walk(f.b, "SessionStartInfo.hparams entry", func(f field) error {
				var err error
				switch f.num {
				case mapKey:
					err = stringField(&key, "hparams entry key", f)
				case mapValue:
					if err = wantBytes("hparams entry value", f); err == nil {
						val, err = decodePBValue(f.b)
					}
				}
				return err
			})
			s.HParams[key] = val
		case startGroupName:
			err = stringField(&s.GroupName, "SessionStartInfo.group_name", f)
		case startTime:
			err = wantFixed64("SessionStartInfo.start_time_secs", f)
			s.StartTime = math.Float64frombits(f.u)
		}
		return err
	})
}

func decodeExperiment(e *Experiment, msg []byte) error {
	return walk(msg, "Experiment", func(f field) error {
		var err error
		switch f.num {
		case expDescription:
			err = stringField(&e.Description, "Experiment.description", f)
		case expName:
			err = stringField(&e.Name, "Experiment.name", f)
		case expTimeCreated:
			err = wantFixed64("Experiment.time_created_secs", f)
			e.TimeCreated = math.Float64frombits(f.u)
		case expHParamInfos:
			if err = wantBytes("Experiment.hparam_infos", f); err == nil {
				var h HParamInfo
				err = decodeHParamInfo(&h, f.b)
				e.HParams = append(e.HParams, h)
			}
		case expMetricInfos:
			if err = wantBytes("Experiment.metric_infos", f); err == nil {
				var m MetricInfo
				err = decodeMetricInfo(&m, f.b)
				e.Metrics = append(e.Metrics, m)
			}
		}
		return err
	})
}

func decodeHParamInfo(h *HParamInfo, msg []byte) error {
	return walk(msg, "HParamInfo", func(f field) error {
		var err error
		switch f.num {
		case hpiName:
			err = stringField(&h.Name, "HParamInfo.name", f)
		case hpiDisplayName:
			err = stringField(&h.DisplayName, "HParamInfo.display_name", f)
		case hpiDescription:
			err = stringField(&h.Description, "HParamInfo.description", f)
		case hpiType:
			err = wantVarint("HParamInfo.type", f)
			h.Type = HParamType(f.u)
		case hpiDomainDiscrete:
			if err = wantBytes("HParamInfo.domain_discrete", f); err != nil {
				return err
			}
			err = walk(f.b, "ListValue", func(f field) error {
				if f.num != listValues {
					return nil
				}
				if err := wantBytes("ListValue.values", f); err != nil {
					return err
				}
				v, err := decodePBValue(f.b)
				h.Domain = append(h.Domain, v)
				return err
			})
		case hpiDomainInterval:
			if err = wantBytes("HParamInfo.domain_interval", f); err != nil {
				return err
			}
			h.Interval = &Interval{}
			err = walk(f.b, "Interval", func(f field) error {
				if f.num != intervalMin && f.num != intervalMax {
					return nil
				}
				if err := wantFixed64("Interval", f); err != nil {
					return err
				}
				if f.num == intervalMin {
					h.Interval.Min = math.Float64frombits(f.u)
				} else {
					h.Interval.Max = math.Float64frombits(f.u)
				}
				return nil
			})
		}
		return err
	})
}

func decodeMetricInfo(m *MetricInfo, msg []byte) error {
	return walk(msg, "MetricInfo", func(f field) error {
		var err error
		switch f.num {
		case miName:
			if err = wantBytes("MetricInfo.name", f); err != nil {
				return err
			}
			err = walk(f.b, "MetricName", func(f field) error {
				var err error
				switch f.num {
				case metricGroup:
					err = stringField(&m.Group, "MetricName.group", f)
				case metricTag:
					err = stringField(&m.Tag, "MetricName.tag", f)
				}
				return err
			})
		case miDisplayName:
			err = stringField(&m.DisplayName, "MetricInfo.display_name", f)
		case miDescription:
			err = stringField(&m.Description, "MetricInfo.description", f)
		case miDatasetType:
			err = wantVarint("MetricInfo.dataset_type", f)
			m.DatasetType = DatasetType(f.u)
		}
		return err
	})
}
