package jaeger

import (
	"io"

	"github.com/tracectl/tracectl/codec"
)

// DecodeJSONTranslated decodes as DecodeJSON did before direct: every
// batch through the Collector's translator.
func DecodeJSONTranslated(name string, r io.Reader, emit codec.EmitFunc) error {
	_, err := decodeJSON(name, r, emit, reference{translated: true})
	return err
}

// DecodeJSONWalked decodes with the encoding/json walk alone and the
// translator: DecodeJSON's roads before uiStream and direct.
func DecodeJSONWalked(name string, r io.Reader, emit codec.EmitFunc) error {
	_, err := decodeJSON(name, r, emit, reference{walk: true, translated: true})
	return err
}
