package suggest

import "testing"

func TestClosest(t *testing.T) {
	for _, tc := range []struct {
		s          string
		candidates []string
		want       string
	}{
		{"latancy", []string{"latency", "numeric_attribute", "status_code"}, "latency"},
		{"querry", []string{"query", "metrics"}, "query"},
		{"limt", []string{"limit", "spss", "output"}, "limit"},
		{"xyz", []string{"latency", "and"}, ""},
		{"an", []string{"and", "not"}, "and"},
		{"ab", []string{"ac", "aa"}, "aa"}, // a tie: the first in order
		{"status_codes", []string{"status_code"}, "status_code"},
		{"", []string{"a"}, "a"},
		{"a", nil, ""},
	} {
		if got := Closest(tc.s, tc.candidates); got != tc.want {
			t.Errorf("Closest(%q, %v) = %q, want %q", tc.s, tc.candidates, got, tc.want)
		}
	}
}
