package jsonscan

import (
	"encoding/json"
	"testing"
)

// Whatever Skip and Str accept is valid JSON that encoding/json reads the
// same way.
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
		if n, ok := sc.Number(); ok && sc.End() {
			var v json.Number
			if err := json.Unmarshal(in, &v); err != nil || string(v) != string(n) {
				t.Fatalf("Number(%q) = %q, encoding/json: %q, %v", in, n, v, err)
			}
		}
	})
}
