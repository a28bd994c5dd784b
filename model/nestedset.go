package model

import "slices"

// ComputeNestedSets fills NestedSetLeft, NestedSetRight and ParentIndex of
// every span of t, following Tempo's vParquet4 rules:
//
//   - the tree is built from SpanID/ParentSpanID; when a client and a server
//     span share a SpanID (Zipkin shared spans), children hang under the
//     server half and the server half hangs under the client half;
//   - a depth-first walk from each root, in file order, numbers spans with
//     one counter starting at 1 (left on entry, right on exit); ParentIndex
//     is the parent's left number and -1 for roots;
//   - spans not reachable from a root keep 0/0/0, and if any SpanID occurs
//     more than twice every span gets zeros.
func ComputeNestedSets(t *Trace) {
	var ns NestedSets
	ns.Compute(t)
}

// NestedSets computes nested sets as ComputeNestedSets does, keeping its
// working memory (a few slices and one map) for the next trace: a writer
// of many traces allocates it once. The zero value is ready to use; it is
// not safe for concurrent use.
type NestedSets struct {
	spans []*Span
	// byID holds the first two indexes (in file order) of the spans with
	// each SpanID; the second is -1 when there is one.
	byID map[SpanID][2]int32
	// buf holds parent[], next[] and first[] below, and kids.
	buf []int32
	// The children of span i, in file order, are kids[first[i]:first[i+1]].
	first, kids []int32
	visited     []bool
	roots       []int32
	counter     int32
}

// Compute is ComputeNestedSets(t).
func (ns *NestedSets) Compute(t *Trace) {
	n := t.SpanCount()
	ns.spans = ns.spans[:0]
	t.Spans(func(r SpanRef) bool {
		r.Span.NestedSetLeft, r.Span.NestedSetRight, r.Span.ParentIndex = 0, 0, 0
		ns.spans = append(ns.spans, r.Span)
		return true
	})
	defer clear(ns.spans) // keep no trace alive
	if ns.byID == nil {
		ns.byID = make(map[SpanID][2]int32, n)
	} else {
		clear(ns.byID)
	}
	for i, s := range ns.spans {
		ids, ok := ns.byID[s.SpanID]
		switch {
		case !ok:
			ids = [2]int32{int32(i), -1}
		case ids[1] < 0:
			ids[1] = int32(i)
		default:
			return // a SpanID more than twice: every span keeps zeros
		}
		ns.byID[s.SpanID] = ids
	}

	// One slab for the index lists: parent[i] is the index of span i's
	// parent, -1 for a root, -2 when the parent is missing (an orphan: not
	// numbered); next[p] is where p's next child goes in kids.
	ns.buf = slices.Grow(ns.buf[:0], 4*n+1)[:4*n+1]
	clear(ns.buf)
	parent, next := ns.buf[:n], ns.buf[n:2*n]
	ns.first = ns.buf[2*n : 3*n+1]
	for i, s := range ns.spans {
		p := ns.findParent(i, s)
		parent[i] = p
		if p >= 0 {
			ns.first[p+1]++
		}
	}
	for i := 1; i <= n; i++ {
		ns.first[i] += ns.first[i-1]
	}
	ns.kids = ns.buf[3*n+1 : 3*n+1+int(ns.first[n])]
	copy(next, ns.first[:n])
	ns.visited = slices.Grow(ns.visited[:0], n)[:n]
	clear(ns.visited)
	ns.roots = ns.roots[:0]
	for i, p := range parent {
		switch {
		case p == -1:
			ns.roots = append(ns.roots, int32(i))
		case p >= 0:
			ns.kids[next[p]] = int32(i)
			next[p]++
		}
	}
	ns.counter = 0
	for _, r := range ns.roots {
		if !ns.visited[r] {
			ns.walk(r, -1)
		}
	}
}

// walk numbers span i and, depth first in file order, its children.
func (ns *NestedSets) walk(i int32, parentLeft int32) {
	s := ns.spans[i]
	ns.visited[i] = true
	ns.counter++
	s.NestedSetLeft = ns.counter
	s.ParentIndex = parentLeft
	for _, c := range ns.kids[ns.first[i]:ns.first[i+1]] {
		if !ns.visited[c] {
			ns.walk(c, s.NestedSetLeft)
		}
	}
	ns.counter++
	s.NestedSetRight = ns.counter
}

// findParent returns the index of span i's parent, -1 for a root and -2 for
// a span whose parent is not in the trace.
func (ns *NestedSets) findParent(i int, s *Span) int32 {
	// The server half of a shared client/server span hangs under its client half.
	if s.Kind == KindServer {
		for _, j := range ns.byID[s.SpanID] {
			if j >= 0 && int(j) != i && ns.spans[j].Kind == KindClient {
				return j
			}
		}
	}
	if s.ParentSpanID.IsZero() {
		return -1
	}
	cands, ok := ns.byID[s.ParentSpanID]
	best := int32(-2)
	if !ok {
		return best
	}
	for _, j := range cands {
		if j < 0 || int(j) == i {
			continue
		}
		if best < 0 || ns.spans[j].Kind == KindServer {
			best = j
		}
	}
	return best
}
