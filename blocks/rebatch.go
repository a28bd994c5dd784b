package blocks

import "github.com/tracectl/tracectl/model"

// rebatcher is rebatch with reused memory. A trace already in the form
// rebatch gives (model.IsOrdered: ingest's traces, most blocks' traces) is
// copied, down to its spans (attributes, events and links are shared),
// into the rebatcher's memory and its nested sets computed there, instead
// of being rebuilt span by span; others go through rebatch. The copy is
// valid until the next call.
type rebatcher struct {
	nested model.NestedSets
	keys   []model.SpanKey
	t      model.Trace
	rs     []model.ResourceSpans
	ss     []model.ScopeSpans
	spans  []model.Span
}

func (r *rebatcher) rebatch(t *model.Trace) *model.Trace {
	var ok bool
	if ok, r.keys = model.IsOrdered(t, r.keys); !ok {
		return rebatch(t)
	}
	nss, nspans := 0, 0
	for i := range t.ResourceSpans {
		nss += len(t.ResourceSpans[i].ScopeSpans)
		for j := range t.ResourceSpans[i].ScopeSpans {
			nspans += len(t.ResourceSpans[i].ScopeSpans[j].Spans)
		}
	}
	r.rs = grow(r.rs, len(t.ResourceSpans))
	r.ss = grow(r.ss, nss)
	r.spans = grow(r.spans, nspans)
	ss, spans := r.ss, r.spans
	for i := range t.ResourceSpans {
		src := &t.ResourceSpans[i]
		n := len(src.ScopeSpans)
		r.rs[i] = model.ResourceSpans{Resource: src.Resource, ScopeSpans: ss[:n:n]}
		for j := range src.ScopeSpans {
			m := len(src.ScopeSpans[j].Spans)
			copy(spans, src.ScopeSpans[j].Spans)
			ss[j] = model.ScopeSpans{Scope: src.ScopeSpans[j].Scope, Spans: spans[:m:m]}
			spans = spans[m:]
		}
		ss = ss[n:]
	}
	r.t = model.Trace{TraceID: t.TraceID, ResourceSpans: r.rs[:len(t.ResourceSpans):len(t.ResourceSpans)]}
	r.nested.Compute(&r.t)
	return &r.t
}

// grow returns s resized to n, reallocated when short.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, max(n, 2*cap(s)))
	}
	return s[:n]
}
