package zipkin

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracectl/tracectl/model"
)

// appendPdata converts translator output to the model and appends it to out.
// Resources without spans are dropped; order is kept as the translator
// produced it.
func appendPdata(out []model.ResourceSpans, td ptrace.Traces) []model.ResourceSpans {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		mrs := model.ResourceSpans{Resource: model.Resource{
			Attributes:             attrsFromPdata(rs.Resource().Attributes()),
			DroppedAttributesCount: rs.Resource().DroppedAttributesCount(),
		}}
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			if ss.Spans().Len() == 0 {
				continue
			}
			sc := ss.Scope()
			mss := model.ScopeSpans{Scope: model.Scope{
				Name:                   sc.Name(),
				Version:                sc.Version(),
				Attributes:             attrsFromPdata(sc.Attributes()),
				DroppedAttributesCount: sc.DroppedAttributesCount(),
			}}
			mss.Spans = make([]model.Span, 0, ss.Spans().Len())
			for k := 0; k < ss.Spans().Len(); k++ {
				mss.Spans = append(mss.Spans, spanFromPdata(ss.Spans().At(k)))
			}
			mrs.ScopeSpans = append(mrs.ScopeSpans, mss)
		}
		if len(mrs.ScopeSpans) > 0 {
			out = append(out, mrs)
		}
	}
	return out
}

func spanFromPdata(s ptrace.Span) model.Span {
	ms := model.Span{
		TraceID:                model.TraceID(s.TraceID()),
		SpanID:                 model.SpanID(s.SpanID()),
		ParentSpanID:           model.SpanID(s.ParentSpanID()),
		TraceState:             s.TraceState().AsRaw(),
		Name:                   s.Name(),
		Kind:                   model.SpanKind(s.Kind()),
		StartTimeUnixNano:      uint64(s.StartTimestamp()),
		EndTimeUnixNano:        uint64(s.EndTimestamp()),
		Attributes:             attrsFromPdata(s.Attributes()),
		DroppedAttributesCount: s.DroppedAttributesCount(),
		DroppedEventsCount:     s.DroppedEventsCount(),
		DroppedLinksCount:      s.DroppedLinksCount(),
		Status: model.Status{
			Code:    model.StatusCode(s.Status().Code()),
			Message: s.Status().Message(),
		},
	}
	if n := s.Events().Len(); n > 0 {
		ms.Events = make([]model.Event, n)
		for i := range n {
			e := s.Events().At(i)
			ms.Events[i] = model.Event{
				TimeUnixNano:           uint64(e.Timestamp()),
				Name:                   e.Name(),
				Attributes:             attrsFromPdata(e.Attributes()),
				DroppedAttributesCount: e.DroppedAttributesCount(),
			}
		}
	}
	if n := s.Links().Len(); n > 0 {
		ms.Links = make([]model.Link, n)
		for i := range n {
			l := s.Links().At(i)
			ms.Links[i] = model.Link{
				TraceID:                model.TraceID(l.TraceID()),
				SpanID:                 model.SpanID(l.SpanID()),
				TraceState:             l.TraceState().AsRaw(),
				Attributes:             attrsFromPdata(l.Attributes()),
				DroppedAttributesCount: l.DroppedAttributesCount(),
			}
		}
	}
	return ms
}

func attrsFromPdata(m pcommon.Map) []model.Attribute {
	if m.Len() == 0 {
		return nil
	}
	out := make([]model.Attribute, 0, m.Len())
	for k, v := range m.All() {
		out = append(out, model.Attribute{Key: k, Value: valueFromPdata(v)})
	}
	return out
}

func valueFromPdata(v pcommon.Value) model.Value {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return model.StringValue(v.Str())
	case pcommon.ValueTypeInt:
		return model.IntValue(v.Int())
	case pcommon.ValueTypeDouble:
		return model.DoubleValue(v.Double())
	case pcommon.ValueTypeBool:
		return model.BoolValue(v.Bool())
	case pcommon.ValueTypeBytes:
		return model.BytesValue(v.Bytes().AsRaw())
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		vs := make([]model.Value, s.Len())
		for i := range vs {
			vs[i] = valueFromPdata(s.At(i))
		}
		return model.ArrayValue(vs...)
	case pcommon.ValueTypeMap:
		return model.MapValue(attrsFromPdata(v.Map())...)
	}
	return model.Value{}
}
