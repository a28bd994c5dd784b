package blocks

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

func TestRowSet(t *testing.T) {
	for _, c := range []struct {
		name    string
		a, b    rowSet
		and, or rowSet
	}{
		{"empty", nil, rowSet{{0, 5}}, nil, rowSet{{0, 5}}},
		{"apart", rowSet{{0, 2}}, rowSet{{4, 6}}, nil, rowSet{{0, 2}, {4, 6}}},
		{"touching", rowSet{{0, 2}}, rowSet{{2, 6}}, nil, rowSet{{0, 6}}},
		{"overlapping", rowSet{{0, 4}, {8, 10}}, rowSet{{2, 9}}, rowSet{{2, 4}, {8, 9}}, rowSet{{0, 10}}},
		{"inside", rowSet{{0, 10}}, rowSet{{1, 2}, {5, 7}}, rowSet{{1, 2}, {5, 7}}, rowSet{{0, 10}}},
		{"interleaved", rowSet{{0, 1}, {4, 5}, {8, 9}}, rowSet{{2, 3}, {6, 7}}, nil, rowSet{{0, 1}, {2, 3}, {4, 5}, {6, 7}, {8, 9}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, ab := range [][2]rowSet{{c.a, c.b}, {c.b, c.a}} {
				if got := ab[0].and(ab[1]); !slices.Equal(got, c.and) {
					t.Errorf("%v and %v = %v, want %v", ab[0], ab[1], got, c.and)
				}
				if got := ab[0].or(ab[1]); !slices.Equal(got, c.or) {
					t.Errorf("%v or %v = %v, want %v", ab[0], ab[1], got, c.or)
				}
			}
		})
	}
}

// TestPagePruning holds the rows a row group's filter reads after page
// pruning to every row that passes: on blocks of pages a few rows long,
// random filters, half of whose span tests are duration ranges, give the
// same rows through filterRows (with the group's pruner, in batches of
// several sizes, on one goroutine or two), the same counts, as
// store.TraceCond.Match on the traces. The traces include spans that end
// before they start (stored with a duration of 2^64 minus a little, read
// as 0) and spans longer than 2^63 ns (negative as an int64).
func TestPagePruning(t *testing.T) {
	setPageBufferSize(t, 1<<10)
	g := gen.New(gen.Options{Seed: 5, ErrorRate: 0.1})
	var traces []*model.Trace
	for i := range 400 {
		tr := g.Trace()
		tr.Spans(func(r model.SpanRef) bool {
			switch s := r.Span; i % 50 {
			case 7:
				s.EndTimeUnixNano = s.StartTimeUnixNano - 5 // ends before it starts
			case 13:
				s.StartTimeUnixNano, s.EndTimeUnixNano = 1, 1<<63+9 // longer than 2^63 ns
			case 29:
				// Ends before it starts, stored with a duration below
				// 2^63, whose end wraps past 2^64: read as 0.
				s.StartTimeUnixNano, s.EndTimeUnixNano = 1<<63+1_000_000, 5
			}
			return i%50 != 7 && i%50 != 13 && i%50 != 29 // the trace's first span
		})
		traces = append(traces, tr)
	}
	model.SortTraces(traces)
	st := memStore(t)
	if _, err := st.WriteBlock(context.Background(), traces, WriteOptions{RowGroupBytes: 96 << 10}); err != nil {
		t.Fatal(err)
	}
	groups, all := assembledGroups(t, st)
	n := 300
	if testing.Short() {
		n = 80
	}
	cg := newCondGen(11, all)
	cg.durations = true
	defer setBatchSpans(filterBatchSpans)
	passed, ruledOut := 0, 0
	// First each operator over a rare duration (most pages ruled out) and
	// a test every span passes, either way round, and string equalities
	// on the span name and a resource's own column; then random filters.
	fixed := fixedPageConds()
	strConds := stringPageConds(all)
	fixed = append(fixed, strConds...)
	for i := range n + len(fixed) {
		var cond *store.TraceCond
		if i < len(fixed) {
			cond = fixed[i]
		} else {
			cond = cg.trace(2)
		}
		setBatchSpans(batchSizes[i%len(batchSizes)])
		checkCount(t, st, all, cond, i)
		for _, gr := range groups {
			pass, pr := gr.p.prune(gr.g, gr.b.codec, cond)
			if !pass {
				pr.close()
				continue
			}
			off, size := gr.p.groupRange(gr.g)
			if err := gr.p.r.prefetch(off, size); err != nil {
				t.Fatal(err)
			}
			rows, _, err := gr.p.filterRows(gr.g, gr.b.codec, cond, pr, i%2 == 1)
			gr.p.r.release()
			pr.close()
			if err != nil {
				t.Fatal(err)
			}
			for r, tr := range gr.traces {
				if want := cond.Match(tr); rows[r] != want {
					t.Fatalf("filter %d, trace %s: columns say %v, Match says %v\n%s", i, tr.TraceID, rows[r], want, describe(cond))
				}
				if rows[r] {
					passed++
				}
				if !pr.pass.holds(int64(r)) {
					ruledOut++
				}
			}
		}
	}
	t.Logf("%d filters on %d traces in %d row groups: %d passes, %d rows ruled out by page statistics", n, len(all), len(groups), passed, ruledOut)
	if ruledOut == 0 || passed == 0 {
		t.Error("no row was ruled out by page statistics, or none passed: the pruning is not exercised")
	}
	// The span name equalities rule rows out on their own (the
	// ServiceName column, dictionary indexes, fits a page per row group
	// here).
	for _, cond := range strConds[:2] {
		out := 0
		for _, gr := range groups {
			pass, pr := gr.p.prune(gr.g, gr.b.codec, cond)
			for r := range gr.traces {
				if pass && !pr.pass.holds(int64(r)) {
					out++
				}
			}
			pr.close()
		}
		if out == 0 {
			t.Errorf("%s: no row ruled out by page statistics", describe(cond))
		}
	}
}

// stringPageConds returns equalities, with their string ranges, on the
// smallest and the largest span name of traces (outside most pages'
// bounds, and a bound of the others) and on their rarest service name
// (the ServiceName column).
func stringPageConds(traces []*model.Trace) []*store.TraceCond {
	eq := func(f store.Field, lit string) *store.TraceCond {
		return &store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpTest, Field: f,
			Types: store.TypesOf(model.ValueString), Strs: &store.StrRange{Lo: lit, Hi: lit},
			Test: func(v model.Value, ok bool) bool { return ok && v.Type == model.ValueString && v.Str == lit },
			Str:  func(s string) bool { return s == lit }}}
	}
	var name, last string
	services := map[string]int{} // traces per service
	for i, tr := range traces {
		seen := map[string]bool{}
		tr.Spans(func(r model.SpanRef) bool {
			if i == 0 || r.Span.Name < name {
				name = r.Span.Name
			}
			last = max(last, r.Span.Name)
			if v, ok := model.Find(r.Resource.Attributes, "service.name"); ok && !seen[v.Str] {
				seen[v.Str] = true
				services[v.Str]++
			}
			return true
		})
	}
	service := ""
	for s, n := range services {
		if service == "" || n < services[service] || n == services[service] && s < service {
			service = s
		}
	}
	return []*store.TraceCond{
		eq(store.Field{Kind: store.FieldSpanName}, name),
		eq(store.Field{Kind: store.FieldSpanName}, last),
		eq(store.Field{Kind: store.FieldResourceAttr, Name: "service.name"}, service),
	}
}

// fixedPageConds returns each operator over a rare span duration and a
// test any span passes, both ways round, and over short durations (among
// them the spans read as 0).
func fixedPageConds() []*store.TraceCond {
	durations := func(lo, hi int64) *store.SpanCond {
		r := store.IntRange{Lo: lo, Hi: hi}
		return &store.SpanCond{Op: store.OpTest, Field: store.Field{Kind: store.FieldSpanDuration}, Ints: &r,
			Test: func(v model.Value, ok bool) bool {
				return ok && v.Type == model.ValueInt && r.Lo <= v.Int && v.Int <= r.Hi
			}}
	}
	rare := durations(3_000_000_000, math.MaxInt64)
	short := durations(math.MinInt64, 10)
	any := &store.SpanCond{Op: store.OpTrue}
	filter := func(c *store.SpanCond) *store.SpansetExpr { return &store.SpansetExpr{Op: store.SpansFilter, Cond: c} }
	var out []*store.TraceCond
	for _, pair := range [][2]*store.SpanCond{{rare, any}, {any, rare}, {short, any}, {any, short}} {
		l, r := pair[0], pair[1]
		out = append(out,
			&store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpOr, Args: []*store.SpanCond{l, r}}},
			&store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpAnd, Args: []*store.SpanCond{l, r}}},
			&store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpNot, Args: []*store.SpanCond{l}}},
			&store.TraceCond{Op: store.OpOr, Args: []*store.TraceCond{{Op: store.OpAny, Span: l}, {Op: store.OpAny, Span: r}}},
			&store.TraceCond{Op: store.OpAnd, Args: []*store.TraceCond{{Op: store.OpAny, Span: l}, {Op: store.OpAny, Span: r}}},
			&store.TraceCond{Op: store.OpSpanset, Spans: &store.SpansetExpr{Op: store.SpansOr, L: filter(l), R: filter(r)}},
			&store.TraceCond{Op: store.OpSpanset, Spans: &store.SpansetExpr{Op: store.SpansAnd, L: filter(l), R: filter(r)}},
			&store.TraceCond{Op: store.OpSpanset, Spans: &store.SpansetExpr{Op: store.SpansCount, L: filter(l), Count: func(n int64) bool { return n > 0 }}},
		)
		for _, mode := range []store.RelationMode{store.RelPlain, store.RelNot, store.RelUnion} {
			for rel := store.Relation(1); rel <= 5; rel++ {
				out = append(out, &store.TraceCond{Op: store.OpSpanset, Spans: &store.SpansetExpr{Op: store.SpansRelation,
					Rel: rel, Mode: mode, L: filter(l), R: filter(r)}})
			}
		}
	}
	return out
}

// holds reports whether row r is in s.
func (s rowSet) holds(r int64) bool {
	for _, x := range s {
		if x.lo <= r && r < x.hi {
			return true
		}
	}
	return false
}
