package blocks

import (
	"context"
	"testing"

	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// TestMergeStartsBlocksInIDOrder: an ordered scan of blocks of disjoint
// ID ranges starts a block only when the merge reaches its first ID (the
// next one decoding ahead), and still merges what it must: a trace split
// between the end of one block and the start of the next, and a block
// overlapping the others. Its traces are those of a merge of every
// part, in ID order, with one block or several decoding at once.
func TestMergeStartsBlocksInIDOrder(t *testing.T) {
	ctx := context.Background()
	traces := splittableTraces(31, 200, 2)
	model.SortTraces(traces)
	// head and tail split a trace between two blocks.
	head := func(tr *model.Trace) *model.Trace {
		return &model.Trace{TraceID: tr.TraceID, ResourceSpans: tr.ResourceSpans[:1]}
	}
	tail := func(tr *model.Trace) *model.Trace {
		return &model.Trace{TraceID: tr.TraceID, ResourceSpans: tr.ResourceSpans[1:]}
	}
	blocks := [][]*model.Trace{
		append(append([]*model.Trace(nil), traces[:50]...), head(traces[50])),
		append([]*model.Trace{tail(traces[50])}, traces[51:100]...),
		traces[100:150],
		traces[150:190],
		// Overlapping all of them: the parts of two traces, and ten of
		// their own.
		nil,
	}
	overlap := []*model.Trace{head(traces[190]), tail(traces[191])}
	blocks[3] = append(append(blocks[3], tail(traces[190])), head(traces[191]))
	blocks[4] = append(append(overlap, traces[192:]...), traces[20])
	want := map[model.TraceID]*model.Trace{}
	for _, b := range blocks {
		for _, tr := range b {
			if w, ok := want[tr.TraceID]; ok {
				want[tr.TraceID] = model.MergeTraces(w, tr)
			} else {
				want[tr.TraceID] = tr
			}
		}
	}
	defer func(n int) { aheadBlocks = n }(aheadBlocks)
	aheadBlocks = 1 // the blocks are small: all would decode ahead
	for _, concurrency := range []int{1, 2} {
		st := memStore(t)
		st.SetConcurrency(concurrency)
		for _, b := range blocks {
			b = append([]*model.Trace(nil), b...)
			model.SortTraces(b)
			if _, err := st.WriteBlock(ctx, b, WriteOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		it, err := st.Traces(ctx, store.Request{})
		if err != nil {
			t.Fatal(err)
		}
		m := it.(*mergeIterator)
		n := 0
		var last model.TraceID
		for it.Next() {
			tr := it.At()
			if n > 0 && model.CompareTraceIDs(last, tr.TraceID) >= 0 {
				t.Fatalf("concurrency %d: trace %s after %s", concurrency, tr.TraceID, last)
			}
			last = tr.TraceID
			if got, w := tr.SpanCount(), want[tr.TraceID].SpanCount(); got != w {
				t.Errorf("concurrency %d: trace %s of %d spans, %d stored", concurrency, tr.TraceID, got, w)
			}
			if n == 0 {
				// The first block, the overlapping one (its smallest ID
				// is among the first block's) and, decoding ahead, the
				// second one: not the other two.
				if started := startedBlocks(m); started > 3 {
					t.Errorf("concurrency %d: %d of 5 blocks started at the first trace", concurrency, started)
				}
			}
			n++
		}
		if err := it.Err(); err != nil {
			t.Fatal(err)
		}
		it.Close()
		if n != len(want) {
			t.Errorf("concurrency %d: %d traces, %d stored", concurrency, n, len(want))
		}
	}
}

// splittableTraces returns n generated traces (seed) of at least
// resources resources each, in the order generated: traces to split
// across blocks a resource or more apiece.
func splittableTraces(seed int64, n, resources int) []*model.Trace {
	g := gen.New(gen.Options{Seed: seed})
	var traces []*model.Trace
	for len(traces) < n {
		if tr := g.Trace(); len(tr.ResourceSpans) >= resources {
			traces = append(traces, tr)
		}
	}
	return traces
}

// startedBlocks counts the blocks of m that started decoding.
func startedBlocks(m *mergeIterator) int {
	n := 0
	for _, it := range m.its {
		if it.rows != nil || it.started || it.done {
			n++
		}
	}
	return n
}

// TestMergeReadsSmallRemoteBlocksOnce: an ordered scan of small blocks on
// an object store (read whole when opened) downloads each whole once:
// reading the blocks' first trace IDs reads their footers and first
// pages only.
func TestMergeReadsSmallRemoteBlocksOnce(t *testing.T) {
	ctx := context.Background()
	wb, bucket := newWrapBucket(t)
	s := NewStore(bucket, "tenant-a")
	manyBlocks(t, s)
	metas, err := s.Blocks(ctx)
	if err != nil || len(metas) < 2 {
		t.Fatalf("%d blocks: %v", len(metas), err)
	}
	size := map[string]int64{}
	for _, m := range metas {
		size[joinKey(s.tenant, m.BlockID.String(), dataObject)] = int64(m.Size)
	}
	wb.resetLog()
	it, err := s.Traces(ctx, store.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Collect(it); err != nil {
		t.Fatal(err)
	}
	whole := map[string]int{}
	for _, r := range wb.log() {
		if n, ok := size[r.key]; ok && r.off == 0 && r.n == n {
			whole[r.key]++
		}
	}
	for key := range size {
		if whole[key] != 1 {
			t.Errorf("%s read whole %d times", key, whole[key])
		}
	}
}
