package blocks

import (
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
	d3 := lv.DefAt[depthSpan-1]
	w := segments(r, nrows, nil)
	row := -1
	for w.next() {
		for i, def := range w.defs {
			if w.reps[i] == 0 {
				row++
			}
			if def >= d3 && row < nrows {
				tr.spans[row]++
			}
		}
	}
	err := w.finish(nrows)
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
