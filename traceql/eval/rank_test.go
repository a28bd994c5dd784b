package eval

import (
	"hash/fnv"
	"math/rand/v2"
	"testing"

	"github.com/tracectl/tracectl/model"
)

// TestSpanRank holds the exemplars' rank to hash/fnv's FNV-1a over the
// trace ID then the span ID, in one step and in two (traceRank, then
// spanRankFrom): the exemplars kept must not change.
func TestSpanRank(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for range 1000 {
		var tid model.TraceID
		var sid model.SpanID
		for i := range tid {
			tid[i] = byte(r.IntN(256))
		}
		for i := range sid {
			sid[i] = byte(r.IntN(256))
		}
		h := fnv.New64a()
		h.Write(tid[:])
		h.Write(sid[:])
		want := h.Sum64()
		if got := spanRank(tid, sid); got != want {
			t.Fatalf("spanRank(%s, %s) = %x, want %x", tid, sid, got, want)
		}
		if got := spanRankFrom(traceRank(tid), sid); got != want {
			t.Fatalf("spanRankFrom(traceRank(%s), %s) = %x, want %x", tid, sid, got, want)
		}
	}
}
