package redact

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseRules compiles arbitrary rules files: it must never panic, and
// every failure must be an ErrorList naming the file. Seeds are the
// testdata rules files. Run with: go test ./redact -run '^$' -fuzz FuzzParseRules
func FuzzParseRules(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	bad, _ := filepath.Glob("testdata/bad/*.yaml")
	for _, p := range append(files, bad...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("rules:\n  - redaction: {allow_all_keys: true, detectors: [all], summary: debug}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		e, err := Compile("fuzz.yaml", src, Options{HashKey: []byte("k")})
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 || !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error %v (%T) is not a positioned ErrorList", err, err)
			}
			return
		}
		if len(e.Rules()) == 0 {
			t.Fatal("compiled without rules")
		}
	})
}
