package blocks

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tracectl/tracectl/blocks/bloomshard"
	"github.com/tracectl/tracectl/model"
)

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

// TestSmallBlockBloomShards: a block of 82 traces gets one shard of 1 KiB
// with k = 7 holding every trace (the sizes: bloomshard's TestShape).
func TestSmallBlockBloomShards(t *testing.T) {
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
	f, err := bloomshard.Decode(data)
	if err != nil || len(data) != 24+1024 || f.Cap() != 8192 || f.K() != 7 || m.BloomShards != 1 {
		t.Fatalf("bloom-0: %d bytes, m=%d, k=%d, %d shards, %v", len(data), f.Cap(), f.K(), m.BloomShards, err)
	}
	for _, tr := range traces {
		if !f.Test(tr.TraceID[:]) {
			t.Fatalf("%s not in its block's filter", tr.TraceID)
		}
	}
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
			shard := bloomshard.ObjectName(bloomshard.Of(want.TraceID, m.BloomShardCount()))
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
