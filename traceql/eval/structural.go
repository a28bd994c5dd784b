package eval

import (
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/traceql"
)

// This file implements the structural spanset operators on nested sets
// (reference §1.7 and §4.4). With L the left-hand and R the right-hand
// spans:
//
//	L >> R   R with an ancestor in L        L << R   R with a descendant in L
//	L >  R   R with its parent in L         L <  R   R the parent of some L
//	L ~  R   R with a sibling in L (same non-zero parent, different span)
//
// The `!` forms return the R spans for which the relation holds for no L
// span (so spans without nesting data are returned), the `&` forms the L and
// R spans that take part in at least one relation. A relation needs non-zero
// nested-set numbers on both spans. Nested sets form a laminar family
// (intervals are nested or disjoint), which the descendant/ancestor tests
// below rely on to run in O(n log n) instead of comparing every pair.

// structural evaluates op on L and R (both ordered by idx) with the
// nested-set relations of package store.
func structural(op traceql.Operator, l, r []*span) []*span {
	rel, mode := relationOf(op)
	nested := func(ss []*span) []store.NestedSpan {
		out := make([]store.NestedSpan, len(ss))
		for i, s := range ss {
			out[i] = store.NestedSpan{Left: s.left(), Right: s.right(), Parent: s.parent(), Idx: s.idx}
		}
		return out
	}
	rSel, lSel := store.RelationSelect(rel, mode, nested(l), nested(r))
	var out []*span
	for i, s := range r {
		if rSel[i] != (mode == store.RelNot) {
			out = append(out, s)
		}
	}
	if lSel != nil {
		var ls []*span
		for i, s := range l {
			if lSel[i] {
				ls = append(ls, s)
			}
		}
		out = union(ls, out)
	}
	return out
}

// relationOf maps a structural operator to its relation and mode.
func relationOf(op traceql.Operator) (store.Relation, store.RelationMode) {
	switch op {
	case traceql.OpDescendant:
		return store.RelDescendant, store.RelPlain
	case traceql.OpNotDescendant:
		return store.RelDescendant, store.RelNot
	case traceql.OpUnionDescendant:
		return store.RelDescendant, store.RelUnion
	case traceql.OpAncestor:
		return store.RelAncestor, store.RelPlain
	case traceql.OpNotAncestor:
		return store.RelAncestor, store.RelNot
	case traceql.OpUnionAncestor:
		return store.RelAncestor, store.RelUnion
	case traceql.OpChild:
		return store.RelChild, store.RelPlain
	case traceql.OpNotChild:
		return store.RelChild, store.RelNot
	case traceql.OpUnionChild:
		return store.RelChild, store.RelUnion
	case traceql.OpParent:
		return store.RelParent, store.RelPlain
	case traceql.OpNotParent:
		return store.RelParent, store.RelNot
	case traceql.OpUnionParent:
		return store.RelParent, store.RelUnion
	case traceql.OpSibling:
		return store.RelSibling, store.RelPlain
	case traceql.OpNotSibling:
		return store.RelSibling, store.RelNot
	case traceql.OpUnionSibling:
		return store.RelSibling, store.RelUnion
	}
	return 0, 0
}
