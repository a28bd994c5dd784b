package blocks

import "sync"

// Progress is how far the store's reads have come since SetProgress.
// Every scan (Traces without TraceIDs, TracesOf, CountTraces,
// AggregateSpans, ScanTexts, Walk, Verify, Rewrite) adds the blocks it
// plans to the totals when it starts, so a command running several scans
// sees the totals grow; done counts follow as row groups finish (a row
// group the time range rules out, unread, counts as done, and a damaged
// block left out counts whole). Verify and Rewrite count whole blocks.
// Bytes are the blocks' data.parquet sizes from meta.json, a block's share
// per row group: a measure of the work, not of the bytes fetched.
type Progress struct {
	Blocks, BlocksTotal       int
	RowGroups, RowGroupsTotal int
	Bytes, BytesTotal         int64
}

// SetProgress makes the store call f as its reads go on (see Progress):
// one call at a time, with done counts that never decrease and never pass
// the totals, counted from zero. f runs on the scan's goroutines, once per
// row group, so it must be quick; nil turns reporting off. Call it before
// sharing the store between goroutines.
func (s *Store) SetProgress(f func(Progress)) {
	s.prog.mu.Lock()
	defer s.prog.mu.Unlock()
	s.prog.f, s.prog.sum = f, Progress{}
}

// progressSum is a store's running Progress.
type progressSum struct {
	f   func(Progress)
	mu  sync.Mutex
	sum Progress
}

// scanProgress counts one scan's blocks (by their position in the scan's
// list) into the store's sum. A nil *scanProgress counts nothing, so the
// read paths call it unconditionally.
type scanProgress struct {
	sum    *progressSum
	blocks []blockProgress
}

// blockProgress is one block of a scan: its row groups as its meta counts
// them (at least one) and how many are done.
type blockProgress struct {
	groups, done int
	size, bytes  int64
	finished     bool
}

// trackScan adds the blocks of metas to the totals and returns their
// counter; nil when no one listens.
func (s *Store) trackScan(metas []Meta) *scanProgress {
	p := &s.prog
	if p.f == nil || len(metas) == 0 {
		return nil
	}
	sp := &scanProgress{sum: p, blocks: make([]blockProgress, len(metas))}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, m := range metas {
		b := blockProgress{groups: max(m.TotalRecords, 1), size: int64(m.Size)}
		sp.blocks[i] = b
		p.sum.BlocksTotal++
		p.sum.RowGroupsTotal += b.groups
		p.sum.BytesTotal += b.size
	}
	p.f(p.sum)
	return sp
}

// groups counts n row groups of block pos done. Row groups past the
// count of the block's meta are not counted (a meta may be off; the
// totals were fixed when the scan started).
func (sp *scanProgress) groups(pos, n int) {
	if sp == nil || n <= 0 {
		return
	}
	sp.sum.mu.Lock()
	defer sp.sum.mu.Unlock()
	b := &sp.blocks[pos]
	if b.finished {
		return
	}
	sp.add(b, min(b.done+n, b.groups))
}

// group counts one row group of block pos done.
func (sp *scanProgress) group(pos int) { sp.groups(pos, 1) }

// block counts block pos done whole (its end was reached, or it was left
// out as damaged). Counting it again does nothing.
func (sp *scanProgress) block(pos int) {
	if sp == nil {
		return
	}
	sp.sum.mu.Lock()
	defer sp.sum.mu.Unlock()
	b := &sp.blocks[pos]
	if !b.finished {
		sp.add(b, b.groups)
	}
}

// add moves b to done row groups (sum.mu held) and reports the sum.
func (sp *scanProgress) add(b *blockProgress, done int) {
	s := &sp.sum.sum
	bytes := b.size * int64(done) / int64(b.groups)
	s.RowGroups += done - b.done
	s.Bytes += bytes - b.bytes
	b.done, b.bytes = done, bytes
	if done == b.groups {
		b.finished = true
		s.Blocks++
	}
	sp.sum.f(*s)
}

// BlockWork counts whole blocks of a maintenance step (retain's
// retirements and deletions) into the store's Progress, as scans count
// theirs. A nil *BlockWork counts nothing.
type BlockWork struct{ sp *scanProgress }

// TrackBlocks adds metas to the Progress totals; call Done(i) when the
// work on metas[i] is finished (or skipped).
func (s *Store) TrackBlocks(metas []Meta) *BlockWork {
	return &BlockWork{sp: s.trackScan(metas)}
}

// Done counts metas[i] of TrackBlocks done; counting it again does nothing.
func (w *BlockWork) Done(i int) {
	if w != nil {
		w.sp.block(i)
	}
}
