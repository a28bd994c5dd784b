package blocks

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/bits-and-blooms/bloom/v3"
	"github.com/parquet-go/parquet-go"

	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// Block is one block of a Store, opened from its meta.json.
type Block struct {
	store  *Store
	meta   Meta
	codec  *codec
	prefix string
}

// Meta returns the block's meta.json.
func (b *Block) Meta() Meta { return b.meta }

func (b *Block) key(name string) string { return joinKey(b.prefix, name) }

// pfile is an opened data.parquet backed by ranged reads.
type pfile struct {
	r      *blobReaderAt
	file   *parquet.File
	layout layout // attribute layout, from the file's schema
	leaves *fileLeaves
	// exactTimes says the trace-level time columns are exact (traceTimesKey).
	exactTimes bool
	// startCol and endCol are the leaf indexes of StartTimeUnixNano and
	// EndTimeUnixNano (-1 when absent), for row-group skipping.
	startCol, endCol int
	// cols caches columnsOf per projected schema.
	cols map[*parquet.Schema][]int
}

// open reads only the parquet footer (one ranged read when meta.footerSize
// is known): the magic header, page index and bloom filters are skipped.
func (b *Block) open(ctx context.Context) (*pfile, error) {
	key := b.key(dataObject)
	size := int64(b.meta.Size)
	if size == 0 {
		attrs, err := b.store.bucket.Attributes(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		size = attrs.Size
	}
	r := &blobReaderAt{ctx: ctx, bucket: b.store.bucket, key: key, size: size}
	// One ranged read for the footer: meta.footerSize when known, else a
	// guess that covers most footers (parquet-go reads the rest if not).
	tail := int64(64 << 10)
	if b.meta.FooterSize > 0 {
		tail = int64(b.meta.FooterSize) + 8
	}
	tail = min(tail, size)
	if err := r.prefetch(size-tail, tail); err != nil {
		return nil, err
	}
	f, err := column.OpenFile(r, size,
		parquet.SkipMagicBytes(true),
		parquet.SkipPageIndex(true),
		parquet.SkipBloomFilters(true),
	)
	r.release()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	l, err := detectLayout(f.Schema())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	leaves, err := resolveLeaves(f.Schema(), l)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	pf := &pfile{r: r, file: f, layout: l, leaves: leaves, startCol: -1, endCol: -1}
	if v, ok := f.Lookup(traceTimesKey); ok && v == traceTimesSpanRange {
		pf.exactTimes = leaves.traceStart.ok && leaves.traceEnd.ok && leaves.traceDuration.ok
	}
	if c, ok := f.Schema().Lookup("StartTimeUnixNano"); ok {
		pf.startCol = c.ColumnIndex
	}
	if c, ok := f.Schema().Lookup("EndTimeUnixNano"); ok {
		pf.endCol = c.ColumnIndex
	}
	return pf, nil
}

// groupRange returns the byte range of row group i's column chunks.
func (p *pfile) groupRange(i int) (off, n int64) {
	lo, hi := int64(-1), int64(0)
	for c := range p.file.Metadata().RowGroups[i].Columns {
		r := p.chunkRange(i, c)
		if lo < 0 || r.off < lo {
			lo = r.off
		}
		hi = max(hi, r.off+r.n)
	}
	if lo < 0 {
		return 0, 0
	}
	return lo, hi - lo
}

// chunkRange is the byte range of one column chunk of row group i.
func (p *pfile) chunkRange(i, col int) byteRange {
	c := p.file.Metadata().RowGroups[i].Columns[col]
	start := c.MetaData.DataPageOffset
	if c.MetaData.DictionaryPageOffset > 0 && c.MetaData.DictionaryPageOffset < start {
		start = c.MetaData.DictionaryPageOffset
	}
	return byteRange{start, c.MetaData.TotalCompressedSize}
}

// maxChunkGap is the largest gap between two needed column chunks that is
// read rather than skipped with a second request (a variable for tests).
var maxChunkGap int64 = 256 << 10

// groupRanges returns the byte ranges of the column chunks of row group i
// that schema s reads (all of them for the file's own schema), coalesced.
func (p *pfile) groupRanges(i int, s *parquet.Schema) []byteRange {
	cols := p.columnsOf(s)
	if cols == nil {
		off, n := p.groupRange(i)
		return []byteRange{{off, n}}
	}
	rs := make([]byteRange, 0, len(cols))
	for _, c := range cols {
		rs = append(rs, p.chunkRange(i, c))
	}
	sort.Slice(rs, func(a, b int) bool { return rs[a].off < rs[b].off })
	return coalesce(rs, maxChunkGap)
}

// columnsOf returns the file's column indexes of the leaves of a projected
// schema, or nil when s reads every column.
func (p *pfile) columnsOf(s *parquet.Schema) []int {
	if cols, ok := p.cols[s]; ok {
		return cols
	}
	paths := s.Columns()
	var cols []int
	if len(paths) < len(p.file.Schema().Columns()) {
		for _, path := range paths {
			if c, ok := p.file.Schema().Lookup(path...); ok {
				cols = append(cols, c.ColumnIndex)
			}
		}
	}
	if p.cols == nil {
		p.cols = map[*parquet.Schema][]int{}
	}
	p.cols[s] = cols
	return cols
}

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

// streamGroup is openGroupSchema without the prefetch: column chunks are
// read a window at a time as decoding reaches them (blobReaderAt.stream),
// for readers that hold a row group of many blocks at once.
func (p *pfile) streamGroup(i int, schema *parquet.Schema) *groupRows {
	cols := p.columnsOf(schema)
	if cols == nil {
		cols = make([]int, len(p.file.Metadata().RowGroups[i].Columns))
		for c := range cols {
			cols[c] = c
		}
	}
	chunks := make([]byteRange, 0, len(cols))
	for _, c := range cols {
		chunks = append(chunks, p.chunkRange(i, c))
	}
	sort.Slice(chunks, func(a, b int) bool { return chunks[a].off < chunks[b].off })
	p.r.stream(chunks)
	return p.newGroupRows(i, schema)
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
			return nil, fmt.Errorf("%s: row group %d: %w", g.p.r.key, g.index, err)
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

// readGroup decodes every row of row group i (tests and small groups).
func (p *pfile) readGroup(i int) ([]pqTrace, error) {
	g, err := p.openGroup(i, nil)
	if err != nil {
		return nil, err
	}
	defer g.close()
	var rows []pqTrace
	for {
		r, err := g.next()
		if err != nil {
			return nil, err
		}
		if r == nil {
			return rows, nil
		}
		rows = append(rows, *r)
	}
}

// groupMinID returns row group i's smallest trace ID from the TraceID
// column statistics (nil when the writer recorded none).
func (p *pfile) groupMinID(i int) []byte {
	cols := p.file.Metadata().RowGroups[i].Columns
	if len(cols) == 0 {
		return nil
	}
	st := cols[0].MetaData.Statistics
	if len(st.MinValue) > 0 {
		return st.MinValue
	}
	return st.Min
}

// groupTimeRange returns row group i's [min start, max end] (Unix ns) from
// the StartTimeUnixNano and EndTimeUnixNano column statistics of the
// footer; ok is false when either is missing.
func (p *pfile) groupTimeRange(i int) (start, end uint64, ok bool) {
	if p.startCol < 0 || p.endCol < 0 {
		return 0, 0, false
	}
	cols := p.file.Metadata().RowGroups[i].Columns
	if p.startCol >= len(cols) || p.endCol >= len(cols) {
		return 0, 0, false
	}
	lo, okLo := statUint64(cols[p.startCol].MetaData.Statistics.MinValue, cols[p.startCol].MetaData.Statistics.Min)
	hi, okHi := statUint64(cols[p.endCol].MetaData.Statistics.MaxValue, cols[p.endCol].MetaData.Statistics.Max)
	return lo, hi, okLo && okHi
}

// groupMaxSpanStart returns the latest span start of row group g from the
// span StartTimeUnixNano statistics.
func (p *pfile) groupMaxSpanStart(g int) (uint64, bool) {
	if !p.leaves.start.ok {
		return 0, false
	}
	st := p.file.Metadata().RowGroups[g].Columns[p.leaves.start.Index].MetaData.Statistics
	return statUint64(st.MaxValue, st.Max)
}

// statUint64 decodes a plain-encoded INT64 statistic (8 bytes, little
// endian), preferring the current field over the deprecated one.
func statUint64(v, deprecated []byte) (uint64, bool) {
	if len(v) == 0 {
		v = deprecated
	}
	if len(v) != 8 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(v), true
}

// skipGroup reports whether row group i cannot hold a trace of req: its
// time statistics do not overlap the request range. Without statistics
// nothing is skipped.
func (p *pfile) skipGroup(i int, req *store.Request) bool {
	if req == nil || (req.Start.IsZero() && req.End.IsZero()) {
		return false
	}
	start, end, ok := p.groupTimeRange(i)
	return ok && !req.Overlaps(start, end)
}

// bloomCache keeps bloom shards read during one multi-ID lookup.
type bloomCache map[string]*bloom.BloomFilter

// mayContain tests the trace's bloom shard (one small object read, or none
// when cache already holds the shard).
func (b *Block) mayContain(ctx context.Context, id model.TraceID, cache bloomCache) (bool, error) {
	shard := bloomShard(id, shardCount(b.meta))
	key := b.key(bloomName(shard))
	if f, ok := cache[key]; ok {
		return f.Test(id[:]), nil
	}
	data, err := readAll(ctx, b.store.bucket, key)
	if err != nil {
		if isNotFound(err) {
			return true, nil // no bloom: fall back to the parquet search
		}
		return false, err
	}
	f, err := decodeBloom(data)
	if err != nil {
		return false, fmt.Errorf("%s: %w", key, err)
	}
	if cache != nil {
		cache[key] = f
	}
	return f.Test(id[:]), nil
}

// FindTrace returns the trace with the given ID. It reads the bloom shard
// of the ID, then the parquet footer, then only the row group whose first
// trace ID is the largest not above id.
func (b *Block) FindTrace(ctx context.Context, id model.TraceID) (*model.Trace, bool, error) {
	return b.findTrace(ctx, id, nil)
}

func (b *Block) findTrace(ctx context.Context, id model.TraceID, cache bloomCache) (*model.Trace, bool, error) {
	ok, err := b.mayContain(ctx, id, cache)
	if err != nil || !ok {
		return nil, false, err
	}
	p, err := b.open(ctx)
	if err != nil {
		return nil, false, err
	}
	groups := len(p.file.RowGroups())
	candidates := []int{}
	stats := true
	for i := 0; i < groups && stats; i++ {
		stats = p.groupMinID(i) != nil
	}
	if stats {
		// Binary search: first group whose min ID is above id, minus one.
		g := sort.Search(groups, func(i int) bool {
			return bytes.Compare(p.groupMinID(i), id[:]) > 0
		}) - 1
		if g >= 0 {
			candidates = append(candidates, g)
		}
	} else {
		// No TraceID statistics (other writers): try every group.
		for i := 0; i < groups; i++ {
			candidates = append(candidates, i)
		}
	}
	for _, g := range candidates {
		t, found, err := p.findInGroup(g, id, b.codec)
		if err != nil {
			return nil, false, err
		}
		if found {
			return t, true, nil
		}
	}
	return nil, false, nil
}

// findInGroup loads row group g with one ranged read, scans its TraceID
// column for id and assembles only the matching row.
func (p *pfile) findInGroup(g int, id model.TraceID, c *codec) (*model.Trace, bool, error) {
	off, n := p.groupRange(g)
	if err := p.r.prefetch(off, n); err != nil {
		return nil, false, err
	}
	defer p.r.release()
	rg := p.file.RowGroups()[g]
	idx, err := findRowIndex(rg, id)
	if err != nil {
		return nil, false, fmt.Errorf("%s: row group %d: %w", p.r.key, g, err)
	}
	if idx < 0 {
		return nil, false, nil
	}
	sel := make([]bool, idx+1)
	sel[idx] = true
	a := newGroupAssembler(p, g, c, nil)
	defer a.close()
	ts, err := a.read(int(idx)+1, sel)
	if err != nil {
		return nil, false, err
	}
	if len(ts) != 1 || ts[0].TraceID != id {
		return nil, false, fmt.Errorf("%s: row group %d: row %d is not trace %s", p.r.key, g, idx, id)
	}
	return ts[0], true, nil
}

// findRowIndex returns the index of id's row in the TraceID column (the
// first leaf column), or -1.
// groupIDs reads the TraceID column chunk of row group g (one ranged
// read) and decodes only it.
func (p *pfile) groupIDs(g int) ([]model.TraceID, error) {
	if err := p.r.prefetchRanges([]byteRange{p.chunkRange(g, 0)}); err != nil {
		return nil, err
	}
	defer p.r.release()
	rg := p.file.RowGroups()[g]
	ids := make([]model.TraceID, 0, rg.NumRows())
	err := eachTraceID(rg, func(id model.TraceID, _ bool) bool {
		ids = append(ids, id)
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("%s: row group %d: %w", p.r.key, g, err)
	}
	return ids, nil
}

// eachTraceID calls f with the IDs of the TraceID column (the first leaf
// column) of rg in order, until f returns false; ok is false for a value
// longer than 16 bytes (id is then zero).
func eachTraceID(rg parquet.RowGroup, f func(id model.TraceID, ok bool) bool) error {
	pages := rg.ColumnChunks()[0].Pages()
	defer pages.Close()
	buf := make([]parquet.Value, 256)
	for {
		page, err := pages.ReadPage()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		vr := page.Values()
		for {
			n, err := vr.ReadValues(buf)
			for _, v := range buf[:n] {
				if !f(model.TraceIDFromBytes(v.ByteArray())) {
					parquet.Release(page)
					return nil
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				parquet.Release(page)
				return err
			}
			if n == 0 {
				break
			}
		}
		parquet.Release(page)
	}
}

func findRowIndex(rg parquet.RowGroup, id model.TraceID) (int64, error) {
	row, found := int64(0), false
	err := eachTraceID(rg, func(rid model.TraceID, ok bool) bool {
		if found = ok && rid == id; found {
			return false
		}
		row++
		return true
	})
	if err != nil || !found {
		return -1, err
	}
	return row, nil
}

// Traces streams every trace of the block in file order, one row group in
// memory at a time.
func (b *Block) Traces(ctx context.Context) (store.TraceIterator, error) {
	return b.iterator(ctx), nil
}

func (b *Block) iterator(ctx context.Context) *blockIterator {
	return &blockIterator{ctx: ctx, block: b, group: -1}
}

// blockIterator walks a block's row groups, decoding a few rows at a time.
type blockIterator struct {
	ctx   context.Context
	block *Block
	req   *store.Request // optional time filter and projection
	pos   int            // position of the block in the scan's block list
	// split, when not nil, holds the IDs of the scan's traces stored in
	// several blocks; only then may row groups be skipped by req.Services
	// (a group without those services may hold part of a split trace).
	split map[model.TraceID]bool
	// filter applies req.Filter to rows (only where no copy of a trace in
	// another block can change its outcome: see split).
	filter bool
	// mergedTime leaves the time range to the merge iterator, which tests
	// merged traces (blocks whose ID ranges overlap may split traces).
	mergedTime bool
	// endGroup, when positive, ends the iteration before that row group
	// (with group set to the one before the first, the iterator covers a
	// range of row groups).
	endGroup int

	file  *pfile
	group int
	rows  *groupTraces
	cur   *model.Trace
	err   error
	done  bool

	// Parallel mode (sem != nil): a producer goroutine decodes the block
	// and sends traces in batches on ch; decoding a batch holds a slot of
	// sem, shared by every block of the scan.
	sem     chan struct{}
	ch      chan traceBatch
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	batch   []*model.Trace
	bpos    int
	started bool
}

// traceBatch is a run of decoded traces (or the error that ended the
// block) sent by a parallel block iterator's producer.
type traceBatch struct {
	traces []*model.Trace
	err    error
}

// parallelBatch is how many rows a producer decodes per semaphore slot and
// per batch sent; producerQueue is how many batches may wait in the
// channel. Memory per block is at most one compressed row group plus
// (producerQueue+2) batches of decoded traces, whatever the row-group size.
const (
	parallelBatch = rowBatch
	producerQueue = 1
)

// Next decodes the next trace; it returns false at the end or on error.
func (it *blockIterator) Next() bool {
	if it.err != nil || it.done {
		return false
	}
	if it.sem != nil {
		return it.nextParallel()
	}
	for {
		if err := it.ctx.Err(); err != nil {
			it.fail(err)
			return false
		}
		if it.rows != nil {
			t, err := it.rows.next()
			if err != nil {
				it.fail(err)
				return false
			}
			if t == nil {
				it.rows.close()
				it.rows = nil
				continue
			}
			it.cur = t
			return true
		}
		if it.file == nil {
			f, err := it.block.open(it.ctx)
			if err != nil {
				it.fail(err)
				return false
			}
			it.file = f
		}
		it.group++
		if it.group >= len(it.file.file.RowGroups()) || (it.endGroup > 0 && it.group >= it.endGroup) {
			it.Close()
			return false
		}
		if it.skipGroup(it.file, it.group) {
			continue
		}
		rows, err := it.openGroup(it.file, it.group)
		if err != nil {
			it.fail(err)
			return false
		}
		it.rows = rows
	}
}

// nextParallel takes the next trace from the producer, starting it on the
// first call.
func (it *blockIterator) nextParallel() bool {
	if !it.started {
		it.started = true
		ctx, cancel := context.WithCancel(it.ctx)
		it.cancel = cancel
		it.ch = make(chan traceBatch, producerQueue)
		it.wg.Add(1)
		go it.produce(ctx)
	}
	for it.bpos >= len(it.batch) {
		b, ok := <-it.ch
		if !ok {
			if err := it.ctx.Err(); err != nil {
				it.fail(err)
				return false
			}
			it.Close()
			return false
		}
		if b.err != nil {
			it.fail(b.err)
			return false
		}
		it.batch, it.bpos = b.traces, 0
	}
	it.cur = it.batch[it.bpos]
	it.batch[it.bpos] = nil
	it.bpos++
	return true
}

// produce decodes the block's row groups in order (skipping those the
// request's time range rules out by statistics) and sends the traces in
// batches. It stops at the end, on error, or when ctx is cancelled.
func (it *blockIterator) produce(ctx context.Context) {
	defer it.wg.Done()
	defer close(it.ch)
	send := func(b traceBatch) bool {
		select {
		case it.ch <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	acquire := func() bool {
		select {
		case it.sem <- struct{}{}:
			return true
		case <-ctx.Done():
			return false
		}
	}
	release := func() { <-it.sem }
	if !acquire() {
		return
	}
	f, err := it.block.open(ctx)
	release()
	if err != nil {
		send(traceBatch{err: err})
		return
	}
	for g := 0; g < len(f.file.RowGroups()); g++ {
		if it.skipGroup(f, g) {
			continue
		}
		if !acquire() {
			return
		}
		rows, err := it.openGroup(f, g)
		release()
		if err != nil {
			send(traceBatch{err: err})
			return
		}
		if rows == nil {
			continue // no row passes the filter
		}
		for {
			if !acquire() {
				rows.close()
				return
			}
			out, end, err := it.decodeBatch(rows)
			release()
			if err != nil {
				rows.close()
				send(traceBatch{err: err})
				return
			}
			if len(out) > 0 && !send(traceBatch{traces: out}) {
				rows.close()
				return
			}
			if end {
				break
			}
		}
		rows.close()
	}
}

// decodeBatch takes up to parallelBatch traces of g (those in the
// request's time range); end reports the group's end.
func (it *blockIterator) decodeBatch(g *groupTraces) (out []*model.Trace, end bool, err error) {
	out = make([]*model.Trace, 0, parallelBatch)
	for len(out) < parallelBatch {
		t, err := g.next()
		if err != nil {
			return nil, false, err
		}
		if t == nil {
			return out, true, nil
		}
		out = append(out, t)
	}
	return out, false, nil
}

// skipGroup reports whether row group g of f can be left unread: its time
// statistics miss the request range, or (for a scan that knows its split
// traces) none of its spans can have a service of req.Services and none
// of its traces is split.
func (it *blockIterator) skipGroup(f *pfile, g int) bool {
	if f.skipGroup(g, it.req) {
		return true
	}
	if it.filter && it.req != nil && it.req.Newest != nil && !f.mayHoldAny(g, it.split) {
		// No trace of the group starts after its latest span start.
		if hi, ok := f.groupMaxSpanStart(g); ok && hi < it.req.Newest.Load() {
			return true
		}
	}
	if it.split == nil || it.req == nil || len(it.req.Services) == 0 {
		return false
	}
	return f.lacksServices(g, it.req.Services) && !f.mayHoldAny(g, it.split)
}

// openGroup starts reading row group g of f (see openTraces).
func (it *blockIterator) openGroup(f *pfile, g int) (*groupTraces, error) {
	return f.openTraces(g, it.block.codec, groupRead{req: it.req, filter: it.filter, rowTime: !it.mergedTime, split: it.split})
}

// streamAbove is the row-group size above which a streaming iterator
// reads column chunks a window at a time (a variable for tests).
var streamAbove int64 = 8 << 20

func (it *blockIterator) fail(err error) {
	it.err = err
	it.Close()
}

// At returns the current trace.
func (it *blockIterator) At() *model.Trace { return it.cur }

// Err returns the error that stopped the iteration.
func (it *blockIterator) Err() error { return it.err }

// Close releases the row group being read, stopping the producer (and
// waiting for it) in parallel mode.
func (it *blockIterator) Close() error {
	if it.cancel != nil {
		it.cancel()
		it.wg.Wait()
		it.cancel = nil
	}
	it.batch = nil
	if it.rows != nil {
		it.rows.close()
		it.rows = nil
	}
	it.done, it.file = true, nil
	return nil
}

// mergeIterator merges block iterators by trace ID, combining copies of
// the same trace found in several blocks.
type mergeIterator struct {
	its    []*blockIterator
	h      iterHeap
	primed bool
	cur    *model.Trace
	err    error
	// req, when set, drops merged traces outside its time range (its
	// iterators then leave rows unchecked).
	req *store.Request
}

func newMergeIterator(its []*blockIterator) *mergeIterator { return &mergeIterator{its: its} }

type iterHeap []*blockIterator

func (h iterHeap) Len() int { return len(h) }
func (h iterHeap) Less(i, j int) bool {
	return model.CompareTraceIDs(h[i].cur.TraceID, h[j].cur.TraceID) < 0
}
func (h iterHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *iterHeap) Push(x any)   { *h = append(*h, x.(*blockIterator)) }
func (h *iterHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (m *mergeIterator) advance(it *blockIterator) bool {
	if it.Next() {
		heap.Push(&m.h, it)
		return true
	}
	if err := it.Err(); err != nil {
		m.err = err
	}
	return false
}

func (m *mergeIterator) Next() bool {
	if m.err != nil {
		return false
	}
	if !m.primed {
		m.primed = true
		for _, it := range m.its {
			m.advance(it)
			if m.err != nil {
				return false
			}
		}
	}
	for {
		if !m.merge() {
			return false
		}
		if m.req == nil || m.req.Overlaps(m.cur.TimeRange()) {
			return true
		}
	}
}

// merge takes the next trace from the heap, combining its copies.
func (m *mergeIterator) merge() bool {
	if m.h.Len() == 0 {
		return false
	}
	first := heap.Pop(&m.h).(*blockIterator)
	copies := []blockCopy{{first.pos, first.cur}}
	m.advance(first)
	for m.err == nil && m.h.Len() > 0 && m.h[0].cur.TraceID == copies[0].t.TraceID {
		it := heap.Pop(&m.h).(*blockIterator)
		copies = append(copies, blockCopy{it.pos, it.cur})
		m.advance(it)
	}
	if m.err != nil {
		return false
	}
	m.cur = mergeCopies(copies)
	return true
}

// blockCopy is the part of a trace stored in the block at position pos of
// a scan's block list.
type blockCopy struct {
	pos int
	t   *model.Trace
}

// mergeCopies merges the parts of one trace in block order, so that the
// result does not depend on which block was decoded first.
func mergeCopies(cs []blockCopy) *model.Trace {
	if len(cs) == 1 {
		return cs[0].t
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].pos < cs[j].pos })
	ts := make([]*model.Trace, len(cs))
	for i, c := range cs {
		ts[i] = c.t
	}
	return model.MergeTraces(ts...)
}

func (m *mergeIterator) At() *model.Trace { return m.cur }
func (m *mergeIterator) Err() error       { return m.err }
func (m *mergeIterator) Close() error {
	var errs []error
	for _, it := range m.its {
		errs = append(errs, it.Close())
	}
	return errors.Join(errs...)
}
