package jsonpos

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tracectl/tracectl/codec"
)

// Stream walks a JSON input with encoding/json's tokenizer and turns every
// failure into a codec.DecodeError with line:col and JSON path. Decoders
// embed it and drive the tokenizer themselves (Decoder) where they need to
// see io.EOF between documents.
type Stream struct {
	name  string
	in    io.Reader // as given, for codec.Warn
	guard *GuardReader
	lr    *LineReader
	dec   *json.Decoder
	base  int64 // the input offset of the tokenizer's first byte (see Resume)
}

// NewStream returns a Stream reading r; name is the file name put in
// errors. Numbers are decoded as json.Number. Input nested deeper than
// codec.MaxJSONDepth fails at the bracket that goes past it.
func NewStream(name string, r io.Reader) *Stream {
	g := NewGuardReader(r, codec.MaxJSONDepth)
	lr := NewLineReader(g)
	dec := json.NewDecoder(lr)
	dec.UseNumber()
	return &Stream{name: name, in: r, guard: g, lr: lr, dec: dec}
}

// Warn reports w to the input reader (see codec.Warn).
func (s *Stream) Warn(w *codec.DecodeError) { codec.Warn(s.in, w) }

// Finish reports, once the input decoded, the bytes of invalid UTF-8 in
// its strings (see UTF8Warning).
func (s *Stream) Finish() {
	if w := UTF8Warning(s.name, s.guard); w != nil {
		s.Warn(w)
	}
}

// UTF8Warning is the warning for the invalid UTF-8 bytes g met in
// strings, which encoding/json replaced with U+FFFD; nil when none.
func UTF8Warning(name string, g *GuardReader) *codec.DecodeError {
	n, off, line, col := g.InvalidUTF8()
	if n == 0 {
		return nil
	}
	return &codec.DecodeError{File: name, Line: line, Col: col, Offset: off,
		Err: fmt.Errorf("%s of invalid UTF-8 in strings, each replaced with U+FFFD (the first is here)", codec.Plural(n, "byte", "bytes"))}
}

// Decoder returns the underlying tokenizer.
func (s *Stream) Decoder() *json.Decoder { return s.dec }

// InputOffset is the tokenizer's offset in the input.
func (s *Stream) InputOffset() int64 { return s.base + s.dec.InputOffset() }

// Resume gives the Stream a new tokenizer that takes over from a reader
// of its own (which read through Lines up to some point) at input offset
// at: it reads the bytes Lines has kept from at on, then the rest of the
// input, or the error tail if the other reader met one (io.EOF included).
// The tokenizer first reads prefix, JSON that puts it inside the arrays
// and objects the other reader was in: "[" or `{"":[` to be inside an
// array, `{` inside an object, each followed by "{}" to stand for the
// elements or members read (a "{}" member needs its key: `{"":{}`; a
// number or literal would run on into the bytes after it). Resume consumes
// the prefix's tokens.
func (s *Stream) Resume(at int64, prefix string, tail error) {
	var rest io.Reader = s.lr
	if tail != nil {
		rest = errReader{tail}
	}
	kept := bytes.Clone(s.lr.From(at))
	s.dec = json.NewDecoder(io.MultiReader(strings.NewReader(prefix), bytes.NewReader(kept), rest))
	s.dec.UseNumber()
	s.base = at - int64(len(prefix))
	for s.dec.InputOffset() < int64(len(prefix)) {
		if _, err := s.dec.Token(); err != nil {
			panic("jsonpos: bad Resume prefix " + prefix)
		}
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// Lines returns the line-counting reader under the tokenizer, for Forget
// (once the bytes before an offset will not be reported on) and From.
func (s *Stream) Lines() *LineReader { return s.lr }

// ErrAt builds a DecodeError for byte offset off (-1 when unknown).
func (s *Stream) ErrAt(off int64, path string, err error) *codec.DecodeError {
	e := &codec.DecodeError{File: s.name, Offset: off, Path: path, Err: err}
	if off >= 0 {
		e.Line, e.Col = s.lr.LineCol(off)
	}
	return e
}

// ValueStart returns the offset of the first byte of the next value: the
// tokenizer's offset moved past whitespace, ',' and ':'.
func (s *Stream) ValueStart() int64 {
	off := s.InputOffset()
	for _, c := range s.lr.From(off) {
		switch c {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

// Wrap converts an encoding/json error met while reading the value that
// starts at start into a positioned DecodeError. A DecodeError is returned
// as it is; io.EOF and io.ErrUnexpectedEOF become "unexpected end of input"
// at the end of what was read; a *LimitError is put at its byte.
func (s *Stream) Wrap(err error, start int64, path string) error {
	var de *codec.DecodeError
	if errors.As(err, &de) {
		return err
	}
	var depth *LimitError
	if errors.As(err, &depth) {
		return s.ErrAt(depth.Offset, path, depth)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return s.ErrAt(s.lr.pos, path, errors.New("unexpected end of input"))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// The decoder's offsets are relative to its own buffer; scan the
		// value again from its first byte to find the bad character.
		var raw json.RawMessage
		if e2 := json.Unmarshal(s.lr.From(start), &raw); e2 != nil {
			var se2 *json.SyntaxError
			if errors.As(e2, &se2) {
				off := start + se2.Offset - 1
				if se2.Offset >= int64(len(s.lr.From(start))) && strings.HasPrefix(se2.Error(), "unexpected end") {
					// Only the end of what was read: a bad last byte is
					// still put at its place.
					off = s.lr.pos
				}
				return s.ErrAt(off, path, errors.New(se2.Error()))
			}
		}
		return s.ErrAt(start, path, errors.New(se.Error()))
	}
	return s.ErrAt(start, path, err)
}

// Token reads the next token and returns it with its start offset; path
// names the value being read.
func (s *Stream) Token(path string) (json.Token, int64, error) {
	start := s.ValueStart()
	tok, err := s.dec.Token()
	if err != nil {
		return nil, start, s.Wrap(err, start, path)
	}
	return tok, start, nil
}

// Key reads an object key, or returns ok=false at the closing '}' (which it
// consumes).
func (s *Stream) Key(path string) (key string, ok bool, err error) {
	if !s.dec.More() {
		_, _, err = s.Token(path)
		return "", false, err
	}
	tok, _, err := s.Token(path)
	if err != nil {
		return "", false, err
	}
	k, isStr := tok.(string)
	if !isStr {
		return "", false, s.ErrAt(s.InputOffset(), path, fmt.Errorf("expected object key, found %v", tok))
	}
	return k, true, nil
}

// Raw reads one whole value and returns it with its start offset.
func (s *Stream) Raw(path string) (json.RawMessage, int64, error) {
	start := s.ValueStart()
	var raw json.RawMessage
	if err := s.dec.Decode(&raw); err != nil {
		return nil, start, s.Wrap(err, start, path)
	}
	return raw, start, nil
}

// Unmarshal decodes raw (which starts at offset start) into v, reporting
// type errors with the JSON path of the offending field.
func (s *Stream) Unmarshal(raw []byte, start int64, path string, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return s.ValueErr(err, start, path)
	}
	return nil
}

// ValueErr positions an error met while decoding or converting the value
// that starts at offset start and has JSON path path:
//   - a *json.UnmarshalTypeError at the offending byte, with its field
//     appended to path;
//   - a *FieldError at start, with its path appended to path;
//   - a *json.SyntaxError at the bad character (see Wrap);
//   - any other error at start, with its text unchanged.
func (s *Stream) ValueErr(err error, start int64, path string) error {
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
		return s.ErrAt(off, p, fmt.Errorf("cannot use JSON %s as %s", te.Value, te.Type))
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return s.ErrAt(start, path+fe.Path, fe.Err)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return s.Wrap(err, start, path)
	}
	return s.ErrAt(start, path, err)
}

// FieldError is an error inside a value, with the JSON path below that
// value (such as ".tags[2].value"; empty for the value itself).
type FieldError struct {
	Path string
	Err  error
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// FieldErr returns a *FieldError at path with a formatted message.
func FieldErr(path string, format string, args ...any) error {
	return &FieldError{Path: path, Err: fmt.Errorf(format, args...)}
}

// Under prefixes the path of a *FieldError with prefix (or wraps a plain
// error as a FieldError at prefix).
func Under(prefix string, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		return &FieldError{Path: prefix + fe.Path, Err: fe.Err}
	}
	return &FieldError{Path: prefix, Err: err}
}
