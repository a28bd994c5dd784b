package traceql

import (
	"errors"
	"fmt"
	"strings"
)

// ParseError is a syntax error: the query is not TraceQL.
// Error() renders "parse error at line L, col C: unexpected X, expected Y".
type ParseError struct {
	PosRange
	Query      string
	Unexpected string // description of the offending token ("end of input" at EOF)
	Expected   string // what the parser wanted instead; may be empty
	Msg        string // used instead of Unexpected/Expected when set
}

func (e *ParseError) Error() string {
	line, col := LineCol(e.Query, e.Start)
	var b strings.Builder
	fmt.Fprintf(&b, "parse error at line %d, col %d: ", line, col)
	switch {
	case e.Msg != "":
		b.WriteString(e.Msg)
	case e.Expected != "":
		fmt.Fprintf(&b, "unexpected %s, expected %s", e.Unexpected, e.Expected)
	default:
		fmt.Fprintf(&b, "unexpected %s", e.Unexpected)
	}
	return b.String()
}

// ValidationError is a well-formed query that breaks a type or structure rule
// (for example `{ status > ok }` or `{ 1 + 1 }`).
type ValidationError struct {
	PosRange
	Query string
	Msg   string
}

func (e *ValidationError) Error() string {
	line, col := LineCol(e.Query, e.Start)
	return fmt.Sprintf("invalid query at line %d, col %d: %s", line, col, e.Msg)
}

// UnsupportedError is a valid query that uses a construct tracectl (like Tempo)
// deliberately does not execute. Error() reads "<feature> not yet supported".
type UnsupportedError struct {
	PosRange
	Query   string
	Feature string
}

func (e *UnsupportedError) Error() string {
	line, col := LineCol(e.Query, e.Start)
	return fmt.Sprintf("line %d, col %d: %s not yet supported", line, col, e.Feature)
}

// ErrorList holds several validation problems found in one query. Error()
// prints the first one plus a count; errors.As finds any member.
type ErrorList []error

func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0], len(l)-1)
}

// Unwrap exposes the members to errors.Is/As.
func (l ErrorList) Unwrap() []error { return l }

// Err returns nil for an empty list, the only member for a single-element
// list, and the list itself otherwise.
func (l ErrorList) Err() error {
	switch len(l) {
	case 0:
		return nil
	case 1:
		return l[0]
	}
	return l
}

// ErrorPosition returns the position range of the first positioned error in
// err (ParseError, ValidationError or UnsupportedError), and false if none.
func ErrorPosition(err error) (PosRange, bool) {
	var l ErrorList
	if errors.As(err, &l) && len(l) > 0 {
		err = l[0]
	}
	var pe *ParseError
	if errors.As(err, &pe) {
		return pe.PosRange, true
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.PosRange, true
	}
	var ue *UnsupportedError
	if errors.As(err, &ue) {
		return ue.PosRange, true
	}
	return PosRange{}, false
}

// Caret returns the query line holding err's position with a caret under the
// column, for a CLI to print beneath the error message:
//
//	{ .a = }
//	       ^
//
// It returns "" when err carries no position.
func Caret(query string, err error) string {
	pr, ok := ErrorPosition(err)
	if !ok {
		return ""
	}
	line, col := LineCol(query, pr.Start)
	lines := strings.Split(query, "\n")
	text := ""
	if line-1 < len(lines) {
		text = lines[line-1]
	}
	// Tabs in the query keep their width in the caret line.
	var pad strings.Builder
	i := 0
	for _, r := range text {
		if i >= col-1 {
			break
		}
		if r == '\t' {
			pad.WriteByte('\t')
		} else {
			pad.WriteByte(' ')
		}
		i++
	}
	for ; i < col-1; i++ {
		pad.WriteByte(' ')
	}
	return text + "\n" + pad.String() + "^"
}
