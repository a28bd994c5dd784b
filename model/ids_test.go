package model

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// referenceParseID is what the ID parsers did before they parsed in
// place: pad the trimmed text with zeros and decode it with encoding/hex.
func referenceParseID(s string, size int) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("empty")
	}
	if len(s) > 2*size {
		return nil, fmt.Errorf("longer than %d hex digits", 2*size)
	}
	b, err := hex.DecodeString(strings.Repeat("0", 2*size-len(s)) + s)
	if err != nil {
		return nil, fmt.Errorf("not hex")
	}
	return b, nil
}

// checkParseID compares ParseTraceID and ParseSpanID on s with the
// reference: the same ID, or the same error.
func checkParseID(t *testing.T, s string) {
	t.Helper()
	trace, terr := ParseTraceID(s)
	want, werr := referenceParseID(s, 16)
	if (terr == nil) != (werr == nil) || terr != nil && terr.Error() != fmt.Sprintf("trace ID %q: %v", s, werr) {
		t.Fatalf("ParseTraceID(%q): error %v, want %v", s, terr, werr)
	}
	if terr == nil && string(trace[:]) != string(want) {
		t.Fatalf("ParseTraceID(%q) = %x, want %x", s, trace, want)
	}
	if terr != nil && !trace.IsZero() {
		t.Fatalf("ParseTraceID(%q) failed but returned %x", s, trace)
	}
	span, serr := ParseSpanID(s)
	want, werr = referenceParseID(s, 8)
	if (serr == nil) != (werr == nil) || serr != nil && serr.Error() != fmt.Sprintf("span ID %q: %v", s, werr) {
		t.Fatalf("ParseSpanID(%q): error %v, want %v", s, serr, werr)
	}
	if serr == nil && string(span[:]) != string(want) {
		t.Fatalf("ParseSpanID(%q) = %x, want %x", s, span, want)
	}
	if serr != nil && !span.IsZero() {
		t.Fatalf("ParseSpanID(%q) failed but returned %x", s, span)
	}
	// HexTraceID and HexSpanID take exactly 1 to 32 (16) hex digits, and
	// then give what the Parse functions give.
	hexOnly := s != "" && strings.Trim(s, "0123456789abcdefABCDEF") == ""
	if id, ok := HexTraceID(s); ok != (hexOnly && len(s) <= 32) || ok && id != trace || !ok && !id.IsZero() {
		t.Fatalf("HexTraceID(%q) = %x, %v; ParseTraceID gives %x, %v", s, id, ok, trace, terr)
	}
	if id, ok := HexSpanID(s); ok != (hexOnly && len(s) <= 16) || ok && id != span || !ok && !id.IsZero() {
		t.Fatalf("HexSpanID(%q) = %x, %v; ParseSpanID gives %x, %v", s, id, ok, span, serr)
	}
}

var idCases = []string{
	"", " ", "0", "1", "f", "F", "abc", "00ff", " 1f ", "\t1f\n", "\u00a01f",
	"0x1f", "g", "1g", "g1", "é", "--", "1 2",
	"0123456789abcdef", "0123456789ABCDEF0", "0123456789abcdef0123456789abcdef",
	"0123456789abcdef0123456789abcdef0", "ffffffffffffffffffffffffffffffff",
}

func TestParseIDs(t *testing.T) {
	for _, s := range idCases {
		checkParseID(t, s)
	}
	if id, err := ParseTraceID("1f"); err != nil || id.String() != "0000000000000000000000000000001f" {
		t.Errorf("ParseTraceID(1f) = %s, %v", id, err)
	}
	if id, err := ParseSpanID("ABC"); err != nil || id.String() != "0000000000000abc" {
		t.Errorf("ParseSpanID(ABC) = %s, %v", id, err)
	}
}

func FuzzParseIDs(f *testing.F) {
	for _, s := range idCases {
		f.Add(s)
	}
	f.Fuzz(checkParseID)
}

func BenchmarkParseTraceID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseTraceID("0123456789abcdef0123456789abcdef"); err != nil {
			b.Fatal(err)
		}
	}
}
