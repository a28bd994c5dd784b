package eval

import (
	"math"
	"math/rand"
	"sort"
	"testing"
)

// exactQuantile is the reference sampleList.quantile must agree with: the
// q-quantile of vs (sorted in place) with linear interpolation between the
// closest ranks (rank q·(n-1)), as Prometheus' quantile_over_time computes
// it; it is what the aggregator computed on a []float64 of metricValue.
func exactQuantile(vs []float64, q float64) float64 {
	sort.Float64s(vs)
	if q <= 0 {
		return vs[0]
	}
	if q >= 1 {
		return vs[len(vs)-1]
	}
	rank := q * float64(len(vs)-1)
	lo := int(math.Floor(rank))
	hi := min(lo+1, len(vs)-1)
	frac := rank - float64(lo)
	return vs[lo] + (vs[hi]-vs[lo])*frac
}

// TestSampleListQuantile: the compact lists give exactQuantile's answer
// over the same values' metricValue, for durations (under and past 2^32
// ns), integers, floats of every kind (fractions, negatives, -0,
// infinities, NaN), durations followed by other values, and every rank.
func TestSampleListQuantile(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	durations := []func() value{
		func() value { return durV(rng.Int63n(5e9)) }, // some past 2^32 ns
		func() value { return durV(rng.Int63n(10) * 1e8) },
	}
	others := []func() value{
		func() value { return intV(rng.Int63n(10)) }, // ties
		func() value { return intV(rng.Int63n(1<<34) - 1<<20) },
		func() value { return floatV(rng.Float64() * 100) },
		func() value {
			return floatV([]float64{math.Inf(1), math.Inf(-1), math.NaN(), 1 << 32, 1<<32 - 1, 0.5, 4, math.Copysign(0, -1)}[rng.Intn(8)])
		},
	}
	pick := func(kinds []func() value) value { return kinds[rng.Intn(len(kinds))]() }
	qs := []float64{0, 0.001, 0.25, 0.5, 0.9, 0.99, 0.999, 1, -1, 2}
	for round := 0; round < 600; round++ {
		n := 1 + rng.Intn(300)
		if round%50 == 0 {
			n = 1 + rng.Intn(3)
		}
		vs := make([]float64, n)
		var l sampleList
		for i := range vs {
			var x value
			switch round % 3 {
			case 0: // durations only, the common case
				x = pick(durations)
			case 1: // other values only
				x = pick(others)
			default: // durations, then other values past a point
				if i < n/2 {
					x = pick(durations)
				} else {
					x = pick(others)
				}
			}
			vs[i] = metricValue(&x)
			l.add(&x)
		}
		if l.len() != n {
			t.Fatalf("len %d, want %d", l.len(), n)
		}
		for _, q := range qs {
			want := exactQuantile(append([]float64(nil), vs...), q)
			got := l.quantile(q)
			if !(got == want || math.IsNaN(got) && math.IsNaN(want)) {
				t.Fatalf("round %d, q %v: sampleList %v, []float64 %v; values %v", round, q, got, want, vs)
			}
		}
	}
}

// TestSampleListIsCompact: durations under 2^32 ns and whole numbers in
// [0, 2^32) take 4 bytes, the rest 8; a value that is not a duration after
// durations turns the list into seconds.
func TestSampleListIsCompact(t *testing.T) {
	var l sampleList
	for _, d := range []int64{0, 1, 1e9, 1<<32 - 1, 1 << 32} {
		x := durV(d)
		l.add(&x)
	}
	if !l.ns || len(l.small) != 4 || len(l.large) != 1 {
		t.Fatalf("durations: ns %v, %d small, %d large; want true, 4, 1", l.ns, len(l.small), len(l.large))
	}
	x := floatV(2.5)
	l.add(&x)
	if l.ns || len(l.small) != 0 || len(l.large) != 6 {
		t.Fatalf("after a float: ns %v, %d small, %d large; want false, 0, 6", l.ns, len(l.small), len(l.large))
	}
	var m sampleList
	for _, v := range []value{intV(0), intV(7), floatV(1 << 31), intV(1 << 32), intV(-1), floatV(0.5), floatV(math.Copysign(0, -1)), floatV(math.NaN())} {
		m.add(&v)
	}
	if m.ns || len(m.small) != 3 || len(m.large) != 5 {
		t.Errorf("values: ns %v, %d small, %d large; want false, 3, 5", m.ns, len(m.small), len(m.large))
	}
}
