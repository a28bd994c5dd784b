package otlp

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	jsoniter "github.com/json-iterator/go"

	"github.com/tracectl/tracectl/internal/jsonscan"
	"github.com/tracectl/tracectl/model"
)

// jsonDecoder decodes a chunk of OTLP/JSON spans (and its resource and
// scope members) straight into the model, without pdata. Building
// pdata's request, its objects and then the model from them took a
// tenth of JSON ingest's CPU time.
//
// It reads what pdata's JSONUnmarshaler reads (pdata v1.71.0, which
// reads with jsoniter.ConfigFastest) and as it reads it: camelCase and
// snake_case keys, unknown keys skipped, 64-bit integers as numbers or
// decimal strings, enums as numbers or names, null as an empty string,
// object or list, a repeated list key appending to the list, a repeated
// object key (status, an attribute's value) merging into the object,
// strings unescaped as jsoniter unescapes them (unpaired surrogates
// included), IDs and bytes values taken as written between the quotes.
// Numbers are read, and unknown values skipped, by a jsoniter iterator,
// so they are accepted and rounded as pdata accepts and rounds them.
//
// Where pdata would fail, or where matching it is not worth the code,
// the decoder declines (chunk returns false) and the streamer decodes
// the chunk the way it did before: pdata on the chunk's bytes, then the
// normaliser, which gives the positioned error or decodes the base64 IDs
// pdata refuses. It declines span bytes that are not valid UTF-8 (pdata
// keeps them, the normaliser replaces them), an empty key in a message
// (pdata takes it for the object's end and reads on from the middle of
// it), and an integer in exponent form (which pdata's iterator reads up
// to the exponent, failing on it next).
//
// The input is one JSON value that the streamer's tokenizer has checked,
// but the decoder checks what it reads and declines anything else.
type jsonDecoder struct {
	b   []byte // the value being read
	pos int    // where in b
	ok  bool   // false once the decoder declines
	buf []byte // an unescaped string
	num *jsoniter.Iterator
	builder
}

func newJSONDecoder() *jsonDecoder {
	return &jsonDecoder{num: jsoniter.NewIterator(jsoniter.ConfigFastest), builder: newBuilder()}
}

// chunk decodes c as FromPdata would decode pdata's reading of
// chunkRequest(c): one resource, one scope and c's spans. ok is false
// when it declines.
func (d *jsonDecoder) chunk(c *chunk) (rs model.ResourceSpans, ok bool) {
	d.reset()
	for i := range c.spans {
		if !utf8.Valid(c.spans[i].raw) {
			return rs, false
		}
	}
	for _, m := range c.rs.members {
		if !d.read(m.json, func() { d.resourceMember(m.name, &rs.Resource) }) {
			return rs, false
		}
	}
	var ss model.ScopeSpans
	for _, m := range c.ss.members {
		if !d.read(m.json, func() { d.scopeMember(m.name, &ss.Scope) }) {
			return rs, false
		}
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

// read runs decode on the JSON value b and reports whether it read all
// of b and did not decline.
func (d *jsonDecoder) read(b []byte, decode func()) bool {
	d.b, d.pos, d.ok = b, 0, true
	decode()
	d.space()
	return d.ok && d.pos == len(d.b)
}

// decline gives up the chunk.
func (d *jsonDecoder) decline() { d.ok = false }

// resourceMember reads a member of a resourceSpans element: the resource
// (merged into res if repeated) or the schema URL, which the model has no
// place for.
func (d *jsonDecoder) resourceMember(name string, res *model.Resource) {
	switch name {
	case "resource":
		d.resource(res)
	case "schemaUrl":
		d.str()
	default:
		d.decline()
	}
}

// scopeMember reads a member of a scopeSpans element, as resourceMember.
func (d *jsonDecoder) scopeMember(name string, sc *model.Scope) {
	switch name {
	case "scope":
		d.scope(sc)
	case "schemaUrl":
		d.str()
	default:
		d.decline()
	}
}

func (d *jsonDecoder) resource(res *model.Resource) {
	start := len(d.attrs)
	for key := d.key(); key != nil; key = d.key() {
		switch string(key) {
		case "attributes":
			d.keyValues()
		case "droppedAttributesCount", "dropped_attributes_count":
			res.DroppedAttributesCount = d.uint32()
		case "entityRefs", "entity_refs":
			for d.element() {
				d.entityRef()
			}
		default:
			d.skip()
		}
	}
	res.Attributes = d.popAttrs(res.Attributes, start)
}

// entityRef reads an EntityRef, which the model has no place for.
func (d *jsonDecoder) entityRef() {
	for key := d.key(); key != nil; key = d.key() {
		switch string(key) {
		case "schemaUrl", "schema_url", "type":
			d.str()
		case "idKeys", "id_keys", "descriptionKeys", "description_keys":
			for d.element() {
				d.str()
			}
		default:
			d.skip()
		}
	}
}

func (d *jsonDecoder) scope(sc *model.Scope) {
	start := len(d.attrs)
	for key := d.key(); key != nil; key = d.key() {
		switch string(key) {
		case "name":
			sc.Name = d.str()
		case "version":
			sc.Version = d.str()
		case "attributes":
			d.keyValues()
		case "droppedAttributesCount", "dropped_attributes_count":
			sc.DroppedAttributesCount = d.uint32()
		default:
			d.skip()
		}
	}
	sc.Attributes = d.popAttrs(sc.Attributes, start)
}

func (d *jsonDecoder) span(s *model.Span) {
	start, evStart, lnStart := len(d.attrs), len(d.events), len(d.links)
	for key := d.key(); key != nil; key = d.key() {
		switch string(key) {
		case "traceId", "trace_id":
			d.id(s.TraceID[:])
		case "spanId", "span_id":
			d.id(s.SpanID[:])
		case "parentSpanId", "parent_span_id":
			d.id(s.ParentSpanID[:])
		case "traceState", "trace_state":
			s.TraceState = d.str()
		case "flags":
			d.uint32()
		case "name":
			s.Name = d.str()
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
			for d.element() {
				d.event()
			}
		case "droppedEventsCount", "dropped_events_count":
			s.DroppedEventsCount = d.uint32()
		case "links":
			for d.element() {
				d.link()
			}
		case "droppedLinksCount", "dropped_links_count":
			s.DroppedLinksCount = d.uint32()
		case "status":
			d.status(&s.Status)
		default:
			d.skip()
		}
	}
	s.Attributes = d.popAttrs(nil, start)
	s.Events = pop(&d.events, evStart)
	s.Links = pop(&d.links, lnStart)
}

func (d *jsonDecoder) status(st *model.Status) {
	for key := d.key(); key != nil; key = d.key() {
		switch string(key) {
		case "message":
			st.Message = d.str()
		case "code":
			st.Code = model.StatusCode(d.enum(statusCodes))
		default:
			d.skip()
		}
	}
}

// event reads a span event onto the event stack.
func (d *jsonDecoder) event() {
	var e model.Event
	start := len(d.attrs)
	for key := d.key(); key != nil; key = d.key() {
		switch string(key) {
		case "timeUnixNano", "time_unix_nano":
			e.TimeUnixNano = d.uint64()
		case "name":
			e.Name = d.str()
		case "attributes":
			d.keyValues()
		case "droppedAttributesCount", "dropped_attributes_count":
			e.DroppedAttributesCount = d.uint32()
		default:
			d.skip()
		}
	}
	e.Attributes = d.popAttrs(nil, start)
	d.events = append(d.events, e)
}

// link reads a span link onto the link stack.
func (d *jsonDecoder) link() {
	var l model.Link
	start := len(d.attrs)
	for key := d.key(); key != nil; key = d.key() {
		switch string(key) {
		case "traceId", "trace_id":
			d.id(l.TraceID[:])
		case "spanId", "span_id":
			d.id(l.SpanID[:])
		case "traceState", "trace_state":
			l.TraceState = d.str()
		case "attributes":
			d.keyValues()
		case "droppedAttributesCount", "dropped_attributes_count":
			l.DroppedAttributesCount = d.uint32()
		case "flags":
			d.uint32()
		default:
			d.skip()
		}
	}
	l.Attributes = d.popAttrs(nil, start)
	d.links = append(d.links, l)
}

// keyValues reads a list of KeyValue objects onto the attribute stack.
func (d *jsonDecoder) keyValues() {
	for d.element() {
		d.keyValue()
	}
}

// keyValue reads a KeyValue onto the attribute stack. A second value
// member merges into the first, as in pdata: its typed members replace
// the value, others leave it.
func (d *jsonDecoder) keyValue() {
	var kv model.Attribute
	for key := d.key(); key != nil; key = d.key() {
		switch string(key) {
		case "key":
			kv.Key = d.str()
		case "value":
			d.anyValue(&kv.Value)
		case "keyStrindex", "key_strindex":
			d.int32()
		default:
			d.skip()
		}
	}
	d.attrs = append(d.attrs, kv)
}

// anyValue reads an AnyValue into v: each typed member replaces what v
// held; a string_value_strindex makes it empty (the model has no string
// tables).
func (d *jsonDecoder) anyValue(v *model.Value) {
	for key := d.key(); key != nil; key = d.key() {
		switch string(key) {
		case "stringValue", "string_value":
			*v = model.StringValue(d.str())
		case "boolValue", "bool_value":
			*v = model.BoolValue(d.bool())
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
			d.skip()
		}
	}
}

// arrayValue reads an ArrayValue's elements: a non-nil slice, empty for
// an empty array (as FromPdata makes it). A repeated values member adds
// to the elements.
func (d *jsonDecoder) arrayValue() []model.Value {
	start := len(d.values)
	for key := d.key(); key != nil; key = d.key() {
		if string(key) != "values" {
			d.skip()
			continue
		}
		for d.element() {
			var v model.Value
			d.anyValue(&v)
			d.values = append(d.values, v)
		}
	}
	return d.popValues(start)
}

// kvList reads a KeyValueList's entries onto the attribute stack.
func (d *jsonDecoder) kvList() {
	for key := d.key(); key != nil; key = d.key() {
		if string(key) != "values" {
			d.skip()
			continue
		}
		d.keyValues()
	}
}

// The readers below read one JSON value each, or a part of an object or
// list, as jsoniter reads it for pdata. They do nothing once the decoder
// has declined, and return zero values, so that loops over keys and
// elements end.

// space skips white space.
func (d *jsonDecoder) space() {
	for d.pos < len(d.b) {
		switch d.b[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// next returns the next byte after white space, without reading it; 0
// at the end or once declined.
func (d *jsonDecoder) next() byte {
	d.space()
	if !d.ok || d.pos >= len(d.b) {
		return 0
	}
	return d.b[d.pos]
}

// literal reads the literal word (null, true, false).
func (d *jsonDecoder) literal(word string) {
	if len(d.b)-d.pos < len(word) || string(d.b[d.pos:d.pos+len(word)]) != word {
		d.decline()
		return
	}
	d.pos += len(word)
}

// key reads the next key of an object and its colon, nil at the end of
// the object; null reads as an empty object. The first call reads the
// object's opening brace. The key is only good until the next read.
func (d *jsonDecoder) key() []byte {
	switch d.next() {
	case '{':
		d.pos++
		if d.next() == '}' {
			d.pos++
			return nil
		}
	case ',':
		d.pos++
	case '}':
		d.pos++
		return nil
	case 'n':
		d.literal("null")
		return nil
	default:
		d.decline()
		return nil
	}
	if d.next() != '"' {
		d.decline()
		return nil
	}
	key, escaped := d.rawString()
	if escaped {
		d.buf = d.unescape(d.buf[:0], key)
		key = d.buf
	}
	if len(key) == 0 || d.next() != ':' {
		d.decline()
		return nil
	}
	d.pos++
	return key
}

// element reports whether a list has another element, reading up to it;
// null reads as an empty list. The first call reads the opening bracket.
func (d *jsonDecoder) element() bool {
	switch d.next() {
	case '[':
		d.pos++
		if d.next() == ']' {
			d.pos++
			return false
		}
		return d.ok
	case ',':
		d.pos++
		return true
	case ']':
		d.pos++
		return false
	case 'n':
		d.literal("null")
		return false
	}
	d.decline()
	return false
}

// skip skips a value of an unknown key. The iterator checks it as pdata
// would skip it (it refuses, say, a number past float32 that starts with
// 0); the decoder finds its end.
func (d *jsonDecoder) skip() {
	if d.next() == 0 {
		d.decline()
		return
	}
	d.num.ResetBytes(d.b[d.pos:])
	d.num.Error = nil
	d.num.Skip()
	if d.num.Error != nil {
		d.decline()
		return
	}
	switch d.b[d.pos] {
	case '"':
		d.rawString()
	case '{', '[':
		d.skipNested()
	default:
		d.scalarEnd()
	}
}

// skipNested skips an object or list, which the iterator has checked.
func (d *jsonDecoder) skipNested() {
	depth := 0
	for d.pos < len(d.b) {
		switch d.b[d.pos] {
		case '"':
			d.rawString()
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				d.pos++
				return
			}
		}
		d.pos++
	}
	d.decline()
}

// scalarEnd moves past a number or literal, to the byte that ends it.
func (d *jsonDecoder) scalarEnd() {
	for d.pos < len(d.b) {
		switch d.b[d.pos] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return
		}
		d.pos++
	}
}

// rawString reads a string as written between its quotes, and whether
// it has escapes. A string without escapes is found with IndexByte, not
// checked for control characters: the tokenizer has checked the value
// (which, being valid JSON, has none).
func (d *jsonDecoder) rawString() (raw []byte, escaped bool) {
	d.pos++ // the opening quote
	rest := d.b[d.pos:]
	n := bytes.IndexByte(rest, '"')
	if n >= 0 && bytes.IndexByte(rest[:n], '\\') < 0 {
		d.pos += n + 1
		return rest[:n], false
	}
	for i := d.pos; i < len(d.b); i++ {
		switch c := d.b[i]; {
		case c == '"':
			raw = d.b[d.pos:i]
			d.pos = i + 1
			return raw, true
		case c == '\\':
			i++
		case c < ' ':
			d.decline()
			return nil, false
		}
	}
	d.decline()
	return nil, false
}

// str reads a string; null reads as "".
func (d *jsonDecoder) str() string {
	switch d.next() {
	case '"':
		raw, escaped := d.rawString()
		if !escaped {
			return d.builder.str(raw)
		}
		d.buf = d.unescape(d.buf[:0], raw)
		return d.builder.str(d.buf)
	case 'n':
		d.literal("null")
		return ""
	}
	d.decline()
	return ""
}

// unescape appends the string raw (as written between its quotes) to
// out, unescaped as jsoniter unescapes it: a \u escape of a surrogate
// pairs with a \u escape right after it if the two make a valid pair,
// and is U+FFFD otherwise (the escape after it is then read on its own).
func (d *jsonDecoder) unescape(out, raw []byte) []byte {
	for i := 0; i < len(raw); {
		if raw[i] != '\\' {
			out = append(out, raw[i])
			i++
			continue
		}
		if i+1 >= len(raw) {
			d.decline()
			return out
		}
		c := raw[i+1]
		i += 2
		if c != 'u' {
			r, ok := escapes[c]
			if !ok {
				d.decline()
				return out
			}
			out = append(out, r)
			continue
		}
		r := d.hex4(raw, i)
		i += 4
		if utf16.IsSurrogate(r) && i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
			r2 := d.hex4(raw, i+2)
			i += 6
			if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
				out = utf8.AppendRune(out, pair)
				continue
			}
			out = utf8.AppendRune(out, r)
			r = r2
		}
		out = utf8.AppendRune(out, r) // a surrogate left alone is U+FFFD
	}
	return out
}

// escapes are the one-letter escapes of JSON strings.
var escapes = map[byte]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// hex4 reads the four hex digits of a \u escape at raw[i:].
func (d *jsonDecoder) hex4(raw []byte, i int) rune {
	if i+4 > len(raw) {
		d.decline()
		return 0
	}
	v, err := strconv.ParseUint(string(raw[i:i+4]), 16, 32)
	if err != nil {
		d.decline()
	}
	return rune(v)
}

func (d *jsonDecoder) bool() bool {
	switch d.next() {
	case 't':
		d.literal("true")
		return true
	case 'f':
		d.literal("false")
		return false
	}
	d.decline()
	return false
}

// quoted reads a string as written between its quotes, which is how
// pdata reads IDs and bytes values (no unescaping: an escape makes them
// invalid); null is refused.
func (d *jsonDecoder) quoted() []byte {
	if d.next() != '"' {
		d.decline()
		return nil
	}
	raw, escaped := d.rawString()
	if escaped {
		d.decline()
	}
	return raw
}

// id reads a hex ID into dst; an empty string makes it zero, any other
// length, and base64, are declined (pdata refuses them).
func (d *jsonDecoder) id(dst []byte) {
	clear(dst)
	src := d.quoted()
	if len(src) == 0 {
		return
	}
	if hex.DecodedLen(len(src)) != len(dst) {
		d.decline()
		return
	}
	if _, err := hex.Decode(dst, src); err != nil {
		d.decline()
	}
}

// bytes reads a bytesValue: standard base64, nil when it decodes to
// nothing (FromPdata copies it so).
func (d *jsonDecoder) bytes() []byte {
	src := d.quoted()
	if len(src) == 0 {
		return nil
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
	n, err := base64.StdEncoding.Decode(b, src)
	if err != nil {
		d.decline()
	}
	if n == 0 {
		return nil
	}
	return b[:n]
}

// enum reads an enum value: a number, or one of names.
func (d *jsonDecoder) enum(names []string) int32 {
	if d.next() != '"' {
		return d.int32()
	}
	raw, escaped := d.rawString()
	if escaped {
		raw = d.unescape(d.buf[:0], raw)
	}
	for i, name := range names {
		if string(raw) == name {
			return int32(i)
		}
	}
	d.decline()
	return 0
}

// The integer and double readers take a JSON number, read by the
// iterator as pdata reads it, or a string holding a number, parsed as
// pdata parses it (protojson writes 64-bit integers as strings).

func (d *jsonDecoder) int32() int32 {
	if s, ok := d.numberString(); ok {
		v, err := strconv.ParseInt(string(s), 10, 32)
		d.check(err)
		return int32(v)
	}
	return integer(d, d.num.ReadInt32)
}

func (d *jsonDecoder) uint32() uint32 {
	if s, ok := d.numberString(); ok {
		v, err := strconv.ParseUint(string(s), 10, 32)
		d.check(err)
		return uint32(v)
	}
	return integer(d, d.num.ReadUint32)
}

func (d *jsonDecoder) int64() int64 {
	if s, ok := d.numberString(); ok {
		if v, ok := jsonscan.Int64(s); ok {
			return v
		}
		v, err := strconv.ParseInt(string(s), 10, 64)
		d.check(err)
		return v
	}
	return integer(d, d.num.ReadInt64)
}

func (d *jsonDecoder) uint64() uint64 {
	if s, ok := d.numberString(); ok {
		if v, ok := jsonscan.Digits(s); ok {
			return v
		}
		v, err := strconv.ParseUint(string(s), 10, 64)
		d.check(err)
		return v
	}
	return integer(d, d.num.ReadUint64)
}

func (d *jsonDecoder) float64() float64 {
	if s, ok := d.numberString(); ok {
		v, err := strconv.ParseFloat(string(s), 64)
		d.check(err)
		return v
	}
	return number(d, d.num.ReadFloat64)
}

func (d *jsonDecoder) check(err error) {
	if err != nil {
		d.decline()
	}
}

// numberString reads a string, unescaped, if one comes next: a number
// written as a string.
func (d *jsonDecoder) numberString() ([]byte, bool) {
	if d.next() != '"' {
		return nil, false
	}
	raw, escaped := d.rawString()
	if escaped {
		d.buf = d.unescape(d.buf[:0], raw)
		return d.buf, true
	}
	return raw, true
}

// integer reads a JSON number for an integer field. jsoniter stops an
// integer at an exponent without an error, leaving pdata's next read to
// fail: such numbers are declined.
func integer[T int32 | uint32 | int64 | uint64](d *jsonDecoder, read func() T) T {
	start := d.pos
	v := number(d, read)
	for _, c := range d.b[start:d.pos] {
		if c == '.' || c == 'e' || c == 'E' {
			d.decline()
		}
	}
	return v
}

// number reads a JSON number with read, on the iterator, as pdata's
// iterator reads it; anything but a number is declined.
func number[T int32 | uint32 | int64 | uint64 | float64](d *jsonDecoder, read func() T) T {
	switch d.next() {
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
	default:
		d.decline()
		return 0
	}
	d.num.ResetBytes(d.b[d.pos:])
	d.num.Error = nil
	v := read()
	if d.num.Error != nil {
		d.decline()
	}
	d.scalarEnd()
	return v
}
