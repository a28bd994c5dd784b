package blocks

import (
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
// durations a few hundred traces long often holds none.

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
		if c.Field.Kind == store.FieldSpanDuration && c.Ints != nil {
			return pr.durationRows(*c.Ints)
		}
	}
	return pr.all()
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
	var out rowSet
	for i, first := range st.FirstRows {
		if !st.Null[i] && !mayHoldDuration(st.Min[i], st.Max[i], r) {
			continue // no span here, or none of its durations in r
		}
		end := pr.nrows()
		if i+1 < len(st.FirstRows) {
			end = st.FirstRows[i+1]
		}
		out = out.or(rowSet{{first, end}})
	}
	return out
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
