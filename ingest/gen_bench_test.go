package ingest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/ingest"
	"github.com/tracectl/tracectl/internal/gen"
)

// The generated-data benchmarks ingest TRACECTL_BENCH_SPANS (default
// 100,000) spans from internal/gen (seed 1), written as OTLP files
// outside the timer. They report spans/s and bytes/span like the Nezha
// ones.
//
// Run: go test -run '^$' -bench BenchmarkIngestGenerated -benchtime 3x ./ingest

func BenchmarkIngestGeneratedProto(b *testing.B) { benchIngestGenerated(b, false) }
func BenchmarkIngestGeneratedJSON(b *testing.B)  { benchIngestGenerated(b, true) }

func benchIngestGenerated(b *testing.B, json bool) {
	want := 100_000
	if n, err := strconv.Atoi(os.Getenv("TRACECTL_BENCH_SPANS")); err == nil && n > 0 {
		want = n
	}
	ctx := context.Background()
	dir := b.TempDir()
	sum, err := gen.New(gen.Options{Seed: 1}).WriteFiles(ctx, gen.FileOptions{Dir: dir, Spans: want, Format: gen.OTLPFormat(json)})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(sum.Bytes)
	buckets, tmp := b.TempDir(), b.TempDir()
	var spans, dataBytes, n int
	for b.Loop() {
		bucket, err := blocks.OpenBucket(ctx, "file://"+filepath.Join(buckets, fmt.Sprint(n)))
		if err != nil {
			b.Fatal(err)
		}
		res, err := ingest.Run(ctx, blocks.NewStore(bucket, "single-tenant"), []string{dir}, ingest.Options{TempDir: tmp})
		if err != nil {
			b.Fatal(err)
		}
		bucket.Close()
		if res.Spans != sum.Spans {
			b.Fatalf("wrote %d spans, want %d", res.Spans, sum.Spans)
		}
		spans += res.Spans
		for _, m := range res.Blocks {
			dataBytes += int(m.Size)
		}
		n++
	}
	b.ReportMetric(float64(spans)/b.Elapsed().Seconds(), "spans/s")
	b.ReportMetric(float64(dataBytes)/float64(spans), "bytes/span")
}
