package zipkin

import (
	"bytes"
	"os"
	"testing"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/internal/fixtures"
)

// BenchmarkDecodeV2 decodes the largest fixture (1041 spans, 600 KB).
func BenchmarkDecodeV2(b *testing.B) {
	data, err := os.ReadFile(fixtures.Path(b, "zipkin/v2/smartthings-mobile-web-install.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := DecodeV2("bench.json", bytes.NewReader(data), func(codec.Batch) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
