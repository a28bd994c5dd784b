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

// idParser is one kind of ID's parsers, as byte slices.
type idParser struct {
	kind  string // "trace", "span"
	size  int
	parse func(string) ([]byte, error) // ParseTraceID, ParseSpanID
	hex   func(string) ([]byte, bool)  // HexTraceID, HexSpanID
}

var idParsers = []idParser{
	{"trace", 16,
		func(s string) ([]byte, error) { id, err := ParseTraceID(s); return id[:], err },
		func(s string) ([]byte, bool) { id, ok := HexTraceID(s); return id[:], ok }},
	{"span", 8,
		func(s string) ([]byte, error) { id, err := ParseSpanID(s); return id[:], err },
		func(s string) ([]byte, bool) { id, ok := HexSpanID(s); return id[:], ok }},
}

// checkParseID compares ParseTraceID and ParseSpanID on s with the
// reference (the same ID, or the same error, and a zero ID with it), and
// HexTraceID and HexSpanID with them: they take exactly 1 to 32 (16) hex
// digits, and then give what the Parse functions give.
func checkParseID(t *testing.T, s string) {
	t.Helper()
	zero := func(b []byte) bool { return strings.Trim(string(b), "\x00") == "" }
	hexOnly := s != "" && strings.Trim(s, "0123456789abcdefABCDEF") == ""
	for _, p := range idParsers {
		got, err := p.parse(s)
		want, werr := referenceParseID(s, p.size)
		if (err == nil) != (werr == nil) || err != nil && err.Error() != fmt.Sprintf("%s ID %q: %v", p.kind, s, werr) {
			t.Fatalf("%s ID %q: error %v, want %v", p.kind, s, err, werr)
		}
		if err == nil && string(got) != string(want) || err != nil && !zero(got) {
			t.Fatalf("%s ID %q = %x (error %v), want %x", p.kind, s, got, err, want)
		}
		h, ok := p.hex(s)
		if ok != (hexOnly && len(s) <= 2*p.size) || ok && string(h) != string(got) || !ok && !zero(h) {
			t.Fatalf("hex %s ID %q = %x, %v; the parser gives %x, %v", p.kind, s, h, ok, got, err)
		}
		if is := IsHexID(s, 2*p.size); is != ok {
			t.Fatalf("IsHexID(%q, %d) = %v; hex %s ID %v", s, 2*p.size, is, p.kind, ok)
		}
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
