package blocks

import (
	"bytes"
	"encoding/binary"

	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/store"
)

// Page pruning: in a row group the dictionaries could not rule out, the
// page index of a column a test reads (each data page's min and max,
// column.PageStats) rules out the rows of the pages whose values all fail
// the test. The filter then reads only the other rows: the pages of the
// rows ruled out are never decoded, in any column. Span durations are
// tested so (store.SpanCond.Ints): slow spans are rare, and a page of
// durations a few hundred traces long often holds none; and string
// equalities on the span name and on attributes' own columns
// (store.SpanCond.Strs).

// rowRange is the rows lo up to hi (not included) of a row group.
type rowRange struct{ lo, hi int64 }

// rowSet is sorted, disjoint, non-empty row ranges.
type rowSet []rowRange

// and returns the rows in both s and o.
func (s rowSet) and(o rowSet) rowSet {
	var out rowSet
	for i, j := 0, 0; i < len(s) && j < len(o); {
		lo, hi := max(s[i].lo, o[j].lo), min(s[i].hi, o[j].hi)
		if lo < hi {
			out = append(out, rowRange{lo, hi})
		}
		if s[i].hi < o[j].hi {
			i++
		} else {
			j++
		}
	}
	return out
}

// or returns the rows in s or o.
func (s rowSet) or(o rowSet) rowSet {
	var out rowSet
	for i, j := 0, 0; i < len(s) || j < len(o); {
		var r rowRange
		if j == len(o) || i < len(s) && s[i].lo < o[j].lo {
			r, i = s[i], i+1
		} else {
			r, j = o[j], j+1
		}
		if n := len(out); n > 0 && r.lo <= out[n-1].hi {
			out[n-1].hi = max(out[n-1].hi, r.hi)
		} else {
			out = append(out, r)
		}
	}
	return out
}

// rows returns the rows of the group that may pass cond by the page
// statistics: a superset of the rows that do (see the pruner's trace for
// how each operator combines its operands).
func (pr *pruner) rows(c *store.TraceCond) rowSet {
	switch c.Op {
	case store.OpAny:
		return pr.spanRows(c.Span)
	case store.OpSpanset:
		return pr.spansetRows(c.Spans)
	case store.OpAnd, store.OpOr:
		return combineRows(pr, c.Op == store.OpAnd, c.Args, pr.rows)
	}
	return pr.all()
}

// combineRows returns the rows of operands args, each given by rows, and
// (all of them) or or (any); all rows for an empty and, none for an empty
// or.
func combineRows[T any](pr *pruner, and bool, args []T, rows func(T) rowSet) rowSet {
	if len(args) == 0 {
		if and {
			return pr.all()
		}
		return nil
	}
	out := rows(args[0])
	for _, a := range args[1:] {
		if and {
			out = out.and(rows(a))
		} else {
			out = out.or(rows(a))
		}
	}
	return out
}

// spansetRows returns the rows where e may select a span.
func (pr *pruner) spansetRows(e *store.SpansetExpr) rowSet {
	switch e.Op {
	case store.SpansFilter:
		if e.Cond != nil {
			return pr.spanRows(e.Cond)
		}
	case store.SpansAnd:
		return pr.spansetRows(e.L).and(pr.spansetRows(e.R))
	case store.SpansOr:
		return pr.spansetRows(e.L).or(pr.spansetRows(e.R))
	case store.SpansRelation:
		if e.Mode == store.RelUnion || e.Mode == store.RelPlain {
			return pr.spansetRows(e.L).and(pr.spansetRows(e.R))
		}
		return pr.spansetRows(e.R)
	case store.SpansCount, store.SpansDurations:
		return pr.spansetRows(e.L)
	}
	return pr.all()
}

// spanRows returns the rows where a span may pass c.
func (pr *pruner) spanRows(c *store.SpanCond) rowSet {
	switch c.Op {
	case store.OpAnd, store.OpOr:
		return combineRows(pr, c.Op == store.OpAnd, c.Args, pr.spanRows)
	case store.OpTest:
		switch {
		case c.Field.Kind == store.FieldSpanDuration && c.Ints != nil:
			return pr.durationRows(*c.Ints)
		case c.Strs != nil:
			return pr.stringRows(c)
		}
	}
	return pr.all()
}

// stringRows returns the rows where a span may pass c, a test with a
// string range (store.SpanCond.Strs), by the pages of the column that
// holds the value: the span name, or the static and dedicated columns of
// an attribute that no generic attribute of the group can pass (as the
// pruner's attr decides); other fields rule nothing out.
func (pr *pruner) stringRows(c *store.SpanCond) rowSet {
	l := pr.p.leaves
	var al attrLeaves
	var specials []special
	switch c.Field.Kind {
	case store.FieldSpanName:
		return pr.stringPageRows(l.name, *c.Strs)
	case store.FieldSpanAttr:
		al, specials = l.spanAttrs, spanSpecial(l, pr.codec, c.Field.Name)
	case store.FieldResourceAttr:
		al, specials = l.resAttrs, resourceSpecial(l, pr.codec, c.Field.Name)
	default:
		return pr.all()
	}
	if !pr.keyAbsent(al, c.Field.Name) && !pr.genericFalse(al, c) {
		return pr.all()
	}
	var out rowSet // absent fails the test (Strs), and an int holds no string
	for _, sp := range specials {
		if sp.leaf.ok && !sp.isInt && !pr.p.chunkEmpty(pr.g, sp.leaf) {
			out = out.or(pr.stringPageRows(sp.leaf, *c.Strs))
		}
	}
	return out
}

// stringPageRows returns the rows of the pages of string column l that may
// hold a string in r.
func (pr *pruner) stringPageRows(l leaf, r store.StrRange) rowSet {
	st := pr.pageStats(l)
	if st == nil {
		return pr.all()
	}
	return pr.pageRows(st, func(min, max []byte) bool { return mayHoldString(min, max, r, pr.p.exactTimes) })
}

// pageRows returns the rows of the pages of st that hold a value which,
// by the page's bounds, may pass (holds): a page without values (rows
// without spans, or without the attribute) holds none that can.
func (pr *pruner) pageRows(st *column.PageStats, holds func(min, max []byte) bool) rowSet {
	var out rowSet
	for i, first := range st.FirstRows {
		if st.Null[i] || !holds(st.Min[i], st.Max[i]) {
			continue
		}
		end := pr.nrows()
		if i+1 < len(st.FirstRows) {
			end = st.FirstRows[i+1]
		}
		out = out.or(rowSet{{first, end}})
	}
	return out
}

// mayHoldString reports whether a page of strings from min to max may
// hold one in r. A min cut short is still a lower bound; a max of
// column.ColumnIndexLimit bytes or more may have been cut short too, so it bounds
// nothing, unless tracectl wrote it (trusted: it rounds a cut max up, and
// only a max of all 0xFF bytes may then still be below a value).
func mayHoldString(min, max []byte, r store.StrRange, trusted bool) bool {
	if bytes.Compare(min, []byte(r.Hi)) > 0 {
		return false
	}
	if len(max) == 0 || len(max) >= column.ColumnIndexLimit && (!trusted || bytes.Count(max, []byte{0xFF}) == len(max)) {
		return true // no bound (an empty max: all empty, or none written)
	}
	return bytes.Compare([]byte(r.Lo), max) <= 0
}

// durationRows returns the rows of the pages of the span duration column
// that may hold a duration in r. A span whose end wraps past 2^64 has
// duration 0 whatever its stored value (spanDuration): a range holding 0
// rules out nothing.
func (pr *pruner) durationRows(r store.IntRange) rowSet {
	if r.Overlaps(0, 0) {
		return pr.all()
	}
	st := pr.pageStats(pr.p.leaves.duration)
	if st == nil {
		return pr.all()
	}
	return pr.pageRows(st, func(min, max []byte) bool { return mayHoldDuration(min, max, r) })
}

// mayHoldDuration reports whether a page of durations from min to max
// (plain-encoded INT64) may hold one in r. The column is unsigned in
// vParquet4 and signed in some writers' files: bounds below 2^63 read the
// same either way, and others rule out nothing.
func mayHoldDuration(min, max []byte, r store.IntRange) bool {
	if len(min) != 8 || len(max) != 8 {
		return true
	}
	lo, hi := binary.LittleEndian.Uint64(min), binary.LittleEndian.Uint64(max)
	if lo >= 1<<63 || hi >= 1<<63 || lo > hi {
		return true
	}
	return r.Overlaps(int64(lo), int64(hi))
}

// pageStats returns the page index of leaf l in the group, read once;
// nil when there is none.
func (pr *pruner) pageStats(l leaf) *column.PageStats {
	if !l.ok {
		return nil
	}
	if st, ok := pr.stats[l.Index]; ok {
		return st
	}
	if pr.stats == nil {
		pr.stats = map[int]*column.PageStats{}
	}
	st, ok := column.ReadPageStats(pr.p.file.RowGroups()[pr.g].ColumnChunks()[l.Index], pr.nrows())
	if !ok {
		st = nil
	}
	pr.stats[l.Index] = st
	return st
}

func (pr *pruner) nrows() int64 { return pr.p.file.RowGroups()[pr.g].NumRows() }

// all is every row of the group.
func (pr *pruner) all() rowSet {
	if n := pr.nrows(); n > 0 {
		return rowSet{{0, n}}
	}
	return nil
}
