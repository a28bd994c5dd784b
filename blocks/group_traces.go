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

// openTraces starts reading row group g for req (its projection and time
// range; nil: everything). The needed column chunks are fetched at once
// (coalesced ranged reads), or, with stream and a row group larger than
// streamAbove, a window of each chunk at a time. sel, when not nil, says
// which rows of the group to build.
func (p *pfile) openTraces(g int, c *codec, req *store.Request, stream bool, sel []bool) (*groupTraces, error) {
	var fields *store.Fields
	if req != nil {
		fields = req.Fields
	}
	chunks := p.columnsFor(g, fields)
	if _, n := p.groupRange(g); stream && n > streamAbove {
		p.r.stream(chunks)
	} else if err := p.r.prefetchRanges(coalesce(chunks, maxChunkGap)); err != nil {
		return nil, err
	}
	a := newGroupAssembler(p, g, c, fields)
	a.req = req
	return &groupTraces{p: p, a: a, sel: sel}, nil
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
