package otlp

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/tracectl/tracectl/model"
)

// EncodeTempoAPIJSON writes one trace as Grafana Tempo's
// GET /api/traces/<id> answers it with Accept: application/json: the
// trace's resource spans under "batches" (the key Tempo 2.x keeps on that
// endpoint for compatibility; /api/v2/traces/<id> differs), each span in
// protobuf's canonical JSON mapping (protojson): trace and span IDs in
// base64, kind and status code as enum names (SPAN_KIND_SERVER,
// STATUS_CODE_ERROR), 64-bit integers (times, intValue) as strings, bytes
// in base64, and fields at their zero value left out. Tools written
// against Tempo's API read it unchanged; DecodeJSON reads it back.
func EncodeTempoAPIJSON(w io.Writer, t *model.Trace) error {
	out := tempoTrace{Batches: make([]pjResourceSpans, 0, len(t.ResourceSpans))}
	for i := range t.ResourceSpans {
		out.Batches = append(out.Batches, pjResource(&t.ResourceSpans[i]))
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("otlp: encode Tempo JSON: %w", err)
	}
	return nil
}

// The pj* types are OTLP messages in protojson form; field order is the
// proto's, so the output reads like Tempo's.

type tempoTrace struct {
	Batches []pjResourceSpans `json:"batches"`
}

type pjResourceSpans struct {
	Resource   pjResourceMsg  `json:"resource"`
	ScopeSpans []pjScopeSpans `json:"scopeSpans,omitempty"`
}

type pjResourceMsg struct {
	Attributes             []pjKeyValue `json:"attributes,omitempty"`
	DroppedAttributesCount uint32       `json:"droppedAttributesCount,omitempty"`
}

type pjScopeSpans struct {
	Scope pjScope  `json:"scope"`
	Spans []pjSpan `json:"spans,omitempty"`
}

type pjScope struct {
	Name                   string       `json:"name,omitempty"`
	Version                string       `json:"version,omitempty"`
	Attributes             []pjKeyValue `json:"attributes,omitempty"`
	DroppedAttributesCount uint32       `json:"droppedAttributesCount,omitempty"`
}

type pjSpan struct {
	TraceID                string       `json:"traceId,omitempty"`
	SpanID                 string       `json:"spanId,omitempty"`
	TraceState             string       `json:"traceState,omitempty"`
	ParentSpanID           string       `json:"parentSpanId,omitempty"`
	Name                   string       `json:"name,omitempty"`
	Kind                   string       `json:"kind,omitempty"`
	StartTimeUnixNano      string       `json:"startTimeUnixNano,omitempty"`
	EndTimeUnixNano        string       `json:"endTimeUnixNano,omitempty"`
	Attributes             []pjKeyValue `json:"attributes,omitempty"`
	DroppedAttributesCount uint32       `json:"droppedAttributesCount,omitempty"`
	Events                 []pjEvent    `json:"events,omitempty"`
	DroppedEventsCount     uint32       `json:"droppedEventsCount,omitempty"`
	Links                  []pjLink     `json:"links,omitempty"`
	DroppedLinksCount      uint32       `json:"droppedLinksCount,omitempty"`
	Status                 pjStatus     `json:"status"`
}

type pjEvent struct {
	TimeUnixNano           string       `json:"timeUnixNano,omitempty"`
	Name                   string       `json:"name,omitempty"`
	Attributes             []pjKeyValue `json:"attributes,omitempty"`
	DroppedAttributesCount uint32       `json:"droppedAttributesCount,omitempty"`
}

type pjLink struct {
	TraceID                string       `json:"traceId,omitempty"`
	SpanID                 string       `json:"spanId,omitempty"`
	TraceState             string       `json:"traceState,omitempty"`
	Attributes             []pjKeyValue `json:"attributes,omitempty"`
	DroppedAttributesCount uint32       `json:"droppedAttributesCount,omitempty"`
}

type pjStatus struct {
	Message string `json:"message,omitempty"`
	Code    string `json:"code,omitempty"`
}

type pjKeyValue struct {
	Key   string     `json:"key,omitempty"`
	Value pjAnyValue `json:"value"`
}

// pjAnyValue is an AnyValue: one member for the value's type (a oneof
// member is written even at its zero value), none for an empty value.
type pjAnyValue struct {
	StringValue *string       `json:"stringValue,omitempty"`
	BoolValue   *bool         `json:"boolValue,omitempty"`
	IntValue    string        `json:"intValue,omitempty"`
	DoubleValue any           `json:"doubleValue,omitempty"`
	ArrayValue  *pjArrayValue `json:"arrayValue,omitempty"`
	KvlistValue *pjKvlist     `json:"kvlistValue,omitempty"`
	BytesValue  *string       `json:"bytesValue,omitempty"`
}

type pjArrayValue struct {
	Values []pjAnyValue `json:"values,omitempty"`
}

type pjKvlist struct {
	Values []pjKeyValue `json:"values,omitempty"`
}

// Enum names of OTLP's SpanKind and Status.StatusCode.
var (
	spanKindNames   = [...]string{"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"}
	statusCodeNames = [...]string{"STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"}
)

// enumName is the protojson form of an enum value: "" (left out) for the
// zero value, the name when known, else the number (as protojson does).
func enumName(names []string, v int32) string {
	switch {
	case v == 0:
		return ""
	case v > 0 && int(v) < len(names):
		return names[v]
	}
	return strconv.Itoa(int(v))
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// id64 is an ID in base64, "" (left out) when all zero.
func id64(b []byte) string {
	for _, c := range b {
		if c != 0 {
			return b64(b)
		}
	}
	return ""
}

func u64s(v uint64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatUint(v, 10)
}

func pjResource(rs *model.ResourceSpans) pjResourceSpans {
	out := pjResourceSpans{Resource: pjResourceMsg{
		Attributes: pjAttrs(rs.Resource.Attributes), DroppedAttributesCount: rs.Resource.DroppedAttributesCount,
	}}
	for i := range rs.ScopeSpans {
		ss := &rs.ScopeSpans[i]
		ps := pjScopeSpans{Scope: pjScope{Name: ss.Scope.Name, Version: ss.Scope.Version,
			Attributes: pjAttrs(ss.Scope.Attributes), DroppedAttributesCount: ss.Scope.DroppedAttributesCount}}
		for j := range ss.Spans {
			ps.Spans = append(ps.Spans, pjSpanOf(&ss.Spans[j]))
		}
		out.ScopeSpans = append(out.ScopeSpans, ps)
	}
	return out
}

func pjSpanOf(s *model.Span) pjSpan {
	out := pjSpan{
		TraceID: id64(s.TraceID[:]), SpanID: id64(s.SpanID[:]), TraceState: s.TraceState,
		ParentSpanID: id64(s.ParentSpanID[:]), Name: s.Name, Kind: enumName(spanKindNames[:], int32(s.Kind)),
		StartTimeUnixNano: u64s(s.StartTimeUnixNano), EndTimeUnixNano: u64s(s.EndTimeUnixNano),
		Attributes: pjAttrs(s.Attributes), DroppedAttributesCount: s.DroppedAttributesCount,
		DroppedEventsCount: s.DroppedEventsCount, DroppedLinksCount: s.DroppedLinksCount,
		Status: pjStatus{Message: s.Status.Message, Code: enumName(statusCodeNames[:], int32(s.Status.Code))},
	}
	for _, e := range s.Events {
		out.Events = append(out.Events, pjEvent{TimeUnixNano: u64s(e.TimeUnixNano), Name: e.Name,
			Attributes: pjAttrs(e.Attributes), DroppedAttributesCount: e.DroppedAttributesCount})
	}
	for _, l := range s.Links {
		out.Links = append(out.Links, pjLink{TraceID: id64(l.TraceID[:]), SpanID: id64(l.SpanID[:]), TraceState: l.TraceState,
			Attributes: pjAttrs(l.Attributes), DroppedAttributesCount: l.DroppedAttributesCount})
	}
	return out
}

func pjAttrs(attrs []model.Attribute) []pjKeyValue {
	if len(attrs) == 0 {
		return nil
	}
	out := make([]pjKeyValue, len(attrs))
	for i, a := range attrs {
		out[i] = pjKeyValue{Key: a.Key, Value: pjValue(a.Value)}
	}
	return out
}

func pjValue(v model.Value) pjAnyValue {
	switch v.Type {
	case model.ValueString:
		s := v.Str
		return pjAnyValue{StringValue: &s}
	case model.ValueBool:
		b := v.Bool
		return pjAnyValue{BoolValue: &b}
	case model.ValueInt:
		return pjAnyValue{IntValue: strconv.FormatInt(v.Int, 10)} // never "": written at zero too
	case model.ValueDouble:
		// protojson writes non-finite doubles as strings.
		switch f := v.Double; {
		case math.IsNaN(f):
			return pjAnyValue{DoubleValue: "NaN"}
		case math.IsInf(f, 1):
			return pjAnyValue{DoubleValue: "Infinity"}
		case math.IsInf(f, -1):
			return pjAnyValue{DoubleValue: "-Infinity"}
		default:
			return pjAnyValue{DoubleValue: f}
		}
	case model.ValueBytes:
		s := b64(v.Bytes())
		return pjAnyValue{BytesValue: &s}
	case model.ValueArray:
		arr := &pjArrayValue{}
		for _, e := range v.Array() {
			arr.Values = append(arr.Values, pjValue(e))
		}
		return pjAnyValue{ArrayValue: arr}
	case model.ValueMap:
		return pjAnyValue{KvlistValue: &pjKvlist{Values: pjAttrs(v.Map())}}
	}
	return pjAnyValue{}
}
