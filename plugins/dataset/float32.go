package dataset

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// Arrays32Magic starts the float32 sibling of a prepared-arrays file (see
// Float32Path).
const Arrays32Magic = "SWEEPF32"

// Float32Path returns the path of the float32 sibling of the
// prepared-arrays file at path: the same data rounded to float32, which
// Dataset.Float32 writes beside it the first time a float32 trial needs it
// and maps from then on. Its layout is the prepared-arrays file's (see
// WriteArrays) with Arrays32Magic in place of ArraysMagic, the very same
// header bytes (so the arrays start at the same 8-byte-aligned offset), and
// the four arrays as little-endian float32s, each value float32(x) of the
// float64 x it comes from (round to nearest even), one array right after
// the other. Deleting it is always safe: it is written again when needed.
func Float32Path(path string) string { return path + ".f32" }

// Float32Arrays are a dataset's matrices rounded to float32, float32(x) for
// each value x, in the same layout. Like the float64 matrices they are
// shared and must not be modified.
type Float32Arrays struct {
	TrainX, TrainY []float32
	ValX, ValY     []float32
	// File is the float32 sibling mapped (Float32Path of the dataset's
	// prepared file); "" when the arrays were converted in memory.
	File string
	// Err says why a dataset from a prepared file could not map a float32
	// sibling (a read-only or full disk); the arrays were then converted
	// in memory. Nil otherwise.
	Err error
}

// float32Writes counts the siblings written (or begun), for the tests.
var float32Writes atomic.Int64

// float32Memo is a dataset's Float32Arrays, made on first use.
type float32Memo struct {
	once sync.Once
	v    *Float32Arrays
}

// Float32 returns d's matrices rounded to float32, made once per Dataset
// and shared by every caller, as the float64 ones are: a float32 network
// trains on them instead of converting its own copy.
//
// For a dataset mapped from a prepared-arrays file (Spec.File) they are its
// float32 sibling (Float32Path), mapped read-only: every process on the
// machine shares one copy in the page cache. The first process to need the
// sibling writes it, under a temporary name renamed into place, so that
// processes racing to write it are safe and none ever reads half of one; a
// sibling that does not match the file (wrong header or size, a value that
// is not the rounded float64 one) is written again. Elsewhere (data loaded
// directly, no mmap, a big-endian machine, or the sibling could not be
// written: see Err) the matrices are converted in memory, once per Dataset.
func (d *Dataset) Float32() *Float32Arrays {
	d.f32.once.Do(func() {
		if d.Spec.File != "" && mapsFloat32() {
			a, err := openFloat32(d.Spec.File, d)
			if err == nil {
				d.f32.v = a
				return
			}
			d.f32.v = d.convert32()
			d.f32.v.Err = err
			return
		}
		d.f32.v = d.convert32()
	})
	return d.f32.v
}

// convert32 returns d's matrices rounded to float32, in memory.
func (d *Dataset) convert32() *Float32Arrays {
	return &Float32Arrays{TrainX: round32(d.TrainX), TrainY: round32(d.TrainY), ValX: round32(d.ValX), ValY: round32(d.ValY)}
}

func round32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// openFloat32 maps the float32 sibling of the prepared file at path, from
// which d was loaded, writing it first if it is missing or wrong.
func openFloat32(path string, d *Dataset) (*Float32Arrays, error) {
	h, err := readArraysHeader(path)
	if err != nil {
		return nil, err
	}
	nf := len(h.Features)
	if len(d.TrainX) != h.NumTrain*nf || len(d.TrainY) != h.NumTrain || len(d.ValX) != h.NumVal*nf || len(d.ValY) != h.NumVal {
		return nil, fmt.Errorf("%s: not the file the data was loaded from", path)
	}
	sib := Float32Path(path)
	if checkFloat32(sib, h, d) != nil {
		if err := writeFloat32(sib, h, d); err != nil {
			return nil, fmt.Errorf("writing the float32 data: %w", err)
		}
	}
	values, err := mapFloat32s(sib, h.dataOffset, h.values())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sib, err)
	}
	if len(values) != h.values() {
		return nil, fmt.Errorf("%s: cut short", sib)
	}
	a := &Float32Arrays{File: sib}
	at := 0
	take := func(n int) []float32 {
		s := values[at : at+n : at+n] // capped: an append never writes into the mapping
		at += n
		return s
	}
	a.TrainX, a.TrainY = take(len(d.TrainX)), take(len(d.TrainY))
	a.ValX, a.ValY = take(len(d.ValX)), take(len(d.ValY))
	return a, nil
}

// checkFloat32 says why the file at path is not the float32 sibling of d's
// prepared file, whose header is h, or nil if it is: it must have h's very
// header bytes and size, and the first and last value of each array must
// be the float64 ones rounded. Those few reads catch a sibling of other
// data or one cut short; the values in between are trusted, as the
// float64 file's are.
func checkFloat32(path string, h fileHeader, d *Dataset) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	s, err := parseArraysHeader(bufio.NewReader(f), path, Arrays32Magic)
	if err != nil {
		return err
	}
	if !bytes.Equal(s.raw, h.raw) {
		return fmt.Errorf("%s: another header than its float64 file's", path)
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if want := int64(h.dataOffset) + 4*int64(h.values()); fi.Size() != want {
		return fmt.Errorf("%s: %d bytes, want %d", path, fi.Size(), want)
	}
	off := int64(h.dataOffset)
	var b [4]byte
	for _, a := range [][]float64{d.TrainX, d.TrainY, d.ValX, d.ValY} {
		for _, i := range []int{0, len(a) - 1} {
			if i < 0 {
				continue
			}
			if _, err := f.ReadAt(b[:], off+4*int64(i)); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if binary.LittleEndian.Uint32(b[:]) != math.Float32bits(float32(a[i])) {
				return fmt.Errorf("%s: a value is not its float64 file's rounded", path)
			}
		}
		off += 4 * int64(len(a))
	}
	return nil
}

// writeFloat32 writes the float32 sibling of d's prepared file, whose
// header is h, to path: under a temporary name in the same directory,
// renamed into place. If another process has put a good sibling there in
// the meantime, that one is kept (other processes may have mapped it) and
// this one dropped.
func writeFloat32(path string, h fileHeader, d *Dataset) error {
	float32Writes.Add(1)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".arrays32-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	bw := bufio.NewWriterSize(tmp, 1<<20)
	bw.WriteString(Arrays32Magic)
	binary.Write(bw, binary.LittleEndian, uint64(len(h.raw)))
	bw.Write(h.raw)
	const chunk = 4096
	buf := make([]byte, 4*chunk)
	for _, a := range [][]float64{d.TrainX, d.TrainY, d.ValX, d.ValY} {
		for len(a) > 0 {
			n := min(len(a), chunk)
			for i, x := range a[:n] {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(float32(x)))
			}
			bw.Write(buf[:4*n])
			a = a[n:]
		}
	}
	err = bw.Flush() // a bufio.Writer keeps its first error for Flush
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if checkFloat32(path, h, d) == nil {
		return nil
	}
	return os.Rename(tmp.Name(), path)
}
