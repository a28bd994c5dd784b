package model

import (
	"slices"
	"strconv"
	"strings"
)

// Trace holds the spans of one trace, grouped by resource and scope.
type Trace struct {
	TraceID       TraceID
	ResourceSpans []ResourceSpans
}

// ResourceSpans is a resource and the spans it emitted, by scope.
type ResourceSpans struct {
	Resource   Resource
	ScopeSpans []ScopeSpans
}

// Resource describes the entity (service, host, pod) that emitted spans.
type Resource struct {
	Attributes             []Attribute
	DroppedAttributesCount uint32
}

// ScopeSpans is an instrumentation scope and its spans.
type ScopeSpans struct {
	Scope Scope
	Spans []Span
}

// Scope is the instrumentation library that produced spans.
type Scope struct {
	Name                   string
	Version                string
	Attributes             []Attribute
	DroppedAttributesCount uint32
}

// Span is one timed operation. Times are Unix nanoseconds.
type Span struct {
	TraceID                TraceID
	SpanID                 SpanID
	ParentSpanID           SpanID
	TraceState             string
	Name                   string
	Kind                   SpanKind
	StartTimeUnixNano      uint64
	EndTimeUnixNano        uint64
	Attributes             []Attribute
	DroppedAttributesCount uint32
	Events                 []Event
	DroppedEventsCount     uint32
	Links                  []Link
	DroppedLinksCount      uint32
	Status                 Status

	// Nested-set numbers, filled by ComputeNestedSets. Zero means unknown.
	// ParentIndex is the parent's NestedSetLeft, -1 for a root.
	NestedSetLeft  int32
	NestedSetRight int32
	ParentIndex    int32
}

// Duration returns the span's duration in nanoseconds (0 if end < start).
func (s *Span) Duration() uint64 {
	if s.EndTimeUnixNano < s.StartTimeUnixNano {
		return 0
	}
	return s.EndTimeUnixNano - s.StartTimeUnixNano
}

// Event is a timestamped annotation on a span (Jaeger logs, Zipkin annotations).
type Event struct {
	TimeUnixNano           uint64
	Name                   string
	Attributes             []Attribute
	DroppedAttributesCount uint32
}

// Link points from a span to another span, possibly in another trace.
type Link struct {
	TraceID                TraceID
	SpanID                 SpanID
	TraceState             string
	Attributes             []Attribute
	DroppedAttributesCount uint32
}

// Status is a span's outcome.
type Status struct {
	Code    StatusCode
	Message string
}

// SpanKind uses OTLP's numbering.
type SpanKind int32

// Span kinds, OTLP numbering.
const (
	KindUnspecified SpanKind = 0
	KindInternal    SpanKind = 1
	KindServer      SpanKind = 2
	KindClient      SpanKind = 3
	KindProducer    SpanKind = 4
	KindConsumer    SpanKind = 5
)

var kindNames = [...]string{"unspecified", "internal", "server", "client", "producer", "consumer"}

// String returns the TraceQL name of the kind (lower case).
func (k SpanKind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "SpanKind(" + strconv.Itoa(int(k)) + ")"
}

// StatusCode uses OTLP's numbering.
type StatusCode int32

// Status codes, OTLP numbering.
const (
	StatusUnset StatusCode = 0
	StatusOK    StatusCode = 1
	StatusError StatusCode = 2
)

var statusNames = [...]string{"unset", "ok", "error"}

// String returns the TraceQL name of the status (lower case).
func (c StatusCode) String() string {
	if c >= 0 && int(c) < len(statusNames) {
		return statusNames[c]
	}
	return "StatusCode(" + strconv.Itoa(int(c)) + ")"
}

// ServiceNameKey is the resource attribute that names a service.
const ServiceNameKey = "service.name"

// ServiceName returns the resource's service.name, or "" if it has none.
func (r *Resource) ServiceName() string {
	if v, ok := Find(r.Attributes, ServiceNameKey); ok && v.Type == ValueString {
		return v.Str
	}
	return ""
}

// SpanCount returns the number of spans in the trace.
func (t *Trace) SpanCount() int {
	n := 0
	for i := range t.ResourceSpans {
		for j := range t.ResourceSpans[i].ScopeSpans {
			n += len(t.ResourceSpans[i].ScopeSpans[j].Spans)
		}
	}
	return n
}

// SpanRef addresses one span inside a trace together with its resource and scope.
type SpanRef struct {
	Resource *Resource
	Scope    *Scope
	Span     *Span
}

// Spans calls fn for every span in file order; it stops when fn returns false.
func (t *Trace) Spans(fn func(SpanRef) bool) {
	for i := range t.ResourceSpans {
		rs := &t.ResourceSpans[i]
		for j := range rs.ScopeSpans {
			ss := &rs.ScopeSpans[j]
			for k := range ss.Spans {
				if !fn(SpanRef{Resource: &rs.Resource, Scope: &ss.Scope, Span: &ss.Spans[k]}) {
					return
				}
			}
		}
	}
}

// TimeRange returns the earliest span start and the latest span end.
func (t *Trace) TimeRange() (start, end uint64) {
	first := true
	t.Spans(func(r SpanRef) bool {
		s, e := r.Span.StartTimeUnixNano, r.Span.EndTimeUnixNano
		if e < s {
			e = s
		}
		if first || s < start {
			start = s
		}
		if first || e > end {
			end = e
		}
		first = false
		return true
	})
	return start, end
}

// Root returns the trace's root span: a span without a parent and without a
// child_of link (the last such span wins, as in Tempo). ok is false when the
// trace has no root (a partial trace).
func (t *Trace) Root() (ref SpanRef, ok bool) {
	t.Spans(func(r SpanRef) bool {
		if r.Span.IsRoot() {
			ref, ok = r, true
		}
		return true
	})
	return ref, ok
}

// IsRoot reports whether s may be its trace's root (see Trace.Root): it
// has no parent and no child_of link.
func (s *Span) IsRoot() bool { return s.ParentSpanID.IsZero() && !hasChildOfLink(s) }

// RefTypeKey is the link attribute that names an OpenTracing reference's
// type: a link with the value child_of (within the trace) makes its span
// no root.
const RefTypeKey = "opentracing.ref_type"

func hasChildOfLink(s *Span) bool {
	for i := range s.Links {
		if s.Links[i].TraceID == s.TraceID {
			if v, ok := Find(s.Links[i].Attributes, RefTypeKey); ok && v.Str == "child_of" {
				return true
			}
		}
	}
	return false
}

// ServiceStats counts spans and error spans of one service in a trace.
type ServiceStats struct {
	SpanCount  uint32
	ErrorCount uint32
}

// ServiceStat is the ServiceStats of one service of a trace.
type ServiceStat struct {
	Service string
	ServiceStats
}

// AppendServiceStats appends to dst the span and error counts per
// resource service.name (a resource without spans counts too), sorted by
// name, and returns the extended slice.
func (t *Trace) AppendServiceStats(dst []ServiceStat) []ServiceStat {
	first := len(dst)
	for i := range t.ResourceSpans {
		rs := &t.ResourceSpans[i]
		name := rs.Resource.ServiceName()
		k := first
		for k < len(dst) && dst[k].Service != name {
			k++
		}
		if k == len(dst) {
			dst = append(dst, ServiceStat{Service: name})
		}
		st := &dst[k].ServiceStats
		for j := range rs.ScopeSpans {
			for s := range rs.ScopeSpans[j].Spans {
				st.SpanCount++
				if rs.ScopeSpans[j].Spans[s].Status.Code == StatusError {
					st.ErrorCount++
				}
			}
		}
	}
	slices.SortFunc(dst[first:], func(a, b ServiceStat) int { return strings.Compare(a.Service, b.Service) })
	return dst
}

// Services returns span and error counts per resource service.name.
func (t *Trace) Services() map[string]ServiceStats {
	out := map[string]ServiceStats{}
	for _, s := range t.AppendServiceStats(nil) {
		out[s.Service] = s.ServiceStats
	}
	return out
}
