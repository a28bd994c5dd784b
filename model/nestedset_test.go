package model

import (
	"testing"
)

// sp builds a span with one-byte IDs; parent 0 means none.
func sp(id, parent byte, kind SpanKind) Span {
	s := Span{SpanID: SpanID{7: id}, Kind: kind}
	if parent != 0 {
		s.ParentSpanID = SpanID{7: parent}
	}
	return s
}

func TestComputeNestedSets(t *testing.T) {
	type lrp struct{ l, r, p int32 }
	tests := []struct {
		name  string
		spans []Span
		want  []lrp
	}{
		{
			name:  "chain with sibling",
			spans: []Span{sp(1, 0, KindServer), sp(2, 1, KindClient), sp(3, 2, KindServer), sp(4, 1, KindInternal)},
			want:  []lrp{{1, 8, -1}, {2, 5, 1}, {3, 4, 2}, {6, 7, 1}},
		},
		{
			name:  "child listed before parent",
			spans: []Span{sp(2, 1, KindInternal), sp(1, 0, KindServer)},
			want:  []lrp{{2, 3, 1}, {1, 4, -1}},
		},
		{
			name:  "two roots share one counter",
			spans: []Span{sp(1, 0, KindServer), sp(2, 0, KindServer), sp(3, 2, KindClient)},
			want:  []lrp{{1, 2, -1}, {3, 6, -1}, {4, 5, 3}},
		},
		{
			name:  "orphan stays zero",
			spans: []Span{sp(1, 0, KindServer), sp(2, 9, KindInternal)},
			want:  []lrp{{1, 2, -1}, {0, 0, 0}},
		},
		{
			name:  "zipkin shared span: server under client, children under server",
			spans: []Span{sp(1, 0, KindServer), sp(2, 1, KindClient), sp(2, 1, KindServer), sp(3, 2, KindClient)},
			want:  []lrp{{1, 8, -1}, {2, 7, 1}, {3, 6, 2}, {4, 5, 3}},
		},
		{
			name:  "span ID used three times zeroes the trace",
			spans: []Span{sp(1, 0, KindServer), sp(2, 1, KindClient), sp(2, 1, KindServer), sp(2, 1, KindInternal)},
			want:  []lrp{{0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}},
		},
		{
			name:  "cycle without root stays zero",
			spans: []Span{sp(1, 2, KindInternal), sp(2, 1, KindInternal)},
			want:  []lrp{{0, 0, 0}, {0, 0, 0}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := &Trace{ResourceSpans: []ResourceSpans{{ScopeSpans: []ScopeSpans{{Spans: tc.spans}}}}}
			ComputeNestedSets(tr)
			for i, s := range tr.ResourceSpans[0].ScopeSpans[0].Spans {
				got := lrp{s.NestedSetLeft, s.NestedSetRight, s.ParentIndex}
				if got != tc.want[i] {
					t.Errorf("span %d: got %+v, want %+v", i, got, tc.want[i])
				}
			}
		})
	}
}

func TestTraceBuilderDedupesAndRebatches(t *testing.T) {
	res := Resource{Attributes: []Attribute{Str(ServiceNameKey, "api")}}
	scope := Scope{Name: "lib"}
	id := TraceID{15: 1}
	mk := func(span byte, kind SpanKind) ResourceSpans {
		s := sp(span, 0, kind)
		s.TraceID = id
		return ResourceSpans{Resource: res, ScopeSpans: []ScopeSpans{{Scope: scope, Spans: []Span{s}}}}
	}
	b := NewTraceBuilder()
	for _, rs := range []ResourceSpans{mk(1, KindServer), mk(1, KindServer), mk(1, KindClient), mk(2, KindServer)} {
		b.AddResourceSpans(&rs)
	}
	if b.Duplicates != 1 || b.Spans != 3 {
		t.Fatalf("duplicates=%d spans=%d, want 1 and 3", b.Duplicates, b.Spans)
	}
	ts := b.Traces()
	if len(ts) != 1 || len(ts[0].ResourceSpans) != 1 || len(ts[0].ResourceSpans[0].ScopeSpans) != 1 {
		t.Fatalf("identical resources and scopes were not merged: %+v", ts)
	}
	if got := ts[0].Services()["api"]; got.SpanCount != 3 {
		t.Fatalf("service stats = %+v", got)
	}
}
