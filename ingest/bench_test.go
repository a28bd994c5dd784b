package ingest_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/ingest"
	"github.com/tracectl/tracectl/internal/nezha"
)

// The Nezha benchmarks ingest the six Nezha span CSVs (87,911 spans in
// 1,775 traces, of which 87,812 in 1,772 are distinct: two files share
// three traces), converted to OTLP outside the timer, into a fresh file://
// bucket per iteration, with default options. Besides ns/op they report
//   - spans/s: input spans (87,911) per second of ingest.Run;
//   - bytes/span: data.parquet bytes (the sum of the blocks' meta size) per
//     span written (87,812);
//   - MB/s: OTLP input bytes read per second.
//
// Run: go test -run '^$' -bench BenchmarkIngestNezha -benchtime 3x ./ingest

func BenchmarkIngestNezhaOTLPJSON(b *testing.B)  { benchIngestNezha(b, nezha.JSON) }
func BenchmarkIngestNezhaOTLPProto(b *testing.B) { benchIngestNezha(b, nezha.Proto) }

func benchIngestNezha(b *testing.B, format nezha.Format) {
	ctx := context.Background()
	dir, conv := convertNezha(b, format)
	buckets := b.TempDir()
	tmp := b.TempDir()
	b.SetBytes(conv.Bytes)
	b.ReportAllocs()

	var read, spans, dataBytes, nblocks, n int
	for b.Loop() {
		bucket, err := blocks.OpenBucket(ctx, "file://"+filepath.Join(buckets, fmt.Sprint(n)))
		if err != nil {
			b.Fatal(err)
		}
		st := blocks.NewStore(bucket, "single-tenant")
		res, err := ingest.Run(ctx, st, []string{dir}, ingest.Options{TempDir: tmp})
		if err != nil {
			b.Fatal(err)
		}
		bucket.Close()
		if res.SpansRead != nezha.TotalSpans || res.Spans != nezha.DistinctSpans || res.Traces != nezha.DistinctTraces {
			b.Fatalf("read %d spans, wrote %d in %d traces; want %d read, %d in %d written",
				res.SpansRead, res.Spans, res.Traces, nezha.TotalSpans, nezha.DistinctSpans, nezha.DistinctTraces)
		}
		read += res.SpansRead
		spans += res.Spans
		for _, m := range res.Blocks {
			dataBytes += int(m.Size)
		}
		nblocks += len(res.Blocks)
		n++
	}
	b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "spans/s")
	b.ReportMetric(float64(dataBytes)/float64(spans), "bytes/span")
	b.ReportMetric(float64(nblocks)/float64(n), "blocks/op")
}
