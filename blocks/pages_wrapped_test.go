package blocks

import (
	"context"
	"math"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// TestPagePruningWrappedDurations: a file whose DurationNano holds
// end - start wrapped (as Tempo's vParquet4 writer stores a span that
// ends before it starts: an unsigned subtraction), below 2^63, on spans
// whose start + duration wraps past 2^64 (read as duration 0). A query
// whose range holds 0 must keep their pages: the r.Overlaps(0, 0) guard
// of durationRows, which TestPagePruning does not exercise (tracectl's
// writer stores such spans with duration 0).
func TestPagePruningWrappedDurations(t *testing.T) {
	ctx := context.Background()
	b := model.NewTraceBuilder()
	res := model.Resource{Attributes: []model.Attribute{model.Str("service.name", "svc")}}
	sc := model.Scope{Name: "s"}
	for i := 0; i < 30; i++ {
		id := tid(byte(i), 1, 2, 3)
		for j := 0; j < 20; j++ {
			b.AddSpan(&res, "", &sc, "", model.Span{TraceID: id, SpanID: sid(byte(i), byte(j+1)), Name: "op",
				StartTimeUnixNano: 1e18 + uint64(j), EndTimeUnixNano: 1e18 + uint64(j) + 1000})
		}
	}
	traces := b.Traces()
	model.SortTraces(traces)
	st, m, _ := writtenParquet(t, traces, WriteOptions{})
	bl, err := st.OpenBlock(ctx, m.BlockID)
	if err != nil {
		t.Fatal(err)
	}
	rows := rawRows(t, bl)
	// Trace 10: every span starts at 2^63 + 1ms and ends at 5, stored as
	// Tempo stores it.
	var start uint64 = 1<<63 + 1_000_000
	for rs := range rows[10].ResourceSpans {
		for ss := range rows[10].ResourceSpans[rs].ScopeSpans {
			for k := range rows[10].ResourceSpans[rs].ScopeSpans[ss].Spans {
				sp := &rows[10].ResourceSpans[rs].ScopeSpans[ss].Spans[k]
				sp.StartTimeUnixNano = start
				sp.DurationNano = 5 - start // wraps: 2^63 - 1ms + 5
			}
		}
	}
	rewriteData(t, st, m, rows, traceSchema(), parquet.PageBufferSize(64))
	all, err := st.Traces(ctx, store.Request{})
	if err != nil {
		t.Fatal(err)
	}
	var read []*model.Trace
	for all.Next() {
		read = append(read, all.At())
	}
	all.Close()
	r := store.IntRange{Lo: math.MinInt64, Hi: 9}
	cond := &store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpTest,
		Field: store.Field{Kind: store.FieldSpanDuration}, Ints: &r,
		Test: func(v model.Value, ok bool) bool { return ok && v.Type == model.ValueInt && v.Int <= 9 }}}
	checkCount(t, st, read, cond, 0)
}
