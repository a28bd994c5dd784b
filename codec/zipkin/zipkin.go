// Package zipkin decodes Zipkin v1 and v2 JSON.
package zipkin

import (
	"errors"
	"io"

	"github.com/tracectl/tracectl/codec"
)

// DecodeV1 decodes Zipkin v1 JSON from r.
func DecodeV1(name string, r io.Reader, emit codec.EmitFunc) error {
	return &codec.DecodeError{File: name, Offset: -1, Err: errors.New("zipkin v1: not implemented yet")}
}

// DecodeV2 decodes Zipkin v2 JSON from r.
func DecodeV2(name string, r io.Reader, emit codec.EmitFunc) error {
	return &codec.DecodeError{File: name, Offset: -1, Err: errors.New("zipkin v2: not implemented yet")}
}
