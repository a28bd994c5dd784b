package blocks

import (
	"os"

	"github.com/tracectl/tracectl/blocks/column"
)

// filterBatchSpans bounds the spans a groupFilter holds at once: a row
// group is evaluated a batch of rows at a time, so memory does not grow
// with the size of row groups (Tempo writes them up to 100 MB). Tests
// lower it to cut their small groups into many batches.
var filterBatchSpans int64 = 1 << 16

// batchRows returns how many rows of row group g one filter batch takes:
// about filterBatchSpans spans' worth, from the span count of the start
// column chunk.
func (p *pfile) batchRows(g int) int {
	rows := int(p.file.RowGroups()[g].NumRows())
	spans := p.file.Metadata().RowGroups[g].Columns[p.leaves.start.Index].MetaData.NumValues
	if rows == 0 || spans <= filterBatchSpans {
		return max(rows, 1)
	}
	batches := int((spans + filterBatchSpans - 1) / filterBatchSpans)
	return (rows + batches - 1) / batches
}

// groupReaders keeps the column readers of one row group open across its
// row batches, each at the next row it will read, so that every batch
// continues where the previous one stopped.
type groupReaders struct {
	p      *pfile
	g      int
	open   map[int][]*rowReader // by column index
	absent map[absentKey]bool   // keyAbsent's answers
	spare  batchMemory          // the previous batch's buffers, for the next
	poison bool                 // poisonEnv: overwrite them first
}

// batchMemory holds a batch's buffers for the next batch of the group to
// reuse: fresh memory costs page faults as well as allocation, and each
// batch needs about as much as the one before.
type batchMemory struct {
	spanRow, spanRS, spanSS []int32
	start, dur              []uint64
	left, right, parent     []int32
	// hits and vals are findHits' and hitValues' results, valid until
	// their next call.
	hits []attrHit
	vals attrBuf
	// testListHits' per hit: list entries, the test of the first entry,
	// its value (by the list's type).
	entries      []int32
	pass         []bool
	first        []string
	firstInts    []int64
	firstDoubles []float64
}

type rowReader struct {
	r   *column.Reader
	row int64 // next row
}

type absentKey struct {
	col  int
	name string
}

func newGroupReaders(p *pfile, g int) *groupReaders {
	return &groupReaders{p: p, g: g, open: map[int][]*rowReader{}, absent: map[absentKey]bool{},
		poison: os.Getenv(poisonEnv) != ""}
}

// at returns a reader of column l positioned at row, which the caller
// reads n rows of: an open one not past row (moved on to it), else a new
// one. Reading one column twice for the same batch opens a second reader.
func (gr *groupReaders) at(l leaf, row int64, n int) (*column.Reader, error) {
	var best *rowReader
	for _, x := range gr.open[l.Index] {
		if x.row <= row && (best == nil || x.row > best.row) {
			best = x
		}
	}
	if best == nil {
		best = &rowReader{r: column.NewReader(gr.p.file.RowGroups()[gr.g].ColumnChunks()[l.Index], l.Leaf)}
		gr.open[l.Index] = append(gr.open[l.Index], best)
	}
	if best.row < row {
		if err := skipRows([]*column.Reader{best.r}, best.row, int(row-best.row)); err != nil {
			return nil, err
		}
	}
	best.row = row + int64(n)
	return best.r, nil
}

// adopt takes over the readers pr opened on the group's columns (at
// their first row, dictionaries read); pr may be nil.
func (gr *groupReaders) adopt(pr *pruner) {
	if pr == nil {
		return
	}
	for col, r := range pr.readers {
		gr.open[col] = append(gr.open[col], &rowReader{r: r})
	}
	pr.readers = nil
}

// keep takes back the span buffers of gf, whose batch is done, for the
// next batch.
func (gr *groupReaders) keep(gf *groupFilter) {
	if gr.poison { // a use after the batch reads garbage
		for _, s := range [][]int32{gf.spanRow, gf.spanRS, gf.spanSS, gf.left, gf.right, gf.parent, gr.spare.vals.vtype} {
			setAll(s, -7)
		}
		for _, s := range [][]uint64{gf.start, gf.dur} {
			setAll(s, 0xdeadbeef)
		}
		setAll(gr.spare.hits[:cap(gr.spare.hits)], attrHit{-7, -7, -7})
	}
	m := &gr.spare
	clear(m.first) // strings of the batch's pages
	m.spanRow, m.spanRS, m.spanSS = gf.spanRow[:0], gf.spanRS[:0], gf.spanSS[:0]
	m.start = gf.start[:0]
	if gf.dur != nil {
		m.dur = gf.dur[:0]
	}
	if gf.left != nil {
		m.left, m.right, m.parent = gf.left[:0], gf.right[:0], gf.parent[:0]
	}
}

// setAll sets every element of s to v.
func setAll[T any](s []T, v T) {
	for i := range s {
		s[i] = v
	}
}

// close releases every reader.
func (gr *groupReaders) close() {
	for _, rs := range gr.open {
		for _, x := range rs {
			x.r.Close()
		}
	}
	gr.open = nil
}

// spreadRows calls batch with every filter batch of row group g, in row
// order, on column readers of the group that continue those of pr (the
// group's pruner; nil: none). The batches cover the rows pr did not rule
// out by the page statistics (pruner.pass), every row without pr. With
// spread and two filter batches or more it takes two goroutines instead:
// half 0, the first half of the batches, on this one with pr's readers,
// half 1 on another with readers of its own, starting at its first row
// through the offset index. The error is half 0's when both fail, so it
// does not depend on timing. A row group read from an object store a
// window at a time (blobReaderAt.streaming) is not spread: the halves
// would take turns evicting each other's window of a chunk.
func (p *pfile) spreadRows(g int, c *codec, pr *pruner, spread bool, batch func(half int, gf *groupFilter) error) error {
	run := func(half int, cuts []rowRange) error {
		gr := newGroupReaders(p, g)
		defer gr.close()
		if half == 0 {
			gr.adopt(pr)
		}
		return gr.batches(c, cuts, func(gf *groupFilter) error { return batch(half, gf) })
	}
	rows := rowSet{{0, p.file.RowGroups()[g].NumRows()}}
	if pr != nil {
		rows = pr.pass
	}
	cuts := batchCuts(rows, int64(p.batchRows(g)))
	if !spread || len(cuts) < 2 || p.r.streaming() {
		return run(0, cuts)
	}
	mid := len(cuts) / 2
	var second error
	done := make(chan struct{})
	go func() {
		defer close(done)
		second = run(1, cuts[mid:])
	}()
	err := run(0, cuts[:mid])
	<-done
	if err == nil {
		err = second
	}
	return err
}

// batchCuts cuts the ranges of rows into batches of at most size rows.
func batchCuts(rows rowSet, size int64) []rowRange {
	var cuts []rowRange
	for _, r := range rows {
		for lo := r.lo; lo < r.hi; lo += size {
			cuts = append(cuts, rowRange{lo, min(lo+size, r.hi)})
		}
	}
	return cuts
}

// batches calls f with each batch of rows of the group, cuts, in order.
func (gr *groupReaders) batches(c *codec, cuts []rowRange, f func(gf *groupFilter) error) error {
	for _, cut := range cuts {
		gf := &groupFilter{p: gr.p, g: gr.g, codec: c, cols: gr, row0: cut.lo, nrows: int(cut.hi - cut.lo)}
		if err := f(gf); err != nil {
			return err
		}
		gr.keep(gf)
	}
	return nil
}
