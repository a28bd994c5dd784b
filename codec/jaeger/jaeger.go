// Package jaeger decodes Jaeger JSON: the Jaeger UI / query API format and
// api_v2 proto-JSON batches.
package jaeger

import (
	"errors"
	"io"

	"github.com/tracectl/tracectl/codec"
)

// DecodeJSON decodes Jaeger JSON from r and emits one batch per trace.
func DecodeJSON(name string, r io.Reader, emit codec.EmitFunc) error {
	return &codec.DecodeError{File: name, Offset: -1, Err: errors.New("jaeger: not implemented yet")}
}
