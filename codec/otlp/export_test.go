package otlp

import (
	"bufio"
	"bytes"

	"github.com/tracectl/tracectl/model"
)

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

// ProtoChunks splits a well-formed message into the chunks DecodeProto
// decodes.
func ProtoChunks(data []byte) [][]byte {
	var out [][]byte
	var chunk []byte
	fr := fieldReader{r: bufio.NewReader(bytes.NewReader(data))}
	for {
		h, err := fr.header()
		if err != nil {
			break
		}
		if len(chunk) > 0 && int64(len(chunk)) > int64(protoChunkBytes)-h.size() {
			out, chunk = append(out, chunk), nil
		}
		if chunk, err = fr.payload(append(chunk, h.bytes...), h); err != nil {
			break
		}
	}
	if len(chunk) > 0 {
		out = append(out, chunk)
	}
	return out
}
