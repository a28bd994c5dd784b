package metricsgen

import (
	"fmt"
	"sort"
)

// OverflowLabel marks the series that takes every label set refused by
// --max-series (the Collector's otel.metric.overflow attribute).
const OverflowLabel = "otel_metric_overflow"

// maxTrackedValues bounds the distinct values remembered per label while
// looking for the label that exploded.
const maxTrackedValues = 100_000

// limiter caps the label sets of one generator (span metrics or service
// graph) and remembers enough to name the label that exploded.
type limiter struct {
	what     string
	max      int
	admitted map[string]struct{}
	// Refused counts observations (spans or edges) sent to overflow.
	refused  int
	distinct map[string]map[string]struct{}
	order    []string
}

func newLimiter(what string, max int) *limiter {
	return &limiter{what: what, max: max, admitted: map[string]struct{}{}, distinct: map[string]map[string]struct{}{}}
}

var (
	overflowLabels = []Label{{Name: OverflowLabel, Value: "true"}}
	overflowKey    = appendKey(nil, overflowLabels)
)

// allows reports whether labels (whose key is key) get their own series:
// they already have one, or fewer than max label sets are held. A refused
// observation is counted for the warning.
func (l *limiter) allows(key []byte, labels []Label) bool {
	if l.max <= 0 {
		return true
	}
	if _, ok := l.admitted[string(key)]; ok {
		return true
	}
	l.track(labels)
	if len(l.admitted) < l.max {
		l.admitted[string(key)] = struct{}{}
		return true
	}
	l.refused++
	return false
}

func (l *limiter) track(labels []Label) {
	for _, lb := range labels {
		m := l.distinct[lb.Name]
		if m == nil {
			m = map[string]struct{}{}
			l.distinct[lb.Name] = m
			l.order = append(l.order, lb.Name)
		}
		if len(m) < maxTrackedValues {
			m[lb.Value] = struct{}{}
		}
	}
}

// warning describes the overflow, or is "" when nothing overflowed.
func (l *limiter) warning() string {
	if l == nil || l.refused == 0 {
		return ""
	}
	names := append([]string(nil), l.order...)
	sort.SliceStable(names, func(i, j int) bool { return len(l.distinct[names[i]]) > len(l.distinct[names[j]]) })
	top := names[0]
	return fmt.Sprintf("%s: --max-series %d reached, %d observations went to the %s=\"true\" series; label %q exploded (%d distinct values)",
		l.what, l.max, l.refused, OverflowLabel, top, len(l.distinct[top]))
}
