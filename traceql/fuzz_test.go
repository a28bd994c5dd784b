package traceql

import (
	"testing"
)

// FuzzParse feeds arbitrary text to the lexer and parser. It fails on a panic
// and, for anything that parses, on a failed round trip through String().
func FuzzParse(f *testing.F) {
	for _, name := range []string{"valid.txt", "parse_fails.txt", "validate_fails.txt", "unsupported.txt"} {
		for _, q := range readCorpus(f, name) {
			f.Add(q.Text)
		}
	}
	f.Fuzz(func(t *testing.T, query string) {
		// The lexer alone must terminate without panicking.
		l := newLexer(query)
		for i := 0; ; i++ {
			it := l.nextItem()
			if it.typ == itemEOF || it.typ == itemError {
				break
			}
			if i > len(query)+1 {
				t.Fatalf("lexer does not terminate on %q", query)
			}
		}
		root, err := ParseOnly(query)
		if err != nil {
			if _, ok := ErrorPosition(err); !ok {
				t.Fatalf("error without position for %q: %v", query, err)
			}
			_ = Caret(query, err)
			return
		}
		checkRoundTrip(t, query, root)
		// Validation must not panic either, and Explain must work on its output.
		if err := Validate(root, query); err == nil {
			if _, err := Explain(root.String()); err != nil {
				t.Fatalf("canonical form of valid %q fails: %v", query, err)
			}
		}
	})
}
