package eval

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortUint32 holds sortUint32 to slices.Sort on lengths around the
// radix threshold and on values that vary in some bytes only.
func TestSortUint32(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	gens := map[string]func() uint32{
		"any":          func() uint32 { return r.Uint32() },
		"small":        func() uint32 { return uint32(r.IntN(300)) },
		"one value":    func() uint32 { return 7 },
		"high byte":    func() uint32 { return uint32(r.IntN(4)) << 24 },
		"durations ns": func() uint32 { return uint32(r.ExpFloat64() * 2e7) },
	}
	for name, gen := range gens {
		for _, n := range []int{0, 1, 2, radixMin - 1, radixMin, radixMin + 1, 5000, radixMax + 1} {
			s := make([]uint32, n)
			for i := range s {
				s[i] = gen()
			}
			want := slices.Clone(s)
			slices.Sort(want)
			sortUint32(s)
			if !slices.Equal(s, want) {
				t.Fatalf("%s, %d values: not sorted as slices.Sort sorts them", name, n)
			}
		}
	}
}

func BenchmarkSortUint32(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	src := make([]uint32, 100_000)
	for i := range src {
		src[i] = uint32(r.ExpFloat64() * 2e7)
	}
	s := make([]uint32, len(src))
	b.Run("radix", func(b *testing.B) {
		for b.Loop() {
			copy(s, src)
			sortUint32(s)
		}
	})
	b.Run("slices.Sort", func(b *testing.B) {
		for b.Loop() {
			copy(s, src)
			slices.Sort(s)
		}
	})
}
