package logger

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// This file holds the two halves of the protobuf wire format that the
// TensorBoard messages need. Encoding appends straight into the caller's
// buffer so that a record is built without intermediate allocations;
// decoding walks fields one at a time and leaves unknown fields alone, as
// protobuf requires.

// appendMessage appends field num holding the message that fill appends.
// One byte is reserved for the length, which covers almost every nested
// message; a longer length shifts the content once.
func appendMessage(b []byte, num protowire.Number, fill func([]byte) []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	at := len(b)
	b = append(b, 0)
	b = fill(b)
	n := len(b) - at - 1
	if size := protowire.SizeVarint(uint64(n)); size > 1 {
		b = append(b, make([]byte, size-1)...)
		copy(b[at+size:], b[at+1:at+1+n])
	}
	protowire.AppendVarint(b[at:at], uint64(n))
	return b
}

// appendBytes appends a string or bytes field, omitting the proto3 default
// (empty).
func appendBytes[T string | []byte](b []byte, num protowire.Number, v T) []byte {
	if len(v) == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(len(v)))
	return append(b, v...)
}

// appendVarint appends an integer field, omitting the proto3 default 0.
func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// appendDouble appends a double field, omitting the proto3 default +0.
// NaN and -0 are written: their bits differ from the default's.
func appendDouble(b []byte, num protowire.Number, v float64) []byte {
	bits := math.Float64bits(v)
	if bits == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, bits)
}

// appendFloat appends a float field, omitting the proto3 default +0.
func appendFloat(b []byte, num protowire.Number, v float32) []byte {
	bits := math.Float32bits(v)
	if bits == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.Fixed32Type)
	return protowire.AppendFixed32(b, bits)
}

// appendPackedDoubles appends a packed repeated double field.
func appendPackedDoubles(b []byte, num protowire.Number, v []float64) []byte {
	if len(v) == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(8*len(v)))
	for _, x := range v {
		b = protowire.AppendFixed64(b, math.Float64bits(x))
	}
	return b
}

// field is one decoded field: its number and wire type, with the value in
// u (varint, fixed32 and fixed64 types) or in b (bytes type).
type field struct {
	num protowire.Number
	typ protowire.Type
	u   uint64
	b   []byte
}

// walk calls fn for each field of the message msg, in order. It stops at the
// first malformed field or at the first error fn returns.
func walk(msg []byte, what string, fn func(f field) error) error {
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return fmt.Errorf("%s: bad field tag: %v", what, protowire.ParseError(n))
		}
		msg = msg[n:]
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			f.u, n = protowire.ConsumeVarint(msg)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(msg)
			f.u = uint64(v)
		case protowire.Fixed64Type:
			f.u, n = protowire.ConsumeFixed64(msg)
		case protowire.BytesType:
			f.b, n = protowire.ConsumeBytes(msg)
		default:
			// Groups are obsolete and appear in none of TensorBoard's
			// messages, but a well-formed one is skipped, not refused.
			n = protowire.ConsumeFieldValue(num, typ, msg)
		}
		if n < 0 {
			return fmt.Errorf("%s: field %d: %v", what, num, protowire.ParseError(n))
		}
		msg = msg[n:]
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// wrongType reports a known field that arrived with an unexpected wire type.
func wrongType(what string, f field) error {
	return fmt.Errorf("%s: field %d has wire type %d", what, f.num, f.typ)
}

// wantBytes, wantVarint, wantFixed64 and wantFixed32 check a known field's
// wire type.
func wantBytes(what string, f field) error   { return want(what, f, protowire.BytesType) }
func wantVarint(what string, f field) error  { return want(what, f, protowire.VarintType) }
func wantFixed64(what string, f field) error { return want(what, f, protowire.Fixed64Type) }
func wantFixed32(what string, f field) error { return want(what, f, protowire.Fixed32Type) }

func want(what string, f field, t protowire.Type) error {
	if f.typ != t {
		return wrongType(what, f)
	}
	return nil
}

// stringField sets *dst to a known string field's value, checking its wire
// type.
func stringField(dst *string, what string, f field) error {
	*dst = string(f.b)
	return wantBytes(what, f)
}

// doubles decodes a repeated double field, packed or not, appending to dst.
func doubles(dst []float64, what string, f field) ([]float64, error) {
	switch f.typ {
	case protowire.Fixed64Type:
		return append(dst, math.Float64frombits(f.u)), nil
	case protowire.BytesType:
		if len(f.b)%8 != 0 {
			return dst, fmt.Errorf("%s: field %d: packed doubles of %d bytes", what, f.num, len(f.b))
		}
		for b := f.b; len(b) > 0; b = b[8:] {
			v, _ := protowire.ConsumeFixed64(b)
			dst = append(dst, math.Float64frombits(v))
		}
		return dst, nil
	}
	return dst, wrongType(what, f)
}

// floats decodes a repeated float field, packed or not, appending to dst.
func floats(dst []float32, what string, f field) ([]float32, error) {
	switch f.typ {
	case protowire.Fixed32Type:
		return append(dst, math.Float32frombits(uint32(f.u))), nil
	case protowire.BytesType:
		if len(f.b)%4 != 0 {
			return dst, fmt.Errorf("%s: field %d: packed floats of %d bytes", what, f.num, len(f.b))
		}
		for b := f.b; len(b) > 0; b = b[4:] {
			v, _ := protowire.ConsumeFixed32(b)
			dst = append(dst, math.Float32frombits(v))
		}
		return dst, nil
	}
	return dst, wrongType(what, f)
}
