package otlp

import "testing"

// TestBufPoolBound: a buffer grown past maxPooledBuf (one huge field) is
// not kept for the files after it; one within the bound is.
func TestBufPoolBound(t *testing.T) {
	for takeBuf() != nil { // empty the pool
	}
	giveBuf(make([]byte, 0, maxPooledBuf+1))
	if b := takeBuf(); cap(b) > maxPooledBuf {
		t.Fatalf("takeBuf returned a buffer of %d bytes, past the bound %d", cap(b), maxPooledBuf)
	}
	giveBuf(make([]byte, 10, 1<<20))
	for range 100 { // the pool may drop what it holds (a collection), not keep a buffer of another size
		if b := takeBuf(); b != nil {
			if len(b) != 0 || cap(b) != 1<<20 {
				t.Fatalf("takeBuf returned len %d cap %d, want an empty buffer of 1 MiB", len(b), cap(b))
			}
			return
		}
		giveBuf(make([]byte, 10, 1<<20))
	}
	t.Fatal("a buffer within the bound was never kept")
}
