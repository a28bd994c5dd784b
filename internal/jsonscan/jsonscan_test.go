package jsonscan

import (
	"encoding/json"
	"strconv"
	"testing"
	"unsafe"

	"github.com/tracectl/tracectl/internal/intern"
)

// Whatever Skip and Str accept is valid JSON that encoding/json reads the
// same way; StrFrom reads what Str reads.
func FuzzScanner(f *testing.F) {
	for _, s := range []string{`"a\n\u00e9\ud800"`, `{"a":[1,-0.5e+3,true,null,{"b":"c"}]}`, `-01`, `"\x01"`, `1.`, `[1,]`, "\"a\xffb\"", `{"a" 1}`, `"\u12"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var sc Scanner
		sc.Reset(in)
		if _, ok := sc.Skip(); ok && sc.End() != json.Valid(in) {
			t.Fatalf("Skip(%q): ends the input %v, json.Valid %v", in, sc.End(), json.Valid(in))
		}
		sc.Reset(in)
		if s, ok := sc.Str(); ok && sc.End() {
			var want string
			if err := json.Unmarshal(in, &want); err != nil || want != s {
				t.Fatalf("Str(%q) = %q, encoding/json: %q, %v", in, s, want, err)
			}
		}
		sc.Reset(in)
		s, ok := sc.Str()
		pos := sc.Pos
		var tab intern.Table
		sc.Reset(in)
		if s2, ok2 := sc.StrFrom(&tab); s2 != s || ok2 != ok || sc.Pos != pos {
			t.Fatalf("StrFrom(%q) = %q, %v at %d; Str: %q, %v at %d", in, s2, ok2, sc.Pos, s, ok, pos)
		}
		sc.Reset(in)
		if n, ok := sc.Number(); ok && sc.End() {
			var v json.Number
			if err := json.Unmarshal(in, &v); err != nil || string(v) != string(n) {
				t.Fatalf("Number(%q) = %q, encoding/json: %q, %v", in, n, v, err)
			}
		}
	})
}

// SkipUnknown skips what encoding/json skips and declines the rest.
func TestSkipUnknown(t *testing.T) {
	fields := []string{"traceID", "spans"}
	for _, tc := range []struct {
		key, value string
		ok         bool
		rest       string
	}{
		{"other", `{"a":[1,2]},`, true, ","},
		{"TRACEID", `"1"`, false, ""},   // encoding/json reads it into traceID
		{"Spans", `[]`, false, ""},      // and this into spans
		{"k\x01", `1`, false, ""},       // not valid JSON
		{"other", `{"a":}`, false, ""},  // nor is the value
		{"traceIDs", `"1" `, true, " "}, // a longer name is another key
		{"\u212aey", `true`, true, ""},  // Kelvin sign: folds to k, matches no field here
	} {
		s := Scanner{B: []byte(tc.value)}
		if ok := s.SkipUnknown([]byte(tc.key), fields); ok != tc.ok || ok && string(s.B[s.Pos:]) != tc.rest {
			t.Errorf("SkipUnknown(%q) on %q = %v, rest %q; want %v, rest %q", tc.key, tc.value, ok, s.B[s.Pos:], tc.ok, tc.rest)
		}
	}
}

// StrFrom hands out one string for a plain string read twice, and reads
// the others (escapes, non-ASCII, control characters) as Str does.
func TestStrFrom(t *testing.T) {
	var tab intern.Table
	read := func(in string) (string, bool) {
		sc := Scanner{B: []byte(in)}
		return sc.StrFrom(&tab)
	}
	a, _ := read(`"http.method"`)
	b, _ := read(`"http.method"`)
	if a != "http.method" || unsafe.StringData(a) != unsafe.StringData(b) {
		t.Errorf("a plain string read twice: %q and %q, not one string", a, b)
	}
	for _, in := range []string{`"tab\tescaped"`, `"caf\u00e9"`, `"café"`, "\"a\x01\"", `""`, `12`, `"open`} {
		sc := Scanner{B: []byte(in)}
		want, wantOK := sc.Str()
		if got, ok := read(in); got != want || ok != wantOK {
			t.Errorf("StrFrom(%s) = %q, %v; Str: %q, %v", in, got, ok, want, wantOK)
		}
	}
}

// Int64 takes the integers it can read without a copy and gives what
// strconv gives for them; the rest is left to strconv.
func TestInt64(t *testing.T) {
	tests := []struct {
		raw  string
		want bool // taken
	}{
		{`0`, true},
		{`-0`, true},
		{`200`, true},
		{`-42`, true},
		{`999999999999999999`, true},
		{`9223372036854775807`, true},
		{`-9223372036854775808`, true},
		{`9223372036854775808`, false}, // past int64: strconv's range error
		{`-9223372036854775809`, false},
		{`18446744073709551615`, false}, // 20 digits
		{`1.0`, false},
		{`1e3`, false},
		{`"12"`, false},
		{`-`, false},
		{``, false},
		{` 12`, false},
	}
	for _, tc := range tests {
		got, ok := Int64([]byte(tc.raw))
		if ok != tc.want {
			t.Errorf("%q: taken %v, want %v", tc.raw, ok, tc.want)
			continue
		}
		want, err := strconv.ParseInt(tc.raw, 10, 64)
		if ok && (err != nil || got != want) {
			t.Errorf("%q: %d, strconv gives %d (%v)", tc.raw, got, want, err)
		}
	}
}
