package model

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

	// parent[i] is the index of span i's parent, -1 for a root, -2 when the
	// parent is missing (an orphan: not numbered).
	parent := make([]int, len(spans))
	for i, s := range spans {
		parent[i] = findParent(spans, byID, i, s)
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

// findParent returns the index of span i's parent, -1 for a root and -2 for
// a span whose parent is not in the trace.
func findParent(spans []*Span, byID map[SpanID][]int, i int, s *Span) int {
	// The server half of a shared client/server span hangs under its client half.
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
	cands := byID[s.ParentSpanID]
	best := -2
	for _, j := range cands {
		if j == i {
			continue
		}
		if best < 0 || spans[j].Kind == KindServer {
			best = j
		}
	}
	return best
}
