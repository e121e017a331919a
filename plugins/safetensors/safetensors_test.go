package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sweep-ml/sweep/tests/golden"
)

// small is a state_dict in miniature: a Linear, a BatchNorm with its
// counter, and metadata.
func small() ([]Tensor, map[string]string) {
	return []Tensor{
			{Name: "network.0.weight", Shape: []int{2, 3}, Float64: []float64{1, -2, 0.5, math.Pi, 0, -0.25}},
			{Name: "network.0.bias", Shape: []int{2}, Float64: []float64{0.125, -1}},
			{Name: "network.1.num_batches_tracked", Shape: []int{}, Int64: []int64{7}},
		}, map[string]string{
			"format": "pt", "features": `["a","b","c"]`,
		}
}

// TestGolden holds Write to bytes checked by hand against the
// specification: the header length, the JSON header in the tensors' order
// with __metadata__ first, spaces to an 8-byte boundary, then the data
// little-endian and contiguous.
func TestGolden(t *testing.T) {
	tensors, meta := small()
	var buf bytes.Buffer
	if err := Write(&buf, tensors, meta); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "small.safetensors")
	want := golden.Want(t, path, buf.Bytes())
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("Write's bytes differ from %s (go test -update rewrites it)\ngot  %q\nwant %q", path, buf.Bytes(), want)
	}

	// The layout, independently of the golden file.
	got := buf.Bytes()
	n := binary.LittleEndian.Uint64(got)
	if n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
	header := got[8 : 8+n]
	const wantHeader = `{"__metadata__":{"features":"[\"a\",\"b\",\"c\"]","format":"pt"},` +
		`"network.0.weight":{"dtype":"F64","shape":[2,3],"data_offsets":[0,48]},` +
		`"network.0.bias":{"dtype":"F64","shape":[2],"data_offsets":[48,64]},` +
		`"network.1.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[64,72]}}`
	if s := string(bytes.TrimRight(header, " ")); s != wantHeader {
		t.Errorf("header\n%s\nwant\n%s", s, wantHeader)
	}
	if pad := len(header) - len(wantHeader); pad < 0 || pad > 7 {
		t.Errorf("%d bytes of padding", pad)
	}
	body := got[8+n:]
	if len(body) != 72 {
		t.Fatalf("%d bytes of data, want 72", len(body))
	}
	if v := math.Float64frombits(binary.LittleEndian.Uint64(body[24:])); v != math.Pi {
		t.Errorf("network.0.weight[1,0] = %v, want π", v)
	}
	if v := binary.LittleEndian.Uint64(body[64:]); v != 7 {
		t.Errorf("num_batches_tracked = %d, want 7", v)
	}
	var parsed map[string]any
	if err := json.Unmarshal(header, &parsed); err != nil {
		t.Errorf("the header is not JSON: %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	tensors, meta := small()
	tensors = append(tensors, Tensor{Name: "empty", Shape: []int{0, 4}, Float64: []float64{}},
		Tensor{Name: "single", Shape: []int{3}, Float32: []float32{1.5, -float32(math.Pi), math.SmallestNonzeroFloat32}},
		Tensor{Name: "after", Shape: []int{1}, Float64: []float64{-0.5}}) // at an offset of 4 mod 8
	for _, meta := range []map[string]string{meta, nil} {
		var buf bytes.Buffer
		if err := Write(&buf, tensors, meta); err != nil {
			t.Fatal(err)
		}
		f, err := Read(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(f.Metadata, meta) {
			t.Errorf("metadata %v, want %v", f.Metadata, meta)
		}
		for _, want := range tensors {
			got, ok := f.Tensor(want.Name)
			if !ok || !reflect.DeepEqual(got, want) {
				t.Errorf("tensor %s: got %+v, want %+v", want.Name, got, want)
			}
		}
	}
}

func TestWriteErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tensors []Tensor
	}{
		{"shape", []Tensor{{Name: "w", Shape: []int{2, 2}, Float64: []float64{1, 2, 3}}}},
		{"negative", []Tensor{{Name: "w", Shape: []int{-1}, Float64: []float64{}}}},
		{"no name", []Tensor{{Shape: []int{1}, Float64: []float64{1}}}},
		{"metadata name", []Tensor{{Name: MetadataKey, Shape: []int{1}, Float64: []float64{1}}}},
		{"twice", []Tensor{{Name: "w", Shape: []int{1}, Float64: []float64{1}}, {Name: "w", Shape: []int{1}, Float64: []float64{1}}}},
		{"both types", []Tensor{{Name: "w", Shape: []int{1}, Float64: []float64{1}, Int64: []int64{1}}}},
		{"both floats", []Tensor{{Name: "w", Shape: []int{1}, Float64: []float64{1}, Float32: []float32{1}}}},
	} {
		if err := Write(&bytes.Buffer{}, tc.tensors, nil); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

// TestReadErrors: a damaged file is an error wrapping ErrFormat, never a
// panic or a huge allocation.
func TestReadErrors(t *testing.T) {
	withHeader := func(h string, body int) []byte {
		b := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
		return append(append(b, h...), make([]byte, body)...)
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"short", []byte{1, 2}},
		{"length past the end", binary.LittleEndian.AppendUint64(nil, 1<<40)},
		{"not an object", withHeader(`[1]     `, 0)},
		{"not JSON", withHeader(`{"a":`, 0)},
		{"dtype", withHeader(`{"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}`, 2)},
		{"F32 offsets", withHeader(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}`, 16)},
		{"offsets and shape", withHeader(`{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}}`, 8)},
		{"gap", withHeader(`{"a":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}}`, 16)},
		{"trailing data", withHeader(`{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}`, 16)},
		{"huge shape", withHeader(`{"a":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,8]}}`, 8)},
		{"metadata not strings", withHeader(`{"__metadata__":{"a":1}}`, 0)},
	} {
		if _, err := Read(tc.data); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: got %v, want an ErrFormat", tc.name, err)
		}
	}
}

// TestF32Layout checks an F32 tensor's bytes: 4 per element, little-endian
// IEEE single precision, and the offsets of the tensor after it.
func TestF32Layout(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf, []Tensor{{Name: "w", Shape: []int{3}, Float32: []float32{1, -2, 0.1}}, {Name: "n", Shape: []int{}, Int64: []int64{5}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	n := binary.LittleEndian.Uint64(got)
	const wantHeader = `{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"n":{"dtype":"I64","shape":[],"data_offsets":[12,20]}}`
	if h := string(bytes.TrimRight(got[8:8+n], " ")); h != wantHeader {
		t.Errorf("header\n%s\nwant\n%s", h, wantHeader)
	}
	body := got[8+n:]
	if len(body) != 20 || binary.LittleEndian.Uint32(body[8:]) != 0x3dcccccd || binary.LittleEndian.Uint32(body[4:]) != 0xc0000000 {
		t.Errorf("data % x, want 1, -2, 0.1 as float32 then 5 as int64", body)
	}
}
