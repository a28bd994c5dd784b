package store

import (
	"reflect"
	"sort"
	"testing"
)

// TestExemplarsOrderFree: spans of one trace without an ID share their
// rank; the exemplars kept are the same whatever order they are offered
// in (by start, then duration), as they are for a reader merging the
// sets of several workers.
func TestExemplarsOrderFree(t *testing.T) {
	spans := []ExemplarSpan{
		{Rank: 7, StartUnixNano: 30, DurationNano: 1},
		{Rank: 7, StartUnixNano: 10, DurationNano: 5},
		{Rank: 7, StartUnixNano: 10, DurationNano: 2},
		{Rank: 3, StartUnixNano: 50, DurationNano: 9},
		{Rank: 7, StartUnixNano: 20, DurationNano: 4},
	}
	var want []ExemplarSpan
	perm := []int{0, 1, 2, 3, 4}
	for n := 0; n < 120; n++ {
		gs := NewGroupSet(&AggregateSpec{Slots: 1, Exemplars: 3})
		g := gs.Group(nil, nil)
		for _, i := range perm {
			gs.AddExemplar(g, 0, spans[i])
		}
		got := append([]ExemplarSpan(nil), g.Exemplars[0]...)
		sort.Slice(got, func(i, j int) bool { return got[i].Before(got[j]) })
		if want == nil {
			want = got
			if len(want) != 3 || want[0].Rank != 3 || want[1].DurationNano != 2 || want[2].DurationNano != 5 {
				t.Fatalf("kept %+v", want)
			}
		} else if !reflect.DeepEqual(got, want) {
			t.Fatalf("order %v kept %+v, want %+v", perm, got, want)
		}
		nextPerm(perm)
	}
}

// nextPerm advances p to its next permutation in lexicographic order.
func nextPerm(p []int) {
	i := len(p) - 2
	for i >= 0 && p[i] >= p[i+1] {
		i--
	}
	if i < 0 {
		return
	}
	j := len(p) - 1
	for p[j] <= p[i] {
		j--
	}
	p[i], p[j] = p[j], p[i]
	for a, b := i+1, len(p)-1; a < b; a, b = a+1, b-1 {
		p[a], p[b] = p[b], p[a]
	}
}
