package blocks

import (
	"bytes"
	"context"
	"errors"
	"math"
	"slices"
	"sort"
	"sync"

	"github.com/tracectl/tracectl/internal/workers"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// An unordered scan (store.Request.Unordered) reads blocks independently,
// so its memory does not grow with the number of blocks: scanWorkers
// workers each decode one row group of one block at a time. A trace stored
// in several blocks must still be evaluated whole, so a first pass merges
// only the blocks' TraceID columns (16 bytes a trace, skipped when the
// blocks' ID ranges are disjoint) to find those traces and count their
// parts; the workers set the parts aside and merge a trace once all its
// parts are in (over blocks that follow each other in time, a trace's
// parts are read close together), the others at the end. Counts and
// aggregations (runGroupTasks) do the same. When so many traces are split
// (tooManySplits), or their parts would be held so long (see
// splithold.go), that holding them would cost more than the ordered
// merge, that merge is used instead.

// maxSplitTraces is the number of split traces an unordered scan, a count
// or an aggregation holds (14 MiB of splitHolders) whatever the blocks; past
// it, the ordered merge, which holds a row group's readers of every block
// (0.8-1.6 GiB over 200 one-minute blocks), reads instead if it costs
// less (tooManySplits). A variable for tests.
var maxSplitTraces = 500_000

// splitTraceBytes is the memory of a split trace in splitHolders.
const splitTraceBytes = 28

// tooManySplits reports whether n split traces are too many to hold for
// an unordered read of blocks: past maxSplitTraces, when they take more
// than the ordered merge would (mergeBytesPerBlock a block). A count over
// 125 minute blocks of 132k spans (621,000 split traces, 17 MiB) took 409
// MiB and 8.0 s unordered, 935 MiB and 9.1 s merged (BENCHMARKS.md,
// forty-sixth round).
func tooManySplits(n, blocks int) bool {
	return n > maxSplitTraces && int64(n)*splitTraceBytes > mergeBytesPerBlock*int64(blocks)
}

// lightFooterBlocks is the number of blocks from which a search that
// keeps its newest traces opens light footers: a block it reads costs a
// light footer more, and of a few blocks it reads most.
const lightFooterBlocks = 8

// scanUnordered returns an iterator over the traces of cand in no
// particular order.
func (s *Store) scanUnordered(ctx context.Context, cand []Meta, req store.Request) (store.TraceIterator, error) {
	// A search that keeps its newest traces skips most row groups of many
	// blocks from their statistics: the footers its split-trace pass and
	// its workers open are light ones, and only the blocks read are
	// opened whole.
	light := req.Newest != nil && len(cand) >= lightFooterBlocks
	holders := newSplitHolders(req.Newest != nil)
	ok, handed, err := s.splitTraces(ctx, cand, &req, light, holders)
	if err != nil {
		return nil, err
	}
	if !ok {
		return s.scanOrdered(ctx, cand, req), nil
	}
	ctx, cancel := context.WithCancel(ctx)
	nworkers := s.scanWorkers(cand)
	it := &unorderedIterator{ctx: ctx, cancel: cancel, ch: make(chan traceBatch, nworkers), req: req,
		holders: holders, parts: newHeldParts(holders), bad: map[int]bool{}, sent: map[int]bool{}, light: light}
	if req.Reuse {
		// Each worker holds an arena in its assembler and one per batch
		// queued or being consumed.
		it.pool = newArenaPool(4*nworkers + 4)
	}
	it.prog = s.trackScan(cand)
	tasks := scanOrder(cand, req)
	it.spread = s.spreadAll(cand)
	work := make(chan scanTask, len(tasks))
	for _, t := range tasks {
		work <- t
	}
	close(work)
	for i := 0; i < min(nworkers, len(tasks)); i++ {
		it.wg.Add(1)
		go it.worker(s, cand, work, req, handed)
	}
	go func() { it.wg.Wait(); close(it.ch) }()
	return it, nil
}

// idRangesDisjoint reports whether no two blocks' [MinID, MaxID] overlap
// (false when a block does not record its range).
func idRangesDisjoint(ms []Meta) bool {
	rs := make([]Meta, len(ms))
	copy(rs, ms)
	for _, m := range rs {
		if len(m.MinID) == 0 || len(m.MaxID) == 0 {
			return false
		}
	}
	sort.Slice(rs, func(i, j int) bool { return bytes.Compare(rs[i].MinID, rs[j].MinID) < 0 })
	for i := 1; i < len(rs); i++ {
		if bytes.Compare(rs[i].MinID, rs[i-1].MaxID) <= 0 {
			return false
		}
	}
	return true
}

// splitTraces finds the traces stored in more than one block of cand and
// records them in holders, with the row groups that hold a part of each,
// the latest their spans can start and how many parts each has; ok is
// false when there are too many (tooManySplits) or when the parts an
// unordered read would hold at once (heldSplits) would cost more than the
// ordered merge (preferOrdered), unless a block's rows are out of ID
// order, which that merge cannot read. It reads only the TraceID column
// chunks of the row groups the time range does not rule out (one row
// group of each block at a time; all of a block whose statistics do not
// show its row groups in ID order, or that has none), and merges them.
// The footers it opened are handed to the scan that follows (handed);
// with light, they are light ones (Block.openLight), for a scan that
// opens whole only the blocks it reads (pfile.wholeFooter).
func (s *Store) splitTraces(ctx context.Context, cand []Meta, req *store.Request, light bool, holders *splitHolders) (ok bool, handed *footers, err error) {
	if len(cand) < 2 || idRangesDisjoint(cand) {
		return true, nil, nil
	}
	ok, handed, err = s.splitPass(ctx, cand, req, light, holders, true)
	if errors.Is(err, errReordered) {
		// Past the cap, a block turned out to be out of order: the
		// ordered merge cannot read it, so every split trace is held.
		holders.reset()
		return s.splitPass(ctx, cand, req, light, holders, false)
	}
	return ok, handed, err
}

// errReordered: a split-trace pass that gave up at the cap on split
// traces (tooManySplits) found a block whose rows are out of ID order.
var errReordered = errors.New("internal: a block out of trace-ID order past the split-trace cap")

// splitPass is splitTraces' pass; with capped, it gives up past
// tooManySplits.
func (s *Store) splitPass(ctx context.Context, cand []Meta, req *store.Request, light bool, holders *splitHolders, capped bool) (ok bool, handed *footers, err error) {
	handed = &footers{files: map[int]*pfile{}}
	// The first row group of every block is loaded scanWorkers at a time
	// (a footer and a column chunk each: on an object store, round trips
	// that overlap); the later ones of a block as the merge reaches them.
	// (The streams keep ctx, not a group's context: their footers read
	// later row groups with it.)
	streams := make([]*idStream, len(cand))
	for i, m := range cand {
		streams[i] = &idStream{ctx: ctx, block: s.block(m), req: req, group: -1, at: i, handed: handed, light: light}
	}
	if err := workers.Each(ctx, len(streams), s.scanWorkers(cand), func(_ context.Context, i int) error {
		return streams[i].next()
	}); err != nil {
		return false, nil, err
	}
	// reordered reports whether a block's rows are out of ID order, as
	// far as read: the ordered merge cannot read them. Once true, it
	// stays so.
	known := false
	reordered := func() bool {
		known = known || slices.ContainsFunc(streams, func(st *idStream) bool { return st.reordered })
		return known
	}
	held := newHeldSplits(cand, scanOrder(cand, *req), min(s.scanWorkers(cand), len(cand)))
	h := make(idHeap, 0, len(cand))
	for _, st := range streams {
		if !st.done {
			h = append(h, st.entry())
		}
	}
	h.init()
	var at []blockGroup // the row groups holding the current ID
	var sizes []int64   // their blocks' average encoded trace
	for len(h) > 0 {
		if err := ctx.Err(); err != nil {
			return false, nil, err
		}
		top, copies, latest := h[0], 0, uint64(0)
		at, sizes = at[:0], sizes[:0]
		for len(h) > 0 && h[0].key == top.key {
			copies++
			st := h[0].st
			g, l := st.current()
			at = append(at, blockGroup{st.at, g})
			sizes = append(sizes, st.traceBytes)
			latest = max(latest, l)
			if err := st.next(); err != nil {
				return false, nil, err
			}
			if st.done {
				h[0] = h[len(h)-1]
				h = h[:len(h)-1]
			} else {
				h[0] = st.entry()
			}
			h.down(0)
		}
		if copies > 1 {
			if capped && tooManySplits(holders.len()+1, len(cand)) && !reordered() {
				// The blocks not read to the end may still be out of
				// order.
				if err := drainIDs(ctx, streams, s.scanWorkers(cand)); err != nil {
					return false, nil, err
				}
				if reordered() {
					return false, nil, errReordered
				}
				return false, nil, nil
			}
			held.add(at, sizes)
			holders.add(top.key, at, latest, copies)
		}
	}
	if preferOrdered(held.peak(), len(cand)) && !reordered() {
		return false, nil, nil
	}
	return true, handed, nil
}

// unknownStart is the latest start of a span whose row group's statistics
// do not say: no threshold is above it.
const unknownStart = math.MaxUint64

// footers hands the footers that the split-trace pass opened to the scan
// that follows, so that it does not read them again (on an object store, a
// request per block): each is taken once, by the first worker to reach a
// task of its block. They are all held until the scan starts, so they
// are kept while their estimated memory stays within maxHandedBytes.
type footers struct {
	mu    sync.Mutex
	files map[int]*pfile // by position in the candidates
	bytes int64          // their estimated memory
}

// maxHandedBytes bounds the memory of the footers a split-trace pass
// keeps for the scan. Decoded, a whole footer takes about eleven times
// its size in the file (700 of 20 KiB held 157 MiB), a light one about
// one and a half (handedBytes). A variable for tests.
var maxHandedBytes int64 = 32 << 20

// handedBytes estimates the memory of footer p of block b once decoded.
func handedBytes(b *Block, p *pfile) int64 {
	n := int64(b.meta.FooterSize)
	if n == 0 {
		n = 32 << 10 // not recorded: a large footer
	}
	if p.light {
		return 2 * n
	}
	return 12 * n
}

// put hands footer p of block b, at position pos of the candidates, to
// the scan, when there is room for it.
func (f *footers) put(pos int, b *Block, p *pfile) {
	if f == nil {
		return
	}
	n := handedBytes(b, p)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.bytes+n <= maxHandedBytes {
		p.r.release()
		f.files[pos] = p
		f.bytes += n
	}
}

// take returns the footer of block pos, if one was handed, reading with
// ctx from now on.
func (f *footers) take(ctx context.Context, pos int) *pfile {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.files[pos]
	delete(f.files, pos)
	if p != nil {
		p.r.ctx = ctx
	}
	return p
}

// unorderedIterator collects the traces decoded by the workers.
type unorderedIterator struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	ch     chan traceBatch

	// req's time range decides on the merged split traces, whose parts
	// are read whatever their rows' times (see mergeCopies).
	req store.Request
	// holders are the row groups that hold a part of a split trace, with
	// the latest each split trace can start.
	holders *splitHolders
	prog    *scanProgress
	mu      sync.Mutex
	parts   *heldParts // of split traces, not merged yet
	// bad holds the blocks (by position) left out for damage in their
	// pages, sent those of which traces were sent (see pass).
	bad, sent map[int]bool

	batch  []*model.Trace
	arenas []*arena // of batch's traces, with a pool
	bpos   int
	tail   bool // the merged split traces are in batch
	cur    *model.Trace
	curAr  *arena // cur's arena, held until Next moves on
	pool   *arenaPool
	err    error
	// spread: fewer row groups than cores (see Store.spreadAll).
	spread bool
	// light: the workers open light footers (see scanUnordered).
	light bool
}

// scanOrder returns the row-group tasks of cand in the order an
// unordered read hands them out: the blocks' order, or for a search
// keeping its newest traces the newest blocks first (the reader's
// threshold rises sooner).
func scanOrder(cand []Meta, req store.Request) []scanTask {
	tasks := rowGroupTasks(cand)
	if req.Newest != nil {
		sort.SliceStable(tasks, func(i, j int) bool { return cand[tasks[i].pos].EndTime.After(cand[tasks[j].pos].EndTime) })
	}
	return tasks
}

// scanTask is a range of row groups of one block of an unordered scan:
// [from, to), or from to the end when to is 0.
type scanTask struct{ pos, from, to int }

// rowGroupTasks splits the blocks into one task per row group, as their
// metas count them (totalRecords), without reading a footer; the last task
// of a block runs to its end whatever the meta says.
func rowGroupTasks(metas []Meta) []scanTask {
	var tasks []scanTask
	for i, m := range metas {
		for g := 0; g < m.TotalRecords-1; g++ {
			tasks = append(tasks, scanTask{pos: i, from: g, to: g + 1})
		}
		tasks = append(tasks, scanTask{pos: i, from: max(m.TotalRecords-1, 0)})
	}
	return tasks
}

// iterator returns an iterator over the task's row groups of b, decoding
// with file (a footer the caller opened and reads one row group at a time).
func (t scanTask) iterator(ctx context.Context, b *Block, file *pfile) *blockIterator {
	bi := b.iterator(ctx)
	bi.file, bi.group, bi.endGroup = file, t.from-1, t.to
	return bi
}

// worker scans the row-group ranges it takes from work, one at a time,
// reusing the opened footer while they are of the same block.
func (it *unorderedIterator) worker(s *Store, cand []Meta, work <-chan scanTask, req store.Request, handed *footers) {
	defer it.wg.Done()
	send := func(b traceBatch) bool {
		select {
		case it.ch <- b:
			return true
		case <-it.ctx.Done():
			return false
		}
	}
	opener := newBlockOpener(handed)
	opener.light = it.light
	for task := range work {
		pos := task.pos
		b, file, err := opener.open(it.ctx, s, cand, pos)
		if err != nil {
			send(traceBatch{err: err})
			return
		}
		if file == nil {
			it.prog.block(pos)
			continue // damaged, left out
		}
		bi := task.iterator(it.ctx, b, file)
		bi.req, bi.split, bi.filter, bi.pool = &req, it.holders, true, it.pool
		bi.spread = it.spread
		bi.pos, bi.prog = pos, it.prog
		out := traceBatch{traces: make([]*model.Trace, 0, parallelBatch)}
		for bi.Next() {
			t := bi.At()
			if it.holders.has(t.TraceID) {
				if it.pool != nil {
					// Kept until its other parts are in.
					t = detach(t)
				}
				if m := it.addPart(pos, t); m != nil && !send(traceBatch{traces: []*model.Trace{m}}) {
					bi.Close()
					return
				}
				continue
			}
			out.traces = append(out.traces, t)
			if it.pool != nil {
				ar := bi.arena()
				ar.hold()
				out.arenas = append(out.arenas, ar)
			}
			if len(out.traces) == parallelBatch {
				if !it.pass(pos, out) {
					bi.Close() // its block was left out as damaged
					out = traceBatch{}
					break
				}
				if !send(out) {
					bi.Close()
					return
				}
				out = traceBatch{traces: make([]*model.Trace, 0, parallelBatch)}
			}
		}
		if d, ok := pageDamage(it.ctx, bi.Err()); ok {
			it.leaveOut(s, pos, d, out)
			continue
		}
		if err := bi.Err(); err != nil {
			send(traceBatch{err: err})
			return
		}
		if len(out.traces) > 0 && it.pass(pos, out) && !send(out) {
			return
		}
	}
}

// pass reports whether a batch of block pos may be sent, and notes that
// the block had traces sent; a batch of a block left out as damaged is
// dropped (its arenas released) instead.
func (it *unorderedIterator) pass(pos int, b traceBatch) bool {
	it.mu.Lock()
	ok := !it.bad[pos]
	it.sent[pos] = it.sent[pos] || ok
	it.mu.Unlock()
	if !ok {
		for _, ar := range b.arenas {
			ar.release()
		}
	}
	return ok
}

// leaveOut leaves block pos out for damage d met in its pages: the batch
// not yet sent is dropped, so are its parts of split traces, and the
// block's later tasks are skipped (Store.leftOut). It is recorded as
// partly read when a batch of it was sent.
func (it *unorderedIterator) leaveOut(s *Store, pos int, d *DamagedError, unsent traceBatch) {
	for _, ar := range unsent.arenas {
		ar.release()
	}
	it.mu.Lock()
	it.bad[pos] = true
	partial := it.sent[pos]
	it.mu.Unlock()
	s.leaveOut(d, partial)
	it.prog.block(pos)
}

// Next returns the next trace: the workers' traces as they come, then the
// split traces merged, in ascending ID order.
func (it *unorderedIterator) Next() bool {
	if it.err != nil {
		return false
	}
	for it.bpos >= len(it.batch) {
		if it.tail {
			return false
		}
		b, ok := <-it.ch
		if !ok {
			if err := it.ctx.Err(); err != nil {
				it.err = err
				return false
			}
			it.batch, it.arenas, it.bpos, it.tail = it.mergeCopies(), nil, 0, true
			continue
		}
		if b.err != nil {
			it.err = b.err
			it.Close()
			return false
		}
		it.batch, it.arenas, it.bpos = b.traces, b.arenas, 0
	}
	it.curAr.release() // the consumer is done with the previous trace
	it.curAr = nil
	it.cur = it.batch[it.bpos]
	it.batch[it.bpos] = nil
	if it.bpos < len(it.arenas) {
		it.curAr = it.arenas[it.bpos]
	}
	it.bpos++
	return true
}

// addPart sets part t (of block pos) of a split trace aside. When it is
// the trace's last part, the parts are merged at once and the trace
// returned, unless merge leaves it out; the blocks of its parts count as
// having had traces sent (see leaveOut).
func (it *unorderedIterator) addPart(pos int, t *model.Trace) *model.Trace {
	it.mu.Lock()
	cs := it.parts.add(pos, t)
	cs = slices.DeleteFunc(cs, func(c blockCopy) bool { return it.bad[c.pos] })
	it.mu.Unlock()
	m := it.merge(t.TraceID, cs)
	if m != nil {
		it.mu.Lock()
		for _, c := range cs {
			it.sent[c.pos] = true
		}
		it.mu.Unlock()
	}
	return m
}

// merge merges the parts cs of split trace id (none of a block left out),
// or returns nil for a trace left out: no part, a search keeping its
// newest traces that drops it (its bound is below the threshold: it
// starts before it, and its holders may have been skipped, see
// splitHolders), or a merged trace outside the request's time range (only
// the whole trace's times decide, as in an ordered scan: mergeIterator).
// A trace merged before the end is tested against the threshold as it
// stands then: one that a later threshold would drop is sent, and the
// reader drops it.
func (it *unorderedIterator) merge(id model.TraceID, cs []blockCopy) *model.Trace {
	if len(cs) == 0 || it.req.Newest != nil && it.holders.dropped(id, it.req.Newest.Load()) {
		return nil
	}
	if t := mergeCopies(cs); it.req.Overlaps(t.TimeRange()) {
		return t
	}
	return nil
}

// mergeCopies merges the parts of the split traces not merged yet (some
// part was skipped, or left out as damaged), in ID order: see merge.
func (it *unorderedIterator) mergeCopies() []*model.Trace {
	rest := it.parts.rest(func(pos int) bool { return it.bad[pos] })
	out := make([]*model.Trace, 0, len(rest))
	for id, cs := range rest {
		if t := it.merge(id, cs); t != nil {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return model.CompareTraceIDs(out[i].TraceID, out[j].TraceID) < 0 })
	return out
}

// NextBatch returns the workers' batches as they come, then the split
// traces merged; it may be called from several goroutines at once.
func (it *unorderedIterator) NextBatch() ([]*model.Trace, func(), bool) {
	for {
		it.mu.Lock()
		failed := it.err != nil
		it.mu.Unlock()
		if failed {
			return nil, nil, false
		}
		b, ok := <-it.ch
		if !ok {
			return it.tailBatch()
		}
		if b.err != nil {
			it.mu.Lock()
			if it.err == nil {
				it.err = b.err
			}
			it.mu.Unlock()
			it.cancel()
			return nil, nil, false
		}
		if len(b.traces) > 0 {
			return b.traces, func() {
				for _, ar := range b.arenas {
					ar.release()
				}
			}, true
		}
	}
}

// tailBatch hands the merged split traces to the first NextBatch that
// finds the workers done; the others end.
func (it *unorderedIterator) tailBatch() ([]*model.Trace, func(), bool) {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.err != nil || it.tail {
		return nil, nil, false
	}
	it.tail = true
	if err := it.ctx.Err(); err != nil {
		it.err = err
		return nil, nil, false
	}
	out := it.mergeCopies()
	return out, func() {}, len(out) > 0
}

func (it *unorderedIterator) At() *model.Trace { return it.cur }
func (it *unorderedIterator) Err() error       { return it.err }

// Close stops the workers and waits for them.
func (it *unorderedIterator) Close() error {
	it.cancel()
	for range it.ch { // drain so blocked workers exit
	}
	it.wg.Wait()
	it.batch, it.parts = nil, nil
	return nil
}
