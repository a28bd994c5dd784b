package jsonpos

import (
	"fmt"
	"io"
)

// DepthError is the error of JSON input nested deeper than a limit. Offset
// is the byte offset of the '[' or '{' that went past it.
type DepthError struct {
	Offset int64
	Max    int
}

func (e *DepthError) Error() string {
	return fmt.Sprintf("JSON nested deeper than %d levels of arrays and objects, tracectl's limit", e.Max)
}

// DepthReader passes JSON through and fails at the first '[' or '{' that
// opens more than max containers at once (brackets inside strings do not
// count). It hands over the bytes before that bracket with the error, so a
// json.Decoder reading from it fails only once it needs the bracket: the
// value it is reading then is the one that holds it.
//
// encoding/json and jsoniter stop at 10,000 levels, but what a decoder
// builds per level (paths, stacks, copies) can still grow with the square
// of the depth; the limit keeps every level cheap.
type DepthReader struct {
	r     io.Reader
	max   int
	off   int64 // offset of the next byte read
	depth int
	str   bool // inside a string
	esc   bool // after a backslash inside a string
	err   error
}

// NewDepthReader returns a DepthReader over r allowing max levels.
func NewDepthReader(r io.Reader, max int) *DepthReader {
	return &DepthReader{r: r, max: max}
}

func (d *DepthReader) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n, err := d.r.Read(p)
	for i, c := range p[:n] {
		if d.str {
			switch {
			case d.esc:
				d.esc = false
			case c == '\\':
				d.esc = true
			case c == '"':
				d.str = false
			}
			continue
		}
		switch c {
		case '"':
			d.str = true
		case '[', '{':
			d.depth++
			if d.depth > d.max {
				d.err = &DepthError{Offset: d.off + int64(i), Max: d.max}
				d.off += int64(i)
				return i, d.err
			}
		case ']', '}':
			if d.depth > 0 {
				d.depth--
			}
		}
	}
	d.off += int64(n)
	return n, err
}
