package eval

import (
	"math"
	"sort"
)

// sampleList holds the values of one interval of an exact quantile in
// about half the memory of a []float64: whole numbers in [0, 2^32) as
// uint32, the rest as float64. While every value is a duration it keeps
// nanoseconds (durations under 4.3 s, nearly all of them, are small) and
// turns them into seconds, as metricValue does, only when one is read.
// Over 10M spans that is 40 MB instead of 80 (README, "Memory"). Its
// quantiles are exactQuantile's over the values in the order they came,
// bit for bit; quantile is called after the last add.
type sampleList struct {
	ns    bool // the values are durations in nanoseconds
	small []uint32
	large []float64
	// order has bit i set when value i went to large: with it the values
	// can be replayed in the order they came (needed when a -0 came, as
	// sort.Float64s' order of -0 and +0 depends on it).
	order   []uint64
	negZero bool
	plain   []float64 // the values in the order they came, once a -0 came
	// sorted: small and large are sorted, as quantile leaves them (the
	// next quantile of the same list does not sort them again).
	sorted bool
}

// mark records whether the value being added goes to large.
func (l *sampleList) mark(big bool) {
	i := l.len()
	if i%64 == 0 {
		l.order = append(l.order, 0)
	}
	if big {
		l.order[i/64] |= 1 << (i % 64)
	}
}

// replay returns the values' metricValue in the order they came.
func (l *sampleList) replay() []float64 {
	out := make([]float64, 0, l.len())
	si, gi := 0, 0
	for i := 0; i < l.len(); i++ {
		var v float64
		if l.order[i/64]&(1<<(i%64)) != 0 {
			v = l.large[gi]
			gi++
		} else {
			v = float64(l.small[si])
			si++
		}
		if l.ns {
			v /= 1e9
		}
		out = append(out, v)
	}
	return out
}

// add adds x's metricValue.
func (l *sampleList) add(x *value) {
	l.sorted = false
	if l.len() == 0 {
		l.ns = x.k == kDuration
	} else if l.ns && x.k != kDuration {
		l.toSeconds()
	}
	if l.ns {
		if x.i >= 0 && x.i < 1<<32 {
			l.mark(false)
			l.small = append(l.small, uint32(x.i))
		} else {
			l.mark(true)
			l.large = append(l.large, float64(x.i))
		}
		return
	}
	v := metricValue(x)
	if v >= 0 && v < 1<<32 && v == math.Trunc(v) && !math.Signbit(v) {
		l.mark(false)
		l.small = append(l.small, uint32(v))
		return
	}
	if v == 0 { // -0: +0 went to small above
		l.negZero = true
	}
	l.mark(true)
	l.large = append(l.large, v)
}

// toSeconds turns a list of durations into one of plain values.
func (l *sampleList) toSeconds() {
	l.large = l.replay()
	for i := range len(l.large) {
		l.order[i/64] |= 1 << (i % 64)
	}
	l.small, l.ns = nil, false
}

func (l *sampleList) len() int { return len(l.small) + len(l.large) + len(l.plain) }

// quantile is the q-quantile of the values with linear interpolation
// between the closest ranks (rank q·(n-1)), as Prometheus'
// quantile_over_time computes it, over the values in sort.Float64s order
// (NaN first). The lists are sorted in place.
func (l *sampleList) quantile(q float64) float64 {
	if l.negZero && l.plain == nil {
		l.plain = l.replay()
		l.small, l.large, l.order = nil, nil, nil
	}
	if l.plain != nil {
		return exactQuantile(l.plain, q)
	}
	if !l.sorted {
		sortUint32(l.small)
		sort.Float64s(l.large)
		l.sorted = true
	}
	return interpolate(l.len(), q, l.at)
}

// at returns value k (from 0) of the sorted lists merged. The first k
// values are i of small and k-i of large for the largest i whose last
// small one does not sort after large's value k-i; value k is the lesser
// of the next of each.
func (l *sampleList) at(k int) float64 {
	s, g := l.small, l.large
	lo, hi := max(0, k-len(g)), min(k, len(s))
	for lo < hi {
		i := (lo + hi + 1) / 2
		if j := k - i; j >= len(g) || !floatLess(g[j], float64(s[i-1])) {
			lo = i
		} else {
			hi = i - 1
		}
	}
	i, j := lo, k-lo
	var v float64
	switch {
	case i >= len(s):
		v = g[j]
	case j >= len(g) || !floatLess(g[j], float64(s[i])):
		v = float64(s[i])
	default:
		v = g[j]
	}
	if l.ns {
		return v / 1e9
	}
	return v
}

// floatLess is sort.Float64s' order: NaN before every other value.
func floatLess(a, b float64) bool { return a < b || (math.IsNaN(a) && !math.IsNaN(b)) }

// exactQuantile is the q-quantile of vs with linear interpolation between
// the closest ranks (rank q·(n-1)), as Prometheus' quantile_over_time
// computes it. vs is sorted in place. It is what the aggregator computed
// on every value as a float64 before sampleList, and still does on a list
// with a -0.
func exactQuantile(vs []float64, q float64) float64 {
	sort.Float64s(vs)
	return interpolate(len(vs), q, func(k int) float64 { return vs[k] })
}

// interpolate is the q-quantile of n sorted values, at(k) being value k:
// the first for q ≤ 0, the last for q ≥ 1, else linear interpolation
// between the values at ranks floor and ceiling of q·(n-1).
func interpolate(n int, q float64, at func(int) float64) float64 {
	if q <= 0 {
		return at(0)
	}
	if q >= 1 {
		return at(n - 1)
	}
	rank := q * float64(n-1)
	lo := int(math.Floor(rank))
	hi := min(lo+1, n-1)
	frac := rank - float64(lo)
	vlo, vhi := at(lo), at(hi)
	return vlo + (vhi-vlo)*frac
}
