package model

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestTraceBuilderSpansWithoutID: spans without a span ID are kept apart
// unless they are copies of each other; spans with an ID merge by ID and
// kind as before.
func TestTraceBuilderSpansWithoutID(t *testing.T) {
	tid := TraceID{1}
	span := func(name string, id byte, start uint64) Span {
		s := Span{TraceID: tid, Name: name, StartTimeUnixNano: start, EndTimeUnixNano: start + 10, Kind: KindServer}
		if id != 0 {
			s.SpanID = SpanID{id}
		}
		return s
	}
	tests := []struct {
		name       string
		spans      []Span
		kept, dups int
	}{
		{"distinct spans without ID", []Span{span("a", 0, 1), span("b", 0, 1), span("a", 0, 2)}, 3, 0},
		{"copies without ID", []Span{span("a", 0, 1), span("a", 0, 1)}, 1, 1},
		{"same ID", []Span{span("a", 7, 1), span("b", 7, 2)}, 1, 1},
		{"IDs and no ID", []Span{span("a", 7, 1), span("a", 0, 1)}, 2, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewTraceBuilder()
			res, sc := Resource{}, Scope{}
			for _, s := range tc.spans {
				b.AddSpan(&res, "", &sc, "", s)
			}
			if b.Spans != tc.kept || b.Duplicates != tc.dups {
				t.Errorf("kept %d, dropped %d; want %d, %d", b.Spans, b.Duplicates, tc.kept, tc.dups)
			}
			if got := MergeTraces(b.Traces()[0], &Trace{TraceID: tid}).SpanCount(); got != tc.kept {
				t.Errorf("merged: %d spans, want %d", got, tc.kept)
			}
		})
	}
}

// layout renders a trace's entries as "service{scope:spans ...} ...", the
// spans by the first byte of their ID.
func layout(t *Trace) string {
	out := ""
	for i, rs := range t.ResourceSpans {
		if i > 0 {
			out += " "
		}
		out += rs.Resource.ServiceName() + "{"
		for j, ss := range rs.ScopeSpans {
			if j > 0 {
				out += " "
			}
			out += ss.Scope.Name + ":"
			for _, s := range ss.Spans {
				out += string('0' + rune(s.SpanID[0]))
			}
		}
		out += "}"
	}
	return out
}

// TestTraceBuilderOrder: the merging builder moves spans of a repeated
// resource or scope to its first entry; the ordered one (and MergeTraces)
// merges only into the entry just before, so walking the trace visits the
// spans in the order they were added.
func TestTraceBuilderOrder(t *testing.T) {
	tid := TraceID{1}
	entry := func(svc string, scopes ...any) ResourceSpans {
		rs := ResourceSpans{Resource: Resource{Attributes: []Attribute{Str(ServiceNameKey, svc)}}}
		for i := 0; i < len(scopes); i += 2 {
			ss := ScopeSpans{Scope: Scope{Name: scopes[i].(string)}}
			for _, id := range scopes[i+1].([]byte) {
				ss.Spans = append(ss.Spans, Span{TraceID: tid, SpanID: SpanID{id}})
			}
			rs.ScopeSpans = append(rs.ScopeSpans, ss)
		}
		return rs
	}
	batches := []ResourceSpans{
		entry("a", "x", []byte{1}),
		entry("b", "x", []byte{2}),
		entry("a", "x", []byte{3}, "y", []byte{4}, "x", []byte{5}),
		entry("a", "x", []byte{6, 3}), // 3 is a duplicate
	}
	build := func(b *TraceBuilder) *Trace {
		for i := range batches {
			b.AddResourceSpans(&batches[i])
		}
		return b.Traces()[0]
	}
	if got, want := layout(build(NewTraceBuilder())), "a{x:1356 y:4} b{x:2}"; got != want {
		t.Errorf("merging builder: %s, want %s", got, want)
	}
	ordered := build(NewOrderedTraceBuilder())
	if got, want := layout(ordered), "a{x:1} b{x:2} a{x:3 y:4 x:56}"; got != want {
		t.Errorf("ordered builder: %s, want %s", got, want)
	}
	// MergeTraces appends in argument order; duplicates stay where first seen.
	first := &Trace{TraceID: tid, ResourceSpans: []ResourceSpans{entry("a", "x", []byte{1}), entry("b", "x", []byte{2})}}
	second := &Trace{TraceID: tid, ResourceSpans: []ResourceSpans{entry("b", "x", []byte{7}), entry("a", "x", []byte{1, 8})}}
	if got, want := layout(MergeTraces(first, second)), "a{x:1} b{x:27} a{x:8}"; got != want {
		t.Errorf("MergeTraces: %s, want %s", got, want)
	}
	if got, want := layout(MergeTraces(second, first)), "b{x:7} a{x:18} b{x:2}"; got != want {
		t.Errorf("MergeTraces reversed: %s, want %s", got, want)
	}
}

// TestCompareTraceIDs: the order is bytes.Compare's, on IDs that differ in
// either half, in the sign bit of a byte, or not at all.
func TestCompareTraceIDs(t *testing.T) {
	ids := []TraceID{{}, {0xff}, {0x7f}, {15: 1}, {15: 0xff}, {7: 0x80}, {8: 0x80}, {0: 1, 15: 0}, {0: 1, 15: 2}}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		var id TraceID
		for i := range id {
			id[i] = byte(r.IntN(3)) * 0x7f // few values, so halves often tie
		}
		ids = append(ids, id)
	}
	for _, a := range ids {
		for _, b := range ids {
			if got, want := CompareTraceIDs(a, b), bytes.Compare(a[:], b[:]); got != want {
				t.Fatalf("CompareTraceIDs(%s, %s) = %d, want %d", a, b, got, want)
			}
		}
	}
}

// TestSpanKeySet: the set answers as a map does for sets that stay a list
// and sets that outgrow it (smallKeySet), with repeats before and after
// the switch, both kinds of a shared span ID, and content keys.
func TestSpanKeySet(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, smallKeySet - 1, smallKeySet, smallKeySet + 1, 4 * smallKeySet} {
		var ks spanKeySet
		ref := map[SpanKey]struct{}{}
		for i := 0; i < 3*n; i++ {
			k := SpanKey{SpanID: SpanID{byte(rng.IntN(n)), byte(rng.IntN(2))}, Kind: SpanKind(rng.IntN(2))}
			if k.SpanID == (SpanID{}) {
				k.Content = uint64(rng.IntN(3))
			}
			_, had := ref[k]
			ref[k] = struct{}{}
			if got := ks.add(k); got != !had {
				t.Fatalf("n=%d, add %v #%d: new = %v, want %v", n, k, i, got, !had)
			}
		}
		if len(ref) > smallKeySet && ks.m == nil {
			t.Errorf("n=%d: %d keys still in a list", n, len(ref))
		}
	}
}

// TestAttrBlock: cut lists are zeroed, as long as asked with no spare
// capacity (an append copies rather than writing into the next list), and
// a list longer than the block gets an allocation of its own.
func TestAttrBlock(t *testing.T) {
	b := AttrBlock{Size: 4}
	var lists [][]Attribute
	for _, n := range []int{1, 3, 2, 9, 1} {
		l := b.Cut(n)
		if len(l) != n || cap(l) != n {
			t.Fatalf("Cut(%d): len %d, cap %d", n, len(l), cap(l))
		}
		for i := range l {
			if l[i].Key != "" || l[i].Value.Type != ValueEmpty {
				t.Fatalf("Cut(%d): attribute %d not zero", n, i)
			}
			l[i].Key = "x"
		}
		lists = append(lists, l)
	}
	lists[0] = append(lists[0], Attribute{Key: "y"})
	if lists[1][0].Key != "x" {
		t.Fatal("an append to one list wrote into the next")
	}
}
