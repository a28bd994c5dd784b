package blocks

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"testing"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/store/storetest"
	"github.com/tracectl/tracectl/traceql/eval"
)

// minuteBlocks writes n blocks of 5 traces each, block i in minute i, plus
// two split traces: one with a part in the newest block and one in block
// 2 (it starts in minute 2), one with parts in the two newest blocks; and
// two traces named "rare" (see below). It returns the store and every
// trace whole (the copies merged).
func minuteBlocks(t *testing.T, n int) (*Store, []*model.Trace) {
	t.Helper()
	s := memStore(t)
	split := func(seed byte, base uint64, span byte) *model.Trace {
		part := syntheticTraces(1, seed, base)[0]
		part.TraceID = tid(0xab, seed)
		part.Spans(func(r model.SpanRef) bool {
			r.Span.TraceID = part.TraceID
			r.Span.SpanID[0] = span // the parts' spans differ
			return true
		})
		return part
	}
	minute := func(i int) uint64 { return 1e18 + uint64(i)*60e9 }
	byBlock := make([][]*model.Trace, n)
	for i := range byBlock {
		byBlock[i] = syntheticTraces(5, byte(i), minute(i))
	}
	// Two traces named "rare": one long, from minute n-10 to the newest
	// minute (its block ends last), one in minute n-6.
	rare := func(seed byte, base, end uint64) *model.Trace {
		tr := split(seed, base, 0x75)
		tr.Spans(func(r model.SpanRef) bool {
			if r.Span.ParentSpanID.IsZero() {
				r.Span.Name, r.Span.EndTimeUnixNano = "rare", end
			}
			return true
		})
		return tr
	}
	byBlock[n-1] = append(byBlock[n-1], split(1, minute(n-1)+30e9, 0x71), split(2, minute(n-1)+40e9, 0x73),
		rare(3, minute(n-10), minute(n-1)+50e9))
	byBlock[n-6] = append(byBlock[n-6], rare(4, minute(n-6)+1e9, minute(n-6)+2e9))
	byBlock[2] = append(byBlock[2], split(1, minute(2)+30e9, 0x72))
	byBlock[n-2] = append(byBlock[n-2], split(2, minute(n-2)+40e9, 0x74))
	var all []*model.Trace
	for _, traces := range byBlock {
		sort.Slice(traces, func(a, b int) bool { return model.CompareTraceIDs(traces[a].TraceID, traces[b].TraceID) < 0 })
		if _, err := s.WriteBlock(context.Background(), traces, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		all = append(all, traces...)
	}
	return s, merged(all)
}

// merged merges the copies of each trace of ts.
func merged(ts []*model.Trace) []*model.Trace {
	byID := map[model.TraceID][]*model.Trace{}
	var ids []model.TraceID
	for _, tr := range ts {
		if byID[tr.TraceID] == nil {
			ids = append(ids, tr.TraceID)
		}
		byID[tr.TraceID] = append(byID[tr.TraceID], tr)
	}
	out := make([]*model.Trace, len(ids))
	for i, id := range ids {
		out[i] = model.MergeTraces(byID[id]...)
	}
	return out
}

// TestSearchLatestBlocks checks that a search keeping the newest traces
// answers from the latest blocks alone where that is provably the answer,
// and gives the answer of a search over every trace whole in every case:
// with a trace whose newest part would rank first but which starts in an
// old block, and one split over the two newest blocks.
func TestSearchLatestBlocks(t *testing.T) {
	const blocks = 64
	s, all := minuteBlocks(t, blocks)
	ref := storetest.New(all)
	w := &watchedStore{Store: s}
	for _, tc := range []struct {
		query string
		limit int
		// cut: the answer comes from the latest blocks alone.
		cut bool
	}{
		{`{ span.n = 1 }`, 3, true},
		{`{ span.n = 1 }`, 6, true},   // a second try, over 8 blocks
		{`{ span.n = 1 }`, 20, false}, // more blocks than a try may read
		{`{ status = error }`, 5, true},
		{`{ span.n = 2 } >> { status = error }`, 4, true},
		{`{ }`, 3, false},                  // the trace starting in block 2 ranks first in the newest blocks
		{`{ span.n = 0 }`, 2, false},       // so does it here
		{`{ span.n = 4 }`, 1000, false},    // never Limit results
		{`{ name = "nothing" }`, 3, false}, // no result at all
		// The long trace ends last, but the other starts later, in a
		// block a try leaves out.
		{`{ name = "rare" }`, 1, false},
	} {
		t.Run(fmt.Sprintf("%s limit %d", tc.query, tc.limit), func(t *testing.T) {
			opts := eval.SearchOptions{Limit: tc.limit}
			want, err := eval.Search(context.Background(), ref, tc.query, opts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := eval.Search(context.Background(), w, tc.query, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(resultsOf(t, got), resultsOf(t, want)) {
				t.Errorf("blocks: %v\nwant %v", resultsOf(t, got), resultsOf(t, want))
			}
			if cut := w.most < w.of; cut != tc.cut {
				t.Errorf("answered from the latest blocks alone (at most %d of %d read): %v, want %v", w.most, w.of, cut, tc.cut)
			}
		})
	}
}

// watchedStore records the most blocks a search read at once (through
// its cut).
type watchedStore struct {
	*Store
	most, of int
}

func (w *watchedStore) CutByEnd(ctx context.Context, req store.Request) (store.EndCut, error) {
	cut, err := w.Store.CutByEnd(ctx, req)
	w.most, w.of = 0, cut.Len()
	return watchedCut{cut, w}, err
}

type watchedCut struct {
	store.EndCut
	w *watchedStore
}

func (c watchedCut) First(n int) store.Source {
	c.w.most = max(c.w.most, n)
	return c.EndCut.First(n)
}

func resultsOf(t *testing.T, res *eval.SearchResult) []eval.TraceResult {
	t.Helper()
	var out []eval.TraceResult
	if err := res.Each(func(tr *eval.TraceResult) error {
		out = append(out, *tr)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSearchLatestProgress: a search that tries the latest blocks and
// then reads them all counts every block once in the store's Progress.
func TestSearchLatestProgress(t *testing.T) {
	const blocks = 64
	s, _ := minuteBlocks(t, blocks)
	var last Progress
	s.SetProgress(func(p Progress) { last = p })
	// The trace starting in block 2 ranks first in the newest blocks:
	// tries, then every block.
	if _, err := eval.Search(context.Background(), s, `{ }`, eval.SearchOptions{Limit: 3}); err != nil {
		t.Fatal(err)
	}
	if last.BlocksTotal != blocks || last.Blocks != blocks {
		t.Errorf("progress %d of %d blocks, want %d of %d", last.Blocks, last.BlocksTotal, blocks, blocks)
	}
}

// TestEndCut checks the order and ends of a cut and Absent on the blocks
// left out.
func TestEndCut(t *testing.T) {
	s, _ := minuteBlocks(t, 12)
	cut, err := s.CutByEnd(context.Background(), store.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if cut.Len() != 12 {
		t.Fatalf("Len = %d, want 12", cut.Len())
	}
	for i := 1; i < cut.Len(); i++ {
		if cut.End(i) > cut.End(i-1) {
			t.Errorf("End(%d) = %d after End(%d) = %d", i, cut.End(i), i-1, cut.End(i-1))
		}
	}
	// Block 11 (newest) is minute 11: its spans end within it.
	if lo, hi := uint64(1e18+11*60e9), uint64(1e18+12*60e9); cut.End(0) < lo || cut.End(0) > hi {
		t.Errorf("End(0) = %d, want in minute 11 [%d, %d]", cut.End(0), lo, hi)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		n    int
		id   model.TraceID
		want bool
	}{
		{1, tid(0xab, 1), false}, // its old part is in block 2
		{1, tid(0xab, 2), false}, // its other part is in block 10, the second newest
		{2, tid(0xab, 2), true},
		{10, tid(0xab, 1), true}, // blocks 1 and 0 are left
		{9, tid(0xab, 1), false},
		{0, tid(0xcd, 9), true}, // no block holds it
	} {
		got, err := cut.Absent(ctx, tc.n, []model.TraceID{tc.id})
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("Absent(%d, %x) = %v, want %v", tc.n, tc.id[:2], got, tc.want)
		}
	}
}
