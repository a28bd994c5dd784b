package promtext

import (
	"math"
	"testing"
)

func TestFloat(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0"}, {1.5, "1.5"}, {1e21, "1e+21"}, {-0.25, "-0.25"},
		{math.Inf(1), "+Inf"}, {math.Inf(-1), "-Inf"}, {math.NaN(), "NaN"},
	} {
		if got := Float(tc.in); got != tc.want {
			t.Errorf("Float(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, label, help string }{
		{`plain`, `plain`, `plain`},
		{"a\"b\\c\nd", `a\"b\\c\nd`, "a\"b\\\\c\\nd"},
		{"tab\there é", "tab\there é", "tab\there é"}, // no other escapes exist
		{"bad\xffutf8", "bad\uFFFDutf8", "bad\xffutf8"},
	} {
		if got := EscapeLabel(tc.in); got != tc.label {
			t.Errorf("EscapeLabel(%q) = %q, want %q", tc.in, got, tc.label)
		}
		if got := EscapeHelp(tc.in); got != tc.help {
			t.Errorf("EscapeHelp(%q) = %q, want %q", tc.in, got, tc.help)
		}
	}
}
