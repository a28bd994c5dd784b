package jaeger

import (
	"bytes"
	"io"
	"strconv"
	"strings"

	"github.com/tracectl/tracectl/codec/internal/jsonpos"
	"github.com/tracectl/tracectl/internal/jsonscan"
)

// uiStream reads the common shapes of UI JSON — top-level objects whose
// "data" member is an array of trace objects (query-API responses), or
// that are a trace themselves — over the
// bytes the decoder's LineReader keeps, and gives emitUI each trace's
// members as the encoding/json walk (decoder.docs) would have: the same
// raw spans, processes and trace ID, with the same offsets and paths. The
// walk's tokenizer scanned every span twice and copied it: 40% of the
// decoder's time.
//
// It hands the rest of the input to the walk (Stream.Resume) at the first
// thing it does not read itself: a top-level value that is not an object,
// a "batch" member (api_v2 JSON), a "data" that is not an array,
// an element that is not an object, a trace that is not valid JSON or has
// an escaped key, the end of the input inside a value, a read error. It
// hands over where the walk's state is one it can be put in (between
// top-level values, between members of the top object, between traces of
// its "data" array), so the walk reads from there what it would have read
// and reports every error as before.
type uiStream struct {
	*jsonpos.Cursor
	d  *decoder
	sc jsonscan.Scanner

	doc    int    // top-level values read
	top    *parts // the top-level object being read; nil between values
	member bool   // in top: a member was read, so a ',' or '}' comes next
	data   string // in top: the path of the "data" array being read, "" outside it
	traces int    // in data: the traces read from it

	spanBuf []rawAt  // a trace's spans, reused from trace to trace
	readBuf []uiSpan // and those read in place

	handedOver bool // for tests
}

// keepBuffers keeps the span lists of p, done with, for the next trace.
func (s *uiStream) keepBuffers(p *parts) {
	clear(p.spans)
	clear(p.read)
	s.spanBuf, s.readBuf = p.spans[:0], p.read[:0]
	if cap(s.readBuf) > maxKept { // a large trace's
		s.spanBuf, s.readBuf = nil, nil
	}
}

// maxFastValue: a trace (or top-level member) larger than this is left to
// the walk, which reads a trace span by span instead of whole.
const maxFastValue = 64 << 20

func newUIStream(d *decoder) *uiStream {
	s := &uiStream{Cursor: d.Cursor(), d: d}
	s.ForgetEvery = traceAhead
	return s
}

// run reads the input; done is false when it stopped early and the walk
// must go on (see handOver).
func (s *uiStream) run() (done bool, err error) {
	for {
		c, ok := s.Peek()
		if !ok {
			return s.doc > 0 && s.ReadErr == io.EOF, nil
		}
		if c != '{' {
			return false, nil
		}
		s.top = &parts{path: "$", start: s.Pos}
		s.member = false
		s.Pos++
		s.CommitKeeping()
		if ok, err := s.members(); !ok {
			return false, err
		}
		p := s.top
		s.top = nil
		s.doc++
		if err := s.d.endTop(p); err != nil {
			return false, err
		}
		s.CommitHere() // the object is done with: its bytes may go
	}
}

// members reads the members of the top-level object up to its '}'. ok is
// false when the walk must take over (with err nil) or on error.
func (s *uiStream) members() (ok bool, err error) {
	for {
		c, ok := s.Peek()
		if !ok {
			return false, nil
		}
		if c == '}' {
			s.Pos++
			return true, nil
		}
		if s.member {
			if c != ',' {
				return false, nil
			}
			s.Pos++
		}
		key, ok := s.key()
		if !ok {
			return false, nil
		}
		kp := s.top.path + "." + key
		switch lk := strings.ToLower(key); lk {
		case "data":
			if c, ok := s.Peek(); !ok || c != '[' {
				return false, nil
			}
			if ok, err := s.dataArray(kp); !ok {
				return false, err
			}
		case "batch":
			return false, nil
		case "spans":
			raw, start, ok := s.value()
			if !ok {
				return false, nil
			}
			// A copy: the bytes may be forgotten before endTop reads them;
			// read into a part of its own, kept only if read whole.
			s.sc.Reset(bytes.Clone(raw))
			var q parts
			if !s.spans(&q, kp, start) {
				return false, nil
			}
			s.top.spansSeen = true
			s.top.addSpans(&q)
		default:
			raw, start, ok := s.value()
			if !ok {
				return false, nil
			}
			// A copy: the bytes may be forgotten before endTop reads it.
			s.top.keep(lk, &rawAt{raw: bytes.Clone(raw), start: start, path: kp}, true)
		}
		s.member = true
		s.CommitKeeping()
	}
}

// dataArray reads the "data" array at Pos, emitting each trace.
func (s *uiStream) dataArray(path string) (ok bool, err error) {
	s.Pos++ // '['
	s.data, s.traces = path, 0
	s.CommitKeeping()
	for {
		c, ok := s.Peek()
		if !ok {
			return false, nil
		}
		if c == ']' {
			s.Pos++
			break
		}
		if s.traces > 0 {
			if c != ',' {
				return false, nil
			}
			s.Pos++
			if c, ok = s.Peek(); !ok {
				return false, nil
			}
		}
		if c != '{' {
			return false, nil
		}
		if ok, err := s.trace(); !ok {
			return false, err
		}
		if len(s.top.read) == 0 {
			s.d.releaseLists() // no span of the top-level object waits
		}
		s.traces++
		s.CommitHere()
	}
	s.top.handled += s.traces
	s.top.dataSeen = true
	s.data = ""
	return true, nil
}

// trace reads the trace object at Pos whole, as decoder.object would, and
// emits it. It reads the object from the bytes at hand (traceAhead of them
// when the input has that many), and finds its end by its brackets,
// reading on, only when they end inside it.
func (s *uiStream) trace() (ok bool, err error) {
	start := s.Pos
	for len(s.Bytes()) < traceAhead && s.Fill() {
	}
	b := s.Bytes()
	p := &parts{path: s.data + "[" + strconv.Itoa(s.traces) + "]", start: start}
	defer s.keepBuffers(p)
	n, ok := s.traceObject(p, b)
	if !ok {
		end, found := s.ValueEnd(maxFastValue)
		if !found || end-start <= int64(len(b)) { // it was all there
			return false, nil
		}
		whole := s.From(start)[:end-start]
		if n, ok = s.traceObject(p, whole); !ok || n != len(whole) {
			return false, nil
		}
	}
	s.Pos = start + int64(n)
	if err := s.d.emitUI(p); err != nil {
		return false, err
	}
	return true, nil
}

// traceAhead is how much of the input trace reads ahead: a trace that
// ends past it is read twice.
const traceAhead = 1 << 20

// traceObject reads the trace object at the start of b into p (emptied
// first) and returns its length.
func (s *uiStream) traceObject(p *parts, b []byte) (n int, ok bool) {
	*p = parts{path: p.path, start: p.start, spans: s.spanBuf[:0], read: s.readBuf[:0]}
	tp, start := p.path, p.start
	sc := &s.sc
	sc.Reset(b)
	at := func() int64 { sc.Space(); return start + int64(sc.Pos) }
	ok = sc.Object(func(rawKey []byte) bool {
		key, ok := jsonscan.String(rawKey)
		if !ok {
			return false
		}
		kp := tp + "." + key
		lk := strings.ToLower(key)
		if lk == "spans" {
			return s.spans(p, kp, start)
		}
		vstart := at()
		v, ok := sc.Skip()
		p.keep(lk, &rawAt{raw: v, start: vstart, path: kp}, false)
		return ok
	})
	return sc.Pos, ok
}

// spans reads a "spans" value with the scanner, whose bytes start at
// input offset base, into p: null, or an array of values of any kind,
// each a raw span (as decoder.spans reads it), span objects in their
// common form read (uiReader) as they go by.
func (s *uiStream) spans(p *parts, path string, base int64) bool {
	sc := &s.sc
	p.spansSeen = true
	if sc.Null() {
		return true
	}
	i := 0
	return sc.Array(func() bool {
		sc.Space()
		start := sc.Pos
		i++
		at := rawAt{start: base + int64(start), path: path, elem: i}
		if sc.Peek() == '{' {
			r := &s.d.ui
			r.B, r.Pos = sc.B, start
			p.read = append(p.read, uiSpan{})
			if r.spanHere(&p.read[len(p.read)-1]) {
				sc.Pos = r.Pos
				at.raw, at.ui = sc.B[start:sc.Pos], len(p.read)
				p.spans = append(p.spans, at)
				return true
			}
			p.read = p.read[:len(p.read)-1]
		}
		v, ok := sc.Skip()
		at.raw = v
		p.spans = append(p.spans, at)
		return ok
	})
}

// addSpans appends the spans of q to p.
func (p *parts) addSpans(q *parts) {
	for _, sp := range q.spans {
		if sp.ui > 0 {
			p.read = append(p.read, q.read[sp.ui-1])
			sp.ui = len(p.read)
		}
		p.spans = append(p.spans, sp)
	}
}

// key reads an object key and its ':'; escaped keys are left to the walk.
func (s *uiStream) key() (string, bool) {
	if c, ok := s.Peek(); !ok || c != '"' {
		return "", false
	}
	raw, ok := s.scalar()
	if !ok || raw[0] != '"' || bytes.IndexByte(raw, '\\') >= 0 {
		return "", false
	}
	key, ok := jsonscan.String(raw[1 : len(raw)-1])
	if !ok {
		return "", false
	}
	s.Pos += int64(len(raw))
	if c, ok := s.Peek(); !ok || c != ':' {
		return "", false
	}
	s.Pos++
	return key, true
}

// value reads the value at Pos whole, checks that it is valid JSON and
// moves past it; start is its offset.
func (s *uiStream) value() (raw []byte, start int64, ok bool) {
	c, ok := s.Peek()
	if !ok {
		return nil, 0, false
	}
	start = s.Pos
	if c == '{' || c == '[' {
		end, ok := s.ValueEnd(maxFastValue)
		if !ok {
			return nil, 0, false
		}
		raw = s.From(start)[:end-start]
		s.sc.Reset(raw)
		if _, ok := s.sc.Skip(); !ok || s.sc.Pos != len(raw) {
			return nil, 0, false
		}
	} else if raw, ok = s.scalar(); !ok {
		return nil, 0, false
	}
	s.Pos = start + int64(len(raw))
	return raw, start, true
}

// scalar returns the string, number or literal at Pos (after white
// space), reading more until a byte follows it (a number could go on) or
// the input ends; it does not move Pos.
func (s *uiStream) scalar() ([]byte, bool) {
	if _, ok := s.Peek(); !ok {
		return nil, false
	}
	for {
		b := s.Bytes()
		s.sc.Reset(b)
		raw, ok := s.sc.Skip()
		if ok && (s.sc.Pos < len(b) || s.ReadErr != nil) {
			return raw, true
		}
		if s.ReadErr != nil || len(b) > maxFastValue {
			return nil, false
		}
		s.Fill()
	}
}

// handOver puts the decoder's walk where the stream last committed and
// lets it read the rest.
func (s *uiStream) handOver() error {
	d := s.d
	s.handedOver = true
	p := s.top
	switch {
	case p == nil: // between top-level values
		d.Resume(s.Commit, "", s.ReadErr)
		return d.docs(s.doc)
	case s.data != "": // between traces of a "data" array
		prefix := `{"":[`
		if s.traces > 0 {
			prefix += "{}"
		}
		d.Resume(s.Commit, prefix, s.ReadErr)
		n, err := d.traces(s.data, s.traces)
		if err != nil {
			return err
		}
		p.handled += s.traces + n
		p.dataSeen = true
	default: // between members of the top-level object
		prefix := "{"
		if s.member {
			prefix += `"":{}`
		}
		d.Resume(s.Commit, prefix, s.ReadErr)
	}
	if err := d.topMembers(p); err != nil {
		return err
	}
	return d.docs(s.doc + 1)
}
