package dataset

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// ArraysMagic starts a prepared-arrays file.
const ArraysMagic = "SWEEPARR"

// ArraysHeader is the JSON header of a prepared-arrays file.
type ArraysHeader struct {
	Version     int       `json:"version"` // 1
	Features    []string  `json:"features"`
	Target      string    `json:"target"`
	NumTrain    int       `json:"num_train"`
	NumVal      int       `json:"num_val"`
	Mean        []float64 `json:"mean"`         // null when standardisation is off
	Scale       []float64 `json:"scale"`        // null when standardisation is off
	DroppedRows int       `json:"dropped_rows"` // rows left out for a missing value
}

// arraysPart is the rows of a table that one split of a prepared-arrays
// file holds, standardised with mean and scale (nil: as they are).
type arraysPart struct {
	t           *table
	rows        []int
	mean, scale []float64
}

// WriteArrays writes d as a prepared-arrays file, the form in which every
// model's trials read their data once a sweep has prepared it (see
// PrepareArrays): Go models through Load, models in other languages (the
// Python SDK) directly. The layout, every number little-endian:
//
//	8 bytes  "SWEEPARR"
//	8 bytes  uint64 n, the length of the header
//	n bytes  ArraysHeader as JSON, padded with spaces so that n is a multiple of 8
//	then float64 arrays: TrainX (num_train × features, row-major), TrainY
//	(num_train), ValX (num_val × features), ValY (num_val)
//
// The padding keeps the arrays 8-byte aligned, so that a reader can map
// them (mmap, numpy.memmap) without a copy. Dataset.Float32 writes a
// float32 sibling of a prepared file in the same layout (see Float32Path).
func WriteArrays(w io.Writer, d *Dataset) error {
	whole := func(x, y []float64, n int) arraysPart {
		rows := make([]int, n)
		for i := range rows {
			rows[i] = i
		}
		return arraysPart{t: &table{features: d.Features, x: x, y: y}, rows: rows}
	}
	return writeArrays(w, d.header(), whole(d.TrainX, d.TrainY, d.NumTrain), whole(d.ValX, d.ValY, d.NumVal))
}

func (d *Dataset) header() ArraysHeader {
	return ArraysHeader{Version: 1, Features: d.Features, Target: d.Target, NumTrain: d.NumTrain, NumVal: d.NumVal,
		Mean: d.Mean, Scale: d.Scale, DroppedRows: d.DroppedRows}
}

// writeArrays writes the layout WriteArrays documents, the features of each
// part standardised as it says, one row at a time: no copy of the data is
// made.
func writeArrays(w io.Writer, h ArraysHeader, train, val arraysPart) error {
	header, err := json.Marshal(h)
	if err != nil {
		return err
	}
	header = append(header, bytes.Repeat([]byte{' '}, (8-len(header)%8)%8)...)
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString(ArraysMagic)
	binary.Write(bw, binary.LittleEndian, uint64(len(header)))
	bw.Write(header)
	var buf [8]byte
	put := func(x float64) {
		binary.LittleEndian.PutUint64(buf[:], math.Float64bits(x))
		bw.Write(buf[:])
	}
	for _, p := range []arraysPart{train, val} {
		nf := len(p.t.features)
		for _, r := range p.rows {
			for j, x := range p.t.x[r*nf : (r+1)*nf] {
				if p.mean != nil {
					x = (x - p.mean[j]) / p.scale[j] // as standardise does
				}
				put(x)
			}
		}
		for _, r := range p.rows {
			put(p.t.y[r])
		}
	}
	return bw.Flush() // a bufio.Writer keeps its first error for Flush
}

// Prepared is what PrepareArrays did.
type Prepared struct {
	Files       []string      // one, or one per walk-forward fold
	DroppedRows int           // rows left out for a missing value
	Reused      bool          // the files were there already: nothing was read
	Bytes       int64         // the files' size
	Took        time.Duration // reading, splitting and writing (or checking)
}

// PrepareArrays writes the data spec describes, split and standardised, as
// prepared-arrays files in dir (one, or one per fold of a walk-forward
// split) and says what it did.
// It parses the data once, and not at all when the files are there
// already: their names are the SHA-256 of the spec and of the CSV's
// content, so a changed file or setting gets new ones, and processes that
// prepare the same data at once (workers on a cluster) agree on them. A
// file is written under a temporary name and renamed, so that a reader
// never sees half of one; deleting the directory is always safe.
func PrepareArrays(ctx context.Context, spec Spec, dir string) (Prepared, error) {
	start := time.Now()
	spec = spec.Defaults()
	spec.File, spec.Fold = "", 0
	if err := spec.Validate(); err != nil {
		return Prepared{}, err
	}
	key, err := arraysKey(spec)
	if err != nil {
		return Prepared{}, err
	}
	var p Prepared
	folds := max(spec.Folds, 1)
	for f := range folds {
		p.Files = append(p.Files, filepath.Join(dir, key+"-"+strconv.Itoa(f+1)+"of"+strconv.Itoa(folds)+".f64"))
	}
	if h, err := readArraysHeader(p.Files[0]); err == nil && allValid(p.Files) {
		p.DroppedRows, p.Reused = h.DroppedRows, true
	} else {
		t, name, err := loadTable(ctx, spec)
		if err != nil {
			return Prepared{}, err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return Prepared{}, err
		}
		for f, path := range p.Files {
			if spec.Split == SplitWalkForward {
				spec.Fold = f + 1
			}
			if err := writeFold(t, spec, name, path); err != nil {
				return Prepared{}, err
			}
		}
		p.DroppedRows = t.dropped
	}
	for _, f := range p.Files {
		if fi, err := os.Stat(f); err == nil {
			p.Bytes += fi.Size()
		}
	}
	p.Took = time.Since(start)
	return p, nil
}

// writeFold writes the split (or fold) spec names of t to path.
func writeFold(t *table, spec Spec, name, path string) error {
	train, val, err := splitRows(t, spec, name)
	if err != nil {
		return err
	}
	h := ArraysHeader{Version: 1, Features: t.features, Target: spec.Target, NumTrain: len(train), NumVal: len(val), DroppedRows: t.dropped}
	if *spec.Standardize {
		h.Mean, h.Scale = columnStats(t, train)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".arrays-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	err = writeArrays(tmp, h, arraysPart{t, train, h.Mean, h.Scale}, arraysPart{t, val, h.Mean, h.Scale})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing the prepared data: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}

// arraysKey names the prepared arrays of spec: the SHA-256 of the spec (as
// JSON) and, for a data file, of its content's SHA-256 (ContentSHA256, or
// read here).
func arraysKey(spec Spec) (string, error) {
	sum := sha256.New()
	if err := json.NewEncoder(sum).Encode(spec); err != nil {
		return "", err
	}
	if spec.Path != "" {
		content := spec.ContentSHA256
		if content == "" {
			var err error
			if content, err = FileSHA256(spec.Path); err != nil {
				return "", fmt.Errorf("data.path: %w", err)
			}
		}
		io.WriteString(sum, content)
	}
	return hex.EncodeToString(sum.Sum(nil))[:24], nil
}

// FileSHA256 returns the hex SHA-256 of the content of the file at path.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// allValid reports whether every file has a whole prepared-arrays layout: a
// file cut short (a full disk) is written again.
func allValid(paths []string) bool {
	for _, p := range paths {
		h, err := readArraysHeader(p)
		if err != nil {
			return false
		}
		fi, err := os.Stat(p)
		if err != nil || fi.Size() != int64(h.dataOffset)+8*int64(h.values()) {
			return false
		}
	}
	return true
}

// fileHeader is a prepared-arrays file's header and where its arrays start.
type fileHeader struct {
	ArraysHeader
	raw        []byte // the header as in the file, padding included
	dataOffset int
}

// values is how many float64s the arrays hold.
func (h fileHeader) values() int {
	return (h.NumTrain + h.NumVal) * (len(h.Features) + 1)
}

// readArraysHeader reads the header of the prepared-arrays file at path.
func readArraysHeader(path string) (fileHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return fileHeader{}, err
	}
	defer f.Close()
	return parseArraysHeader(bufio.NewReader(f), path, ArraysMagic)
}

// parseArraysHeader reads the start of a file in the prepared-arrays
// layout whose first 8 bytes are magic: ArraysMagic, or Arrays32Magic for
// a float32 sibling.
func parseArraysHeader(r io.Reader, path, magic string) (fileHeader, error) {
	var start [16]byte
	if _, err := io.ReadFull(r, start[:]); err != nil || string(start[:8]) != magic {
		return fileHeader{}, fmt.Errorf("%s: not a prepared-arrays file", path)
	}
	n := binary.LittleEndian.Uint64(start[8:])
	if n > 1<<30 {
		return fileHeader{}, fmt.Errorf("%s: a header of %d bytes", path, n)
	}
	raw := make([]byte, n)
	if _, err := io.ReadFull(r, raw); err != nil {
		return fileHeader{}, fmt.Errorf("%s: %w", path, err)
	}
	var h fileHeader
	if err := json.Unmarshal(raw, &h.ArraysHeader); err != nil {
		return fileHeader{}, fmt.Errorf("%s: header: %w", path, err)
	}
	if h.Version != 1 || h.NumTrain < 0 || h.NumVal < 0 || (h.Mean != nil && len(h.Mean) != len(h.Features)) {
		return fileHeader{}, fmt.Errorf("%s: an unknown or inconsistent header", path)
	}
	h.raw, h.dataOffset = raw, 16+int(n)
	return h, nil
}

// openArrays returns the dataset in the prepared-arrays file at path. Its
// arrays are the file's bytes mapped read-only where the system allows
// (every process that opens the file shares one copy in the page cache),
// else read into memory.
func openArrays(path string) (*Dataset, error) {
	h, err := readArraysHeader(path)
	if err != nil {
		return nil, err
	}
	size := h.dataOffset + 8*h.values()
	values, err := mapFloats(path, h.dataOffset, h.values())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(values) != h.values() {
		return nil, fmt.Errorf("%s: cut short: want %d bytes", path, size)
	}
	nf := len(h.Features)
	d := &Dataset{Features: h.Features, Target: h.Target, NumTrain: h.NumTrain, NumVal: h.NumVal,
		Mean: h.Mean, Scale: h.Scale, DroppedRows: h.DroppedRows}
	at := 0
	take := func(n int) []float64 {
		s := values[at : at+n : at+n] // capped: an append never writes into the mapping
		at += n
		return s
	}
	d.TrainX, d.TrainY = take(h.NumTrain*nf), take(h.NumTrain)
	d.ValX, d.ValY = take(h.NumVal*nf), take(h.NumVal)
	return d, nil
}

// decodeFloats decodes little-endian float64s: the portable way to read the
// arrays, where they cannot be mapped.
func decodeFloats(b []byte) []float64 {
	out := make([]float64, len(b)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out
}
