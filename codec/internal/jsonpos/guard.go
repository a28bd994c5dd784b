package jsonpos

import (
	"fmt"
	"io"
)

// LimitError is the error of JSON input past a GuardReader's limits.
// Offset is the byte offset of the byte that went past.
type LimitError struct {
	Offset int64
	Msg    string
}

func (e *LimitError) Error() string { return e.Msg }

// MaxSpace bounds a run of whitespace between JSON tokens. encoding/json's
// Decoder scans the whitespace before a token again on every read, which
// makes a run quadratic: 64 MiB of spaces took two minutes. No trace file
// has a megabyte of whitespace in a row.
const MaxSpace = 1 << 20

// GuardReader passes JSON through and fails at the first '[' or '{' that
// opens more than maxDepth containers at once, or at the byte that makes a
// run of whitespace outside strings longer than MaxSpace (brackets and
// spaces inside strings do not count). It hands over the bytes before
// that byte with the error, so a json.Decoder reading from it fails only
// once it needs the byte: the value it is reading then is the one that
// holds it.
//
// encoding/json and jsoniter stop at 10,000 levels, but what a decoder
// builds per level (paths, stacks, copies) can still grow with the square
// of the depth; the depth limit keeps every level cheap.
type GuardReader struct {
	r        io.Reader
	maxDepth int
	off      int64 // offset of the next byte read
	depth    int
	space    int  // length of the current run of whitespace
	str      bool // inside a string
	esc      bool // after a backslash inside a string
	err      error
}

// NewGuardReader returns a GuardReader over r allowing maxDepth levels.
func NewGuardReader(r io.Reader, maxDepth int) *GuardReader {
	return &GuardReader{r: r, maxDepth: maxDepth}
}

func (g *GuardReader) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	for i, c := range p[:n] {
		if g.str {
			switch {
			case g.esc:
				g.esc = false
			case c == '\\':
				g.esc = true
			case c == '"':
				g.str = false
			}
			continue
		}
		if c == ' ' || c == '\n' || c == '\t' || c == '\r' {
			if g.space++; g.space > MaxSpace {
				return g.fail(i, fmt.Sprintf("more than %d bytes of whitespace in a row, tracectl's limit", MaxSpace))
			}
			continue
		}
		g.space = 0
		switch c {
		case '"':
			g.str = true
		case '[', '{':
			if g.depth++; g.depth > g.maxDepth {
				return g.fail(i, fmt.Sprintf("JSON nested deeper than %d levels of arrays and objects, tracectl's limit", g.maxDepth))
			}
		case ']', '}':
			if g.depth > 0 {
				g.depth--
			}
		}
	}
	g.off += int64(n)
	return n, err
}

// fail stops at the i-th byte of the current read.
func (g *GuardReader) fail(i int, msg string) (int, error) {
	g.err = &LimitError{Offset: g.off + int64(i), Msg: msg}
	g.off += int64(i)
	return i, g.err
}
