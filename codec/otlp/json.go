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

	"github.com/go-json-experiment/json/jsontext"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/internal/jsonpos"
)

// DecodeJSON decodes OTLP/JSON: one request object
// ({"resourceSpans": [...]} or Tempo's {"batches": [...]}) or a stream of
// them such as the file exporter's JSON lines. IDs may be hex or base64,
// enums names or numbers.
//
// A request is read as a stream (see streamer): its spans are decoded a
// chunk at a time, so memory is bounded by a chunk of spans, not by the
// request or the file. A small request is emitted as one batch; a large
// one as several, each ending at a chunk. Errors are *codec.DecodeError
// with line, column and the JSON path of the offending value; a span whose
// trace ID is missing, all zeros or of the wrong length is an error.
func DecodeJSON(name string, r io.Reader, emit codec.EmitFunc) error {
	return decodeJSON(name, r, emit, true)
}

// decodeJSON reads requests with the fast path (jsonDecoder, or pdata,
// straight on a chunk's bytes) or, when fast is false, only with the
// normaliser. The
// fast path falls back to the normaliser for any chunk it cannot take as
// is (base64 IDs, anything pdata or the ID check rejects), so both give
// the same batches and the same positioned errors.
func decodeJSON(name string, r io.Reader, emit codec.EmitFunc, fast bool) error {
	br := bufio.NewReader(r)
	head, _ := br.Peek(3)
	bom := bytes.Equal(head, utf8BOM)
	if bom {
		br.Discard(3) // offsets count from after the BOM
	}
	g := jsonpos.NewGuardReader(br, codec.MaxJSONDepth)
	pr := &posReader{r: g, line: 1, col: 1}
	s := newStreamer(name, pr, emit, fast)
	if err := s.run(); err != nil {
		return err
	}
	if s.requests == 0 {
		return &codec.DecodeError{File: name, Offset: -1, Err: errors.New("empty input: no OTLP JSON object")}
	}
	if w := jsonpos.UTF8Warning(name, g); w != nil {
		if bom {
			w.Offset += 3
		}
		codec.Warn(r, w)
	}
	return nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// posReader remembers the bytes read since the start of the current request
// so that a byte offset can be turned into a line and column.
type posReader struct {
	r         io.Reader
	base      int64 // absolute offset of buf[0]
	line, col int   // position of buf[0]
	buf       []byte

	memo              int64 // offset pos last returned a position for
	memoLine, memoCol int
}

func (p *posReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.buf = append(p.buf, b[:n]...)
	return n, err
}

// release forgets the bytes before absolute offset off. It does so only
// once they are many (32 KiB), so that releasing after every token costs
// no copying of the bytes read ahead.
func (p *posReader) release(off int64) {
	k := off - p.base
	if k < 32<<10 {
		return
	}
	if k > int64(len(p.buf)) {
		k = int64(len(p.buf))
	}
	p.line, p.col = p.advance(p.buf[:k])
	p.buf = p.buf[:copy(p.buf, p.buf[k:])]
	p.base += k
}

// from returns a copy of the bytes read from absolute offset off on.
func (p *posReader) from(off int64) []byte {
	k := off - p.base
	if k < 0 || k > int64(len(p.buf)) {
		return nil
	}
	return append([]byte(nil), p.buf[k:]...)
}

func (p *posReader) advance(b []byte) (line, col int) {
	return lineCol(b, p.line, p.col)
}

// pos returns the 1-based line and column of absolute offset off. It
// goes on from the offset last asked about when it can, so asking about
// every span of a long line costs one pass over it.
func (p *posReader) pos(off int64) (line, col int) {
	k := off - p.base
	if k < 0 {
		return p.line, p.col
	}
	if k > int64(len(p.buf)) {
		k = int64(len(p.buf))
		off = p.base + k
	}
	from, line, col := p.base, p.line, p.col
	if p.memoLine > 0 && p.memo >= p.base && p.memo <= off {
		from, line, col = p.memo, p.memoLine, p.memoCol
	}
	line, col = lineCol(p.buf[from-p.base:k], line, col)
	p.memo, p.memoLine, p.memoCol = off, line, col
	return line, col
}

// lineCol returns the line and column after b, which starts at line:col.
// bytes.Count and LastIndexByte run in wide words, not byte by byte.
func lineCol(b []byte, line, col int) (int, int) {
	nl := bytes.Count(b, []byte{'\n'})
	if nl == 0 {
		return line, col + len(b)
	}
	return line + nl, len(b) - bytes.LastIndexByte(b, '\n')
}

// skipSpace returns the offset of the first byte from off on that is not
// JSON whitespace (or the end of the bytes kept).
func (p *posReader) skipSpace(off int64) int64 {
	for c := p.byteAt(off); c == ' ' || c == '\t' || c == '\r' || c == '\n'; c = p.byteAt(off) {
		off++
	}
	return off
}

// next returns the first byte from absolute offset off on that is not
// JSON whitespace; ok is false when the bytes kept end before one.
func (p *posReader) next(off int64) (c byte, ok bool) {
	k := p.skipSpace(off) - p.base
	if k < 0 || k >= int64(len(p.buf)) {
		return 0, false
	}
	return p.buf[k], true
}

// readAt returns the byte at absolute offset off, reading on from the
// input when it is past the bytes kept; ok is false at the end of the
// input or at a read error.
func (p *posReader) readAt(off int64) (c byte, ok bool) {
	var chunk [512]byte
	for off-p.base >= int64(len(p.buf)) {
		if n, err := p.Read(chunk[:]); n == 0 && err != nil {
			return 0, false
		}
	}
	if off < p.base {
		return 0, false
	}
	return p.buf[off-p.base], true
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
	msg     msg    // object: its OTLP message type; array: its elements'; mNone when unknown
	key     string // current member key (objects), as written
	expect  bool   // object: expecting a key
	n       int    // members or elements written
	traceID bool   // span object: saw a non-empty trace ID
}

// newTokenizer returns the JSON tokenizer the streamer and the normaliser
// read with. Like encoding/json, it takes repeated keys and invalid UTF-8
// (replaced with U+FFFD in strings; the guard counts it for the warning);
// unlike encoding/json's Decoder, it reads a value whole in one pass.
func newTokenizer(r io.Reader) *jsontext.Decoder {
	return jsontext.NewDecoder(r, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
}

// normaliser copies JSON values from a token stream into out, rewriting
// IDs to hex and legacy keys to current ones, and checks every known field
// against the OTLP schema so that a wrong value is reported where it is,
// with its JSON path. The streamer runs one over the structure of the
// input, and one over each value it hands to pdata when pdata cannot take
// the value as it is (see streamer.normalise).
type normaliser struct {
	name  string
	pr    *posReader
	dec   *jsontext.Decoder
	out   bytes.Buffer
	stack []frame
	base  int   // frames below the value being normalised (streamer.normalise)
	off0  int64 // absolute offset of the decoder's first byte
}

// in is the absolute input offset of the decoder.
func (n *normaliser) in() int64 { return n.off0 + n.dec.InputOffset() }

// readToken reads the next token as encoding/json's Decoder.Token gave it
// (json.Delim, string, json.Number, bool or nil), which the schema checks
// and describe take.
func (n *normaliser) readToken() (json.Token, error) {
	t, err := n.dec.ReadToken()
	if err != nil {
		return nil, err
	}
	switch k := t.Kind(); k {
	case '{', '}', '[', ']':
		return json.Delim(k), nil
	case '"':
		return t.String(), nil
	case '0':
		return json.Number(t.String()), nil
	case 't', 'f':
		return t.Bool(), nil
	}
	return nil, nil // null
}

// more reports whether the current array has another element, as
// encoding/json's Decoder.More did: the next byte that is not whitespace
// is there and closes nothing (a ',' counts, and so does a bad byte).
func (n *normaliser) more() bool {
	n.dec.PeekKind() // reads on to the next token; an error waits for the next read
	c, ok := n.pr.next(n.in())
	return ok && c != ']' && c != '}'
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
		key := tok.(string) // the tokenizer guarantees keys are strings
		f.key = key
		f.expect = false
		if f.n > 0 {
			n.out.WriteByte(',')
		}
		out := key
		if name, _, ok := fieldOf(f.msg, key); ok {
			out = name
		} else if key == "" {
			// pdata (jsoniter) takes an empty key for the end of the
			// object and misreads the rest; any unknown key is skipped.
			out = "_"
		}
		writeString(&n.out, out)
		n.out.WriteByte(':')
		return nil
	}
	if d, ok := tok.(json.Delim); ok && (d == ']' || d == '}') {
		return n.close(f)
	}
	// A value: an element of an array, a member value, or the top level.
	if f != nil && !f.obj && f.n > 0 && len(n.stack) > n.base {
		n.out.WriteByte(',')
	}
	seg, child := "", mNone
	var fld field
	known := false
	if f != nil {
		seg = f.memberSeg()
		if f.obj {
			var name string
			if name, fld, known = fieldOf(f.msg, f.key); known {
				if err := checkField(f.msg, name, fld, tok); err != nil {
					return n.errAt(n.tokStart(), n.path(seg), err)
				}
				child = fld.msg
			}
		} else if child = f.msg; child == mSpan {
			if d, ok := tok.(json.Delim); !ok || d != '{' {
				return n.errAt(n.in(), n.path(seg), fmt.Errorf("want a span object, got %s", describe(tok)))
			}
		} else if child != mNone {
			if d, ok := tok.(json.Delim); tok != nil && (!ok || d != '{') {
				return n.errAt(n.tokStart(), n.path(seg), fmt.Errorf("want an object, got %s", describe(tok)))
			}
		}
	}
	switch v := tok.(type) {
	case json.Delim:
		n.out.WriteByte(byte(v))
		n.stack = append(n.stack, frame{obj: v == '{', seg: seg, msg: child, expect: v == '{'})
		return nil
	case string:
		if known && fld.kind == kID {
			if err := n.idValue(f, v); err != nil {
				return err
			}
		} else {
			writeString(&n.out, v)
		}
	case json.Number:
		n.out.WriteString(v.String())
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
		if f.msg == mSpan && !f.traceID {
			return n.errAt(n.in()-1, n.path(".traceId"), errors.New("span has no trace ID"))
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

// idValue writes the ID member value v of the span or link f, as hex.
func (n *normaliser) idValue(f *frame, v string) error {
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
	if f.msg == mSpan && size == 16 {
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
	var se *jsontext.SyntacticError
	var depth *jsonpos.LimitError
	switch {
	case errors.As(err, &depth):
		return n.errAt(depth.Offset, n.pathOrEmpty(), depth)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		if off, ok := n.nonStringName(); ok {
			return n.errAt(off, "", errors.New("invalid JSON: object member name must be a string"))
		}
		// jsontext reports a value cut short as a syntax error wrapping
		// io.ErrUnexpectedEOF.
		return n.errAt(n.pr.base+int64(len(n.pr.buf)), n.pathOrEmpty(), errors.New("unexpected end of input (truncated?)"))
	case errors.As(err, &se):
		off := n.syntaxErrOff()
		return n.errAt(off, "", fmt.Errorf("invalid JSON: %s", n.syntaxMsg(se, off)))
	}
	// A read error (e.g. a corrupt compressed stream), which jsontext
	// wraps in its own.
	if inner := errors.Unwrap(err); inner != nil {
		err = inner
	}
	return &codec.DecodeError{File: n.name, Offset: n.pr.base + int64(len(n.pr.buf)), Err: err}
}

// syntaxErrOff is where a syntax error is reported: at the start of the
// token that could not be read, which is the first byte after the last
// token read, its whitespace and the ',' or ':' expected after it (where
// encoding/json reported it; jsontext points at the bad byte inside the
// token).
func (n *normaliser) syntaxErrOff() int64 {
	off := n.pr.skipSpace(n.in())
	if sep := n.separator(); sep != 0 && n.pr.byteAt(off) == sep {
		off = n.pr.skipSpace(off + 1)
	}
	return off
}

// nonStringName reports where a member name is due and something else
// than a string (or the object's end) starts. jsontext reads that token
// before it checks it, so one cut by the end of the input (`{-`) fails
// as a cut; encoding/json failed at its first byte, as this does.
func (n *normaliser) nonStringName() (int64, bool) {
	depth := n.dec.StackDepth()
	if depth == 0 {
		return 0, false
	}
	if kind, length := n.dec.StackIndex(depth); kind != '{' || length%2 == 1 {
		return 0, false
	}
	off := n.syntaxErrOff()
	c, ok := n.pr.next(off)
	return off, ok && c != '"' && c != '}'
}

// separator is the ',' or ':' the tokenizer expects before the next
// token, or 0.
func (n *normaliser) separator() byte {
	depth := n.dec.StackDepth()
	if depth == 0 {
		return 0
	}
	kind, length := n.dec.StackIndex(depth)
	switch {
	case length == 0:
		return 0
	case kind == '{' && length%2 == 1:
		return ':'
	}
	return ','
}

// syntaxMsg words a syntax error reported at off: jsontext's text without
// its prefix and its own offset and pointer (the error has both), or, for
// a ',' before a closing bracket (jsontext points at the comma), what
// follows it.
func (n *normaliser) syntaxMsg(se *jsontext.SyntacticError, off int64) string {
	closer := n.pr.byteAt(off)
	if at := n.off0 + se.ByteOffset; at < off && n.pr.byteAt(at) == ',' && (closer == ']' || closer == '}') {
		return fmt.Sprintf("trailing comma before %q", closer)
	}
	if se.Err == nil {
		return "syntax error"
	}
	return se.Err.Error()
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

// writeString writes s as a JSON string. s comes from the tokenizer, so it
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

// checkTime checks Unix nanoseconds: decimal, and not past what an int64
// of nanoseconds holds.
func checkTime(text string) error {
	ns, err := strconv.ParseUint(text, 10, 64)
	if err != nil {
		return fmt.Errorf("bad time %s: want Unix nanoseconds", clipQuote(text))
	}
	if ns > math.MaxInt64 {
		return fmt.Errorf("bad time %s: after %s, the last time Unix nanoseconds hold", text, time.Unix(0, math.MaxInt64).UTC().Format(time.RFC3339))
	}
	return nil
}

// checkEnum checks an enum value: a JSON number in range, or one of the
// names (pdata refuses a number written as a string).
func checkEnum(tok json.Token, text string, names []string, what string) error {
	if _, isNum := tok.(json.Number); isNum {
		n, err := strconv.ParseInt(text, 10, 32)
		if err != nil || n < 0 || int(n) >= len(names) {
			return fmt.Errorf("bad %s %s: want 0 to %d or one of %s", what, text, len(names)-1, strings.Join(names, ", "))
		}
		return nil
	}
	for _, n := range names {
		if text == n {
			return nil
		}
	}
	return fmt.Errorf("bad %s %s: want a number or one of %s", what, clipQuote(text), strings.Join(names, ", "))
}
