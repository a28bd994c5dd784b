package jsonpos_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/internal/jsonpos"
	"github.com/tracectl/tracectl/internal/gen"
)

// BenchmarkGuardGenerated passes the JSON files `tracectl gen` writes
// (20,000 spans of each JSON format) through the guard in 64 KiB reads,
// as the decoders read them.
func BenchmarkGuardGenerated(b *testing.B) {
	for _, format := range []codec.Format{codec.FormatOTLPJSON, codec.FormatZipkinV2, codec.FormatJaegerJSON} {
		b.Run(string(format), func(b *testing.B) {
			dir := b.TempDir()
			if _, err := gen.New(gen.Options{Seed: 1}).WriteFiles(context.Background(), gen.FileOptions{Dir: dir, Spans: 20_000, Format: format}); err != nil {
				b.Fatal(err)
			}
			root, err := os.OpenRoot(dir)
			if err != nil {
				b.Fatal(err)
			}
			defer root.Close()
			data, err := root.ReadFile("traces-000001.json")
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 64<<10)
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				g := jsonpos.NewGuardReader(bytes.NewReader(data), codec.MaxJSONDepth)
				for {
					if _, err := g.Read(buf); err != nil {
						break
					}
				}
			}
		})
	}
}
