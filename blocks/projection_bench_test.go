package blocks

import (
	"context"
	"io"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// pqTraceHead is a projection of pqTrace: the trace-level columns a query
// planner would read first (ID, time range, root, services), without the
// nested ResourceSpans.
type pqTraceHead struct {
	TraceID           []byte                    `parquet:""`
	StartTimeUnixNano uint64                    `parquet:",delta,uncompressed"`
	EndTimeUnixNano   uint64                    `parquet:",delta,uncompressed"`
	RootServiceName   string                    `parquet:",dict,uncompressed"`
	ServiceStats      map[string]pqServiceStats `parquet:",optional"`
}

// BenchmarkReadProjection compares decoding whole rows with decoding only
// the trace-level columns of the same block: the gap is what column
// projection (late materialisation of ResourceSpans) could save.
func BenchmarkReadProjection(b *testing.B) {
	traces, spans := benchTraces(b)
	ctx := context.Background()
	s := memStore(b)
	m, err := s.WriteBlock(ctx, traces, WriteOptions{RowGroupBytes: 8 << 20})
	if err != nil {
		b.Fatal(err)
	}
	blk := s.block(m)
	run := func(b *testing.B, read func(rg parquet.RowGroup) int) {
		for i := 0; i < b.N; i++ {
			p, err := blk.open(ctx)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for g, rg := range p.file.RowGroups() {
				off, sz := p.groupRange(g)
				if err := p.r.prefetch(off, sz); err != nil {
					b.Fatal(err)
				}
				n += read(rg)
			}
			if n != len(traces) {
				b.Fatalf("%d rows, want %d", n, len(traces))
			}
		}
		b.ReportMetric(float64(spans)*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
	}
	b.Run("full", func(b *testing.B) {
		run(b, func(rg parquet.RowGroup) int { return readRows[pqTrace](b, rg, traceSchema()) })
	})
	head := parquet.SchemaOf(pqTraceHead{})
	b.Run("trace-columns", func(b *testing.B) {
		run(b, func(rg parquet.RowGroup) int { return readRows[pqTraceHead](b, rg, head) })
	})
}

func readRows[T any](b *testing.B, rg parquet.RowGroup, schema *parquet.Schema) int {
	rd := parquet.NewGenericRowGroupReader[T](rg, schema)
	defer rd.Close()
	buf := make([]T, rowBatch)
	n := 0
	for {
		k, err := rd.Read(buf)
		n += k
		if err == io.EOF || (err == nil && k == 0) {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}
