// Package bloomshard is a block's bloom filter objects, bloom-0 …
// bloom-<n-1>, in the format Grafana Tempo writes and reads: how many
// shards a block of n trace IDs gets and how large, which shard holds an
// ID, building and serializing the shards, and reading one back (whole,
// or only the bits one ID needs).
//
// Glossary:
//
//   - Shard: one bits-and-blooms/bloom/v3 filter, serialized with its
//     WriteTo (big-endian m, k and bit count, then the bit words). A trace
//     ID lives in shard FNV-1-32(ID) mod the shard count.
//   - Shape: the shard count and hash count k of a block: Tempo's
//     defaults, sized for the block's trace count at a false positive rate
//     of 0.01 in shards of ShardBytes, at most 1,000 of them. A lone shard
//     is smaller (see ShardBits).
//
// Readers take m and k from each shard, not from Shape: Tempo's own test
// block has k = 5.
package bloomshard

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/bits-and-blooms/bloom/v3"

	"github.com/tracectl/tracectl/model"
)

// Bloom parameters, as Tempo's defaults.
const (
	falsePositiveRate = 0.01
	// ShardBytes is the size of the bit set of a full shard (Tempo's
	// bloom_filter_shard_size_bytes default).
	ShardBytes = 100 * 1024
	maxShards  = 1000
)

// objectPrefix starts the name of every shard object in a block folder.
const objectPrefix = "bloom-"

// ObjectName is the name of shard i in its block folder: bloom-<i>.
func ObjectName(i int) string { return fmt.Sprintf("%s%d", objectPrefix, i) }

// Shape returns the shard count and hash count for n trace IDs.
func Shape(n int) (shards int, k uint) {
	if n < 1 {
		n = 1
	}
	m, k := bloom.EstimateParameters(uint(n), falsePositiveRate)
	shardBits := uint(ShardBytes * 8)
	shards = int((m + shardBits - 1) / shardBits)
	shards = max(1, min(shards, maxShards))
	return shards, k
}

// Of returns the shard holding id: FNV-1 (not 1a) 32-bit of the 16
// bytes, modulo the shard count.
func Of(id model.TraceID, shards int) int {
	if shards <= 0 {
		return 0
	}
	h := fnv.New32()
	h.Write(id[:])
	return int(h.Sum32() % uint32(shards))
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

// ShardBits is the bit count of each of the shards of a block of n IDs.
func ShardBits(n, shards int) uint {
	full := uint(ShardBytes * 8)
	if shards > 1 {
		return full
	}
	unit := uint(smallShardUnit * 8)
	bits := (uint(max(n, 1))*smallShardBitsPerID + unit - 1) / unit * unit
	return min(bits, full)
}

// Set builds the shards of a block.
type Set struct {
	filters []*bloom.BloomFilter
}

// NewSet returns the empty shards of a block of n trace IDs (Shape,
// ShardBits).
func NewSet(n int) *Set {
	shards, k := Shape(n)
	s := &Set{filters: make([]*bloom.BloomFilter, shards)}
	for i := range s.filters {
		s.filters[i] = bloom.New(ShardBits(n, shards), k)
	}
	return s
}

// Len is the number of shards.
func (s *Set) Len() int { return len(s.filters) }

// Add adds id to its shard.
func (s *Set) Add(id model.TraceID) {
	s.filters[Of(id, len(s.filters))].Add(id[:])
}

// Marshal serializes shard i, as its bloom-<i> object holds it.
func (s *Set) Marshal(i int) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := s.filters[i].WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Decode decodes a bloom-<i> object, checking its header first.
func Decode(b []byte) (*bloom.BloomFilter, error) {
	if _, _, _, err := header(b); err != nil {
		return nil, err
	}
	f := &bloom.BloomFilter{}
	if _, err := f.ReadFrom(bytes.NewReader(b)); err != nil {
		return nil, err
	}
	return f, nil
}

// Test is bloom.BloomFilter.Test on a shard as stored (the
// bits-and-blooms WriteTo encoding, big-endian: m, k, the bit count, then
// the bit words), reading only the k words it needs instead of decoding
// the whole filter (100 KiB for Tempo's shard size). It accepts exactly
// the shards Decode accepts.
func Test(data []byte, id model.TraceID) (bool, error) {
	m, k, n, err := header(data)
	if err != nil {
		return false, err
	}
	for _, loc := range bloom.Locations(id[:], uint(k)) {
		bit := loc % m
		if bit >= n {
			return false, nil
		}
		w := binary.BigEndian.Uint64(data[headerBytes+8*(bit/64):])
		if w&(1<<(bit%64)) == 0 {
			return false, nil
		}
	}
	return true, nil
}

// headerBytes is the size of a serialized filter's header: m, k and
// the bit set's length, big-endian uint64s (bits-and-blooms' WriteTo).
const headerBytes = 24

// header reads and checks a serialized filter's header against the
// data that follows, so that a damaged shard is an error, never a huge
// allocation.
func header(data []byte) (m, k, n uint64, err error) {
	if len(data) < headerBytes {
		return 0, 0, 0, errors.New("bloom filter truncated")
	}
	m = binary.BigEndian.Uint64(data[0:])
	k = binary.BigEndian.Uint64(data[8:])
	n = binary.BigEndian.Uint64(data[16:])
	if words := uint64(len(data)-headerBytes) / 8; n > words*64 {
		return 0, 0, 0, errors.New("bloom filter truncated")
	}
	if m == 0 || k == 0 || k > 1024 {
		return 0, 0, 0, fmt.Errorf("bloom filter with m=%d, k=%d", m, k)
	}
	return m, k, n, nil
}
