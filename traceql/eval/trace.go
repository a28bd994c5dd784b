package eval

import (
	"github.com/tracectl/tracectl/model"
)

// span is one span of the trace being evaluated.
type span struct {
	ref model.SpanRef
	idx int // position in file order; the identity of the span within a trace
}

func (s *span) left() int32   { return s.ref.Span.NestedSetLeft }
func (s *span) right() int32  { return s.ref.Span.NestedSetRight }
func (s *span) parent() int32 { return s.ref.Span.ParentIndex }

// hasNesting reports whether the span's nested-set numbers are known.
func (s *span) hasNesting() bool {
	return s.ref.Span.NestedSetLeft != 0 && s.ref.Span.NestedSetRight != 0
}

// traceData is a trace prepared for evaluation, with the trace-level
// intrinsics computed once.
type traceData struct {
	t           *model.Trace
	spans       []*span
	hasRoot     bool
	rootName    string
	rootService string
	start, end  uint64
	childCount  map[int32]int64        // by the parent's NestedSetLeft
	childByID   map[model.SpanID]int64 // fallback when nesting is unknown
}

func newTraceData(t *model.Trace) *traceData {
	return new(traceBuffer).load(t)
}

// traceBuffer holds one trace's traceData at a time, reusing its memory
// for the next: for a loop over traces that keeps nothing of a traceData
// (nor of its spans) once it moves on to the next trace.
type traceBuffer struct {
	td    traceData
	spans []*span
	all   []span
}

// load returns the traceData of t, valid until the next load.
func (b *traceBuffer) load(t *model.Trace) *traceData {
	n := t.SpanCount()
	if cap(b.all) < n {
		b.all, b.spans = make([]span, 0, n), make([]*span, 0, n)
	} else if len(b.all) > n {
		clear(b.all[n:]) // no pointer into an earlier trace stays reachable
	}
	b.td = traceData{t: t, spans: b.spans[:0]}
	td := &b.td
	all := b.all[:0] // one allocation for the trace's spans
	t.Spans(func(r model.SpanRef) bool {
		all = append(all, span{ref: r, idx: len(all)})
		td.spans = append(td.spans, &all[len(all)-1])
		return true
	})
	b.all = all
	if root, ok := t.Root(); ok {
		td.hasRoot = true
		td.rootName = root.Span.Name
		td.rootService = root.Resource.ServiceName()
	}
	td.start, td.end = t.TimeRange()
	return td
}

// childCountOf returns the number of direct children of s: spans whose
// nested-set parent is s, or, when nesting is unknown, spans naming s as
// parent.
func (td *traceData) childCountOf(s *span) int64 {
	if td.childCount == nil {
		td.childCount = map[int32]int64{}
		td.childByID = map[model.SpanID]int64{}
		for _, x := range td.spans {
			if p := x.parent(); p > 0 {
				td.childCount[p]++
			}
			if !x.ref.Span.ParentSpanID.IsZero() {
				td.childByID[x.ref.Span.ParentSpanID]++
			}
		}
	}
	if s.left() > 0 {
		return td.childCount[s.left()]
	}
	return td.childByID[s.ref.Span.SpanID]
}

// spanset is a set of spans of one trace (ordered by idx, no duplicates)
// plus the attributes pipeline stages attached to it.
type spanset struct {
	spans   []*span
	attrs   []ssAttr
	selects []selectAttr
}

type ssAttr struct {
	name string
	v    value
}

func (ss *spanset) withSpans(spans []*span) *spanset {
	return &spanset{spans: spans, attrs: ss.attrs, selects: ss.selects}
}

func (ss *spanset) withAttr(name string, v value) *spanset {
	attrs := make([]ssAttr, 0, len(ss.attrs)+1)
	for _, a := range ss.attrs {
		if a.name != name {
			attrs = append(attrs, a)
		}
	}
	attrs = append(attrs, ssAttr{name, v})
	return &spanset{spans: ss.spans, attrs: attrs, selects: ss.selects}
}

// union merges two span lists ordered by idx.
func union(a, b []*span) []*span {
	out := make([]*span, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j >= len(b) || (i < len(a) && a[i].idx < b[j].idx):
			out = append(out, a[i])
			i++
		case i >= len(a) || b[j].idx < a[i].idx:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

func mergeAttrs(a, b []ssAttr) []ssAttr {
	out := append([]ssAttr(nil), a...)
outer:
	for _, x := range b {
		for _, y := range out {
			if y.name == x.name {
				continue outer
			}
		}
		out = append(out, x)
	}
	return out
}

func mergeSelects(a, b []selectAttr) []selectAttr {
	out := append([]selectAttr(nil), a...)
outer:
	for _, x := range b {
		for _, y := range out {
			if y.key == x.key {
				continue outer
			}
		}
		out = append(out, x)
	}
	return out
}
