package bloomshard

import (
	"bytes"
	"math/rand"
	"os"
	"testing"

	"github.com/bits-and-blooms/bloom/v3"

	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/model"
)

// tempoBloom is the one bloom shard of the block in Tempo's own test data.
const tempoBloom = "tempo/vparquet4-block/single-tenant/b27b0e53-66a0-4505-afd6-434ae3cd4a10/bloom-0"

// TestStoredTestMatchesFilter: Test on a stored shard answers as the
// decoded filter's Test, for our shards, Tempo's and odd sizes, and fails
// on truncated ones as decoding does.
func TestStoredTestMatchesFilter(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	randomID := func() model.TraceID {
		var id model.TraceID
		rng.Read(id[:])
		return id
	}
	var shards [][]byte
	var members [][]model.TraceID
	for _, shape := range []struct{ m, k uint }{{ShardBytes * 8, 7}, {100, 3}, {64, 1}, {65, 9}, {1, 1}, {7777, 5}} {
		f := bloom.New(shape.m, shape.k)
		var ids []model.TraceID
		for i := 0; i < int(shape.m/10)+1; i++ {
			id := randomID()
			f.Add(id[:])
			ids = append(ids, id)
		}
		var buf bytes.Buffer
		f.WriteTo(&buf)
		shards, members = append(shards, buf.Bytes()), append(members, ids)
	}
	if tempo, err := os.ReadFile(fixtures.Path(t, tempoBloom)); err == nil {
		shards, members = append(shards, tempo), append(members, nil)
	}
	for si, data := range shards {
		f, err := Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		hits := 0
		ids := members[si]
		for i := 0; i < 5000; i++ {
			ids = append(ids, randomID())
		}
		for _, id := range ids {
			got, err := Test(data, id)
			if err != nil {
				t.Fatal(err)
			}
			if got != f.Test(id[:]) {
				t.Fatalf("shard %d, id %s: Test %v, filter %v", si, id, got, !got)
			}
			if got {
				hits++
			}
		}
		for _, id := range members[si] {
			if ok, _ := Test(data, id); !ok {
				t.Fatalf("shard %d: member %s missed", si, id)
			}
		}
		t.Logf("shard %d: %d bytes, %d of %d positive (%d members)", si, len(data), hits, len(ids), len(members[si]))
		for _, n := range []int{0, 10, 23, 24, len(data) - 1} {
			if n >= len(data) {
				continue
			}
			_, derr := Decode(data[:n])
			_, terr := Test(data[:n], randomID())
			if (derr == nil) != (terr == nil) {
				t.Errorf("shard %d cut to %d bytes: decode error %v, Test error %v", si, n, derr, terr)
			}
		}
	}
}

// TestShape: a block small enough for one shard gets 64 bits per trace,
// 1 KiB to 100 KiB; larger blocks keep Tempo's 100 KiB shards.
func TestShape(t *testing.T) {
	for _, c := range []struct {
		n, shards int
		bytes     uint
	}{
		{1, 1, 1024}, {82, 1, 1024}, {128, 1, 1024}, {129, 1, 2048}, {5000, 1, 40960},
		{12800, 1, 102400}, {50000, 1, 102400}, {200000, 3, 102400},
	} {
		shards, _ := Shape(c.n)
		if shards != c.shards || ShardBits(c.n, shards) != c.bytes*8 {
			t.Errorf("n=%d: %d shards of %d bits, want %d of %d", c.n, shards, ShardBits(c.n, shards), c.shards, c.bytes*8)
		}
	}
}

// FuzzDecodeBloom: any bytes as a bloom shard decode to a filter or give
// an error, never a panic or a huge allocation; Decode and Test
// accept the same shards.
func FuzzDecodeBloom(f *testing.F) {
	s := NewSet(100)
	s.Add(model.TraceID{1, 2, 3})
	good, err := s.Marshal(0)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	garbage := append([]byte(nil), good...)
	copy(garbage[16:], []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) // bit set length 2^63-1
	f.Add(garbage)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, derr := Decode(data)
		_, terr := Test(data, model.TraceID{1})
		if (derr == nil) != (terr == nil) {
			t.Fatalf("decode error %v, Test error %v", derr, terr)
		}
	})
}
