package blocks

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// condGen builds random filters over the names and values of a corpus.
type condGen struct {
	rng *rand.Rand
	// durations makes half the span tests duration ranges (durationRange).
	durations bool
	names     map[store.FieldKind][]string // attribute names by scope
	values    []model.Value
	strs      []string
	ints      []int64
}

func newCondGen(seed int64, traces []*model.Trace) *condGen {
	g := &condGen{rng: rand.New(rand.NewSource(seed)), names: map[store.FieldKind][]string{}}
	seen := map[string]bool{}
	addAttrs := func(k store.FieldKind, as []model.Attribute) {
		for _, a := range as {
			key := fmt.Sprint(k, a.Key)
			if !seen[key] {
				seen[key] = true
				g.names[k] = append(g.names[k], a.Key)
			}
			if len(g.values) < 5000 && g.rng.Intn(10) == 0 {
				g.values = append(g.values, a.Value)
			}
			if a.Value.Type == model.ValueString && len(g.strs) < 5000 {
				g.strs = append(g.strs, a.Value.Str)
			}
		}
	}
	for _, t := range traces {
		t.Spans(func(r model.SpanRef) bool {
			addAttrs(store.FieldResourceAttr, r.Resource.Attributes)
			addAttrs(store.FieldScopeAttr, r.Scope.Attributes)
			addAttrs(store.FieldSpanAttr, r.Span.Attributes)
			for _, e := range r.Span.Events {
				addAttrs(store.FieldEventAttr, e.Attributes)
			}
			for _, l := range r.Span.Links {
				addAttrs(store.FieldLinkAttr, l.Attributes)
			}
			g.strs = append(g.strs, r.Span.Name, r.Span.Status.Message)
			g.ints = append(g.ints, int64(r.Span.Duration()), int64(r.Span.Status.Code), int64(r.Span.Kind))
			return true
		})
	}
	for k := range g.names {
		sort.Strings(g.names[k])
		g.names[k] = append(g.names[k], "no.such.attribute")
	}
	return g
}

func (g *condGen) pick(n int) int { return g.rng.Intn(n) }

// test returns a random pure predicate on a value.
func (g *condGen) test() func(model.Value, bool) bool {
	switch g.pick(7) {
	case 0:
		return func(_ model.Value, ok bool) bool { return !ok }
	case 1:
		return func(_ model.Value, ok bool) bool { return ok }
	case 2:
		s := g.strs[g.pick(len(g.strs))]
		return func(v model.Value, ok bool) bool { return ok && v.Type == model.ValueString && v.Str == s }
	case 3:
		s := g.strs[g.pick(len(g.strs))]
		return func(v model.Value, ok bool) bool { return v.Type == model.ValueString && v.Str < s }
	case 4:
		i := g.ints[g.pick(len(g.ints))]
		return func(v model.Value, ok bool) bool { return ok && v.Type == model.ValueInt && v.Int >= i }
	case 5:
		if len(g.values) > 0 {
			x := g.values[g.pick(len(g.values))]
			return func(v model.Value, ok bool) bool { return ok && v.Equal(x) }
		}
	}
	t := model.ValueType(g.pick(8))
	return func(v model.Value, ok bool) bool { return ok && v.Type == t }
}

func (g *condGen) span(depth int) *store.SpanCond {
	if depth > 0 && g.pick(3) == 0 {
		op := []store.LogicOp{store.OpAnd, store.OpOr, store.OpNot}[g.pick(3)]
		n := 1
		if op != store.OpNot {
			n = g.pick(3) + 1
		}
		c := &store.SpanCond{Op: op}
		for range n {
			c.Args = append(c.Args, g.span(depth-1))
		}
		return c
	}
	if g.durations && g.pick(2) == 0 {
		return g.durationRange()
	}
	kinds := []store.FieldKind{store.FieldSpanName, store.FieldSpanStatus, store.FieldSpanStatusMessage,
		store.FieldSpanKind, store.FieldSpanDuration, store.FieldTraceDuration,
		store.FieldSpanAttr, store.FieldSpanAttr, store.FieldResourceAttr, store.FieldResourceAttr,
		store.FieldScopeAttr, store.FieldEventAttr, store.FieldLinkAttr}
	k := kinds[g.pick(len(kinds))]
	f := store.Field{Kind: k}
	if names := g.names[k]; len(names) > 0 {
		f.Name = names[g.pick(len(names))]
	} else if k >= store.FieldSpanAttr {
		f.Name = "absent"
	}
	test, types := g.test(), store.ValueTypes(0)
	var str func(string) bool
	var lit string
	if k >= store.FieldSpanAttr && g.pick(3) == 0 || k == store.FieldSpanName && g.durations && g.pick(2) == 0 {
		test, types, str, lit = g.stringTest()
	}
	if k == store.FieldEventAttr || k == store.FieldLinkAttr {
		inner := test
		test = func(v model.Value, ok bool) bool { return ok && inner(v, ok) }
	}
	if k == store.FieldSpanDuration && g.pick(2) == 0 {
		return g.durationRange()
	}
	c := &store.SpanCond{Op: store.OpTest, Field: f, Test: test, Types: types}
	if str != nil && g.pick(2) == 0 {
		c.Str = str // as the TraceQL compiler sets it, half the time
		if k != store.FieldEventAttr && k != store.FieldLinkAttr {
			c.Strs = &store.StrRange{Lo: lit, Hi: lit} // as it sets it on `= "lit"`
		}
	}
	return c
}

// durationRange returns a test of span durations in a random range, with
// that range as its store.SpanCond.Ints, as the TraceQL compiler makes a
// duration comparison: open below or above, closed, one value, or none.
func (g *condGen) durationRange() *store.SpanCond {
	some := func() int64 { return g.ints[g.pick(len(g.ints))] }
	r := store.IntRange{Lo: math.MinInt64, Hi: math.MaxInt64}
	switch g.pick(5) {
	case 0:
		r.Lo = some() + 1 // > a value
	case 1:
		r.Hi = some() // <= a value
	case 2:
		r.Lo, r.Hi = some(), some() // none when Lo > Hi
	case 3:
		r.Lo = some()
		r.Hi = r.Lo
	default:
		r.Lo = []int64{0, 1_000_000, 50_000_000, 1_000_000_000, math.MaxInt64}[g.pick(5)]
	}
	return &store.SpanCond{Op: store.OpTest, Field: store.Field{Kind: store.FieldSpanDuration}, Ints: &r,
		Test: func(v model.Value, ok bool) bool {
			return ok && v.Type == model.ValueInt && r.Lo <= v.Int && v.Int <= r.Hi
		}}
}

// stringTest returns an equality test with a string as the TraceQL
// compiler makes it, with its value types (store.SpanCond.Types) and its
// string test (store.SpanCond.Str): an array of one string answers as
// that string (its elements of other types left out), longer ones never
// pass.
// The string, returned last, is one of the data's, or one it does not
// hold.
func (g *condGen) stringTest() (func(model.Value, bool) bool, store.ValueTypes, func(string) bool, string) {
	s := "not.a.value.of.the.data"
	if g.pick(4) > 0 {
		s = g.strs[g.pick(len(g.strs))]
	}
	return func(v model.Value, ok bool) bool {
			if a := stringsOf(v); v.Type == model.ValueArray && len(a) == 1 {
				v = a[0]
			}
			return ok && v.Type == model.ValueString && v.Str == s
		}, store.TypesOf(model.ValueString),
		func(x string) bool { return x == s }, s
}

// spanset returns a random spanset expression.
func (g *condGen) spanset(depth int) *store.SpansetExpr {
	if depth == 0 || g.pick(3) == 0 {
		e := &store.SpansetExpr{Op: store.SpansFilter}
		if g.pick(4) > 0 {
			e.Cond = g.span(2)
		}
		return e
	}
	if g.pick(5) == 0 {
		k := int64(g.pick(6))
		return &store.SpansetExpr{Op: store.SpansCount, L: g.spanset(depth - 1), Count: func(n int64) bool { return n > k }}
	}
	if g.pick(5) == 0 {
		return &store.SpansetExpr{Op: store.SpansDurations, L: g.spanset(depth - 1), Durations: g.durationsTest()}
	}
	e := &store.SpansetExpr{Op: []store.SpansetOp{store.SpansAnd, store.SpansOr, store.SpansRelation, store.SpansRelation}[g.pick(4)],
		L: g.spanset(depth - 1), R: g.spanset(depth - 1)}
	if e.Op == store.SpansRelation {
		e.Rel = store.Relation(1 + g.pick(5))
		e.Mode = store.RelationMode(g.pick(3))
	}
	return e
}

// durationsTest returns a test of a spanset's durations: an average or a
// maximum against a threshold, or one that depends on their order (the
// first against the last), so that durations taken in another order than
// the trace's fail.
func (g *condGen) durationsTest() func([]int64) bool {
	k := []int64{0, 1_000, 1_000_000, 50_000_000, 1_000_000_000}[g.pick(5)]
	switch g.pick(3) {
	case 0:
		return func(ds []int64) bool {
			sum := 0.0
			for _, d := range ds {
				sum += float64(d)
			}
			return len(ds) > 0 && sum/float64(len(ds)) > float64(k)
		}
	case 1:
		return func(ds []int64) bool { return len(ds) > 0 && slices.Max(ds) < k }
	}
	return func(ds []int64) bool { return len(ds) > 1 && ds[0] > ds[len(ds)-1] }
}

func (g *condGen) trace(depth int) *store.TraceCond {
	if g.pick(4) == 0 {
		return &store.TraceCond{Op: store.OpSpanset, Spans: g.spanset(2)}
	}
	if depth > 0 && g.pick(3) == 0 {
		c := &store.TraceCond{Op: []store.LogicOp{store.OpAnd, store.OpOr}[g.pick(2)]}
		for range g.pick(3) + 1 {
			c.Args = append(c.Args, g.trace(depth-1))
		}
		return c
	}
	return &store.TraceCond{Op: store.OpAny, Span: g.span(3)}
}

// TestFilterRows holds the columnar evaluation of random filters to
// store.TraceCond.Match on the traces the assembler builds, on every case
// of TestAssemble (both layouts, dedicated and static columns, every
// attribute type, events and links).
func TestFilterRows(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 60
	}
	for _, c := range assembleCases(t) {
		t.Run(c.name, func(t *testing.T) {
			groups, all := assembledGroups(t, c.store)
			gen := newCondGen(int64(len(c.name)), all)
			passed, pruned := 0, 0
			defer setBatchSpans(filterBatchSpans)
			for i := range n {
				cond := gen.trace(2)
				// Whole groups and groups cut into batches of a few rows.
				setBatchSpans(batchSizes[i%len(batchSizes)])
				checkCount(t, c.store, all, cond, i)
				for _, gr := range groups {
					off, size := gr.p.groupRange(gr.g)
					if err := gr.p.r.prefetch(off, size); err != nil {
						t.Fatal(err)
					}
					// Every other filter on two goroutines (spread), which
					// takes effect where the group has two batches or more.
					rows, _, err := gr.p.filterRows(gr.g, gr.b.codec, cond, nil, i%2 == 1)
					gr.p.r.release()
					if err != nil {
						t.Fatal(err)
					}
					// Pruning from dictionaries must never rule out a passing row.
					if !gr.p.mayPass(gr.g, gr.b.codec, cond) {
						pruned++
						for r := range rows {
							if rows[r] {
								t.Fatalf("filter %d: row group pruned but trace %s passes\n%s", i, gr.traces[r].TraceID, describe(cond))
							}
						}
					}
					for r, tr := range gr.traces {
						if want := cond.Match(tr); rows[r] != want {
							t.Fatalf("filter %d, trace %s: columns say %v, Match says %v\n%s", i, tr.TraceID, rows[r], want, describe(cond))
						}
						if rows[r] {
							passed++
						}
					}
				}
			}
			t.Logf("%d filters on %d traces: %d passes, %d row groups pruned", n, len(all), passed, pruned)
			if pruned == 0 {
				t.Error("no row group was pruned: the pruning is not exercised")
			}
		})
	}
}

// assembledGroup is a row group of a test store and its traces, as the
// assembler builds them.
type assembledGroup struct {
	b      *Block
	p      *pfile
	g      int
	traces []*model.Trace
}

// assembledGroups returns every row group of st with its traces, and all
// the traces.
func assembledGroups(t *testing.T, st *Store) ([]assembledGroup, []*model.Trace) {
	t.Helper()
	var groups []assembledGroup
	var all []*model.Trace
	eachRowGroup(t, st, func(_ Meta, b *Block, p *pfile, g int) {
		ts := assembleGroup(t, b, p, g, projection{}, 1000, nil)
		groups = append(groups, assembledGroup{b, p, g, ts})
		all = append(all, ts...)
	})
	return groups, all
}

// checkCount holds CountTraces with filter i to the number of traces of
// all (with spans) that cond.Match passes.
func checkCount(t *testing.T, st *Store, all []*model.Trace, cond *store.TraceCond, i int) {
	t.Helper()
	want := 0
	for _, tr := range all {
		if tr.SpanCount() > 0 && cond.Match(tr) {
			want++
		}
	}
	cnt, err := st.CountTraces(context.Background(), store.Request{Filter: &store.Filter{Cond: cond, Exact: true}})
	if err != nil {
		t.Fatal(err)
	}
	if cnt.Traces != want {
		t.Fatalf("filter %d (batches of %d spans): CountTraces %d, Match %d\n%s", i, filterBatchSpans, cnt.Traces, want, describe(cond))
	}
}

// batchSizes are the filterBatchSpans the tests cycle through.
var batchSizes = []int64{1 << 16, 1, 7, 60}

func setBatchSpans(n int64) { filterBatchSpans = n }

func describe(c *store.TraceCond) string {
	var span func(s *store.SpanCond) string
	span = func(s *store.SpanCond) string {
		switch s.Op {
		case store.OpTest:
			return fmt.Sprintf("test(%d %q)", s.Field.Kind, s.Field.Name)
		case store.OpTrue:
			return "true"
		}
		out := fmt.Sprintf("op%d(", s.Op)
		for _, a := range s.Args {
			out += span(a) + " "
		}
		return out + ")"
	}
	if c.Op == store.OpAny {
		return "any(" + span(c.Span) + ")"
	}
	if c.Op == store.OpSpanset {
		return "spanset"
	}
	out := fmt.Sprintf("op%d(", c.Op)
	for _, a := range c.Args {
		out += describe(a) + " "
	}
	return out + ")"
}

// TestAggregateSpans holds the columnar aggregation to the reference
// (store.GroupSet.AddTrace on the merged traces) for random span
// conditions, group-by fields and interval functions, on every case of
// TestAssemble plus a store whose traces are split across blocks.
func TestAggregateSpans(t *testing.T) {
	ctx := context.Background()
	cases := assembleCases(t)
	cases = append(cases, assembleCase{"split", splitStore(t)})
	n := 120
	if testing.Short() {
		n = 20
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			it, err := c.store.Traces(ctx, store.Request{})
			if err != nil {
				t.Fatal(err)
			}
			all := readAllTraces(t, it)
			gen := newCondGen(int64(len(c.name))+99, all)
			fields := []store.FieldKind{store.FieldSpanName, store.FieldSpanStatus, store.FieldSpanStatusMessage,
				store.FieldSpanKind, store.FieldSpanDuration, store.FieldSpanAttr, store.FieldResourceAttr, store.FieldScopeAttr}
			defer setBatchSpans(filterBatchSpans)
			for i := range n {
				setBatchSpans(batchSizes[i%len(batchSizes)])
				if c.name == "split" { // counts with split traces, whose parts are built and merged
					checkCount(t, c.store, all, gen.trace(2), i)
				}
				spec := &store.AggregateSpec{Slots: 1 + gen.pick(5),
					RankTrace: func(t model.TraceID) uint64 { return uint64(t[15]) << 8 },
					RankSpan:  func(tr uint64, s model.SpanID) uint64 { return tr | uint64(s[7]) | uint64(s[6])<<16 }}
				mod := uint64(1 + gen.pick(7))
				spec.Slot = func(ns uint64) int {
					v := int(ns/1000%mod) - 1
					if v >= spec.Slots {
						return -1
					}
					return v
				}
				if gen.pick(4) > 0 {
					spec.Spans = gen.span(2)
				}
				for range gen.pick(3) {
					k := fields[gen.pick(len(fields))]
					f := store.Field{Kind: k}
					if names := gen.names[k]; len(names) > 0 {
						f.Name = names[gen.pick(len(names))]
					} else if k >= store.FieldSpanAttr {
						f.Name = "absent"
					}
					spec.GroupBy = append(spec.GroupBy, f)
				}
				if gen.pick(2) == 0 {
					spec.Exemplars = 1 + gen.pick(2)
				}
				spec.Durations = gen.pick(2) == 0
				ref := store.NewGroupSet(spec)
				for _, tr := range all {
					ref.AddTrace(tr)
				}
				want := ref.Result()
				got, err := c.store.AggregateSpans(ctx, store.Request{}, spec)
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(normalizeAggregate(want), normalizeAggregate(got), cmp.Comparer(func(a, b model.Value) bool { return a.Equal(b) })); d != "" {
					t.Fatalf("spec %d (group by %+v): (-reference +columns)\n%s", i, spec.GroupBy, d)
				}
			}
		})
	}
}

// normalizeAggregate sorts exemplars and durations, which a set keeps in
// no order.
func normalizeAggregate(a *store.Aggregate) *store.Aggregate {
	for _, g := range a.Groups {
		for i := range g.Durations {
			// Sorted, and split again: a set keeps them in no order.
			var all []uint64
			g.Durations[i].Each(func(d uint64) { all = append(all, d) })
			sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
			g.Durations[i] = store.Durations{}
			for _, d := range all {
				g.Durations[i].Add(d)
			}
		}
		for _, ex := range g.Exemplars {
			sort.Slice(ex, func(i, j int) bool {
				return ex[i].Rank < ex[j].Rank || ex[i].Rank == ex[j].Rank && string(ex[i].SpanID[:]) < string(ex[j].SpanID[:])
			})
		}
	}
	return a
}

// splitStore writes the generated traces into two blocks, every third one
// split between them (its first resource spans in one, the rest in the
// other).
func splitStore(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	g := gen.New(gen.Options{Seed: 5, ErrorRate: 0.3})
	var a, b []*model.Trace
	for i := range 200 {
		tr := g.Trace()
		if i%3 == 0 && len(tr.ResourceSpans) > 1 {
			h := len(tr.ResourceSpans) / 2
			a = append(a, &model.Trace{TraceID: tr.TraceID, ResourceSpans: tr.ResourceSpans[:h]})
			b = append(b, &model.Trace{TraceID: tr.TraceID, ResourceSpans: tr.ResourceSpans[h:]})
		} else if i%2 == 0 {
			a = append(a, tr)
		} else {
			b = append(b, tr)
		}
	}
	s := memStore(t)
	for _, part := range [][]*model.Trace{a, b} {
		model.SortTraces(part)
		if _, err := s.WriteBlock(ctx, part, WriteOptions{RowGroupBytes: 64 << 10}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestSparseRows reads a large block through a filter that passes about
// one trace in a hundred: the rows between are passed over with the
// offset index (whole pages never decoded), and the traces built must be
// exactly the ones the filter passes, as a full read says.
func TestSparseRows(t *testing.T) {
	ctx := context.Background()
	g := gen.New(gen.Options{Seed: 9})
	var ts []*model.Trace
	for range 3000 {
		ts = append(ts, g.Trace())
	}
	model.SortTraces(ts)
	s := memStore(t)
	if _, err := s.WriteBlock(ctx, ts, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	it, err := s.Traces(ctx, store.Request{})
	if err != nil {
		t.Fatal(err)
	}
	all := readAllTraces(t, it)
	for _, mod := range []int{1000, 97, 7} {
		cond := &store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpTest, Field: store.Field{Kind: store.FieldSpanDuration},
			Test: func(v model.Value, _ bool) bool { return v.Int%int64(mod) == 3 }}}
		want := matching(all, cond)
		got := readSorted(t, s, store.Request{Unordered: true, Filter: &store.Filter{Cond: cond}})
		if d := strictDiff(want, got); d != "" || len(want) == 0 {
			t.Fatalf("1 in %d: %d traces, want %d:\n%s", mod, len(got), len(want), d)
		}
	}
}
