package blocks

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/bits-and-blooms/bloom/v3"
	"golang.org/x/sync/errgroup"

	"github.com/tracectl/tracectl/model"
)

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
// tested where it lies, without decoding the filter (bloomTest); only the
// blocks it lets through open their parquet file, also at once. A block
// without its bloom shard is searched, as Block.findTrace does.
func (s *Store) findIn(ctx context.Context, metas []Meta, id model.TraceID, cache shardCache) (*model.Trace, error) {
	var cand []Meta
	for _, m := range metas {
		if len(m.MinID) == 16 && len(m.MaxID) == 16 &&
			(string(id[:]) < string(m.MinID) || string(id[:]) > string(m.MaxID)) {
			continue
		}
		cand = append(cand, m)
	}

	// Bloom pass.
	keys := make([]string, len(cand))
	shards := make([][]byte, len(cand))
	read := make([]bool, len(cand))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(lookupConcurrency)
	for i, m := range cand {
		keys[i] = s.block(m).key(bloomName(bloomShard(id, shardCount(m))))
		if data, ok := cache[keys[i]]; ok {
			shards[i] = data
			continue
		}
		read[i] = true
		g.Go(func() error {
			data, err := readAll(gctx, s.bucket, keys[i])
			if err != nil && !isNotFound(err) {
				return err
			}
			shards[i] = data
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var hits []int
	for i := range cand {
		if cache != nil && read[i] {
			cache[keys[i]] = shards[i]
		}
		ok := true // no shard: search the block
		if shards[i] != nil {
			var err error
			if ok, err = bloomTest(shards[i], id); err != nil {
				return nil, fmt.Errorf("%s: %w", keys[i], err)
			}
		}
		if ok {
			hits = append(hits, i)
		}
	}

	// Parquet pass: the blocks the filters let through.
	found := make([]*model.Trace, len(hits))
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(lookupConcurrency)
	for j, i := range hits {
		// Hand findTrace the shard, so that it does not read it again.
		var own bloomCache
		if shards[i] != nil {
			f, err := decodeBloom(shards[i])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", keys[i], err)
			}
			own = bloomCache{keys[i]: f}
		}
		g.Go(func() error {
			t, ok, err := s.block(cand[i]).findTrace(gctx, id, own)
			if err != nil || !ok {
				return err
			}
			found[j] = t
			return nil
		})
	}
	if err := g.Wait(); err != nil {
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

// bloomTest is bloom.BloomFilter.Test on a shard as stored (the
// bits-and-blooms WriteTo encoding, big-endian: m, k, the bit count, then
// the bit words), reading only the k words it needs instead of decoding
// the whole filter (100 KiB for Tempo's shard size).
func bloomTest(data []byte, id model.TraceID) (bool, error) {
	const header = 24
	if len(data) < header {
		return false, errors.New("bloom filter truncated")
	}
	m := binary.BigEndian.Uint64(data[0:])
	k := binary.BigEndian.Uint64(data[8:])
	n := binary.BigEndian.Uint64(data[16:])
	if words := uint64(len(data)-header) / 8; n > words*64 {
		return false, errors.New("bloom filter truncated")
	}
	if m == 0 || k == 0 || k > 1024 {
		return false, fmt.Errorf("bloom filter with m=%d, k=%d", m, k)
	}
	for _, loc := range bloom.Locations(id[:], uint(k)) {
		bit := loc % m
		if bit >= n {
			return false, nil
		}
		w := binary.BigEndian.Uint64(data[header+8*(bit/64):])
		if w&(1<<(bit%64)) == 0 {
			return false, nil
		}
	}
	return true, nil
}
