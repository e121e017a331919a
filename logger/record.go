package logger

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// castagnoli is the CRC32C table TensorFlow's record format uses.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maskDelta is added to a rotated CRC by MaskedCRC.
const maskDelta = 0xa282ead8

// MaskedCRC returns the masked CRC32C (Castagnoli) of b that TensorFlow's
// record format stores: the CRC rotated right by 15 bits plus 0xa282ead8.
// Masking keeps a CRC of data that itself holds CRCs from looking valid.
func MaskedCRC(b []byte) uint32 {
	c := crc32c(b)
	return ((c >> 15) | (c << 17)) + maskDelta
}

// recordHeaderLen and recordFooterLen frame each record: a little-endian
// uint64 length and the masked CRC of those 8 bytes, then the data, then
// the masked CRC of the data.
const (
	recordHeaderLen = 12
	recordFooterLen = 4
)

// beginRecord reserves a record header at the end of b. The caller appends
// the record's data and then calls endRecord with the returned offset.
func beginRecord(b []byte) ([]byte, int) {
	return append(b, make([]byte, recordHeaderLen)...), len(b)
}

// endRecord fills in the header reserved at start and appends the footer.
func endRecord(b []byte, start int) []byte {
	data := b[start+recordHeaderLen:]
	hdr := b[start : start+recordHeaderLen]
	binary.LittleEndian.PutUint64(hdr, uint64(len(data)))
	binary.LittleEndian.PutUint32(hdr[8:], MaskedCRC(hdr[:8]))
	return binary.LittleEndian.AppendUint32(b, MaskedCRC(data))
}

// AppendRecord appends data framed as one TFRecord to b.
func AppendRecord(b, data []byte) []byte {
	b, start := beginRecord(b)
	b = append(b, data...)
	return endRecord(b, start)
}

// ErrTruncated is the error (tested with errors.Is) for a file that ends in
// the middle of a record: what a file still being written, or written by a
// process that was killed, looks like. The records before it are intact.
var ErrTruncated = errors.New("truncated record")

// ErrCorrupt is the error (tested with errors.Is) for a record whose length
// or data does not match its CRC, or whose data is not a valid Event.
var ErrCorrupt = errors.New("corrupt record")

// ErrClosed is returned by every method of a closed TrainingLogger.
var ErrClosed = errors.New("logger: closed")

// FormatError locates a problem in an event file. It wraps ErrTruncated or
// ErrCorrupt.
type FormatError struct {
	File   string // the file's path, or a name given to NewRecordReader
	Offset int64  // the byte offset of the record that is damaged
	Kind   error  // ErrTruncated or ErrCorrupt
	Detail string // what exactly is wrong
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%s: byte offset %d: %v: %s", e.File, e.Offset, e.Kind, e.Detail)
}

// Unwrap returns ErrTruncated or ErrCorrupt.
func (e *FormatError) Unwrap() error { return e.Kind }

// RecordReader reads the records of a TFRecord stream, verifying both CRCs of
// each.
type RecordReader struct {
	r      *bufio.Reader
	name   string
	offset int64 // of the next record
	buf    []byte
	err    error // sticky: set at the end of the stream or at damage
}

// NewRecordReader returns a reader of the records in r. name (usually the
// file's path) prefixes its errors.
func NewRecordReader(r io.Reader, name string) *RecordReader {
	return &RecordReader{r: bufio.NewReaderSize(r, 64<<10), name: name}
}

// Offset returns the byte offset of the record the next call to Next reads,
// or, after Next returned a *FormatError, of the damaged record.
func (rr *RecordReader) Offset() int64 { return rr.offset }

// Next returns the data of the next record. The slice is valid until the
// next call. At the clean end of the stream it returns io.EOF; a stream
// that ends inside a record gives a *FormatError wrapping ErrTruncated, a
// CRC mismatch one wrapping ErrCorrupt, and a read error is returned as is.
// Every error is sticky.
func (rr *RecordReader) Next() ([]byte, error) {
	if rr.err != nil {
		return nil, rr.err
	}
	data, err := rr.next()
	if err != nil {
		rr.err = err
		return nil, err
	}
	rr.offset += int64(recordHeaderLen + len(data) + recordFooterLen)
	return data, nil
}

func (rr *RecordReader) next() ([]byte, error) {
	var hdr [recordHeaderLen]byte
	n, err := io.ReadFull(rr.r, hdr[:])
	switch {
	case err == io.EOF:
		return nil, io.EOF
	case err == io.ErrUnexpectedEOF:
		return nil, rr.fail(ErrTruncated, "header has %d of %d bytes", n, recordHeaderLen)
	case err != nil:
		return nil, fmt.Errorf("%s: byte offset %d: %w", rr.name, rr.offset, err)
	}
	length := binary.LittleEndian.Uint64(hdr[:8])
	if got, want := MaskedCRC(hdr[:8]), binary.LittleEndian.Uint32(hdr[8:]); got != want {
		return nil, rr.fail(ErrCorrupt, "length has stored CRC %#08x, computed %#08x", want, got)
	}
	// The length has passed its CRC, but it is read in pieces anyway so that
	// a damaged file cannot make the reader allocate more than the file holds.
	const maxRecord = 1 << 40
	if length > maxRecord {
		return nil, rr.fail(ErrCorrupt, "record length %d is implausible", length)
	}
	want := int64(length) + recordFooterLen
	rr.buf = rr.buf[:0]
	for int64(len(rr.buf)) < want {
		chunk := min(want-int64(len(rr.buf)), 1<<20)
		at := len(rr.buf)
		rr.buf = append(rr.buf, make([]byte, chunk)...)
		n, err := io.ReadFull(rr.r, rr.buf[at:])
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, rr.fail(ErrTruncated, "record of %d bytes ends after %d", want+recordHeaderLen, recordHeaderLen+at+n)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: byte offset %d: %w", rr.name, rr.offset, err)
		}
	}
	data := rr.buf[:length]
	if got, want := MaskedCRC(data), binary.LittleEndian.Uint32(rr.buf[length:]); got != want {
		return nil, rr.fail(ErrCorrupt, "data has stored CRC %#08x, computed %#08x", want, got)
	}
	return data, nil
}

func (rr *RecordReader) fail(kind error, format string, args ...any) error {
	return &FormatError{File: rr.name, Offset: rr.offset, Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// crc32c returns the unmasked CRC32C of b.
func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
