package blocks

import (
	"context"
	"errors"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tracectl/tracectl/model"
)

// walkAll collects what Walk hands out, sorted by block and trace ID.
func walkAll(t *testing.T, s *Store) []*model.Trace {
	t.Helper()
	type seen struct {
		block string
		t     *model.Trace
	}
	var got []seen
	if err := s.Walk(context.Background(), func(m Meta, tr *model.Trace) error {
		got = append(got, seen{m.BlockID.String(), tr})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sort.Slice(got, func(i, j int) bool {
		if got[i].block != got[j].block {
			return got[i].block < got[j].block
		}
		return model.CompareTraceIDs(got[i].t.TraceID, got[j].t.TraceID) < 0
	})
	out := make([]*model.Trace, len(got))
	for i, g := range got {
		out[i] = g.t
	}
	return out
}

// TestWalk: Walk decodes row groups in parallel and hands out every copy of
// every trace once, on Tempo's legacy-layout block and on our blocks cut
// into many row groups; errors and cancellation stop it.
func TestWalk(t *testing.T) {
	ctx := context.Background()
	tempo := tempoStore(t)
	if diff := cmp.Diff(readTempoTraces(t, tempo), walkAll(t, tempo), traceOpts); diff != "" {
		t.Fatalf("Tempo block: Walk differs from the block iterator (-iterator +walk):\n%s", diff)
	}

	s := memStore(t)
	s.SetConcurrency(3)
	for range 2 { // two blocks holding the same traces: Walk sees both copies
		if _, err := s.WriteBlock(ctx, roundTripTraces(), WriteOptions{RowGroupBytes: 1}); err != nil {
			t.Fatal(err)
		}
	}
	metas, _ := s.Blocks(ctx)
	sort.Slice(metas, func(i, j int) bool { return metas[i].BlockID.String() < metas[j].BlockID.String() })
	var want []*model.Trace
	for _, m := range metas {
		b := s.block(m)
		f, err := b.open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(f.file.RowGroups()); n < 2 {
			t.Fatalf("block has %d row groups, want several", n)
		}
		it, _ := b.Traces(ctx)
		want = append(want, readAllTraces(t, it)...)
	}
	if diff := cmp.Diff(want, walkAll(t, s), traceOpts); diff != "" {
		t.Fatalf("Walk (-want +got):\n%s", diff)
	}

	stop := errors.New("stop")
	calls := 0
	err := s.Walk(ctx, func(Meta, *model.Trace) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("fn error: Walk returned %v after %d calls, want stop after 1", err, calls)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Walk(cctx, func(Meta, *model.Trace) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: Walk returned %v", err)
	}
}
