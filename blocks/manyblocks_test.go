package blocks

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"testing"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store/storetest"
	"github.com/tracectl/tracectl/traceql/eval"
)

// minuteBlocks writes n blocks of 5 traces each, block i in minute i, plus
// two split traces: one with a part in the newest block and one in block
// 2 (it starts in minute 2), one with parts in the two newest blocks; and
// two traces named "rare" (see below). It returns the store and every
// trace whole (the copies merged).
func minuteBlocks(t testing.TB, n int) (*Store, []*model.Trace) {
	t.Helper()
	s := memStore(t)
	split := func(seed byte, base uint64, tag byte) *model.Trace {
		return tracePart(tid(0xab, seed), seed, base, tag)
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

// TestSearchManyBlocks checks searches keeping the newest traces over 64
// blocks that follow each other in time against a search over the same
// traces whole: with a trace whose newest part would rank first but
// which starts in an old block, one split over the two newest blocks and
// a long trace whose block ends last but which starts early.
func TestSearchManyBlocks(t *testing.T) {
	const blocks = 64
	s, all := minuteBlocks(t, blocks)
	ref := storetest.New(all)
	for _, tc := range []struct {
		query string
		limit int
	}{
		{`{ span.n = 1 }`, 3},
		{`{ span.n = 1 }`, 6},
		{`{ span.n = 1 }`, 20},
		{`{ status = error }`, 5},
		{`{ span.n = 2 } >> { status = error }`, 4},
		{`{ }`, 3},
		{`{ span.n = 0 }`, 2},
		{`{ span.n = 4 }`, 1000},
		{`{ name = "nothing" }`, 3},
		{`{ name = "rare" }`, 1},
	} {
		t.Run(fmt.Sprintf("%s limit %d", tc.query, tc.limit), func(t *testing.T) {
			opts := eval.SearchOptions{Limit: tc.limit}
			want, err := eval.Search(context.Background(), ref, tc.query, opts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := eval.Search(context.Background(), s, tc.query, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(resultsOf(t, got), resultsOf(t, want)) {
				t.Errorf("blocks: %v\nwant %v", resultsOf(t, got), resultsOf(t, want))
			}
		})
	}
}

// BenchmarkSearchManyBlocks: a limit-20 search over 200 one-minute blocks
// (a mem:// bucket): a split-trace pass over every block's trace IDs, then
// every block but the newest skipped by its statistics.
func BenchmarkSearchManyBlocks(b *testing.B) {
	s, _ := minuteBlocks(b, 200)
	for b.Loop() {
		res, err := eval.Search(context.Background(), s, `{ }`, eval.SearchOptions{Limit: 20})
		if err != nil {
			b.Fatal(err)
		}
		if n := len(resultsOf(b, res)); n != 20 {
			b.Fatalf("%d results", n)
		}
	}
}

func resultsOf(t testing.TB, res *eval.SearchResult) []eval.TraceResult {
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
