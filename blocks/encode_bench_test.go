package blocks

import (
	"io"
	"testing"

	"github.com/tracectl/tracectl/blocks/column"

	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/model"
)

// The write path's stages on 100k generated spans (internal/gen, seed 1),
// one goroutine each, spans/s of CPU:
//
//	go test -run '^$' -bench 'BenchmarkEncode|BenchmarkRebatch' ./blocks

func benchGenerated(b *testing.B) ([]*model.Trace, int) {
	b.Helper()
	g := gen.New(gen.Options{Seed: 1})
	var out []*model.Trace
	spans := 0
	for spans < 100_000 {
		t := rebatch(g.Trace())
		spans += t.SpanCount()
		out = append(out, t)
	}
	model.SortTraces(out)
	return out, spans
}

// BenchmarkRebatch: rebatch alone (BlockWriter.Add runs it on every trace).
func BenchmarkRebatch(b *testing.B) {
	traces, spans := benchGenerated(b)
	for b.Loop() {
		for _, t := range traces {
			rebatch(t)
		}
	}
	b.ReportMetric(float64(spans)*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
}

// BenchmarkRebatcher: rebatch with the fast path for ordered traces.
func BenchmarkRebatcher(b *testing.B) {
	traces, spans := benchGenerated(b)
	var r rebatcher
	for b.Loop() {
		for _, t := range traces {
			r.rebatch(t)
		}
	}
	b.ReportMetric(float64(spans)*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
}

// BenchmarkEncodeValues: the encoder building column values (Add's side).
func BenchmarkEncodeValues(b *testing.B) {
	traces, spans := benchGenerated(b)
	e := newEncoder(newCodec(nil))
	for b.Loop() {
		for _, t := range traces {
			e.add(t)
			if e.rows() >= writeBatch || e.nvals >= batchValues {
				e.reset()
			}
		}
		e.reset()
	}
	b.ReportMetric(float64(spans)*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
}

// BenchmarkEncodeWrite: building the values and encoding them into pages
// (both sides of BlockWriter), to io.Discard.
func BenchmarkEncodeWrite(b *testing.B) {
	traces, spans := benchGenerated(b)
	e := newEncoder(newCodec(nil))
	for b.Loop() {
		pw, err := column.NewFileWriter(io.Discard, traceSchema(), column.FileOptions{PageBytes: pageBufferSize})
		if err != nil {
			b.Fatal(err)
		}
		none := func(model.TraceID) error { return nil }
		for _, t := range traces {
			e.add(t)
			if e.rows() >= writeBatch || e.nvals >= batchValues {
				if err := e.write("bench", pw, none); err != nil {
					b.Fatal(err)
				}
				e.reset()
			}
		}
		if err := e.write("bench", pw, none); err != nil {
			b.Fatal(err)
		}
		e.reset()
		if err := pw.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(spans)*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
}
