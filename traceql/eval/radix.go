package eval

import "slices"

// sortUint32 sorts by radix from radixMin values (below, slices.Sort is
// as fast and needs no scratch) to radixMax: the scratch of a radix sort
// is as large as the list, and exact quantiles of 10M spans already hold
// their durations, so lists longer than 4M (16 MiB of scratch) are sorted
// in place.
const (
	radixMin = 1024
	radixMax = 4 << 20
)

// sortUint32 sorts s in increasing order, as slices.Sort does: by a
// least-significant-digit radix sort on its four bytes (a pass skipped
// when every value has the same byte there), in O(n) instead of
// O(n log n). Quantiles of durations sort a million values per query.
func sortUint32(s []uint32) {
	if len(s) < radixMin || len(s) > radixMax {
		slices.Sort(s)
		return
	}
	var counts [4][256]int
	for _, v := range s {
		counts[0][v&0xff]++
		counts[1][v>>8&0xff]++
		counts[2][v>>16&0xff]++
		counts[3][v>>24]++
	}
	src, dst := s, make([]uint32, len(s))
	for d := range 4 {
		c := &counts[d]
		if c[src[0]>>(8*d)&0xff] == len(s) {
			continue // one byte value at this digit: the order stands
		}
		pos := 0
		for b := range c {
			c[b], pos = pos, pos+c[b]
		}
		shift := uint(8 * d)
		for _, v := range src {
			b := v >> shift & 0xff
			dst[c[b]] = v
			c[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &s[0] {
		copy(s, src)
	}
}
