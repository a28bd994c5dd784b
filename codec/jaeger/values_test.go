package jaeger

import (
	"encoding/json"
	"testing"
	"unsafe"

	"github.com/tracectl/tracectl/internal/intern"
)

// plainString gives what rawString gives, for the strings it takes, and
// one string for the same text twice.
func TestPlainString(t *testing.T) {
	tests := []struct {
		raw  string
		want bool // taken (else left to rawString)
	}{
		{`"GET"`, true},
		{`""`, true},
		{`"/api/users/{id}"`, true},
		{`"tab\tescaped"`, false},
		{`"caf\u00e9"`, false},
		{`"café"`, false},
		{`12`, false},
		{`null`, false},
		{` "GET"`, false},
		{`"`, false},
	}
	var strs intern.Table
	for _, tc := range tests {
		raw := json.RawMessage(tc.raw)
		got, ok := plainString(raw, &strs)
		if ok != tc.want {
			t.Errorf("%s: taken %v, want %v", tc.raw, ok, tc.want)
			continue
		}
		if !ok {
			continue
		}
		if want := rawString(raw); got != want {
			t.Errorf("%s: %q, rawString gives %q", tc.raw, got, want)
		}
		again, _ := plainString(json.RawMessage(tc.raw), &strs)
		if len(got) > 0 && unsafe.StringData(again) != unsafe.StringData(got) {
			t.Errorf("%s: the same text read twice is two strings", tc.raw)
		}
	}
	if _, ok := plainString(json.RawMessage(`"GET"`), nil); ok {
		t.Error("taken without a table")
	}
}
