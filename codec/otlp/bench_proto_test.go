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
	"github.com/tracectl/tracectl/model"
)

// genProto returns one OTLP protobuf file of about spans spans from
// internal/gen (seed 1), as tracectl gen writes them.
func genProto(tb testing.TB, spans int) []byte { return genFile(tb, spans, false) }

// genFile returns the one file internal/gen (seed 1) writes for spans
// spans, OTLP/JSON or protobuf.
func genFile(tb testing.TB, spans int, json bool) []byte {
	tb.Helper()
	dir := tb.TempDir()
	opts := gen.FileOptions{Dir: dir, Spans: spans, FileSpans: spans, Format: gen.OTLPFormat(json)}
	if _, err := gen.New(gen.Options{Seed: 1}).WriteFiles(context.Background(), opts); err != nil {
		tb.Fatal(err)
	}
	name := "traces-000001.pb"
	if json {
		name = "traces-000001.json"
	}
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// TestDecodeProtoMatchesPdataGenerated: on generated data, in the chunks
// DecodeProto cuts, the direct decoder gives what pdata gives.
func TestDecodeProtoMatchesPdataGenerated(t *testing.T) {
	data := genProto(t, 20_000)
	for i, chunk := range otlp.ProtoChunks(data) {
		if diff := otlp.DiffPdata(chunk); diff != "" {
			t.Fatalf("chunk %d: %s", i, diff)
		}
	}
}

// BenchmarkDecodeProto decodes 100,000 generated spans (one file, as
// tracectl gen writes it) chunk by chunk: "pdata" the way DecodeProto did
// before (pdata's ProtoUnmarshaler, then FromPdata), "direct" with the
// protobuf decoder that replaced them; "DecodeProto" is the whole
// decoder (framing, chunks, ID and UTF-8 checks) as ingest runs it.
//
// Run: go test -run '^$' -bench BenchmarkDecodeProto -benchmem ./codec/otlp
func BenchmarkDecodeProto(b *testing.B) {
	data := genProto(b, 100_000)
	chunks := otlp.ProtoChunks(data)
	for _, bc := range []struct {
		name   string
		decode func([]byte) ([]model.ResourceSpans, error)
	}{
		{"pdata", otlp.PdataChunk},
		{"direct", nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				decode := bc.decode
				if decode == nil {
					decode = otlp.NewDirectChunk()
				}
				for _, c := range chunks {
					if _, err := decode(c); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
	b.Run("DecodeProto", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if err := otlp.DecodeProto("bench", bytes.NewReader(data), func(codec.Batch) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
}
