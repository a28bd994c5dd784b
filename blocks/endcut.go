package blocks

import (
	"context"
	"errors"
	"slices"
	"sort"

	"github.com/google/uuid"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// CutByEnd implements store.Cutter: the blocks req reads (those whose
// meta time range meets it), latest EndTime first.
func (s *Store) CutByEnd(ctx context.Context, req store.Request) (store.EndCut, error) {
	metas, err := s.readBlocks(ctx)
	if err != nil {
		return nil, err
	}
	cand := inRange(metas, &req)
	byEnd := make([]int, len(cand))
	for i := range byEnd {
		byEnd[i] = i
	}
	sort.SliceStable(byEnd, func(i, j int) bool { return cand[byEnd[i]].EndTime.After(cand[byEnd[j]].EndTime) })
	return &endCut{s: s, listed: cand, byEnd: byEnd, counted: map[uuid.UUID]bool{}}, nil
}

// endCut is a Store's store.EndCut.
type endCut struct {
	s *Store
	// listed are the blocks in the store's listing order; byEnd their
	// indexes, latest EndTime first.
	listed []Meta
	byEnd  []int
	// shards keeps the bloom shards Absent read, for its next call.
	shards shardCache
	// counted are the blocks the scans of First have added to the
	// store's Progress: each counts once however many scans read it.
	counted map[uuid.UUID]bool
}

func (c *endCut) Len() int { return len(c.byEnd) }

// End is the end of the block's meta time range: its EndTime is the
// latest span end truncated to the second.
func (c *endCut) End(i int) uint64 {
	_, end := c.listed[c.byEnd[i]].TimeRange()
	return end
}

// First reads its blocks in the store's listing order, as Traces does:
// the copies of a split trace merge in that order.
func (c *endCut) First(n int) store.Source {
	return blockSubset{s: c.s, metas: c.blocks(c.byEnd[:n]), counted: c.counted}
}

// Absent looks every ID up in the blocks from n on as trace lookups do:
// through the blocks' ID ranges and bloom filters, then in the parquet
// files of the blocks the filters let through.
func (c *endCut) Absent(ctx context.Context, n int, ids []model.TraceID) (bool, error) {
	if c.shards == nil {
		c.shards = shardCache{}
	}
	rest := c.blocks(c.byEnd[n:])
	for _, id := range ids {
		_, err := c.s.findIn(ctx, rest, id, c.shards)
		if errors.Is(err, ErrTraceNotFound) {
			continue
		}
		return false, err
	}
	return true, nil
}

// blocks returns the blocks at the indexes idx of listed, in listing
// order.
func (c *endCut) blocks(idx []int) []Meta {
	idx = slices.Clone(idx)
	slices.Sort(idx)
	out := make([]Meta, len(idx))
	for i, k := range idx {
		out[i] = c.listed[k]
	}
	return out
}

// blockSubset is a Source over some of a Store's blocks.
type blockSubset struct {
	s       *Store
	metas   []Meta
	counted map[uuid.UUID]bool
}

func (b blockSubset) Traces(ctx context.Context, req store.Request) (store.TraceIterator, error) {
	return b.s.tracesIn(ctx, inRange(b.metas, &req), req, b.counted)
}
