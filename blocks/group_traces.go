package blocks

import (
	"sort"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// assembleRows is how many rows the assembler builds at a time: large
// enough to amortize walking a hundred columns, small enough that a batch
// of decoded traces stays a few hundred kilobytes.
const assembleRows = 128

// groupTraces streams the traces of one row group from its columns.
type groupTraces struct {
	p    *pfile
	a    *groupAssembler
	sel  []bool // rows to build (nil: all)
	row  int    // rows consumed
	buf  []*model.Trace
	pos  int
	done bool
}

// columnsFor returns the sorted byte ranges of the column chunks of row
// group g that a read with fields needs.
func (p *pfile) columnsFor(g int, fields *store.Fields) []byteRange {
	cols := assemblerColumns(p.leaves, fields)
	rs := make([]byteRange, 0, len(cols))
	for _, c := range cols {
		rs = append(rs, p.chunkRange(g, c))
	}
	sort.Slice(rs, func(a, b int) bool { return rs[a].off < rs[b].off })
	return rs
}

// openTraces starts reading row group g for req (its projection, time
// range and, with filter, its Filter; nil req: everything). The needed
// column chunks are fetched with coalesced ranged reads, the filter's
// first: when no row passes it, nothing else is read and the result is
// nil. With stream and a row group larger than streamAbove, chunks are
// read a window at a time instead (no filter then). Rows of traces in
// split are built whatever the filter says: their copies must be merged
// before anything is decided.
func (p *pfile) openTraces(g int, c *codec, req *store.Request, stream, filter bool, split map[model.TraceID]bool) (*groupTraces, error) {
	var fields *store.Fields
	var cond *store.TraceCond
	if req != nil {
		fields = req.Fields
		if filter && req.Filter != nil && req.Filter.Cond != nil {
			cond = req.Filter.Cond
		}
	}
	chunks := p.columnsFor(g, fields)
	if _, n := p.groupRange(g); stream && n > streamAbove && cond == nil {
		p.r.stream(chunks)
		a := newGroupAssembler(p, g, c, fields)
		a.req = req
		return &groupTraces{p: p, a: a}, nil
	}
	var sel []bool
	if cond != nil {
		var fc []byteRange
		for _, col := range filterColumns(p.leaves, c, cond) {
			fc = append(fc, p.chunkRange(g, col))
		}
		if len(split) > 0 {
			fc = append(fc, p.chunkRange(g, p.leaves.traceID.Index))
		}
		if err := p.r.prefetchRanges(coalesce(sortRanges(fc), maxChunkGap)); err != nil {
			return nil, err
		}
		rows, err := p.filterRows(g, c, cond)
		if err == nil && len(split) > 0 && p.mayHoldAny(g, split) {
			err = p.markSplit(g, rows, split)
		}
		if err != nil {
			p.r.release()
			return nil, err
		}
		any := false
		for _, ok := range rows {
			any = any || ok
		}
		if !any {
			p.r.release()
			return nil, nil
		}
		sel = rows
	}
	if err := p.r.fetchMore(coalesce(chunks, maxChunkGap)); err != nil {
		p.r.release()
		return nil, err
	}
	a := newGroupAssembler(p, g, c, fields)
	a.req = req
	return &groupTraces{p: p, a: a, sel: sel}, nil
}

func sortRanges(rs []byteRange) []byteRange {
	sort.Slice(rs, func(a, b int) bool { return rs[a].off < rs[b].off })
	return rs
}

// markSplit sets the rows of traces in split.
func (p *pfile) markSplit(g int, rows []bool, split map[model.TraceID]bool) error {
	i := 0
	return eachTraceID(p.file.RowGroups()[g], func(id model.TraceID, ok bool) bool {
		if ok && i < len(rows) && split[id] {
			rows[i] = true
		}
		i++
		return true
	})
}

// next returns the next trace, or nil at the end of the group.
func (g *groupTraces) next() (*model.Trace, error) {
	for g.pos >= len(g.buf) {
		if g.done || g.a.remaining() == 0 {
			g.done = true
			return nil, nil
		}
		n := int(min(int64(assembleRows), g.a.remaining()))
		var sel []bool
		if g.sel != nil {
			sel = g.sel[g.row : g.row+n]
		}
		ts, err := g.a.read(n, sel)
		if err != nil {
			g.done = true
			return nil, err
		}
		g.row += n
		g.buf, g.pos = ts, 0
	}
	t := g.buf[g.pos]
	g.buf[g.pos] = nil
	g.pos++
	return t, nil
}

// close releases the readers and the fetched bytes.
func (g *groupTraces) close() {
	g.a.close()
	g.p.r.release()
	g.buf = nil
}
