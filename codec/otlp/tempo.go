package otlp

import (
	"encoding/json"
	"fmt"
	"io"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracectl/tracectl/model"
)

// EncodeTempoJSON writes one trace in the shape of Tempo's
// GET /api/traces/<id> response: {"batches":[...]}, where each batch is an
// OTLP ResourceSpans in JSON (hex IDs, as in Tempo's own tempopb example).
// DecodeJSON reads this shape back.
func EncodeTempoJSON(w io.Writer, t *model.Trace) error {
	b, err := (&ptrace.JSONMarshaler{}).MarshalTraces(ToPdata([]*model.Trace{t}))
	if err != nil {
		return fmt.Errorf("otlp: encode JSON: %w", err)
	}
	var req struct {
		ResourceSpans []json.RawMessage `json:"resourceSpans"`
	}
	if err := json.Unmarshal(b, &req); err != nil {
		return fmt.Errorf("otlp: encode JSON: %w", err)
	}
	if req.ResourceSpans == nil {
		req.ResourceSpans = []json.RawMessage{}
	}
	out, err := json.Marshal(struct {
		Batches []json.RawMessage `json:"batches"`
	}{req.ResourceSpans})
	if err != nil {
		return fmt.Errorf("otlp: encode JSON: %w", err)
	}
	_, err = w.Write(append(out, '\n'))
	return err
}
