package otlp_test

import (
	"bytes"
	"testing"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/otlp"
)

// genJSON returns one OTLP/JSON file of about spans spans from
// internal/gen (seed 1), as tracectl gen --json writes them.
func genJSON(tb testing.TB, spans int) []byte { return genFile(tb, spans, true) }

// TestDecodeJSONChunksMatchPdataGenerated: on generated data, chunk by
// chunk, the direct JSON decoder gives what pdata gives and declines
// nothing.
func TestDecodeJSONChunksMatchPdataGenerated(t *testing.T) {
	chunks, declined := otlp.CheckJSONChunks(t, "generated", genJSON(t, 20_000))
	if chunks < 20 || declined > 0 {
		t.Errorf("%d chunks, %d declined; want 20 or more, none declined", chunks, declined)
	}
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
