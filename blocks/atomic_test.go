package blocks

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tracectl/tracectl/model"
)

// syntheticTraces returns n small traces with ascending IDs derived from
// seed, spans starting at base.
func syntheticTraces(n int, seed byte, base uint64) []*model.Trace {
	b := model.NewTraceBuilder()
	res := model.Resource{Attributes: []model.Attribute{model.Str("service.name", "svc-"+string('a'+rune(seed%26)))}}
	sc := model.Scope{Name: "s"}
	for i := 0; i < n; i++ {
		id := tid(byte(i>>8), byte(i), seed, 0xee)
		root := model.Span{TraceID: id, SpanID: sid(byte(i), 1), Name: "root",
			StartTimeUnixNano: base + uint64(i)*1e6, EndTimeUnixNano: base + uint64(i)*1e6 + 5e5,
			Attributes: []model.Attribute{model.Str("http.method", "GET"), model.Int("n", int64(i))}}
		child := model.Span{TraceID: id, SpanID: sid(byte(i), 2), ParentSpanID: root.SpanID, Name: "child",
			StartTimeUnixNano: root.StartTimeUnixNano + 10, EndTimeUnixNano: root.EndTimeUnixNano - 10,
			Status: model.Status{Code: model.StatusCode(i % 3)}}
		b.AddSpan(&res, "", &sc, "", root)
		b.AddSpan(&res, "", &sc, "", child)
	}
	return b.Traces()
}

// tracePart is the trace of syntheticTraces(1, seed, base) as a part of
// trace id: its spans carry id, and tag is the first byte of their IDs,
// so that parts of one trace share no span.
func tracePart(id model.TraceID, seed byte, base uint64, tag byte) *model.Trace {
	part := syntheticTraces(1, seed, base)[0]
	part.TraceID = id
	part.Spans(func(r model.SpanRef) bool {
		r.Span.TraceID = id
		r.Span.SpanID[0] = tag
		return true
	})
	return part
}

// TestWriteFailureLeavesNothing fails the n-th object write of a block
// (data.parquet, bloom-0, index, meta.json) and checks that no meta.json
// appears, the partial objects are deleted and nothing is listed.
func TestWriteFailureLeavesNothing(t *testing.T) {
	for n, name := range []string{"data.parquet", "bloom-0", "index", "meta.json"} {
		t.Run("fail "+name, func(t *testing.T) {
			ctx := context.Background()
			wb, bucket := newWrapBucket(t)
			wb.failWrite = n + 1
			s := NewStore(bucket, "tenant-a")
			_, err := s.WriteBlock(ctx, syntheticTraces(50, 1, 1e18), WriteOptions{RowGroupBytes: 1 << 10})
			if !errors.Is(err, errInjected) || !strings.Contains(err.Error(), "/"+name+":") {
				t.Fatalf("WriteBlock error = %v, want injected failure naming the object", err)
			}
			if keys := listKeys(t, s.bucket, ""); len(keys) != 0 {
				t.Errorf("objects left behind: %v", keys)
			}
			assertNoBlocks(t, s)
		})
	}
}

func assertNoBlocks(t *testing.T, s *Store) {
	t.Helper()
	metas, err := s.Blocks(context.Background())
	if err != nil || len(metas) != 0 {
		t.Errorf("Blocks() = %v, %v; want none", metas, err)
	}
}

func TestCancelMidBlock(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := memStore(t)
	w, err := NewBlockWriter(ctx, s, WriteOptions{RowGroupBytes: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	traces := syntheticTraces(100, 2, 1e18)
	for _, tr := range traces[:50] {
		if err := w.Add(tr); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	if err := w.Add(traces[50]); !errors.Is(err, context.Canceled) {
		t.Fatalf("Add after cancel = %v", err)
	}
	if _, err := w.Finish(); err == nil {
		t.Fatal("Finish after cancel succeeded")
	}
	w.Abort()
	if keys := listKeys(t, s.bucket, ""); len(keys) != 0 {
		t.Errorf("objects left behind: %v", keys)
	}
	assertNoBlocks(t, s)
}

func TestAddOrder(t *testing.T) {
	tests := []struct {
		name string
		ids  []byte
	}{
		{"descending", []byte{2, 1}},
		{"duplicate", []byte{1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := memStore(t)
			var traces []*model.Trace
			for _, b := range tc.ids {
				traces = append(traces, &model.Trace{TraceID: tid(b), ResourceSpans: []model.ResourceSpans{{ScopeSpans: []model.ScopeSpans{{Spans: []model.Span{{TraceID: tid(b), SpanID: sid(1)}}}}}}})
			}
			_, err := s.WriteBlock(context.Background(), traces, WriteOptions{})
			if err == nil || !strings.Contains(err.Error(), "ascending") {
				t.Fatalf("err = %v, want ordering error", err)
			}
			if keys := listKeys(t, s.bucket, ""); len(keys) != 0 {
				t.Errorf("objects left behind: %v", keys)
			}
		})
	}
	if _, err := memStore(t).WriteBlock(context.Background(), nil, WriteOptions{}); !errors.Is(err, ErrEmptyBlock) {
		t.Errorf("empty block: %v", err)
	}
}

// TestOrphansAndCompacted checks what listing sees: folders without meta
// are orphans, compacted blocks leave Blocks and appear in CompactedBlocks.
func TestOrphansAndCompacted(t *testing.T) {
	ctx := context.Background()
	s := memStore(t)
	m1, err := s.WriteBlock(ctx, syntheticTraces(10, 1, 1e18), WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m2, err := s.WriteBlock(ctx, syntheticTraces(10, 2, 2e18), WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	orphan := uuid.MustParse("00000000-0000-0000-0000-00000000000a")
	for _, name := range []string{"data.parquet", "bloom-0"} {
		if err := s.put(ctx, "tenant-a/"+orphan.String()+"/"+name, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.put(ctx, "tenant-a/index.json.gz", []byte("x")); err != nil {
		t.Fatal(err)
	}
	metas, err := s.Blocks(ctx)
	if err != nil || len(metas) != 2 || metas[0].BlockID != m1.BlockID || metas[1].BlockID != m2.BlockID {
		t.Fatalf("Blocks() = %v, %v", metas, err)
	}
	orphans, err := s.Orphans(ctx)
	if err != nil || len(orphans) != 1 || orphans[0] != "tenant-a/"+orphan.String() {
		t.Fatalf("Orphans() = %v, %v", orphans, err)
	}
	if err := s.MarkCompacted(ctx, m1.BlockID); err != nil {
		t.Fatal(err)
	}
	metas, _ = s.Blocks(ctx)
	if len(metas) != 1 || metas[0].BlockID != m2.BlockID {
		t.Errorf("after MarkCompacted, Blocks() = %v", metas)
	}
	comp, err := s.CompactedBlocks(ctx)
	if err != nil || len(comp) != 1 || comp[0].BlockID != m1.BlockID || comp[0].CompactedTime.IsZero() {
		t.Errorf("CompactedBlocks() = %+v, %v", comp, err)
	}
	if orphans, _ := s.Orphans(ctx); len(orphans) != 1 {
		t.Errorf("a compacted block is not an orphan: %v", orphans)
	}
	if _, err := s.OpenBlock(ctx, m1.BlockID); !errors.Is(err, ErrBlockNotFound) {
		t.Errorf("OpenBlock(compacted) = %v", err)
	}
}

// TestAbortLeavesNoLocalFolder: on a file:// bucket, a block written in
// part and aborted (as a merge that meets damage is) leaves no folder:
// listings never show an empty one, so nothing would remove it later.
func TestAbortLeavesNoLocalFolder(t *testing.T) {
	ctx := context.Background()
	s := fileStore(t)
	w, err := NewBlockWriter(ctx, s, WriteOptions{RowGroupBytes: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range syntheticTraces(100, 2, 1e18) {
		if err := w.Add(tr); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(s.localTenantDir(), w.BlockID().String())
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the block's folder before the abort: %v", err)
	}
	w.Abort()
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the aborted block's folder is left: %v", err)
	}
}
