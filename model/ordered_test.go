package model

import (
	"math"
	"math/rand"
	"reflect"
	"testing"
)

// randomAttrs draws attributes from a small pool, so that equal and
// nearly equal lists (same keys, other type; -0 and +0; NaN) come up often.
func randomAttrs(rng *rand.Rand) []Attribute {
	pool := []Attribute{
		Str("a", "x"), Str("a", "y"), Str("a", ""), Int("a", 0), Double("a", 0), Double("a", math.Copysign(0, -1)),
		Double("a", math.NaN()), Bool("a", false), {Key: "a"}, {Key: "a", Value: BytesValue([]byte("x"))},
		{Key: "b", Value: ArrayValue(StringValue("x"))}, {Key: "b", Value: ArrayValue(StringValue("x"), IntValue(1))},
		{Key: "b", Value: ArrayValue()}, {Key: "b", Value: MapValue(Str("a", "x"))}, {Key: "b", Value: MapValue()},
		Str("b", "x"),
	}
	n := rng.Intn(3)
	out := make([]Attribute, n)
	for i := range out {
		out[i] = pool[rng.Intn(len(pool))]
	}
	return out
}

// TestSameKeyIsKeyEquality: sameResource and sameScope agree with
// comparing resourceKey and scopeKey.
func TestSameKeyIsKeyEquality(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	equal := 0
	for range 20000 {
		r1 := Resource{Attributes: randomAttrs(rng), DroppedAttributesCount: uint32(rng.Intn(2))}
		r2 := Resource{Attributes: randomAttrs(rng), DroppedAttributesCount: uint32(rng.Intn(2))}
		if got, want := sameResource(&r1, &r2), resourceKey(&r1) == resourceKey(&r2); got != want {
			t.Fatalf("sameResource(%+v, %+v) = %v, keys equal: %v", r1, r2, got, want)
		}
		s1 := Scope{Name: []string{"", "n"}[rng.Intn(2)], Attributes: r1.Attributes}
		s2 := Scope{Name: []string{"", "n"}[rng.Intn(2)], Attributes: r2.Attributes}
		if got, want := sameScope(&s1, &s2), scopeKey(&s1) == scopeKey(&s2); got != want {
			t.Fatalf("sameScope(%+v, %+v) = %v, keys equal: %v", s1, s2, got, want)
		}
		if resourceKey(&r1) == resourceKey(&r2) {
			equal++
		}
	}
	if equal < 1000 {
		t.Fatalf("only %d equal pairs: the pool does not test equality", equal)
	}
}

// TestIsOrdered: IsOrdered holds exactly when an ordered builder returns
// the trace unchanged (nested sets aside), for spans with IDs; a span
// without one makes it false.
func TestIsOrdered(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	tid := TraceID{9}
	ordered, not := 0, 0
	var scratch []SpanKey
	for range 5000 {
		tr := &Trace{TraceID: tid}
		for range rng.Intn(3) {
			rs := ResourceSpans{Resource: Resource{Attributes: randomAttrs(rng)}}
			for range rng.Intn(3) {
				ss := ScopeSpans{Scope: Scope{Attributes: randomAttrs(rng)}}
				for range rng.Intn(3) {
					s := Span{TraceID: tid, SpanID: SpanID{byte(rng.Intn(6))}, Kind: SpanKind(rng.Intn(2))}
					if rng.Intn(20) == 0 {
						s.TraceID = TraceID{8}
					}
					ss.Spans = append(ss.Spans, s)
				}
				rs.ScopeSpans = append(rs.ScopeSpans, ss)
			}
			tr.ResourceSpans = append(tr.ResourceSpans, rs)
		}
		b := NewOrderedTraceBuilder()
		b.AddTrace(tr)
		var want bool
		switch out := b.Traces(); {
		case len(out) == 1:
			want = sameLayout(out[0], tr)
		case len(out) == 0:
			want = len(tr.ResourceSpans) == 0
		}
		tr.Spans(func(r SpanRef) bool {
			want = want && !r.Span.SpanID.IsZero()
			return true
		})
		var got bool
		got, scratch = IsOrdered(tr, scratch)
		if got != want {
			t.Fatalf("IsOrdered = %v, want %v for %+v", got, want, tr)
		}
		if got {
			ordered++
		} else {
			not++
		}
	}
	if ordered < 500 || not < 500 {
		t.Fatalf("%d ordered, %d not: the cases do not test both", ordered, not)
	}
}

// TestAddResourceSpansIsAddSpan: an ordered builder given whole resource
// spans (runs of one trace added at once) builds the traces, and counts
// the spans and duplicates, that adding the same spans one by one does, on
// random batches where one trace's spans come in runs or interleaved, with
// duplicates inside a run, across runs and across batches.
func TestAddResourceSpansIsAddSpan(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for round := range 300 {
		whole, single := NewOrderedTraceBuilder(), NewOrderedTraceBuilder()
		for range 1 + rng.Intn(4) {
			rs := ResourceSpans{Resource: Resource{Attributes: randomAttrs(rng)}}
			for range 1 + rng.Intn(3) {
				ss := ScopeSpans{Scope: Scope{Name: []string{"", "a", "b"}[rng.Intn(3)]}}
				for range rng.Intn(30) {
					tid := TraceID{byte(rng.Intn(4))}
					for range 1 + rng.Intn(4) { // a run of one trace
						ss.Spans = append(ss.Spans, Span{TraceID: tid, SpanID: SpanID{byte(1 + rng.Intn(12))},
							Kind: SpanKind(rng.Intn(3)), Name: []string{"x", "y"}[rng.Intn(2)]})
					}
				}
				rs.ScopeSpans = append(rs.ScopeSpans, ss)
			}
			whole.AddResourceSpans(&rs)
			for i := range rs.ScopeSpans {
				for _, s := range rs.ScopeSpans[i].Spans {
					single.AddSpan(&rs.Resource, "", &rs.ScopeSpans[i].Scope, "", s)
				}
			}
		}
		if whole.Spans != single.Spans || whole.Duplicates != single.Duplicates {
			t.Fatalf("round %d: %d spans, %d duplicates; one by one %d, %d", round, whole.Spans, whole.Duplicates, single.Spans, single.Duplicates)
		}
		if got, want := whole.SortedTraces(), single.SortedTraces(); !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: traces differ from adding the spans one by one", round)
		}
	}
}

// TestRepeatsKey: the pairwise check of short lists and the sort of long
// ones agree with a map, at and past smallKeySet, with and without a
// repeat.
func TestRepeatsKey(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	seen := map[bool]int{}
	for _, n := range []int{0, 1, 2, smallKeySet - 1, smallKeySet, smallKeySet + 1, 3 * smallKeySet} {
		for range 200 {
			keys := make([]SpanKey, n)
			ref := map[SpanKey]bool{}
			want := false
			for i := range keys {
				keys[i] = SpanKey{SpanID: SpanID{byte(rng.Intn(4 * max(n, 1))), 0, 0, 0, 0, 0, 0, byte(rng.Intn(2))}, Kind: SpanKind(rng.Intn(2))}
				want = want || ref[keys[i]]
				ref[keys[i]] = true
			}
			if got := repeatsKey(keys); got != want {
				t.Fatalf("n=%d: repeatsKey = %v, want %v", n, got, want)
			}
			seen[want]++
		}
	}
	if seen[true] < 100 || seen[false] < 100 {
		t.Fatalf("%v: the cases do not test both answers", seen)
	}
}

// TestOrderedBuilderMergesByKey: an ordered builder merges a span into the
// entry before it exactly when that entry's resource and scope have the
// keys (resourceKey, scopeKey) of the span's, as a reference that
// compares the keys builds it, on random batches of few traces, resources
// and scopes drawn from small pools (equal, nearly equal and shared
// attribute lists), with duplicate spans, through AddResourceSpans,
// AddSpan and MergeSpans.
func TestOrderedBuilderMergesByKey(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	var merged, split int
	for range 3000 {
		shared := randomAttrs(rng)
		attrs := func() []Attribute {
			if rng.Intn(3) == 0 {
				return shared[:rng.Intn(len(shared)+1)] // one slice, maybe cut
			}
			return randomAttrs(rng)
		}
		var batches []ResourceSpans
		for range 1 + rng.Intn(4) {
			rs := ResourceSpans{Resource: Resource{Attributes: attrs(), DroppedAttributesCount: uint32(rng.Intn(4) / 3)}}
			for range 1 + rng.Intn(3) {
				ss := ScopeSpans{Scope: Scope{Name: []string{"", "n"}[rng.Intn(2)], Attributes: attrs()}}
				for range 1 + rng.Intn(4) {
					ss.Spans = append(ss.Spans, Span{TraceID: TraceID{byte(1 + rng.Intn(2))}, SpanID: SpanID{byte(rng.Intn(8))}})
				}
				rs.ScopeSpans = append(rs.ScopeSpans, ss)
			}
			batches = append(batches, rs)
		}

		// The reference: the last entry's keys per trace.
		want := map[TraceID]*Trace{}
		lastRes, lastScope := map[TraceID]string{}, map[TraceID]string{}
		seen := map[TraceID]*spanKeySet{}
		for i := range batches {
			rs := &batches[i]
			for j := range rs.ScopeSpans {
				ss := &rs.ScopeSpans[j]
				for _, s := range ss.Spans {
					if seen[s.TraceID] == nil {
						seen[s.TraceID], want[s.TraceID] = &spanKeySet{}, &Trace{TraceID: s.TraceID}
					}
					if !seen[s.TraceID].add(KeyOf(&s)) {
						continue
					}
					tr := want[s.TraceID]
					rkey, skey := resourceKey(&rs.Resource), scopeKey(&ss.Scope)
					if len(tr.ResourceSpans) == 0 || lastRes[s.TraceID] != rkey {
						tr.ResourceSpans = append(tr.ResourceSpans, ResourceSpans{Resource: rs.Resource})
						lastRes[s.TraceID], lastScope[s.TraceID] = rkey, ""
					} else {
						merged++
					}
					last := &tr.ResourceSpans[len(tr.ResourceSpans)-1]
					if len(last.ScopeSpans) == 0 || lastScope[s.TraceID] != skey {
						last.ScopeSpans = append(last.ScopeSpans, ScopeSpans{Scope: ss.Scope})
						lastScope[s.TraceID] = skey
						split++
					}
					sp := &last.ScopeSpans[len(last.ScopeSpans)-1]
					sp.Spans = append(sp.Spans, s)
				}
			}
		}

		whole, bySpan := NewOrderedTraceBuilder(), NewOrderedTraceBuilder()
		for i := range batches {
			whole.AddResourceSpans(&batches[i])
			for j := range batches[i].ScopeSpans {
				ss := &batches[i].ScopeSpans[j]
				for _, s := range ss.Spans {
					bySpan.AddSpan(&batches[i].Resource, "", &ss.Scope, "", s)
				}
			}
		}
		for name, got := range map[string][]*Trace{"AddResourceSpans": whole.SortedTraces(), "AddSpan": bySpan.SortedTraces()} {
			if len(got) != len(want) {
				t.Fatalf("%s: %d traces, want %d", name, len(got), len(want))
			}
			for _, tr := range got {
				if !sameLayout(tr, want[tr.TraceID]) {
					t.Fatalf("%s: trace %x\n%+v\nwant %+v", name, tr.TraceID[:1], tr, want[tr.TraceID])
				}
			}
		}
		// MergeSpans of one trace's parts, one part per batch.
		id := TraceID{1}
		var parts []*Trace
		for i := range batches {
			b := NewOrderedTraceBuilder()
			b.AddResourceSpans(&batches[i])
			for _, tr := range b.SortedTraces() {
				if tr.TraceID == id {
					parts = append(parts, tr)
				}
			}
		}
		if w, ok := want[id]; ok && !sameLayout(MergeSpans(parts...), w) {
			t.Fatalf("MergeSpans of %d parts: %+v\nwant %+v", len(parts), MergeSpans(parts...), w)
		}
	}
	if merged < 1000 || split < 1000 {
		t.Fatalf("%d spans merged into the entry before, %d new scope entries: the cases do not test both", merged, split)
	}
}

// sameLayout reports whether a and b have entries with the same resource
// and scope keys holding the same spans (by SpanKey and trace ID): the
// builder copies resources and scopes from its input, so that is equality
// but for nested sets (reflect.DeepEqual would fail on NaN attributes).
func sameLayout(a, b *Trace) bool {
	if a.TraceID != b.TraceID || len(a.ResourceSpans) != len(b.ResourceSpans) {
		return false
	}
	for i := range a.ResourceSpans {
		x, y := &a.ResourceSpans[i], &b.ResourceSpans[i]
		if len(x.ScopeSpans) != len(y.ScopeSpans) || resourceKey(&x.Resource) != resourceKey(&y.Resource) {
			return false
		}
		for j := range x.ScopeSpans {
			p, q := &x.ScopeSpans[j], &y.ScopeSpans[j]
			if len(p.Spans) != len(q.Spans) || scopeKey(&p.Scope) != scopeKey(&q.Scope) {
				return false
			}
			for k := range p.Spans {
				if KeyOf(&p.Spans[k]) != KeyOf(&q.Spans[k]) || p.Spans[k].TraceID != q.Spans[k].TraceID {
					return false
				}
			}
		}
	}
	return true
}
