package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// timeRangeFlags are --since, --start and --end.
type timeRangeFlags struct {
	since      time.Duration
	start, end string
}

// add registers the flags; what says what the range selects.
func (o *timeRangeFlags) add(f *pflag.FlagSet, what string) {
	durationVar(f, &o.since, "since", 0, what+" of the last DURATION (e.g. 30m, 1h, 7d)")
	f.StringVar(&o.start, "start", "", what+" from this time (RFC 3339, a date, Unix seconds, now-DURATION)")
	f.StringVar(&o.end, "end", "", what+" up to this time (RFC 3339, a date, Unix seconds, now-DURATION)")
}

// timeRange resolves --since/--start/--end.
func (o *timeRangeFlags) timeRange(now time.Time) (start, end time.Time, err error) {
	if o.since > 0 && o.start != "" {
		return start, end, fmt.Errorf("--since and --start cannot be used together")
	}
	if o.since > 0 {
		start = now.Add(-o.since)
	}
	if o.start != "" {
		if start, err = parseTimeFlag("--start", o.start); err != nil {
			return
		}
	}
	if o.end != "" {
		if end, err = parseTimeFlag("--end", o.end); err != nil {
			return
		}
	}
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		err = fmt.Errorf("--end %s is before --start %s", end.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	return
}

// parseTimeFlag accepts RFC 3339, a date (midnight UTC), Unix seconds
// (with a fraction), `now` and `now-DURATION` / `now+DURATION` (durations
// as --since takes them: 2h, 7d), as Grafana and logcli do.
func parseTimeFlag(name, s string) (time.Time, error) {
	return parseTimeAt(name, s, time.Now())
}

func parseTimeAt(name, s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
	}
	if rest, ok := strings.CutPrefix(s, "now"); ok {
		if rest == "" {
			return now.UTC(), nil
		}
		if sign := rest[0]; sign == '-' || sign == '+' {
			d, err := parseDuration(rest[1:])
			if err != nil {
				return time.Time{}, fmt.Errorf("%s %q: %w", name, s, err)
			}
			if sign == '-' {
				d = -d
			}
			return now.Add(d).UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%s %q: want RFC 3339 (2024-05-01T10:00:00Z), a date (2024-05-01), Unix seconds, now or now-DURATION (now-2h, now-7d)", name, s)
}
