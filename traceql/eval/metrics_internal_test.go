package eval

import (
	"math"
	"testing"
	"time"
)

func TestIntervals(t *testing.T) {
	sec := func(s float64) int64 { return int64(s * 1e9) }
	at := func(s float64) time.Time { return time.Unix(0, sec(s)) }
	// Range (105s, 160s], step 10s: edges 100 (extra leading), 110 ... 160.
	iv := newIntervals(at(105), at(160), 10*time.Second, false)
	if iv.n != 7 || iv.timestampMs(0) != 100_000 || iv.timestampMs(6) != 160_000 {
		t.Fatalf("n %d, first %d, last %d", iv.n, iv.timestampMs(0), iv.timestampMs(6))
	}
	for _, tc := range []struct {
		t    float64
		want int
	}{
		{100, -1}, {105, -1}, // at or before the query start
		{105.000000001, 1}, {110, 1}, {110.000000001, 2}, {120, 2},
		{159.9, 6}, {160, 6}, {160.000000001, -1},
	} {
		if got := iv.slot(sec(tc.t)); got != tc.want {
			t.Errorf("slot(%v s) = %d, want %d", tc.t, got, tc.want)
		}
	}
	// An unaligned end rounds up: (100s, 151s] ends at 160.
	iv = newIntervals(at(100), at(151), 10*time.Second, false)
	if iv.timestampMs(iv.n-1) != 160_000 || iv.slot(sec(151)) != iv.n-1 {
		t.Errorf("unaligned end: last edge %d, slot(151) %d of %d", iv.timestampMs(iv.n-1), iv.slot(sec(151)), iv.n)
	}
	// Instant: one interval [start, end], both ends included.
	iv = newIntervals(at(100), at(200), 0, true)
	for _, tc := range []struct {
		t    float64
		want int
	}{{99.9, -1}, {100, 0}, {200, 0}, {200.1, -1}} {
		if got := iv.slot(sec(tc.t)); got != tc.want {
			t.Errorf("instant slot(%v s) = %d, want %d", tc.t, got, tc.want)
		}
	}
	if iv.timestampMs(0) != 200_000 {
		t.Errorf("instant stamp %d, want the end", iv.timestampMs(0))
	}
}

func TestDefaultStep(t *testing.T) {
	for _, tc := range []struct{ rng, want time.Duration }{
		{24 * time.Hour, 5 * time.Minute},
		{7 * 24 * time.Hour, 5 * time.Minute}, // 42m rounds down
		{10 * 24 * time.Hour, time.Hour},
		{MaxIntervals * time.Hour, MaxIntervals * time.Hour / 240 / time.Hour * time.Hour}, // 416h, not 100,001 intervals of 1h
		{57 * 8766 * time.Hour, 2081 * time.Hour},
		{time.Hour, 15 * time.Second},
		{10 * time.Minute, time.Second},
		{30 * time.Second, 100 * time.Millisecond},
		{time.Second, 50 * time.Millisecond},
	} {
		if got := DefaultStep(tc.rng); got != tc.want {
			t.Errorf("DefaultStep(%s) = %s, want %s", tc.rng, got, tc.want)
		}
	}
}

func TestQuantiles(t *testing.T) {
	vs := []float64{5, 1, 4, 2, 3}
	for _, tc := range []struct{ q, want float64 }{{0, 1}, {0.5, 3}, {1, 5}, {0.9, 4.6}, {0.25, 2}} {
		var l sampleList
		for _, v := range vs {
			x := intV(int64(v))
			l.add(&x)
		}
		if got := l.quantile(tc.q); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	// 4 values in (4, 8], 4 in (8, 16]: the median is the top of the
	// first bucket, p75 half-way (log scale) into the second.
	b := map[float64]uint64{8: 4, 16: 4}
	if got := log2Quantile(b, 0.5); got != 8 {
		t.Errorf("log2Quantile(.5) = %v, want 8", got)
	}
	if got, want := log2Quantile(b, 0.75), 8*math.Sqrt2; math.Abs(got-want) > 1e-9 {
		t.Errorf("log2Quantile(.75) = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		x    value
		want float64
	}{{intV(2), 2}, {intV(3), 4}, {intV(1024), 1024}, {intV(1025), 2048}, {durV(1_500_000_000), float64(1<<31) / 1e9}} {
		if got := pow2Bucket(&tc.x); got != tc.want {
			t.Errorf("pow2Bucket(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
}
