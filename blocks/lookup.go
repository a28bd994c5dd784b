package blocks

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/bits-and-blooms/bloom/v3"
	"github.com/parquet-go/parquet-go"

	"github.com/tracectl/tracectl/blocks/bloomshard"
	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/internal/workers"
	"github.com/tracectl/tracectl/model"
)

// bloomCache keeps bloom shards read during one multi-ID lookup.
type bloomCache map[string]*bloom.BloomFilter

// mayContain tests the trace's bloom shard (one small object read, or none
// when cache already holds the shard).
func (b *Block) mayContain(ctx context.Context, id model.TraceID, cache bloomCache) (bool, error) {
	name := bloomshard.ObjectName(bloomshard.Of(id, b.meta.BloomShardCount()))
	key := b.key(name)
	if f, ok := cache[key]; ok {
		return f.Test(id[:]), nil
	}
	data, err := b.store.readObject(ctx, b.store.localTenantDir(), b.meta.BlockID, name)
	if err != nil {
		if isNotFound(err) {
			return true, nil // no bloom: fall back to the parquet search
		}
		return false, err
	}
	f, err := bloomshard.Decode(data)
	if err != nil {
		// A damaged shard (blocks verify reports it) only loses its
		// shortcut: search the parquet.
		return true, nil
	}
	if cache != nil {
		cache[key] = f
	}
	return f.Test(id[:]), nil
}

// FindTrace returns the trace with the given ID. It reads the bloom shard
// of the ID, then the parquet footer, then only the row group whose first
// trace ID is the largest not above id (every row group, in turn, of a
// block whose row groups' statistics do not show them in ID order: see
// groupsInIDOrder). A damaged block (footer or pages)
// is left out, as if it did not hold the trace, and recorded for
// Store.Damaged.
func (b *Block) FindTrace(ctx context.Context, id model.TraceID) (*model.Trace, bool, error) {
	return b.findTrace(ctx, id, nil)
}

func (b *Block) findTrace(ctx context.Context, id model.TraceID, cache bloomCache) (*model.Trace, bool, error) {
	ok, err := b.mayContain(ctx, id, cache)
	if err != nil || !ok {
		return nil, false, err
	}
	p, err := b.store.openOrSkip(ctx, b)
	if err != nil || p == nil {
		return nil, false, err // a damaged block is left out (Store.Damaged)
	}
	groups := len(p.file.RowGroups())
	candidates := []int{}
	if p.groupsInIDOrder() {
		// Binary search: first group whose min ID is above id, minus one.
		g := sort.Search(groups, func(i int) bool {
			return bytes.Compare(p.groupMinID(i), id[:]) > 0
		}) - 1
		if g >= 0 {
			candidates = append(candidates, g)
		}
	} else {
		// No TraceID statistics, or groups out of ID order (other
		// writers): try every group.
		for i := 0; i < groups; i++ {
			candidates = append(candidates, i)
		}
	}
	for _, g := range candidates {
		t, found, err := p.findInGroup(g, id, b.codec)
		if d, ok := pageDamage(ctx, err); ok {
			b.store.leaveOut(d, false) // nothing of it was returned
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		if found {
			return t, true, nil
		}
	}
	return nil, false, nil
}

// findInGroup scans the TraceID column of row group g for id and
// assembles only the matching row.
func (p *pfile) findInGroup(g int, id model.TraceID, c *codec) (*model.Trace, bool, error) {
	// A small row group is fetched whole, in one request. In a large one
	// the TraceID column is read first, then every column from the page
	// holding the row (offset index), a window at a time.
	_, size := p.groupRange(g)
	small := size <= streamAbove
	var err error
	if small {
		off, n := p.groupRange(g)
		err = damaged(p.r.key, p.r.prefetch(off, n))
		p.r.fetchOnDemand(p.offsetIndexRanges(g, nil))
	} else {
		err = p.loadChunks(g, []int{p.leaves.traceID.Index})
	}
	if err != nil {
		return nil, false, err
	}
	defer p.r.release()
	rg := p.file.RowGroups()[g]
	idx, err := findRowIndex(rg, id)
	if err != nil {
		return nil, false, p.groupErr(g, err)
	}
	if idx < 0 {
		return nil, false, nil
	}
	if !small {
		if err := p.loadChunks(g, assemblerColumns(p.leaves, c, projection{})); err != nil {
			return nil, false, err
		}
	}
	a := newGroupAssembler(p, g, c, projection{})
	defer a.close()
	if err := a.skipAll(int(idx)); err != nil {
		return nil, false, err
	}
	ts, err := a.read(1, nil)
	if err != nil {
		return nil, false, err
	}
	if len(ts) != 1 || ts[0].TraceID != id {
		return nil, false, p.groupErr(g, fmt.Errorf("%w: row %d is not trace %s", column.ErrCorrupt, idx, id))
	}
	return ts[0], true, nil
}

// findRowIndex returns the index of id's row in the TraceID column (the
// first leaf column), or -1.
// groupIDs reads the TraceID column chunk of row group g (one ranged
// read) and decodes only it.
func (p *pfile) groupIDs(g int) ([]model.TraceID, error) {
	if err := p.r.prefetchRanges([]byteRange{p.chunkRange(g, 0)}); err != nil {
		return nil, damaged(p.r.key, err)
	}
	defer p.r.release()
	rg := p.file.RowGroups()[g]
	ids := make([]model.TraceID, 0, rg.NumRows())
	err := eachTraceID(rg, func(id model.TraceID, _ bool) bool {
		ids = append(ids, id)
		return true
	})
	if err != nil {
		return nil, p.groupErr(g, err)
	}
	return ids, nil
}

// eachTraceID calls f with the IDs of the TraceID column (the first leaf
// column) of rg in order, until f returns false; ok is false for a value
// longer than 16 bytes (id is then zero). A page that does not decode is a
// column.ErrCorrupt error.
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
			return fmt.Errorf("%w: column TraceID: %w", column.ErrCorrupt, err)
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
				return fmt.Errorf("%w: column TraceID: %w", column.ErrCorrupt, err)
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

// lookupConcurrency bounds the bloom shards, and then the parquet files,
// a trace lookup reads at once.
const lookupConcurrency = 32

// shardCache keeps the bloom shards read during a multi-ID lookup, by
// key, as stored; a nil value is a shard that does not exist. Its zero
// value (nil) caches nothing.
type shardCache map[string][]byte

// findIn looks id up in the blocks of metas and merges the copies found
// (model.MergeTraces). Blocks whose [minID, maxID] excludes id are
// skipped. The others' bloom shard for id is read, all at once, and
// tested where it lies, without decoding the filter (bloomshard.Test); only the
// blocks it lets through open their parquet file, also at once. A block
// without its bloom shard is searched, as Block.findTrace does.
func (s *Store) findIn(ctx context.Context, metas []Meta, id model.TraceID, cache shardCache) (*model.Trace, error) {
	var cand []Meta
	for _, m := range metas {
		if !m.MayHoldIDs(id, id) {
			continue
		}
		cand = append(cand, m)
	}

	// Bloom pass (on a file:// bucket, from the tenant directory: no look
	// at an attributes file for each shard).
	keys := make([]string, len(cand))
	shards := make([][]byte, len(cand))
	dir := s.localTenantDir()
	names := make([]string, len(cand))
	var toRead []int
	for i, m := range cand {
		names[i] = bloomshard.ObjectName(bloomshard.Of(id, m.BloomShardCount()))
		keys[i] = joinKey(s.tenant, m.BlockID.String(), names[i]) // Block.key, without building a Block
		if data, ok := cache[keys[i]]; ok {
			shards[i] = data
			continue
		}
		toRead = append(toRead, i)
	}
	if err := workers.Each(ctx, len(toRead), lookupConcurrency, func(ctx context.Context, k int) error {
		i := toRead[k]
		data, err := s.readObject(ctx, dir, cand[i].BlockID, names[i])
		if err != nil && !isNotFound(err) {
			return err
		}
		shards[i] = data
		return nil
	}); err != nil {
		return nil, err
	}
	if cache != nil {
		for _, i := range toRead {
			cache[keys[i]] = shards[i]
		}
	}
	var hits []int
	for i := range cand {
		ok := true // no shard: search the block
		if shards[i] != nil {
			var err error
			if ok, err = bloomshard.Test(shards[i], id); err != nil {
				// A damaged shard (blocks verify reports it): search
				// the block as if it had none.
				ok, shards[i] = true, nil
			}
		}
		if ok {
			hits = append(hits, i)
		}
	}

	// Parquet pass: the blocks the filters let through.
	found := make([]*model.Trace, len(hits))
	if err := workers.Each(ctx, len(hits), lookupConcurrency, func(ctx context.Context, j int) error {
		i := hits[j]
		// Hand findTrace the shard, so that it does not read it again.
		var own bloomCache
		if shards[i] != nil {
			if f, err := bloomshard.Decode(shards[i]); err == nil {
				own = bloomCache{keys[i]: f}
			}
		}
		t, ok, err := s.block(cand[i]).findTrace(ctx, id, own)
		if err != nil || !ok {
			return err
		}
		found[j] = t
		return nil
	}); err != nil {
		return nil, err
	}
	var copies []*model.Trace
	for _, t := range found {
		if t != nil {
			copies = append(copies, t)
		}
	}
	switch len(copies) {
	case 0:
		return nil, fmt.Errorf("%s: trace %s: %w", s.tenant, id, ErrTraceNotFound)
	case 1:
		return copies[0], nil
	}
	return model.MergeTraces(copies...), nil
}
