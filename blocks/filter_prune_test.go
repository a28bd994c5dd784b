package blocks

import (
	"context"
	"testing"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// TestPruneStringValues: a string equality test on a generic attribute
// skips the row groups whose value dictionary lacks the string (a needle
// query), and only where every value is a scalar: a group holding an
// array, where an array of one element answers as its element, is read.
// Counts agree with the traces either way.
func TestPruneStringValues(t *testing.T) {
	ctx := context.Background()
	s := memStore(t)
	all := genTraces(5, func(n, _ int) bool { return n < 1200 })
	// Needles on a span of traces far apart (so in different row groups),
	// one of them a one-element array, one an element of a longer array,
	// one in an array of mixed types (which answers as its strings).
	setAttr := func(tr *model.Trace, v model.Value) {
		sp := &tr.ResourceSpans[0].ScopeSpans[0].Spans[0]
		sp.Attributes = append(sp.Attributes, model.Attribute{Key: "user.id", Value: v})
	}
	for i, v := range []model.Value{
		model.StringValue("needle-0"),
		model.StringValue("needle-1"),
		model.ArrayValue(model.StringValue("needle-one")),
		model.ArrayValue(model.StringValue("needle-arr"), model.StringValue("x")),
		model.IntValue(42),
		model.ArrayValue(model.StringValue("needle-mixed"), model.IntValue(7)),
	} {
		setAttr(all[i*len(all)/6+7], v)
	}
	if _, err := s.WriteBlock(ctx, all, WriteOptions{RowGroupBytes: 96 << 10}); err != nil {
		t.Fatal(err)
	}
	test := func(want string) *store.TraceCond {
		return &store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpTest,
			Field: store.Field{Kind: store.FieldSpanAttr, Name: "user.id"}, Types: store.TypesOf(model.ValueString),
			Test: func(v model.Value, ok bool) bool {
				if a := stringsOf(v); v.Type == model.ValueArray && len(a) == 1 {
					v = a[0]
				}
				return ok && v.Type == model.ValueString && v.Str == want
			},
			Str: func(s string) bool { return s == want }}} // as the TraceQL compiler sets it
	}
	for _, c := range []struct {
		needle             string
		traces, readAtMost int // traces passing; row groups read
	}{
		{"needle-0", 1, 3},     // its group, and the two with longer arrays
		{"needle-1", 1, 3},     // the same
		{"needle-one", 1, 3},   // one element: as the element
		{"needle-arr", 0, 2},   // an element of a longer array: no match
		{"needle-mixed", 1, 2}, // in a group with longer arrays
		{"nowhere", 0, 2},      // only the groups with longer arrays are read
	} {
		t.Run(c.needle, func(t *testing.T) {
			cond := test(c.needle)
			groups, read := 0, 0
			eachRowGroup(t, s, func(_ Meta, b *Block, p *pfile, g int) {
				groups++
				if p.mayPass(g, b.codec, cond) {
					read++
				}
			})
			if groups < 6 {
				t.Fatalf("%d row groups: the needles share one", groups)
			}
			if read > c.readAtMost {
				t.Errorf("%d of %d row groups read, want at most %d", read, groups, c.readAtMost)
			}
			want := 0
			for _, tr := range all {
				if cond.Match(tr) {
					want++
				}
			}
			got, err := s.CountTraces(ctx, store.Request{Filter: &store.Filter{Cond: cond, Exact: true}})
			if err != nil {
				t.Fatal(err)
			}
			if got.Traces != want || want != c.traces {
				t.Errorf("%d traces counted, Match %d, want %d", got.Traces, want, c.traces)
			}
		})
	}
	// A test that a value of another type passes, or an absent one, reads
	// every group that has the key; one that an array passes whatever its
	// elements, the group with the longer array.
	for _, c := range []struct {
		name        string
		test        func(model.Value, bool) bool
		traces, all int // traces passing; 1: every group with the key is read
	}{
		{"other types pass", func(v model.Value, ok bool) bool { return ok && v.Type != model.ValueString }, 3, 1},
		{"absent passes", func(v model.Value, ok bool) bool { return !ok }, len(all), 1},
		{"two strings pass", func(v model.Value, ok bool) bool { return len(stringsOf(v)) == 2 }, 1, 0},
	} {
		cond := &store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpTest,
			Field: store.Field{Kind: store.FieldSpanAttr, Name: "user.id"}, Types: store.TypesOf(model.ValueString), Test: c.test}}
		keyed, read := 0, 0
		eachRowGroup(t, s, func(_ Meta, b *Block, p *pfile, g int) {
			pr := &pruner{p: p, g: g, codec: b.codec}
			if !pr.keyAbsent(p.leaves.spanAttrs, "user.id") {
				keyed++
				if p.mayPass(g, b.codec, cond) {
					read++
				}
			}
		})
		if keyed != 6 || (c.all == 1 && read != keyed) {
			t.Errorf("%s: %d of the %d row groups with the key read, want all 6", c.name, read, keyed)
		}
		got, err := s.CountTraces(ctx, store.Request{Filter: &store.Filter{Cond: cond, Exact: true}})
		if err != nil {
			t.Fatal(err)
		}
		if got.Traces != c.traces {
			t.Errorf("%s: %d traces counted, want %d", c.name, got.Traces, c.traces)
		}
	}
}

// stringsOf returns the string elements of an array value: what a test
// with store.SpanCond.Types of strings only may look at.
func stringsOf(v model.Value) []model.Value {
	var out []model.Value
	for _, e := range v.Array() {
		if e.Type == model.ValueString {
			out = append(out, e)
		}
	}
	return out
}

// TestPrunerReadersAdopted: the readers whose dictionaries the pruner
// decoded are the ones the group's filter then reads with, so that no
// dictionary is decoded twice.
func TestPrunerReadersAdopted(t *testing.T) {
	ctx := context.Background()
	s := memStore(t)
	all := genTraces(6, func(n, _ int) bool { return n < 200 })
	if _, err := s.WriteBlock(ctx, all, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	cond := &store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpTest,
		Field: store.Field{Kind: store.FieldSpanAttr, Name: "db.system"}, Types: store.TypesOf(model.ValueString),
		Test: func(v model.Value, ok bool) bool { return ok && v.Str == "postgresql" }}}
	eachRowGroup(t, s, func(_ Meta, b *Block, p *pfile, g int) {
		pass, pr := p.prune(g, b.codec, cond)
		defer pr.close()
		value := p.leaves.spanAttrs.str
		r := pr.readers[value.Index]
		if !pass || r == nil {
			t.Fatalf("pass %v, value column reader %v: the test misses the dictionary check", pass, r)
		}
		gr := newGroupReaders(p, g)
		defer gr.close()
		gr.adopt(pr)
		if len(pr.readers) != 0 {
			t.Errorf("%d readers left to the pruner", len(pr.readers))
		}
		got, err := gr.at(value, 0, int(p.file.RowGroups()[g].NumRows()))
		if err != nil || got != r {
			t.Errorf("the filter reads the value column with another reader (%v)", err)
		}
	})
}
