package model

import (
	"math/rand/v2"
	"slices"
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

// referenceNestedSets is ComputeNestedSets as it was written first (a list
// per span ID and per parent, a recursive closure): the reference that
// TestComputeNestedSetsMatchesReference holds the current one to.
func referenceNestedSets(t *Trace) {
	var spans []*Span
	t.Spans(func(r SpanRef) bool {
		r.Span.NestedSetLeft, r.Span.NestedSetRight, r.Span.ParentIndex = 0, 0, 0
		spans = append(spans, r.Span)
		return true
	})
	byID := make(map[SpanID][]int, len(spans))
	for i, s := range spans {
		byID[s.SpanID] = append(byID[s.SpanID], i)
		if len(byID[s.SpanID]) > 2 {
			return
		}
	}
	findParent := func(i int, s *Span) int {
		if s.Kind == KindServer {
			for _, j := range byID[s.SpanID] {
				if j != i && spans[j].Kind == KindClient {
					return j
				}
			}
		}
		if s.ParentSpanID.IsZero() {
			return -1
		}
		best := -2
		for _, j := range byID[s.ParentSpanID] {
			if j == i {
				continue
			}
			if best < 0 || spans[j].Kind == KindServer {
				best = j
			}
		}
		return best
	}
	parent := make([]int, len(spans))
	for i, s := range spans {
		parent[i] = findParent(i, s)
	}
	children := make([][]int, len(spans))
	var roots []int
	for i, p := range parent {
		switch {
		case p == -1:
			roots = append(roots, i)
		case p >= 0:
			children[p] = append(children[p], i)
		}
	}
	counter := int32(0)
	visited := make([]bool, len(spans))
	var walk func(i int, parentLeft int32)
	walk = func(i int, parentLeft int32) {
		visited[i] = true
		counter++
		spans[i].NestedSetLeft = counter
		spans[i].ParentIndex = parentLeft
		for _, c := range children[i] {
			if !visited[c] {
				walk(c, spans[i].NestedSetLeft)
			}
		}
		counter++
		spans[i].NestedSetRight = counter
	}
	for _, r := range roots {
		if !visited[r] {
			walk(r, -1)
		}
	}
}

// TestComputeNestedSetsMatchesReference: on 20,000 random traces (span IDs
// from a small set, so shared client/server spans, orphans, cycles and IDs
// seen three times all occur; several resources and scopes), numbered one
// after another by one NestedSets, the numbers are the reference's.
func TestComputeNestedSetsMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	kinds := []SpanKind{KindUnspecified, KindInternal, KindServer, KindClient, KindProducer, KindConsumer}
	var ns NestedSets
	for n := range 20000 {
		tr := &Trace{TraceID: TraceID{1}}
		ids := 1 + r.IntN(40)
		for range 1 + r.IntN(3) {
			rs := ResourceSpans{}
			for range 1 + r.IntN(2) {
				ss := ScopeSpans{}
				for range r.IntN(25) {
					s := Span{SpanID: SpanID{byte(1 + r.IntN(ids))}, Kind: kinds[r.IntN(len(kinds))],
						NestedSetLeft: 9, NestedSetRight: 9, ParentIndex: 9}
					if r.IntN(6) > 0 {
						s.ParentSpanID = SpanID{byte(r.IntN(ids + 2))}
					}
					ss.Spans = append(ss.Spans, s)
				}
				rs.ScopeSpans = append(rs.ScopeSpans, ss)
			}
			tr.ResourceSpans = append(tr.ResourceSpans, rs)
		}
		want := &Trace{TraceID: tr.TraceID}
		for _, rs := range tr.ResourceSpans {
			c := ResourceSpans{}
			for _, ss := range rs.ScopeSpans {
				c.ScopeSpans = append(c.ScopeSpans, ScopeSpans{Spans: slices.Clone(ss.Spans)})
			}
			want.ResourceSpans = append(want.ResourceSpans, c)
		}
		referenceNestedSets(want)
		ns.Compute(tr) // one NestedSets for every trace: nothing of one may leak into the next
		var got, exp [][3]int32
		tr.Spans(func(r SpanRef) bool {
			got = append(got, [3]int32{r.Span.NestedSetLeft, r.Span.NestedSetRight, r.Span.ParentIndex})
			return true
		})
		want.Spans(func(r SpanRef) bool {
			exp = append(exp, [3]int32{r.Span.NestedSetLeft, r.Span.NestedSetRight, r.Span.ParentIndex})
			return true
		})
		if !slices.Equal(got, exp) {
			t.Fatalf("trace %d: got %v, want %v", n, got, exp)
		}
	}
}
