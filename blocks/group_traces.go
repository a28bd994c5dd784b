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
	// With newest set, rows whose start is below its threshold are not
	// built, unless always marks them (split traces).
	newest *store.Threshold
	starts []uint64
	always []bool
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

// groupRead says how a row group is read.
type groupRead struct {
	req    *store.Request // projection, time range, filter (nil: everything)
	stream bool           // large row groups a window at a time (no filter then)
	filter bool           // apply req.Filter to rows
	// rowTime applies req's time range to each row's stored trace times;
	// a reader merging overlapping blocks checks merged traces instead.
	rowTime bool
	// split holds the IDs of traces with parts in other blocks: their rows
	// are built whatever the filter and time range say, since only the
	// merged trace decides.
	split map[model.TraceID]bool
}

// openTraces starts reading row group g. The needed column chunks are
// fetched with coalesced ranged reads, the filter's first: when no row
// passes it, nothing else is read and the result is nil. With stream and
// a row group larger than streamAbove, chunks are read a window at a time
// instead.
func (p *pfile) openTraces(g int, c *codec, rd groupRead) (*groupTraces, error) {
	var fields *store.Fields
	var cond *store.TraceCond
	if rd.req != nil {
		fields = rd.req.Fields
		if rd.filter && rd.req.Filter != nil && rd.req.Filter.Cond != nil {
			cond = rd.req.Filter.Cond
		}
	}
	timeReq := rd.req
	if !rd.rowTime {
		timeReq = nil
	}
	chunks := p.columnsFor(g, fields)
	hasSplit := len(rd.split) > 0 && p.mayHoldAny(g, rd.split)
	if _, n := p.groupRange(g); rd.stream && n > streamAbove && cond == nil && !hasSplit {
		p.r.stream(chunks)
		a := newGroupAssembler(p, g, c, fields)
		a.req = timeReq
		return &groupTraces{p: p, a: a}, nil
	}
	var sel, always []bool
	var newestStarts []uint64
	if cond != nil || hasSplit {
		var fc []byteRange
		if cond != nil {
			for _, col := range filterColumns(p.leaves, c, cond) {
				fc = append(fc, p.chunkRange(g, col))
			}
		}
		if hasSplit {
			fc = append(fc, p.chunkRange(g, p.leaves.traceID.Index))
		}
		if err := p.r.prefetchRanges(coalesce(sortRanges(fc), maxChunkGap)); err != nil {
			return nil, err
		}
		var err error
		var starts []uint64
		if cond != nil {
			sel, starts, err = p.filterRows(g, c, cond)
		}
		if rd.req.Newest != nil && starts != nil {
			newestStarts = starts
		}
		if err == nil && hasSplit {
			always = make([]bool, p.file.RowGroups()[g].NumRows())
			err = p.markSplit(g, always, rd.split)
		}
		if err != nil {
			p.r.release()
			return nil, err
		}
		if sel != nil {
			any := false
			for i := range sel {
				sel[i] = sel[i] || (always != nil && always[i])
				any = any || sel[i]
			}
			if !any {
				p.r.release()
				return nil, nil
			}
		}
		if err := p.r.fetchMore(coalesce(chunks, maxChunkGap)); err != nil {
			p.r.release()
			return nil, err
		}
	} else if err := p.r.prefetchRanges(coalesce(chunks, maxChunkGap)); err != nil {
		return nil, err
	}
	a := newGroupAssembler(p, g, c, fields)
	a.req, a.always = timeReq, always
	gt := &groupTraces{p: p, a: a, sel: sel, always: always}
	if newestStarts != nil {
		gt.newest, gt.starts = rd.req.Newest, newestStarts
	}
	return gt, nil
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
			if g.newest != nil {
				min := g.newest.Load()
				for i := range sel {
					if sel[i] && g.starts[g.row+i] < min && (g.always == nil || !g.always[g.row+i]) {
						sel[i] = false
					}
				}
			}
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
