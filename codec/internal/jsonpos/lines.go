package jsonpos

import (
	"bytes"
	"io"
	"slices"
	"sort"
)

// LineReader counts bytes and remembers where lines start, so a byte offset
// in a stream can be turned into line:col after the bytes have gone by.
// Forget drops newline positions before an offset that will not be asked
// about again, keeping memory bounded by the current element.
type LineReader struct {
	r       io.Reader
	pos     int64
	nl      []int64 // offsets of '\n' not yet forgotten, ascending
	dropped int     // newlines forgotten
	lastNL  int64   // offset of the last forgotten '\n', -1 if none

	// buf holds the bytes read since bufStart, so a syntax error can be
	// located by scanning the value again.
	buf      []byte
	bufStart int64
}

// NewLineReader returns a LineReader reading from r.
func NewLineReader(r io.Reader) *LineReader { return &LineReader{r: r, lastNL: -1} }

// Read reads from the underlying reader, recording newlines and keeping the
// bytes for From.
func (l *LineReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.buf = append(l.buf, p[:n]...)
	l.lines(p[:n])
	return n, err
}

// ReadMore reads up to n more bytes straight into the kept bytes, for a
// reader that scans them with From instead of reading them itself.
func (l *LineReader) ReadMore(n int) (int, error) {
	l.buf = slices.Grow(l.buf, n)
	got, err := l.r.Read(l.buf[len(l.buf) : len(l.buf)+n])
	l.buf = l.buf[:len(l.buf)+got]
	l.lines(l.buf[len(l.buf)-got:])
	return got, err
}

// lines records the newlines of p, the bytes read next, and counts them.
func (l *LineReader) lines(p []byte) {
	for i := 0; ; {
		j := bytes.IndexByte(p[i:], '\n')
		if j < 0 {
			break
		}
		l.nl = append(l.nl, l.pos+int64(i+j))
		i += j + 1
	}
	l.pos += int64(len(p))
}

// Pos returns the number of bytes read so far.
func (l *LineReader) Pos() int64 { return l.pos }

// Buffered returns how many bytes are kept for From.
func (l *LineReader) Buffered() int { return len(l.buf) }

// Forget discards newlines and bytes before off.
func (l *LineReader) Forget(off int64) {
	if k := off - l.bufStart; k > 0 && k <= int64(len(l.buf)) {
		l.buf = append(l.buf[:0], l.buf[k:]...)
		l.bufStart = off
	}
	i := sort.Search(len(l.nl), func(i int) bool { return l.nl[i] >= off })
	if i == 0 {
		return
	}
	l.lastNL = l.nl[i-1]
	l.dropped += i
	l.nl = append(l.nl[:0], l.nl[i:]...)
}

// LineCol returns the 1-based line and column of byte offset off, or 0, 0
// when off lies before forgotten data.
func (l *LineReader) LineCol(off int64) (line, col int) {
	if off < 0 || off <= l.lastNL {
		return 0, 0
	}
	i := sort.Search(len(l.nl), func(i int) bool { return l.nl[i] >= off })
	prev := l.lastNL
	if i > 0 {
		prev = l.nl[i-1]
	}
	return l.dropped + i + 1, int(off - prev)
}

// From returns the bytes read from offset off on (nil if forgotten).
func (l *LineReader) From(off int64) []byte {
	k := off - l.bufStart
	if k < 0 || k > int64(len(l.buf)) {
		return nil
	}
	return l.buf[k:]
}
