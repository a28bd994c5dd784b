package eval

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/traceql"
)

// naive is the pairwise definition of each relation on nested sets
// (reference §4.4): does r relate to l under the base operator?
func naive(op traceql.Operator, l, r *span) bool {
	if !l.hasNesting() || !r.hasNesting() {
		return false
	}
	switch op {
	case traceql.OpDescendant:
		return l.left() < r.left() && r.right() < l.right()
	case traceql.OpAncestor:
		return r.left() < l.left() && l.right() < r.right()
	case traceql.OpChild:
		return r.parent() == l.left()
	case traceql.OpParent:
		return l.parent() == r.left()
	case traceql.OpSibling:
		return r.parent() != 0 && r.parent() == l.parent() && r.idx != l.idx
	}
	panic("unknown op")
}

func naiveStructural(op traceql.Operator, l, r []*span) []*span {
	base, mode := op, 0
	switch op {
	case traceql.OpNotDescendant, traceql.OpNotAncestor, traceql.OpNotChild, traceql.OpNotParent, traceql.OpNotSibling:
		mode = 1
	case traceql.OpUnionDescendant, traceql.OpUnionAncestor, traceql.OpUnionChild, traceql.OpUnionParent, traceql.OpUnionSibling:
		mode = 2
	}
	switch op {
	case traceql.OpNotDescendant, traceql.OpUnionDescendant:
		base = traceql.OpDescendant
	case traceql.OpNotAncestor, traceql.OpUnionAncestor:
		base = traceql.OpAncestor
	case traceql.OpNotChild, traceql.OpUnionChild:
		base = traceql.OpChild
	case traceql.OpNotParent, traceql.OpUnionParent:
		base = traceql.OpParent
	case traceql.OpNotSibling, traceql.OpUnionSibling:
		base = traceql.OpSibling
	}
	var out []*span
	inL := map[int]bool{}
	if mode == 2 {
		for _, x := range l {
			for _, y := range r {
				if naive(base, x, y) {
					inL[x.idx] = true
				}
			}
		}
	}
	for _, y := range r {
		any := false
		for _, x := range l {
			if naive(base, x, y) {
				any = true
			}
		}
		if (mode == 1) != any {
			out = append(out, y)
		}
	}
	var ls []*span
	for _, x := range l {
		if inL[x.idx] {
			ls = append(ls, x)
		}
	}
	return union(ls, out)
}

// randomTrace builds a random forest with orphans, then computes nested sets.
func randomTrace(rng *rand.Rand, n int) *traceData {
	tr := &model.Trace{ResourceSpans: []model.ResourceSpans{{ScopeSpans: []model.ScopeSpans{{}}}}}
	spans := make([]model.Span, n)
	for i := range spans {
		spans[i].SpanID = model.SpanID{0, 0, 0, 0, 0, 0, byte(i >> 8), byte(i + 1)}
		switch p := rng.Intn(i + 3); {
		case p >= i+1: // root (or orphan when p == i+2)
			if p == i+2 {
				spans[i].ParentSpanID = model.SpanID{9, 9}
			}
		default:
			spans[i].ParentSpanID = spans[p].SpanID
			if p == i {
				spans[i].ParentSpanID = model.SpanID{}
			}
		}
	}
	rng.Shuffle(len(spans), func(i, j int) { spans[i], spans[j] = spans[j], spans[i] })
	tr.ResourceSpans[0].ScopeSpans[0].Spans = spans
	model.ComputeNestedSets(tr)
	return newTraceData(tr)
}

func TestStructuralMatchesPairwise(t *testing.T) {
	ops := []traceql.Operator{
		traceql.OpChild, traceql.OpParent, traceql.OpDescendant, traceql.OpAncestor, traceql.OpSibling,
		traceql.OpNotChild, traceql.OpNotParent, traceql.OpNotDescendant, traceql.OpNotAncestor, traceql.OpNotSibling,
		traceql.OpUnionChild, traceql.OpUnionParent, traceql.OpUnionDescendant, traceql.OpUnionAncestor, traceql.OpUnionSibling,
	}
	rng := rand.New(rand.NewSource(7))
	nonEmpty := 0
	for iter := 0; iter < 300; iter++ {
		td := randomTrace(rng, 1+rng.Intn(40))
		pick := func() []*span {
			var out []*span
			for _, s := range td.spans {
				if rng.Intn(3) == 0 {
					out = append(out, s)
				}
			}
			return out
		}
		l, r := pick(), pick()
		for _, op := range ops {
			got, want := structural(op, l, r), naiveStructural(op, l, r)
			if fmt.Sprint(ids(got)) != fmt.Sprint(ids(want)) {
				t.Fatalf("iteration %d op %s: got %v, want %v", iter, op, ids(got), ids(want))
			}
			if len(want) > 0 {
				nonEmpty++
			}
		}
	}
	if nonEmpty < 1000 {
		t.Errorf("only %d non-empty results: the random traces are too flat", nonEmpty)
	}
}

func ids(s []*span) []int {
	out := make([]int, len(s))
	for i, x := range s {
		out[i] = x.idx
	}
	return out
}
