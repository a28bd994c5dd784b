package jsonpos

import (
	"fmt"
	"io"
	"unicode/utf8"
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

// MaxString bounds one JSON string (its bytes as written, escapes
// included). A decoder holds a string whole, and growing its buffer costs
// several times its size: a 64 MiB attribute value took 480 MB. The
// Collector's OTLP gRPC receiver takes no message over 4 MiB by default;
// no trace attribute needs 16.
const MaxString = 16 << 20

// GuardReader passes JSON through and fails at the first '[' or '{' that
// opens more than maxDepth containers at once, at the byte that makes a
// run of whitespace outside strings longer than MaxSpace (brackets and
// spaces inside strings do not count), or at the byte that makes a string
// longer than MaxString. It hands over the bytes before
// that byte with the error, so a json.Decoder reading from it fails only
// once it needs the byte: the value it is reading then is the one that
// holds it.
//
// encoding/json and jsoniter stop at 10,000 levels, but what a decoder
// builds per level (paths, stacks, copies) can still grow with the square
// of the depth; the depth limit keeps every level cheap.
//
// It also counts the bytes inside strings that are not valid UTF-8, which
// encoding/json replaces with U+FFFD without a word (InvalidUTF8).
type GuardReader struct {
	r         io.Reader
	maxDepth  int
	maxSpace  int // MaxSpace, MaxString (smaller in tests)
	maxString int
	off       int64 // offset of the next byte read
	line, col int   // its line and column
	depth     int
	space     int  // length of the current run of whitespace
	str       bool // inside a string
	strLen    int  // bytes of the current string so far
	esc       bool // after a backslash inside a string
	err       error

	pend              []byte // bytes of a multi-byte sequence inside a string
	pendOff           int64  // offset of pend[0]
	pendLine, pendCol int
	bad               int // invalid UTF-8 bytes in strings
	badOff            int64
	badLine, badCol   int
}

// NewGuardReader returns a GuardReader over r allowing maxDepth levels.
func NewGuardReader(r io.Reader, maxDepth int) *GuardReader {
	return &GuardReader{r: r, maxDepth: maxDepth, maxSpace: MaxSpace, maxString: MaxString, line: 1, col: 1}
}

// InvalidUTF8 returns how many bytes inside strings were not valid UTF-8
// and where the first one was.
func (g *GuardReader) InvalidUTF8() (n int, off int64, line, col int) {
	g.flush(true)
	return g.bad, g.badOff, g.badLine, g.badCol
}

// flush checks the pending bytes of a multi-byte sequence; with final set
// (an ASCII byte or the end came) an incomplete one is invalid.
func (g *GuardReader) flush(final bool) {
	for len(g.pend) > 0 {
		if !final && !utf8.FullRune(g.pend) {
			return
		}
		r, size := utf8.DecodeRune(g.pend)
		if r == utf8.RuneError && size == 1 {
			if g.bad == 0 {
				g.badOff, g.badLine, g.badCol = g.pendOff, g.pendLine, g.pendCol
			}
			g.bad++
		}
		g.pend = g.pend[size:]
		g.pendOff += int64(size)
		g.pendCol += size
	}
}

// plainInString and plainOutside tell the bytes Read passes in runs:
// inside a string, those that are not a quote, a backslash, a newline or
// part of a multi-byte rune (they only count towards MaxString); outside,
// those that are not whitespace, a quote or a bracket (digits, literals,
// ',' and ':': they only end a run of whitespace).
var plainInString, plainOutside = plainBytes()

func plainBytes() (in, out [256]bool) {
	for c := range 256 {
		in[c] = c != '"' && c != '\\' && c != '\n' && c < utf8.RuneSelf
		switch c {
		case ' ', '\n', '\t', '\r', '"', '[', '{', ']', '}':
		default:
			out[c] = true
		}
	}
	return in, out
}

func (g *GuardReader) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	p = p[:n]
	// Blocks of 64 bytes at once where block can take them, the rest (and
	// the blocks it declines) byte by byte in scan.
	for i := 0; i < n; {
		if n-i >= blockLen && !g.esc && len(g.pend) == 0 && g.block(p[i:i+blockLen]) {
			i += blockLen
			continue
		}
		end := min(i+blockLen, n)
		if k, ferr := g.scan(p, i, end); ferr != nil {
			return k, ferr
		}
		i = end
	}
	g.off += int64(n)
	return n, err
}

// scan checks p[from:to] byte by byte (runs of plain bytes at once); on
// a limit it returns the bytes of p before the one that went past, and
// the error.
func (g *GuardReader) scan(p []byte, from, to int) (int, error) {
scan:
	for i := from; i < to; i++ {
		// Runs of plain bytes, and the quotes that end them, at once; the
		// rest byte by byte below.
		switch {
		case g.str && !g.esc && len(g.pend) == 0:
			j := i
			for j < to && plainInString[p[j]] {
				j++
			}
			if g.strLen+(j-i) > g.maxString {
				return g.fail(i+g.maxString-g.strLen, fmt.Sprintf("a string longer than %d bytes, tracectl's limit", g.maxString))
			}
			g.strLen += j - i
			g.col += j - i
			if i = j; i == to {
				break scan
			}
			if p[i] == '"' { // the closing quote, with no rune pending
				g.str = false
				g.col++
				continue
			}
		case !g.str:
			j := i
			for j < to && plainOutside[p[j]] {
				j++
			}
			if j > i {
				g.space = 0
				g.col += j - i
			}
			if i = j; i == to {
				break scan
			}
			if p[i] == '"' { // an opening quote
				g.space = 0
				g.col++
				g.str, g.strLen = true, 0
				continue
			}
		}
		c := p[i]
		line, col := g.line, g.col
		if c == '\n' {
			g.line, g.col = g.line+1, 1
		} else {
			g.col++
		}
		if g.str {
			if c == '"' && !g.esc {
				g.flush(true)
				g.str = false
				continue
			}
			if g.strLen++; g.strLen > g.maxString {
				return g.fail(i, fmt.Sprintf("a string longer than %d bytes, tracectl's limit", g.maxString))
			}
			if c >= utf8.RuneSelf {
				if len(g.pend) == 0 {
					g.pendOff, g.pendLine, g.pendCol = g.off+int64(i), line, col
				}
				g.pend = append(g.pend, c)
				g.flush(false)
				continue
			}
			g.flush(true)
			switch {
			case g.esc:
				g.esc = false
			case c == '\\':
				g.esc = true
			}
			continue
		}
		if c == ' ' || c == '\n' || c == '\t' || c == '\r' {
			if g.space++; g.space > g.maxSpace {
				return g.fail(i, fmt.Sprintf("more than %d bytes of whitespace in a row, tracectl's limit", g.maxSpace))
			}
			continue
		}
		g.space = 0
		switch c {
		case '"':
			g.str, g.strLen = true, 0
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
	return 0, nil
}

// fail stops at the i-th byte of the current read.
func (g *GuardReader) fail(i int, msg string) (int, error) {
	g.err = &LimitError{Offset: g.off + int64(i), Msg: msg}
	g.off += int64(i)
	return i, g.err
}
