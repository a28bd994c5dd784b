package otlp

import (
	"bytes"
	"os"
	"testing"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/internal/fixtures"
)

func BenchmarkDecodeJSON(b *testing.B) {
	data, err := os.ReadFile(fixtures.Path(b, "jaeger/skills/n_plus_one_full_serial.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := DecodeJSON("bench", bytes.NewReader(data), func(codec.Batch) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
