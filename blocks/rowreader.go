package blocks

import (
	"io"

	"github.com/parquet-go/parquet-go"

	"github.com/tracectl/tracectl/store"
)

// parquet-go's row reconstruction of data.parquet (reflection over
// pqTrace rows). Readers use the column assembler; this reader is kept for
// blocks verify, which checks the stored rows with a reader independent of
// the assembler, and as the assembler's reference in tests.

// rowBatch is how many rows are decoded at a time: a scan holds one row
// group's compressed bytes plus this many decoded rows.
const rowBatch = 64

// groupRows streams the rows of one row group, loaded with one ranged read.
// A documented-layout file is decoded into pqTrace directly; a legacy one
// into pqLegacyTrace, each row then converted with fromLegacyRow.
type groupRows struct {
	p      *pfile
	index  int
	rd     *parquet.GenericReader[pqTrace]       // documented layout
	legacy *parquet.GenericReader[pqLegacyTrace] // legacy layout
	buf    []pqTrace
	lbuf   []pqLegacyTrace
	n      int
	pos    int
	done   bool
}

// openGroup prefetches the column chunks of row group i that fields need
// (nil: all) and starts decoding it. Rows decoded with a projection have
// the other fields zero.
func (p *pfile) openGroup(i int, fields *store.Fields) (*groupRows, error) {
	return p.openGroupSchema(i, projectedSchema(p.layout, fields))
}

// openGroupSchema is openGroup for a schema of the file's layout.
func (p *pfile) openGroupSchema(i int, schema *parquet.Schema) (*groupRows, error) {
	if err := p.r.prefetchRanges(p.groupRanges(i, schema)); err != nil {
		return nil, err
	}
	return p.newGroupRows(i, schema), nil
}

func (p *pfile) newGroupRows(i int, schema *parquet.Schema) *groupRows {
	g := &groupRows{p: p, index: i, buf: make([]pqTrace, rowBatch)}
	rg := p.file.RowGroups()[i]
	if p.layout == layoutLegacy {
		g.legacy = parquet.NewGenericRowGroupReader[pqLegacyTrace](rg, schema)
		g.lbuf = make([]pqLegacyTrace, rowBatch)
	} else {
		g.rd = parquet.NewGenericRowGroupReader[pqTrace](rg, schema)
	}
	return g
}

// next returns the next row, or nil at the end of the group. The row is
// valid until the next call.
func (g *groupRows) next() (*pqTrace, error) {
	for g.pos >= g.n {
		if g.done {
			return nil, nil
		}
		clear(g.buf)
		n, err := g.read()
		g.n, g.pos = n, 0
		if err == io.EOF || (err == nil && n == 0) {
			g.done = true
		} else if err != nil {
			return nil, g.p.groupErr(g.index, err)
		}
	}
	g.pos++
	return &g.buf[g.pos-1], nil
}

// read decodes the next batch into g.buf.
func (g *groupRows) read() (int, error) {
	if g.legacy == nil {
		return g.rd.Read(g.buf)
	}
	clear(g.lbuf)
	n, err := g.legacy.Read(g.lbuf)
	for i := 0; i < n; i++ {
		row, cerr := fromLegacyRow(&g.lbuf[i])
		if cerr != nil {
			return i, cerr
		}
		g.buf[i] = row
	}
	return n, err
}

func (g *groupRows) close() {
	if g.legacy != nil {
		g.legacy.Close()
	} else {
		g.rd.Close()
	}
	g.p.r.release()
	g.buf, g.lbuf = nil, nil
}
