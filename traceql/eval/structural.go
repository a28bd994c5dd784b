package eval

import (
	"slices"
	"sort"

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

// structural evaluates op on L and R (both ordered by idx).
func structural(op traceql.Operator, l, r []*span) []*span {
	var rSel, lSel []bool
	switch op {
	case traceql.OpDescendant, traceql.OpNotDescendant, traceql.OpUnionDescendant:
		rSel = hasAncestorIn(r, l)
		if op == traceql.OpUnionDescendant {
			lSel = hasDescendantIn(l, r)
		}
	case traceql.OpAncestor, traceql.OpNotAncestor, traceql.OpUnionAncestor:
		rSel = hasDescendantIn(r, l)
		if op == traceql.OpUnionAncestor {
			lSel = hasAncestorIn(l, r)
		}
	case traceql.OpChild, traceql.OpNotChild, traceql.OpUnionChild:
		rSel = parentIn(r, l)
		if op == traceql.OpUnionChild {
			lSel = isParentOf(l, r)
		}
	case traceql.OpParent, traceql.OpNotParent, traceql.OpUnionParent:
		rSel = isParentOf(r, l)
		if op == traceql.OpUnionParent {
			lSel = parentIn(l, r)
		}
	case traceql.OpSibling, traceql.OpNotSibling, traceql.OpUnionSibling:
		rSel = siblingIn(r, l)
		if op == traceql.OpUnionSibling {
			lSel = siblingIn(l, r)
		}
	}
	negated := op == traceql.OpNotChild || op == traceql.OpNotParent || op == traceql.OpNotDescendant ||
		op == traceql.OpNotAncestor || op == traceql.OpNotSibling
	var out []*span
	for i, s := range r {
		if rSel[i] != negated {
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

// hasAncestorIn marks the xs that have a proper ancestor in ys. Among the ys
// starting left of x, the one reaching furthest right contains x if any does.
func hasAncestorIn(xs, ys []*span) []bool {
	type iv struct{ left, right int32 }
	var sorted []iv
	for _, y := range ys {
		if y.hasNesting() {
			sorted = append(sorted, iv{y.left(), y.right()})
		}
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].left < sorted[j].left })
	maxRight := make([]int32, len(sorted))
	for i, v := range sorted {
		maxRight[i] = v.right
		if i > 0 && maxRight[i-1] > v.right {
			maxRight[i] = maxRight[i-1]
		}
	}
	out := make([]bool, len(xs))
	for i, x := range xs {
		if !x.hasNesting() {
			continue
		}
		n := sort.Search(len(sorted), func(k int) bool { return sorted[k].left >= x.left() })
		out[i] = n > 0 && maxRight[n-1] > x.right()
	}
	return out
}

// hasDescendantIn marks the xs that have a proper descendant in ys: some y
// starting strictly inside x.
func hasDescendantIn(xs, ys []*span) []bool {
	var lefts []int32
	for _, y := range ys {
		if y.hasNesting() {
			lefts = append(lefts, y.left())
		}
	}
	slices.Sort(lefts)
	out := make([]bool, len(xs))
	for i, x := range xs {
		if !x.hasNesting() {
			continue
		}
		n := sort.Search(len(lefts), func(k int) bool { return lefts[k] > x.left() })
		out[i] = n < len(lefts) && lefts[n] < x.right()
	}
	return out
}

// parentIn marks the xs whose parent is one of ys.
func parentIn(xs, ys []*span) []bool {
	lefts := map[int32]bool{}
	for _, y := range ys {
		if y.hasNesting() {
			lefts[y.left()] = true
		}
	}
	out := make([]bool, len(xs))
	for i, x := range xs {
		out[i] = x.hasNesting() && x.parent() > 0 && lefts[x.parent()]
	}
	return out
}

// isParentOf marks the xs that are the parent of one of ys.
func isParentOf(xs, ys []*span) []bool {
	parents := map[int32]bool{}
	for _, y := range ys {
		if y.hasNesting() && y.parent() > 0 {
			parents[y.parent()] = true
		}
	}
	out := make([]bool, len(xs))
	for i, x := range xs {
		out[i] = x.hasNesting() && parents[x.left()]
	}
	return out
}

// siblingIn marks the xs that share a non-zero parent with a different span
// of ys. Roots (parent -1) of a multi-root trace count as siblings, as the
// reference's "equal non-zero parent" rule says.
func siblingIn(xs, ys []*span) []bool {
	byParent := map[int32][]int{} // parent -> idx of ys spans
	for _, y := range ys {
		if y.hasNesting() && y.parent() != 0 {
			byParent[y.parent()] = append(byParent[y.parent()], y.idx)
		}
	}
	out := make([]bool, len(xs))
	for i, x := range xs {
		if !x.hasNesting() || x.parent() == 0 {
			continue
		}
		for _, idx := range byParent[x.parent()] {
			if idx != x.idx {
				out[i] = true
				break
			}
		}
	}
	return out
}
