package blocks

import (
	"fmt"

	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/store"
)

// traceRows are the trace-level times of a row group's rows and the
// number of spans of each, read without any span value: what decides a
// trace-level condition (traceLevel) in a file whose trace times are
// exact (pfile.exactTimes).
type traceRows struct {
	spans           []int
	start, end, dur []uint64
}

// traceLevelColumns are the column chunks readTraceRows reads.
func (p *pfile) traceLevelColumns(g int) []int {
	l := p.leaves
	return []int{p.smallestSpanLeaf(g).Index, l.traceStart.Index, l.traceEnd.Index, l.traceDuration.Index}
}

// readTraceRows reads the traceRows of row group g, whose
// traceLevelColumns are loaded.
func (p *pfile) readTraceRows(g int) (traceRows, error) {
	l := p.leaves
	nrows := int(p.file.RowGroups()[g].NumRows())
	tr := traceRows{spans: make([]int, nrows)}
	lv := p.smallestSpanLeaf(g)
	r := column.NewReader(p.file.RowGroups()[g].ColumnChunks()[lv.Index], lv.Leaf)
	err := countSpans(r, lv.DefAt[depthSpan-1], tr.spans)
	r.Close()
	if err != nil {
		return traceRows{}, p.groupErr(g, err)
	}
	for _, c := range []struct {
		leaf leaf
		dst  *[]uint64
	}{{l.traceStart, &tr.start}, {l.traceEnd, &tr.end}, {l.traceDuration, &tr.dur}} {
		*c.dst = make([]uint64, nrows)
		r := column.NewReader(p.file.RowGroups()[g].ColumnChunks()[c.leaf.Index], c.leaf.Leaf)
		err := fill(r, nrows, nil, 0, *c.dst, getUint64)
		r.Close()
		if err != nil {
			return traceRows{}, p.groupErr(g, err)
		}
	}
	return tr, nil
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
	tr, err := p.readTraceRows(g)
	if err != nil {
		return nil, nil, err
	}
	rows = make([]bool, len(tr.spans))
	for r, n := range tr.spans {
		rows[r] = n > 0 && passTraceLevel(cond, tr.dur[r])
	}
	return rows, tr.start, nil
}
