package otlp

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracectl/tracectl/model"
)

// FromPdata converts pdata traces to model resource spans, keeping every
// field the model has (pdata's schema URLs and span flags have no place in
// the model and are dropped).
func FromPdata(td ptrace.Traces) []model.ResourceSpans {
	return appendPdata(make([]model.ResourceSpans, 0, td.ResourceSpans().Len()), td, false)
}

// AppendNonEmpty converts pdata traces as FromPdata does and appends them to
// out, except that scopes without spans, and resources left without scopes,
// are dropped. Order is kept as in td. The Jaeger and Zipkin decoders use it
// on the OpenTelemetry Collector translators' output.
func AppendNonEmpty(out []model.ResourceSpans, td ptrace.Traces) []model.ResourceSpans {
	return appendPdata(out, td, true)
}

// appendPdata appends the model form of td to out; with dropEmpty, scopes
// without spans and resources without (remaining) scopes are left out.
func appendPdata(out []model.ResourceSpans, td ptrace.Traces, dropEmpty bool) []model.ResourceSpans {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		mrs := model.ResourceSpans{
			Resource: model.Resource{
				Attributes:             FromMap(rs.Resource().Attributes()),
				DroppedAttributesCount: rs.Resource().DroppedAttributesCount(),
			},
		}
		sss := rs.ScopeSpans()
		mrs.ScopeSpans = make([]model.ScopeSpans, 0, sss.Len())
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			spans := ss.Spans()
			if dropEmpty && spans.Len() == 0 {
				continue
			}
			sc := ss.Scope()
			mss := model.ScopeSpans{Scope: model.Scope{
				Name:                   sc.Name(),
				Version:                sc.Version(),
				Attributes:             FromMap(sc.Attributes()),
				DroppedAttributesCount: sc.DroppedAttributesCount(),
			}}
			mss.Spans = make([]model.Span, 0, spans.Len())
			for k := 0; k < spans.Len(); k++ {
				mss.Spans = append(mss.Spans, fromSpan(spans.At(k)))
			}
			mrs.ScopeSpans = append(mrs.ScopeSpans, mss)
		}
		if dropEmpty && len(mrs.ScopeSpans) == 0 {
			continue
		}
		out = append(out, mrs)
	}
	return out
}

func fromSpan(s ptrace.Span) model.Span {
	ms := model.Span{
		TraceID:                model.TraceID(s.TraceID()),
		SpanID:                 model.SpanID(s.SpanID()),
		ParentSpanID:           model.SpanID(s.ParentSpanID()),
		TraceState:             s.TraceState().AsRaw(),
		Name:                   s.Name(),
		Kind:                   model.SpanKind(s.Kind()),
		StartTimeUnixNano:      uint64(s.StartTimestamp()),
		EndTimeUnixNano:        uint64(s.EndTimestamp()),
		Attributes:             FromMap(s.Attributes()),
		DroppedAttributesCount: s.DroppedAttributesCount(),
		DroppedEventsCount:     s.DroppedEventsCount(),
		DroppedLinksCount:      s.DroppedLinksCount(),
		Status: model.Status{
			Code:    model.StatusCode(s.Status().Code()),
			Message: s.Status().Message(),
		},
	}
	if evs := s.Events(); evs.Len() > 0 {
		ms.Events = make([]model.Event, evs.Len())
		for i := range ms.Events {
			e := evs.At(i)
			ms.Events[i] = model.Event{
				TimeUnixNano:           uint64(e.Timestamp()),
				Name:                   e.Name(),
				Attributes:             FromMap(e.Attributes()),
				DroppedAttributesCount: e.DroppedAttributesCount(),
			}
		}
	}
	if ls := s.Links(); ls.Len() > 0 {
		ms.Links = make([]model.Link, ls.Len())
		for i := range ms.Links {
			l := ls.At(i)
			ms.Links[i] = model.Link{
				TraceID:                model.TraceID(l.TraceID()),
				SpanID:                 model.SpanID(l.SpanID()),
				TraceState:             l.TraceState().AsRaw(),
				Attributes:             FromMap(l.Attributes()),
				DroppedAttributesCount: l.DroppedAttributesCount(),
			}
		}
	}
	return ms
}

// FromMap converts pdata attributes, keeping their order; nil for an
// empty map.
func FromMap(m pcommon.Map) []model.Attribute {
	if m.Len() == 0 {
		return nil
	}
	out := make([]model.Attribute, 0, m.Len())
	m.Range(func(k string, v pcommon.Value) bool {
		out = append(out, model.Attribute{Key: k, Value: fromValue(v)})
		return true
	})
	return out
}

func fromValue(v pcommon.Value) model.Value {
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
		sl := v.Slice()
		arr := make([]model.Value, sl.Len())
		for i := range arr {
			arr[i] = fromValue(sl.At(i))
		}
		return model.ArrayValue(arr...)
	case pcommon.ValueTypeMap:
		return model.MapValue(FromMap(v.Map())...)
	}
	return model.Value{}
}

// ToPdata converts model traces to pdata, one pdata ResourceSpans per
// ResourceSpans of each trace, in order. Attribute lists with a repeated
// key keep the last value (pdata maps have unique keys).
func ToPdata(traces []*model.Trace) ptrace.Traces {
	td := ptrace.NewTraces()
	for _, t := range traces {
		for i := range t.ResourceSpans {
			AppendResourceSpans(td, &t.ResourceSpans[i])
		}
	}
	return td
}

// AppendResourceSpans appends one model ResourceSpans to td.
func AppendResourceSpans(td ptrace.Traces, mrs *model.ResourceSpans) {
	rs := td.ResourceSpans().AppendEmpty()
	toMap(rs.Resource().Attributes(), mrs.Resource.Attributes)
	rs.Resource().SetDroppedAttributesCount(mrs.Resource.DroppedAttributesCount)
	for j := range mrs.ScopeSpans {
		mss := &mrs.ScopeSpans[j]
		ss := rs.ScopeSpans().AppendEmpty()
		sc := ss.Scope()
		sc.SetName(mss.Scope.Name)
		sc.SetVersion(mss.Scope.Version)
		toMap(sc.Attributes(), mss.Scope.Attributes)
		sc.SetDroppedAttributesCount(mss.Scope.DroppedAttributesCount)
		ss.Spans().EnsureCapacity(len(mss.Spans))
		for k := range mss.Spans {
			toSpan(ss.Spans().AppendEmpty(), &mss.Spans[k])
		}
	}
}

func toSpan(s ptrace.Span, ms *model.Span) {
	s.SetTraceID(pcommon.TraceID(ms.TraceID))
	s.SetSpanID(pcommon.SpanID(ms.SpanID))
	s.SetParentSpanID(pcommon.SpanID(ms.ParentSpanID))
	s.TraceState().FromRaw(ms.TraceState)
	s.SetName(ms.Name)
	s.SetKind(ptrace.SpanKind(ms.Kind))
	s.SetStartTimestamp(pcommon.Timestamp(ms.StartTimeUnixNano))
	s.SetEndTimestamp(pcommon.Timestamp(ms.EndTimeUnixNano))
	toMap(s.Attributes(), ms.Attributes)
	s.SetDroppedAttributesCount(ms.DroppedAttributesCount)
	s.SetDroppedEventsCount(ms.DroppedEventsCount)
	s.SetDroppedLinksCount(ms.DroppedLinksCount)
	s.Status().SetCode(ptrace.StatusCode(ms.Status.Code))
	s.Status().SetMessage(ms.Status.Message)
	for i := range ms.Events {
		me := &ms.Events[i]
		e := s.Events().AppendEmpty()
		e.SetTimestamp(pcommon.Timestamp(me.TimeUnixNano))
		e.SetName(me.Name)
		toMap(e.Attributes(), me.Attributes)
		e.SetDroppedAttributesCount(me.DroppedAttributesCount)
	}
	for i := range ms.Links {
		ml := &ms.Links[i]
		l := s.Links().AppendEmpty()
		l.SetTraceID(pcommon.TraceID(ml.TraceID))
		l.SetSpanID(pcommon.SpanID(ml.SpanID))
		l.TraceState().FromRaw(ml.TraceState)
		toMap(l.Attributes(), ml.Attributes)
		l.SetDroppedAttributesCount(ml.DroppedAttributesCount)
	}
}

func toMap(m pcommon.Map, attrs []model.Attribute) {
	m.EnsureCapacity(len(attrs))
	for i := range attrs {
		toValue(m.PutEmpty(attrs[i].Key), &attrs[i].Value)
	}
}

func toValue(v pcommon.Value, mv *model.Value) {
	switch mv.Type {
	case model.ValueString:
		v.SetStr(mv.Str)
	case model.ValueInt:
		v.SetInt(mv.Int)
	case model.ValueDouble:
		v.SetDouble(mv.Double)
	case model.ValueBool:
		v.SetBool(mv.Bool)
	case model.ValueBytes:
		v.SetEmptyBytes().FromRaw(mv.Bytes())
	case model.ValueArray:
		arr := mv.Array()
		sl := v.SetEmptySlice()
		sl.EnsureCapacity(len(arr))
		for i := range arr {
			toValue(sl.AppendEmpty(), &arr[i])
		}
	case model.ValueMap:
		toMap(v.SetEmptyMap(), mv.Map())
	}
}
