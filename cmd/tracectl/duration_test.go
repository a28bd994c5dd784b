package main

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "90m", want: 90 * time.Minute},
		{in: "1.5h", want: 90 * time.Minute},
		{in: "7d", want: 7 * 24 * time.Hour},
		{in: "2w", want: 14 * 24 * time.Hour},
		{in: "1w2d", want: 9 * 24 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "14d", want: 336 * time.Hour},
		{in: "0", want: 0},
		{in: "7x", bad: true},
		{in: "d", bad: true},
		{in: "-7d", bad: true},
		{in: "1d-2h", bad: true},
		{in: "2d1w", bad: true},
		{in: "999999999w", bad: true},
	}
	for _, tc := range tests {
		got, err := parseDuration(tc.in)
		if (err != nil) != tc.bad || !tc.bad && got != tc.want {
			t.Errorf("%q: %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{in: "2026-08-01T10:00:00Z", want: time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC)},
		{in: "2026-08-01", want: time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)},
		{in: "1767225600", want: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{in: "now", want: now},
		{in: "now-2h", want: now.Add(-2 * time.Hour)},
		{in: "now-7d", want: now.Add(-7 * 24 * time.Hour)},
		{in: "now+1w", want: now.Add(7 * 24 * time.Hour)},
		{in: "now-", bad: true},
		{in: "now-2x", bad: true},
		{in: "yesterday", bad: true},
		{in: "2026-13-01", bad: true},
	}
	for _, tc := range tests {
		got, err := parseTimeAt("--start", tc.in, now)
		if (err != nil) != tc.bad || !tc.bad && !got.Equal(tc.want) {
			t.Errorf("%q: %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.bad)
		}
	}
}
