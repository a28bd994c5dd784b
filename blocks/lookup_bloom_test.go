package blocks

import (
	"bytes"
	"context"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/bits-and-blooms/bloom/v3"

	"github.com/tracectl/tracectl/model"
)

// TestBloomTestMatchesFilter: bloomTest on a stored shard answers as the
// decoded filter's Test, for our shards, Tempo's and odd sizes, and fails
// on truncated ones as decoding does.
func TestBloomTestMatchesFilter(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	randomID := func() model.TraceID {
		var id model.TraceID
		rng.Read(id[:])
		return id
	}
	var shards [][]byte
	var members [][]model.TraceID
	for _, shape := range []struct{ m, k uint }{{bloomShardBytes * 8, 7}, {100, 3}, {64, 1}, {65, 9}, {1, 1}, {7777, 5}} {
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
	if tempo, err := os.ReadFile(filepath.Join(tempoBlockDir(t), "bloom-0")); err == nil {
		shards, members = append(shards, tempo), append(members, nil)
	}
	for si, data := range shards {
		f, err := decodeBloom(data)
		if err != nil {
			t.Fatal(err)
		}
		hits := 0
		ids := members[si]
		for i := 0; i < 5000; i++ {
			ids = append(ids, randomID())
		}
		for _, id := range ids {
			got, err := bloomTest(data, id)
			if err != nil {
				t.Fatal(err)
			}
			if got != f.Test(id[:]) {
				t.Fatalf("shard %d, id %s: bloomTest %v, filter %v", si, id, got, !got)
			}
			if got {
				hits++
			}
		}
		for _, id := range members[si] {
			if ok, _ := bloomTest(data, id); !ok {
				t.Fatalf("shard %d: member %s missed", si, id)
			}
		}
		t.Logf("shard %d: %d bytes, %d of %d positive (%d members)", si, len(data), hits, len(ids), len(members[si]))
		for _, n := range []int{0, 10, 23, 24, len(data) - 1} {
			if n >= len(data) {
				continue
			}
			_, derr := decodeBloom(data[:n])
			_, terr := bloomTest(data[:n], randomID())
			if (derr == nil) != (terr == nil) {
				t.Errorf("shard %d cut to %d bytes: decode error %v, bloomTest error %v", si, n, derr, terr)
			}
		}
	}
}

// TestFindTraceAcrossOverlappingBlocks: a trace split over blocks whose
// ID ranges all overlap is found in each and merged, and an ID in no
// block reads only bloom shards.
func TestFindTraceAcrossOverlappingBlocks(t *testing.T) {
	ctx := context.Background()
	wb, bucket := newWrapBucket(t)
	s := NewStore(bucket, "tenant-a")
	all := manyBlocks(t, s)
	// Every block has a trace with ID tid(0, 5, seed, 0xee); add one
	// block with a second part of block 2's trace.
	part := syntheticTraces(6, 3, 3e18+5e9)[5]
	part.ResourceSpans[0].ScopeSpans[0].Spans = part.ResourceSpans[0].ScopeSpans[0].Spans[:1]
	part.ResourceSpans[0].ScopeSpans[0].Spans[0].SpanID = sid(0x77, 0x77)
	part.ResourceSpans[0].ScopeSpans[0].Spans[0].ParentSpanID = model.SpanID{}
	if _, err := s.WriteBlock(ctx, []*model.Trace{part}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	want := all[2][5]
	got, err := s.FindTrace(ctx, want.TraceID)
	if err != nil {
		t.Fatal(err)
	}
	if n := got.SpanCount(); n != want.SpanCount()+1 {
		t.Errorf("found %d spans, want %d (both parts)", n, want.SpanCount()+1)
	}
	wb.resetLog()
	if _, err := s.FindTrace(ctx, tid(0x42, 0x42, 0x42, 0xee)); err == nil {
		t.Fatal("found an absent trace")
	}
	for _, r := range wb.log() {
		if filepath.Base(r.key) == dataObject {
			t.Errorf("read %s for an absent trace", r.key)
		}
	}
}

// TestSmallBlockBloomShards: a block small enough for one shard gets 64
// bits per trace, 1 KiB to 100 KiB, in the format Tempo reads; larger
// blocks keep Tempo's 100 KiB shards.
func TestSmallBlockBloomShards(t *testing.T) {
	for _, c := range []struct {
		n, shards int
		bytes     uint
	}{
		{1, 1, 1024}, {82, 1, 1024}, {128, 1, 1024}, {129, 1, 2048}, {5000, 1, 40960},
		{12800, 1, 102400}, {50000, 1, 102400}, {200000, 3, 102400},
	} {
		shards, _ := bloomShape(c.n)
		if shards != c.shards || shardBits(c.n, shards) != c.bytes*8 {
			t.Errorf("n=%d: %d shards of %d bits, want %d of %d", c.n, shards, shardBits(c.n, shards), c.shards, c.bytes*8)
		}
	}
	ctx := context.Background()
	s := memStore(t)
	traces := syntheticTraces(82, 1, 1e18)
	m, err := s.WriteBlock(ctx, traces, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := s.bucket.ReadAll(ctx, joinKey(s.tenant, m.BlockID.String(), "bloom-0"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := decodeBloom(data)
	if err != nil || len(data) != 24+1024 || f.Cap() != 8192 || f.K() != 7 || m.BloomShards != 1 {
		t.Fatalf("bloom-0: %d bytes, m=%d, k=%d, %d shards, %v", len(data), f.Cap(), f.K(), m.BloomShards, err)
	}
	for _, tr := range traces {
		if !f.Test(tr.TraceID[:]) {
			t.Fatalf("%s not in its block's filter", tr.TraceID)
		}
	}
}

// FuzzDecodeBloom: any bytes as a bloom shard decode to a filter or give
// an error, never a panic or a huge allocation; decodeBloom and bloomTest
// accept the same shards.
func FuzzDecodeBloom(f *testing.F) {
	s := newShardedBloom(100)
	s.add(model.TraceID{1, 2, 3})
	good, err := s.marshal(0)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	garbage := append([]byte(nil), good...)
	copy(garbage[16:], []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) // bit set length 2^63-1
	f.Add(garbage)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, derr := decodeBloom(data)
		_, terr := bloomTest(data, model.TraceID{1})
		if (derr == nil) != (terr == nil) {
			t.Fatalf("decode error %v, bloomTest error %v", derr, terr)
		}
	})
}

// TestFindTraceLocalBloom: on a file:// bucket the bloom shards are read
// from the tenant directory. The shard that rules a trace out is obeyed,
// and a shard that is missing, a directory or damaged only loses its
// shortcut: the trace is still found in the block.
func TestFindTraceLocalBloom(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"intact", func(*testing.T, string) {}},
		{"missing", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}},
		{"directory", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{"damaged", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("not a bloom filter"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		// The shard is read from its file, not through the bucket's
		// driver, which would fail on an attributes file it cannot read.
		{"unreadable attributes file", func(t *testing.T, path string) {
			if err := os.WriteFile(path+".attrs", []byte("not attributes"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := fileStore(t)
			traces := syntheticTraces(20, 4, 2e18)
			m, err := s.WriteBlock(ctx, traces, WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want := traces[7]
			shard := bloomName(bloomShard(want.TraceID, m.BloomShardCount()))
			tc.damage(t, filepath.Join(s.localTenantDir(), m.BlockID.String(), shard))
			got, err := s.FindTrace(ctx, want.TraceID)
			if err != nil {
				t.Fatal(err)
			}
			if got.SpanCount() != want.SpanCount() {
				t.Errorf("found %d spans, want %d", got.SpanCount(), want.SpanCount())
			}
			if tc.name != "intact" && tc.name != "unreadable attributes file" {
				return
			}
			// An ID inside the block's ID range that the filter rules out
			// is not looked for in the block: with the data gone, a
			// lookup that opened it would record the block as damaged.
			if err := os.Remove(filepath.Join(s.localTenantDir(), m.BlockID.String(), dataObject)); err != nil {
				t.Fatal(err)
			}
			absent := model.TraceID(m.MinID)
			absent[15]++
			if !m.MayHoldIDs(absent, absent) || slices.ContainsFunc(traces, func(tr *model.Trace) bool { return tr.TraceID == absent }) {
				t.Fatalf("%s is not an absent ID inside the block's range", absent)
			}
			if _, err := s.FindTrace(ctx, absent); !errors.Is(err, ErrTraceNotFound) {
				t.Errorf("absent trace: %v, want ErrTraceNotFound", err)
			}
			if d := s.Damaged(); len(d) != 0 {
				t.Errorf("the lookup opened the block the filter rules out: %v", d)
			}
		})
	}
}
