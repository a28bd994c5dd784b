package store

import (
	"cmp"
	"slices"
	"sort"

	"github.com/tracectl/tracectl/model"
)

// SpansetExpr is a TraceQL spanset expression on one trace: the spans it
// selects. A TraceCond with OpSpanset passes when it selects any span.
type SpansetExpr struct {
	Op   SpansetOp
	Cond *SpanCond    // SpansFilter: the spans passing it (nil: every span)
	L, R *SpansetExpr // the operands of the other operators
	Rel  Relation     // SpansRelation
	Mode RelationMode // SpansRelation
	// Count decides SpansCount on the number of spans L selects.
	Count func(n int64) bool
}

// SpansetOp combines spansets.
type SpansetOp uint8

// Spanset operators, as TraceQL's.
const (
	SpansFilter   SpansetOp = iota + 1 // { cond }
	SpansAnd                           // L && R: both non-empty, their union
	SpansOr                            // L || R: their union
	SpansRelation                      // L >> R and the other structural operators
	SpansCount                         // L | count() > n: L's spans when Count holds of their number
)

// Relation is a structural relation between two spans of a trace, by their
// nested-set numbers (Span.NestedSetLeft, NestedSetRight, ParentIndex).
type Relation uint8

// Relations: an R span is kept when it has, in L, ...
const (
	RelDescendant Relation = iota + 1 // ... an ancestor (L >> R)
	RelAncestor                       // ... a descendant (L << R)
	RelChild                          // ... its parent (L > R)
	RelParent                         // ... a child (L < R)
	RelSibling                        // ... a sibling (L ~ R)
)

// RelationMode says which spans a relation keeps.
type RelationMode uint8

// Modes: the R spans with the relation (L >> R), the R spans without it
// (L !>> R), or both sides' spans taking part in one (L &>> R).
const (
	RelPlain RelationMode = iota
	RelNot
	RelUnion
)

// Select returns, for every span of t in file order (model.Trace.Spans),
// whether e selects it: the reference semantics.
func (e *SpansetExpr) Select(t *model.Trace) []bool {
	var refs []model.SpanRef
	t.Spans(func(r model.SpanRef) bool {
		refs = append(refs, r)
		return true
	})
	nested := make([]NestedSpan, len(refs))
	for i, r := range refs {
		nested[i] = NestedSpan{Left: r.Span.NestedSetLeft, Right: r.Span.NestedSetRight, Parent: r.Span.ParentIndex, Idx: i}
	}
	return e.selectSpans(nested, func(c *SpanCond) []bool {
		out := make([]bool, len(refs))
		for i, r := range refs {
			out[i] = c == nil || c.Match(t, r)
		}
		return out
	})
}

// selectSpans evaluates e on the spans of one trace; cond evaluates a
// span condition on all of them.
func (e *SpansetExpr) selectSpans(spans []NestedSpan, cond func(*SpanCond) []bool) []bool {
	switch e.Op {
	case SpansFilter:
		return cond(e.Cond)
	case SpansAnd, SpansOr:
		l, r := e.L.selectSpans(spans, cond), e.R.selectSpans(spans, cond)
		if e.Op == SpansAnd && (!anyTrue(l) || !anyTrue(r)) {
			return make([]bool, len(spans))
		}
		for i := range l {
			l[i] = l[i] || r[i]
		}
		return l
	case SpansRelation:
		return Relate(e.Rel, e.Mode, spans, e.L.selectSpans(spans, cond), e.R.selectSpans(spans, cond))
	case SpansCount:
		l := e.L.selectSpans(spans, cond)
		if !e.Count(int64(countTrue(l))) {
			return make([]bool, len(spans))
		}
		return l
	}
	return make([]bool, len(spans))
}

func countTrue(b []bool) int {
	n := 0
	for _, x := range b {
		if x {
			n++
		}
	}
	return n
}

// SelectSpans is Select for a source that evaluates span conditions
// itself: spans are one trace's, in its order (Idx their position), and
// cond returns a condition's result for each of them.
func (e *SpansetExpr) SelectSpans(spans []NestedSpan, cond func(*SpanCond) []bool) []bool {
	return e.selectSpans(spans, cond)
}

func anyTrue(b []bool) bool {
	for _, x := range b {
		if x {
			return true
		}
	}
	return false
}

// Relate applies a relation to one trace's spans: l and r say which spans
// are in each operand; the result says which spans the operator keeps.
func Relate(rel Relation, mode RelationMode, spans []NestedSpan, l, r []bool) []bool {
	ls, rs := make([]NestedSpan, 0, countTrue(l)), make([]NestedSpan, 0, countTrue(r))
	for i, s := range spans {
		if l[i] {
			ls = append(ls, s)
		}
		if r[i] {
			rs = append(rs, s)
		}
	}
	rSel, lSel := RelationSelect(rel, mode, ls, rs)
	out := make([]bool, len(spans))
	for i, s := range rs {
		if rSel[i] != (mode == RelNot) {
			out[s.Idx] = true
		}
	}
	for i, s := range ls {
		if lSel != nil && lSel[i] {
			out[s.Idx] = true
		}
	}
	return out
}

// RelateTrivially answers Relate for a trace where one operand has no
// span, without the spans' places: no span can take part in the relation
// then, and L !>> R keeps every R span. It reports false, leaving dst
// (len(l) long) alone, when both operands have spans.
func RelateTrivially(dst []bool, mode RelationMode, l, r []bool) bool {
	anyL, anyR := slices.Contains(l, true), slices.Contains(r, true)
	switch {
	case anyL && anyR:
		return false
	case anyR && mode == RelNot:
		copy(dst, r)
	default:
		clear(dst)
	}
	return true
}

// RelationSelect applies a relation between the spans ls (left operand)
// and rs (right operand) of one trace: rSel says which of rs stand in the
// relation to some span of ls; with RelUnion, lSel says which of ls stand
// in it to some span of rs (nil otherwise). RelNot is left to the caller
// (it keeps the rs that rSel rejects).
func RelationSelect(rel Relation, mode RelationMode, ls, rs []NestedSpan) (rSel, lSel []bool) {
	union := mode == RelUnion
	switch rel {
	case RelDescendant:
		rSel = HasAncestorIn(rs, ls)
		if union {
			lSel = HasDescendantIn(ls, rs)
		}
	case RelAncestor:
		rSel = HasDescendantIn(rs, ls)
		if union {
			lSel = HasAncestorIn(ls, rs)
		}
	case RelChild:
		rSel = ParentIn(rs, ls)
		if union {
			lSel = IsParentOf(ls, rs)
		}
	case RelParent:
		rSel = IsParentOf(rs, ls)
		if union {
			lSel = ParentIn(ls, rs)
		}
	case RelSibling:
		rSel = SiblingIn(rs, ls)
		if union {
			lSel = SiblingIn(ls, rs)
		}
	}
	return rSel, lSel
}

// NestedSpan is a span's place in its trace's nested set: Left and Right
// are its nested-set numbers (0: unknown), Parent its parent's Left (-1
// for a root, 0 unknown), Idx its position in the trace.
type NestedSpan struct {
	Left, Right, Parent int32
	Idx                 int
}

func (s NestedSpan) hasNesting() bool { return s.Left != 0 && s.Right != 0 }

// The relation tests below need non-zero nested-set numbers on both spans.
// Nested sets form a laminar family (intervals are nested or disjoint),
// which the descendant and ancestor tests rely on to run in O(n log n).

// HasAncestorIn marks the xs that have a proper ancestor in ys. Among the
// ys starting left of x, the one reaching furthest right contains x if any
// does.
func HasAncestorIn(xs, ys []NestedSpan) []bool {
	type iv struct{ left, right int32 }
	sorted := make([]iv, 0, len(ys))
	for _, y := range ys {
		if y.hasNesting() {
			sorted = append(sorted, iv{y.Left, y.Right})
		}
	}
	slices.SortFunc(sorted, func(a, b iv) int { return cmp.Compare(a.left, b.left) })
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
		n := sort.Search(len(sorted), func(k int) bool { return sorted[k].left >= x.Left })
		out[i] = n > 0 && maxRight[n-1] > x.Right
	}
	return out
}

// HasDescendantIn marks the xs that have a proper descendant in ys: some y
// starting strictly inside x.
func HasDescendantIn(xs, ys []NestedSpan) []bool {
	lefts := make([]int32, 0, len(ys))
	for _, y := range ys {
		if y.hasNesting() {
			lefts = append(lefts, y.Left)
		}
	}
	slices.Sort(lefts)
	out := make([]bool, len(xs))
	for i, x := range xs {
		if !x.hasNesting() {
			continue
		}
		n := sort.Search(len(lefts), func(k int) bool { return lefts[k] > x.Left })
		out[i] = n < len(lefts) && lefts[n] < x.Right
	}
	return out
}

// ParentIn marks the xs whose parent is one of ys.
func ParentIn(xs, ys []NestedSpan) []bool {
	lefts := map[int32]bool{}
	for _, y := range ys {
		if y.hasNesting() {
			lefts[y.Left] = true
		}
	}
	out := make([]bool, len(xs))
	for i, x := range xs {
		out[i] = x.hasNesting() && x.Parent > 0 && lefts[x.Parent]
	}
	return out
}

// IsParentOf marks the xs that are the parent of one of ys.
func IsParentOf(xs, ys []NestedSpan) []bool {
	parents := map[int32]bool{}
	for _, y := range ys {
		if y.hasNesting() && y.Parent > 0 {
			parents[y.Parent] = true
		}
	}
	out := make([]bool, len(xs))
	for i, x := range xs {
		out[i] = x.hasNesting() && parents[x.Left]
	}
	return out
}

// SiblingIn marks the xs that share a non-zero parent with a different
// span of ys. Roots (parent -1) of a multi-root trace count as siblings,
// as the reference's "equal non-zero parent" rule says.
func SiblingIn(xs, ys []NestedSpan) []bool {
	byParent := map[int32][]int{} // parent -> Idx of ys spans
	for _, y := range ys {
		if y.hasNesting() && y.Parent != 0 {
			byParent[y.Parent] = append(byParent[y.Parent], y.Idx)
		}
	}
	out := make([]bool, len(xs))
	for i, x := range xs {
		if !x.hasNesting() || x.Parent == 0 {
			continue
		}
		for _, idx := range byParent[x.Parent] {
			if idx != x.Idx {
				out[i] = true
				break
			}
		}
	}
	return out
}
