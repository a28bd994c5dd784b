package store

import (
	"errors"
	"testing"

	"github.com/tracectl/tracectl/model"
)

// failingIterator yields n traces, then fails with err (nil: ends).
type failingIterator struct {
	n, i   int
	err    error
	cur    *model.Trace
	closed bool
}

func (f *failingIterator) Next() bool {
	if f.i == f.n {
		return false
	}
	f.i++
	f.cur = &model.Trace{TraceID: model.TraceID{byte(f.i >> 8), byte(f.i)}}
	return true
}
func (f *failingIterator) At() *model.Trace { return f.cur }
func (f *failingIterator) Err() error {
	if f.i == f.n {
		return f.err
	}
	return nil
}
func (f *failingIterator) Close() error { f.closed = true; return nil }

// TestPrefetch: the prefetched stream is the source's, in order, for
// sources shorter, equal to and longer than a batch; the source's error
// comes out after its last trace; Close stops early and closes the source.
func TestPrefetch(t *testing.T) {
	bad := errors.New("bad run")
	for _, n := range []int{0, 1, 7, 8, 9, 100} {
		for _, err := range []error{nil, bad} {
			src := &failingIterator{n: n, err: err}
			it := Prefetch(src, 8)
			i := 0
			for it.Next() {
				i++
				if want := (model.TraceID{byte(i >> 8), byte(i)}); it.At().TraceID != want {
					t.Fatalf("n=%d: trace %d is %v, want %v", n, i, it.At().TraceID, want)
				}
				if it.Err() != nil {
					t.Fatalf("n=%d: Err before the end: %v", n, it.Err())
				}
			}
			if i != n || !errors.Is(it.Err(), err) {
				t.Errorf("n=%d: %d traces, Err %v; want %d, %v", n, i, it.Err(), n, err)
			}
			if it.Close(); !src.closed {
				t.Errorf("n=%d: Close did not close the source", n)
			}
		}
	}
	src := &failingIterator{n: 1000}
	it := Prefetch(src, 8)
	it.Next()
	if err := it.Close(); err != nil || !src.closed || src.i > 8*4 {
		t.Errorf("Close after one trace: %v, closed %v, %d traces read ahead (want at most a few batches)", err, src.closed, src.i)
	}
}
