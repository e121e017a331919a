//go:build unix

package dataset

import (
	"encoding/binary"
	"os"
	"syscall"
	"unsafe"
)

// mapFloats maps the file at path read-only and returns its n float64s
// from byte offset on, in place: a mapping is never unmapped, as a loaded
// dataset lives as long as its process (dataset.Cache keeps it). On a
// big-endian machine the values are decoded into memory instead.
func mapFloats(path string, offset, n int) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the mapping outlives the descriptor
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := int(fi.Size())
	if size < offset+8*n {
		return nil, nil // cut short: the caller says so
	}
	if n == 0 {
		return []float64{}, nil
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	data := b[offset : offset+8*n]
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		return decodeFloats(data), syscall.Munmap(b)
	}
	// offset is a multiple of 8 and mappings are page-aligned, so the
	// float64s are aligned.
	return unsafe.Slice((*float64)(unsafe.Pointer(&data[0])), n), nil
}
