package spill

import (
	"encoding/binary"
	"errors"
	"math"
	"unsafe"

	"github.com/tracectl/tracectl/internal/intern"
	"github.com/tracectl/tracectl/model"
)

// The record of a trace: its ID, then its resource spans, each field in
// declaration order. Integers are varints, IDs raw bytes, strings and
// byte slices length-prefixed, slices count-prefixed.

func appendTrace(b []byte, t *model.Trace) []byte {
	b = append(b, t.TraceID[:]...)
	b = binary.AppendUvarint(b, uint64(len(t.ResourceSpans)))
	for i := range t.ResourceSpans {
		rs := &t.ResourceSpans[i]
		b = appendAttrs(b, rs.Resource.Attributes)
		b = binary.AppendUvarint(b, uint64(rs.Resource.DroppedAttributesCount))
		b = binary.AppendUvarint(b, uint64(len(rs.ScopeSpans)))
		for j := range rs.ScopeSpans {
			ss := &rs.ScopeSpans[j]
			b = appendString(b, ss.Scope.Name)
			b = appendString(b, ss.Scope.Version)
			b = appendAttrs(b, ss.Scope.Attributes)
			b = binary.AppendUvarint(b, uint64(ss.Scope.DroppedAttributesCount))
			b = binary.AppendUvarint(b, uint64(len(ss.Spans)))
			for k := range ss.Spans {
				b = appendSpan(b, &ss.Spans[k])
			}
		}
	}
	return b
}

func appendSpan(b []byte, s *model.Span) []byte {
	b = append(b, s.TraceID[:]...)
	b = append(b, s.SpanID[:]...)
	b = append(b, s.ParentSpanID[:]...)
	b = appendString(b, s.TraceState)
	b = appendString(b, s.Name)
	b = binary.AppendVarint(b, int64(s.Kind))
	b = binary.AppendUvarint(b, s.StartTimeUnixNano)
	b = binary.AppendUvarint(b, s.EndTimeUnixNano)
	b = appendAttrs(b, s.Attributes)
	b = binary.AppendUvarint(b, uint64(s.DroppedAttributesCount))
	b = binary.AppendUvarint(b, uint64(len(s.Events)))
	for i := range s.Events {
		e := &s.Events[i]
		b = binary.AppendUvarint(b, e.TimeUnixNano)
		b = appendString(b, e.Name)
		b = appendAttrs(b, e.Attributes)
		b = binary.AppendUvarint(b, uint64(e.DroppedAttributesCount))
	}
	b = binary.AppendUvarint(b, uint64(s.DroppedEventsCount))
	b = binary.AppendUvarint(b, uint64(len(s.Links)))
	for i := range s.Links {
		l := &s.Links[i]
		b = append(b, l.TraceID[:]...)
		b = append(b, l.SpanID[:]...)
		b = appendString(b, l.TraceState)
		b = appendAttrs(b, l.Attributes)
		b = binary.AppendUvarint(b, uint64(l.DroppedAttributesCount))
	}
	b = binary.AppendUvarint(b, uint64(s.DroppedLinksCount))
	b = binary.AppendVarint(b, int64(s.Status.Code))
	b = appendString(b, s.Status.Message)
	b = binary.AppendVarint(b, int64(s.NestedSetLeft))
	b = binary.AppendVarint(b, int64(s.NestedSetRight))
	return binary.AppendVarint(b, int64(s.ParentIndex))
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendAttrs(b []byte, attrs []model.Attribute) []byte {
	b = binary.AppendUvarint(b, uint64(len(attrs)))
	for i := range attrs {
		b = appendString(b, attrs[i].Key)
		b = appendValue(b, &attrs[i].Value)
	}
	return b
}

func appendValue(b []byte, v *model.Value) []byte {
	b = append(b, byte(v.Type))
	switch v.Type {
	case model.ValueString:
		b = appendString(b, v.Str)
	case model.ValueInt:
		b = binary.AppendVarint(b, v.Int)
	case model.ValueDouble:
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.Double))
	case model.ValueBool:
		if v.Bool {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	case model.ValueBytes:
		bs := v.Bytes()
		b = binary.AppendUvarint(b, uint64(len(bs)))
		b = append(b, bs...)
	case model.ValueArray:
		arr := v.Array()
		b = binary.AppendUvarint(b, uint64(len(arr)))
		for i := range arr {
			b = appendValue(b, &arr[i])
		}
	case model.ValueMap:
		b = appendAttrs(b, v.Map())
	}
	return b
}

var errCorrupt = errors.New("corrupt spill record")

// decoder reads one record; the first malformed field sets err and every
// later read returns zero values. With strs (a string table), strings are
// copies (repeated ones shared); without, they point into the record's
// bytes, which must then stay unchanged, and attribute lists are cut from
// a slab that the records of one reader share.
type decoder struct {
	b    []byte
	err  error
	strs *intern.Table
	slab *model.AttrBlock
}

// decodeTrace decodes a trace record, its strings copied through strs.
func decodeTrace(data []byte, strs *intern.Table) (*model.Trace, error) {
	return decodeRecord(&decoder{b: data, strs: strs})
}

// decodeOwnedTrace decodes a trace record whose bytes the trace keeps: its
// strings point into data, which the caller must not change or reuse. Its
// attribute lists are cut from slab, which the next records share.
func decodeOwnedTrace(data []byte, slab *model.AttrBlock) (*model.Trace, error) {
	return decodeRecord(&decoder{b: data, slab: slab})
}

func decodeRecord(d *decoder) (*model.Trace, error) {
	t := &model.Trace{}
	d.id(t.TraceID[:])
	t.ResourceSpans = make([]model.ResourceSpans, d.count())
	for i := range t.ResourceSpans {
		rs := &t.ResourceSpans[i]
		rs.Resource.Attributes = d.attrs()
		rs.Resource.DroppedAttributesCount = d.uint32()
		rs.ScopeSpans = make([]model.ScopeSpans, d.count())
		for j := range rs.ScopeSpans {
			ss := &rs.ScopeSpans[j]
			ss.Scope.Name = d.str(true)
			ss.Scope.Version = d.str(true)
			ss.Scope.Attributes = d.attrs()
			ss.Scope.DroppedAttributesCount = d.uint32()
			ss.Spans = make([]model.Span, d.count())
			for k := range ss.Spans {
				d.span(&ss.Spans[k])
			}
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	if d.err != nil {
		return nil, d.err
	}
	return t, nil
}

func (d *decoder) span(s *model.Span) {
	d.id(s.TraceID[:])
	d.id(s.SpanID[:])
	d.id(s.ParentSpanID[:])
	s.TraceState = d.str(false)
	s.Name = d.str(true)
	s.Kind = model.SpanKind(d.int32())
	s.StartTimeUnixNano = d.uvarint()
	s.EndTimeUnixNano = d.uvarint()
	s.Attributes = d.attrs()
	s.DroppedAttributesCount = d.uint32()
	if n := d.count(); n > 0 {
		s.Events = make([]model.Event, n)
		for i := range s.Events {
			e := &s.Events[i]
			e.TimeUnixNano = d.uvarint()
			e.Name = d.str(true)
			e.Attributes = d.attrs()
			e.DroppedAttributesCount = d.uint32()
		}
	}
	s.DroppedEventsCount = d.uint32()
	if n := d.count(); n > 0 {
		s.Links = make([]model.Link, n)
		for i := range s.Links {
			l := &s.Links[i]
			d.id(l.TraceID[:])
			d.id(l.SpanID[:])
			l.TraceState = d.str(false)
			l.Attributes = d.attrs()
			l.DroppedAttributesCount = d.uint32()
		}
	}
	s.DroppedLinksCount = d.uint32()
	s.Status.Code = model.StatusCode(d.int32())
	s.Status.Message = d.str(false)
	s.NestedSetLeft = d.int32()
	s.NestedSetRight = d.int32()
	s.ParentIndex = d.int32()
}

func (d *decoder) attrs() []model.Attribute {
	n := d.count()
	if n == 0 {
		return nil
	}
	attrs := d.attrSlice(n)
	for i := range attrs {
		attrs[i].Key = d.str(true)
		d.value(&attrs[i].Value, 0)
	}
	return attrs
}

// slabAttrs is how many attributes a slab holds (16 KiB).
const slabAttrs = 256

// attrSlice returns a zeroed list of n attributes: without strs, cut
// from the slab (capped, so an append copies it), which is refilled
// slabAttrs or n at a time; with it, allocated alone, as a search result
// keeps only some of its lists.
func (d *decoder) attrSlice(n int) []model.Attribute {
	if d.strs != nil {
		return make([]model.Attribute, n)
	}
	return d.slab.Cut(n)
}

// maxDepth bounds nested arrays and maps, so a corrupt record cannot
// recurse without end.
const maxDepth = 64

func (d *decoder) value(v *model.Value, depth int) {
	if depth > maxDepth {
		d.fail()
		return
	}
	if len(d.b) == 0 {
		d.fail()
		return
	}
	v.Type = model.ValueType(d.b[0])
	d.b = d.b[1:]
	switch v.Type {
	case model.ValueEmpty:
	case model.ValueString:
		v.Str = d.str(true)
	case model.ValueInt:
		v.Int = d.varint()
	case model.ValueDouble:
		if len(d.b) < 8 {
			d.fail()
			return
		}
		v.Double = math.Float64frombits(binary.LittleEndian.Uint64(d.b))
		d.b = d.b[8:]
	case model.ValueBool:
		if len(d.b) == 0 || d.b[0] > 1 {
			d.fail()
			return
		}
		v.Bool = d.b[0] == 1
		d.b = d.b[1:]
	case model.ValueBytes:
		n := d.count()
		if d.err == nil {
			*v = model.BytesValue(append([]byte(nil), d.b[:n]...))
			d.b = d.b[n:]
		}
	case model.ValueArray:
		arr := make([]model.Value, d.count())
		for i := range arr {
			d.value(&arr[i], depth+1)
		}
		*v = model.ArrayValue(arr...)
	case model.ValueMap:
		n := d.count()
		if n > 0 {
			m := make([]model.Attribute, n)
			for i := range m {
				m[i].Key = d.str(true)
				d.value(&m[i].Value, depth+1)
			}
			*v = model.MapValue(m...)
		}
	default:
		d.fail()
	}
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

func (d *decoder) id(dst []byte) {
	if len(d.b) < len(dst) {
		d.fail()
		return
	}
	copy(dst, d.b)
	d.b = d.b[len(dst):]
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uint32() uint32 {
	v := d.uvarint()
	if v > math.MaxUint32 {
		d.fail()
		return 0
	}
	return uint32(v)
}

func (d *decoder) int32() int32 {
	v := d.varint()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail()
		return 0
	}
	return int32(v)
}

// count reads a length or element count; it cannot exceed the bytes left
// (every element takes at least one byte), which bounds allocations.
func (d *decoder) count() int {
	v := d.uvarint()
	if v > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(v)
}

// str reads a string; with shared set, one met before (a key, a name)
// comes from d.strs.
func (d *decoder) str(shared bool) string {
	n := d.count()
	if n == 0 {
		return ""
	}
	raw := d.b[:n]
	d.b = d.b[n:]
	if d.strs == nil {
		return unsafe.String(&raw[0], n)
	}
	if shared {
		return d.strs.String(raw)
	}
	return string(raw)
}
