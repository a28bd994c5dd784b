package blocks

import (
	"math/bits"
	"sync"
)

// The window pool recycles the buffers ranged reads fill (prefetched
// column chunks, streaming windows), which are large and short-lived: one
// row group's worth per read. Buffers are pooled by power-of-two size
// class from 64 KiB to 256 MiB; sync.Pool lets the collector free those
// not in use, so the pool holds no memory of its own for long.
const (
	minWindowClass = 16 // 64 KiB
	maxWindowClass = 28 // 256 MiB
)

var windowPools [maxWindowClass + 1]sync.Pool

// windowClass is the size class holding n bytes: the smallest power of
// two at least n (and at least 64 KiB).
func windowClass(n int64) int {
	if n <= 1<<minWindowClass {
		return minWindowClass
	}
	return bits.Len64(uint64(n - 1))
}

// getWindow returns a buffer of length n, from the pool when n is in a
// pooled class (small reads, such as a footer's length, are not pooled).
func getWindow(n int64) []byte {
	c := windowClass(n)
	if n < 1<<minWindowClass || c > maxWindowClass {
		return make([]byte, n)
	}
	if p, ok := windowPools[c].Get().(*[]byte); ok {
		return (*p)[:n]
	}
	return make([]byte, n, 1<<c)
}

// putWindow gives buf back to the pool; buffers of no class (not made by
// getWindow) are left to the collector.
func putWindow(buf []byte) {
	c := cap(buf)
	if c < 1<<minWindowClass || c&(c-1) != 0 {
		return
	}
	k := bits.Len64(uint64(c)) - 1
	if k > maxWindowClass {
		return
	}
	buf = buf[:0]
	windowPools[k].Put(&buf)
}
