package blocks

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// rewriteFixture writes three blocks: two whose root spans carry
// user.email (every other trace), one without.
func rewriteFixture(t *testing.T, s *Store) []*model.Trace {
	t.Helper()
	var all []*model.Trace
	for seed := byte(1); seed <= 3; seed++ {
		traces := syntheticTraces(12, seed, uint64(seed)*1e18)
		for i, tr := range traces {
			if seed != 3 && i%2 == 0 {
				sp := &tr.ResourceSpans[0].ScopeSpans[0].Spans[0]
				sp.Attributes = append(sp.Attributes, model.Str("user.email", "u@example.com"))
			}
		}
		if _, err := s.WriteBlock(context.Background(), traces, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		all = append(all, traces...)
	}
	model.SortTraces(all)
	return all
}

// tagEmails appends "#" to every user.email: not idempotent, so applying
// it twice to a trace shows up.
func tagEmails(t *model.Trace) (bool, error) {
	changed := false
	t.Spans(func(r model.SpanRef) bool {
		for i := range r.Span.Attributes {
			if a := &r.Span.Attributes[i]; a.Key == "user.email" {
				a.Value.Str += "#"
				changed = true
			}
		}
		return true
	})
	return changed, nil
}

func readStore(t *testing.T, s *Store) []*model.Trace {
	t.Helper()
	it, err := s.Traces(context.Background(), store.Request{})
	if err != nil {
		t.Fatal(err)
	}
	return readAllTraces(t, it)
}

func TestRewriteReplacesOnlyChangedBlocks(t *testing.T) {
	withSlack(t, 10*time.Millisecond) // reads after a rewrite see retired blocks
	ctx := context.Background()
	s := memStore(t)
	orig := rewriteFixture(t, s)
	before, _ := s.Blocks(ctx)

	dry, err := s.Rewrite(ctx, tagEmails, RewriteOptions{Mark: "m1", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(dry.Rewritten) != 2 || dry.Rewritten[0].Changed != 6 || dry.Rewritten[0].Traces != 12 {
		t.Fatalf("dry run = %+v", dry)
	}
	if after, _ := s.Blocks(ctx); !cmp.Equal(before, after) {
		t.Fatal("dry run changed the blocks")
	}

	res, err := s.Rewrite(ctx, tagEmails, RewriteOptions{Mark: "m1"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Blocks != 3 || len(res.Rewritten) != 2 || res.Rewritten[0].Changed != 6 {
		t.Fatalf("Rewrite = %+v", res)
	}
	after, _ := s.Blocks(ctx)
	if len(after) != 3 {
		t.Fatalf("blocks after = %d", len(after))
	}
	kept := 0
	for _, m := range after {
		if m.BlockID == before[2].BlockID {
			kept++
		}
		if m.BlockID == before[0].BlockID || m.BlockID == before[1].BlockID {
			t.Errorf("old block %s still live", m.BlockID)
		}
	}
	if kept != 1 {
		t.Error("the unchanged block was rewritten")
	}
	want := cloneTraces(t, orig)
	for _, tr := range want {
		_, _ = tagEmails(tr)
	}
	if diff := cmp.Diff(want, readStore(t, s), traceOpts, ignoreNestedSets); diff != "" {
		t.Errorf("traces after rewrite (-want +got):\n%s", diff)
	}
	// The same mark again: nothing to do (tagging twice would be wrong).
	res, err = s.Rewrite(ctx, tagEmails, RewriteOptions{Mark: "m1"})
	if err != nil || len(res.Rewritten) != 0 || res.Skipped != 2 {
		t.Fatalf("second Rewrite = %+v, %v", res, err)
	}
	if keys := listKeys(t, s.bucket, ""); len(keys) == 0 {
		t.Fatal("no objects")
	}
	if orphans, _ := s.Orphans(ctx); len(orphans) != 0 {
		t.Errorf("orphans: %v", orphans)
	}
}

// cloneTraces deep-copies traces through a block round trip's model, so
// a transform on the copy leaves the original alone.
func cloneTraces(t *testing.T, in []*model.Trace) []*model.Trace {
	t.Helper()
	s := memStore(t)
	if _, err := s.WriteBlock(context.Background(), in, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return readStore(t, s)
}

// TestRewriteCrashLosesNothing kills the rewrite at every bucket mutation
// in turn (that write or delete and all later ones fail, so no cleanup
// runs), then checks that every span is still readable, and that a second
// run with the same mark finishes the job: each trace transformed exactly
// once, in exactly one block, no leftovers.
func TestRewriteCrashLosesNothing(t *testing.T) {
	withSlack(t, 10*time.Millisecond) // reads after a rewrite see retired blocks
	ctx := context.Background()
	// Count the mutations of an uninterrupted run.
	wb, bucket := newWrapBucket(t)
	s := NewStore(bucket, "tenant-a")
	orig := rewriteFixture(t, s)
	want := cloneTraces(t, orig)
	for _, tr := range want {
		_, _ = tagEmails(tr)
	}
	start := wb.mutations
	if _, err := s.Rewrite(ctx, tagEmails, RewriteOptions{Mark: "m"}); err != nil {
		t.Fatal(err)
	}
	total := wb.mutations - start
	if total < 10 {
		t.Fatalf("only %d mutations in a rewrite of two blocks", total)
	}

	for crash := 1; crash <= total; crash++ {
		wb, bucket := newWrapBucket(t)
		s := NewStore(bucket, "tenant-a")
		rewriteFixture(t, s)
		wb.crashAt = wb.mutations + crash
		if _, err := s.Rewrite(ctx, tagEmails, RewriteOptions{Mark: "m"}); !errors.Is(err, errCrashed) {
			t.Fatalf("crash at mutation %d: Rewrite error = %v", crash, err)
		}
		wb.crashAt = 0

		// Nothing lost: every span of every trace is still there, in its
		// original or its transformed form.
		got := readStore(t, s)
		if len(got) != len(orig) {
			t.Fatalf("crash at %d: %d traces readable, want %d", crash, len(got), len(orig))
		}
		for i := range got {
			if n, w := got[i].SpanCount(), orig[i].SpanCount(); n != w {
				t.Fatalf("crash at %d: trace %s has %d spans, want %d", crash, got[i].TraceID, n, w)
			}
		}

		// Run again: the job completes.
		if _, err := s.Rewrite(ctx, tagEmails, RewriteOptions{Mark: "m"}); err != nil {
			t.Fatalf("crash at %d: second run: %v", crash, err)
		}
		if diff := cmp.Diff(want, readStore(t, s), traceOpts, ignoreNestedSets); diff != "" {
			t.Fatalf("crash at %d: traces after recovery (-want +got):\n%s", crash, diff)
		}
		copies := 0
		if err := s.Walk(ctx, func(Meta, *model.Trace) error { copies++; return nil }); err != nil {
			t.Fatal(err)
		}
		if copies != len(orig) {
			t.Errorf("crash at %d: %d trace copies in blocks, want %d", crash, copies, len(orig))
		}
		if orphans, _ := s.Orphans(ctx); len(orphans) != 0 {
			t.Errorf("crash at %d: orphans left: %v", crash, orphans)
		}
	}
}

// TestRewriteCrashTempoBlock repeats the crash test on Tempo's own block
// (the older attribute layout, 134 traces): a transform that masks every
// http.url, crashed at each mutation, then run again.
func TestRewriteCrashTempoBlock(t *testing.T) {
	withSlack(t, 10*time.Millisecond) // reads after a rewrite see retired blocks
	ctx := context.Background()
	src := tempoStore(t)
	objs := map[string][]byte{}
	for _, k := range listKeys(t, src.bucket, "") {
		b, err := src.bucket.ReadAll(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		objs[k] = b
	}
	orig := readStore(t, src)
	maskURLs := func(tr *model.Trace) (bool, error) {
		changed := false
		tr.Spans(func(r model.SpanRef) bool {
			for i := range r.Span.Attributes {
				if a := &r.Span.Attributes[i]; a.Key == "http.url" && a.Value.Str != "****" {
					a.Value = model.StringValue("****")
					changed = true
				}
			}
			return true
		})
		return changed, nil
	}
	want := cloneTraces(t, orig)
	for _, tr := range want {
		_, _ = maskURLs(tr)
	}
	want = sortAttrs(want)
	fresh := func() (*wrapBucket, *Store) {
		wb, bucket := newWrapBucket(t)
		for k, b := range objs {
			if err := bucket.WriteAll(ctx, k, b, nil); err != nil {
				t.Fatal(err)
			}
		}
		return wb, NewStore(bucket, tempoTenant)
	}
	wb, s := fresh()
	start := wb.mutations
	if res, err := s.Rewrite(ctx, maskURLs, RewriteOptions{Mark: "m"}); err != nil || len(res.Rewritten) != 1 {
		t.Fatalf("Rewrite = %+v, %v", res, err)
	}
	total := wb.mutations - start
	t.Logf("%d mutations", total)
	for crash := 1; crash <= total; crash++ {
		wb, s := fresh()
		wb.crashAt = wb.mutations + crash
		if _, err := s.Rewrite(ctx, maskURLs, RewriteOptions{Mark: "m"}); !errors.Is(err, errCrashed) {
			t.Fatalf("crash at %d: %v", crash, err)
		}
		wb.crashAt = 0
		if got := readStore(t, s); len(got) != len(orig) {
			t.Fatalf("crash at %d: %d traces readable, want %d", crash, len(got), len(orig))
		}
		if _, err := s.Rewrite(ctx, maskURLs, RewriteOptions{Mark: "m"}); err != nil {
			t.Fatalf("crash at %d: second run: %v", crash, err)
		}
		got := sortAttrs(readStore(t, s))
		if diff := cmp.Diff(want, got, traceOpts, ignoreNestedSets); diff != "" {
			t.Fatalf("crash at %d: after recovery (-want +got):\n%s", crash, diff)
		}
		if metas, _ := s.Blocks(ctx); len(metas) != 1 || metas[0].BlockID != ReplacementID(mustUUID(tempoBlockID), "m") {
			t.Errorf("crash at %d: blocks = %v", crash, metas)
		}
		if orphans, _ := s.Orphans(ctx); len(orphans) != 0 {
			t.Errorf("crash at %d: orphans %v", crash, orphans)
		}
	}
}

// sortAttrs puts resource and span attributes in key order: the order a
// reader returns depends on the block's dedicated columns, which differ
// between Tempo's block and a copy written without them.
func sortAttrs(traces []*model.Trace) []*model.Trace {
	byKey := func(as []model.Attribute) {
		sort.Slice(as, func(i, j int) bool { return as[i].Key < as[j].Key })
	}
	for _, tr := range traces {
		for i := range tr.ResourceSpans {
			byKey(tr.ResourceSpans[i].Resource.Attributes)
		}
		tr.Spans(func(r model.SpanRef) bool {
			byKey(r.Span.Attributes)
			return true
		})
	}
	return traces
}

// earliestFixtureBlock writes rewriteFixture's blocks to s and returns
// the earliest (seed 1), a block with emails to rewrite.
func earliestFixtureBlock(t *testing.T, s *Store) Meta {
	t.Helper()
	rewriteFixture(t, s)
	metas, err := s.Blocks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	first := metas[0]
	for _, m := range metas {
		if m.StartTime.Before(first.StartTime) {
			first = m
		}
	}
	return first
}

// TestRewriteLeavesDamagedBlock: a block whose data.parquet does not open
// is neither rewritten nor deleted, and is named; the others are rewritten.
func TestRewriteLeavesDamagedBlock(t *testing.T) {
	ctx := context.Background()
	s := memStore(t)
	bad := earliestFixtureBlock(t, s)
	key := joinKey(s.tenant, bad.BlockID.String(), dataObject)
	if err := s.bucket.WriteAll(ctx, key, []byte("not parquet"), nil); err != nil {
		t.Fatal(err)
	}
	res, err := s.Rewrite(ctx, tagEmails, RewriteOptions{Mark: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Damaged != 1 || len(res.Rewritten) != 1 {
		t.Fatalf("damaged %d, rewritten %d; want 1 and the other block with emails", res.Damaged, len(res.Rewritten))
	}
	if data, err := s.bucket.ReadAll(ctx, key); err != nil || string(data) != "not parquet" {
		t.Fatalf("the damaged block changed: %q %v", data, err)
	}
	if _, err := s.readMeta(ctx, bad.BlockID, metaObject); err != nil {
		t.Fatalf("the damaged block is no longer live: %v", err)
	}
	if d := s.Damaged(); len(d) != 1 {
		t.Fatalf("damaged: %v", d)
	}
}

// TestRewriteLeavesUnsortedBlock: a block of another writer whose rows
// are in reverse trace-ID order cannot be rewritten as a vParquet4 block.
// It is left as it is and named as damaged; the other block with emails is
// rewritten (before, the writer's order check failed the whole rewrite).
func TestRewriteLeavesUnsortedBlock(t *testing.T) {
	ctx := context.Background()
	s := memStore(t)
	bad := earliestFixtureBlock(t, s)
	rows := rawRows(t, s.block(bad))
	slices.Reverse(rows)
	rewriteData(t, s, bad, rows, traceSchema())
	res, err := s.Rewrite(ctx, tagEmails, RewriteOptions{Mark: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Damaged != 1 || len(res.Rewritten) != 1 {
		t.Fatalf("damaged %d, rewritten %d; want 1 and the other block with emails", res.Damaged, len(res.Rewritten))
	}
	if _, err := s.readMeta(ctx, bad.BlockID, metaObject); err != nil {
		t.Fatalf("the unsorted block is no longer live: %v", err)
	}
	if d := s.Damaged(); len(d) != 1 || !strings.Contains(d[0].Error(), bad.BlockID.String()) || !strings.Contains(d[0].Error(), "out of order") {
		t.Fatalf("damaged: %v", d)
	}
}

// TestRewriteForks: with Fork, an object store's small blocks are
// rewritten several at once, each block's transform is done in block
// order, and the result, the stored traces and what the transforms saw
// are those of a rewrite one block after the other.
func TestRewriteForks(t *testing.T) {
	ctx := context.Background()
	defer SetTimeSlack(10 * time.Millisecond)() // readStore right after retirements
	type run struct {
		res    *RewriteResult
		stored []*model.Trace
		seen   []model.TraceID // by the transforms, in the order done was called
		most   int             // transforms at work at once
	}
	// meet is how long a transform's first call waits for another
	// transform to begin (0: not at all), so that blocks rewritten at once
	// overlap however slowly each starts.
	rewrite := func(withFork, local bool, meet time.Duration) run {
		_, bucket := newWrapBucket(t)
		if local {
			var err error
			if bucket, err = OpenBucket(ctx, "file://"+t.TempDir()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { bucket.Close() })
		}
		s := NewStore(bucket, "tenant-a")
		rewriteFixture(t, s)
		var r run
		var mu sync.Mutex
		type span struct{ from, to time.Time }
		var spans []span // of each transform's calls
		var begun atomic.Int32
		fork := func() (RewriteFunc, func()) {
			var seen []model.TraceID
			var sp span
			fn := func(tr *model.Trace) (bool, error) {
				if sp.from.IsZero() {
					sp.from = time.Now()
					begun.Add(1)
					for end := sp.from.Add(meet); begun.Load() < 2 && time.Now().Before(end); {
						time.Sleep(time.Millisecond)
					}
				}
				seen = append(seen, tr.TraceID)
				sp.to = time.Now()
				return tagEmails(tr)
			}
			return fn, func() {
				mu.Lock()
				defer mu.Unlock()
				r.seen = append(r.seen, seen...)
				if !sp.from.IsZero() {
					spans = append(spans, sp)
				}
			}
		}
		opts := RewriteOptions{Mark: "tag"}
		var err error
		if withFork {
			opts.Fork = fork
			r.res, err = s.Rewrite(ctx, nil, opts)
		} else {
			fn, done := fork()
			r.res, err = s.Rewrite(ctx, fn, opts)
			done()
		}
		if err != nil {
			t.Fatal(err)
		}
		r.stored = readStore(t, s)
		for _, a := range spans {
			at := 0 // transforms at work when a began
			for _, b := range spans {
				if !b.from.After(a.from) && !b.to.Before(a.from) {
					at++
				}
			}
			r.most = max(r.most, at)
		}
		return r
	}
	one, forked := rewrite(false, false, 0), rewrite(true, false, 5*time.Second)
	if forked.most < 2 {
		t.Errorf("at most %d blocks rewritten at once", forked.most)
	}
	// On a local store, one block per core (of the 3 blocks), while their
	// row groups fit in rewriteGroupBytes together.
	cores := runtime.GOMAXPROCS(0)
	if local := rewrite(true, true, 5*time.Second); local.most < min(cores, 2) || local.most > cores {
		t.Errorf("file://: at most %d blocks rewritten at once, want one per core (%d)", local.most, cores)
	} else if d := strictDiff(one.stored, local.stored); d != "" {
		t.Errorf("file://: stored traces:\n%s", d)
	}
	defer func(old int64) { rewriteGroupBytes = old }(rewriteGroupBytes)
	rewriteGroupBytes = 1000 // less than two of the fixture's blocks
	if local := rewrite(true, true, 300*time.Millisecond); local.most != 1 {
		t.Errorf("file://, row groups past rewriteGroupBytes together: at most %d blocks rewritten at once, want 1", local.most)
	}
	if len(one.res.Rewritten) != 2 || one.res.Blocks != 3 {
		t.Fatalf("one at a time: %+v", one.res)
	}
	if d := cmp.Diff(one.seen, forked.seen); d != "" {
		t.Errorf("traces seen by the transforms (-one at a time +forked):\n%s", d)
	}
	if d := strictDiff(one.stored, forked.stored); d != "" {
		t.Errorf("stored traces:\n%s", d)
	}
	type summary struct {
		Blocks, Skipped, Damaged int
		Old                      [][]byte // the blocks' first trace IDs
		Changed                  []int
	}
	sum := func(res *RewriteResult) summary {
		s := summary{Blocks: res.Blocks, Skipped: res.Skipped, Damaged: res.Damaged}
		for _, br := range res.Rewritten {
			s.Old = append(s.Old, br.Old.MinID)
			s.Changed = append(s.Changed, br.Changed)
		}
		return s
	}
	if d := cmp.Diff(sum(one.res), sum(forked.res)); d != "" {
		t.Errorf("results (-one at a time +forked):\n%s", d)
	}
}
