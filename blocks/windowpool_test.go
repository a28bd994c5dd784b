package blocks

import "testing"

func TestWindowPool(t *testing.T) {
	for _, tc := range []struct {
		n       int64
		wantCap int
	}{
		{8, 8},                  // small: exact, not pooled
		{64 << 10, 64 << 10},    // the smallest class
		{64<<10 + 1, 128 << 10}, // rounds up
		{3 << 20, 4 << 20},      // a prefetched chunk
		{1 << 28, 1 << 28},      // the largest class
		{1<<28 + 1, 1<<28 + 1},  // too large: exact, not pooled
	} {
		b := getWindow(tc.n)
		if int64(len(b)) != tc.n || cap(b) != tc.wantCap {
			t.Errorf("getWindow(%d): len %d cap %d, want len %d cap %d", tc.n, len(b), cap(b), tc.n, tc.wantCap)
		}
		putWindow(b)
	}
	// A buffer not made by getWindow (not a power of two) is not pooled,
	// so a later getWindow never hands out a slice of someone else's array.
	odd := make([]byte, 100<<10)
	putWindow(odd)
	for range 10 {
		if b := getWindow(100 << 10); cap(b) != 128<<10 {
			t.Fatalf("getWindow(100 KiB) cap %d, want 128 KiB", cap(b))
		}
	}
}
