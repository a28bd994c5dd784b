package blocks

import (
	"fmt"

	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/store"
)

// traceRows are the trace-level times of a row group's rows and the
// number of spans of each, read without any span value: what decides a
// trace-level condition (traceLevel) in a file whose trace times are
// exact (pfile.exactTimes). When the footer shows that every row has
// spans (everyRowHasSpans), spans is nil and allSpans their total; start
// and end are nil unless asked for (traceRowsNeed).
type traceRows struct {
	spans           []int
	allSpans        int
	start, end, dur []uint64
}

// has reports whether row r has spans.
func (tr *traceRows) has(r int) bool { return tr.spans == nil || tr.spans[r] > 0 }

// traceRowsNeed says what readTraceRows reads besides each row's
// duration.
type traceRowsNeed struct {
	times       bool // each row's start and end
	spansPerRow bool // each row's span count, even when every row has spans
}

// traceLevelColumns are the column chunks readTraceRows reads.
func (p *pfile) traceLevelColumns(g int, need traceRowsNeed) []int {
	l := p.leaves
	cols := []int{l.traceDuration.Index}
	if need.times {
		cols = append(cols, l.traceStart.Index, l.traceEnd.Index)
	}
	if p.readsSpanCounts(g, need) {
		cols = append(cols, p.smallestSpanLeaf(g).Index)
	}
	return cols
}

// readsSpanCounts reports whether readTraceRows reads each row's span
// count: when asked to, or when the footer cannot tell that every row has
// spans.
func (p *pfile) readsSpanCounts(g int, need traceRowsNeed) bool {
	_, ok := p.everyRowHasSpans(g)
	return need.spansPerRow || !ok
}

// readTraceRows reads the traceRows of row group g, whose
// traceLevelColumns(g, need) are loaded.
func (p *pfile) readTraceRows(g int, need traceRowsNeed) (traceRows, error) {
	l := p.leaves
	nrows := int(p.file.RowGroups()[g].NumRows())
	var tr traceRows
	if !p.readsSpanCounts(g, need) {
		tr.allSpans, _ = p.everyRowHasSpans(g)
	} else {
		tr.spans = make([]int, nrows)
		lv := p.smallestSpanLeaf(g)
		r := column.NewReader(p.file.RowGroups()[g].ColumnChunks()[lv.Index], lv.Leaf)
		err := countSpans(r, lv.DefAt[depthSpan-1], tr.spans)
		r.Close()
		if err != nil {
			return traceRows{}, p.groupErr(g, err)
		}
	}
	type timeColumn struct {
		leaf leaf
		dst  *[]uint64
	}
	cols := []timeColumn{{l.traceDuration, &tr.dur}}
	if need.times {
		cols = append(cols, timeColumn{l.traceStart, &tr.start}, timeColumn{l.traceEnd, &tr.end})
	}
	for _, c := range cols {
		*c.dst = make([]uint64, nrows)
		r := column.NewReader(p.file.RowGroups()[g].ColumnChunks()[c.leaf.Index], c.leaf.Leaf)
		err := readRowValues(r, *c.dst)
		r.Close()
		if err != nil {
			return traceRows{}, p.groupErr(g, err)
		}
	}
	return tr, nil
}

// readRowValues reads the whole chunk of r, a trace-level INT64 column
// (one entry per row), into dst, one value per row (zero where absent), a
// page at a time; the chunk must hold len(dst) rows. It is fill without
// the walk over nested levels, which a column of rows does not need.
func readRowValues(r *column.Reader, dst []uint64) error {
	l := r.Leaf()
	if l.MaxRep != 0 {
		return fill(r, len(dst), nil, 0, dst, getUint64)
	}
	k := 0
	for more := r.More(); more; more = r.NextPage() {
		_, defs := r.PageLevels()
		if len(defs) > len(dst)-k {
			return fmt.Errorf("%w: column %v has more than %d rows", column.ErrCorrupt, l.Path, len(dst))
		}
		vi := 0
		for i, def := range defs {
			if def == l.MaxDef {
				dst[k+i] = uint64(r.Int64At(vi))
				vi++
			}
		}
		k += len(defs)
	}
	if err := r.Err(); err != nil {
		return err
	}
	if k != len(dst) {
		return fmt.Errorf("%w: column %v has %d rows, want %d", column.ErrCorrupt, l.Path, k, len(dst))
	}
	return nil
}

// everyRowHasSpans reports, from the footer alone, whether every row of
// row group g has at least one span, and returns their total: the
// definition level histogram of the smallest span column (parquet's size
// statistics, which tracectl writes and older writers may not) counts no
// entry above the span level, an empty list of resources, scopes or spans.
func (p *pfile) everyRowHasSpans(g int) (total int, ok bool) {
	lv := p.smallestSpanLeaf(g)
	md := p.file.Metadata().RowGroups[g].Columns[lv.Index].MetaData
	hist := md.SizeStatistics.DefinitionLevelHistogram
	spanDef := int(lv.DefAt[depthSpan-1])
	if len(hist) != int(lv.MaxDef)+1 || spanDef >= len(hist) {
		return 0, false
	}
	var entries int64
	for d, n := range hist {
		if n < 0 || (d < spanDef && n > 0) {
			return 0, false
		}
		entries += n
	}
	if entries != md.NumValues {
		return 0, false
	}
	return int(entries), true
}

// countSpans counts, per row of the whole chunk r reads, the entries of
// a span-level column defined at spanDef or deeper (its spans), page by
// page from the levels alone; the chunk must hold len(spans) rows.
func countSpans(r *column.Reader, spanDef byte, spans []int) error {
	row := -1
	for more := r.More(); more; more = r.NextPage() {
		reps, defs := r.PageLevels()
		for i, rep := range reps {
			if rep == 0 {
				if row++; row == len(spans) {
					return fmt.Errorf("%w: column %v has more than %d rows", column.ErrCorrupt, r.Leaf().Path, len(spans))
				}
			} else if row < 0 {
				return fmt.Errorf("%w: column %v: a row starts with repetition level %d", column.ErrCorrupt, r.Leaf().Path, rep)
			}
			if defs[i] >= spanDef {
				spans[row]++
			}
		}
	}
	if err := r.Err(); err != nil {
		return err
	}
	if row+1 != len(spans) {
		return fmt.Errorf("%w: column %v has %d rows, the row group %d", column.ErrCorrupt, r.Leaf().Path, row+1, len(spans))
	}
	return nil
}

// traceLevelFilter is filterRows for a trace-level condition in a file
// with exact trace times: the rows with spans that pass, and each row's
// start, from the trace columns.
func (p *pfile) traceLevelFilter(g int, cond *store.TraceCond) (rows []bool, starts []uint64, err error) {
	tr, err := p.readTraceRows(g, traceRowsNeed{times: true})
	if err != nil {
		return nil, nil, err
	}
	rows = make([]bool, len(tr.dur))
	for r := range rows {
		rows[r] = tr.has(r) && passTraceLevel(cond, tr.dur[r])
	}
	return rows, tr.start, nil
}
