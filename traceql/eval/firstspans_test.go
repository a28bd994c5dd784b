package eval

import (
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/tracectl/tracectl/model"
)

// TestFirstSpans holds firstSpans to sorting every span and taking the
// first k, on random spans with repeated start times and IDs.
func TestFirstSpans(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		n := r.IntN(12)
		spans := make([]*span, n)
		for i := range spans {
			s := &model.Span{StartTimeUnixNano: uint64(r.IntN(4)), Kind: model.SpanKind(r.IntN(3))}
			s.SpanID[7] = byte(r.IntN(3))
			spans[i] = &span{ref: model.SpanRef{Span: s}, idx: i}
		}
		before := append([]*span(nil), spans...)
		k := r.IntN(6)
		want := append([]*span(nil), spans...)
		sort.SliceStable(want, func(i, j int) bool { return spanLess(want[i], want[j]) })
		want = want[:min(k, n)]
		got := firstSpans(spans, k)
		if len(got) != len(want) {
			t.Fatalf("k=%d n=%d: %d spans, want %d", k, n, len(got), len(want))
		}
		for i := range got {
			if spanLess(got[i], want[i]) || spanLess(want[i], got[i]) {
				t.Fatalf("k=%d n=%d: span %d differs", k, n, i)
			}
		}
		for i := range spans {
			if spans[i] != before[i] {
				t.Fatal("firstSpans changed its input")
			}
		}
	}
}
