package logger

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ScalarPoint is one point of a scalar series.
type ScalarPoint struct {
	Step     int64
	WallTime float64
	Value    float64
}

// HistogramPoint is one histogram of a series.
type HistogramPoint struct {
	Step     int64
	WallTime float64
	Histogram
}

// TextPoint is one text summary.
type TextPoint struct {
	Step     int64
	WallTime float64
	Text     string
}

// Run is what a run's event files hold, decoded: the series in file order
// and the graph and HParams records (the last of each, if repeated).
type Run struct {
	Dir          string
	Files        []string // the event files read, in reading order
	Scalars      map[string][]ScalarPoint
	Histograms   map[string][]HistogramPoint
	Texts        map[string][]TextPoint
	Graph        *Graph
	SessionStart *SessionStart
	SessionEnd   *SessionEnd
	Experiment   *Experiment

	plugins map[string]string // the first plugin name seen per tag, as TensorBoard keeps it
}

func newRun(dir string) *Run {
	return &Run{
		Dir:        dir,
		Scalars:    map[string][]ScalarPoint{},
		Histograms: map[string][]HistogramPoint{},
		Texts:      map[string][]TextPoint{},
		plugins:    map[string]string{},
	}
}

// ScalarsPlugin is the plugin name of tensor-form scalars.
const ScalarsPlugin = "scalars"

// isEventFile says whether TensorBoard reads name as an event file.
func isEventFile(name string) bool { return strings.Contains(name, "tfevents") }

// ReadEvents calls fn with each event of the file at path and the byte
// offset of its record. A file that ends inside a record returns a
// *FormatError wrapping ErrTruncated after every complete event was passed
// to fn; a damaged record returns one wrapping ErrCorrupt. An error from fn
// stops the reading and is returned.
func ReadEvents(path string, fn func(offset int64, e *Event) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return readEvents(f, path, fn)
}

func readEvents(r io.Reader, name string, fn func(offset int64, e *Event) error) error {
	rr := NewRecordReader(r, name)
	for {
		off := rr.Offset()
		data, err := rr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		e, err := DecodeEvent(data)
		if err != nil {
			return &FormatError{File: name, Offset: off, Kind: ErrCorrupt, Detail: err.Error()}
		}
		if err := fn(off, &e); err != nil {
			return err
		}
	}
}

// ReadFile decodes the event file at path. On an error the returned Run
// still holds what was read before it; a truncated last record gives an
// error wrapping ErrTruncated.
func ReadFile(path string) (*Run, error) {
	run := newRun(filepath.Dir(path))
	err := run.addFile(path)
	return run, err
}

// ReadRun decodes every event file directly in dir, in name order (which is
// the order of their creation times). On an error the returned Run still
// holds what was read: a truncated file (one still being written) gives an
// error wrapping ErrTruncated, and later files are still read.
func ReadRun(dir string) (*Run, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	run := newRun(dir)
	var first error
	for _, e := range entries {
		if e.IsDir() || !isEventFile(e.Name()) {
			continue
		}
		err := run.addFile(filepath.Join(dir, e.Name()))
		if err != nil && first == nil {
			first = err
		}
		if err != nil && !errors.Is(err, ErrTruncated) {
			break
		}
	}
	if len(run.Files) == 0 && first == nil {
		first = fmt.Errorf("%s: no event file", dir)
	}
	return run, first
}

// ReadScalars returns the scalar series of an event file, or of a run
// directory's event files, by tag. As with ReadRun, a truncated file gives
// the points read and an error wrapping ErrTruncated.
func ReadScalars(path string) (map[string][]ScalarPoint, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	var run *Run
	if fi.IsDir() {
		run, err = ReadRun(path)
	} else {
		run, err = ReadFile(path)
	}
	if run == nil {
		return nil, err
	}
	return run.Scalars, err
}

func (run *Run) addFile(path string) error {
	run.Files = append(run.Files, path)
	return ReadEvents(path, func(off int64, e *Event) error {
		if err := run.add(e); err != nil {
			return &FormatError{File: path, Offset: off, Kind: ErrCorrupt, Detail: err.Error()}
		}
		return nil
	})
}

// add files one event's content under its tags.
func (run *Run) add(e *Event) error {
	if e.GraphDef != nil {
		g, err := DecodeGraph(e.GraphDef)
		if err != nil {
			return err
		}
		run.Graph = g
	}
	for i := range e.Summary {
		v := &e.Summary[i]
		plugin, seen := run.plugins[v.Tag]
		if !seen {
			if v.Metadata != nil {
				plugin = v.Metadata.PluginName
			}
			run.plugins[v.Tag] = plugin
		}
		if err := run.addValue(e, v, plugin); err != nil {
			return fmt.Errorf("tag %q: %w", v.Tag, err)
		}
	}
	return nil
}

func (run *Run) addValue(e *Event, v *Value, plugin string) error {
	switch {
	case v.Kind == KindSimple:
		run.Scalars[v.Tag] = append(run.Scalars[v.Tag], ScalarPoint{e.Step, e.WallTime, float64(v.Simple)})
	case v.Kind == KindHisto:
		run.Histograms[v.Tag] = append(run.Histograms[v.Tag], HistogramPoint{e.Step, e.WallTime, *v.Histo})
	case plugin == HParamsPlugin && v.Metadata != nil && v.Metadata.PluginName == HParamsPlugin:
		d, err := decodeHParams(v.Metadata.PluginContent)
		if err != nil {
			return err
		}
		run.SessionStart = cmp.Or(d.start, run.SessionStart)
		run.SessionEnd = cmp.Or(d.end, run.SessionEnd)
		run.Experiment = cmp.Or(d.experiment, run.Experiment)
	case v.Kind == KindTensor && plugin == ScalarsPlugin:
		x, err := tensorScalar(v.Tensor)
		if err != nil {
			return err
		}
		run.Scalars[v.Tag] = append(run.Scalars[v.Tag], ScalarPoint{e.Step, e.WallTime, x})
	case v.Kind == KindTensor && plugin == TextPlugin:
		if v.Tensor.DType != DTString {
			return fmt.Errorf("text tensor has dtype %d, want DT_STRING", v.Tensor.DType)
		}
		parts := make([]string, len(v.Tensor.Strings))
		for i, s := range v.Tensor.Strings {
			parts[i] = string(s)
		}
		run.Texts[v.Tag] = append(run.Texts[v.Tag], TextPoint{e.Step, e.WallTime, strings.Join(parts, "\n")})
	}
	return nil
}

// tensorScalar returns the value of a rank-0 DT_FLOAT or DT_DOUBLE tensor.
func tensorScalar(t *Tensor) (float64, error) {
	if len(t.Shape) != 0 {
		return 0, fmt.Errorf("scalar tensor has shape %v", t.Shape)
	}
	switch {
	case t.DType == DTFloat && len(t.Floats) == 1:
		return float64(t.Floats[0]), nil
	case t.DType == DTFloat && len(t.Content) == 4:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(t.Content))), nil
	case t.DType == DTDouble && len(t.Doubles) == 1:
		return t.Doubles[0], nil
	case t.DType == DTDouble && len(t.Content) == 8:
		return math.Float64frombits(binary.LittleEndian.Uint64(t.Content)), nil
	}
	return 0, fmt.Errorf("scalar tensor of dtype %d holds no single value", t.DType)
}

// Tags returns the sorted keys of a map keyed by tag or name (a Run's
// series, a session's hyperparameters), for stable iteration.
func Tags[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
