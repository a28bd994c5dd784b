package zipkin

import (
	"fmt"
	"io"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/translator/zipkin/zipkinv2"

	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/model"
)

// EncodeV2 writes traces as one Zipkin v2 JSON array of spans, as the
// Collector's zipkin exporter sends them (its translator from OTLP): for
// benchmarks and demos of Zipkin input (tracectl gen --format zipkin-v2).
func EncodeV2(w io.Writer, traces []*model.Trace) error {
	b, err := zipkinv2.NewJSONTracesMarshaler().MarshalTraces(otlp.ToPdata(traces))
	if err != nil {
		return fmt.Errorf("zipkin v2: %w", err)
	}
	_, err = w.Write(b)
	return err
}
