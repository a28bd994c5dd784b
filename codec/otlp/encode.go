package otlp

import (
	"fmt"
	"io"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracectl/tracectl/model"
)

// EncodeJSON writes traces as one OTLP/JSON request (hex IDs, as pdata's
// marshaler writes them) followed by a newline.
func EncodeJSON(w io.Writer, traces []*model.Trace) error {
	b, err := (&ptrace.JSONMarshaler{}).MarshalTraces(ToPdata(traces))
	if err != nil {
		return fmt.Errorf("otlp: encode JSON: %w", err)
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// EncodeProto writes traces as one OTLP protobuf message.
func EncodeProto(w io.Writer, traces []*model.Trace) error {
	b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(ToPdata(traces))
	if err != nil {
		return fmt.Errorf("otlp: encode protobuf: %w", err)
	}
	_, err = w.Write(b)
	return err
}

// ProtoSize is the size of t marshaled as an OTLP protobuf TracesData: what
// the Collector's bytes_limiting charges and Tempo's max_bytes_per_trace
// limits.
func ProtoSize(t *model.Trace) int64 {
	return int64((&ptrace.ProtoMarshaler{}).TracesSize(ToPdata([]*model.Trace{t})))
}
