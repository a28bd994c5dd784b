package store_test

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/store/storetest"
)

// TestSimplifiedMatchesTheSame: flattening and merging the tests of one
// field under an OR (with and without the memo of many alternatives)
// changes no span's answer, on random conditions.
func TestSimplifiedMatchesTheSame(t *testing.T) {
	t0 := time.Unix(1754500000, 0)
	var specs []storetest.TraceSpec
	for i := 0; i < 30; i++ {
		attrs := []model.Attribute{model.Str("a", fmt.Sprintf("v%d", i%7))}
		if i%3 == 0 {
			attrs = append(attrs, model.Int("b", int64(i)))
		}
		specs = append(specs, storetest.TraceSpec{ID: fmt.Sprintf("%032x", i+1), Start: t0,
			Spans: []storetest.SpanSpec{
				{ID: "1", Service: "s", Name: fmt.Sprintf("n%d", i%5), Duration: time.Duration(i) * time.Millisecond, Attrs: attrs},
				{ID: "2", Parent: "1", Service: "s", Name: "child", Duration: time.Millisecond},
			}})
	}
	traces := storetest.Build(specs...)
	rng := rand.New(rand.NewSource(1))
	fields := []store.Field{{Kind: store.FieldSpanAttr, Name: "a"}, {Kind: store.FieldSpanAttr, Name: "b"}, {Kind: store.FieldSpanName}}
	test := func() *store.SpanCond {
		f := fields[rng.Intn(len(fields))]
		want := fmt.Sprintf("%c%d", "vn"[rng.Intn(2)], rng.Intn(8))
		n := int64(rng.Intn(30))
		return &store.SpanCond{Op: store.OpTest, Field: f, Test: func(v model.Value, ok bool) bool {
			if !ok {
				return false
			}
			return v.Str == want || v.Type == model.ValueInt && v.Int == n
		}}
	}
	var gen func(depth int) *store.SpanCond
	gen = func(depth int) *store.SpanCond {
		if depth == 0 || rng.Intn(4) == 0 {
			return test()
		}
		switch rng.Intn(4) {
		case 0:
			return &store.SpanCond{Op: store.OpNot, Args: []*store.SpanCond{gen(depth - 1)}}
		case 1:
			return &store.SpanCond{Op: store.OpAnd, Args: []*store.SpanCond{gen(depth - 1), gen(depth - 1)}}
		}
		// ORs, sometimes long (the memo starts above 16 alternatives).
		var args []*store.SpanCond
		for range 2 + rng.Intn(30) {
			args = append(args, gen(depth-1))
		}
		return &store.SpanCond{Op: store.OpOr, Args: args}
	}
	for i := 0; i < 300; i++ {
		c := gen(4)
		s := c.Simplified()
		for _, tr := range traces {
			tr.Spans(func(r model.SpanRef) bool {
				if got, want := s.Match(tr, r), c.Match(tr, r); got != want {
					t.Fatalf("condition %d, trace %s span %s: simplified %v, original %v", i, tr.TraceID, r.Span.SpanID, got, want)
				}
				return true
			})
		}
	}
}

// TestSimplifiedStr: a merged test of one field keeps a string test
// (SpanCond.Str) when every test it merges has one, passing the strings
// any of them passes, and none otherwise.
func TestSimplifiedStr(t *testing.T) {
	eq := func(lit string) *store.SpanCond {
		return &store.SpanCond{Op: store.OpTest, Field: store.Field{Kind: store.FieldSpanAttr, Name: "a"},
			Test: func(v model.Value, ok bool) bool { return ok && v.Type == model.ValueString && v.Str == lit },
			Str:  func(s string) bool { return s == lit }}
	}
	noStr := eq("z")
	noStr.Str = nil
	merged := (&store.SpanCond{Op: store.OpOr, Args: []*store.SpanCond{eq("x"), eq("y")}}).Simplified()
	if merged.Op != store.OpTest || merged.Str == nil {
		t.Fatalf("merged %+v: want one test with a string test", merged)
	}
	for _, s := range []string{"x", "y", "z", "", "xy"} {
		if got, want := merged.Str(s), merged.Test(model.StringValue(s), true); got != want {
			t.Errorf("Str(%q) = %v, Test %v", s, got, want)
		}
	}
	for _, args := range [][]*store.SpanCond{{eq("x"), noStr}, {noStr, eq("x")}, {eq("x"), noStr, eq("y")}} {
		if m := (&store.SpanCond{Op: store.OpOr, Args: args}).Simplified(); m.Op != store.OpTest || m.Str != nil {
			t.Errorf("a test without Str merged: %+v, want one test without a string test", m)
		}
	}
}

// TestSimplifiedStrLongLists: past memoAbove alternatives the merged test
// has no string test, so that sources use Test, which remembers answers.
func TestSimplifiedStrLongLists(t *testing.T) {
	var args []*store.SpanCond
	for i := range 40 {
		lit := fmt.Sprint("v", i)
		args = append(args, &store.SpanCond{Op: store.OpTest, Field: store.Field{Kind: store.FieldSpanAttr, Name: "a"},
			Test: func(v model.Value, ok bool) bool { return ok && v.Str == lit },
			Str:  func(s string) bool { return s == lit }})
	}
	m := (&store.SpanCond{Op: store.OpOr, Args: args}).Simplified()
	if m.Op != store.OpTest || m.Str != nil || !m.Test(model.StringValue("v39"), true) {
		t.Errorf("merged %+v: want one test, no string test", m)
	}
}
