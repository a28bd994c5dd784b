package blocks

import (
	"context"
	"math/rand"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// TestTraceIDsFilter: with a filter on trace IDs (store.OpTraceIDs), the
// traces of its set come whole and the others are left out (an unordered
// scan may still give traces split across blocks, as for any filter: it
// is a hint), in ordered and unordered scans, and counts are exact, on
// blocks whose ID ranges overlap and which split a third of the traces
// between them (each block applies the filter to its part: the parts of a
// trace pass together).
func TestTraceIDsFilter(t *testing.T) {
	ctx := context.Background()
	s := diffStore(t, memStore(t))
	all := readSorted(t, s, store.Request{})
	if len(all) < 100 {
		t.Fatalf("only %d traces", len(all))
	}
	rng := rand.New(rand.NewSource(3))
	for try := range 3 {
		ids := map[model.TraceID]bool{}
		var want []*model.Trace
		for _, tr := range all {
			if rng.Intn(4) == 0 || (try == 0 && tr == all[0]) {
				ids[tr.TraceID] = true
				want = append(want, tr)
			}
		}
		ids[tid(0xee, 0xee)] = true // a trace no block holds
		f := &store.Filter{Cond: &store.TraceCond{Op: store.OpTraceIDs, IDs: ids}}
		for _, unordered := range []bool{false, true} {
			got := readSorted(t, s, store.Request{Filter: f, Unordered: unordered})
			n := len(got)
			got = slices.DeleteFunc(got, func(tr *model.Trace) bool { return !ids[tr.TraceID] })
			if !unordered && n != len(got) || n >= len(want)+(len(all)-len(want))/2 {
				t.Fatalf("try %d, unordered %v: %d traces of %d for %d IDs: the filter left too few out", try, unordered, n, len(all), len(want))
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("try %d, unordered %v: (-want +got)\n%s", try, unordered, d)
			}
		}
		n, err := s.CountTraces(ctx, store.Request{Filter: &store.Filter{Cond: f.Cond, Exact: true}})
		if err != nil || n.Traces != len(want) {
			t.Fatalf("try %d: counted %d traces (%v), want %d", try, n.Traces, err, len(want))
		}
	}
}
