package store_test

import (
	"testing"
	"time"

	"github.com/tracectl/tracectl/store"
)

// TestOverlapsBefore1970: a range starting before 1970 holds every stored
// span (it wrapped to the far future and matched nothing); one ending
// after 2262 too.
func TestOverlapsBefore1970(t *testing.T) {
	ns := uint64(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	for _, r := range []store.Request{
		{Start: time.Date(1926, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Start: time.Date(1926, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if !r.Overlaps(ns, ns+1) {
			t.Errorf("%v–%v does not hold a 2026 span", r.Start, r.End)
		}
	}
	if (store.Request{End: time.Date(1926, 1, 1, 0, 0, 0, 0, time.UTC)}).Overlaps(ns, ns+1) {
		t.Error("a range ending in 1926 holds a 2026 span")
	}
}
