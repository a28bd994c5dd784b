package storetest

import (
	"fmt"
	"time"

	"github.com/tracectl/tracectl/model"
)

// TraceSpec describes a trace compactly for hand-written tests.
type TraceSpec struct {
	// ID is the hex trace ID (1 to 32 digits).
	ID string
	// Start is the time offsets in SpanSpec are relative to.
	Start time.Time
	Spans []SpanSpec
}

// SpanSpec is one span of a TraceSpec.
type SpanSpec struct {
	ID, Parent string // hex span IDs; Parent "" for a root
	Service    string // resource service.name; spans of one service share a resource
	Name       string
	Kind       model.SpanKind
	Status     model.StatusCode
	// Offset is the start relative to TraceSpec.Start; Duration the length.
	Offset, Duration time.Duration
	Attrs            []model.Attribute
	ResourceAttrs    []model.Attribute // added to the service's resource (first span wins)
	Events           []model.Event
	Links            []model.Link
}

// Build turns the spec into a model.Trace with nested sets computed. It
// panics on malformed IDs, since specs are written by hand in tests.
func (ts TraceSpec) Build() *model.Trace {
	tid, err := model.ParseTraceID(ts.ID)
	if err != nil {
		panic(fmt.Sprintf("storetest: %v", err))
	}
	b := model.NewTraceBuilder()
	res := map[string]*model.Resource{}
	sc := &model.Scope{Name: "storetest"}
	for _, s := range ts.Spans {
		sid, err := model.ParseSpanID(s.ID)
		if err != nil {
			panic(fmt.Sprintf("storetest: %v", err))
		}
		var pid model.SpanID
		if s.Parent != "" {
			if pid, err = model.ParseSpanID(s.Parent); err != nil {
				panic(fmt.Sprintf("storetest: %v", err))
			}
		}
		r := res[s.Service]
		if r == nil {
			r = &model.Resource{Attributes: append([]model.Attribute{model.Str(model.ServiceNameKey, s.Service)}, s.ResourceAttrs...)}
			res[s.Service] = r
		}
		start := uint64(ts.Start.Add(s.Offset).UnixNano())
		b.AddSpan(r, s.Service, sc, sc.Name, model.Span{
			TraceID: tid, SpanID: sid, ParentSpanID: pid, Name: s.Name, Kind: s.Kind,
			StartTimeUnixNano: start, EndTimeUnixNano: start + uint64(s.Duration),
			Attributes: s.Attrs, Events: s.Events, Links: s.Links, Status: model.Status{Code: s.Status},
		})
	}
	out := b.Traces()
	if len(out) != 1 {
		panic("storetest: trace spec without spans")
	}
	return out[0]
}

// Build builds every spec.
func Build(specs ...TraceSpec) []*model.Trace {
	out := make([]*model.Trace, len(specs))
	for i, s := range specs {
		out[i] = s.Build()
	}
	return out
}
