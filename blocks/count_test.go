package blocks

import (
	"context"
	"sort"
	"testing"

	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// TestCountTraceLevel: a count whose condition reads only trace columns
// (traceDuration) counts the spans of each trace from whichever span
// column is smallest, and agrees with the traces: spans inspected, traces
// with spans, and traces passing, on several row groups, with a trace of
// no spans among them.
func TestCountTraceLevel(t *testing.T) {
	ctx := context.Background()
	s := memStore(t)
	g := gen.New(gen.Options{Seed: 3, ErrorRate: 0.1})
	var all []*model.Trace
	for range 900 {
		all = append(all, g.Trace())
	}
	all = append(all, &model.Trace{TraceID: model.TraceID{0xff, 1}}) // no spans
	sort.Slice(all, func(i, j int) bool { return model.CompareTraceIDs(all[i].TraceID, all[j].TraceID) < 0 })
	if _, err := s.WriteBlock(ctx, all, WriteOptions{RowGroupBytes: 16 << 10}); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int64{0, 1e6, 1e9} {
		wantTraces, wantSpans, wantPass := 0, 0, 0
		for _, tr := range all {
			if n := tr.SpanCount(); n > 0 {
				wantTraces++
				wantSpans += n
				if s, e := tr.TimeRange(); int64(e-s) > limit {
					wantPass++
				}
			}
		}
		cond := &store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpTest,
			Field: store.Field{Kind: store.FieldTraceDuration},
			Test:  func(v model.Value, _ bool) bool { return v.Int > limit }}}
		if !traceLevel(cond) {
			t.Fatal("the condition is not trace-level: the test misses countTraceLevel")
		}
		got, err := s.CountTraces(ctx, store.Request{Filter: &store.Filter{Cond: cond, Exact: true}})
		if err != nil {
			t.Fatal(err)
		}
		if got.Traces != wantPass || got.InspectedTraces != wantTraces || got.InspectedSpans != wantSpans {
			t.Errorf("traceDuration > %d: %d of %d traces (%d spans), want %d of %d (%d spans)",
				limit, got.Traces, got.InspectedTraces, got.InspectedSpans, wantPass, wantTraces, wantSpans)
		}
	}
}

// TestNthLatest: the start a limited search may raise its threshold to
// counts only selected rows that are not parts of split traces.
func TestNthLatest(t *testing.T) {
	sel := []bool{true, true, false, true, true, true}
	split := []bool{false, false, false, true, false, false}
	starts := []uint64{50, 10, 99, 90, 30, 50}
	for _, tc := range []struct {
		n     int
		split []bool
		want  uint64
		ok    bool
	}{
		{1, nil, 90, true},
		{2, split, 50, true}, // 90 is a split part; 50 twice
		{3, split, 30, true},
		{4, split, 10, true},
		{5, split, 0, false}, // four rows count
		{5, nil, 10, true},
	} {
		got, ok := nthLatest(sel, tc.split, starts, tc.n)
		if got != tc.want || ok != tc.ok {
			t.Errorf("n=%d split=%v: %d %v, want %d %v", tc.n, tc.split != nil, got, ok, tc.want, tc.ok)
		}
	}
}
