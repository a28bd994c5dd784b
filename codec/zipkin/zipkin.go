package zipkin

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/internal/jsonpos"
	"github.com/tracectl/tracectl/model"
)

// chunkSize is how many spans are gathered into one emitted Batch.
const chunkSize = 1000

// DecodeV1 decodes Zipkin v1 JSON from r: an array of spans, an array of
// such arrays (several POST bodies), a single span object, or several of
// these one after another. Spans are emitted in batches of up to 1000, in
// input order.
func DecodeV1(name string, r io.Reader, emit codec.EmitFunc) error {
	return decode(name, r, emit, v1Span)
}

// DecodeV2 decodes Zipkin v2 JSON from r: an array of spans, a single span
// object, arrays of arrays, or several of these one after another.
//
// Most spans are read by fastV2; the others, and every error, go through
// zipkin-go's model and the Collector's translator (v2Span).
func DecodeV2(name string, r io.Reader, emit codec.EmitFunc) error {
	_, err := decodeV2(name, r, emit)
	return err
}

// decodeV2 is DecodeV2, returning its fast stream for its counts. The
// input is read by fastStream, and by the encoding/json walk from where
// fastStream hands over, if it does.
func decodeV2(name string, r io.Reader, emit codec.EmitFunc) (*fastStream, error) {
	fast := newFastV2()
	d := &decoder{Stream: jsonpos.NewStream(name, r), emit: emit, convert: func(raw json.RawMessage) ([]model.ResourceSpans, error) {
		if rss, ok := fast.span(raw); ok {
			return rss, nil
		}
		return v2Span(raw)
	}}
	s := newFastStream(d, fast)
	done, err := s.run()
	if err == nil && !done {
		err = s.handOver()
	}
	return s, d.end(err)
}

// spanFunc translates one raw span to model resource spans. A
// *jsonpos.FieldError names the offending field below the span.
type spanFunc func(raw json.RawMessage) ([]model.ResourceSpans, error)

type decoder struct {
	*jsonpos.Stream
	emit    codec.EmitFunc
	convert spanFunc
	chunk   grouper

	// times holds the start and end of the spans placed so far; pending
	// lists the spans of the current chunk without a start time (see
	// times.go).
	times   timeIndex
	pending []pendingSpan
}

func decode(name string, r io.Reader, emit codec.EmitFunc, convert spanFunc) error {
	d := &decoder{Stream: jsonpos.NewStream(name, r), emit: emit, convert: convert}
	return d.end(d.run())
}

// end ends a decode whose walk of the input returned err: it places the
// last pending spans, emits the last chunk and reports invalid UTF-8.
func (d *decoder) end(err error) error {
	if err != nil {
		return err
	}
	if err := d.finish(); err != nil {
		return err
	}
	d.Finish()
	return nil
}

func (d *decoder) run() error { return d.docs(0) }

// docs reads the top-level values from the doc-th on.
func (d *decoder) docs(first int) error {
	for doc := first; ; doc++ {
		if !d.Decoder().More() {
			start := d.ValueStart()
			tok, err := d.Decoder().Token()
			switch {
			case err == io.EOF && doc == 0:
				return d.ErrAt(-1, "", errors.New("empty input: no Zipkin JSON found"))
			case err == io.EOF:
				return nil
			case err != nil:
				return d.Wrap(err, start, "$")
			}
			return d.ErrAt(start, "$", fmt.Errorf("want a JSON array of spans or a span object, found %v", tok))
		}
		// Bytes before the tokenizer's position are done with; forget
		// them so memory stays bounded by one span.
		d.Lines().Forget(d.InputOffset())
		if err := d.value("$", d.ValueStart()); err != nil {
			return err
		}
	}
}

// peek returns the first byte of the next value (the decoder has buffered
// it after More).
func (d *decoder) peek(start int64) byte {
	if b := d.Lines().From(start); len(b) > 0 {
		return b[0]
	}
	return 0
}

// value reads a span, an array of spans or an array of arrays.
func (d *decoder) value(path string, start int64) error {
	switch d.peek(start) {
	case '{':
		raw, start, err := d.Raw(path)
		if err != nil {
			return err
		}
		return d.span(raw, start, path)
	case '[':
		if _, _, err := d.Token(path); err != nil {
			return err
		}
		return d.array(path, 0)
	case 'n':
		_, _, err := d.Raw(path) // null: nothing
		return err
	}
	// Unknown, or not yet buffered (the tokenizer stops reading at ','):
	// read a token and go on from there.
	tok, _, err := d.Token(path)
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		raw, err := d.rest(start, path)
		if err != nil {
			return err
		}
		return d.span(raw, start, path)
	case json.Delim('['):
		return d.array(path, 0)
	case nil:
		return nil
	}
	return d.ErrAt(start, path, fmt.Errorf("want a span object or an array of spans, found %v", tok))
}

// array reads the elements of an array whose '[' has been consumed, from
// the first-th on (the elements before it have been read).
func (d *decoder) array(path string, first int) error {
	for i := first; d.Decoder().More(); i++ {
		p := fmt.Sprintf("%s[%d]", path, i)
		d.Lines().Forget(d.InputOffset())
		if err := d.value(p, d.ValueStart()); err != nil {
			return err
		}
	}
	_, _, err := d.Token(path)
	return err
}

// rest reads the remainder of an object whose '{' (at offset start) has
// been consumed and returns the object's bytes.
func (d *decoder) rest(start int64, path string) (json.RawMessage, error) {
	for depth := 1; depth > 0; {
		tok, err := d.Decoder().Token()
		if err != nil {
			return nil, d.Wrap(err, start, path)
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	end := d.InputOffset()
	b := d.Lines().From(start)
	if int64(len(b)) < end-start {
		return nil, d.ErrAt(start, path, errors.New("internal error: span bytes not buffered"))
	}
	return append(json.RawMessage(nil), b[:end-start]...), nil
}

func (d *decoder) span(raw json.RawMessage, start int64, path string) error {
	rss, err := d.convert(raw)
	if err != nil {
		return d.ValueErr(err, start, path)
	}
	return d.add(rss, start, func() string { return path })
}

// add adds the resource spans of the span at offset start to the chunk,
// and emits the chunk when full; path gives the span's JSON path.
func (d *decoder) add(rss []model.ResourceSpans, start int64, path func() string) error {
	for i := range rss {
		rs := &rss[i]
		svc := serviceHash(&rs.Resource)
		d.chunk.add(rs, func(ri, si, k int, s *model.Span) {
			key := spanKey{s.TraceID, s.SpanID}
			if untimed(s) && !fromEvents(s) {
				p := pendingSpan{key: key, parent: s.ParentSpanID, svc: svc,
					duration: s.EndTimeUnixNano - s.StartTimeUnixNano, ri: ri, si: si, k: k}
				p.err = d.ErrAt(start, path()+".timestamp", errNoTime(&p))
				d.pending = append(d.pending, p)
				return
			}
			d.times.add(key, svc, s.StartTimeUnixNano, s.EndTimeUnixNano)
		})
	}
	// Spans carried over, waiting to be placed, do not count: a file with
	// more of them than a chunk holds would otherwise flush at every span.
	if d.chunk.spans-len(d.pending) >= chunkSize {
		return d.flush(false)
	}
	return nil
}

// finish places the last pending spans and emits the last chunk.
func (d *decoder) finish() error { return d.flush(true) }

// flush emits the current chunk. Its spans without a start time are placed
// first (see times.go); those that cannot be placed yet are an error at the
// end of the input, and otherwise carried over to the next chunk (ahead of
// the spans that follow them in the input), for a span read later may
// place them.
func (d *decoder) flush(final bool) error {
	carry, err := d.place(final)
	if err != nil {
		return err
	}
	b := d.chunk.take()
	if len(carry) > 0 {
		b = d.carryOver(b, carry)
	}
	if len(b) == 0 {
		return nil
	}
	return d.emit(b)
}

// place gives the chunk's pending spans a time where the spans seen so far
// allow, and returns the others (or, when final, the first one's error).
func (d *decoder) place(final bool) ([]pendingSpan, error) {
	for progress := true; progress && len(d.pending) > 0; {
		progress = false
		left := d.pending[:0]
		for _, p := range d.pending {
			start, end, ok := d.times.resolve(&p)
			if !ok {
				left = append(left, p)
				continue
			}
			s := &d.chunk.out[p.ri].ScopeSpans[p.si].Spans[p.k]
			s.StartTimeUnixNano, s.EndTimeUnixNano = start, end
			d.times.add(p.key, p.svc, start, end)
			progress = true
		}
		d.pending = left
	}
	if len(d.pending) == 0 {
		return nil, nil
	}
	if final {
		return nil, d.pending[0].err
	}
	carry := d.pending
	d.pending = nil
	return carry, nil
}

// carryOver takes the carried spans out of batch b (dropping scopes and
// resources left empty) and adds them to the next chunk as pending again.
func (d *decoder) carryOver(b codec.Batch, carry []pendingSpan) codec.Batch {
	type loc struct{ ri, si, k int }
	out := make(map[loc]bool, len(carry))
	for _, p := range carry {
		out[loc{p.ri, p.si, p.k}] = true
	}
	for _, p := range carry {
		rs := &b[p.ri]
		one := model.ResourceSpans{Resource: rs.Resource, ScopeSpans: []model.ScopeSpans{{
			Scope: rs.ScopeSpans[p.si].Scope, Spans: []model.Span{rs.ScopeSpans[p.si].Spans[p.k]}}}}
		d.chunk.add(&one, func(ri, si, k int, _ *model.Span) {
			p.ri, p.si, p.k = ri, si, k
			d.pending = append(d.pending, p)
		})
	}
	kept := b[:0]
	for ri := range b {
		rs := b[ri]
		scopes := rs.ScopeSpans[:0]
		for si, ss := range rs.ScopeSpans {
			spans := ss.Spans[:0]
			for k, s := range ss.Spans {
				if !out[loc{ri, si, k}] {
					spans = append(spans, s)
				}
			}
			if ss.Spans = spans; len(spans) > 0 {
				scopes = append(scopes, ss)
			}
		}
		if rs.ScopeSpans = scopes; len(scopes) > 0 {
			kept = append(kept, rs)
		}
	}
	return kept
}

// grouper merges single-span resource spans into one Batch, keeping the
// first-seen order of resources, scopes and spans.
type grouper struct {
	out    codec.Batch
	res    map[string]int
	scopes []map[string]int
	spans  int
	key    []byte // working memory for the keys
}

// add appends the spans of rs, calling at (if not nil) with the position
// of each span in the chunk and the span there.
func (g *grouper) add(rs *model.ResourceSpans, at func(ri, si, k int, s *model.Span)) {
	if g.res == nil {
		g.res = map[string]int{}
	}
	g.key = appendAttrsKey(g.key[:0], rs.Resource.Attributes)
	ri, ok := g.res[string(g.key)]
	if !ok {
		ri = len(g.out)
		g.res[string(g.key)] = ri
		// A batch owns its resources' attributes: spans may share them
		// (fastV2's do), and whoever takes a batch may change them.
		res := rs.Resource
		res.Attributes = slices.Clone(res.Attributes)
		g.out = append(g.out, model.ResourceSpans{Resource: res})
		g.scopes = append(g.scopes, map[string]int{})
	}
	dst := &g.out[ri]
	for _, ss := range rs.ScopeSpans {
		g.key = appendString(appendString(g.key[:0], ss.Scope.Name), ss.Scope.Version)
		g.key = appendAttrsKey(g.key, ss.Scope.Attributes)
		si, ok := g.scopes[ri][string(g.key)]
		if !ok {
			si = len(dst.ScopeSpans)
			g.scopes[ri][string(g.key)] = si
			dst.ScopeSpans = append(dst.ScopeSpans, model.ScopeSpans{Scope: ss.Scope})
		}
		first := len(dst.ScopeSpans[si].Spans)
		dst.ScopeSpans[si].Spans = append(dst.ScopeSpans[si].Spans, ss.Spans...)
		g.spans += len(ss.Spans)
		if at != nil {
			for k := first; k < len(dst.ScopeSpans[si].Spans); k++ {
				at(ri, si, k, &dst.ScopeSpans[si].Spans[k])
			}
		}
	}
}

func (g *grouper) take() codec.Batch {
	out := g.out
	*g = grouper{key: g.key}
	return out
}

// appendAttrsKey appends a key that tells attribute lists apart: each
// key, type and value (as text), length-prefixed.
func appendAttrsKey(dst []byte, as []model.Attribute) []byte {
	for _, a := range as {
		dst = appendString(dst, a.Key)
		dst = append(dst, byte(a.Value.Type))
		if a.Value.Type == model.ValueString {
			dst = appendString(dst, a.Value.Str)
		} else {
			dst = appendString(dst, a.Value.AsString())
		}
	}
	return dst
}

func appendString(dst []byte, s string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
}

// jsonKind returns the kind of a raw JSON value by its first byte: '"',
// '{', '[', 't', 'f', 'n', '0' for numbers, 0 when empty.
func jsonKind(raw json.RawMessage) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	switch c := raw[0]; c {
	case '"', '{', '[', 't', 'f', 'n':
		return c
	}
	return '0'
}

// fixStatus applies an otel.status_code tag the translator did not
// understand. The OpenTelemetry Zipkin mapping writes "OK" and "ERROR";
// the v2 translator only knows "Ok"/"Error"/"STATUS_CODE_*" and the v1
// translator only numbers, so a span exported as ERROR would otherwise
// come back with an unset status.
func fixStatus(rss []model.ResourceSpans, code, desc string) {
	for i := range rss {
		for j := range rss[i].ScopeSpans {
			for k := range rss[i].ScopeSpans[j].Spans {
				applyStatus(&rss[i].ScopeSpans[j].Spans[k].Status, code, desc)
			}
		}
	}
}

// applyStatus is fixStatus for one span's status.
func applyStatus(st *model.Status, code, desc string) {
	var c model.StatusCode
	switch strings.ToUpper(strings.TrimSpace(code)) {
	case "ERROR", "STATUS_CODE_ERROR":
		c = model.StatusError
	case "OK", "STATUS_CODE_OK":
		c = model.StatusOK
	default:
		return
	}
	if st.Code == model.StatusUnset {
		st.Code = c
		if st.Message == "" && c == model.StatusError {
			st.Message = desc
		}
	}
}
