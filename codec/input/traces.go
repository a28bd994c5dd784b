package input

import (
	"context"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/model"
)

// DecodeTraces decodes paths (as Decode does) and assembles the spans into
// whole traces: duplicates dropped, spans in input order (a resource or
// scope merged only into an identical entry just before it), nested sets
// computed (model.NewOrderedTraceBuilder). It holds every trace in memory,
// so it suits test inputs and small files, not bulk ingest.
func DecodeTraces(ctx context.Context, paths []string, opts Options) ([]*model.Trace, error) {
	b := model.NewOrderedTraceBuilder()
	_, err := Decode(ctx, paths, opts, func(_ string, batch codec.Batch) error {
		for i := range batch {
			b.AddResourceSpans(&batch[i])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b.Traces(), nil
}
