//go:build !unix

package dataset

import "os"

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
