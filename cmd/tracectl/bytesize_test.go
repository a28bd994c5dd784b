package main

import "testing"

func TestParseBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{"134217728", 134217728, false},
		{"512MiB", 512 << 20, false},
		{"512mib", 512 << 20, false},
		{"2GiB", 2 << 30, false},
		{"1.5GiB", 3 << 29, false},
		{"100MB", 100e6, false},
		{"64k", 64 << 10, false},
		{"10 M", 10 << 20, false},
		{"7B", 7, false},
		{"", 0, true},
		{"-1", 0, true},
		{"12XB", 0, true},
		{"MiB", 0, true},
	} {
		got, err := parseBytes(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d (error %v)", tc.in, got, err, tc.want, tc.bad)
		}
	}
	for n, want := range map[int64]string{128 << 20: "128MiB", 256 << 20: "256MiB", 1000: "1000", 1 << 30: "1GiB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %s, want %s", n, got, want)
		}
	}
}
