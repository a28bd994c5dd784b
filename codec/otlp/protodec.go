package otlp

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/model"
)

// protoDecoder decodes OTLP protobuf (ExportTraceServiceRequest or
// TracesData) straight into the model. It gives what pdata's
// ProtoUnmarshaler followed by FromPdata gives, and accepts and rejects
// the same inputs (pdata v1.71.0): unknown fields are skipped as pdata
// skips them, a repeated scalar field keeps its last value, a repeated
// message field (a span's status, a scope, a resource) is merged into the
// earlier one, and known fields of the wrong wire type, IDs of the wrong
// length and values nested past pdataRecursionLimit are errors.
//
// The decoder is reused across the chunks of one message, so that its
// builder's attribute blocks and interned strings serve them all; it
// should not outlive the message.
type protoDecoder struct {
	builder
}

// errRecursionDepth is what pdata says when values nest too deep (its
// proto.ErrRecursionDepth); decodeProtoChunk explains it.
var errRecursionDepth = errors.New("proto: exceeded max recursion depth")

func newProtoDecoder() *protoDecoder {
	return &protoDecoder{builder: newBuilder()}
}

// traces decodes an ExportTraceServiceRequest (or TracesData). After an
// error the decoder's stacks hold leftovers, which the next call drops.
func (d *protoDecoder) traces(b []byte) ([]model.ResourceSpans, error) {
	d.reset()
	out := make([]model.ResourceSpans, 0, countField(b, 1))
	r := wireReader{b: b}
	err := r.fields(func(num int32, typ protowire.Type) error {
		if num != 1 { // resource_spans
			return r.skip(typ)
		}
		m, err := r.message(typ, num)
		if err != nil {
			return err
		}
		out = append(out, model.ResourceSpans{})
		return at(d.resourceSpans(m, &out[len(out)-1]), "resourceSpans", len(out)-1)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (d *protoDecoder) resourceSpans(b []byte, rs *model.ResourceSpans) error {
	rs.ScopeSpans = make([]model.ScopeSpans, 0, countField(b, 2))
	deprecated := 0
	r := wireReader{b: b}
	return r.fields(func(num int32, typ protowire.Type) error {
		var (
			m   []byte
			err error
		)
		switch num {
		case 1: // resource
			if m, err = r.message(typ, num); err == nil {
				err = at(d.resource(m, &rs.Resource), "resource", -1)
			}
		case 2: // scope_spans
			if m, err = r.message(typ, num); err == nil {
				rs.ScopeSpans = append(rs.ScopeSpans, model.ScopeSpans{})
				err = at(d.scopeSpans(m, &rs.ScopeSpans[len(rs.ScopeSpans)-1]), "scopeSpans", len(rs.ScopeSpans)-1)
			}
		case 3: // schema_url
			_, err = r.bytes(typ, num)
		case 1000: // instrumentation_library_spans: checked, then dropped as pdata's ProtoUnmarshaler does
			if m, err = r.message(typ, num); err == nil {
				var ss model.ScopeSpans
				err = at(d.scopeSpans(m, &ss), "instrumentationLibrarySpans", deprecated)
				deprecated++
			}
		default:
			err = r.skip(typ)
		}
		return err
	})
}

// resource decodes a Resource into res, adding to what an earlier
// resource field of the same ResourceSpans set.
func (d *protoDecoder) resource(b []byte, res *model.Resource) error {
	start, refs := len(d.attrs), 0
	r := wireReader{b: b}
	err := r.fields(func(num int32, typ protowire.Type) error {
		var err error
		switch num {
		case 1: // attributes
			err = d.attribute(&r, typ, num, len(res.Attributes)+len(d.attrs)-start)
		case 2: // dropped_attributes_count
			var v uint64
			v, err = r.varint(typ, num)
			res.DroppedAttributesCount = uint32(v)
		case 3: // entity_refs
			var m []byte
			if m, err = r.message(typ, num); err == nil {
				err = at(entityRef(m), "entityRefs", refs)
				refs++
			}
		default:
			err = r.skip(typ)
		}
		return err
	})
	if err != nil {
		return err
	}
	res.Attributes = d.popAttrs(res.Attributes, start)
	return nil
}

// entityRef checks an EntityRef, which the model has no place for.
func entityRef(b []byte) error {
	r := wireReader{b: b}
	return r.fields(func(num int32, typ protowire.Type) error {
		var err error
		switch num {
		case 1, 2, 3, 4: // schema_url, type, id_keys, description_keys
			_, err = r.bytes(typ, num)
		default:
			err = r.skip(typ)
		}
		return err
	})
}

func (d *protoDecoder) scopeSpans(b []byte, ss *model.ScopeSpans) error {
	ss.Spans = make([]model.Span, 0, countField(b, 2))
	r := wireReader{b: b}
	return r.fields(func(num int32, typ protowire.Type) error {
		var err error
		switch num {
		case 1: // scope
			var m []byte
			if m, err = r.message(typ, num); err == nil {
				err = at(d.scope(m, &ss.Scope), "scope", -1)
			}
		case 2: // spans
			var m []byte
			if m, err = r.message(typ, num); err == nil {
				ss.Spans = append(ss.Spans, model.Span{})
				err = at(d.span(m, &ss.Spans[len(ss.Spans)-1]), "spans", len(ss.Spans)-1)
			}
		case 3: // schema_url
			_, err = r.bytes(typ, num)
		default:
			err = r.skip(typ)
		}
		return err
	})
}

// scope decodes an InstrumentationScope into sc, adding to what an
// earlier scope field of the same ScopeSpans set.
func (d *protoDecoder) scope(b []byte, sc *model.Scope) error {
	start := len(d.attrs)
	r := wireReader{b: b}
	err := r.fields(func(num int32, typ protowire.Type) error {
		var (
			s   []byte
			err error
		)
		switch num {
		case 1: // name
			s, err = r.bytes(typ, num)
			sc.Name = d.str(s)
		case 2: // version
			s, err = r.bytes(typ, num)
			sc.Version = d.str(s)
		case 3: // attributes
			err = d.attribute(&r, typ, num, len(sc.Attributes)+len(d.attrs)-start)
		case 4: // dropped_attributes_count
			var v uint64
			v, err = r.varint(typ, num)
			sc.DroppedAttributesCount = uint32(v)
		default:
			err = r.skip(typ)
		}
		return err
	})
	if err != nil {
		return err
	}
	sc.Attributes = d.popAttrs(sc.Attributes, start)
	return nil
}

func (d *protoDecoder) span(b []byte, s *model.Span) error {
	start, evStart, lnStart := len(d.attrs), len(d.events), len(d.links)
	r := wireReader{b: b}
	err := r.fields(func(num int32, typ protowire.Type) error {
		var (
			m   []byte
			v   uint64
			err error
		)
		switch num {
		case 1: // trace_id
			m, err = r.bytes(typ, num)
			err = setID(s.TraceID[:], m, err, "trace ID")
		case 2: // span_id
			m, err = r.bytes(typ, num)
			err = setID(s.SpanID[:], m, err, "span ID")
		case 3: // trace_state
			m, err = r.bytes(typ, num)
			s.TraceState = d.str(m)
		case 4: // parent_span_id
			m, err = r.bytes(typ, num)
			err = setID(s.ParentSpanID[:], m, err, "parent span ID")
		case 5: // name
			m, err = r.bytes(typ, num)
			s.Name = d.str(m)
		case 6: // kind
			v, err = r.varint(typ, num)
			s.Kind = model.SpanKind(int32(v))
		case 7: // start_time_unix_nano
			s.StartTimeUnixNano, err = r.fixed64(typ, num)
		case 8: // end_time_unix_nano
			s.EndTimeUnixNano, err = r.fixed64(typ, num)
		case 9: // attributes
			err = d.attribute(&r, typ, num, len(d.attrs)-start)
		case 10: // dropped_attributes_count
			v, err = r.varint(typ, num)
			s.DroppedAttributesCount = uint32(v)
		case 11: // events
			if m, err = r.message(typ, num); err == nil {
				d.events = append(d.events, model.Event{})
				err = at(d.event(m, &d.events[len(d.events)-1]), "events", len(d.events)-1-evStart)
			}
		case 12: // dropped_events_count
			v, err = r.varint(typ, num)
			s.DroppedEventsCount = uint32(v)
		case 13: // links
			if m, err = r.message(typ, num); err == nil {
				d.links = append(d.links, model.Link{})
				err = at(d.link(m, &d.links[len(d.links)-1]), "links", len(d.links)-1-lnStart)
			}
		case 14: // dropped_links_count
			v, err = r.varint(typ, num)
			s.DroppedLinksCount = uint32(v)
		case 15: // status
			if m, err = r.message(typ, num); err == nil {
				err = at(d.status(m, &s.Status), "status", -1)
			}
		case 16: // flags
			_, err = r.fixed32(typ, num)
		default:
			err = r.skip(typ)
		}
		return err
	})
	if err != nil {
		return err
	}
	s.Attributes = d.popAttrs(nil, start)
	s.Events = pop(&d.events, evStart)
	s.Links = pop(&d.links, lnStart)
	return nil
}

func (d *protoDecoder) status(b []byte, st *model.Status) error {
	r := wireReader{b: b}
	return r.fields(func(num int32, typ protowire.Type) error {
		var err error
		switch num {
		case 2: // message
			var m []byte
			m, err = r.bytes(typ, num)
			st.Message = d.str(m)
		case 3: // code
			var v uint64
			v, err = r.varint(typ, num)
			st.Code = model.StatusCode(int32(v))
		default:
			err = r.skip(typ)
		}
		return err
	})
}

func (d *protoDecoder) event(b []byte, e *model.Event) error {
	start := len(d.attrs)
	r := wireReader{b: b}
	err := r.fields(func(num int32, typ protowire.Type) error {
		var err error
		switch num {
		case 1: // time_unix_nano
			e.TimeUnixNano, err = r.fixed64(typ, num)
		case 2: // name
			var m []byte
			m, err = r.bytes(typ, num)
			e.Name = d.str(m)
		case 3: // attributes
			err = d.attribute(&r, typ, num, len(d.attrs)-start)
		case 4: // dropped_attributes_count
			var v uint64
			v, err = r.varint(typ, num)
			e.DroppedAttributesCount = uint32(v)
		default:
			err = r.skip(typ)
		}
		return err
	})
	if err != nil {
		return err
	}
	e.Attributes = d.popAttrs(nil, start)
	return nil
}

func (d *protoDecoder) link(b []byte, l *model.Link) error {
	start := len(d.attrs)
	r := wireReader{b: b}
	err := r.fields(func(num int32, typ protowire.Type) error {
		var (
			m   []byte
			err error
		)
		switch num {
		case 1: // trace_id
			m, err = r.bytes(typ, num)
			err = setID(l.TraceID[:], m, err, "trace ID")
		case 2: // span_id
			m, err = r.bytes(typ, num)
			err = setID(l.SpanID[:], m, err, "span ID")
		case 3: // trace_state
			m, err = r.bytes(typ, num)
			l.TraceState = d.str(m)
		case 4: // attributes
			err = d.attribute(&r, typ, num, len(d.attrs)-start)
		case 5: // dropped_attributes_count
			var v uint64
			v, err = r.varint(typ, num)
			l.DroppedAttributesCount = uint32(v)
		case 6: // flags
			_, err = r.fixed32(typ, num)
		default:
			err = r.skip(typ)
		}
		return err
	})
	if err != nil {
		return err
	}
	l.Attributes = d.popAttrs(nil, start)
	return nil
}

// setID sets id from b, which must be empty (a zero ID) or id's length,
// unless err is already set.
func setID(id, b []byte, err error, what string) error {
	if err != nil {
		return err
	}
	if len(b) == 0 {
		clear(id)
		return nil
	}
	if len(b) != len(id) {
		return fmt.Errorf("%s of %s, want %d", what, codec.Plural(len(b), "byte", "bytes"), len(id))
	}
	copy(id, b)
	return nil
}

// attribute decodes one KeyValue field (at depth 0), the i-th attribute
// of its message, onto the attribute stack.
func (d *protoDecoder) attribute(r *wireReader, typ protowire.Type, num int32, i int) error {
	m, err := r.message(typ, num)
	if err != nil {
		return err
	}
	return at(d.keyValue(m, 0), "attributes", i)
}

// pathError is a decoding error and where it is, as a JSON path from the
// request ($), so that rebaseError can shift its resource index.
type pathError struct {
	path string
	err  error
}

func (e *pathError) Error() string { return "$" + e.path + ": " + e.err.Error() }
func (e *pathError) Unwrap() error { return e.err }

// at puts ".name[i]" (".name" if i < 0) in front of err's path; nil
// stays nil.
func at(err error, name string, i int) error {
	if err == nil {
		return nil
	}
	seg := "." + name
	if i >= 0 {
		seg += "[" + strconv.Itoa(i) + "]"
	}
	if pe, ok := err.(*pathError); ok {
		pe.path = seg + pe.path
		return pe
	}
	return &pathError{path: seg, err: err}
}

// keyValue decodes a KeyValue at the given nesting depth and pushes it
// on the attribute stack.
func (d *protoDecoder) keyValue(b []byte, depth int) error {
	if depth >= pdataRecursionLimit {
		return errRecursionDepth
	}
	depth++
	var kv model.Attribute
	r := wireReader{b: b}
	err := r.fields(func(num int32, typ protowire.Type) error {
		var err error
		switch num {
		case 1: // key
			var m []byte
			m, err = r.bytes(typ, num)
			kv.Key = d.str(m)
		case 2: // value
			var m []byte
			if m, err = r.message(typ, num); err == nil {
				err = d.anyValue(m, depth, &kv.Value)
			}
		case 3: // key_strindex
			_, err = r.varint(typ, num)
		default:
			err = r.skip(typ)
		}
		return err
	})
	if err != nil {
		return err
	}
	d.attrs = append(d.attrs, kv)
	return nil
}

// anyValue decodes an AnyValue into v. Each field of the oneof replaces
// what v held, as in pdata; a string_value_strindex makes it empty (the
// model has no string tables).
func (d *protoDecoder) anyValue(b []byte, depth int, v *model.Value) error {
	if depth >= pdataRecursionLimit {
		return errRecursionDepth
	}
	depth++
	r := wireReader{b: b}
	return r.fields(func(num int32, typ protowire.Type) error {
		var (
			m   []byte
			u   uint64
			err error
		)
		switch num {
		case 1: // string_value
			if m, err = r.bytes(typ, num); err == nil {
				*v = model.StringValue(d.str(m))
			}
		case 2: // bool_value
			if u, err = r.varint(typ, num); err == nil {
				*v = model.BoolValue(u != 0)
			}
		case 3: // int_value
			if u, err = r.varint(typ, num); err == nil {
				*v = model.IntValue(int64(u))
			}
		case 4: // double_value
			if u, err = r.fixed64(typ, num); err == nil {
				*v = model.DoubleValue(math.Float64frombits(u))
			}
		case 5: // array_value
			if m, err = r.message(typ, num); err == nil {
				var arr []model.Value
				if arr, err = d.arrayValue(m, depth); err == nil {
					*v = model.ArrayValue(arr...)
				}
			}
		case 6: // kvlist_value
			if m, err = r.message(typ, num); err == nil {
				start := len(d.attrs)
				if err = d.kvList(m, depth); err == nil {
					*v = model.MapValue(d.popAttrs(nil, start)...)
				}
			}
		case 7: // bytes_value
			if m, err = r.bytes(typ, num); err == nil {
				var c []byte
				if len(m) > 0 {
					c = append([]byte(nil), m...)
				}
				*v = model.BytesValue(c)
			}
		case 8: // string_value_strindex
			if _, err = r.varint(typ, num); err == nil {
				*v = model.Value{}
			}
		default:
			err = r.skip(typ)
		}
		return err
	})
}

// arrayValue decodes an ArrayValue's elements: a non-nil slice, empty for
// an empty array (as FromPdata makes it).
func (d *protoDecoder) arrayValue(b []byte, depth int) ([]model.Value, error) {
	if depth >= pdataRecursionLimit {
		return nil, errRecursionDepth
	}
	depth++
	start := len(d.values)
	r := wireReader{b: b}
	err := r.fields(func(num int32, typ protowire.Type) error {
		if num != 1 { // values
			return r.skip(typ)
		}
		m, err := r.message(typ, num)
		if err != nil {
			return err
		}
		var v model.Value
		if err = d.anyValue(m, depth, &v); err != nil {
			return err
		}
		d.values = append(d.values, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d.popValues(start), nil
}

// kvList decodes a KeyValueList's entries onto the attribute stack.
func (d *protoDecoder) kvList(b []byte, depth int) error {
	if depth >= pdataRecursionLimit {
		return errRecursionDepth
	}
	depth++
	r := wireReader{b: b}
	return r.fields(func(num int32, typ protowire.Type) error {
		if num != 1 { // values
			return r.skip(typ)
		}
		m, err := r.message(typ, num)
		if err != nil {
			return err
		}
		return d.keyValue(m, depth)
	})
}

// countField counts the fields numbered num in the message b, stopping
// quietly at the first malformed field (decoding reports it).
func countField(b []byte, num int32) int {
	n := 0
	r := wireReader{b: b}
	_ = r.fields(func(got int32, typ protowire.Type) error {
		if got == num {
			n++
		}
		return r.skip(typ)
	})
	return n
}

// wireReader reads the fields of one protobuf message, with pdata's
// rules for what is malformed.
type wireReader struct {
	b   []byte
	pos int
}

func (r *wireReader) done() bool { return r.pos >= len(r.b) }

// fields reads r's message field by field: it reads each tag and calls f
// with the field's number and wire type, and f reads (or skips) the
// value from r. It stops at the first error, f's or a bad tag.
//
// f takes no *wireReader but uses r from its closure: passing the pointer
// through the call would move r to the heap, one allocation per message.
// A one-byte tag (fields 1 to 15, nearly all of them) is decoded here
// rather than by tag, which keeps fields as fast as the loops it replaced.
func (r *wireReader) fields(f func(num int32, typ protowire.Type) error) error {
	for !r.done() {
		var (
			num int32
			typ protowire.Type
			err error
		)
		if c := r.b[r.pos]; c >= 1<<3 && c < 0x80 {
			num, typ = int32(c>>3), protowire.Type(c&7)
			r.pos++
		} else if num, typ, err = r.tag(); err != nil {
			return err
		}
		if err = f(num, typ); err != nil {
			return err
		}
	}
	return nil
}

// tag reads a field's tag. As in pdata, the field number is the tag
// shifted right by 3 taken as an int32, and must be positive.
func (r *wireReader) tag() (int32, protowire.Type, error) {
	v, err := r.uvarint()
	if err != nil {
		return 0, 0, err
	}
	num := int32(v >> 3)
	if num <= 0 {
		return 0, 0, fmt.Errorf("bad field number %d (tag %d)", num, v)
	}
	return num, protowire.Type(v & 7), nil
}

// uvarint reads a varint. Like pdata it takes up to 10 bytes, dropping
// bits past the 64th (protowire would reject a 10th byte above 1).
func (r *wireReader) uvarint() (uint64, error) {
	if r.pos < len(r.b) && r.b[r.pos] < 0x80 {
		r.pos++
		return uint64(r.b[r.pos-1]), nil
	}
	v, n := protowire.ConsumeVarint(r.b[r.pos:])
	if n > 0 {
		r.pos += n
		return v, nil
	}
	v = 0
	for i, shift := r.pos, uint(0); shift < 64; i, shift = i+1, shift+7 {
		if i >= len(r.b) {
			return 0, errTruncated
		}
		c := r.b[i]
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			r.pos = i + 1
			return v, nil
		}
	}
	return 0, errors.New("varint longer than 10 bytes")
}

var errTruncated = errors.New("unexpected end of message (truncated?)")

// wrongType is the error for a known field of the wrong wire type.
func wrongType(num int32, got, want protowire.Type) error {
	return fmt.Errorf("field %d has wire type %d, want %d", num, got, want)
}

func (r *wireReader) varint(typ protowire.Type, num int32) (uint64, error) {
	if typ != protowire.VarintType {
		return 0, wrongType(num, typ, protowire.VarintType)
	}
	return r.uvarint()
}

func (r *wireReader) fixed64(typ protowire.Type, num int32) (uint64, error) {
	if typ != protowire.Fixed64Type {
		return 0, wrongType(num, typ, protowire.Fixed64Type)
	}
	v, n := protowire.ConsumeFixed64(r.b[r.pos:])
	if n < 0 {
		return 0, errTruncated
	}
	r.pos += n
	return v, nil
}

func (r *wireReader) fixed32(typ protowire.Type, num int32) (uint32, error) {
	if typ != protowire.Fixed32Type {
		return 0, wrongType(num, typ, protowire.Fixed32Type)
	}
	v, n := protowire.ConsumeFixed32(r.b[r.pos:])
	if n < 0 {
		return 0, errTruncated
	}
	r.pos += n
	return v, nil
}

// bytes reads a length-delimited field (a string or bytes).
func (r *wireReader) bytes(typ protowire.Type, num int32) ([]byte, error) {
	if typ != protowire.BytesType {
		return nil, wrongType(num, typ, protowire.BytesType)
	}
	return r.lenField()
}

// message reads a length-delimited field holding a message.
func (r *wireReader) message(typ protowire.Type, num int32) ([]byte, error) {
	return r.bytes(typ, num)
}

func (r *wireReader) lenField() ([]byte, error) {
	l, err := r.uvarint()
	if err != nil {
		return nil, err
	}
	if l > uint64(len(r.b)-r.pos) {
		return nil, fmt.Errorf("length %d runs past the end of the message (%d bytes left)", l, len(r.b)-r.pos)
	}
	b := r.b[r.pos : r.pos+int(l)]
	r.pos += int(l)
	return b, nil
}

// skip skips the value of an unknown field of wire type typ as pdata
// does. A group ends at its end-group tag, or, as in pdata, right after
// the first field in it that is not a group.
func (r *wireReader) skip(typ protowire.Type) error {
	depth := 0
	for r.pos < len(r.b) {
		var err error
		switch typ {
		case protowire.VarintType:
			_, err = r.uvarint()
			return err
		case protowire.Fixed64Type:
			_, err = r.fixed64(typ, 0)
			return err
		case protowire.Fixed32Type:
			_, err = r.fixed32(typ, 0)
			return err
		case protowire.BytesType:
			_, err = r.lenField()
			return err
		case protowire.StartGroupType:
			depth++
		case protowire.EndGroupType:
			if depth == 0 {
				return errors.New("unexpected end of group")
			}
			depth--
		default:
			return fmt.Errorf("bad wire type %d", typ)
		}
		if depth == 0 {
			return nil
		}
		if _, typ, err = r.tag(); err != nil {
			return err
		}
	}
	return errTruncated
}
