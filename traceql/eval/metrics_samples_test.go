package eval

import (
	"encoding/binary"
	"math"
	"math/rand"
	"testing"
)

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
			if !sameBits(got, want) {
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

// sameBits reports whether a and b are the same float64 (any NaN matching
// any NaN: which one a quantile returns does not show in any output).
func sameBits(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || math.IsNaN(a) && math.IsNaN(b)
}

// TestSampleListNegativeZero: with -0 and +0 among the values, q=0 and
// q=1 give the zero the old []float64 gave, which depends on the order
// the values came in (sort.Float64s is not stable).
func TestSampleListNegativeZero(t *testing.T) {
	negZero := math.Copysign(0, -1)
	for _, vs := range [][]value{
		{floatV(negZero), intV(0)},
		{intV(0), floatV(negZero)},
		{floatV(negZero), intV(0), intV(-1)},
		{intV(0), floatV(negZero), intV(-1)},
		{durV(5), durV(0), floatV(negZero), intV(0)},
	} {
		checkSampleList(t, vs, []float64{0, 0.5, 1})
	}
}

// checkSampleList compares sampleList's quantiles of vs with
// exactQuantile's over their metricValue in order, bit for bit.
func checkSampleList(t *testing.T, vs []value, qs []float64) {
	t.Helper()
	if len(vs) == 0 {
		return
	}
	var l sampleList
	fl := make([]float64, len(vs))
	for i := range vs {
		fl[i] = metricValue(&vs[i])
		l.add(&vs[i])
	}
	for _, q := range qs {
		if math.IsNaN(q) {
			continue // both index out of range; the parser rejects it
		}
		want := exactQuantile(append([]float64(nil), fl...), q)
		if got := l.quantile(q); !sameBits(got, want) {
			t.Fatalf("q=%v: sampleList %v (%#x), []float64 %v (%#x); values %v", q, got, math.Float64bits(got), want, math.Float64bits(want), fl)
		}
	}
}

// FuzzSampleListQuantile: any sequence of durations, integers and floats
// (each op byte picks a kind, the bytes after it the value; op 9 adds a
// rank) has the quantiles of the old []float64, bit for bit.
func FuzzSampleListQuantile(f *testing.F) {
	f.Add([]byte{6, 1, 6, 0, 9, 3})
	f.Add([]byte{1, 1, 2, 3, 4, 5, 1, 9, 9, 9, 9, 5, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{2, 3, 2, 4, 6, 0, 6, 2})
	specialF := []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1), 1 << 32, 1<<32 - 1, 0.5, -1, 1 << 53, 1<<53 + 1, math.MaxFloat64, 5e-324, 4294967295.5, 1e9}
	specialI := []int64{0, 1, -1, 1 << 32, 1<<32 - 1, 1 << 53, 1<<53 + 1, math.MaxInt64, math.MinInt64, 999999999, 1000000001}
	f.Fuzz(func(t *testing.T, data []byte) {
		var vs []value
		var qs []float64
		take := func(n int) []byte {
			b := make([]byte, 8)
			data = data[copy(b[:n], data):]
			return b
		}
		for len(data) >= 2 && len(vs) < 4096 {
			op := data[0]
			data = data[1:]
			switch op % 10 {
			case 0:
				vs = append(vs, durV(int64(binary.LittleEndian.Uint64(take(8)))))
			case 1:
				vs = append(vs, durV(int64(binary.LittleEndian.Uint32(take(4)))))
			case 2:
				vs = append(vs, durV(specialI[int(take(1)[0])%len(specialI)]))
			case 3:
				vs = append(vs, intV(int64(binary.LittleEndian.Uint64(take(8)))))
			case 4:
				vs = append(vs, intV(specialI[int(take(1)[0])%len(specialI)]))
			case 5:
				vs = append(vs, floatV(math.Float64frombits(binary.LittleEndian.Uint64(take(8)))))
			case 6:
				vs = append(vs, floatV(specialF[int(take(1)[0])%len(specialF)]))
			case 7:
				vs = append(vs, intV(int64(take(1)[0]%8)))
			case 8:
				vs = append(vs, durV(int64(take(1)[0]%8)*1e9/3))
			case 9:
				qs = append(qs, float64(take(1)[0])/255*1.5-0.25)
			}
		}
		if len(qs) == 0 {
			qs = []float64{0, 0.25, 0.5, 0.9, 1}
		}
		checkSampleList(t, vs, qs)
	})
}
