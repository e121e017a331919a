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
	b, err := mapFile(path, offset+8*n)
	if b == nil || err != nil {
		return nil, err
	}
	if n == 0 {
		return []float64{}, nil
	}
	data := b[offset : offset+8*n]
	if !littleEndian() {
		return decodeFloats(data), syscall.Munmap(b)
	}
	// offset is a multiple of 8 and mappings are page-aligned, so the
	// float64s are aligned.
	return unsafe.Slice((*float64)(unsafe.Pointer(&data[0])), n), nil
}

// littleEndian reports whether the machine stores numbers as the
// prepared-arrays files do.
func littleEndian() bool { return binary.NativeEndian.Uint16([]byte{1, 0}) == 1 }

// mapsFloat32 reports whether mapFloat32s can map a float32 sibling in
// place: on a little-endian machine.
func mapsFloat32() bool { return littleEndian() }

// mapFloat32s maps the file at path read-only and returns its n float32s
// from byte offset (a multiple of 4) on, in place, or nil when the file is
// shorter; as with mapFloats, the mapping is never unmapped. Only where
// mapsFloat32.
func mapFloat32s(path string, offset, n int) ([]float32, error) {
	b, err := mapFile(path, offset+4*n)
	if b == nil || err != nil {
		return nil, err
	}
	if n == 0 {
		return []float32{}, nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[offset])), n), nil
}

// mapFile maps the whole file at path read-only if it holds at least need
// bytes, and returns nil otherwise (cut short: the caller says so). An
// empty mapping (need 0) is a non-nil empty slice that maps nothing.
func mapFile(path string, need int) ([]byte, error) {
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
	if size < need {
		return nil, nil
	}
	if need == 0 {
		return []byte{}, nil
	}
	return syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
}
