package results

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// The record index's encoding: a compact binary form of Trial, written and
// read by hand because that is what makes the index worth having. Decoding
// 100,000 trial.json files with encoding/json took 3 s of CPU; this takes a
// tenth of that. The gob package cannot stand in: it flattens pointers, so
// a score of 0 would come back as no score.
//
// Strings are written once: the first time as 0, the length and the bytes,
// every later time as 1 + their place in the order they were first written.
// Parameter names, hosts, hashes and statuses repeat in every record. The
// decoder takes strings as substrings of the file, so they cost no
// allocation.
//
// If Trial gains a field, trialSchema changes and every index written
// before is ignored; TestIndexCodecRoundTrip fails until encodeTrial and
// decodeTrial carry the field.

// indexEncoder appends to buf.
type indexEncoder struct {
	buf  []byte
	strs map[string]uint64
}

func (e *indexEncoder) uvarint(x uint64) { e.buf = binary.AppendUvarint(e.buf, x) }
func (e *indexEncoder) varint(x int64)   { e.buf = binary.AppendVarint(e.buf, x) }
func (e *indexEncoder) int(x int)        { e.varint(int64(x)) }
func (e *indexEncoder) f64(x float64) {
	e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(x))
}

func (e *indexEncoder) bool(b bool) {
	if b {
		e.buf = append(e.buf, 1)
	} else {
		e.buf = append(e.buf, 0)
	}
}

func (e *indexEncoder) str(s string) {
	if i, ok := e.strs[s]; ok {
		e.uvarint(i + 1)
		return
	}
	if e.strs == nil {
		e.strs = map[string]uint64{}
	}
	e.strs[s] = uint64(len(e.strs))
	e.uvarint(0)
	e.uvarint(uint64(len(s)))
	e.buf = append(e.buf, s...)
}

func (e *indexEncoder) strList(list []string) {
	e.uvarint(uint64(len(list)))
	for _, s := range list {
		e.str(s)
	}
}

// optF64 writes a metric that may be missing (nil).
func (e *indexEncoder) optF64(p *float64) {
	e.bool(p != nil)
	if p != nil {
		e.f64(*p)
	}
}

func (e *indexEncoder) time(t time.Time) error {
	b, err := t.MarshalBinary()
	if err != nil {
		return err
	}
	e.uvarint(uint64(len(b)))
	e.buf = append(e.buf, b...)
	return nil
}

func (e *indexEncoder) series(s Series) {
	e.uvarint(uint64(len(s)))
	for _, x := range s {
		e.f64(x)
	}
}

// The kinds of hyperparameter value, as a record holds them once read:
// typed values, or for a value of no declared type, what JSON decoding
// gives.
const (
	valNil byte = iota
	valInt
	valFloat
	valString
	valBool
	valIntList
	valFloatList
	valList
	valMap
)

// errUnindexable is a value the index cannot hold; its record is then read
// from its file every time.
var errUnindexable = errors.New("a value the index cannot hold")

func (e *indexEncoder) value(v any) error {
	switch v := v.(type) {
	case nil:
		e.buf = append(e.buf, valNil)
	case int64:
		e.buf = append(e.buf, valInt)
		e.varint(v)
	case float64:
		e.buf = append(e.buf, valFloat)
		e.f64(v)
	case string:
		e.buf = append(e.buf, valString)
		e.str(v)
	case bool:
		e.buf = append(e.buf, valBool)
		e.bool(v)
	case []int64:
		e.buf = append(e.buf, valIntList)
		e.uvarint(uint64(len(v)))
		for _, x := range v {
			e.varint(x)
		}
	case []float64:
		e.buf = append(e.buf, valFloatList)
		e.series(v)
	case []any:
		e.buf = append(e.buf, valList)
		e.uvarint(uint64(len(v)))
		for _, x := range v {
			if err := e.value(x); err != nil {
				return err
			}
		}
	case map[string]any:
		e.buf = append(e.buf, valMap)
		return e.valueMap(v)
	default:
		return fmt.Errorf("%w: %T", errUnindexable, v)
	}
	return nil
}

// valueMap writes a map of values; a nil map stays nil.
func (e *indexEncoder) valueMap(m map[string]any) error {
	e.bool(m != nil)
	e.uvarint(uint64(len(m)))
	for k, v := range m {
		e.str(k)
		if err := e.value(v); err != nil {
			return err
		}
	}
	return nil
}

// trial appends t. On error (a value it cannot hold) the encoder is left
// as it was, so that the caller can carry on without t.
func (e *indexEncoder) trial(t *Trial) error {
	mark, nstrs := len(e.buf), len(e.strs)
	if err := e.trialFields(t); err != nil {
		e.buf = e.buf[:mark]
		for s, i := range e.strs {
			if i >= uint64(nstrs) {
				delete(e.strs, s)
			}
		}
		return err
	}
	return nil
}

func (e *indexEncoder) trialFields(t *Trial) error {
	for _, s := range []string{t.ID, t.ConfigID, t.ModelHash, t.Name} {
		e.str(s)
	}
	if err := e.valueMap(t.Params); err != nil {
		return err
	}
	e.bool(t.ParamTypes != nil)
	e.uvarint(uint64(len(t.ParamTypes)))
	for k, v := range t.ParamTypes {
		e.str(k)
		e.str(v)
	}
	e.bool(t.Swept != nil)
	e.strList(t.Swept)
	e.varint(t.Seed)
	e.int(t.Repeat)
	e.int(t.Number)
	e.int(t.Attempt)
	e.str(t.ResumedFrom)
	e.varint(t.ResumedEpochs)
	e.str(string(t.Status))
	e.str(t.Error)
	e.bool(t.Objective != nil)
	if t.Objective != nil {
		e.str(t.Objective.Metric)
		e.str(t.Objective.Mode)
	}
	e.optF64(t.Score)
	e.bool(t.Curve != nil)
	e.series(t.Curve)
	e.optF64(t.BestValLoss)
	e.varint(t.BestEpoch)
	e.varint(t.EpochsRun)
	e.bool(t.StoppedEarly)
	e.optF64(t.FinalTrainLoss)
	e.optF64(t.FinalValLoss)
	e.metrics(t.Metrics)
	e.folds(t.Folds)
	e.int(t.DataDroppedRows)
	if err := e.time(t.StartedAt); err != nil {
		return err
	}
	if err := e.time(t.EndedAt); err != nil {
		return err
	}
	e.f64(t.DurationSeconds)
	e.str(t.Host)
	e.int(t.PID)
	for _, s := range []string{t.Provenance.SweepVersion, t.Provenance.GridHash, t.Provenance.Executor, t.Provenance.SlurmJob} {
		e.str(s)
	}
	return nil
}

func (e *indexEncoder) metrics(m map[string]MetricSummary) {
	e.bool(m != nil)
	e.uvarint(uint64(len(m)))
	for name, s := range m {
		e.str(name)
		e.str(s.Mode)
		e.optF64(s.Best)
		e.varint(s.BestEpoch)
		e.optF64(s.Final)
	}
}

func (e *indexEncoder) folds(folds []FoldResult) {
	e.bool(folds != nil)
	e.uvarint(uint64(len(folds)))
	for _, f := range folds {
		e.int(f.Fold)
		e.optF64(f.Score)
		e.varint(f.BestEpoch)
		e.varint(f.EpochsRun)
		e.bool(f.Curve != nil)
		e.series(f.Curve)
	}
}

// indexDecoder reads what indexEncoder wrote from data. Its first error
// sticks: every later read returns a zero value, and the caller checks err
// once. It never panics, whatever data holds.
type indexDecoder struct {
	data string
	off  int
	strs []string
	err  error
}

var errIndexCorrupt = errors.New("corrupt record index")

func (d *indexDecoder) fail() {
	if d.err == nil {
		d.err = fmt.Errorf("%w at byte %d", errIndexCorrupt, d.off)
	}
}

func (d *indexDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	var x uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if d.off >= len(d.data) {
			break
		}
		b := d.data[d.off]
		d.off++
		x |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return x
		}
	}
	d.fail()
	return 0
}

func (d *indexDecoder) varint() int64 {
	u := d.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (d *indexDecoder) int() int { return int(d.varint()) }

// length reads a count of items that each take at least one byte, so that
// a corrupt count cannot make the caller allocate more than data holds.
func (d *indexDecoder) length() int {
	n := d.uvarint()
	if n > uint64(len(d.data)-d.off) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *indexDecoder) bytes(n int) string {
	if d.err != nil || n < 0 || n > len(d.data)-d.off {
		d.fail()
		return ""
	}
	s := d.data[d.off : d.off+n]
	d.off += n
	return s
}

func (d *indexDecoder) byte() byte {
	b := d.bytes(1)
	if b == "" {
		return 0
	}
	return b[0]
}

func (d *indexDecoder) bool() bool { return d.byte() == 1 }

func (d *indexDecoder) f64() float64 {
	b := d.bytes(8)
	if len(b) != 8 {
		return 0
	}
	var u uint64
	for i := 7; i >= 0; i-- {
		u = u<<8 | uint64(b[i])
	}
	return math.Float64frombits(u)
}

func (d *indexDecoder) str() string {
	i := d.uvarint()
	if i > 0 {
		if i > uint64(len(d.strs)) {
			d.fail()
			return ""
		}
		return d.strs[i-1]
	}
	s := d.bytes(d.length())
	d.strs = append(d.strs, s)
	return s
}

func (d *indexDecoder) strList() []string {
	out := make([]string, d.length())
	for i := range out {
		out[i] = d.str()
	}
	return out
}

func (d *indexDecoder) optF64() *float64 {
	if !d.bool() {
		return nil
	}
	x := d.f64()
	return &x
}

func (d *indexDecoder) time() time.Time {
	var t time.Time
	if err := t.UnmarshalBinary([]byte(d.bytes(d.length()))); err != nil {
		d.fail()
	}
	return t
}

func (d *indexDecoder) series() Series {
	out := make(Series, d.length())
	for i := range out {
		out[i] = d.f64()
	}
	return out
}

// value reads a hyperparameter value; depth bounds the nesting that a
// corrupt index could make unbounded.
func (d *indexDecoder) value(depth int) any {
	if depth > 64 {
		d.fail()
		return nil
	}
	switch d.byte() {
	case valNil:
		return nil
	case valInt:
		return d.varint()
	case valFloat:
		return d.f64()
	case valString:
		return d.str()
	case valBool:
		return d.bool()
	case valIntList:
		out := make([]int64, d.length())
		for i := range out {
			out[i] = d.varint()
		}
		return out
	case valFloatList:
		return []float64(d.series())
	case valList:
		out := make([]any, d.length())
		for i := range out {
			out[i] = d.value(depth + 1)
		}
		return out
	case valMap:
		return d.valueMap(depth + 1)
	}
	d.fail()
	return nil
}

func (d *indexDecoder) valueMap(depth int) map[string]any {
	present, n := d.bool(), d.length()
	if !present {
		return nil
	}
	m := make(map[string]any, n)
	for range n {
		k := d.str()
		m[k] = d.value(depth)
	}
	return m
}

func (d *indexDecoder) trial() *Trial {
	t := &Trial{ID: d.str(), ConfigID: d.str(), ModelHash: d.str(), Name: d.str()}
	t.Params = d.valueMap(0)
	if present, n := d.bool(), d.length(); present {
		t.ParamTypes = make(map[string]string, n)
		for range n {
			k := d.str()
			t.ParamTypes[k] = d.str()
		}
	}
	if present, list := d.bool(), d.strList(); present {
		t.Swept = list
	}
	t.Seed, t.Repeat, t.Number, t.Attempt = d.varint(), d.int(), d.int(), d.int()
	t.ResumedFrom, t.ResumedEpochs = d.str(), d.varint()
	t.Status, t.Error = Status(d.str()), d.str()
	if d.bool() {
		t.Objective = &Objective{Metric: d.str(), Mode: d.str()}
	}
	t.Score = d.optF64()
	if present, s := d.bool(), d.series(); present {
		t.Curve = s
	}
	t.BestValLoss, t.BestEpoch, t.EpochsRun = d.optF64(), d.varint(), d.varint()
	t.StoppedEarly = d.bool()
	t.FinalTrainLoss, t.FinalValLoss = d.optF64(), d.optF64()
	t.Metrics = d.metrics()
	t.Folds = d.folds()
	t.DataDroppedRows = d.int()
	t.StartedAt, t.EndedAt = d.time(), d.time()
	t.DurationSeconds = d.f64()
	t.Host, t.PID = d.str(), d.int()
	t.Provenance = Provenance{SweepVersion: d.str(), GridHash: d.str(), Executor: d.str(), SlurmJob: d.str()}
	return t
}

func (d *indexDecoder) metrics() map[string]MetricSummary {
	present, n := d.bool(), d.length()
	if !present {
		return nil
	}
	m := make(map[string]MetricSummary, n)
	for range n {
		name := d.str()
		m[name] = MetricSummary{Mode: d.str(), Best: d.optF64(), BestEpoch: d.varint(), Final: d.optF64()}
	}
	return m
}

func (d *indexDecoder) folds() []FoldResult {
	present, n := d.bool(), d.length()
	if !present {
		return nil
	}
	out := make([]FoldResult, n)
	for i := range out {
		out[i] = FoldResult{Fold: d.int(), Score: d.optF64(), BestEpoch: d.varint(), EpochsRun: d.varint()}
		if present, s := d.bool(), d.series(); present {
			out[i].Curve = s
		}
	}
	return out
}
