package blocks

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/tracectl/tracectl/internal/workers"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

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
	// split, when not nil, holds the scan's traces stored in several
	// blocks, whose rows are built whatever the filter says, and the row
	// groups (of the scan's blocks) that hold their parts, with the latest
	// their traces can start.
	split *splitHolders
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
	// skipDamaged leaves a damaged block out (recorded for Store.Damaged)
	// instead of failing: reads may, compaction may not. Damage inside a
	// page ends the block where it is met: the traces returned before
	// stay returned (the record says the block was partly read).
	skipDamaged bool
	// pool, when not nil, recycles the memory of built traces: a trace
	// is valid until its arena is released (see arena.go).
	pool *arenaPool
	// prog counts the row groups done, the block's as number pos.
	prog *scanProgress
	// spread: see groupRead.
	spread bool

	file  *pfile
	group int
	rows  *groupTraces
	cur   *model.Trace
	// idOrder: the iterator feeds a merge by trace ID, or a block written
	// from its traces, which need them in ID order; lastID is the ID of
	// the trace before cur (read: there was one).
	idOrder bool
	lastID  model.TraceID
	read    bool
	err     error
	done    bool

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
	arenas []*arena // with a pool: each trace's arena, held for the consumer
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
// With idOrder, a trace out of ID order ends it (inIDOrder).
func (it *blockIterator) Next() bool {
	return it.next() && (!it.idOrder || it.inIDOrder())
}

// next decodes the next trace.
func (it *blockIterator) next() bool {
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
				it.stop(err)
				return false
			}
			if t == nil {
				it.rows.close()
				it.rows = nil
				it.prog.group(it.pos)
				continue
			}
			it.cur = t
			return true
		}
		if it.file == nil && !it.setFile(it.openFile(it.ctx)) {
			return false
		}
		it.group++
		if it.group >= len(it.file.file.RowGroups()) {
			it.prog.block(it.pos)
			it.Close()
			return false
		}
		if it.endGroup > 0 && it.group >= it.endGroup {
			it.Close()
			return false
		}
		if it.skipGroup(it.file, it.group) {
			it.prog.group(it.pos)
			continue
		}
		if it.file.light && !it.setFile(it.file.wholeFooter(func() (*pfile, error) { return it.openFile(it.ctx) })) {
			return false
		}
		rows, err := it.openGroup(it.file, it.group)
		if err != nil {
			it.stop(err)
			return false
		}
		if rows == nil { // no row passes the filter
			it.prog.group(it.pos)
		}
		it.rows = rows
	}
}

// setFile makes f, just opened (err), the file read; false ends the
// iteration: on err, or when f is nil (a damaged block, left out).
func (it *blockIterator) setFile(f *pfile, err error) bool {
	if err != nil {
		it.stop(err)
		return false
	}
	if f == nil {
		it.prog.block(it.pos)
		it.Close() // damaged, left out
		return false
	}
	it.file = f
	return true
}

// nextParallel takes the next trace from the producer, starting it on the
// first call.
func (it *blockIterator) nextParallel() bool {
	it.startProducer()
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
			it.stop(b.err)
			return false
		}
		it.batch, it.bpos = b.traces, 0
	}
	it.cur = it.batch[it.bpos]
	it.batch[it.bpos] = nil
	it.bpos++
	return true
}

// startProducer starts the producer of a parallel iterator (sem set), once.
func (it *blockIterator) startProducer() {
	if it.sem == nil || it.started || it.done || it.err != nil {
		return
	}
	it.started = true
	ctx, cancel := context.WithCancel(it.ctx)
	it.cancel = cancel
	it.ch = make(chan traceBatch, producerQueue)
	it.wg.Add(1)
	go it.produce(ctx)
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
	f, err := it.openFile(ctx)
	release()
	if err != nil {
		send(traceBatch{err: err})
		return
	}
	if f == nil {
		it.prog.block(it.pos)
		return // damaged, left out
	}
	for g := 0; g < len(f.file.RowGroups()); g++ {
		if it.skipGroup(f, g) {
			it.prog.group(it.pos)
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
			it.prog.group(it.pos)
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
		it.prog.group(it.pos)
	}
	it.prog.block(it.pos)
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
// statistics miss the request range, or (for a search keeping its newest
// traces, where filtering is allowed) none of its traces can start late
// enough, split ones included (the merge then drops those: see
// splitHolders).
func (it *blockIterator) skipGroup(f *pfile, g int) bool {
	if f.skipGroup(g, it.req) {
		return true
	}
	if it.filter && it.req != nil && it.req.Newest != nil {
		// No trace of the group starts after its latest span start.
		hi, ok := f.groupMaxSpanStart(g)
		if latest, held := it.split.holderLatest(blockGroup{it.pos, g}); held {
			hi = latest // its own latest start and its split traces'
		}
		if ok && hi < it.req.Newest.Load() {
			return true
		}
	}
	return false
}

// arena returns the arena of the trace Next returned last.
func (it *blockIterator) arena() *arena {
	if it.rows == nil {
		return nil
	}
	return it.rows.a.cur
}

// openFile opens the block's footer; nil when it is damaged and
// skipDamaged leaves it out.
func (it *blockIterator) openFile(ctx context.Context) (*pfile, error) {
	if it.skipDamaged {
		return it.block.store.openOrSkip(ctx, it.block)
	}
	return it.block.open(ctx)
}

// openGroup starts reading row group g of f (see openTraces).
func (it *blockIterator) openGroup(f *pfile, g int) (*groupTraces, error) {
	covered := it.req != nil && it.req.Covers(it.block.meta.TimeRange())
	return f.openTraces(g, it.block.codec, groupRead{req: it.req, filter: it.filter, rowTime: !it.mergedTime, covered: covered,
		split: it.split, pool: it.pool, spread: it.spread})
}

// streamAbove is the row-group size above which a streaming iterator
// reads column chunks a window at a time (a variable for tests);
// localStreamAbove is that size for a file:// bucket, where a read costs
// a system call rather than a request, and filling fresh buffers with
// whole chunks costs more than reading windows again (page faults: on a
// 114k-span block, limit-20 searches take 20–25% less time). A block
// whose file is known (blobReaderAt.path: the tenant's directory name is
// the tenant) is read from it directly and uses neither.
var (
	streamAbove      int64 = 8 << 20
	localStreamAbove int64 = 1 << 20
)

func (it *blockIterator) fail(err error) {
	it.err = err
	it.Close()
}

// stop ends the iteration on a read error. Damage inside the block's pages
// is recorded for Store.Damaged (partly read when a trace was returned
// before); with skipDamaged the block then just ends, without an error.
func (it *blockIterator) stop(err error) {
	if d, ok := pageDamage(it.ctx, err); ok {
		it.block.store.leaveOut(d, it.skipDamaged && it.cur != nil)
		if it.skipDamaged {
			it.prog.block(it.pos)
			it.Close()
			return
		}
	}
	it.fail(err)
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
// the same trace found in several blocks. A block is started only once
// the merge reaches its first trace ID: blocks of disjoint ID ranges, as
// one ingest writes them, are then read one after the other, the next
// one decoding ahead, instead of all at once. The first IDs are read from
// the blocks (the first value of their TraceID column), not taken from
// their metas: a meta or statistics that claim a block starts later than
// it does must not reorder the merge.
type mergeIterator struct {
	its []*blockIterator
	// pending are the blocks not started yet, by their first trace ID
	// (the zero ID when it could not be read); nil until peeked.
	pending []pendingBlock
	peeked  bool
	h       iterHeap
	cur     *model.Trace
	err     error
	// req, when set, drops merged traces outside its time range (its
	// iterators then leave rows unchecked).
	req *store.Request
	// from is the position of the block cur came from, -1 when it merges
	// parts from several blocks.
	from int
}

// pendingBlock is a block of a merge not started yet.
type pendingBlock struct {
	it    *blockIterator
	first model.TraceID
}

func newMergeIterator(its []*blockIterator) *mergeIterator { return &mergeIterator{its: its} }

// peek opens every block and reads its first trace ID, ordering the
// pending blocks by it (a small read: the footer and the first page of
// one column). A block that does not open, or whose first ID
// does not read, comes first: starting it meets the damage as before.
func (m *mergeIterator) peek() {
	m.peeked = true
	m.pending = make([]pendingBlock, len(m.its))
	for i, it := range m.its {
		m.pending[i].it = it
	}
	if len(m.its) > 1 { // one block has nothing to order
		// As many blocks at once as the scan decodes (an object store's
		// round trips overlap).
		limit := 1
		if sem := m.its[0].sem; sem != nil {
			limit = cap(sem)
		}
		workers.Each(context.Background(), len(m.pending), limit, func(_ context.Context, i int) error {
			m.pending[i].first = m.pending[i].it.firstTraceID()
			return nil
		})
	}
	sort.SliceStable(m.pending, func(i, j int) bool {
		return model.CompareTraceIDs(m.pending[i].first, m.pending[j].first) < 0
	})
}

// firstTraceID opens the block to read its first trace ID, the zero ID
// when it does not open or the ID does not read (the block's start then
// meets the damage). The footer and the first page of the TraceID column
// are read, a small remote object not whole: the file is opened again
// when the block starts, since kept open, every small block would stay in
// memory whole (and every file's descriptor open) until the merge reaches
// it.
func (it *blockIterator) firstTraceID() model.TraceID {
	f, err := it.block.openFile(it.ctx, false, false)
	if err != nil {
		return model.TraceID{}
	}
	defer f.r.release()
	id, _ := f.firstTraceID()
	return id
}

// activate starts the pending blocks that may hold the merge's next
// trace: every one whose first ID is not above the smallest current ID of
// the started ones (the first pending one when none is left). The next
// pending blocks, when their iterators decode ahead, start decoding.
func (m *mergeIterator) activate() {
	if !m.peeked {
		m.peek()
	}
	for len(m.pending) > 0 && m.err == nil {
		p := m.pending[0]
		if m.h.Len() > 0 && model.CompareTraceIDs(p.first, m.h[0].cur.TraceID) > 0 {
			break
		}
		m.pending = m.pending[1:]
		m.advance(p.it)
	}
	// Decoding ahead: the next block, and the ones after it while they
	// are small (a block of a few traces is over before its producer
	// gets going).
	var ahead uint64
	for i := 0; m.err == nil && i < len(m.pending) && i < aheadBlocks && (i == 0 || ahead < aheadBytes); i++ {
		it := m.pending[i].it
		it.startProducer()
		ahead += it.block.meta.Size
	}
}

// aheadBlocks and aheadBytes bound the pending blocks of a merge that
// decode ahead: at most aheadBlocks, and past the first only while the
// data.parquet of those before holds fewer than aheadBytes. Tests lower
// aheadBlocks.
var aheadBlocks = 8

const aheadBytes = 16 << 20

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

// inIDOrder checks that the trace just read does not come before the one
// read before it. A merge by trace ID needs each block's traces in ID
// order, as vParquet4 writes them: out of order, a trace split across
// blocks would come out twice. Such a block is damaged from there on.
// (An unordered scan reads a block in any order: it does not check.)
func (it *blockIterator) inIDOrder() bool {
	id := it.cur.TraceID
	if it.read && model.CompareTraceIDs(id, it.lastID) < 0 {
		it.stop(damaged(it.block.key(dataObject), fmt.Errorf("trace IDs out of order: %v after %v (vParquet4 sorts a block's traces by ID)", id, it.lastID)))
		return false
	}
	it.lastID, it.read = id, true
	return true
}

func (m *mergeIterator) Next() bool {
	if m.err != nil {
		return false
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
	m.activate()
	if m.err != nil || m.h.Len() == 0 {
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
	m.from = copies[0].pos
	if len(copies) > 1 {
		m.from = -1
	}
	return true
}

// From returns the position, in the merged block list, of the block the
// current trace came from, or -1 when it merges parts of several blocks.
func (m *mergeIterator) From() int { return m.from }

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
