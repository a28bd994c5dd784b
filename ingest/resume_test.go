package ingest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/internal/blobtest"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/model"
)

// storedCopies counts, for every span, the live blocks that store it (no
// merging: what compaction would have to dedupe).
func storedCopies(t *testing.T, st *blocks.Store) map[spanKey]int {
	t.Helper()
	got := map[spanKey]int{}
	err := st.Walk(context.Background(), func(_ blocks.Meta, tr *model.Trace) error {
		tr.Spans(func(r model.SpanRef) bool {
			got[spanKey{tr.TraceID, r.Span.SpanID, r.Span.Kind, r.Span.Name}]++
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func blockIDs(ms []blocks.Meta) []uuid.UUID {
	ids := make([]uuid.UUID, len(ms))
	for i, m := range ms {
		ids[i] = m.BlockID
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	return ids
}

// onceEach fails unless every span of want is stored exactly once and
// nothing else is.
func onceEach(t *testing.T, st *blocks.Store, want map[spanKey]int) {
	t.Helper()
	got := storedCopies(t, st)
	if len(got) != len(want) {
		t.Fatalf("%d distinct spans stored, want %d", len(got), len(want))
	}
	for k, n := range got {
		if n != 1 || want[k] == 0 {
			t.Fatalf("span %v stored %d times (want %d)", k, n, want[k])
		}
	}
}

var resumeInputs = []string{"opentelemetry-proto", "jaeger"}

// resumeOptions make the resume tests' ingest write several blocks.
var resumeOptions = Options{SkipBad: true, MaxBlockTraces: 3}

// firstRun ingests the resume inputs into a fresh store.
func firstRun(t *testing.T) (*blocks.Store, Options, *Result) {
	t.Helper()
	st := memStore(t)
	first, err := Run(context.Background(), st, resumePaths(t), resumeOptions)
	if err != nil {
		t.Fatal(err)
	}
	return st, resumeOptions, first
}

func resumePaths(t *testing.T) []string {
	var ps []string
	for _, p := range resumeInputs {
		ps = append(ps, fixtures.Path(t, p))
	}
	return ps
}

// TestRunAgainStoresNothingTwice: an ingest run again on the same inputs
// and options finds every block the first run stored and writes none.
func TestRunAgainStoresNothingTwice(t *testing.T) {
	ctx := context.Background()
	st, opts, first := firstRun(t)
	if len(first.Blocks) < 3 {
		t.Fatalf("only %d blocks: the test wants several", len(first.Blocks))
	}
	want := storedCopies(t, st)
	// A smaller memory budget spills and merges runs: the same blocks.
	opts.MemoryBudget = 16 << 10
	again, err := Run(ctx, st, resumePaths(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Blocks) != 0 || again.Runs == 0 {
		t.Fatalf("second run wrote %d blocks (%d runs spilled), want 0", len(again.Blocks), again.Runs)
	}
	if !slices.Equal(blockIDs(again.Stored), blockIDs(first.Blocks)) {
		t.Fatalf("stored %v, want the first run's %v", blockIDs(again.Stored), blockIDs(first.Blocks))
	}
	if again.StoredSpans != first.Spans || again.Spans != first.Spans {
		t.Fatalf("stored spans %d of %d, want %d", again.StoredSpans, again.Spans, first.Spans)
	}
	onceEach(t, st, want)
	if live, err := st.Blocks(ctx); err != nil || len(live) != len(first.Blocks) {
		t.Fatalf("%d live blocks (%v), want %d", len(live), err, len(first.Blocks))
	}
	if orphans, err := st.Orphans(ctx); err != nil || len(orphans) != 0 {
		t.Fatalf("orphans %v %v: the compared copies are to be deleted", orphans, err)
	}
}

// TestResumeAfterPartialPublish: the state a kill among the final
// meta.json writes leaves (some blocks published, the others complete
// but unpublished) is finished by a rerun with each span stored once.
func TestResumeAfterPartialPublish(t *testing.T) {
	ctx := context.Background()
	st, opts, first := firstRun(t)
	want := storedCopies(t, st)
	unpublished := first.Blocks[len(first.Blocks)/2:]
	for _, m := range unpublished {
		if err := st.Bucket().Delete(ctx, st.Tenant()+"/"+m.BlockID.String()+"/meta.json"); err != nil {
			t.Fatal(err)
		}
	}
	again, err := Run(ctx, st, resumePaths(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Stored) != len(first.Blocks)-len(unpublished) || len(again.Blocks) != len(unpublished) {
		t.Fatalf("rerun: %d stored, %d written; want %d and %d",
			len(again.Stored), len(again.Blocks), len(first.Blocks)-len(unpublished), len(unpublished))
	}
	// The unpublished folders are passed over, not written into.
	for _, m := range again.Blocks {
		if slices.Contains(blockIDs(unpublished), m.BlockID) {
			t.Fatalf("rerun wrote into %s, the folder of a killed run's block", m.BlockID)
		}
	}
	onceEach(t, st, want)
	// And once more: everything is found.
	third, err := Run(ctx, st, resumePaths(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(third.Blocks) != 0 || len(third.Stored) != len(first.Blocks) {
		t.Fatalf("third run: %d written, %d stored", len(third.Blocks), len(third.Stored))
	}
	onceEach(t, st, want)
}

// TestResumeFindsRetiredBlocks: a block of the first run that a
// compaction retired (its traces are in the output) is not written again.
func TestResumeFindsRetiredBlocks(t *testing.T) {
	ctx := context.Background()
	st, opts, first := firstRun(t)
	if err := st.MarkCompacted(ctx, first.Blocks[0].BlockID); err != nil {
		t.Fatal(err)
	}
	again, err := Run(ctx, st, resumePaths(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Blocks) != 0 || !slices.Contains(blockIDs(again.Stored), first.Blocks[0].BlockID) {
		t.Fatalf("rerun wrote %d blocks; stored %v", len(again.Blocks), blockIDs(again.Stored))
	}
}

// TestOtherIngestsAreNotResumed: other options, other inputs or NoResume
// make another ingest, whose blocks are all written.
func TestOtherIngestsAreNotResumed(t *testing.T) {
	ctx := context.Background()
	base := Options{SkipBad: true, MaxBlockTraces: 3}
	for _, tc := range []struct {
		name  string
		opts  Options
		paths func(t *testing.T) []string
	}{
		{"max block traces", Options{SkipBad: true, MaxBlockTraces: 2}, resumePaths},
		{"dedicated columns", Options{SkipBad: true, MaxBlockTraces: 3,
			Write: blocks.WriteOptions{DedicatedColumns: []blocks.DedicatedColumn{{Name: "http.route"}}}}, resumePaths},
		{"inputs in another order", base, func(t *testing.T) []string { p := resumePaths(t); slices.Reverse(p); return p }},
		{"no resume", Options{SkipBad: true, MaxBlockTraces: 3, NoResume: true}, resumePaths},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := memStore(t)
			if _, err := Run(ctx, st, resumePaths(t), base); err != nil {
				t.Fatal(err)
			}
			res, err := Run(ctx, st, tc.paths(t), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Stored) != 0 || len(res.Blocks) == 0 {
				t.Fatalf("%d blocks stored, %d written: want all written", len(res.Stored), len(res.Blocks))
			}
		})
	}
}

// TestResumeNeverLosesTraces: a stored block under the name a run derives
// that holds other traces (as a block cut elsewhere by another version
// would) is not taken for this run's block: the run publishes its own.
func TestResumeNeverLosesTraces(t *testing.T) {
	ctx := context.Background()
	opts := Options{SkipBad: true, MaxBlockTraces: 3}
	ref := memStore(t)
	first, err := Run(ctx, ref, resumePaths(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	want := storedCopies(t, ref)

	// Another tenant where block 0's derived name holds a block of other
	// traces.
	st := blocks.NewStore(ref.Bucket(), "other")
	yelp := decodeDirect(t, fixtures.Path(t, "zipkin/v2/yelp.json"))
	if _, err := st.WriteBlock(ctx, yelp, blocks.WriteOptions{BlockID: first.Blocks[0].BlockID}); err != nil {
		t.Fatal(err)
	}
	for k := range want {
		want[k] = 1
	}
	for k, n := range storedCopies(t, st) {
		want[k] += n
	}
	res, err := Run(ctx, st, resumePaths(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Stored) != 0 || len(res.Blocks) != len(first.Blocks) {
		t.Fatalf("%d stored, %d written; want 0 and %d", len(res.Stored), len(res.Blocks), len(first.Blocks))
	}
	onceEach(t, st, want)
}

// TestSameIngestAtOnce: a second run of the same ingest that starts while
// the first is writing (a cron job overlapping itself) never writes into
// the first run's blocks, so the first run giving up and cleaning up what
// it wrote leaves the second run's blocks whole.
func TestSameIngestAtOnce(t *testing.T) {
	ctx := context.Background()
	st := memStore(t)
	opts := Options{SkipBad: true, MaxBlockTraces: 3}
	var want map[spanKey]int
	{
		ref := memStore(t)
		if _, err := Run(ctx, ref, resumePaths(t), opts); err != nil {
			t.Fatal(err)
		}
		want = storedCopies(t, ref)
	}

	// The first run: right before its first write, the second run starts
	// and completes; at its tenth write the first run fails.
	writes := 0
	var second *Result
	first := blocks.NewStore(blobtest.Wrap(st.Bucket(), blobtest.Hooks{Before: func(op blobtest.Op) error {
		if !op.Kind.Mutation() {
			return nil
		}
		writes++
		switch writes {
		case 1:
			var err error
			if second, err = Run(ctx, st, resumePaths(t), opts); err != nil {
				t.Errorf("second run: %v", err)
			}
		case 10:
			return errors.New("injected: the first run fails")
		}
		return nil
	}}), st.Tenant())
	if _, err := Run(ctx, first, resumePaths(t), opts); err == nil {
		t.Fatal("the first run did not fail")
	}
	if second == nil || len(second.Blocks) == 0 {
		t.Fatalf("the second run stored nothing: %+v", second)
	}
	rep, err := st.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range rep.Blocks {
		if len(b.Problems) > 0 {
			t.Fatalf("block %s of the second run: %v", b.BlockID, b.Problems)
		}
	}
	onceEach(t, st, want)
}
