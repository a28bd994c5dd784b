package otlp

import "github.com/tracectl/tracectl/model"

// Exported for the tests of package otlp_test, which may use
// internal/gen (it imports this package).
var (
	PdataChunk = pdataChunk
	DiffPdata  = diffPdata
)

// NewDirectChunk returns the protobuf decoder's chunk function, with one
// decoder kept across calls as DecodeProto keeps it.
func NewDirectChunk() func([]byte) ([]model.ResourceSpans, error) {
	return newProtoDecoder().traces
}

// ProtoChunks splits a framed message into the chunks DecodeProto decodes.
func ProtoChunks(data []byte) [][]byte {
	var out [][]byte
	for start := 0; start < len(data); {
		end := chunkEnd(data, start, protoChunkBytes)
		out = append(out, data[start:end])
		start = end
	}
	return out
}
