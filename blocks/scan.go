package blocks

import (
	"bytes"
	"context"
	"sort"
	"sync"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// An unordered scan (store.Request.Unordered) reads blocks independently,
// so its memory does not grow with the number of blocks: Concurrency()
// workers each decode one row group of one block at a time. A trace stored
// in several blocks must still be evaluated whole, so a first pass merges
// only the blocks' TraceID columns (16 bytes a trace, skipped when the
// blocks' ID ranges are disjoint) to find those traces; the workers set
// their copies aside and they are merged and returned last. When more than
// maxSplitTraces traces are split, holding the copies could cost more than
// the ordered merge, which is used instead.

// maxSplitTraces bounds the traces an unordered scan sets aside (a
// variable for tests).
var maxSplitTraces = 10_000

// scanUnordered returns an iterator over the traces of cand in no
// particular order.
func (s *Store) scanUnordered(ctx context.Context, cand []Meta, req store.Request) (store.TraceIterator, error) {
	split, ok, err := s.splitTraces(ctx, cand, &req)
	if err != nil {
		return nil, err
	}
	if !ok {
		return s.scanOrdered(ctx, cand, req), nil
	}
	ctx, cancel := context.WithCancel(ctx)
	it := &unorderedIterator{ctx: ctx, cancel: cancel, ch: make(chan traceBatch, s.Concurrency()),
		split: split, copies: map[model.TraceID][]blockCopy{}}
	work := make(chan int, len(cand))
	for i := range cand {
		work <- i
	}
	close(work)
	for i := 0; i < min(s.Concurrency(), len(cand)); i++ {
		it.wg.Add(1)
		go it.worker(s, cand, work, req)
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

// splitTraces returns the IDs of traces found in more than one block of
// cand (within req's time range); ok is false when there are more than
// maxSplitTraces.
func (s *Store) splitTraces(ctx context.Context, cand []Meta, req *store.Request) (ids map[model.TraceID]bool, ok bool, err error) {
	ids = map[model.TraceID]bool{}
	if len(cand) < 2 || idRangesDisjoint(cand) {
		return ids, true, nil
	}
	its := make([]*blockIterator, 0, len(cand))
	for _, m := range cand {
		it := s.block(m).iterator(ctx)
		it.req, it.idsOnly = req, true
		its = append(its, it)
	}
	m := newMergeIterator(its)
	defer m.Close()
	for m.Next() {
		if m.copies > 1 {
			if len(ids) == maxSplitTraces {
				return nil, false, nil
			}
			ids[m.id] = true
		}
	}
	return ids, true, m.Err()
}

// unorderedIterator collects the traces decoded by the workers.
type unorderedIterator struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	ch     chan traceBatch

	split  map[model.TraceID]bool
	mu     sync.Mutex
	copies map[model.TraceID][]blockCopy // parts of split traces

	batch []*model.Trace
	bpos  int
	tail  bool // the merged split traces are in batch
	cur   *model.Trace
	err   error
}

// worker scans the blocks of cand whose positions it takes from work, one
// at a time.
func (it *unorderedIterator) worker(s *Store, cand []Meta, work <-chan int, req store.Request) {
	defer it.wg.Done()
	send := func(b traceBatch) bool {
		select {
		case it.ch <- b:
			return true
		case <-it.ctx.Done():
			return false
		}
	}
	for pos := range work {
		bi := s.block(cand[pos]).iterator(it.ctx)
		bi.req, bi.split = &req, it.split
		out := make([]*model.Trace, 0, parallelBatch)
		for bi.Next() {
			t := bi.At()
			if it.split[t.TraceID] {
				it.mu.Lock()
				it.copies[t.TraceID] = append(it.copies[t.TraceID], blockCopy{pos, t})
				it.mu.Unlock()
				continue
			}
			if out = append(out, t); len(out) == parallelBatch {
				if !send(traceBatch{traces: out}) {
					bi.Close()
					return
				}
				out = make([]*model.Trace, 0, parallelBatch)
			}
		}
		if err := bi.Err(); err != nil {
			send(traceBatch{err: err})
			return
		}
		if len(out) > 0 && !send(traceBatch{traces: out}) {
			return
		}
	}
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
			it.batch, it.bpos, it.tail = it.mergeCopies(), 0, true
			continue
		}
		if b.err != nil {
			it.err = b.err
			it.Close()
			return false
		}
		it.batch, it.bpos = b.traces, 0
	}
	it.cur = it.batch[it.bpos]
	it.batch[it.bpos] = nil
	it.bpos++
	return true
}

// mergeCopies merges the copies of every split trace, in ID order.
func (it *unorderedIterator) mergeCopies() []*model.Trace {
	out := make([]*model.Trace, 0, len(it.copies))
	for _, cs := range it.copies {
		out = append(out, mergeCopies(cs))
	}
	it.copies = nil
	sort.Slice(out, func(i, j int) bool { return model.CompareTraceIDs(out[i].TraceID, out[j].TraceID) < 0 })
	return out
}

func (it *unorderedIterator) At() *model.Trace { return it.cur }
func (it *unorderedIterator) Err() error       { return it.err }

// Close stops the workers and waits for them.
func (it *unorderedIterator) Close() error {
	it.cancel()
	for range it.ch { // drain so blocked workers exit
	}
	it.wg.Wait()
	it.batch, it.copies = nil, nil
	return nil
}
