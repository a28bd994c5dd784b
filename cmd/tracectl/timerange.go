package main

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/tracectl/tracectl/blocks"
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

// timeRange resolves --since/--start/--end. A range with a start and no
// --end ends now, for every command alike: spans dated in the future are
// not in "the last 24h". A start at or after now without --end is an
// error.
func (o *timeRangeFlags) timeRange(now time.Time) (start, end time.Time, err error) {
	if o.since > 0 && o.start != "" {
		return start, end, fmt.Errorf("--since and --start cannot be used together")
	}
	if o.since > 0 {
		start = now.Add(-o.since)
	}
	if o.start != "" {
		if start, err = parseTimeAt("--start", o.start, now); err != nil {
			return
		}
	}
	if o.end != "" {
		if end, err = parseTimeAt("--end", o.end, now); err != nil {
			return
		}
	}
	if !start.IsZero() && o.end == "" {
		if end = now.UTC(); !end.After(start) {
			err = fmt.Errorf("--start %s is not before now (%s): give --end too to look ahead", start.Format(time.RFC3339), end.Format(time.RFC3339))
		}
		return
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

// given reports whether --since, --start or --end was set.
func (o *timeRangeFlags) given() bool { return o.since > 0 || o.start != "" || o.end != "" }

// describe names a resolved range after "no data": "in the last 1h",
// "from 2026-01-01T00:00:00Z to 2026-01-02T00:00:00Z", "from … on",
// "up to …".
func (o *timeRangeFlags) describe(start, end time.Time) string {
	f := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	switch {
	case o.since > 0 && o.end == "":
		return "in the last " + formatDuration(o.since)
	case !start.IsZero() && o.end == "":
		return "from " + f(start) + " on"
	case !start.IsZero() && !end.IsZero():
		return "from " + f(start) + " to " + f(end)
	case !start.IsZero():
		return "from " + f(start) + " on"
	case !end.IsZero():
		return "up to " + f(end)
	}
	return "stored"
}

// storedRange returns the time the tenant's live blocks cover, from their
// metas (ok false without blocks). The end is widened by the second that
// meta times are truncated to.
func storedRange(ctx context.Context, st *blocks.Store) (start, end time.Time, ok bool, err error) {
	metas, err := st.Blocks(ctx)
	if err != nil || len(metas) == 0 {
		return start, end, false, err
	}
	for i, m := range metas {
		if i == 0 || m.StartTime.Before(start) {
			start = m.StartTime
		}
		if i == 0 || m.EndTime.After(end) {
			end = m.EndTime
		}
	}
	return start.UTC(), end.Add(time.Second).UTC(), true, nil
}

// noteOutside says on stderr, for an empty answer, that the range asked
// for misses every stored block: "tracectl: no data in the last 1h;
// blocks cover … to …". Nothing when the range overlaps some block (the query just
// matched nothing) or the tenant has no block (noted elsewhere).
func (g *globals) noteOutside(ctx context.Context, st *blocks.Store, o *timeRangeFlags, start, end time.Time) {
	if start.IsZero() && end.IsZero() {
		return
	}
	lo, hi, ok, err := storedRange(ctx, st)
	if err != nil || !ok {
		return
	}
	if (end.IsZero() || !lo.After(end)) && (start.IsZero() || hi.After(start)) {
		return // the range overlaps the stored data
	}
	fmt.Fprintf(g.io.Err, "tracectl: no data %s; blocks cover %s to %s\n", o.describe(start, end),
		lo.Format(time.RFC3339), hi.Format(time.RFC3339))
}

// formatDuration prints whole days as "7d" and the rest as Go does
// ("1h0m0s" as "1h").
func formatDuration(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
