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
	// Durations decides SpansDurations on the durations of the spans L
	// selects (int64 of Span.Duration), in the trace's span order.
	Durations func(ds []int64) bool
}

// SpansetOp combines spansets.
type SpansetOp uint8

// Spanset operators, as TraceQL's.
const (
	SpansFilter    SpansetOp = iota + 1 // { cond }
	SpansAnd                            // L && R: both non-empty, their union
	SpansOr                             // L || R: their union
	SpansRelation                       // L >> R and the other structural operators
	SpansCount                          // L | count() > n: L's spans when Count holds of their number
	SpansDurations                      // L | avg(duration) > d: L's spans when Durations holds of their durations
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
	s := &selector{spans: nested, cond: func(c *SpanCond) []bool {
		out := make([]bool, len(refs))
		for i, r := range refs {
			out[i] = c == nil || c.Match(t, r)
		}
		return out
	}, duration: func(i int) int64 { return int64(refs[i].Span.Duration()) }}
	return s.selectSpans(e)
}

// selector evaluates spanset expressions on the spans of one trace: cond
// evaluates a span condition on all of them, duration gives span i's.
type selector struct {
	spans    []NestedSpan
	cond     func(*SpanCond) []bool
	duration func(i int) int64
}

func (s *selector) selectSpans(e *SpansetExpr) []bool {
	switch e.Op {
	case SpansFilter:
		return s.cond(e.Cond)
	case SpansAnd, SpansOr:
		l, r := s.selectSpans(e.L), s.selectSpans(e.R)
		if e.Op == SpansAnd && (!anyTrue(l) || !anyTrue(r)) {
			return make([]bool, len(s.spans))
		}
		for i := range l {
			l[i] = l[i] || r[i]
		}
		return l
	case SpansRelation:
		return Relate(e.Rel, e.Mode, s.spans, s.selectSpans(e.L), s.selectSpans(e.R))
	case SpansCount:
		l := s.selectSpans(e.L)
		if !e.Count(int64(countTrue(l))) {
			return make([]bool, len(s.spans))
		}
		return l
	case SpansDurations:
		l := s.selectSpans(e.L)
		var ds []int64
		for i, in := range l {
			if in {
				ds = append(ds, s.duration(i))
			}
		}
		if !e.Durations(ds) {
			return make([]bool, len(s.spans))
		}
		return l
	}
	return make([]bool, len(s.spans))
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
	out := make([]bool, len(spans))
	new(Relater).Into(out, rel, mode, spans, l, r)
	return out
}

// RelateTrivially answers Relate for a trace where one operand has no
// span, without the spans' places: no span can take part in the relation
// then, and L !>> R keeps every R span. It reports false, leaving dst
// (len(l) long) alone, when both operands have spans.
func RelateTrivially(dst []bool, mode RelationMode, l, r []bool) bool {
	anyL, anyR := anyTrue(l), anyTrue(r)
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

// Relater applies relations to one trace after another (Into), reusing
// its buffers from one trace to the next; the zero value is ready. It is
// not safe for concurrent use.
type Relater struct {
	ls, rs     []NestedSpan
	rSel, lSel []bool
	ivs        []interval // hasAncestorIn
	maxRight   []int32
	lefts      []int32        // hasDescendantIn
	set        map[int32]bool // parentIn, isParentOf
	byParent   map[int32][]int
}

type interval struct{ left, right int32 }

// Into is Relate writing its answer into dst, len(spans) long.
func (x *Relater) Into(dst []bool, rel Relation, mode RelationMode, spans []NestedSpan, l, r []bool) {
	x.ls, x.rs = x.ls[:0], x.rs[:0]
	for i, s := range spans {
		if l[i] {
			x.ls = append(x.ls, s)
		}
		if r[i] {
			x.rs = append(x.rs, s)
		}
	}
	rSel, lSel := x.selectRel(rel, mode, x.ls, x.rs)
	clear(dst)
	for i, s := range x.rs {
		if rSel[i] != (mode == RelNot) {
			dst[s.Idx] = true
		}
	}
	for i, s := range x.ls {
		if lSel != nil && lSel[i] {
			dst[s.Idx] = true
		}
	}
}

// RelationSelect applies a relation between the spans ls (left operand)
// and rs (right operand) of one trace: rSel says which of rs stand in the
// relation to some span of ls; with RelUnion, lSel says which of ls stand
// in it to some span of rs (nil otherwise). RelNot is left to the caller
// (it keeps the rs that rSel rejects).
func RelationSelect(rel Relation, mode RelationMode, ls, rs []NestedSpan) (rSel, lSel []bool) {
	return new(Relater).selectRel(rel, mode, ls, rs)
}

// selectRel is RelationSelect into x's buffers, valid until its next use.
func (x *Relater) selectRel(rel Relation, mode RelationMode, ls, rs []NestedSpan) (rSel, lSel []bool) {
	x.rSel = zeroed(x.rSel, len(rs))
	rSel = x.rSel
	union := mode == RelUnion
	if union {
		x.lSel = zeroed(x.lSel, len(ls))
		lSel = x.lSel
	}
	switch rel {
	case RelDescendant:
		x.hasAncestorIn(rSel, rs, ls)
		if union {
			x.hasDescendantIn(lSel, ls, rs)
		}
	case RelAncestor:
		x.hasDescendantIn(rSel, rs, ls)
		if union {
			x.hasAncestorIn(lSel, ls, rs)
		}
	case RelChild:
		x.parentIn(rSel, rs, ls)
		if union {
			x.isParentOf(lSel, ls, rs)
		}
	case RelParent:
		x.isParentOf(rSel, rs, ls)
		if union {
			x.parentIn(lSel, ls, rs)
		}
	case RelSibling:
		x.siblingIn(rSel, rs, ls)
		if union {
			x.siblingIn(lSel, ls, rs)
		}
	}
	return rSel, lSel
}

// zeroed returns n false values, in buf when it has room.
func zeroed(buf []bool, n int) []bool {
	if buf == nil || cap(buf) < n {
		return make([]bool, n)
	}
	buf = buf[:n]
	clear(buf)
	return buf
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
// Each marks out[i] for the xs[i] that pass (out is len(xs), all false).

// hasAncestorIn marks the xs that have a proper ancestor in ys. Among the
// ys starting left of x, the one reaching furthest right contains x if any
// does.
func (x *Relater) hasAncestorIn(out []bool, xs, ys []NestedSpan) {
	sorted := x.ivs[:0]
	for _, y := range ys {
		if y.hasNesting() {
			sorted = append(sorted, interval{y.Left, y.Right})
		}
	}
	slices.SortFunc(sorted, func(a, b interval) int { return cmp.Compare(a.left, b.left) })
	maxRight := slices.Grow(x.maxRight[:0], len(sorted))[:len(sorted)]
	for i, v := range sorted {
		maxRight[i] = v.right
		if i > 0 && maxRight[i-1] > v.right {
			maxRight[i] = maxRight[i-1]
		}
	}
	x.ivs, x.maxRight = sorted, maxRight
	for i, s := range xs {
		if !s.hasNesting() {
			continue
		}
		n := sort.Search(len(sorted), func(k int) bool { return sorted[k].left >= s.Left })
		out[i] = n > 0 && maxRight[n-1] > s.Right
	}
}

// hasDescendantIn marks the xs that have a proper descendant in ys: some
// y starting strictly inside x.
func (x *Relater) hasDescendantIn(out []bool, xs, ys []NestedSpan) {
	lefts := x.lefts[:0]
	for _, y := range ys {
		if y.hasNesting() {
			lefts = append(lefts, y.Left)
		}
	}
	slices.Sort(lefts)
	x.lefts = lefts
	for i, s := range xs {
		if !s.hasNesting() {
			continue
		}
		n := sort.Search(len(lefts), func(k int) bool { return lefts[k] > s.Left })
		out[i] = n < len(lefts) && lefts[n] < s.Right
	}
}

// parentIn marks the xs whose parent is one of ys.
func (x *Relater) parentIn(out []bool, xs, ys []NestedSpan) {
	lefts := x.emptySet()
	for _, y := range ys {
		if y.hasNesting() {
			lefts[y.Left] = true
		}
	}
	for i, s := range xs {
		out[i] = s.hasNesting() && s.Parent > 0 && lefts[s.Parent]
	}
}

// isParentOf marks the xs that are the parent of one of ys.
func (x *Relater) isParentOf(out []bool, xs, ys []NestedSpan) {
	parents := x.emptySet()
	for _, y := range ys {
		if y.hasNesting() && y.Parent > 0 {
			parents[y.Parent] = true
		}
	}
	for i, s := range xs {
		out[i] = s.hasNesting() && parents[s.Left]
	}
}

// siblingIn marks the xs that share a non-zero parent with a different
// span of ys. Roots (parent -1) of a multi-root trace count as siblings,
// as the reference's "equal non-zero parent" rule says.
func (x *Relater) siblingIn(out []bool, xs, ys []NestedSpan) {
	if x.byParent == nil || len(x.byParent) > keptMapLen {
		x.byParent = map[int32][]int{}
	}
	byParent := x.byParent // parent -> Idx of ys spans
	clear(byParent)
	for _, y := range ys {
		if y.hasNesting() && y.Parent != 0 {
			byParent[y.Parent] = append(byParent[y.Parent], y.Idx)
		}
	}
	for i, s := range xs {
		if !s.hasNesting() || s.Parent == 0 {
			continue
		}
		for _, idx := range byParent[s.Parent] {
			if idx != s.Idx {
				out[i] = true
				break
			}
		}
	}
}

// emptySet returns x's set of nested-set numbers, emptied.
func (x *Relater) emptySet() map[int32]bool {
	if x.set == nil || len(x.set) > keptMapLen {
		x.set = map[int32]bool{}
	}
	clear(x.set)
	return x.set
}

// keptMapLen bounds the maps a Relater empties for the next trace: a map
// grown by a larger trace is dropped instead, since emptying it costs its
// size (every small trace after one of 200,000 spans took 20 times as
// long).
const keptMapLen = 1024
