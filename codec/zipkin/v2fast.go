package zipkin

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/tracectl/tracectl/internal/intern"
	"github.com/tracectl/tracectl/internal/jsonscan"
	"github.com/tracectl/tracectl/model"
)

// fastV2 reads the common form of a Zipkin v2 span straight into the
// model. For every span it accepts, it gives what v2Span gives (zipkin-go's
// model, the Collector's translator, pdata, then sortAttrs and fixStatus),
// which parsed each span twice with encoding/json and built two object
// trees on the way: 77% of a Zipkin ingest's CPU time.
//
// It declines (ok false) whatever it does not read exactly as that path
// does, and the decoder then takes that path, which also gives the
// positioned errors:
//   - a key that is not one of v2's fields in its exact spelling
//     (encoding/json matches keys case-insensitively), a repeated key, and
//     null anywhere but parentId, the endpoints, tags and annotations;
//   - IDs that are not 1–32 (trace) or 1–16 (span) hex digits, a zero
//     trace or span ID, times that are not plain integers up to maxMicros,
//     ports above 65535, IPs net.ParseIP refuses;
//   - the tags otlp.service.name.source and otlp.link.*, tags the
//     translator turns into something other than a span or resource
//     attribute (see tagClasses), and annotation values it cannot read.
//
// Its input is not checked beforehand (fastStream gives it the bytes from
// the span's '{' to the end of what was read): fastV2 checks all it reads,
// so a span it accepts is valid JSON, whole.
type fastV2 struct {
	jsonscan.Scanner

	// classes caches the shared tag classes for this decoder, keyed by
	// tag key; its keys are reused as attribute keys.
	classes map[string]tagInfo
	cur     v2Fields

	// The span's resource, scope and span lists are reused: the decoder
	// copies what it keeps. res is the last resource's attributes, which
	// the spans after it share when they have the same ones; resScratch
	// and attrScratch are working memory for attribute lists.
	out         [1]model.ResourceSpans
	scopes      [1]model.ScopeSpans
	spans       [1]model.Span
	res         []model.Attribute
	resScratch  []model.Attribute
	attrScratch []model.Attribute
	// block is where the spans' attribute lists are cut from (attrBlock
	// at a time), rather than one allocation per span.
	block model.AttrBlock
	strs  intern.Table // names, services and tag values that repeat

	accepted, declined int // spans, for tests and benchmarks
}

func newFastV2() *fastV2 {
	return &fastV2{classes: map[string]tagInfo{}, block: model.AttrBlock{Size: attrBlock}}
}

// v2Fields are the fields of one span as read.
type v2Fields struct {
	traceHi, traceLo uint64
	id, parent       uint64
	hasParent        bool
	name, kind       string
	ts, dur          uint64
	local, remote    endpoint
	annotations      []annotation
	tags             []tagValue
}

type endpoint struct {
	service, ipv4, ipv6 string
	port                uint64
}

type annotation struct {
	ts    uint64
	value string
}

type tagValue struct {
	tag   string // the tag's key
	attr  string // the attribute's key: tag, or the translator's new name for it
	class tagClass
	value string
}

const (
	fieldTraceID = 1 << iota
	fieldID
	fieldParentID
	fieldName
	fieldKind
	fieldTimestamp
	fieldDuration
	fieldDebug
	fieldShared
	fieldLocal
	fieldRemote
	fieldAnnotations
	fieldTags
)

// Tag keys the translator treats specially, besides the resource keys.
const (
	tagTraceState   = "w3c.tracestate"
	tagStatusCode   = "otel.status_code"
	tagStatusDesc   = "otel.status_description"
	tagError        = "error"
	tagSpanKind     = "span.kind"
	tagScopeName    = "otel.scope.name"
	tagScopeVersion = "otel.scope.version"
	tagLibName      = "otel.library.name"
	tagLibVersion   = "otel.library.version"
	tagNameSource   = "otlp.service.name.source"
	tagLinkPrefix   = "otlp.link."
	noServiceName   = "OTLPResourceNoServiceName"
)

// span reads raw, one span object; ok is false when it declines.
func (f *fastV2) span(raw []byte) (rss []model.ResourceSpans, ok bool) {
	rss, n, ok := f.spanAt(raw)
	if ok {
		f.Pos = n
		ok = f.End()
	}
	f.count(ok)
	return rss, ok
}

// spanAt reads the span object b starts with, and returns its length.
// It does not count the span (see count): a caller may try again with
// more bytes.
func (f *fastV2) spanAt(b []byte) (rss []model.ResourceSpans, n int, ok bool) {
	f.Reset(b)
	sp := &f.cur
	*sp = v2Fields{annotations: sp.annotations[:0], tags: sp.tags[:0]}
	if !f.Fields(f.field) {
		return nil, 0, false
	}
	n = f.Pos
	rs, ok := f.build(sp)
	if !ok {
		return nil, 0, false
	}
	f.out[0] = rs
	return f.out[:], n, true
}

// count counts a span read (ok) or declined.
func (f *fastV2) count(ok bool) {
	if ok {
		f.accepted++
	} else {
		f.declined++
	}
}

// field reads the value of one top-level key.
func (f *fastV2) field(key []byte) (bit uint32, ok bool) {
	sp := &f.cur
	switch string(key) {
	case "traceId":
		if h, ok := f.Hex(32); ok {
			sp.traceHi, sp.traceLo = traceIDHex(h)
			return fieldTraceID, true
		}
	case "id":
		if h, ok := f.Hex(16); ok {
			sp.id = hexUint(h)
			return fieldID, true
		}
	case "parentId":
		if f.Null() {
			return fieldParentID, true
		}
		if f.Peek() == '"' && f.Pos+1 < len(f.B) && f.B[f.Pos+1] == '"' {
			// zipkin-go reads "" as a zero parent ID.
			f.Pos += 2
			sp.hasParent = true
			return fieldParentID, true
		}
		if h, ok := f.Hex(16); ok {
			sp.parent = hexUint(h)
			sp.hasParent = true
			return fieldParentID, true
		}
	case "name":
		sp.name, ok = f.StrFrom(&f.strs)
		return fieldName, ok
	case "kind":
		sp.kind, ok = f.StrFrom(&f.strs)
		return fieldKind, ok
	case "timestamp":
		sp.ts, ok = f.micros()
		return fieldTimestamp, ok
	case "duration":
		sp.dur, ok = f.micros()
		return fieldDuration, ok
	case "debug":
		_, ok = f.Bool()
		return fieldDebug, ok
	case "shared":
		_, ok = f.Bool()
		return fieldShared, ok
	case "localEndpoint":
		return fieldLocal, f.Null() || f.endpoint(&sp.local)
	case "remoteEndpoint":
		return fieldRemote, f.Null() || f.endpoint(&sp.remote)
	case "annotations":
		return fieldAnnotations, f.Null() || f.Array(f.annotation)
	case "tags":
		return fieldTags, f.Null() || f.Object(f.tag)
	}
	return 0, false
}

func (f *fastV2) endpoint(e *endpoint) bool {
	return f.Fields(func(key []byte) (bit uint32, ok bool) {
		switch string(key) {
		case "serviceName":
			e.service, ok = f.StrFrom(&f.strs)
			return 1, ok
		case "ipv4":
			e.ipv4, ok = f.ip()
			return 2, ok
		case "ipv6":
			e.ipv6, ok = f.ip()
			return 4, ok
		case "port":
			e.port, ok = f.Uint()
			return 8, ok && e.port <= math.MaxUint16
		}
		return 0, false
	})
}

// ip reads an address as net.IP reads it and returns its String form.
func (f *fastV2) ip() (string, bool) {
	s, ok := f.Str()
	if !ok || s == "" {
		return "", ok
	}
	ip := net.ParseIP(s)
	if ip == nil {
		return "", false
	}
	return ip.String(), true
}

func (f *fastV2) annotation() bool {
	var a annotation
	ok := f.Fields(func(key []byte) (bit uint32, ok bool) {
		switch string(key) {
		case "timestamp":
			a.ts, ok = f.micros()
			return 1, ok
		case "value":
			a.value, ok = f.Str()
			return 2, ok
		}
		return 0, false
	})
	if !ok || a.ts == 0 { // zipkin-go requires an annotation timestamp
		return false
	}
	f.cur.annotations = append(f.cur.annotations, a)
	return true
}

func (f *fastV2) tag(key []byte) bool {
	info, ok := f.classes[string(key)]
	if !ok {
		k, ok := jsonscan.String(key)
		if !ok {
			return false
		}
		if info, ok = classify(k); !ok {
			return false
		}
		if len(f.classes) < maxTagClasses {
			f.classes[k] = info
		}
	}
	if info.class == tagDecline {
		return false
	}
	v, ok := f.StrFrom(&f.strs)
	if !ok {
		return false
	}
	f.cur.tags = append(f.cur.tags, tagValue{tag: info.tag, attr: info.attr, class: info.class, value: v})
	return true
}

// build makes the model span from the fields read, as the translator,
// sortAttrs and fixStatus would.
func (f *fastV2) build(sp *v2Fields) (model.ResourceSpans, bool) {
	if sp.traceHi == 0 && sp.traceLo == 0 || sp.id == 0 {
		return model.ResourceSpans{}, false
	}
	slices.SortFunc(sp.tags, func(a, b tagValue) int { return strings.Compare(a.tag, b.tag) })
	for i := 1; i < len(sp.tags); i++ {
		if sp.tags[i].tag == sp.tags[i-1].tag {
			return model.ResourceSpans{}, false // a repeated tag: the last one wins in zipkin-go's map
		}
	}
	tags := sortedTags(sp.tags)

	var rs model.ResourceSpans
	if svc := sp.local.service; svc != "" && svc != noServiceName {
		attrs, ok := f.resource(svc, tags)
		if !ok {
			return model.ResourceSpans{}, false
		}
		rs.Resource.Attributes = attrs
	}

	s := model.Span{Name: sp.name}
	binary.BigEndian.PutUint64(s.TraceID[:8], sp.traceHi)
	binary.BigEndian.PutUint64(s.TraceID[8:], sp.traceLo)
	binary.BigEndian.PutUint64(s.SpanID[:], sp.id)
	if sp.hasParent && sp.parent != sp.id {
		binary.BigEndian.PutUint64(s.ParentSpanID[:], sp.parent)
	}
	consumed := kindAndStatus(&s, sp.kind, tags)
	attrs, ok := f.spanAttrs(sp, consumed)
	if !ok {
		return model.ResourceSpans{}, false
	}
	dur := sp.dur * 1000
	if sp.ts == 0 {
		s.StartTimeUnixNano, s.EndTimeUnixNano = 0, dur
		attrs = putAttr(attrs, "otel.zipkin.absentField.startTime", model.BoolValue(true), true)
	} else {
		s.StartTimeUnixNano = sp.ts * 1000
		s.EndTimeUnixNano = s.StartTimeUnixNano + dur
	}
	f.attrScratch = attrs
	if len(attrs) > 0 {
		sortByKey(attrs)
		// The spans are held until their block is written: a copy of
		// the working list, sized to what it holds.
		s.Attributes = f.block.Cut(len(attrs))
		copy(s.Attributes, attrs)
	}

	if len(sp.annotations) > 0 {
		s.Events = make([]model.Event, len(sp.annotations))
		for i, a := range sp.annotations {
			if !annotationEvent(&s.Events[i], a) {
				return model.ResourceSpans{}, false
			}
		}
	}

	f.spans[0] = s
	f.scopes[0] = model.ScopeSpans{Scope: scopeOf(tags), Spans: f.spans[:]}
	rs.ScopeSpans = f.scopes[:]
	return rs, true
}

// attrBlock is how many attributes the decoder allocates at a time for
// its spans' attribute lists (about 28 KiB, kept alive by any list cut
// from it).
const attrBlock = 512

// sortedTags are a span's tags sorted by name, without repeats.
type sortedTags []tagValue

// get returns the value of tag key.
func (ts sortedTags) get(key string) (string, bool) {
	i, ok := slices.BinarySearchFunc(ts, key, func(t tagValue, k string) int { return strings.Compare(t.tag, k) })
	if !ok {
		return "", false
	}
	return ts[i].value, true
}

// resource returns the resource attributes of a span of service svc:
// service.name first (a service.name tag replaces it), then the resource
// tags, sorted; consecutive spans of one resource share the list.
func (f *fastV2) resource(svc string, tags sortedTags) ([]model.Attribute, bool) {
	res := f.resScratch[:0]
	for _, t := range tags {
		if t.class == tagResource {
			res = append(res, model.Str(t.attr, t.value))
		}
	}
	res, ok := sortUnique(res)
	if !ok {
		return nil, false
	}
	res = putAttr(res, "service.name", model.StringValue(svc), false)
	sortByKey(res)
	f.resScratch = res
	if !slices.EqualFunc(res, f.res, sameString) {
		f.res = slices.Clone(res)
	}
	return f.res, true
}

// scopeOf is the instrumentation scope the translator takes from the
// otel.scope.* and otel.library.* tags (the former win).
func scopeOf(tags sortedTags) model.Scope {
	var scope model.Scope
	lib, ok := tags.get(tagScopeName)
	if !ok {
		lib, _ = tags.get(tagLibName)
	}
	if lib == "" {
		return scope
	}
	if v, ok := tags.get(tagLibName); ok {
		scope.Name = v
	}
	if v, ok := tags.get(tagScopeName); ok {
		scope.Name = v
	}
	if v, ok := tags.get(tagLibVersion); ok {
		scope.Version = v
	}
	if v, ok := tags.get(tagScopeVersion); ok {
		scope.Version = v
	}
	return scope
}

// consumedTags lists the special tags that do not become attributes.
type consumedTags struct {
	keys [5]string
	n    int
}

func (c *consumedTags) add(k string)      { c.keys[c.n] = k; c.n++ }
func (c *consumedTags) has(k string) bool { return slices.Contains(c.keys[:c.n], k) }

// kindAndStatus sets the span's kind, trace state and status from its
// kind and special tags as the translator does, and returns the tags that
// are then not attributes.
func kindAndStatus(s *model.Span, kind string, tags sortedTags) consumedTags {
	var consumed consumedTags
	if ts, ok := tags.get(tagTraceState); ok {
		s.TraceState = ts
		consumed.add(tagTraceState)
	}
	switch kind {
	case "CLIENT":
		s.Kind = model.KindClient
	case "SERVER":
		s.Kind = model.KindServer
	case "PRODUCER":
		s.Kind = model.KindProducer
	case "CONSUMER":
		s.Kind = model.KindConsumer
	default:
		if v, ok := tags.get(tagSpanKind); ok {
			consumed.add(tagSpanKind)
			if v == "internal" {
				s.Kind = model.KindInternal
			}
		}
	}
	code, hasCode := tags.get(tagStatusCode)
	desc, hasDesc := tags.get(tagStatusDesc)
	if hasCode {
		s.Status.Code = translatorStatus(code)
		consumed.add(tagStatusCode)
		if hasDesc {
			s.Status.Message = desc
			consumed.add(tagStatusDesc)
		}
	}
	if v, ok := tags.get(tagError); ok {
		s.Status.Code = model.StatusError
		if v == "true" {
			consumed.add(tagError)
		}
	}
	if hasCode {
		applyStatus(&s.Status, code, desc)
	}
	return consumed
}

// spanAttrs returns the span's attributes in working memory: its
// attribute tags but the consumed ones, then what its endpoints say.
func (f *fastV2) spanAttrs(sp *v2Fields, consumed consumedTags) ([]model.Attribute, bool) {
	attrs := f.attrScratch[:0]
	for _, t := range sp.tags {
		if t.class == tagAttribute && !consumed.has(t.tag) {
			attrs = append(attrs, model.Attribute{Key: t.attr, Value: model.StringValue(t.value)})
		}
	}
	attrs, ok := sortUnique(attrs)
	if !ok {
		return nil, false
	}
	if sp.local.ipv4 != "" {
		attrs = putAttr(attrs, "network.local.address", model.StringValue(sp.local.ipv4), true)
	}
	if sp.local.ipv6 != "" {
		attrs = putAttr(attrs, "network.local.address", model.StringValue(sp.local.ipv6), true)
	}
	if sp.local.port > 0 {
		attrs = putAttr(attrs, "net.host.port", model.IntValue(int64(sp.local.port)), true)
	}
	if sp.remote.service != "" {
		attrs = putAttr(attrs, "service.peer.name", model.StringValue(sp.remote.service), true)
	}
	if sp.remote.ipv4 != "" {
		attrs = putAttr(attrs, "network.peer.address", model.StringValue(sp.remote.ipv4), true)
	}
	if sp.remote.ipv6 != "" {
		attrs = putAttr(attrs, "network.peer.address", model.StringValue(sp.remote.ipv6), true)
	}
	if sp.remote.port > 0 {
		attrs = putAttr(attrs, "net.peer.port", model.IntValue(int64(sp.remote.port)), true)
	}
	return attrs, true
}

// translatorStatus is the code the translator reads from otel.status_code
// (any other spelling is unset; applyStatus then reads more of them).
func translatorStatus(code string) model.StatusCode {
	switch code {
	case "STATUS_CODE_OK", "Ok":
		return model.StatusOK
	case "STATUS_CODE_ERROR", "Error":
		return model.StatusError
	}
	return model.StatusUnset
}

// annotationEvent makes an event of an annotation as the translator does:
// a value "name|{attributes as JSON}|dropped count" carries attributes,
// any other value is the name up to its first '|'.
func annotationEvent(e *model.Event, a annotation) bool {
	e.TimeUnixNano = a.ts * 1000
	name, rest, found := strings.Cut(a.value, "|")
	e.Name = name
	if !found {
		return true
	}
	last := strings.LastIndexByte(rest, '|')
	if last < 0 {
		return true // two parts: the name only
	}
	var m map[string]any
	if json.Unmarshal([]byte(rest[:last]), &m) != nil {
		return false
	}
	dropped, err := strconv.ParseUint(rest[last+1:], 10, 32)
	if err != nil {
		return false
	}
	e.DroppedAttributesCount = uint32(dropped)
	for k, v := range m {
		switch v := v.(type) {
		case string:
			e.Attributes = append(e.Attributes, model.Str(k, v))
		case float64:
			if math.Mod(v, 1.0) == 0.0 {
				e.Attributes = append(e.Attributes, model.Attribute{Key: k, Value: model.IntValue(int64(v))})
			} else {
				e.Attributes = append(e.Attributes, model.Attribute{Key: k, Value: model.DoubleValue(v)})
			}
		case bool:
			e.Attributes = append(e.Attributes, model.Attribute{Key: k, Value: model.BoolValue(v)})
		}
	}
	sortByKey(e.Attributes)
	return true
}

// putAttr sets key to v as a pdata map's Put does: an attribute with that
// key keeps its place and takes v if replace is true, or keeps its own
// value (it was put later) if not.
func putAttr(attrs []model.Attribute, key string, v model.Value, replace bool) []model.Attribute {
	for i := range attrs {
		if attrs[i].Key == key {
			if replace {
				attrs[i].Value = v
			}
			return attrs
		}
	}
	return append(attrs, model.Attribute{Key: key, Value: v})
}

// sortUnique sorts attrs by key and drops repeats of an attribute. Tags
// the translator renames (http.status_code to http.response.status_code)
// can meet a tag with the new name; ok is false when their values differ,
// for then the one the translator keeps depends on Go's map order.
func sortUnique(attrs []model.Attribute) (_ []model.Attribute, ok bool) {
	sortByKey(attrs)
	out := attrs[:0]
	for i, a := range attrs {
		if i > 0 && a.Key == attrs[i-1].Key {
			if a.Value.Str != attrs[i-1].Value.Str {
				return nil, false
			}
			continue
		}
		out = append(out, a)
	}
	return out, true
}

// sameString compares two string attributes.
func sameString(a, b model.Attribute) bool {
	return a.Key == b.Key && a.Value.Type == b.Value.Type && a.Value.Str == b.Value.Str
}

func sortByKey(attrs []model.Attribute) {
	slices.SortFunc(attrs, func(a, b model.Attribute) int { return strings.Compare(a.Key, b.Key) })
}

// hexUint reads 1 to 16 hex digits (as checked by Hex).
func hexUint(h []byte) uint64 {
	var v uint64
	for _, c := range h {
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		v = v<<4 | uint64(c)
	}
	return v
}

// traceIDHex splits 1 to 32 hex digits as zipkin-go does: the last 16
// digits are the low half.
func traceIDHex(h []byte) (hi, lo uint64) {
	if len(h) > 16 {
		hi = hexUint(h[:len(h)-16])
		h = h[len(h)-16:]
	}
	return hi, hexUint(h)
}

// micros reads a time or duration in microseconds, no more than
// maxMicros (checkMicros rejects larger ones).
func (f *fastV2) micros() (uint64, bool) {
	v, ok := f.Uint()
	return v, ok && v <= maxMicros
}
