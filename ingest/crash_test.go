package ingest

import (
	"context"
	"fmt"
	"path"
	"slices"
	"testing"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/compact"
	"github.com/tracectl/tracectl/internal/blobtest"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/model"
)

// spanKey identifies a span as readers deduplicate them.
type spanKey struct {
	trace model.TraceID
	span  model.SpanID
	kind  model.SpanKind
	name  string
}

// readSpans counts the spans readers of st see (copies merged).
func readSpans(t *testing.T, st *blocks.Store) map[spanKey]int {
	t.Helper()
	got := map[spanKey]int{}
	for _, tr := range readAll(t, st) {
		tr.Spans(func(r model.SpanRef) bool {
			got[spanKey{tr.TraceID, r.Span.SpanID, r.Span.Kind, r.Span.Name}]++
			return true
		})
	}
	return got
}

// TestCrashAtEveryStep kills an ingest of several blocks at each of its
// bucket writes in turn (every later write fails too, and no clean-up
// runs) into a tenant that already holds a block, and checks at every
// step: readers see the earlier block and whole new blocks only, each
// span once, and nothing new at all before the run publishes its metas;
// blocks verify finds no damaged block; compaction with no grace removes
// what the killed run left; a rerun then stores every span, readable
// exactly once.
func TestCrashAtEveryStep(t *testing.T) {
	ctx := context.Background()
	earlier := []string{fixtures.Path(t, "zipkin/v2/yelp.json")}
	inputs := []string{fixtures.Path(t, "opentelemetry-proto"), fixtures.Path(t, "jaeger")}
	opts := Options{SkipBad: true, MaxBlockTraces: 3}

	// A clean run counts the writes and gives the expected spans.
	clean := &blobtest.Crash{}
	cst := blocks.NewStore(blobtest.Wrap(memStore(t).Bucket(), blobtest.Hooks{Before: clean.Before}), "single-tenant")
	if _, err := Run(ctx, cst, earlier, opts); err != nil {
		t.Fatal(err)
	}
	before := readSpans(t, cst)
	start := clean.Mutations()
	res, err := Run(ctx, cst, inputs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Blocks) < 3 {
		t.Fatalf("%d blocks: the crash points do not cover several blocks", len(res.Blocks))
	}
	want := readSpans(t, cst)
	steps := clean.Log()[start:]
	firstMeta := slices.IndexFunc(steps, func(op blobtest.Op) bool { return path.Base(op.Key) == "meta.json" })
	if firstMeta < 3*len(res.Blocks) {
		t.Fatalf("a meta.json is written at step %d, before the other blocks' data: %v", firstMeta+1, steps)
	}
	for i, step := range steps {
		t.Run(fmt.Sprintf("%02d %s %s", i+1, step.Kind, path.Base(step.Key)), func(t *testing.T) {
			st := memStore(t)
			if _, err := Run(ctx, st, earlier, opts); err != nil {
				t.Fatal(err)
			}
			crash := &blobtest.Crash{}
			crash.At(i + 1)
			crashed := blocks.NewStore(blobtest.Wrap(st.Bucket(), blobtest.Hooks{Before: crash.Before}), "single-tenant")
			if _, err := Run(ctx, crashed, inputs, opts); err == nil {
				t.Fatal("the ingest did not fail at the injected crash")
			}

			got := readSpans(t, st)
			if i <= firstMeta && len(got) != len(before) {
				t.Fatalf("a crash before the first meta.json: %d spans visible, want the earlier block's %d", len(got), len(before))
			}
			for k, n := range got {
				if n != 1 {
					t.Fatalf("after the crash: span %v read %d times", k, n)
				}
				if want[k] == 0 {
					t.Fatalf("after the crash: span %v was never ingested", k)
				}
			}
			for k := range before {
				if got[k] == 0 {
					t.Fatalf("after the crash: the earlier block's span %v is gone", k)
				}
			}
			rep, err := st.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range rep.Blocks {
				if len(b.Problems) > 0 {
					t.Fatalf("after the crash: block %s: %v", b.BlockID, b.Problems)
				}
			}

			if _, err := compact.Run(ctx, st, compact.Options{OrphanGrace: -1, CompactedRetention: -1, MaxInputs: 2}); err != nil {
				t.Fatalf("compact: %v", err)
			}
			if orphans, _ := st.Orphans(ctx); len(orphans) != 0 {
				t.Fatalf("orphans left after compaction: %v", orphans)
			}
			if _, err := Run(ctx, st, inputs, opts); err != nil {
				t.Fatalf("rerun: %v", err)
			}
			got = readSpans(t, st)
			if len(got) != len(want) {
				t.Fatalf("after the rerun: %d spans, want %d", len(got), len(want))
			}
			for k, n := range want {
				if got[k] != n {
					t.Fatalf("after the rerun: span %v read %d times, want %d", k, got[k], n)
				}
			}
			if rep, err := st.Verify(ctx); err != nil || !rep.OK() {
				t.Fatalf("verify after the rerun: %+v %v", rep, err)
			}
		})
	}
}
