package zipkin

import (
	"io"

	"github.com/tracectl/tracectl/codec"
)

// DecodeV2Translated decodes as DecodeV2 did before fastV2: every span
// through zipkin-go's model and the Collector's translator.
func DecodeV2Translated(name string, r io.Reader, emit codec.EmitFunc) error {
	return decode(name, r, emit, v2Span)
}

// DecodeV2Counted is DecodeV2, also returning how many spans fastV2 read,
// how many it left to the translator, and whether fastStream handed over
// to the encoding/json walk.
func DecodeV2Counted(name string, r io.Reader, emit codec.EmitFunc) (fast, translated int, handedOver bool, err error) {
	s, err := decodeV2(name, r, emit)
	return s.fast.accepted, s.fast.declined, s.handedOver, err
}
