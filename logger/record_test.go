package logger

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
)

// The vectors below are the golden vectors of shared/tensorboard-format.md,
// which were checked against TensorBoard 2.22's own loader.

func TestMaskedCRCVector(t *testing.T) {
	data := []byte("123456789")
	if got, want := crc32c(data), uint32(0xe3069283); got != want {
		t.Errorf("crc32c(%q) = %#08x, want %#08x", data, got, want)
	}
	if got, want := MaskedCRC(data), uint32(0xc78ab0e5); got != want {
		t.Errorf("MaskedCRC(%q) = %#08x, want %#08x", data, got, want)
	}
}

func TestRecordVectors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		event  Event
		data   string // the serialized event, hex; "" to check only the record
		record string // the framed record, hex
	}{
		{
			name:   "file version",
			event:  Event{WallTime: 1700000000.0, FileVersion: FileVersion},
			data:   "0900000040fc54d9411a0d627261696e2e4576656e743a32",
			record: "1800000000000000" + "a37f4b22" + "0900000040fc54d9411a0d627261696e2e4576656e743a32" + "eced8f9d",
		},
		{
			name: "scalar",
			event: Event{WallTime: 1700000001.0, Step: 3, Summary: []Value{
				{Tag: "loss", Kind: KindSimple, Simple: 0.5},
			}},
			record: "1a00000000000000129bd82d0900004040fc54d94110032a0d0a0b0a046c6f7373150000003f2f136d5e",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := AppendEvent(nil, &tc.event)
			if tc.data != "" && hex.EncodeToString(data) != tc.data {
				t.Errorf("event bytes\n got %x\nwant %s", data, tc.data)
			}
			rec := AppendRecord(nil, data)
			if got := hex.EncodeToString(rec); got != tc.record {
				t.Errorf("record bytes\n got %s\nwant %s", got, tc.record)
			}
			// The in-place framing the logger uses gives the same bytes.
			if got := hex.EncodeToString(appendEventRecord(nil, &tc.event)); got != tc.record {
				t.Errorf("appendEventRecord\n got %s\nwant %s", got, tc.record)
			}
			rr := NewRecordReader(bytes.NewReader(rec), "vector")
			back, err := rr.Next()
			if err != nil || !bytes.Equal(back, data) {
				t.Fatalf("Next() = %x, %v; want %x", back, err, data)
			}
			if _, err := rr.Next(); err != io.EOF {
				t.Errorf("Next() at end = %v, want io.EOF", err)
			}
		})
	}
}

// TestRecordReaderDamage cuts and flips bytes of a two-record stream and
// checks the error kind and the offset it names.
func TestRecordReaderDamage(t *testing.T) {
	first := AppendRecord(nil, []byte("first record"))
	stream := AppendRecord(bytes.Clone(first), []byte("second"))
	off := int64(len(first)) // where the second record starts
	flip := func(i int) []byte { b := bytes.Clone(stream); b[i] ^= 0x40; return b }
	for _, tc := range []struct {
		name string
		in   []byte
		kind error
		at   int64
	}{
		{"cut in header", stream[:off+5], ErrTruncated, off},
		{"cut after header", stream[:off+recordHeaderLen], ErrTruncated, off},
		{"cut in data", stream[:off+recordHeaderLen+3], ErrTruncated, off},
		{"cut in footer", stream[:len(stream)-1], ErrTruncated, off},
		{"length flipped", flip(int(off) + 1), ErrCorrupt, off},
		{"length CRC flipped", flip(int(off) + 9), ErrCorrupt, off},
		{"data flipped", flip(int(off) + recordHeaderLen + 2), ErrCorrupt, off},
		{"data CRC flipped", flip(len(stream) - 2), ErrCorrupt, off},
		{"first data flipped", flip(recordHeaderLen), ErrCorrupt, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rr := NewRecordReader(bytes.NewReader(tc.in), "damaged.tfevents")
			var err error
			for err == nil {
				_, err = rr.Next()
			}
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, tc.kind) {
				t.Fatalf("error %v, want a *FormatError wrapping %v", err, tc.kind)
			}
			if fe.Offset != tc.at || rr.Offset() != tc.at {
				t.Errorf("offset %d (reader says %d), want %d", fe.Offset, rr.Offset(), tc.at)
			}
			if !strings.Contains(err.Error(), "damaged.tfevents") {
				t.Errorf("error %q does not name the file", err)
			}
			if _, again := rr.Next(); again != err {
				t.Errorf("error is not sticky: %v then %v", err, again)
			}
		})
	}
}
