//go:build !unix

package dataset

import (
	"errors"
	"os"
)

// mapFloats reads the file at path and returns its n float64s from byte
// offset on. Where there is no mmap each process holds its own copy.
func mapFloats(path string, offset, n int) ([]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < offset+8*n {
		return nil, nil // cut short: the caller says so
	}
	return decodeFloats(b[offset : offset+8*n]), nil
}

// mapsFloat32 reports whether mapFloat32s can map a float32 sibling: not
// without mmap, where Dataset.Float32 converts in memory instead (reading a
// file would cost as much memory and more time).
func mapsFloat32() bool { return false }

func mapFloat32s(path string, offset, n int) ([]float32, error) {
	return nil, errors.New("no memory mapping on this system")
}
