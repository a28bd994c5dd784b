package zipkin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/tracectl/tracectl/codec"
)

// stream walks a JSON input with encoding/json's tokenizer and turns every
// failure into a codec.DecodeError with line:col and JSON path.
type stream struct {
	name string
	lr   *lineReader
	dec  *json.Decoder
}

func newStream(name string, r io.Reader) *stream {
	lr := newLineReader(r)
	dec := json.NewDecoder(lr)
	dec.UseNumber()
	return &stream{name: name, lr: lr, dec: dec}
}

// errAt builds a DecodeError for byte offset off (-1 when unknown).
func (s *stream) errAt(off int64, path string, err error) *codec.DecodeError {
	e := &codec.DecodeError{File: s.name, Offset: off, Path: path, Err: err}
	if off >= 0 {
		e.Line, e.Col = s.lr.lineCol(off)
	}
	return e
}

// valueStart returns the offset of the first byte of the next value: the
// tokenizer's offset moved past whitespace, ',' and ':'.
func (s *stream) valueStart() int64 {
	off := s.dec.InputOffset()
	for _, c := range s.lr.from(off) {
		switch c {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

// wrap converts an encoding/json error met while reading the value that
// starts at start into a positioned DecodeError.
func (s *stream) wrap(err error, start int64, path string) error {
	var de *codec.DecodeError
	if errors.As(err, &de) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return s.errAt(s.lr.pos, path, errors.New("unexpected end of input"))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// The decoder's offsets are relative to its own buffer; scan the
		// value again from its first byte to find the bad character.
		var raw json.RawMessage
		if e2 := json.Unmarshal(s.lr.from(start), &raw); e2 != nil {
			var se2 *json.SyntaxError
			if errors.As(e2, &se2) {
				off := start + se2.Offset - 1
				if se2.Offset >= int64(len(s.lr.from(start))) {
					off = s.lr.pos
				}
				return s.errAt(off, path, errors.New(se2.Error()))
			}
		}
		return s.errAt(start, path, errors.New(se.Error()))
	}
	return s.errAt(start, path, err)
}

// token reads the next token; path names the value being read.
func (s *stream) token(path string) (json.Token, int64, error) {
	start := s.valueStart()
	tok, err := s.dec.Token()
	if err != nil {
		return nil, start, s.wrap(err, start, path)
	}
	return tok, start, nil
}

// key reads an object key, or returns ok=false at the closing '}'.
func (s *stream) key(path string) (key string, ok bool, err error) {
	if !s.dec.More() {
		_, _, err = s.token(path)
		return "", false, err
	}
	tok, _, err := s.token(path)
	if err != nil {
		return "", false, err
	}
	k, isStr := tok.(string)
	if !isStr {
		return "", false, s.errAt(s.dec.InputOffset(), path, fmt.Errorf("expected object key, found %v", tok))
	}
	return k, true, nil
}

// raw reads one whole value.
func (s *stream) raw(path string) (json.RawMessage, int64, error) {
	start := s.valueStart()
	var raw json.RawMessage
	if err := s.dec.Decode(&raw); err != nil {
		return nil, start, s.wrap(err, start, path)
	}
	return raw, start, nil
}

// unmarshal decodes raw (which starts at offset start) into v, reporting
// type errors with the JSON path of the offending field.
func (s *stream) unmarshal(raw []byte, start int64, path string, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return s.valueErr(err, start, path)
	}
	return nil
}

// valueErr positions an error met while decoding or converting the value
// that starts at offset start.
func (s *stream) valueErr(err error, start int64, path string) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		p := path
		if te.Field != "" {
			p += "." + te.Field
		}
		off := start
		if te.Offset > 0 {
			off = start + te.Offset - 1
		}
		return s.errAt(off, p, fmt.Errorf("cannot use JSON %s as %s", te.Value, te.Type))
	}
	var fe *fieldError
	if errors.As(err, &fe) {
		return s.errAt(start, path+fe.path, fe.err)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return s.wrap(err, start, path)
	}
	return s.errAt(start, path, err)
}

// fieldError is an error inside a value, with the path below that value
// (such as ".tags[2].value").
type fieldError struct {
	path string
	err  error
}

func (e *fieldError) Error() string { return e.path + ": " + e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

func fieldErr(path string, format string, args ...any) error {
	return &fieldError{path: path, err: fmt.Errorf(format, args...)}
}
