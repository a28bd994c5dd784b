package store

import (
	"slices"
	"testing"
)

func TestDurations(t *testing.T) {
	in := []uint64{0, 1, 1e9, 1<<32 - 1, 1 << 32, 5e9, 1<<64 - 1}
	var a, b Durations
	for i, d := range in {
		if i%2 == 0 {
			a.Add(d)
		} else {
			b.Add(d)
		}
	}
	a.AddAll(&b)
	if len(a.Small) != 4 || len(a.Large) != 3 {
		t.Errorf("%d small, %d large; want 4 and 3 (under 2^32 ns in 4 bytes)", len(a.Small), len(a.Large))
	}
	var got []uint64
	a.Each(func(d uint64) { got = append(got, d) })
	slices.Sort(got)
	if !slices.Equal(got, in) {
		t.Errorf("Each gave %v, want %v", got, in)
	}
}
