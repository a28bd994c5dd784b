package blocks

import (
	"context"
	"testing"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// BenchmarkCountSpanAttr counts the traces with a span whose generic
// attribute db.system is "postgresql", over about 300k generated spans in
// one block: the attribute filter on the generic list, no trace built.
func BenchmarkCountSpanAttr(b *testing.B) {
	ctx := context.Background()
	s := memStore(b)
	spans := 0
	all := genTraces(1, func(_, n int) bool { spans = n; return n < 300_000 })
	if _, err := s.WriteBlock(ctx, all, WriteOptions{}); err != nil {
		b.Fatal(err)
	}
	cond := &store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpTest,
		Field: store.Field{Kind: store.FieldSpanAttr, Name: "db.system"},
		Types: store.TypesOf(model.ValueString),
		Test:  func(v model.Value, ok bool) bool { return ok && v.Type == model.ValueString && v.Str == "postgresql" }}}
	req := store.Request{Filter: &store.Filter{Cond: cond, Exact: true}}
	want := 0
	for _, t := range all {
		if traceHas(t, "db.system", "postgresql") {
			want++
		}
	}
	b.ResetTimer()
	for range b.N {
		got, err := s.CountTraces(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		if got.Traces != want {
			b.Fatalf("%d traces, want %d", got.Traces, want)
		}
	}
	b.ReportMetric(float64(spans)*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
}

// traceHas reports whether a span of t has string attribute key = val.
func traceHas(t *model.Trace, key, val string) bool {
	for _, rs := range t.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				for _, a := range sp.Attributes {
					if a.Key == key {
						if a.Value.Type == model.ValueString && a.Value.Str == val {
							return true
						}
						break
					}
				}
			}
		}
	}
	return false
}
