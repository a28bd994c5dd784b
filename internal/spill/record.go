package spill

import (
	"encoding/binary"

	"github.com/tracectl/tracectl/internal/intern"
	"github.com/tracectl/tracectl/model"
)

// Record encoding for other spilled values (search results): the same
// field encodings as trace records, for a caller that lays out its own
// record. Append* add one field to b; a Decoder reads them back in the
// same order.

// AppendUvarint appends an unsigned integer.
func AppendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

// AppendString appends a length-prefixed string.
func AppendString(b []byte, s string) []byte { return appendString(b, s) }

// AppendAttributes appends a count-prefixed attribute list (every value
// type, nested arrays and maps included).
func AppendAttributes(b []byte, attrs []model.Attribute) []byte { return appendAttrs(b, attrs) }

// Decoder reads the fields of one record. The first malformed field makes
// Err non-nil and every later read return zero values, so a caller reads
// all its fields and checks Err once.
type Decoder struct {
	d decoder
}

// NewDecoder reads data; strings repeated across the records read with
// the same Strings are shared.
func NewDecoder(data []byte, strs *Strings) *Decoder {
	return &Decoder{d: decoder{b: data, strs: &strs.in}}
}

// Strings shares repeated strings among decoded records.
type Strings struct{ in intern.Table }

// Bytes reads len(dst) raw bytes (an ID) into dst.
func (d *Decoder) Bytes(dst []byte) { d.d.id(dst) }

// Uvarint reads an unsigned integer.
func (d *Decoder) Uvarint() uint64 { return d.d.uvarint() }

// String reads a string.
func (d *Decoder) String() string { return d.d.str(true) }

// Attributes reads an attribute list.
func (d *Decoder) Attributes() []model.Attribute { return d.d.attrs() }

// Count reads an element count (bounded by the bytes left).
func (d *Decoder) Count() int { return d.d.count() }

// Err is the first decoding error, including bytes left over after the
// last field once End was called.
func (d *Decoder) Err() error { return d.d.err }

// End checks that the record was read to its end.
func (d *Decoder) End() error {
	if d.d.err == nil && len(d.d.b) != 0 {
		d.d.err = errCorrupt
	}
	return d.d.err
}
