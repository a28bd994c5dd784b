package traceql

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// corpusQuery is one query of a testdata corpus file.
type corpusQuery struct {
	line  int
	query string
}

// readCorpus reads one query per line; "#" lines and blank lines are
// skipped; lines between two "---" lines form one multi-line query.
func readCorpus(t testing.TB, name string) []corpusQuery {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusQuery
	sc := bufio.NewScanner(f)
	n := 0
	var block []string
	blockStart, inBlock := 0, false
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "---" {
			if inBlock {
				out = append(out, corpusQuery{blockStart, strings.Join(block, "\n")})
				block = nil
			}
			inBlock = !inBlock
			blockStart = n + 1
			continue
		}
		if inBlock {
			block = append(block, line)
			continue
		}
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		out = append(out, corpusQuery{n, line})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if inBlock {
		t.Fatalf("%s: unterminated --- block", name)
	}
	return out
}

var ignorePos = cmpopts.IgnoreTypes(PosRange{})

// checkRoundTrip asserts String() re-parses to an equal AST and is a fixed point.
func checkRoundTrip(t testing.TB, query string, root *RootExpr) {
	t.Helper()
	printed := root.String()
	again, err := ParseOnly(printed)
	if err != nil {
		t.Fatalf("query %q printed as %q which does not parse: %v", query, printed, err)
	}
	if diff := cmp.Diff(root, again, ignorePos); diff != "" {
		t.Fatalf("query %q printed as %q re-parses to a different AST (-first +second):\n%s", query, printed, diff)
	}
	if p2 := again.String(); p2 != printed {
		t.Fatalf("printing is not a fixed point: %q then %q", printed, p2)
	}
}

func TestCorpusValid(t *testing.T) {
	for _, q := range readCorpus(t, "valid.txt") {
		root, err := Parse(q.query)
		if err != nil {
			t.Errorf("valid.txt:%d: %q: %v", q.line, q.query, err)
			continue
		}
		checkRoundTrip(t, q.query, root)
	}
}

func TestCorpusCanonical(t *testing.T) {
	for _, q := range readCorpus(t, "valid_canonical.txt") {
		i := strings.LastIndex(q.query, " => ")
		if i < 0 {
			t.Fatalf("valid_canonical.txt:%d: missing \" => \"", q.line)
		}
		in, want := q.query[:i], q.query[i+4:]
		root, err := Parse(in)
		if err != nil {
			t.Errorf("valid_canonical.txt:%d: %q: %v", q.line, in, err)
			continue
		}
		if got := root.String(); got != want {
			t.Errorf("valid_canonical.txt:%d: %q printed as %q, want %q", q.line, in, got, want)
		}
		checkRoundTrip(t, in, root)
	}
}

func firstError(err error) error {
	var l ErrorList
	if errors.As(err, &l) {
		return l[0]
	}
	return err
}

func TestCorpusParseFails(t *testing.T) {
	for _, q := range readCorpus(t, "parse_fails.txt") {
		_, err := ParseOnly(q.query)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("parse_fails.txt:%d: %q: want *ParseError, got %v", q.line, q.query, err)
			continue
		}
		if pe.Start < 0 || int(pe.Start) > len(q.query) {
			t.Errorf("parse_fails.txt:%d: %q: error position %d outside the query", q.line, q.query, pe.Start)
		}
		if !strings.HasPrefix(pe.Error(), "parse error at line ") {
			t.Errorf("parse_fails.txt:%d: bad message %q", q.line, pe.Error())
		}
	}
}

func TestCorpusValidateFails(t *testing.T) {
	for _, q := range readCorpus(t, "validate_fails.txt") {
		if _, err := ParseOnly(q.query); err != nil {
			t.Errorf("validate_fails.txt:%d: %q: must parse, got %v", q.line, q.query, err)
			continue
		}
		_, err := Parse(q.query)
		var ve *ValidationError
		if !errors.As(firstError(err), &ve) {
			t.Errorf("validate_fails.txt:%d: %q: want *ValidationError, got %v", q.line, q.query, err)
		}
	}
}

func TestCorpusUnsupported(t *testing.T) {
	for _, q := range readCorpus(t, "unsupported.txt") {
		if _, err := ParseOnly(q.query); err != nil {
			t.Errorf("unsupported.txt:%d: %q: must parse, got %v", q.line, q.query, err)
			continue
		}
		_, err := Parse(q.query)
		var ue *UnsupportedError
		if !errors.As(firstError(err), &ue) {
			t.Errorf("unsupported.txt:%d: %q: want *UnsupportedError, got %v", q.line, q.query, err)
			continue
		}
		if !strings.Contains(err.Error(), "not yet supported") {
			t.Errorf("unsupported.txt:%d: message %q", q.line, err)
		}
	}
}

func TestCorpusSize(t *testing.T) {
	total := 0
	for _, f := range []string{"valid.txt", "parse_fails.txt", "validate_fails.txt", "unsupported.txt"} {
		n := len(readCorpus(t, f))
		t.Logf("%s: %d queries", f, n)
		total += n
	}
	if total < 450 {
		t.Errorf("corpus has %d queries, want >= 450", total)
	}
}

func cmpDiff(a, b any) string { return cmp.Diff(a, b, ignorePos) }
