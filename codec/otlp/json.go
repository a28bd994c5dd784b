package otlp

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/internal/jsonpos"
)

// DecodeJSON decodes OTLP/JSON: one request object
// ({"resourceSpans": [...]} or Tempo's {"batches": [...]}) or a stream of
// them such as the file exporter's JSON lines. Each request is emitted as
// one batch as soon as it is read. IDs may be hex or base64, enums names or
// numbers. Errors are *codec.DecodeError with line and column; a span whose
// trace ID is missing, all zeros or of the wrong length is an error naming
// its JSON path.
func DecodeJSON(name string, r io.Reader, emit codec.EmitFunc) error {
	return decodeJSON(name, r, emit, true)
}

// decodeJSON reads requests with the fast path (pdata straight on the
// request's bytes) or, when fast is false, only with the normaliser. The
// fast path falls back to the normaliser for any request it cannot take as
// is (base64 IDs, legacy keys, anything pdata or the ID check rejects), so
// both give the same batches and the same positioned errors.
func decodeJSON(name string, r io.Reader, emit codec.EmitFunc, fast bool) error {
	br := bufio.NewReader(r)
	if bom, _ := br.Peek(3); bytes.Equal(bom, utf8BOM) {
		br.Discard(3) // offsets count from after the BOM
	}
	pr := &posReader{r: jsonpos.NewDepthReader(br, codec.MaxJSONDepth), line: 1, col: 1}
	var requests int
	var err error
	if fast {
		requests, err = decodeFast(name, pr, emit)
	} else {
		requests, err = decodeSlow(name, pr, emit)
	}
	if err != nil {
		return err
	}
	if requests == 0 {
		return &codec.DecodeError{File: name, Offset: -1, Err: errors.New("empty input: no OTLP JSON object")}
	}
	return nil
}

// decodeFast splits the input into top-level values with json.Decoder
// (a scan, no tokens) and hands each to pdata directly.
func decodeFast(name string, pr *posReader, emit codec.EmitFunc) (int, error) {
	dec := json.NewDecoder(pr)
	requests := 0
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if err == io.EOF {
				return requests, nil
			}
			var se *json.SyntaxError
			var depth *jsonpos.DepthError
			isDepth := errors.As(err, &depth)
			if !errors.As(err, &se) && !errors.Is(err, io.ErrUnexpectedEOF) && !isDepth {
				// A read error, e.g. a corrupt compressed stream.
				return requests, &codec.DecodeError{File: name, Offset: pr.base + int64(len(pr.buf)), Err: err}
			}
			// Re-read the rest (still held by pr) with the normaliser for
			// an error with line, column and path.
			var r io.Reader = bytes.NewReader(pr.buf)
			if isDepth {
				r = io.MultiReader(r, errReader{err})
			}
			rest := &posReader{r: r, base: pr.base, line: pr.line, col: pr.col}
			if _, serr := decodeSlow(name, rest, func(codec.Batch) error { return nil }); serr != nil {
				return requests, serr
			}
			line, col := pr.pos(pr.base)
			return requests, &codec.DecodeError{File: name, Line: line, Col: col, Offset: pr.base, Err: fmt.Errorf("invalid JSON: %w", err)}
		}
		requests++
		start := dec.InputOffset() - int64(len(raw))
		if b, ok := fastBatch(raw); ok {
			if len(b) > 0 {
				if err := emit(b); err != nil {
					return requests, err
				}
			}
		} else {
			line, col := pr.pos(start)
			one := &posReader{r: bytes.NewReader(raw), base: start, line: line, col: col}
			if _, err := decodeSlow(name, one, emit); err != nil {
				return requests, err
			}
		}
		pr.release(dec.InputOffset())
	}
}

var (
	legacyBatches = []byte(`"batches"`)
	legacyInstLib = []byte(`"instrumentation`)
)

// fastBatch decodes one request with pdata as it is. It reports false when
// the request needs the normaliser: not an object, not valid UTF-8 (the
// normaliser replaces bad bytes as encoding/json does), legacy or Tempo
// keys, or anything pdata or the trace ID check rejects.
func fastBatch(raw []byte) (codec.Batch, bool) {
	if len(raw) == 0 || raw[0] != '{' || !utf8.Valid(raw) ||
		bytes.Contains(raw, legacyBatches) || bytes.Contains(raw, legacyInstLib) {
		return nil, false
	}
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(raw)
	if err != nil {
		return nil, false
	}
	b := codec.Batch(FromPdata(td))
	if checkSpanIDs("", b) != nil {
		return nil, false
	}
	return b, true
}

// decodeSlow normalises and decodes every request read from pr, whose
// base is the absolute offset of its first byte.
func decodeSlow(name string, pr *posReader, emit codec.EmitFunc) (int, error) {
	dec := json.NewDecoder(pr)
	dec.UseNumber()
	n := &normaliser{name: name, pr: pr, dec: dec, off0: pr.base}
	requests := 0
	for {
		ok, err := n.next()
		if err != nil {
			return requests, err
		}
		if !ok {
			return requests, nil
		}
		requests++
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(n.out.Bytes())
		if err != nil {
			return requests, n.errAt(n.start, "", fmt.Errorf("invalid OTLP request: %w", err))
		}
		b := codec.Batch(FromPdata(td))
		if err := checkSpanIDs(name, b); err != nil {
			// The normaliser checks every span first; this is a backstop.
			line, col := pr.pos(n.start)
			err.Line, err.Col, err.Offset = line, col, n.start
			return requests, err
		}
		if len(b) > 0 {
			if err := emit(b); err != nil {
				return requests, err
			}
		}
		pr.release(n.in())
	}
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// posReader remembers the bytes read since the start of the current request
// so that a byte offset can be turned into a line and column.
type posReader struct {
	r         io.Reader
	base      int64 // absolute offset of buf[0]
	line, col int   // position of buf[0]
	buf       []byte
}

func (p *posReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.buf = append(p.buf, b[:n]...)
	return n, err
}

// release forgets the bytes before absolute offset off.
func (p *posReader) release(off int64) {
	k := off - p.base
	if k <= 0 {
		return
	}
	if k > int64(len(p.buf)) {
		k = int64(len(p.buf))
	}
	p.line, p.col = p.advance(p.buf[:k])
	p.buf = append([]byte(nil), p.buf[k:]...)
	p.base += k
}

func (p *posReader) advance(b []byte) (line, col int) {
	line, col = p.line, p.col
	for _, c := range b {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// pos returns the 1-based line and column of absolute offset off.
func (p *posReader) pos(off int64) (line, col int) {
	k := off - p.base
	if k < 0 {
		return p.line, p.col
	}
	if k > int64(len(p.buf)) {
		k = int64(len(p.buf))
	}
	return p.advance(p.buf[:k])
}

// byteAt returns the byte at absolute offset off, or 0.
func (p *posReader) byteAt(off int64) byte {
	k := off - p.base
	if k < 0 || k >= int64(len(p.buf)) {
		return 0
	}
	return p.buf[k]
}

// frame is one open JSON container during normalising.
type frame struct {
	obj     bool
	seg     string // path segment leading to this container, e.g. ".spans" or "[3]"
	ctx     string // key of the member holding this container, + "[]" per array level (a span is "spans[]")
	key     string // current member key (objects)
	expect  bool   // object: expecting a key
	n       int    // members or elements written
	traceID bool   // span object: saw a non-empty trace ID
}

// normaliser copies one request at a time from the token stream into out,
// rewriting IDs to hex and legacy keys to current ones.
type normaliser struct {
	name  string
	pr    *posReader
	dec   *json.Decoder
	out   bytes.Buffer
	stack []frame
	start int64 // offset of the current request's '{'
	off0  int64 // absolute offset of the decoder's first byte
}

// in is the absolute input offset of the decoder.
func (n *normaliser) in() int64 { return n.off0 + n.dec.InputOffset() }

// renames maps legacy or Tempo keys to the names pdata understands.
var renames = map[string]string{
	"batches":                       "resourceSpans",
	"instrumentationLibrarySpans":   "scopeSpans",
	"instrumentation_library_spans": "scopeSpans",
	"instrumentationLibrary":        "scope",
	"instrumentation_library":       "scope",
}

// next reads the next top-level request into n.out; it returns false at a
// clean end of input.
func (n *normaliser) next() (bool, error) {
	n.out.Reset()
	n.stack = n.stack[:0]
	for {
		tok, err := n.dec.Token()
		if err != nil {
			if err == io.EOF && len(n.stack) == 0 {
				return false, nil
			}
			return false, n.tokenErr(err)
		}
		if len(n.stack) == 0 {
			if d, ok := tok.(json.Delim); !ok || d != '{' {
				return false, n.errAt(n.tokStart(), "$", fmt.Errorf("want an OTLP request object ({\"resourceSpans\": [...]}), got %s", describe(tok)))
			}
			n.start = n.in() - 1
		}
		if err := n.token(tok); err != nil {
			return false, err
		}
		if len(n.stack) == 0 {
			return true, nil
		}
	}
}

func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "an array"
		}
		if v == '{' {
			return "an object"
		}
		return string(v)
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}

func (n *normaliser) top() *frame { return &n.stack[len(n.stack)-1] }

// maxPathSegs bounds the segments a path names; deeper ones are counted.
const maxPathSegs = 24

// path renders the JSON path of the current value (with extra appended).
// A path deeper than maxPathSegs (only input near codec.MaxJSONDepth has
// one) ends in "…(+N levels)".
func (n *normaliser) path(extra string) string {
	var b bytes.Buffer
	b.WriteByte('$')
	for i := range n.stack {
		if i > maxPathSegs {
			fmt.Fprintf(&b, "…(+%d levels)", len(n.stack)-i)
			return b.String()
		}
		if i > 0 {
			b.WriteString(n.stack[i].seg)
		}
	}
	b.WriteString(extra)
	return b.String()
}

// memberSeg is the path segment of the value about to be read in f.
func (f *frame) memberSeg() string {
	if f.obj {
		return "." + f.key
	}
	return "[" + strconv.Itoa(f.n) + "]"
}

func (n *normaliser) token(tok json.Token) error {
	var f *frame
	if len(n.stack) > 0 {
		f = n.top()
	}
	// An object key.
	if f != nil && f.obj && f.expect {
		if d, ok := tok.(json.Delim); ok && d == '}' {
			return n.close(f)
		}
		key := tok.(string) // json.Decoder guarantees keys are strings
		f.key = key
		f.expect = false
		if f.n > 0 {
			n.out.WriteByte(',')
		}
		out := key
		if r, ok := renames[key]; ok && (key != "batches" || len(n.stack) == 1) {
			out = r
		}
		writeString(&n.out, out)
		n.out.WriteByte(':')
		return nil
	}
	if d, ok := tok.(json.Delim); ok && (d == ']' || d == '}') {
		return n.close(f)
	}
	// A value: an element of an array, a member value, or the top level.
	if f != nil && !f.obj && f.n > 0 {
		n.out.WriteByte(',')
	}
	seg, ctx := "", ""
	if f != nil {
		seg = f.memberSeg()
		if f.obj {
			ctx = f.key
		} else {
			ctx = f.ctx + "[]"
		}
	}
	if f != nil && !f.obj && f.ctx == "spans" {
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			return n.errAt(n.in(), n.path(seg), fmt.Errorf("want a span object, got %s", describe(tok)))
		}
	}
	if f != nil && f.obj {
		if err := checkScalar(f.ctx, f.key, tok); err != nil {
			return n.errAt(n.tokStart(), n.path(seg), err)
		}
	}
	switch v := tok.(type) {
	case json.Delim:
		n.out.WriteByte(byte(v))
		n.stack = append(n.stack, frame{obj: v == '{', seg: seg, ctx: ctx, expect: v == '{'})
		return nil
	case string:
		if f != nil && f.obj {
			if err := n.idValue(f, v); err != nil {
				return err
			}
		} else {
			writeString(&n.out, v)
		}
	case json.Number:
		if f != nil && f.obj && isIDKey(f.key) {
			// A YAML-converted ID of only digits arrives as a number.
			if err := n.idValue(f, v.String()); err != nil {
				return err
			}
		} else {
			n.out.WriteString(v.String())
		}
	case bool:
		n.out.WriteString(strconv.FormatBool(v))
	case nil:
		n.out.WriteString("null")
	}
	n.endValue(f)
	return nil
}

func (n *normaliser) endValue(f *frame) {
	if f == nil {
		return
	}
	f.n++
	if f.obj {
		f.expect = true
	}
}

func (n *normaliser) close(f *frame) error {
	if f.obj {
		n.out.WriteByte('}')
		if f.ctx == "spans[]" {
			if !f.traceID {
				return n.errAt(n.in()-1, n.path(".traceId"), errors.New("span has no trace ID"))
			}
		}
	} else {
		n.out.WriteByte(']')
	}
	n.stack = n.stack[:len(n.stack)-1]
	if len(n.stack) > 0 {
		n.endValue(n.top())
	}
	return nil
}

func isIDKey(k string) bool {
	switch k {
	case "traceId", "trace_id", "spanId", "span_id", "parentSpanId", "parent_span_id":
		return true
	}
	return false
}

// idValue writes a string member value, normalising it when it is an ID
// of a span or link.
func (n *normaliser) idValue(f *frame, v string) error {
	if (f.ctx != "spans[]" && f.ctx != "links[]") || !isIDKey(f.key) {
		writeString(&n.out, v)
		return nil
	}
	size, what := 8, "span ID"
	if f.key == "traceId" || f.key == "trace_id" {
		size, what = 16, "trace ID"
	}
	b, err := decodeID(v, size)
	if err != nil {
		return n.errAt(n.tokStart(), n.path("."+f.key), fmt.Errorf("bad %s: %w", what, err))
	}
	// Only the trace ID is required: the Collector's own golden files hold
	// spans with an empty span ID.
	if f.ctx == "spans[]" && (f.key == "traceId" || f.key == "trace_id") {
		if b == nil || allZero(b) {
			return n.errAt(n.tokStart(), n.path("."+f.key), errors.New("trace ID is empty or all zeros"))
		}
		f.traceID = true
	}
	writeString(&n.out, hex.EncodeToString(b))
	return nil
}

// tokStart finds the offset of the token just read by scanning back from
// its end: to the opening quote of a string, the delimiter itself, or the
// first character of a number or literal.
func (n *normaliser) tokStart() int64 {
	end := n.in()
	switch c := n.pr.byteAt(end - 1); {
	case c == '"':
		for off := end - 2; off >= n.pr.base; off-- {
			if n.pr.byteAt(off) == '"' && n.pr.byteAt(off-1) != '\\' {
				return off
			}
		}
	case c == '{' || c == '[':
		return end - 1
	default:
		off := end
		for off > n.pr.base && isLiteralByte(n.pr.byteAt(off-1)) {
			off--
		}
		return off
	}
	return end
}

func isLiteralByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '+' || c == '-'
}

func (n *normaliser) tokenErr(err error) error {
	off := n.in()
	var se *json.SyntaxError
	var depth *jsonpos.DepthError
	switch {
	case errors.As(err, &depth):
		return n.errAt(depth.Offset, n.pathOrEmpty(), depth)
	case errors.As(err, &se):
		return n.errAt(off, "", fmt.Errorf("invalid JSON: %s", se.Error()))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		// json.Decoder.Token reports a value cut short as a plain EOF.
		return n.errAt(n.pr.base+int64(len(n.pr.buf)), n.pathOrEmpty(), errors.New("unexpected end of input (truncated?)"))
	}
	// A read error (e.g. a corrupt compressed stream).
	return &codec.DecodeError{File: n.name, Offset: n.pr.base + int64(len(n.pr.buf)), Err: err}
}

func (n *normaliser) pathOrEmpty() string {
	if len(n.stack) == 0 {
		return ""
	}
	return n.path("")
}

func (n *normaliser) errAt(off int64, path string, err error) *codec.DecodeError {
	line, col := n.pr.pos(off)
	return &codec.DecodeError{File: n.name, Line: line, Col: col, Offset: off, Path: path, Err: err}
}

// writeString writes s as a JSON string. s comes from json.Decoder, so it
// is valid UTF-8; only quotes, backslashes and control characters need
// escaping.
func writeString(b *bytes.Buffer, s string) {
	const hexDigits = "0123456789abcdef"
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
		}
		start = i + 1
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

var (
	spanKinds   = []string{"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"}
	statusCodes = []string{"STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"}
)

// checkScalar checks the scalar fields pdata would reject, so that the
// error names the exact position instead of the request: times, counts,
// integers and enums. ctx is the key holding the enclosing object.
func checkScalar(ctx, key string, tok json.Token) error {
	var text string
	switch v := tok.(type) {
	case string:
		text = v
	case json.Number:
		text = v.String()
	case json.Delim, bool:
		if isScalarKey(ctx, key) {
			return fmt.Errorf("want a number or string, got %s", describe(tok))
		}
		return nil
	default: // null: the default value, as in protojson
		return nil
	}
	switch key {
	case "startTimeUnixNano", "start_time_unix_nano", "endTimeUnixNano", "end_time_unix_nano", "timeUnixNano", "time_unix_nano":
		ns, err := strconv.ParseUint(text, 10, 64)
		if err != nil {
			return fmt.Errorf("bad time %q: want Unix nanoseconds", text)
		}
		if ns > math.MaxInt64 {
			return fmt.Errorf("bad time %s: after %s, the last time Unix nanoseconds hold", text, time.Unix(0, math.MaxInt64).UTC().Format(time.RFC3339))
		}
	case "droppedAttributesCount", "dropped_attributes_count", "droppedEventsCount", "dropped_events_count", "droppedLinksCount", "dropped_links_count":
		if _, err := strconv.ParseUint(text, 10, 32); err != nil {
			return fmt.Errorf("bad count %q", text)
		}
	case "intValue", "int_value":
		if _, err := strconv.ParseInt(text, 10, 64); err != nil {
			return fmt.Errorf("bad intValue %q", text)
		}
	case "kind":
		if ctx == "spans[]" {
			return checkEnum(text, spanKinds, "span kind")
		}
	case "code":
		if ctx == "status" {
			return checkEnum(text, statusCodes, "status code")
		}
	}
	return nil
}

// isScalarKey reports whether key must hold a number or string.
func isScalarKey(ctx, key string) bool {
	switch key {
	case "startTimeUnixNano", "start_time_unix_nano", "endTimeUnixNano", "end_time_unix_nano", "timeUnixNano", "time_unix_nano",
		"droppedAttributesCount", "dropped_attributes_count", "droppedEventsCount", "dropped_events_count", "droppedLinksCount", "dropped_links_count",
		"intValue", "int_value":
		return true
	case "kind":
		return ctx == "spans[]"
	case "code":
		return ctx == "status"
	}
	return false
}

func checkEnum(text string, names []string, what string) error {
	if n, err := strconv.ParseInt(text, 10, 32); err == nil {
		if n < 0 || int(n) >= len(names) {
			return fmt.Errorf("bad %s %d: want 0 to %d or one of %s", what, n, len(names)-1, strings.Join(names, ", "))
		}
		return nil
	}
	for _, n := range names {
		if text == n {
			return nil
		}
	}
	return fmt.Errorf("bad %s %q: want a number or one of %s", what, text, strings.Join(names, ", "))
}
