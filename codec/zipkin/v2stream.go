package zipkin

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/tracectl/tracectl/codec/internal/jsonpos"
)

// fastStream walks the common shape of a Zipkin v2 file — arrays (or
// arrays of arrays) of span objects, or span objects one after another —
// over the bytes the decoder's LineReader keeps, and reads each span with
// fastV2 in place. encoding/json's tokenizer, which it replaces there,
// scanned each span twice and copied it: 40% of the decoder's time once
// fastV2 read the spans.
//
// It hands the rest of the input to the decoder's encoding/json walk
// (decoder.docs and decoder.array, through Stream.Resume) at the first
// thing it does not read itself: a value that is not a span or an array,
// a span that is not valid JSON, the end of the input inside a value, a
// read error. It hands over at the last point where the walk's state is
// one it can be put in (after an element, before its comma; after '['), so
// the walk reads from there what it would have read, and reports every
// error as before. A span fastV2 declines but that is valid JSON is read
// by v2Span here, as the walk would have read it.
type fastStream struct {
	*jsonpos.Cursor
	d    *decoder
	fast *fastV2

	doc          int           // top-level values read
	stack        []int         // per array being read, outermost first: elements read
	afterElement bool          // in an array, at least one element was read: a ',' or ']' comes next
	pathFn       func() string // path, made once (a method value allocates)

	handedOver bool // for tests
}

// maxFastSpan: a span larger than this is left to the walk, which reads it
// whole with its syntax checked as it goes (a bracket that never closes
// must not make the stream read the whole input).
const maxFastSpan = 8 << 20

func newFastStream(d *decoder, fast *fastV2) *fastStream {
	s := &fastStream{Cursor: d.Cursor(), d: d, fast: fast}
	s.pathFn = s.path
	return s
}

// run reads the input; done is false when it stopped early and the walk
// must go on (see handOver).
func (s *fastStream) run() (done bool, err error) {
	for {
		c, ok := s.Peek()
		if len(s.stack) == 0 { // between top-level values
			switch {
			case !ok:
				return s.doc > 0 && s.ReadErr == io.EOF, nil
			case c == '[':
				s.Pos++
				s.stack = append(s.stack, 0)
				s.afterElement = false
				s.CommitHere()
			case c == '{':
				if ok, err := s.span(); !ok {
					return false, err
				}
				s.doc++
				s.CommitHere()
			default:
				return false, nil
			}
			continue
		}
		if !ok {
			return false, nil
		}
		top := len(s.stack) - 1
		if s.afterElement {
			switch c {
			case ',':
				s.Pos++ // not a commit: the walk takes over before the comma
				c, ok = s.Peek()
				if !ok || c != '{' && c != '[' {
					return false, nil
				}
			case ']':
				s.Pos++
				s.closeArray()
				continue
			default:
				return false, nil
			}
		} else if c == ']' { // an empty array
			s.Pos++
			s.closeArray()
			continue
		}
		switch c {
		case '{':
			if ok, err := s.span(); !ok {
				return false, err
			}
			s.stack[top]++
			s.afterElement = true
			s.CommitHere()
		case '[':
			s.Pos++
			s.stack = append(s.stack, 0)
			s.afterElement = false
			s.CommitHere()
		default:
			return false, nil
		}
	}
}

// closeArray ends the innermost array, an element of the one around it or
// a top-level value.
func (s *fastStream) closeArray() {
	s.stack = s.stack[:len(s.stack)-1]
	if len(s.stack) == 0 {
		s.doc++
		s.afterElement = false
	} else {
		s.stack[len(s.stack)-1]++
		s.afterElement = true
	}
	s.CommitHere()
}

// handOver puts the decoder's walk where the stream last committed and
// lets it read the rest.
func (s *fastStream) handOver() error {
	d := s.d
	s.handedOver = true
	prefix := strings.Repeat("[", len(s.stack))
	if s.afterElement {
		prefix += "{}" // stands for the elements read: a ',' or ']' comes next
	}
	d.Resume(s.Commit, prefix, s.ReadErr)
	// Finish the arrays, innermost first: the innermost from its next
	// element, each other one after the element that was the array inside.
	for j := len(s.stack) - 1; j >= 0; j-- {
		next := s.stack[j]
		if j < len(s.stack)-1 {
			next++
		}
		if err := d.array(pathOf(s.stack[:j]), next); err != nil {
			return err
		}
	}
	first := s.doc
	if len(s.stack) > 0 {
		first++
	}
	return d.docs(first)
}

// span reads the span object at pos. ok is false when the walk must take
// over (with err nil) or on error.
func (s *fastStream) span() (ok bool, err error) {
	start := s.Pos
	b := s.From(start)
	rss, n, ok := s.fast.spanAt(b)
	if !ok {
		// Declined, or the span goes on past the bytes read: find its end.
		end, found := s.ValueEnd(maxFastSpan)
		if !found {
			return false, nil
		}
		raw := s.From(start)[:end-start]
		if len(raw) > len(b) {
			rss, n, ok = s.fast.spanAt(raw)
			ok = ok && n == len(raw)
		}
		if !ok {
			if !json.Valid(raw) {
				return false, nil // the walk reports the syntax error
			}
			var err error
			if rss, err = v2Span(raw); err != nil {
				return false, s.d.ValueErr(err, start, s.path())
			}
			n = len(raw)
		}
	}
	s.fast.count(ok)
	s.Pos = start + int64(n)
	if err := s.d.add(rss, start, s.pathFn); err != nil {
		return false, err
	}
	return true, nil
}

// path is the JSON path of the span being read.
func (s *fastStream) path() string { return pathOf(s.stack) }

// pathOf is the JSON path of the element at the given index in each
// array, outermost first: "$[2][0]".
func pathOf(indices []int) string {
	p := []byte{'$'}
	for _, n := range indices {
		p = append(strconv.AppendInt(append(p, '['), int64(n), 10), ']')
	}
	return string(p)
}
