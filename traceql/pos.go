package traceql

import "unicode/utf8"

// Pos is a byte offset into the query text.
type Pos int

// PosRange is the half-open byte range [Start, End) a node or error covers.
type PosRange struct {
	Start, End Pos
}

// PositionRange returns the range itself, so embedding it gives every node the method.
func (p PosRange) PositionRange() PosRange { return p }

// LineCol converts a byte offset in query to a 1-based line and a 1-based column.
// Columns count runes (not bytes) so the caret lines up for non-ASCII text.
// Offsets past the end map to the position just after the last character.
func LineCol(query string, p Pos) (line, col int) {
	if int(p) > len(query) {
		p = Pos(len(query))
	}
	if p < 0 {
		p = 0
	}
	line, col = 1, 1
	for i := 0; i < int(p); {
		r, w := utf8.DecodeRuneInString(query[i:])
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
		i += w
	}
	return line, col
}
