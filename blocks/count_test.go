package blocks

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/tracectl/tracectl/blocks/column"
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
	s, all := smallGroupsBlock(t, gen.Options{Seed: 3, ErrorRate: 0.1}, 900,
		&model.Trace{TraceID: model.TraceID{0xff, 1}}) // no spans
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

		// A time range that cuts through the traces counts the spans of
		// the traces inside it only.
		from, to := all[len(all)/3].TimeRange()
		wantTraces, wantSpans, wantPass = 0, 0, 0
		for _, tr := range all {
			if s, e := tr.TimeRange(); tr.SpanCount() > 0 && s <= to && e >= from {
				wantTraces++
				wantSpans += tr.SpanCount()
				if int64(e-s) > limit {
					wantPass++
				}
			}
		}
		req := store.Request{Filter: &store.Filter{Cond: cond, Exact: true},
			Start: time.Unix(0, int64(from)), End: time.Unix(0, int64(to))}
		if got, err = s.CountTraces(ctx, req); err != nil {
			t.Fatal(err)
		}
		if got.Traces != wantPass || got.InspectedTraces != wantTraces || got.InspectedSpans != wantSpans || wantTraces == len(all)-1 {
			t.Errorf("traceDuration > %d in a range: %d of %d traces (%d spans), want %d of %d (%d spans), fewer than %d",
				limit, got.Traces, got.InspectedTraces, got.InspectedSpans, wantPass, wantTraces, wantSpans, len(all)-1)
		}
	}
}

// TestEveryRowHasSpans: the footer's definition level histogram tells
// the row groups whose rows all have spans, with their total, in blocks
// tracectl writes; in the row group holding a trace without spans, and in
// Tempo's block (written without histograms), the spans are counted from
// the levels instead.
func TestEveryRowHasSpans(t *testing.T) {
	s, _ := smallGroupsBlock(t, gen.Options{Seed: 4}, 300,
		&model.Trace{TraceID: model.TraceID{0x80, 1}}) // no spans
	for _, c := range []struct {
		name     string
		store    *Store
		wantSome bool // some row groups are known to have spans in every row
	}{{"tracectl", s, true}, {"tempo", tempoStore(t), false}} {
		known, groups := 0, 0
		eachRowGroup(t, c.store, func(_ Meta, _ *Block, p *pfile, g int) {
			groups++
			lv := p.smallestSpanLeaf(g)
			spans := make([]int, p.file.RowGroups()[g].NumRows())
			r := column.NewReader(p.file.RowGroups()[g].ColumnChunks()[lv.Index], lv.Leaf)
			defer r.Close()
			if err := countSpans(r, lv.DefAt[depthSpan-1], spans); err != nil {
				t.Fatal(err)
			}
			total, empty := 0, false
			for _, n := range spans {
				total += n
				empty = empty || n == 0
			}
			got, ok := p.everyRowHasSpans(g)
			if ok {
				known++
				if empty || got != total {
					t.Errorf("%s row group %d: every row has spans, %d in all, but the levels count %d (a row without spans: %v)", c.name, g, got, total, empty)
				}
			} else if c.wantSome && !empty {
				t.Errorf("%s row group %d: every row has spans, but the histogram did not say so", c.name, g)
			}
		})
		if (known > 0) != c.wantSome || (c.wantSome && known == groups) {
			t.Errorf("%s: %d of %d row groups known to have spans in every row", c.name, known, groups)
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

// TestCountSpansInside: a span-level count reads each row's time range
// only for row groups whose spans the footer cannot put inside the
// request's range (startsInside); the counts agree with the traces for
// an unbounded range, one that covers every row group, one that covers
// some of them and cuts through others, and one that cuts through all.
func TestCountSpansInside(t *testing.T) {
	ctx := context.Background()
	s, all := smallGroupsBlock(t, gen.Options{Seed: 5, ErrorRate: 0.2}, 900)
	cond := &store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpTest,
		Field: store.Field{Kind: store.FieldSpanStatus},
		Test:  func(v model.Value, _ bool) bool { return v.Int == int64(model.StatusError) }}}
	// Row groups' span ranges, to pick ranges that cover some of them.
	type span struct{ lo, hi uint64 }
	var groups []span
	off := 0 // the row group's first row: one block, its groups in order
	eachRowGroup(t, s, func(_ Meta, _ *Block, p *pfile, g int) {
		lo, hi := ^uint64(0), uint64(0)
		n := int(p.file.RowGroups()[g].NumRows())
		for _, tr := range all[off : off+n] {
			a, b := tr.TimeRange()
			lo, hi = min(lo, a), max(hi, b)
		}
		off += n
		groups = append(groups, span{lo, hi})
	})
	if len(groups) < 3 {
		t.Fatalf("%d row groups: the test needs several", len(groups))
	}
	all0, all1 := groups[0].lo, groups[0].hi
	for _, gr := range groups {
		all0, all1 = min(all0, gr.lo), max(all1, gr.hi)
	}
	mid, _ := all[len(all)/2].TimeRange()
	ranges := []struct {
		name     string
		from, to uint64 // 0: unbounded
	}{
		{"unbounded", 0, 0},
		{"covering every row group", all0 - 1, all1 + 1},
		{"from the middle on", mid, all1 + 1},
		{"a cut", mid, mid + uint64(time.Millisecond)},
	}
	for _, rg := range ranges {
		req := store.Request{Filter: &store.Filter{Cond: cond, Exact: true}}
		if rg.from != 0 {
			req.Start, req.End = time.Unix(0, int64(rg.from)), time.Unix(0, int64(rg.to))
		}
		want := store.Count{}
		for _, tr := range all {
			if a, b := tr.TimeRange(); rg.from == 0 || a <= rg.to && b >= rg.from {
				want.InspectedTraces++
				want.InspectedSpans += tr.SpanCount()
				if cond.Match(tr) {
					want.Traces++
				}
			}
		}
		got, err := s.CountTraces(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: %+v, want %+v", rg.name, got, want)
		}
		inside := 0
		eachRowGroup(t, s, func(_ Meta, _ *Block, p *pfile, g int) {
			if p.startsInside(g, &req) {
				inside++
			}
		})
		switch {
		case rg.name == "unbounded" || rg.name == "covering every row group":
			if inside != len(groups) {
				t.Errorf("%s: %d of %d row groups inside", rg.name, inside, len(groups))
			}
		case rg.name == "a cut" && inside != 0:
			t.Errorf("a cut: %d row groups inside", inside)
		case rg.name == "from the middle on" && (inside == 0 || inside == len(groups)):
			t.Errorf("from the middle on: %d of %d row groups inside, want some", inside, len(groups))
		}
	}
}

// smallGroupsBlock writes n traces generated with opts, and extra, as one
// block of 16 KiB row groups in a new memory store, and returns the store
// and the traces sorted by ID.
func smallGroupsBlock(t *testing.T, opts gen.Options, n int, extra ...*model.Trace) (*Store, []*model.Trace) {
	t.Helper()
	s := memStore(t)
	g := gen.New(opts)
	var all []*model.Trace
	for range n {
		all = append(all, g.Trace())
	}
	all = append(all, extra...)
	sort.Slice(all, func(i, j int) bool { return model.CompareTraceIDs(all[i].TraceID, all[j].TraceID) < 0 })
	if _, err := s.WriteBlock(context.Background(), all, WriteOptions{RowGroupBytes: 16 << 10}); err != nil {
		t.Fatal(err)
	}
	return s, all
}
