package dataset

import (
	"bufio"
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
)

// ArraysMagic starts a prepared-arrays file.
const ArraysMagic = "SWEEPARR"

// ArraysHeader is the JSON header of a prepared-arrays file.
type ArraysHeader struct {
	Version  int       `json:"version"` // 1
	Features []string  `json:"features"`
	Target   string    `json:"target"`
	NumTrain int       `json:"num_train"`
	NumVal   int       `json:"num_val"`
	Mean     []float64 `json:"mean"`  // null when standardisation is off
	Scale    []float64 `json:"scale"` // null when standardisation is off
}

// WriteArrays writes d as a prepared-arrays file, the form in which models
// written in other languages (the Python SDK) receive exactly the rows,
// split and standardisation that Go models train on. The layout, every
// number little-endian:
//
//	8 bytes  "SWEEPARR"
//	8 bytes  uint64 n, the length of the header
//	n bytes  ArraysHeader as JSON, padded with spaces so that n is a multiple of 8
//	then float64 arrays: TrainX (num_train × features, row-major), TrainY
//	(num_train), ValX (num_val × features), ValY (num_val)
//
// The padding keeps the arrays 8-byte aligned, so that a reader can map
// them (numpy.frombuffer) without a copy.
func WriteArrays(w io.Writer, d *Dataset) error {
	header, err := json.Marshal(ArraysHeader{Version: 1, Features: d.Features, Target: d.Target,
		NumTrain: d.NumTrain, NumVal: d.NumVal, Mean: d.Mean, Scale: d.Scale})
	if err != nil {
		return err
	}
	for len(header)%8 != 0 {
		header = append(header, ' ')
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(ArraysMagic)
	binary.Write(bw, binary.LittleEndian, uint64(len(header)))
	bw.Write(header)
	var buf [8]byte
	for _, a := range [][]float64{d.TrainX, d.TrainY, d.ValX, d.ValY} {
		for _, x := range a {
			binary.LittleEndian.PutUint64(buf[:], math.Float64bits(x))
			bw.Write(buf[:])
		}
	}
	return bw.Flush() // a bufio.Writer keeps its first error for Flush
}

// PrepareArrays loads the data spec describes and writes it with
// WriteArrays into dir, unless an identical file is there already. It
// returns the file's path. The name is the SHA-256 of the content, so that
// processes preparing the same data at once (workers on a cluster) agree
// on one file, and data that changed gets a new one.
func PrepareArrays(ctx context.Context, spec Spec, dir string) (string, error) {
	d, err := Load(ctx, spec)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, ".arrays-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	sum := sha256.New()
	err = WriteArrays(io.MultiWriter(tmp, sum), d)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("writing the prepared data: %w", err)
	}
	path := filepath.Join(dir, hex.EncodeToString(sum.Sum(nil))[:24]+".f64")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	return path, os.Rename(tmp.Name(), path)
}
