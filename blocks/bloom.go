package blocks

import (
	"bytes"
	"fmt"
	"hash/fnv"

	"github.com/bits-and-blooms/bloom/v3"

	"github.com/tracectl/tracectl/model"
)

// Bloom parameters, as Tempo's defaults.
const (
	bloomFP         = 0.01
	bloomShardBytes = 100 * 1024
	bloomMaxShards  = 1000
)

// bloomShape returns the shard count and hash count for n trace IDs.
func bloomShape(n int) (shards int, k uint) {
	if n < 1 {
		n = 1
	}
	m, k := bloom.EstimateParameters(uint(n), bloomFP)
	shardBits := uint(bloomShardBytes * 8)
	shards = int((m + shardBits - 1) / shardBits)
	shards = max(1, min(shards, bloomMaxShards))
	return shards, k
}

// bloomShard returns the shard holding id: FNV-1 (not 1a) 32-bit of the 16
// bytes, modulo the shard count.
func bloomShard(id model.TraceID, shards int) int {
	if shards <= 0 {
		return 0
	}
	h := fnv.New32()
	h.Write(id[:])
	return int(h.Sum32() % uint32(shards))
}

// shardedBloom builds the bloom-<i> objects of a block.
type shardedBloom struct {
	filters []*bloom.BloomFilter
}

func newShardedBloom(n int) *shardedBloom {
	shards, k := bloomShape(n)
	s := &shardedBloom{filters: make([]*bloom.BloomFilter, shards)}
	for i := range s.filters {
		s.filters[i] = bloom.New(shardBits(n, shards), k)
	}
	return s
}

// Sizing a lone shard: a block small enough for one shard gets
// smallShardBitsPerID bits per trace ID (a false positive rate of about
// 1e-7 with k = 7), rounded up to smallShardUnit bytes and at most
// Tempo's 100 KiB, instead of always 100 KiB. A lookup across 1,000 blocks
// of 100 traces then reads 1 KiB of filter from each instead of 100 KiB
// (Tempo's shards are fixed at bloom_filter_shard_size_bytes, but its
// readers, like ours, take the size from the shard).
const (
	smallShardBitsPerID = 64
	smallShardUnit      = 1024
)

// shardBits is the bit count of each of the shards of a block of n IDs.
func shardBits(n, shards int) uint {
	full := uint(bloomShardBytes * 8)
	if shards > 1 {
		return full
	}
	unit := uint(smallShardUnit * 8)
	bits := (uint(max(n, 1))*smallShardBitsPerID + unit - 1) / unit * unit
	return min(bits, full)
}

func (s *shardedBloom) add(id model.TraceID) {
	s.filters[bloomShard(id, len(s.filters))].Add(id[:])
}

func (s *shardedBloom) marshal(i int) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := s.filters[i].WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func bloomName(i int) string { return fmt.Sprintf("%s%d", bloomPrefix, i) }

// decodeBloom decodes a bloom-<i> object, checking its header first.
func decodeBloom(b []byte) (*bloom.BloomFilter, error) {
	if _, _, _, err := bloomHeader(b); err != nil {
		return nil, err
	}
	f := &bloom.BloomFilter{}
	if _, err := f.ReadFrom(bytes.NewReader(b)); err != nil {
		return nil, err
	}
	return f, nil
}
