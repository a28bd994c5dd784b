package blocks

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"
)

// TestTimesPast2262: a span ending past what Unix nanoseconds hold (a block
// written elsewhere; ingest rejects it) gives a meta range clamped to 2262,
// never one wrapped to 1969; verify flags the trace, and a meta.json whose
// range ends before it starts (as the old writer made) is flagged too.
func TestTimesPast2262(t *testing.T) {
	ctx := context.Background()
	s := memStore(t)
	trs := syntheticTraces(3, 4, 1767225600000000000)
	sp := &trs[1].ResourceSpans[0].ScopeSpans[0].Spans[0]
	sp.EndTimeUnixNano = math.MaxUint64
	m, err := s.WriteBlock(ctx, trs, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.EndTime.Before(m.StartTime) || m.EndTime.Year() != 2262 {
		t.Errorf("meta range [%s, %s], want it to end in 2262", m.StartTime, m.EndTime)
	}
	problems := func() string {
		rep, err := s.Verify(ctx)
		if err != nil || len(rep.Blocks) != 1 {
			t.Fatalf("verify: %+v %v", rep, err)
		}
		return strings.Join(rep.Blocks[0].Problems, "; ")
	}
	if p := problems(); !strings.Contains(p, "ends after 2262") {
		t.Errorf("verify: %q, want the trace past 2262 flagged", p)
	}
	m.EndTime = time.Unix(0, -1).UTC().Truncate(time.Second)
	putMeta(t, s, m)
	if p := problems(); !strings.Contains(p, "endTime 1969-12-31T23:59:59Z is before startTime") {
		t.Errorf("verify: %q, want the inverted meta range flagged", p)
	}
}
