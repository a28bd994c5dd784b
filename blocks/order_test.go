package blocks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// spanOrder renders a trace's entries as "service{scope:spans ...} ...",
// spans by the last byte of their ID.
func spanOrder(t *model.Trace) string {
	var b strings.Builder
	for i, rs := range t.ResourceSpans {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(rs.Resource.ServiceName() + "{")
		for j, ss := range rs.ScopeSpans {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(ss.Scope.Name + ":")
			for _, s := range ss.Spans {
				b.WriteByte('0' + s.SpanID[7])
			}
		}
		b.WriteByte('}')
	}
	return b.String()
}

// TestWriteKeepsSpanOrder: a block stores a trace's resource-spans and
// scope-spans entries in the order given (identical resources or scopes
// that are not adjacent stay apart, adjacent ones merge), and a trace split
// across blocks is read back with its parts in block order.
func TestWriteKeepsSpanOrder(t *testing.T) {
	id := tid(7)
	t0 := uint64(time.Date(2026, 8, 19, 9, 0, 0, 0, time.UTC).UnixNano())
	entry := func(svc string, scopes ...any) model.ResourceSpans {
		rs := model.ResourceSpans{Resource: model.Resource{Attributes: []model.Attribute{model.Str("service.name", svc)}}}
		for i := 0; i < len(scopes); i += 2 {
			ss := model.ScopeSpans{Scope: model.Scope{Name: scopes[i].(string)}}
			for _, n := range scopes[i+1].([]byte) {
				ss.Spans = append(ss.Spans, model.Span{TraceID: id, SpanID: sid(0, 0, 0, 0, 0, 0, 0, n),
					StartTimeUnixNano: t0 + uint64(n), EndTimeUnixNano: t0 + 100})
			}
			rs.ScopeSpans = append(rs.ScopeSpans, ss)
		}
		return rs
	}
	ctx := context.Background()
	s := memStore(t)
	in := &model.Trace{TraceID: id, ResourceSpans: []model.ResourceSpans{
		entry("a", "x", []byte{1}), entry("b", "x", []byte{2}),
		entry("a", "x", []byte{3}, "y", []byte{4}, "x", []byte{5}), entry("a", "x", []byte{6}),
	}}
	if _, err := s.WriteBlock(ctx, []*model.Trace{in}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindTrace(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := spanOrder(got), "a{x:1} b{x:2} a{x:3 y:4 x:56}"; got != want {
		t.Errorf("read back %s, want %s", got, want)
	}

	// A second part in a block that starts later follows the first.
	later := &model.Trace{TraceID: id, ResourceSpans: []model.ResourceSpans{entry("b", "x", []byte{7}), entry("a", "x", []byte{8})}}
	later.Spans(func(r model.SpanRef) bool {
		r.Span.StartTimeUnixNano += uint64(time.Hour)
		r.Span.EndTimeUnixNano += uint64(time.Hour)
		return true
	})
	if _, err := s.WriteBlock(ctx, []*model.Trace{later}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	want := "a{x:1} b{x:2} a{x:3 y:4 x:56} b{x:7} a{x:8}"
	if got, err := s.FindTrace(ctx, id); err != nil || spanOrder(got) != want {
		t.Errorf("FindTrace: %v, %v; want %s", spanOrder(got), err, want)
	}
	it, err := s.Traces(ctx, store.Request{})
	if err != nil {
		t.Fatal(err)
	}
	all := readAllTraces(t, it)
	if len(all) != 1 || spanOrder(all[0]) != want {
		t.Errorf("Traces: %d traces, first %s; want %s", len(all), spanOrder(all[0]), want)
	}
}
