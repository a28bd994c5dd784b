package otlp_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/internal/gen"
)

// genJSON returns one OTLP/JSON file of about spans spans from
// internal/gen (seed 1), as tracectl gen --json writes them.
func genJSON(tb testing.TB, spans int) []byte {
	tb.Helper()
	dir := tb.TempDir()
	opts := gen.FileOptions{Dir: dir, Spans: spans, FileSpans: spans, JSON: true}
	if _, err := gen.New(gen.Options{Seed: 1}).WriteFiles(context.Background(), opts); err != nil {
		tb.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "traces-000001.json"))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// BenchmarkDecodeJSONGenerated decodes 100,000 generated spans (one file,
// as tracectl gen --json writes it) with DecodeJSON, as ingest runs it.
//
// Run: go test -run '^$' -bench BenchmarkDecodeJSONGenerated -benchmem ./codec/otlp
func BenchmarkDecodeJSONGenerated(b *testing.B) {
	data := genJSON(b, 100_000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := otlp.DecodeJSON("bench", bytes.NewReader(data), func(codec.Batch) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
