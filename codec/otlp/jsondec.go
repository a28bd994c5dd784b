package otlp

import (
	"encoding/base64"
	"encoding/hex"
	"io"
	"strconv"
	"unicode/utf8"

	jsoniter "github.com/json-iterator/go"

	"github.com/tracectl/tracectl/model"
)

// jsonDecoder decodes a chunk of OTLP/JSON spans (and its resource and
// scope members) straight into the model, without pdata. Building
// pdata's request, its objects and then the model from them took a
// tenth of JSON ingest's CPU time.
//
// It reads the JSON with the iterator pdata's JSONUnmarshaler uses
// (jsoniter.ConfigFastest) and makes the same calls pdata makes for each
// field (pdata v1.71.0), so numbers, strings and escapes are read as
// pdata reads them: camelCase and snake_case keys, unknown keys skipped,
// 64-bit integers as numbers or decimal strings, enums as numbers or
// names, a repeated list key appending to the list, and a repeated
// object key (status, an attribute's value) merging into the object.
// Where pdata would fail, or read the chunk in a way the model has not
// been checked against, the decoder declines (chunk returns false) and
// the streamer decodes the chunk the way it did before: pdata on the
// chunk's bytes, then the normaliser, which gives the positioned error
// or decodes the base64 IDs pdata refuses.
type jsonDecoder struct {
	iter *jsoniter.Iterator
	stacks
}

func newJSONDecoder() *jsonDecoder {
	return &jsonDecoder{iter: jsoniter.NewIterator(jsoniter.ConfigFastest)}
}

// chunk decodes c as FromPdata would decode pdata's reading of
// chunkRequest(c): one resource, one scope and c's spans. It declines
// (ok false) for any chunk pdata would not read or whose span bytes are
// not valid UTF-8 (pdata keeps such bytes, the normaliser replaces them).
func (d *jsonDecoder) chunk(c *chunk) (rs model.ResourceSpans, ok bool) {
	d.reset()
	for i := range c.spans {
		if raw := c.spans[i].raw; len(raw) == 0 || raw[0] != '{' || !utf8.Valid(raw) {
			return rs, false
		}
	}
	if !d.members(c.rs.members, func(m member) bool {
		return m.name == "resource" && d.read(m.json, func() { d.resource(&rs.Resource) })
	}) {
		return rs, false
	}
	var ss model.ScopeSpans
	if !d.members(c.ss.members, func(m member) bool { return m.name == "scope" && d.read(m.json, func() { d.scope(&ss.Scope) }) }) {
		return rs, false
	}
	ss.Spans = make([]model.Span, len(c.spans))
	for i := range c.spans {
		if !d.read(c.spans[i].raw, func() { d.span(&ss.Spans[i]) }) {
			return rs, false
		}
	}
	rs.ScopeSpans = []model.ScopeSpans{ss}
	return rs, true
}

// members reads a resourceSpans or scopeSpans element's members in
// order: its schemaUrl (a string the model has no place for) here, the
// others with read.
func (d *jsonDecoder) members(ms []member, read func(member) bool) bool {
	for _, m := range ms {
		if m.name == "schemaUrl" {
			if !d.read(m.json, func() { d.iter.ReadString() }) {
				return false
			}
		} else if !read(m) {
			return false
		}
	}
	return true
}

// read runs decode on the JSON value b and reports whether it read all
// of b without error. Stopping early means pdata, reading b inside the
// chunk's request, would go on from the middle of it (jsoniter takes an
// empty key for the end of an object).
func (d *jsonDecoder) read(b []byte, decode func()) bool {
	it := d.iter.ResetBytes(b)
	it.Error = nil
	decode()
	if it.Error != nil {
		return false
	}
	return it.WhatIsNext() == jsoniter.InvalidValue && it.Error == io.EOF
}

func (d *jsonDecoder) resource(res *model.Resource) {
	it := d.iter
	start := len(d.attrs)
	for key := it.ReadObject(); key != ""; key = it.ReadObject() {
		switch key {
		case "attributes":
			d.keyValues()
		case "droppedAttributesCount", "dropped_attributes_count":
			res.DroppedAttributesCount = d.uint32()
		case "entityRefs", "entity_refs":
			for it.ReadArray() {
				d.entityRef()
			}
		default:
			it.Skip()
		}
	}
	res.Attributes = d.popAttrs(res.Attributes, start)
}

// entityRef reads an EntityRef, which the model has no place for.
func (d *jsonDecoder) entityRef() {
	it := d.iter
	for key := it.ReadObject(); key != ""; key = it.ReadObject() {
		switch key {
		case "schemaUrl", "schema_url", "type":
			it.ReadString()
		case "idKeys", "id_keys", "descriptionKeys", "description_keys":
			for it.ReadArray() {
				it.ReadString()
			}
		default:
			it.Skip()
		}
	}
}

func (d *jsonDecoder) scope(sc *model.Scope) {
	it := d.iter
	start := len(d.attrs)
	for key := it.ReadObject(); key != ""; key = it.ReadObject() {
		switch key {
		case "name":
			sc.Name = it.ReadString()
		case "version":
			sc.Version = it.ReadString()
		case "attributes":
			d.keyValues()
		case "droppedAttributesCount", "dropped_attributes_count":
			sc.DroppedAttributesCount = d.uint32()
		default:
			it.Skip()
		}
	}
	sc.Attributes = d.popAttrs(sc.Attributes, start)
}

func (d *jsonDecoder) span(s *model.Span) {
	it := d.iter
	start, evStart, lnStart := len(d.attrs), len(d.events), len(d.links)
	for key := it.ReadObject(); key != ""; key = it.ReadObject() {
		switch key {
		case "traceId", "trace_id":
			d.id(s.TraceID[:])
		case "spanId", "span_id":
			d.id(s.SpanID[:])
		case "parentSpanId", "parent_span_id":
			d.id(s.ParentSpanID[:])
		case "traceState", "trace_state":
			s.TraceState = it.ReadString()
		case "flags":
			d.uint32()
		case "name":
			s.Name = it.ReadString()
		case "kind":
			s.Kind = model.SpanKind(d.enum(spanKinds))
		case "startTimeUnixNano", "start_time_unix_nano":
			s.StartTimeUnixNano = d.uint64()
		case "endTimeUnixNano", "end_time_unix_nano":
			s.EndTimeUnixNano = d.uint64()
		case "attributes":
			d.keyValues()
		case "droppedAttributesCount", "dropped_attributes_count":
			s.DroppedAttributesCount = d.uint32()
		case "events":
			for it.ReadArray() {
				d.event()
			}
		case "droppedEventsCount", "dropped_events_count":
			s.DroppedEventsCount = d.uint32()
		case "links":
			for it.ReadArray() {
				d.link()
			}
		case "droppedLinksCount", "dropped_links_count":
			s.DroppedLinksCount = d.uint32()
		case "status":
			d.status(&s.Status)
		default:
			it.Skip()
		}
	}
	s.Attributes = d.popAttrs(nil, start)
	s.Events = d.popEvents(evStart)
	s.Links = d.popLinks(lnStart)
}

func (d *jsonDecoder) status(st *model.Status) {
	it := d.iter
	for key := it.ReadObject(); key != ""; key = it.ReadObject() {
		switch key {
		case "message":
			st.Message = it.ReadString()
		case "code":
			st.Code = model.StatusCode(d.enum(statusCodes))
		default:
			it.Skip()
		}
	}
}

// event reads a span event onto the event stack.
func (d *jsonDecoder) event() {
	it := d.iter
	var e model.Event
	start := len(d.attrs)
	for key := it.ReadObject(); key != ""; key = it.ReadObject() {
		switch key {
		case "timeUnixNano", "time_unix_nano":
			e.TimeUnixNano = d.uint64()
		case "name":
			e.Name = it.ReadString()
		case "attributes":
			d.keyValues()
		case "droppedAttributesCount", "dropped_attributes_count":
			e.DroppedAttributesCount = d.uint32()
		default:
			it.Skip()
		}
	}
	e.Attributes = d.popAttrs(nil, start)
	d.events = append(d.events, e)
}

// link reads a span link onto the link stack.
func (d *jsonDecoder) link() {
	it := d.iter
	var l model.Link
	start := len(d.attrs)
	for key := it.ReadObject(); key != ""; key = it.ReadObject() {
		switch key {
		case "traceId", "trace_id":
			d.id(l.TraceID[:])
		case "spanId", "span_id":
			d.id(l.SpanID[:])
		case "traceState", "trace_state":
			l.TraceState = it.ReadString()
		case "attributes":
			d.keyValues()
		case "droppedAttributesCount", "dropped_attributes_count":
			l.DroppedAttributesCount = d.uint32()
		case "flags":
			d.uint32()
		default:
			it.Skip()
		}
	}
	l.Attributes = d.popAttrs(nil, start)
	d.links = append(d.links, l)
}

// keyValues reads a list of KeyValue objects onto the attribute stack.
func (d *jsonDecoder) keyValues() {
	for d.iter.ReadArray() {
		d.keyValue()
	}
}

// keyValue reads a KeyValue onto the attribute stack. A second value
// member merges into the first, as in pdata: its typed members replace
// the value, others leave it.
func (d *jsonDecoder) keyValue() {
	it := d.iter
	var kv model.Attribute
	for key := it.ReadObject(); key != ""; key = it.ReadObject() {
		switch key {
		case "key":
			kv.Key = it.ReadString()
		case "value":
			d.anyValue(&kv.Value)
		case "keyStrindex", "key_strindex":
			d.int32()
		default:
			it.Skip()
		}
	}
	d.attrs = append(d.attrs, kv)
}

// anyValue reads an AnyValue into v: each typed member replaces what v
// held; a string_value_strindex makes it empty (the model has no string
// tables).
func (d *jsonDecoder) anyValue(v *model.Value) {
	it := d.iter
	for key := it.ReadObject(); key != ""; key = it.ReadObject() {
		switch key {
		case "stringValue", "string_value":
			*v = model.StringValue(it.ReadString())
		case "boolValue", "bool_value":
			*v = model.BoolValue(it.ReadBool())
		case "intValue", "int_value":
			*v = model.IntValue(d.int64())
		case "doubleValue", "double_value":
			*v = model.DoubleValue(d.float64())
		case "arrayValue", "array_value":
			*v = model.ArrayValue(d.arrayValue()...)
		case "kvlistValue", "kvlist_value":
			start := len(d.attrs)
			d.kvList()
			*v = model.MapValue(d.popAttrs(nil, start)...)
		case "bytesValue", "bytes_value":
			*v = model.BytesValue(d.bytes())
		case "stringValueStrindex", "string_value_strindex":
			d.int32()
			*v = model.Value{}
		default:
			it.Skip()
		}
	}
}

// arrayValue reads an ArrayValue's elements: a non-nil slice, empty for
// an empty array (as FromPdata makes it). A repeated values member adds
// to the elements.
func (d *jsonDecoder) arrayValue() []model.Value {
	it := d.iter
	start := len(d.values)
	for key := it.ReadObject(); key != ""; key = it.ReadObject() {
		if key != "values" {
			it.Skip()
			continue
		}
		for it.ReadArray() {
			var v model.Value
			d.anyValue(&v)
			d.values = append(d.values, v)
		}
	}
	return d.popValues(start)
}

// kvList reads a KeyValueList's entries onto the attribute stack.
func (d *jsonDecoder) kvList() {
	it := d.iter
	for key := it.ReadObject(); key != ""; key = it.ReadObject() {
		if key != "values" {
			it.Skip()
			continue
		}
		d.keyValues()
	}
}

// id reads a hex ID into dst; an empty string makes it zero, any other
// length, and base64, are errors, as in pdata.
func (d *jsonDecoder) id(dst []byte) {
	clear(dst)
	src := d.iter.ReadStringAsSlice()
	if len(src) == 0 {
		return
	}
	if hex.DecodedLen(len(src)) != len(dst) {
		d.iter.ReportError("id", "length mismatch")
		return
	}
	if _, err := hex.Decode(dst, src); err != nil {
		d.iter.ReportError("id", err.Error())
	}
}

// bytes reads a bytesValue: base64 without unescaping (as pdata reads
// it), nil when it decodes to nothing (FromPdata copies it so).
func (d *jsonDecoder) bytes() []byte {
	src := d.iter.ReadStringAsSlice()
	if len(src) == 0 {
		return nil
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
	n, err := base64.StdEncoding.Decode(b, src)
	if err != nil {
		d.iter.ReportError("bytes", err.Error())
	}
	if n == 0 {
		return nil
	}
	return b[:n]
}

// enum reads an enum value: a number, or one of names.
func (d *jsonDecoder) enum(names []string) int32 {
	it := d.iter
	switch it.WhatIsNext() {
	case jsoniter.NumberValue:
		return d.int32()
	case jsoniter.StringValue:
		s := it.ReadString()
		for i, name := range names {
			if s == name {
				return int32(i)
			}
		}
		it.ReportError("enum", "unknown name")
	default:
		it.ReportError("enum", "want a number or a name")
	}
	return 0
}

// The integer and double readers take a JSON number, or a string
// holding one, as pdata does (protojson writes 64-bit integers as
// strings); anything else is an error.

func (d *jsonDecoder) int32() int32 {
	return number(d.iter, d.iter.ReadInt32, func(s string) (int32, error) {
		v, err := strconv.ParseInt(s, 10, 32)
		return int32(v), err
	})
}

func (d *jsonDecoder) uint32() uint32 {
	return number(d.iter, d.iter.ReadUint32, func(s string) (uint32, error) {
		v, err := strconv.ParseUint(s, 10, 32)
		return uint32(v), err
	})
}

func (d *jsonDecoder) int64() int64 {
	return number(d.iter, d.iter.ReadInt64, func(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) })
}

func (d *jsonDecoder) uint64() uint64 {
	return number(d.iter, d.iter.ReadUint64, func(s string) (uint64, error) { return strconv.ParseUint(s, 10, 64) })
}

func (d *jsonDecoder) float64() float64 {
	return number(d.iter, d.iter.ReadFloat64, func(s string) (float64, error) { return strconv.ParseFloat(s, 64) })
}

// number reads a JSON number with read, or a string with parse.
func number[T int32 | uint32 | int64 | uint64 | float64](it *jsoniter.Iterator, read func() T, parse func(string) (T, error)) T {
	switch it.WhatIsNext() {
	case jsoniter.NumberValue:
		return read()
	case jsoniter.StringValue:
		v, err := parse(it.ReadString())
		if err != nil {
			it.ReportError("number", err.Error())
		}
		return v
	}
	it.ReportError("number", "want a number or a string")
	return 0
}
