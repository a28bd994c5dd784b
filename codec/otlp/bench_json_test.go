package otlp_test

import (
	"bytes"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/otlp"
)

// genJSON returns the spans of genProto(spans) as one OTLP/JSON request,
// written by pdata's JSONMarshaler (as tracectl gen --json writes them).
func genJSON(tb testing.TB, spans int) []byte {
	tb.Helper()
	td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(genProto(tb, spans))
	if err != nil {
		tb.Fatal(err)
	}
	data, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// TestDecodeJSONChunksMatchPdataGenerated: on generated data, chunk by
// chunk, the direct JSON decoder gives what pdata gives and declines
// nothing.
func TestDecodeJSONChunksMatchPdataGenerated(t *testing.T) {
	chunks, declined := otlp.CheckJSONChunks(t, "generated", genJSON(t, 20_000))
	if chunks < 20 || declined > 0 {
		t.Errorf("%d chunks, %d declined; want 20 or more, none declined", chunks, declined)
	}
}

// BenchmarkDecodeJSONGenerated decodes 100,000 generated spans in one
// OTLP/JSON request with DecodeJSON, as ingest runs it.
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
