package otlp

import (
	"bufio"
	"bytes"
	"slices"

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
	fr := fieldReader{r: bufio.NewReader(bytes.NewReader(data))}
	_ = fr.chunks("", DefaultProtoChunkBytes, nil, func(chunk []byte) error {
		out = append(out, slices.Clone(chunk))
		return nil
	})
	return out
}

// CheckJSONChunks compares the direct JSON decoder with pdata on every
// chunk of data (see checkJSONChunks).
var CheckJSONChunks = checkJSONChunks
