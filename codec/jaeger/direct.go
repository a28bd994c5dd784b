package jaeger

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"sync"

	jmodel "github.com/jaegertracing/jaeger-idl/model/v1"
	jaegertranslator "github.com/open-telemetry/opentelemetry-collector-contrib/pkg/translator/jaeger"

	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/model"
)

// The Collector's Jaeger translator (ProtoToTraces) turns each batch into
// pdata, which otlp.AppendNonEmpty turns into the model: two copies of
// every span. direct gives the same model straight from the Jaeger spans,
// following the translator's documented mapping step by step, and pdata's
// map semantics where they show (a tag repeated updates the first in
// place; a removed attribute's place is taken by the last one). The translator stays the reference in tests
// (TestDirectRandomAsTranslator, TestDirectGeneratedAsTranslator,
// FuzzDirectAsTranslator), and the road for what direct declines: tags of
// unknown type, spans without IDs.

// Tag and attribute names the translator maps.
const (
	tagSpanKind       = "span.kind"
	tagError          = "error"
	tagStatusCode     = "otel.status_code"
	tagStatusDesc     = "otel.status_description"
	tagHTTPStatusMsg  = "http.status_message"
	tagTraceState     = "w3c.tracestate"
	tagScopeName      = "otel.scope.name"
	tagScopeVersion   = "otel.scope.version"
	logEventName      = "event"
	refTypeAttr       = "opentracing.ref_type"
	noServiceName     = "OTLPResourceNoServiceName"
	exporterVersion   = "opencensus.exporterversion"
	keyHTTPStatusV0   = "http.status_code"
	keyHTTPStatusV1   = "http.response.status_code"
	processHostname   = "hostname"
	processHostName   = "host.name"
	processJaegerVers = "jaeger.version"
)

// direct converts the group's batches as translate does; ok is false when
// it declines them.
func (g *group) direct() (out []model.ResourceSpans, ok bool) {
	for _, b := range g.batches {
		for _, s := range b.Spans {
			if s == nil || s.TraceID == (jmodel.TraceID{}) && s.SpanID == 0 || !knownTypes(s.Tags) || !knownLogTypes(s.Logs) {
				return nil, false
			}
		}
		if b.Process != nil && !knownTypes(b.Process.Tags) {
			return nil, false
		}
	}
	type scopeKey struct{ name, version string }
	var scopeOf []int // per span of a batch, its scope's index
	for _, b := range g.batches {
		rs := model.ResourceSpans{Resource: model.Resource{Attributes: processAttrs(b.Process)}}
		// The scopes in order of first appearance, then their spans in
		// lists of their exact length.
		scopes := map[scopeKey]int{}
		var counts []int
		scopeOf = scopeOf[:0]
		for _, s := range b.Spans {
			name, version := takeScope(s)
			k := scopeKey{name, version}
			i, seen := scopes[k]
			if !seen {
				i = len(rs.ScopeSpans)
				scopes[k] = i
				rs.ScopeSpans = append(rs.ScopeSpans, model.ScopeSpans{Scope: model.Scope{Name: name, Version: version}})
				counts = append(counts, 0)
			}
			counts[i]++
			scopeOf = append(scopeOf, i)
		}
		for i := range rs.ScopeSpans {
			rs.ScopeSpans[i].Spans = make([]model.Span, 0, counts[i])
		}
		// The spans' attribute lists come from one allocation per batch,
		// sized once the scope tags are taken out.
		n := 0
		for _, s := range b.Spans {
			n += attrRoom(s.Tags)
		}
		chunk := make([]model.Attribute, 0, n)
		for k, s := range b.Spans {
			ss := &rs.ScopeSpans[scopeOf[k]]
			ss.Spans = append(ss.Spans, directSpan(s, &chunk))
		}
		if len(rs.ScopeSpans) > 0 {
			out = append(out, rs)
		}
	}
	return out, true
}

func knownTypes(tags []jmodel.KeyValue) bool {
	for i := range tags {
		if tags[i].VType > jmodel.ValueType_BINARY {
			return false
		}
	}
	return true
}

func knownLogTypes(logs []jmodel.Log) bool {
	for i := range logs {
		if !knownTypes(logs[i].Fields) {
			return false
		}
	}
	return true
}

// attrs is an attribute list with pdata's map semantics.
type attrs []model.Attribute

func (a attrs) index(key string) int {
	for i := range a {
		if a[i].Key == key {
			return i
		}
	}
	return -1
}

// put sets key to v: in place if present, else at the end.
func (a *attrs) put(key string, v model.Value) {
	if i := a.index(key); i >= 0 {
		(*a)[i].Value = v
		return
	}
	*a = append(*a, model.Attribute{Key: key, Value: v})
}

// remove deletes key, moving the last attribute to its place.
func (a *attrs) remove(key string) {
	if i := a.index(key); i >= 0 {
		l := *a
		l[i] = l[len(l)-1]
		*a = l[:len(l)-1]
	}
}

// str is the string value of key (empty for another type), and whether
// key is present.
func (a attrs) str(key string) (string, bool) {
	i := a.index(key)
	if i < 0 {
		return "", false
	}
	if v := &a[i].Value; v.Type == model.ValueString {
		return v.Str, true
	}
	return "", true
}

// list returns the attributes, nil when there are none.
func (a attrs) list() []model.Attribute {
	if len(a) == 0 {
		return nil
	}
	return a
}

// putTags puts the tags in order; the HTTP status code, under either of
// its names, goes under the names the translator's feature gates give.
func (a *attrs) putTags(tags []jmodel.KeyValue) {
	for i := range tags {
		t := &tags[i]
		v := tagValue(t)
		if t.Key == keyHTTPStatusV0 || t.Key == keyHTTPStatusV1 {
			for _, k := range httpStatusKeys() {
				a.put(k, v)
			}
			continue
		}
		a.put(t.Key, v)
	}
}

func tagValue(t *jmodel.KeyValue) model.Value {
	switch t.VType {
	case jmodel.ValueType_BOOL:
		return model.BoolValue(t.VBool)
	case jmodel.ValueType_INT64:
		return model.IntValue(t.VInt64)
	case jmodel.ValueType_FLOAT64:
		return model.DoubleValue(t.VFloat64)
	case jmodel.ValueType_BINARY:
		if len(t.VBinary) == 0 {
			return model.BytesValue(nil) // as pdata gives empty bytes back
		}
		// A copy: processes are shared by the traces of a file, and
		// whoever takes a batch may change its attributes.
		return model.BytesValue(bytes.Clone(t.VBinary))
	}
	return model.StringValue(t.VStr)
}

var (
	httpStatusOnce sync.Once
	httpStatusOut  []string
)

// httpStatusKeys are the names the translator gives an HTTP status code
// tag (http.status_code, http.response.status_code or both, as its
// feature gates say), found by translating one such tag.
func httpStatusKeys() []string {
	httpStatusOnce.Do(func() {
		span := &jmodel.Span{TraceID: jmodel.TraceID{Low: 1}, SpanID: 1, Tags: []jmodel.KeyValue{jmodel.Int64(keyHTTPStatusV0, 200)}}
		td, err := jaegertranslator.ProtoToTraces([]*jmodel.Batch{{Spans: []*jmodel.Span{span}}})
		if err != nil {
			panic("jaeger: translating a probe span: " + err.Error())
		}
		for _, rs := range otlp.FromPdata(td) {
			for _, a := range rs.ScopeSpans[0].Spans[0].Attributes {
				httpStatusOut = append(httpStatusOut, a.Key)
			}
		}
	})
	return httpStatusOut
}

// processAttrs are the resource attributes of a process: service.name,
// the tags, hostname renamed host.name and jaeger.version turned into
// opencensus.exporterversion (unless those are present).
func processAttrs(p *jmodel.Process) []model.Attribute {
	if p == nil || p.ServiceName == noServiceName || p.ServiceName == "" && p.Tags == nil {
		return nil
	}
	a := make(attrs, 0, len(p.Tags)+1)
	if p.ServiceName != "" {
		a.put(model.ServiceNameKey, model.StringValue(p.ServiceName))
	}
	a.putTags(p.Tags)
	if i := a.index(processHostname); i >= 0 && a.index(processHostName) < 0 {
		a = append(a, model.Attribute{Key: processHostName, Value: a[i].Value})
		a.remove(processHostname)
	}
	if v, ok := a.str(processJaegerVers); ok && a.index(exporterVersion) < 0 {
		a.put(exporterVersion, model.StringValue("Jaeger-"+v))
		a.remove(processJaegerVers)
	}
	return a.list()
}

// takeScope removes the span's first otel.scope.name tag and, if there
// was one, its first otel.scope.version tag, and returns their strings.
func takeScope(s *jmodel.Span) (name, version string) {
	name, ok := takeTag(s, tagScopeName)
	if ok {
		version, _ = takeTag(s, tagScopeVersion)
	}
	return name, version
}

func takeTag(s *jmodel.Span, key string) (string, bool) {
	for i := range s.Tags {
		if s.Tags[i].Key == key {
			v := s.Tags[i].VStr
			s.Tags = append(s.Tags[:i], s.Tags[i+1:]...)
			return v, true
		}
	}
	return "", false
}

// attrRoom is the most attributes putTags makes of tags: one per tag, and
// an HTTP status code tag may take two names.
func attrRoom(tags []jmodel.KeyValue) int {
	n := len(tags)
	for i := range tags {
		if k := tags[i].Key; k == keyHTTPStatusV0 || k == keyHTTPStatusV1 {
			n += len(httpStatusKeys()) - 1
		}
	}
	return n
}

// directSpan converts a span; its attribute list is taken from the free
// room of chunk when there is enough of it.
func directSpan(s *jmodel.Span, chunk *[]model.Attribute) model.Span {
	ms := model.Span{
		TraceID:           traceIDOf(s.TraceID),
		SpanID:            spanIDOf(s.SpanID),
		Name:              s.OperationName,
		StartTimeUnixNano: uint64(s.StartTime.UnixNano()),
		EndTimeUnixNano:   uint64(s.StartTime.Add(s.Duration).UnixNano()),
	}
	parent := s.ParentSpanID()
	if parent != 0 {
		ms.ParentSpanID = spanIDOf(parent)
	}
	var a attrs
	if c, l, n := *chunk, len(*chunk), attrRoom(s.Tags); cap(c)-l >= n {
		*chunk = c[:l+n]
		a = attrs(c[l : l : l+n])
	} else {
		a = make(attrs, 0, len(s.Tags))
	}
	a.putTags(s.Tags)
	if kind, ok := a.str(tagSpanKind); ok {
		ms.Kind = spanKind(kind)
		a.remove(tagSpanKind)
	}
	ms.Status = spanStatus(&a, ms.Kind)
	if ts, ok := a.str(tagTraceState); ok {
		ms.TraceState = ts
		a.remove(tagTraceState)
	}
	ms.Attributes = a.list()
	if len(s.Logs) > 0 {
		ms.Events = make([]model.Event, len(s.Logs))
		for i := range s.Logs {
			l := &s.Logs[i]
			ev := &ms.Events[i]
			ev.TimeUnixNano = uint64(l.Timestamp.UnixNano())
			if len(l.Fields) == 0 {
				continue
			}
			a := make(attrs, 0, len(l.Fields))
			a.putTags(l.Fields)
			if name, ok := a.str(logEventName); ok {
				ev.Name = name
				a.remove(logEventName)
			}
			ev.Attributes = a.list()
		}
	}
	ms.Links = links(s.References, parent)
	return ms
}

// links are the references but the parent's (every CHILD_OF to its span
// ID), each with its type as opentracing.ref_type.
func links(refs []jmodel.SpanRef, parent jmodel.SpanID) []model.Link {
	if len(refs) == 0 || len(refs) == 1 && refs[0].SpanID == parent && refs[0].RefType == jmodel.ChildOf {
		return nil
	}
	var out []model.Link
	for _, r := range refs {
		if r.SpanID == parent && r.RefType == jmodel.ChildOf {
			continue
		}
		typ := "follows_from"
		if r.RefType == jmodel.ChildOf {
			typ = "child_of"
		}
		out = append(out, model.Link{
			TraceID:    traceIDOf(r.TraceID),
			SpanID:     spanIDOf(r.SpanID),
			Attributes: []model.Attribute{{Key: refTypeAttr, Value: model.StringValue(typ)}},
		})
	}
	return out
}

func spanKind(s string) model.SpanKind {
	switch s {
	case "client":
		return model.KindClient
	case "server":
		return model.KindServer
	case "producer":
		return model.KindProducer
	case "consumer":
		return model.KindConsumer
	case "internal":
		return model.KindInternal
	}
	return model.KindUnspecified
}

// spanStatus takes the status from the attributes as the translator does:
// error=true first (with otel.status_description or http.status_message),
// then otel.status_code, then an HTTP status code of a failed request;
// the tags that said so are removed.
func spanStatus(a *attrs, kind model.SpanKind) model.Status {
	code, msg, set := model.StatusUnset, "", false
	if i := a.index(tagError); i >= 0 && (*a)[i].Value.Type == model.ValueBool && (*a)[i].Value.Bool {
		code, set = model.StatusError, true
		a.remove(tagError)
		if desc, ok := a.str(tagStatusDesc); ok {
			msg = desc
			a.remove(tagStatusDesc)
		} else if m, ok := a.str(tagHTTPStatusMsg); ok {
			msg = m
		}
	}
	if sc, ok := a.str(tagStatusCode); ok {
		if !set {
			set = true
			switch strings.ToUpper(sc) {
			case "OK":
				code = model.StatusOK
			case "ERROR":
				code = model.StatusError
			}
			if desc, ok := a.str(tagStatusDesc); ok {
				msg = desc
				a.remove(tagStatusDesc)
			}
		}
		a.remove(tagStatusCode)
	} else if http, ok := httpStatus(*a); ok && !set {
		if c := httpStatusCode(http, kind); c != model.StatusUnset {
			code, set = c, true
		}
		if m, ok := a.str(tagHTTPStatusMsg); ok {
			msg = m
		}
	}
	if !set {
		return model.Status{}
	}
	return model.Status{Code: code, Message: msg}
}

// httpStatus is the integer HTTP status code attribute, under either name;
// ok is false without one, or when it is not an integer (or a string of
// one).
func httpStatus(a attrs) (int64, bool) {
	i := a.index(keyHTTPStatusV0)
	if i < 0 {
		if i = a.index(keyHTTPStatusV1); i < 0 {
			return 0, false
		}
	}
	switch v := &a[i].Value; v.Type {
	case model.ValueInt:
		return v.Int, true
	case model.ValueString:
		n, err := strconv.ParseInt(v.Str, 10, 0)
		return n, err == nil
	}
	return 0, false
}

// httpStatusCode is the span status of an HTTP status code: a 4xx is an
// error on a client, unset on a server; otherwise anything outside
// 100–398 is an error.
func httpStatusCode(c int64, kind model.SpanKind) model.StatusCode {
	if c >= 400 && c < 500 {
		switch kind {
		case model.KindClient:
			return model.StatusError
		case model.KindServer:
			return model.StatusUnset
		}
	}
	if c >= 100 && c < 399 {
		return model.StatusUnset
	}
	return model.StatusError
}

func traceIDOf(id jmodel.TraceID) model.TraceID {
	var out model.TraceID
	binary.BigEndian.PutUint64(out[:8], id.High)
	binary.BigEndian.PutUint64(out[8:], id.Low)
	return out
}

// jaegerTraceID is traceIDOf's inverse.
func jaegerTraceID(id model.TraceID) jmodel.TraceID {
	return jmodel.TraceID{High: binary.BigEndian.Uint64(id[:8]), Low: binary.BigEndian.Uint64(id[8:])}
}

func spanIDOf(id jmodel.SpanID) model.SpanID {
	var out model.SpanID
	binary.BigEndian.PutUint64(out[:], uint64(id))
	return out
}
