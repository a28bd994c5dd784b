package zipkin

import (
	"bytes"
	"os"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/translator/zipkin/zipkinv2"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/internal/fixtures"
)

// BenchmarkDecodeV2 decodes the largest fixture (1041 spans, 600 KB):
//   - direct: DecodeV2 (fastStream and fastV2);
//   - translated: DecodeV2 before them (every span through zipkin-go and
//     the Collector's translator, one at a time);
//   - collector: the Collector's Zipkin receiver's way of reading a JSON
//     body (zipkinv2's unmarshaler, to pdata), for comparison.
func BenchmarkDecodeV2(b *testing.B) {
	data, err := os.ReadFile(fixtures.Path(b, "zipkin/v2/smartthings-mobile-web-install.json"))
	if err != nil {
		b.Fatal(err)
	}
	discard := func(codec.Batch) error { return nil }
	for _, bc := range []struct {
		name   string
		decode func() error
	}{
		{"direct", func() error { return DecodeV2("bench.json", bytes.NewReader(data), discard) }},
		{"translated", func() error { return DecodeV2Translated("bench.json", bytes.NewReader(data), discard) }},
		{"collector", func() error { _, err := zipkinv2.NewJSONTracesUnmarshaler(false).UnmarshalTraces(data); return err }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if err := bc.decode(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(1041*b.N)/b.Elapsed().Seconds(), "spans/s")
		})
	}
}
