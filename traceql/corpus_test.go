package traceql

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tracectl/tracectl/internal/querycorpus"
)

// readCorpus reads a corpus file of testdata.
func readCorpus(t testing.TB, name string) []querycorpus.Query {
	t.Helper()
	return querycorpus.Read(t, filepath.Join("testdata", name))
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
		root, err := Parse(q.Text)
		if err != nil {
			t.Errorf("valid.txt:%d: %q: %v", q.Line, q.Text, err)
			continue
		}
		checkRoundTrip(t, q.Text, root)
	}
}

func TestCorpusCanonical(t *testing.T) {
	for _, q := range readCorpus(t, "valid_canonical.txt") {
		i := strings.LastIndex(q.Text, " => ")
		if i < 0 {
			t.Fatalf("valid_canonical.txt:%d: missing \" => \"", q.Line)
		}
		in, want := q.Text[:i], q.Text[i+4:]
		root, err := Parse(in)
		if err != nil {
			t.Errorf("valid_canonical.txt:%d: %q: %v", q.Line, in, err)
			continue
		}
		if got := root.String(); got != want {
			t.Errorf("valid_canonical.txt:%d: %q printed as %q, want %q", q.Line, in, got, want)
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
		_, err := ParseOnly(q.Text)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("parse_fails.txt:%d: %q: want *ParseError, got %v", q.Line, q.Text, err)
			continue
		}
		if pe.Start < 0 || int(pe.Start) > len(q.Text) {
			t.Errorf("parse_fails.txt:%d: %q: error position %d outside the query", q.Line, q.Text, pe.Start)
		}
		if !strings.HasPrefix(pe.Error(), "parse error at line ") {
			t.Errorf("parse_fails.txt:%d: bad message %q", q.Line, pe.Error())
		}
	}
}

func TestCorpusValidateFails(t *testing.T) {
	for _, q := range readCorpus(t, "validate_fails.txt") {
		if _, err := ParseOnly(q.Text); err != nil {
			t.Errorf("validate_fails.txt:%d: %q: must parse, got %v", q.Line, q.Text, err)
			continue
		}
		_, err := Parse(q.Text)
		var ve *ValidationError
		if !errors.As(firstError(err), &ve) {
			t.Errorf("validate_fails.txt:%d: %q: want *ValidationError, got %v", q.Line, q.Text, err)
		}
	}
}

func TestCorpusUnsupported(t *testing.T) {
	for _, q := range readCorpus(t, "unsupported.txt") {
		if _, err := ParseOnly(q.Text); err != nil {
			t.Errorf("unsupported.txt:%d: %q: must parse, got %v", q.Line, q.Text, err)
			continue
		}
		_, err := Parse(q.Text)
		var ue *UnsupportedError
		if !errors.As(firstError(err), &ue) {
			t.Errorf("unsupported.txt:%d: %q: want *UnsupportedError, got %v", q.Line, q.Text, err)
			continue
		}
		if !strings.Contains(err.Error(), "not yet supported") {
			t.Errorf("unsupported.txt:%d: message %q", q.Line, err)
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
