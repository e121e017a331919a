// Package safetensors reads and writes the safetensors format
// (https://github.com/huggingface/safetensors), in which sweep keeps a
// trial's trained weights so that PyTorch (safetensors.torch.load_file, or
// a reader of a few lines) loads them:
//
//	8 bytes   N, the header's length, unsigned little-endian
//	N bytes   the header: a JSON object, padded with spaces to a multiple of 8
//	          bytes so that every tensor's data starts 8-byte aligned
//	the rest  the tensors' data, little-endian, row-major, back to back
//
// The header maps each tensor's name to {"dtype", "shape", "data_offsets"}
// (offsets of its first and past-the-last byte, from the start of the data)
// and may hold "__metadata__", a map of strings to strings.
//
// Only the types sweep's models need are supported: F64 (float64), F32
// (float32, the weights of a float32 network) and I64 (int64, BatchNorm's
// num_batches_tracked). Write keeps the tensors in the order given (a
// state_dict's), both in the header and in the data.
package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// The data types a Tensor may have, as the header names them.
const (
	F64 = "F64"
	F32 = "F32"
	I64 = "I64"
)

// size is the bytes per element of each data type.
var size = map[string]int64{F64: 8, F32: 4, I64: 8}

// MetadataKey is the header's entry for the file's metadata.
const MetadataKey = "__metadata__"

// maxHeader bounds the header a reader accepts, as the reference
// implementation does (100 MB), so that a corrupt length is an error rather
// than an allocation of exabytes.
const maxHeader = 100 << 20

// Tensor is a named array: F64 data in Float64, F32 data in Float32, or
// I64 data in Int64. At most one of them is not nil; with none, the tensor
// is an F64 one of no elements.
type Tensor struct {
	Name    string
	Shape   []int
	Float64 []float64 // for dtype F64
	Float32 []float32 // for dtype F32
	Int64   []int64   // for dtype I64
}

// DType returns the tensor's data type, F64, F32 or I64.
func (t Tensor) DType() string {
	switch {
	case t.Int64 != nil:
		return I64
	case t.Float32 != nil:
		return F32
	}
	return F64
}

func (t Tensor) len() int {
	switch {
	case t.Int64 != nil:
		return len(t.Int64)
	case t.Float32 != nil:
		return len(t.Float32)
	}
	return len(t.Float64)
}

// check reports a tensor whose name or data does not fit its shape.
func (t Tensor) check() error {
	switch {
	case t.Name == "" || t.Name == MetadataKey:
		return fmt.Errorf("safetensors: invalid tensor name %q", t.Name)
	case (t.Int64 != nil) && (t.Float64 != nil || t.Float32 != nil) || t.Float64 != nil && t.Float32 != nil:
		return fmt.Errorf("safetensors: tensor %s has data of more than one type", t.Name)
	}
	n := 1
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("safetensors: tensor %s has a negative dimension in shape %v", t.Name, t.Shape)
		}
		n *= d
	}
	if n != t.len() {
		return fmt.Errorf("safetensors: tensor %s of shape %v has %d values", t.Name, t.Shape, t.len())
	}
	return nil
}

// entry is a tensor's header entry.
type entry struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// Write writes the tensors, in order, and the metadata (nil for none) to w.
func Write(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	// The header is written by hand: a Go map would sort the tensors by
	// name, and the file is easier to read in state_dict order.
	var h bytes.Buffer
	h.WriteByte('{')
	if metadata != nil {
		m, err := json.Marshal(metadata) // sorted keys
		if err != nil {
			return err
		}
		h.WriteString(strconv.Quote(MetadataKey) + ":")
		h.Write(m)
	}
	var off int64
	seen := make(map[string]bool, len(tensors))
	for i, t := range tensors {
		if err := t.check(); err != nil {
			return err
		}
		if seen[t.Name] {
			return fmt.Errorf("safetensors: tensor %s appears twice", t.Name)
		}
		seen[t.Name] = true
		size := size[t.DType()] * int64(t.len())
		e, err := json.Marshal(entry{DType: t.DType(), Shape: shape(t.Shape), DataOffsets: [2]int64{off, off + size}})
		if err != nil {
			return err
		}
		if i > 0 || metadata != nil {
			h.WriteByte(',')
		}
		name, _ := json.Marshal(t.Name)
		h.Write(name)
		h.WriteByte(':')
		h.Write(e)
		off += size
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	buf := make([]byte, 8, 8+h.Len()+int(off))
	binary.LittleEndian.PutUint64(buf, uint64(h.Len()))
	buf = append(buf, h.Bytes()...)
	for _, t := range tensors {
		for _, v := range t.Float64 {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
		for _, v := range t.Float32 {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
		for _, v := range t.Int64 {
			buf = binary.LittleEndian.AppendUint64(buf, uint64(v))
		}
	}
	_, err := w.Write(buf)
	return err
}

// shape is s as the header writes it: [] for a scalar, never null.
func shape(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}

// File is a read safetensors file.
type File struct {
	Metadata map[string]string // nil when the file has none
	Tensors  []Tensor          // in the order of their data
}

// Tensor returns the tensor with the given name.
func (f *File) Tensor(name string) (Tensor, bool) {
	for _, t := range f.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return Tensor{}, false
}

// ErrFormat is wrapped by every error Read returns for data that is not a
// safetensors file it can read.
var ErrFormat = errors.New("not a safetensors file of F64, F32 and I64 tensors")

// Read parses a safetensors file held in data. It checks what the
// specification requires (a header within the file that is a JSON object,
// tensors whose offsets fit their shapes and tile the data without gaps or
// overlaps) and refuses types other than F64, F32 and I64.
func Read(data []byte) (*File, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, args...))
	}
	if len(data) < 8 {
		return nil, bad("%d bytes, shorter than the header's length", len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > maxHeader || n > uint64(len(data)-8) {
		return nil, bad("a header of %d bytes in a file of %d", n, len(data))
	}
	header, body := data[8:8+n], data[8+n:]
	if len(bytes.TrimSpace(header)) == 0 || header[0] != '{' {
		return nil, bad("the header does not start with '{'")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(header, &raw); err != nil {
		return nil, bad("header: %v", err)
	}
	f := &File{}
	if m, ok := raw[MetadataKey]; ok {
		if err := json.Unmarshal(m, &f.Metadata); err != nil {
			return nil, bad("%s: %v", MetadataKey, err)
		}
		delete(raw, MetadataKey)
	}
	type located struct {
		t     Tensor
		dtype string
		off   [2]int64
	}
	list := make([]located, 0, len(raw))
	for name, msg := range raw {
		var e entry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, bad("tensor %s: %v", name, err)
		}
		es, ok := size[e.DType]
		if !ok {
			return nil, bad("tensor %s: dtype %q", name, e.DType)
		}
		count := int64(1)
		for _, d := range e.Shape {
			if d < 0 || (d > 0 && count > math.MaxInt64/8/int64(d)) {
				return nil, bad("tensor %s: shape %v", name, e.Shape)
			}
			count *= int64(d)
		}
		if e.DataOffsets[1]-e.DataOffsets[0] != es*count {
			return nil, bad("tensor %s: offsets %v for shape %v of %s", name, e.DataOffsets, e.Shape, e.DType)
		}
		list = append(list, located{t: Tensor{Name: name, Shape: e.Shape}, dtype: e.DType, off: e.DataOffsets})
	}
	// Ties (empty tensors) by name, so that the order is the same every time.
	slices.SortFunc(list, func(a, b located) int {
		return cmp.Or(cmp.Compare(a.off[0], b.off[0]), cmp.Compare(a.t.Name, b.t.Name))
	})
	var end int64
	for _, l := range list {
		if l.off[0] != end {
			return nil, bad("tensor %s starts at byte %d of the data, not %d", l.t.Name, l.off[0], end)
		}
		end = l.off[1]
	}
	if end != int64(len(body)) {
		return nil, bad("the tensors take %d bytes of data, the file has %d", end, len(body))
	}
	for _, l := range list {
		b := body[l.off[0]:l.off[1]]
		t := l.t
		switch l.dtype {
		case I64:
			t.Int64 = make([]int64, len(b)/8)
			for i := range t.Int64 {
				t.Int64[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
			}
		case F32:
			t.Float32 = make([]float32, len(b)/4)
			for i := range t.Float32 {
				t.Float32[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
		default:
			t.Float64 = make([]float64, len(b)/8)
			for i := range t.Float64 {
				t.Float64[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
			}
		}
		f.Tensors = append(f.Tensors, t)
	}
	return f, nil
}
