package blocks

import (
	"context"
	"testing"

	"github.com/tracectl/tracectl/model"
)

// benchTraces replicates the Tempo block's traces with new IDs until about
// 100k spans.
func benchTraces(b *testing.B) ([]*model.Trace, int) {
	b.Helper()
	src := tempoStore(b)
	blk, err := src.OpenBlock(context.Background(), mustUUID(tempoBlockID))
	if err != nil {
		b.Fatal(err)
	}
	it, _ := blk.Traces(context.Background())
	base := readAllTraces(b, it)
	var out []*model.Trace
	spans := 0
	for r := 0; spans < 100_000; r++ {
		for _, t := range base {
			c := *t
			c.TraceID[0], c.TraceID[1] = byte(r>>8), byte(r)
			c.ResourceSpans = append([]model.ResourceSpans(nil), t.ResourceSpans...)
			for i := range c.ResourceSpans {
				rs := &c.ResourceSpans[i]
				rs.ScopeSpans = append([]model.ScopeSpans(nil), rs.ScopeSpans...)
				for j := range rs.ScopeSpans {
					ss := &rs.ScopeSpans[j]
					ss.Spans = append([]model.Span(nil), ss.Spans...)
					for k := range ss.Spans {
						ss.Spans[k].TraceID = c.TraceID
					}
				}
			}
			spans += c.SpanCount()
			out = append(out, &c)
		}
	}
	model.SortTraces(out)
	return out, spans
}

func BenchmarkWriteBlock(b *testing.B) {
	traces, spans := benchTraces(b)
	ctx := context.Background()
	var size uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := memStore(b)
		m, err := s.WriteBlock(ctx, traces, WriteOptions{})
		if err != nil {
			b.Fatal(err)
		}
		size = m.Size
	}
	b.ReportMetric(float64(spans)*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
	b.ReportMetric(float64(size)/float64(spans), "bytes/span")
}

func BenchmarkReadBlock(b *testing.B) {
	traces, spans := benchTraces(b)
	ctx := context.Background()
	s := memStore(b)
	m, err := s.WriteBlock(ctx, traces, WriteOptions{RowGroupBytes: 8 << 20})
	if err != nil {
		b.Fatal(err)
	}
	blk, err := s.OpenBlock(ctx, m.BlockID)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		it, _ := blk.Traces(ctx)
		n := 0
		for it.Next() {
			n += it.At().SpanCount()
		}
		if err := it.Err(); err != nil {
			b.Fatal(err)
		}
		if n != spans {
			b.Fatalf("read %d spans, want %d", n, spans)
		}
	}
	b.ReportMetric(float64(spans)*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
	b.ReportMetric(float64(m.Size)/float64(spans), "bytes/span")
}
