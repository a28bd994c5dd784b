package blocks

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/bits-and-blooms/bloom/v3"
	"github.com/parquet-go/parquet-go"

	"github.com/tracectl/tracectl/model"
)

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
		err = p.r.prefetch(off, n)
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
		return nil, false, fmt.Errorf("%s: row group %d: %w", p.r.key, g, err)
	}
	if idx < 0 {
		return nil, false, nil
	}
	if !small {
		if err := p.loadChunks(g, assemblerColumns(p.leaves, nil)); err != nil {
			return nil, false, err
		}
	}
	a := newGroupAssembler(p, g, c, nil)
	defer a.close()
	if err := a.skipAll(int(idx)); err != nil {
		return nil, false, err
	}
	ts, err := a.read(1, nil)
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
