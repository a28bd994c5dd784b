package blocks

import (
	"context"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/blocks/column/columntest"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// FuzzReadDamagedBlock damages the page payloads (levels, values,
// dictionaries) of a real block's data.parquet and reads it every way a
// command does: a full scan, a filtered scan with a limit threshold, a
// count, an aggregation and a lookup. Every read must end in traces or in
// an error naming the block's data.parquet, never a panic; a block left
// out as damaged is named too. (Page headers and the footer are left
// intact: parquet-go's thrift decoder can take seconds to skip a damaged
// header's giant list; see blocks/column.)
func FuzzReadDamagedBlock(f *testing.F) {
	_, m, data := writtenParquet(f, roundTripTraces(), WriteOptions{DedicatedColumns: []DedicatedColumn{{Name: "instance"}}})
	regions := columntest.PagePayloads(f, data)
	payload := 0
	for _, r := range regions {
		payload += r[1] - r[0]
	}
	f.Add(0, byte(0xff), 3)
	f.Add(payload/3, byte(0x10), 1)
	f.Add(payload-5, byte(0x80), 7)
	cond := &store.TraceCond{Op: store.OpSpanset, Spans: &store.SpansetExpr{Op: store.SpansRelation, Rel: store.RelDescendant,
		L: &store.SpansetExpr{Op: store.SpansFilter},
		R: &store.SpansetExpr{Op: store.SpansFilter, Cond: &store.SpanCond{Op: store.OpTest,
			Field: store.Field{Kind: store.FieldSpanAttr, Name: "http.method"},
			Test:  func(v model.Value, ok bool) bool { return ok }}}}}
	// A typed string test as the TraceQL compiler makes it: pruned by the
	// value dictionary, whose readers the filter continues; its hits
	// tested on the string list alone; a count of it finds spans in the
	// status column.
	typed := &store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpTest,
		Field: store.Field{Kind: store.FieldSpanAttr, Name: "http.method"}, Types: store.TypesOf(model.ValueString),
		Test: func(v model.Value, ok bool) bool { return ok && v.Type == model.ValueString && v.Str == "GET" },
		Str:  func(s string) bool { return s == "GET" }}}
	f.Fuzz(func(t *testing.T, at int, x byte, n int) {
		b := columntest.Damage(data, regions, at, x, 1+((n%16)+16)%16)
		// A mem:// block is read whole when opened; a file:// block is
		// read with preads of its file.
		for _, bucket := range []struct {
			name string
			open func(testing.TB) *Store
		}{{"mem", memStore}, {"file", fileStore}} {
			readDamagedBlock(t, bucket.name, bucket.open(t), m, b, cond, typed)
		}
	})
}

// readDamagedBlock stores data (a damaged data.parquet of the block of m)
// in s and reads it every way FuzzReadDamagedBlock says.
func readDamagedBlock(t *testing.T, bucket string, s *Store, m Meta, data []byte, cond, typed *store.TraceCond) {
	ctx := context.Background()
	key := joinKey(s.tenant, m.BlockID.String(), dataObject)
	if err := s.put(ctx, key, data); err != nil {
		t.Fatal(err)
	}
	putMeta(t, s, m)
	check := func(what string, err error) {
		if err != nil && !strings.Contains(err.Error(), key) {
			t.Fatalf("%s bucket: %s: error does not name the block: %v", bucket, what, err)
		}
	}
	for _, req := range []store.Request{
		{},
		{Unordered: true, Filter: &store.Filter{Cond: cond}, Newest: &store.Threshold{}},
		{Unordered: true, Filter: &store.Filter{Cond: typed}},
	} {
		it, err := s.Traces(ctx, req)
		if err == nil {
			_, err = store.Collect(it)
		}
		check("scan", err)
	}
	_, err := s.CountTraces(ctx, store.Request{Filter: &store.Filter{Cond: cond}})
	check("count", err)
	_, err = s.CountTraces(ctx, store.Request{Filter: &store.Filter{Cond: typed}})
	check("typed count", err)
	_, err = s.AggregateSpans(ctx, store.Request{}, &store.AggregateSpec{Slots: 1, Slot: func(uint64) int { return 0 },
		GroupBy: []store.Field{{Kind: store.FieldResourceAttr, Name: "service.name"}}})
	check("aggregate", err)
	_, err = s.ScanTexts(ctx, func() TextSink { return everySink{} })
	check("texts", err)
	_, err = s.FindTrace(ctx, roundTripTraces()[0].TraceID)
	if err != nil && !strings.Contains(err.Error(), "not found") {
		check("lookup", err)
	}
	// A read that met the damage left the block out and names it.
	for _, err := range s.Damaged() {
		check("left out", err)
	}
}

// everySink is a TextSink that wants every value and keeps none.
type everySink struct{}

func (everySink) Group(int, int)                                   {}
func (everySink) Value(string, string, model.Value, int, int) bool { return true }
