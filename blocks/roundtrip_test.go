package blocks

import (
	"context"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tracectl/tracectl/model"
)

func tid(b ...byte) model.TraceID {
	var id model.TraceID
	copy(id[16-len(b):], b)
	return id
}

func sid(b ...byte) model.SpanID {
	var id model.SpanID
	copy(id[8-len(b):], b)
	return id
}

// everyValue returns attributes of every value type the model has.
func everyValue(prefix string) []model.Attribute {
	return []model.Attribute{
		model.Str(prefix+"str", "v"),
		model.Str(prefix+"empty.str", ""),
		model.Int(prefix+"int", -42),
		model.Double(prefix+"double", 3.25),
		model.Double(prefix+"nan", math.NaN()),
		model.Bool(prefix+"bool", true),
		{Key: prefix + "bytes", Value: model.BytesValue([]byte{0, 1, 2, 0xff})},
		{Key: prefix + "empty", Value: model.Value{}},
		{Key: prefix + "arr.str", Value: model.ArrayValue(model.StringValue("a"), model.StringValue("b"))},
		{Key: prefix + "arr.int", Value: model.ArrayValue(model.IntValue(1), model.IntValue(math.MaxInt64))},
		{Key: prefix + "arr.double", Value: model.ArrayValue(model.DoubleValue(1.5))},
		{Key: prefix + "arr.bool", Value: model.ArrayValue(model.BoolValue(false), model.BoolValue(true))},
		{Key: prefix + "arr.empty", Value: model.ArrayValue()},
		{Key: prefix + "arr.mixed", Value: model.ArrayValue(model.StringValue("x"), model.IntValue(7))},
		{Key: prefix + "arr.nested", Value: model.ArrayValue(model.ArrayValue(model.IntValue(1)))},
		{Key: prefix + "kvlist", Value: model.MapValue(
			model.Str("k", "v"), model.Int("i", 9),
			model.Attribute{Key: "inner", Value: model.MapValue(model.Bool("b", false))},
			model.Attribute{Key: "bytes", Value: model.BytesValue([]byte("hi"))},
			model.Double("inf", math.Inf(-1)),
		)},
		model.Str(prefix+"dup", "first"),
		model.Int(prefix+"dup", 2),
	}
}

// roundTripTraces builds traces that exercise every field of the format.
func roundTripTraces() []*model.Trace {
	b := model.NewTraceBuilder()
	t1 := tid(0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10)
	t2 := tid(0xaa, 0xbb, 0xcc, 0xdd, 0x00, 0x11, 0x22, 0x33) // 64-bit style
	res1 := model.Resource{
		Attributes: append([]model.Attribute{
			model.Str("service.name", "frontend"),
			model.Str("k8s.pod.name", "pod-1"),
			model.Int("cluster", 3), // wrong type: stays generic
			model.Str("namespace", "ns"),
			model.Str("ip", "10.0.0.1"),
		}, everyValue("res.")...),
		DroppedAttributesCount: 2,
	}
	res2 := model.Resource{Attributes: []model.Attribute{model.Str("host.name", "h2")}} // no service.name
	res3 := model.Resource{Attributes: []model.Attribute{model.Str("service.name", ""), model.Str("service.name", "second")}}
	sc1 := model.Scope{Name: "lib", Version: "1.0", Attributes: everyValue("scope."), DroppedAttributesCount: 1}
	sc2 := model.Scope{Name: "other"}
	root := model.Span{
		TraceID: t1, SpanID: sid(1, 2, 3, 4, 5, 6, 7, 8), Name: "GET /", Kind: model.KindServer,
		TraceState: "a=b", StartTimeUnixNano: 1_700_000_000_000_000_000, EndTimeUnixNano: 1_700_000_001_000_000_000,
		Attributes: append([]model.Attribute{
			model.Str("http.method", "GET"),
			model.Int("http.status_code", 200),
			model.Str("http.url", "http://x/"),
			model.Str("instance", "i-1"),
			model.Str("http.method", "POST"), // second occurrence stays generic
		}, everyValue("span.")...),
		DroppedAttributesCount: 3,
		Events: []model.Event{
			{TimeUnixNano: 1_700_000_000_500_000_000, Name: "log", Attributes: everyValue("ev."), DroppedAttributesCount: 4},
			{TimeUnixNano: 1_699_999_999_000_000_000, Name: "before start"},
		},
		DroppedEventsCount: 5,
		Links: []model.Link{
			{TraceID: t2, SpanID: sid(9), TraceState: "l=1", Attributes: everyValue("link."), DroppedAttributesCount: 6},
		},
		DroppedLinksCount: 7,
		Status:            model.Status{Code: model.StatusError, Message: "boom"},
	}
	child := model.Span{
		TraceID: t1, SpanID: sid(2), ParentSpanID: root.SpanID, Name: "db", Kind: model.KindClient,
		StartTimeUnixNano: 1_700_000_000_100_000_000, EndTimeUnixNano: 1_700_000_000_200_000_000,
		Attributes: []model.Attribute{model.Str("http.status_code", "200")}, // string: stays generic
		Status:     model.Status{Code: model.StatusOK},
	}
	orphan := model.Span{TraceID: t1, SpanID: sid(3), ParentSpanID: sid(99), Name: "orphan", Kind: model.KindProducer,
		StartTimeUnixNano: 1_700_000_000_300_000_000, EndTimeUnixNano: 1_700_000_000_300_000_000}
	b.AddSpan(&res1, "", &sc1, "", root)
	b.AddSpan(&res1, "", &sc2, "", child)
	b.AddSpan(&res2, "", &sc1, "", orphan)
	other := model.Span{TraceID: t2, SpanID: sid(0x10), Name: "consume", Kind: model.KindConsumer,
		StartTimeUnixNano: 5, EndTimeUnixNano: 10}
	b.AddSpan(&res3, "", &sc2, "", other)
	b.AddSpan(&res2, "", &model.Scope{}, "", model.Span{TraceID: t2, SpanID: sid(0x11), ParentSpanID: sid(0x10), StartTimeUnixNano: 6, EndTimeUnixNano: 7})
	return b.Traces()
}

// canonical reorders attributes into the order a block reads them back:
// generic attributes in their order, then the static columns in schema
// order, then the dedicated columns in meta order. That is the documented
// canonical order of a round trip.
func canonical(ts []*model.Trace, ded []DedicatedColumn) []*model.Trace {
	resSlots, spanSlots := dedicatedSlots(ded)
	resDed := make([]string, len(resSlots))
	for k, i := range resSlots {
		resDed[i] = k
	}
	spanDed := make([]string, len(spanSlots))
	for k, i := range spanSlots {
		spanDed[i] = k
	}
	resKeys := append(append([]string{model.ServiceNameKey}, resourceStatic[:]...), resDed...)
	spanKeys := append([]string{keyHTTPMethod, keyHTTPURL, keyHTTPStatusCode}, spanDed...)
	var out []*model.Trace
	for _, t := range ts {
		c := *t
		c.ResourceSpans = append([]model.ResourceSpans(nil), t.ResourceSpans...)
		for i := range c.ResourceSpans {
			rs := &c.ResourceSpans[i]
			rs.Resource.Attributes = moveToEnd(rs.Resource.Attributes, resKeys)
			rs.ScopeSpans = append([]model.ScopeSpans(nil), rs.ScopeSpans...)
			for j := range rs.ScopeSpans {
				ss := &rs.ScopeSpans[j]
				ss.Spans = append([]model.Span(nil), ss.Spans...)
				for k := range ss.Spans {
					ss.Spans[k].Attributes = moveToEnd(ss.Spans[k].Attributes, spanKeys)
				}
			}
		}
		out = append(out, &c)
	}
	return out
}

func moveToEnd(attrs []model.Attribute, keys []string) []model.Attribute {
	taken := make([]bool, len(attrs))
	var tail []model.Attribute
	for _, k := range keys {
		for i, a := range attrs {
			if taken[i] || a.Key != k {
				continue
			}
			ok := a.Value.Type == model.ValueString
			if k == keyHTTPStatusCode {
				ok = a.Value.Type == model.ValueInt
			}
			if k == model.ServiceNameKey {
				ok = ok && a.Value.Str != ""
			}
			if ok {
				taken[i] = true
				tail = append(tail, a)
				break
			}
		}
	}
	var out []model.Attribute
	for i, a := range attrs {
		if !taken[i] {
			out = append(out, a)
		}
	}
	return append(out, tail...)
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		opts WriteOptions
	}{
		{"defaults", WriteOptions{}},
		{"dedicated columns", WriteOptions{DedicatedColumns: []DedicatedColumn{
			{Scope: ScopeResource, Name: "ip"}, {Name: "instance"}, {Name: "span.str"},
			{Name: "ignored", Type: "int"},                                   // not a vParquet4 string column: dropped
			{Scope: ScopeResource, Name: "service.name"}, {Name: "http.url"}, // static: dropped
			{Scope: "event", Name: "x"}, // no event scope in vParquet4: dropped
		}}},
		{"one trace per row group", WriteOptions{RowGroupBytes: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := memStore(t)
			in := roundTripTraces()
			m, err := s.WriteBlock(ctx, in, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if m.TotalObjects != len(in) || m.ReplicationFactor != 1 || m.Format != FormatVParquet4 {
				t.Errorf("meta = %+v", m)
			}
			if tc.opts.RowGroupBytes == 1 && m.TotalRecords != len(in) {
				t.Errorf("TotalRecords = %d, want %d", m.TotalRecords, len(in))
			}
			if tc.opts.DedicatedColumns != nil && len(m.DedicatedColumns) != 3 {
				t.Errorf("meta dedicatedColumns = %+v, want the 3 usable ones", m.DedicatedColumns)
			}
			want := canonical(in, m.DedicatedColumns)
			b, err := s.OpenBlock(ctx, m.BlockID)
			if err != nil {
				t.Fatal(err)
			}
			it, err := b.Traces(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := readAllTraces(t, it)
			if diff := cmp.Diff(want, got, traceOpts); diff != "" {
				t.Fatalf("round trip differs (-want +got):\n%s", diff)
			}
			for _, w := range want {
				g, err := s.FindTrace(ctx, w.TraceID)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(w, g, traceOpts); diff != "" {
					t.Fatalf("FindTrace differs (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestAnyValueJSON(t *testing.T) {
	tests := []struct {
		name string
		v    model.Value
		json string
	}{
		{"bytes", model.BytesValue([]byte("hi")), `{"bytesValue":"aGk="}`},
		{"kvlist", model.MapValue(model.Int("i", 1)), `{"kvlistValue":{"values":[{"key":"i","value":{"intValue":"1"}}]}}`},
		{"mixed array", model.ArrayValue(model.StringValue("a"), model.DoubleValue(2.5), model.BoolValue(true)),
			`{"arrayValue":{"values":[{"stringValue":"a"},{"doubleValue":2.5},{"boolValue":true}]}}`},
		{"empty kvlist", model.MapValue(), `{"kvlistValue":{"values":[]}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := marshalAnyValue(tc.v)
			if got != tc.json {
				t.Errorf("marshal = %s, want %s", got, tc.json)
			}
			back, err := unmarshalAnyValue(got)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.v, back, traceOpts); diff != "" {
				t.Errorf("unmarshal differs:\n%s", diff)
			}
		})
	}
}
