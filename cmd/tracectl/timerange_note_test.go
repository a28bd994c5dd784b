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
		{timeRangeFlags{start: "x"}, at("2026-01-01T00:00:00Z"), at("2026-03-01T00:00:00Z"), "from 2026-01-01T00:00:00Z on"},
		{timeRangeFlags{since: time.Hour}, at("2026-01-01T05:00:00Z"), at("2026-01-01T06:00:00Z"), "in the last 1h"},
		{timeRangeFlags{end: "y"}, time.Time{}, at("2025-06-01T00:00:00Z"), "up to 2025-06-01T00:00:00Z"},
	} {
		if got := tc.o.describe(tc.start, tc.end); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.o, got, tc.want)
		}
	}
}

// TestTimeRangeEndsNow: a range with a start and no --end ends now, for
// --since and --start alike (search already ended it there; metricsgen
// and sample counted spans dated after now), and a start after now
// without --end is an error.
func TestTimeRangeEndsNow(t *testing.T) {
	now := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	for _, tc := range []struct {
		o          timeRangeFlags
		start, end time.Time
		err        string
	}{
		{o: timeRangeFlags{since: 24 * time.Hour}, start: now.Add(-24 * time.Hour), end: now},
		{o: timeRangeFlags{start: "2026-12-01"}, start: at("2026-12-01T00:00:00Z"), end: now},
		{o: timeRangeFlags{start: "now-2h"}, start: now.Add(-2 * time.Hour), end: now},
		{o: timeRangeFlags{start: "2026-12-01", end: "2026-12-02"}, start: at("2026-12-01T00:00:00Z"), end: at("2026-12-02T00:00:00Z")},
		{o: timeRangeFlags{start: "2026-12-08", end: "2026-12-09"}, start: at("2026-12-08T00:00:00Z"), end: at("2026-12-09T00:00:00Z")},
		{o: timeRangeFlags{since: time.Hour, end: "2026-12-09"}, start: now.Add(-time.Hour), end: at("2026-12-09T00:00:00Z")},
		{o: timeRangeFlags{end: "2026-12-01"}, end: at("2026-12-01T00:00:00Z")},
		{o: timeRangeFlags{}},
		{o: timeRangeFlags{start: "2026-12-08"}, err: "--start 2026-12-08T00:00:00Z is not before now (2026-12-07T06:00:00Z): give --end too to look ahead"},
		{o: timeRangeFlags{start: "now"}, err: "--start 2026-12-07T06:00:00Z is not before now (2026-12-07T06:00:00Z): give --end too to look ahead"},
		{o: timeRangeFlags{start: "2026-12-02", end: "2026-12-01"}, err: "--end 2026-12-01T00:00:00Z is before --start 2026-12-02T00:00:00Z"},
	} {
		start, end, err := tc.o.timeRange(now)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%+v: error %v, want %q", tc.o, err, tc.err)
			}
			continue
		}
		if err != nil || !start.Equal(tc.start) || !end.Equal(tc.end) {
			t.Errorf("%+v: %v to %v (%v), want %v to %v", tc.o, start, end, err, tc.start, tc.end)
		}
	}
}
