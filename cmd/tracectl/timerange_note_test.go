package main

import (
	"testing"
	"time"
)

func TestDescribeRange(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	for _, tc := range []struct {
		o          timeRangeFlags
		start, end time.Time
		want       string
	}{
		{timeRangeFlags{since: time.Hour}, at("2026-01-01T05:00:00Z"), time.Time{}, "in the last 1h"},
		{timeRangeFlags{since: 90 * time.Minute}, at("2026-01-01T05:00:00Z"), time.Time{}, "in the last 1h30m"},
		{timeRangeFlags{since: 30 * time.Second}, at("2026-01-01T05:00:00Z"), time.Time{}, "in the last 30s"},
		{timeRangeFlags{since: 14 * 24 * time.Hour}, at("2026-01-01T05:00:00Z"), time.Time{}, "in the last 14d"},
		{timeRangeFlags{start: "x", end: "y"}, at("2026-01-01T00:00:00Z"), at("2026-01-02T00:00:00Z"), "from 2026-01-01T00:00:00Z to 2026-01-02T00:00:00Z"},
		{timeRangeFlags{start: "x"}, at("2026-01-01T00:00:00Z"), time.Time{}, "from 2026-01-01T00:00:00Z on"},
		{timeRangeFlags{end: "y"}, time.Time{}, at("2025-06-01T00:00:00Z"), "up to 2025-06-01T00:00:00Z"},
	} {
		if got := tc.o.describe(tc.start, tc.end); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.o, got, tc.want)
		}
	}
}
