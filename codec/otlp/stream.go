package otlp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/internal/jsonpos"
	"github.com/tracectl/tracectl/model"
)

// Chunks: the spans of one scope are decoded this many at a time, or
// fewer once their JSON passes chunkBytes. A batch is emitted once it
// holds chunkSpans spans, and at the end of each request.
const (
	chunkSpans = 1000
	chunkBytes = 4 << 20
)

// streamer reads OTLP/JSON requests without holding a whole request. A
// normaliser (sn) walks the structure — request objects, their
// resourceSpans and scopeSpans — token by token, checking it against the
// schema and keeping the JSON path; the values below it are read whole
// ("leaves"): a resource, a scope or a schema URL is normalised at once
// (they are small), and spans are gathered into chunks. A chunk is decoded
// as pdata would decode a request made of the chunk's resource, scope and
// spans, as pdata would have decoded them in the whole request: by
// jsonDecoder, or by pdata on such a request where jsonDecoder declines.
//
// A chunk waits until its resource and scope are known: until their key
// has been read, or their object has ended without one. Every exporter
// writes resource and scope before the spans, so chunks rarely wait; in
// a file that writes them after, a scope's spans are held until its end.
// A resource or scope key repeated after spans that used the first one is
// an error (pdata merges repeated keys, which a stream cannot do).
type streamer struct {
	sn       *normaliser
	emit     codec.EmitFunc
	fast     bool
	direct   *jsonDecoder // the fast path's decoder, made on first use
	requests int

	rs    *rsState // the resourceSpans element being read
	ss    *ssState // the scopeSpans element being read
	cur   *chunk   // spans of ss not yet in the queue
	queue []*chunk // chunks waiting for their resource or scope
	spare []byte   // the bytes of a decoded chunk, for the next one (spanBytes)

	spanCtx []frame // ctx of the spans read since the last structure token

	dry      bool        // decode without adding to out (pendingErr)
	out      codec.Batch // decoded, not yet emitted
	outSpans int
	outRS    *rsState // the elements out's last entries came from
	outSS    *ssState
}

// member is a normalised member of a resourceSpans or scopeSpans object
// that pdata is to see: resource, scope, schemaUrl.
type member struct {
	name string // lowerCamelCase
	json []byte
}

type rsState struct {
	members []member
	known   bool // the resource member was read
	ended   bool
	decoded bool // a chunk of this element was decoded
}

type ssState struct {
	rs      *rsState
	members []member
	known   bool // the scope member was read
	ended   bool
	decoded bool
}

// leaf is a value read whole, with where it starts and the normaliser
// stack it is read in (for the normaliser and for error paths; see
// stack).
type leaf struct {
	raw       []byte
	start     int64
	line, col int
	ctx       []frame // shared by the spans of an array (see streamer.spanCtx)
	index     int     // the n of ctx's last frame when the leaf was read
}

// stack returns the normaliser stack the leaf was read in. The spans of
// an array share ctx, whose frames differ only in the array's n; a copy
// per span cost as much as reading the span.
func (l *leaf) stack() []frame {
	st := append([]frame(nil), l.ctx...)
	st[len(st)-1].n = l.index
	return st
}

type chunk struct {
	rs    *rsState
	ss    *ssState
	spans []leaf
	bytes int
	buf   []byte // the spans' bytes, back to back (see spanBytes)
}

func newStreamer(name string, pr *posReader, emit codec.EmitFunc, fast bool) *streamer {
	return &streamer{sn: &normaliser{name: name, pr: pr, dec: newTokenizer(pr)}, emit: emit, fast: fast}
}

// run reads every request. An input error is reported after any error in
// the spans before it (still queued), so errors come in input order.
func (s *streamer) run() error {
	err := s.read()
	var ee *emitErr
	if errors.As(err, &ee) {
		return ee.err
	}
	if err != nil && (len(s.queue) > 0 || s.cur != nil) {
		if perr := s.pendingErr(); perr != nil {
			return perr
		}
	}
	return err
}

// emitErr marks an error from emit, returned as it is.
type emitErr struct{ err error }

func (e *emitErr) Error() string { return e.err.Error() }

// pendingErr decodes the chunks not yet decoded, only to find an error.
func (s *streamer) pendingErr() error {
	pending := s.queue
	if s.cur != nil {
		pending = append(pending, s.cur)
	}
	s.dry = true
	for _, c := range pending {
		if err := s.decode(c); err != nil {
			return err
		}
	}
	return nil
}

func (s *streamer) read() error {
	sn := s.sn
	for {
		if key, ok := s.leafNext(); ok {
			if err := s.readLeaf(key); err != nil {
				return err
			}
			continue
		}
		depth := len(sn.stack)
		var closing frame
		if depth > 0 {
			closing = *sn.top()
		}
		tok, err := sn.readToken()
		if err != nil {
			if err == io.EOF && depth == 0 {
				return nil
			}
			return sn.tokenErr(err)
		}
		if depth == 0 {
			if d, ok := tok.(json.Delim); !ok || d != '{' {
				return sn.errAt(sn.tokStart(), "$", fmt.Errorf("want an OTLP request object ({\"resourceSpans\": [...]}), got %s", describe(tok)))
			}
			s.requests++
		}
		if err := sn.token(tok); err != nil {
			return err
		}
		sn.out.Reset()
		s.spanCtx = nil
		switch {
		case depth == 0: // a request opened: the root frame
			sn.top().msg = mRequest
		case len(sn.stack) > depth: // an object or array opened
			if f := sn.top(); f.obj && f.msg == mResourceSpans {
				s.rs = &rsState{}
			} else if f.obj && f.msg == mScopeSpans {
				s.ss = &ssState{rs: s.rs}
			}
		case len(sn.stack) < depth && closing.obj: // an object closed
			if err := s.closed(closing.msg); err != nil {
				return err
			}
		}
		if len(sn.stack) == 0 {
			if err := s.endRequest(); err != nil {
				return err
			}
		}
		sn.pr.release(sn.in())
	}
}

// leafNext reports whether the next value is a leaf, and for a member
// its field name ("" for a span or an unknown member).
func (s *streamer) leafNext() (string, bool) {
	sn := s.sn
	if len(sn.stack) == 0 {
		return "", false
	}
	f := sn.top()
	if !f.obj {
		return "", f.msg == mSpan && sn.more()
	}
	if f.expect {
		return "", false
	}
	name, _, known := fieldOf(f.msg, f.key)
	switch f.msg {
	case mRequest:
		return "", !known
	case mResourceSpans, mScopeSpans:
		if known && name != "scopeSpans" && name != "spans" {
			return name, true
		}
		return "", !known
	}
	return "", false
}

// readLeaf reads the next value whole: a span into the current chunk, a
// resource, scope or schemaUrl normalised into its element's members;
// unknown members are dropped (pdata skips them).
func (s *streamer) readLeaf(name string) error {
	sn := s.sn
	f := sn.top()
	// The spans of an array share one copy of the stack (see leaf.stack).
	l := leaf{ctx: s.spanCtx, index: f.n}
	if l.ctx == nil || f.obj {
		l.ctx = append([]frame(nil), sn.stack...)
	}
	if !f.obj {
		s.spanCtx = l.ctx
	}
	before := sn.in()
	raw, err := sn.dec.ReadValue()
	if err != nil {
		return s.leafErr(err, before, &l)
	}
	// raw is the tokenizer's buffer: a span's bytes go to its chunk's.
	if !f.obj {
		l.raw = s.spanBytes(raw)
	} else {
		l.raw = append([]byte(nil), raw...)
	}
	l.start = sn.in() - int64(len(l.raw))
	l.line, l.col = sn.pr.pos(l.start)
	sn.endValue(f)
	switch {
	case !f.obj:
		if err := s.addSpan(l); err != nil {
			return err
		}
	case name != "":
		b, err := s.normalise(&l)
		if err != nil {
			return err
		}
		var st *bool
		var decoded bool
		members := &s.rs.members
		switch f.msg {
		case mResourceSpans:
			st, decoded = &s.rs.known, s.rs.decoded
		case mScopeSpans:
			st, decoded, members = &s.ss.known, s.ss.decoded, &s.ss.members
		}
		if name == "resource" || name == "scope" {
			if decoded {
				return sn.errAt(l.start, sn.path(f.memberSeg()), fmt.Errorf("repeated key %q after spans that took the first one (JSON keys should be unique; the input is read as a stream)", f.key))
			}
			*st = true
		}
		*members = append(*members, member{name: name, json: b})
		if err := s.drain(); err != nil {
			return err
		}
	}
	sn.pr.release(sn.in())
	return nil
}

// leafErr positions an error met reading a leaf: the leaf is normalised
// again from its start, which finds the syntax error, the cut or the
// nesting past the limit with its line, column and path. It reads the
// bytes kept and then on from the input, so that where the tokenizer
// happened to stop reading ahead does not matter.
func (s *streamer) leafErr(err error, from int64, at *leaf) error {
	sn := s.sn
	var se *jsontext.SyntacticError
	var depth *jsonpos.LimitError
	if !errors.As(err, &se) && !errors.As(err, &depth) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		// A read error, e.g. a corrupt compressed stream.
		return sn.tokenErr(err)
	}
	start := from
	for c, ok := sn.pr.readAt(start); ok && (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == ':'); c, ok = sn.pr.readAt(start) {
		start++
	}
	l := leaf{raw: sn.pr.from(start), start: start, ctx: at.ctx, index: at.index}
	l.line, l.col = sn.pr.pos(start)
	r := io.MultiReader(bytes.NewReader(l.raw), sn.pr)
	if _, nerr := s.normaliseFrom(&l, r); nerr != nil {
		return nerr
	}
	// The value read whole where it was cut: a stray ',' or ':' before it.
	msg := err.Error()
	if se != nil {
		msg = sn.syntaxMsg(se, start)
	}
	return sn.errAt(start, sn.path(sn.top().memberSeg()), fmt.Errorf("invalid JSON: %s", msg))
}

// normalise checks a leaf and rewrites it for pdata (see normaliser).
func (s *streamer) normalise(l *leaf) ([]byte, error) {
	return s.normaliseFrom(l, bytes.NewReader(l.raw))
}

func (s *streamer) normaliseFrom(l *leaf, r io.Reader) ([]byte, error) {
	pr := &posReader{r: r, base: l.start, line: l.line, col: l.col}
	n := &normaliser{name: s.sn.name, pr: pr, dec: newTokenizer(pr), stack: l.stack(), base: len(l.ctx), off0: l.start}
	for {
		tok, err := n.readToken()
		if err != nil {
			return nil, n.tokenErr(err)
		}
		if err := n.token(tok); err != nil {
			return nil, err
		}
		if len(n.stack) == n.base {
			return n.out.Bytes(), nil
		}
	}
}

// spanBytes copies the bytes of a span into the current chunk's buffer,
// starting the chunk if there is none. A chunk's spans share one buffer,
// which is reused once the chunk is decoded (nothing decoded points into
// it): one allocation per chunk rather than one per span.
func (s *streamer) spanBytes(raw []byte) []byte {
	if s.cur == nil {
		s.cur = &chunk{rs: s.rs, ss: s.ss, buf: s.spare}
		s.spare = nil
	}
	c := s.cur
	n := len(c.buf)
	c.buf = append(c.buf, raw...)
	return c.buf[n:len(c.buf):len(c.buf)]
}

// addSpan adds a span, whose bytes spanBytes copied, to the current
// chunk, queueing the chunk when full.
func (s *streamer) addSpan(l leaf) error {
	s.cur.spans = append(s.cur.spans, l)
	s.cur.bytes += len(l.raw)
	if len(s.cur.spans) < chunkSpans && s.cur.bytes < chunkBytes {
		return nil
	}
	s.queue = append(s.queue, s.cur)
	s.cur = nil
	return s.drain()
}

// closed handles the end of an object of type m.
func (s *streamer) closed(m msg) error {
	switch m {
	case mScopeSpans:
		if s.cur != nil {
			s.queue = append(s.queue, s.cur)
			s.cur = nil
		}
		s.ss.ended = true
		s.ss = nil
	case mResourceSpans:
		s.rs.ended = true
		s.rs = nil
	default:
		return nil
	}
	return s.drain()
}

// drain decodes the queued chunks whose resource and scope are known.
func (s *streamer) drain() error {
	for len(s.queue) > 0 {
		c := s.queue[0]
		if !(c.rs.known || c.rs.ended) || !(c.ss.known || c.ss.ended) {
			return nil
		}
		s.queue[0] = nil
		s.queue = s.queue[1:]
		c.rs.decoded, c.ss.decoded = true, true
		if err := s.decode(c); err != nil {
			return err
		}
		if cap(c.buf) > cap(s.spare) {
			s.spare = c.buf[:0]
		}
	}
	return nil
}

// decode decodes a chunk: its spans as they are (the fast path), or
// normalised, with pdata, when the fast path or the span checks refuse
// them.
func (s *streamer) decode(c *chunk) error {
	if s.fast {
		if rs, ok := s.decodeAsIs(c); ok {
			return s.add(c, rs)
		}
	}
	spans := make([][]byte, len(c.spans))
	for i := range c.spans {
		b, err := s.normalise(&c.spans[i])
		if err != nil {
			return err
		}
		spans[i] = b
	}
	first := &c.spans[0]
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(chunkRequest(c, spans))
	if err != nil {
		// The normaliser checks what pdata reads; this is a backstop.
		return s.leafErrAt(first, "", fmt.Errorf("invalid OTLP request: %w", err))
	}
	b := FromPdata(td)
	if len(b) != 1 || len(b[0].ScopeSpans) != 1 || len(b[0].ScopeSpans[0].Spans) != len(c.spans) {
		return s.leafErrAt(first, "", errors.New("internal error: pdata did not decode the chunk as one scope of spans"))
	}
	if k, field, err := badSpan(b[0].ScopeSpans[0].Spans); k >= 0 {
		return s.leafErrAt(&c.spans[k], field, err)
	}
	return s.add(c, b[0])
}

// decodeAsIs decodes a chunk's spans as they are, with the direct
// decoder or, where it declines, with pdata; ok is false when neither
// takes them or a span fails the span checks.
func (s *streamer) decodeAsIs(c *chunk) (model.ResourceSpans, bool) {
	if s.direct == nil {
		s.direct = newJSONDecoder()
	}
	rs, ok := s.direct.chunk(c)
	if !ok {
		rs, ok = pdataAsIs(c)
	}
	if !ok {
		return rs, false
	}
	k, _, _ := badSpan(rs.ScopeSpans[0].Spans)
	return rs, k < 0
}

// pdataAsIs decodes a chunk's spans as they are with pdata (and
// FromPdata); ok is false when pdata refuses them or their bytes are not
// valid UTF-8 (which pdata keeps and the normaliser replaces).
func pdataAsIs(c *chunk) (model.ResourceSpans, bool) {
	spans := make([][]byte, len(c.spans))
	for i := range c.spans {
		spans[i] = c.spans[i].raw
	}
	doc := chunkRequest(c, spans)
	if !utf8.Valid(doc) {
		return model.ResourceSpans{}, false
	}
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(doc)
	if err != nil {
		return model.ResourceSpans{}, false
	}
	b := FromPdata(td)
	if len(b) != 1 || len(b[0].ScopeSpans) != 1 || len(b[0].ScopeSpans[0].Spans) != len(c.spans) {
		return model.ResourceSpans{}, false
	}
	return b[0], true
}

// leafErrAt is an error at the start of leaf l, with field appended to
// its path.
func (s *streamer) leafErrAt(l *leaf, field string, err error) error {
	n := &normaliser{stack: l.stack()}
	path := n.path(n.top().memberSeg() + field)
	return &codec.DecodeError{File: s.sn.name, Line: l.line, Col: l.col, Offset: l.start, Path: path, Err: err}
}

// chunkRequest renders the request pdata decodes a chunk in.
func chunkRequest(c *chunk, spans [][]byte) []byte {
	var b bytes.Buffer
	n := 64
	for _, sp := range spans {
		n += len(sp) + 1
	}
	b.Grow(n)
	b.WriteString(`{"resourceSpans":[{`)
	writeMembers(&b, c.rs.members)
	b.WriteString(`"scopeSpans":[{`)
	writeMembers(&b, c.ss.members)
	b.WriteString(`"spans":[`)
	for i, sp := range spans {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(sp)
	}
	b.WriteString(`]}]}]}`)
	return b.Bytes()
}

func writeMembers(b *bytes.Buffer, ms []member) {
	for _, m := range ms {
		writeString(b, m.name)
		b.WriteByte(':')
		b.Write(m.json)
		b.WriteByte(',')
	}
}

// add appends a decoded chunk (one resource, one scope) to out, into the
// entries of the same resourceSpans and scopeSpans element when they are
// the last ones, so that a request small enough for one chunk per scope
// gives the batch pdata gives for the whole request.
func (s *streamer) add(c *chunk, rs model.ResourceSpans) error {
	if s.dry {
		return nil
	}
	ss := rs.ScopeSpans[0]
	switch {
	case len(s.out) > 0 && s.outRS == c.rs && s.outSS == c.ss:
		last := &s.out[len(s.out)-1].ScopeSpans
		(*last)[len(*last)-1].Spans = append((*last)[len(*last)-1].Spans, ss.Spans...)
	case len(s.out) > 0 && s.outRS == c.rs:
		last := &s.out[len(s.out)-1]
		last.ScopeSpans = append(last.ScopeSpans, ss)
	default:
		s.out = append(s.out, rs)
	}
	s.outRS, s.outSS = c.rs, c.ss
	s.outSpans += len(ss.Spans)
	if s.outSpans >= chunkSpans {
		return s.flush()
	}
	return nil
}

// flush emits out.
func (s *streamer) flush() error {
	b := s.out
	s.out, s.outSpans, s.outRS, s.outSS = nil, 0, nil, nil
	if len(b) == 0 {
		return nil
	}
	if err := s.emit(b); err != nil {
		return &emitErr{err}
	}
	return nil
}

// endRequest decodes what is left of a request and emits it.
func (s *streamer) endRequest() error {
	if err := s.drain(); err != nil {
		return err
	}
	return s.flush()
}

// badSpan finds the first span the model cannot take: its index, the
// field at fault (".traceId") and why; -1 when all are fine.
func badSpan(spans []model.Span) (int, string, error) {
	for k := range spans {
		if field, err := checkSpan(&spans[k]); err != nil {
			return k, field, err
		}
	}
	return -1, "", nil
}
