package model

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkOrderedTraceBuilder adds 100k spans, in traces of 1 to 24 spans
// (12 on average, as scripts/bench's generator makes them) that arrive as
// runs in batches of 1,000, to an ordered builder, as ingest does.
//
//	go test -run '^$' -bench OrderedTraceBuilder ./model
func BenchmarkOrderedTraceBuilder(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	var spans []Span
	for len(spans) < 100_000 {
		var tid TraceID
		for i := range tid {
			tid[i] = byte(rng.Uint32())
		}
		n := 1 + rng.IntN(24)
		for range n {
			var sid SpanID
			for i := range sid {
				sid[i] = byte(rng.Uint32())
			}
			spans = append(spans, Span{TraceID: tid, SpanID: sid, Kind: KindServer, Name: "GET /orders"})
		}
	}
	res := Resource{Attributes: []Attribute{{Key: "service.name", Value: StringValue("orders")}}}
	var batches []ResourceSpans
	for i := 0; i < len(spans); i += 1000 {
		batches = append(batches, ResourceSpans{Resource: res, ScopeSpans: []ScopeSpans{{Spans: spans[i:min(i+1000, len(spans))]}}})
	}
	b.ReportAllocs()
	for b.Loop() {
		tb := NewOrderedTraceBuilder()
		for i := range batches {
			tb.AddResourceSpans(&batches[i])
		}
		if tb.Spans != len(spans) {
			b.Fatalf("kept %d spans of %d", tb.Spans, len(spans))
		}
	}
	b.ReportMetric(float64(len(spans)*b.N)/b.Elapsed().Seconds(), "spans/s")
}
