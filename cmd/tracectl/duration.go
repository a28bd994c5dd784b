package main

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"

	"github.com/spf13/pflag"
)

// durationValue is a time.Duration flag that also takes days and weeks
// (`7d`, `2w`, `1d12h`), as Prometheus, Grafana and logcli write
// retention and ranges; everything time.ParseDuration takes still works.
// (A few lines instead of a dependency for two suffixes.)
type durationValue struct{ d *time.Duration }

func (v durationValue) String() string {
	if v.d == nil {
		return "0s"
	}
	return v.d.String()
}

func (v durationValue) Set(s string) error {
	d, err := parseDuration(s)
	if err != nil {
		return err
	}
	*v.d = d
	return nil
}

// Type is pflag's "duration", so the flag reads in help like any other.
func (v durationValue) Type() string { return "duration" }

// durationVar defines a duration flag that takes days and weeks.
func durationVar(f *pflag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	f.Var(durationValue{p}, name, usage)
}

var weeksDays = regexp.MustCompile(`^(?:(\d+)w)?(?:(\d+)d)?(.*)$`)

// parseDuration is time.ParseDuration with leading weeks and days: `2w`,
// `7d`, `1d12h` (a day is 24h, a week 7 days).
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err == nil {
		return d, nil
	}
	bad := fmt.Errorf("invalid duration %q: want a number and a unit (ns, us, ms, s, m, h, d = 24h, w = 7d), e.g. 90m, 36h, 7d, 2w", s)
	m := weeksDays.FindStringSubmatch(s)
	if m == nil || m[1] == "" && m[2] == "" {
		return 0, bad
	}
	var total float64
	for i, unit := range []time.Duration{7 * 24 * time.Hour, 24 * time.Hour} {
		if m[i+1] != "" {
			n, err := strconv.ParseFloat(m[i+1], 64)
			if err != nil {
				return 0, bad
			}
			total += n * float64(unit)
		}
	}
	if m[3] != "" {
		rest, err := time.ParseDuration(m[3])
		if err != nil || rest < 0 {
			return 0, bad
		}
		total += float64(rest)
	}
	if total > math.MaxInt64 {
		return 0, fmt.Errorf("invalid duration %q: longer than %s", s, time.Duration(math.MaxInt64))
	}
	return time.Duration(total), nil
}
