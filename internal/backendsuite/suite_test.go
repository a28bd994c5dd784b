// Package backendsuite runs one block-level test suite against every
// storage backend (internal/testbuckets): ingest of real fixture files,
// trace lookup, a TraceQL query, verify, compact and retain, each checked
// against the spans decoded from the files themselves.
package backendsuite

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/codec/input"
	"github.com/tracectl/tracectl/compact"
	"github.com/tracectl/tracectl/ingest"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/testbuckets"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/traceql/eval"
)

// fixturePaths are the real files every backend ingests.
func fixturePaths(t *testing.T) []string {
	return []string{fixtures.Path(t, "zipkin/v2"), fixtures.Path(t, "jaeger/skills")}
}

// spanKey identifies a span the way ingest deduplicates them.
type spanKey struct {
	trace model.TraceID
	span  model.SpanID
	kind  model.SpanKind
}

func keysOf(tr *model.Trace) map[spanKey]bool {
	out := map[spanKey]bool{}
	tr.Spans(func(r model.SpanRef) bool {
		out[spanKey{tr.TraceID, r.Span.SpanID, r.Span.Kind}] = true
		return true
	})
	return out
}

// expected is what the fixture files hold, decoded without any bucket.
type expected struct {
	traces map[model.TraceID]map[spanKey]bool
	spans  map[spanKey]bool
	// routing are the traces with a span of service "routing".
	routing []model.TraceID
}

func decodeFixtures(t *testing.T) expected {
	traces, err := input.DecodeTraces(context.Background(), fixturePaths(t), input.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := expected{traces: map[model.TraceID]map[spanKey]bool{}, spans: map[spanKey]bool{}}
	for _, tr := range traces {
		ks := keysOf(tr)
		if e.traces[tr.TraceID] == nil {
			e.traces[tr.TraceID] = map[spanKey]bool{}
		}
		routing := false
		for k := range ks {
			e.traces[tr.TraceID][k] = true
			e.spans[k] = true
		}
		tr.Spans(func(r model.SpanRef) bool {
			routing = routing || r.Resource.ServiceName() == "routing"
			return !routing
		})
		if routing {
			e.routing = append(e.routing, tr.TraceID)
		}
	}
	if len(e.traces) < 10 || len(e.routing) == 0 {
		t.Fatalf("fixtures: %d traces, %d with service routing; want more", len(e.traces), len(e.routing))
	}
	return e
}

// TestBackends runs the suite on each backend; unavailable ones skip
// (Azure without Azurite, SeaweedFS unless enabled).
func TestBackends(t *testing.T) {
	want := decodeFixtures(t)
	for _, name := range testbuckets.All {
		t.Run(name, func(t *testing.T) {
			be := testbuckets.Open(t, name)
			start := time.Now()
			runSuite(t, be, want)
			t.Logf("%s: suite took %v", name, time.Since(start).Round(time.Millisecond))
		})
	}
}

func runSuite(t *testing.T, be *testbuckets.Backend, want expected) {
	ctx := context.Background()
	st := blocks.NewStore(be.Bucket(t), "tenant-a")

	// Ingest: every distinct span lands, in several blocks.
	res, err := ingest.Run(ctx, st, fixturePaths(t), ingest.Options{MaxBlockTraces: 4})
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	if res.Spans != len(want.spans) || res.Traces != len(want.traces) {
		t.Fatalf("ingest: %d spans in %d traces, the files hold %d in %d", res.Spans, res.Traces, len(want.spans), len(want.traces))
	}
	infos, err := st.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var listed int64
	for _, bi := range infos {
		listed += bi.Spans
	}
	if len(infos) != len(res.Blocks) || len(infos) < 3 || listed != int64(res.Spans) {
		t.Fatalf("listed %d blocks / %d spans, ingest wrote %d / %d", len(infos), listed, len(res.Blocks), res.Spans)
	}
	if err := exactlyOnce(want.spans, storedSpans(t, st)); err != nil {
		t.Fatalf("after ingest: %v", err)
	}

	// The same ingest again stores nothing twice, and a block's folder
	// can be claimed once (the backend honours conditional writes).
	again, err := ingest.Run(ctx, st, fixturePaths(t), ingest.Options{MaxBlockTraces: 4})
	if err != nil {
		t.Fatalf("ingest again: %v", err)
	}
	if len(again.Blocks) != 0 || len(again.Stored) != len(res.Blocks) {
		t.Fatalf("ingest again: wrote %d blocks, found %d of %d", len(again.Blocks), len(again.Stored), len(res.Blocks))
	}
	if err := exactlyOnce(want.spans, storedSpans(t, st)); err != nil {
		t.Fatalf("after ingesting again: %v", err)
	}
	claimID := uuid.New()
	w, err := blocks.NewBlockWriter(ctx, st, blocks.WriteOptions{BlockID: claimID, Claim: true})
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	if _, err := blocks.NewBlockWriter(ctx, st, blocks.WriteOptions{BlockID: claimID, Claim: true}); !errors.Is(err, blocks.ErrBlockClaimed) {
		t.Fatalf("second claim of one folder: %v, want ErrBlockClaimed", err)
	}
	w.Abort()

	// Lookup: every trace by ID, with exactly its spans.
	for id, spans := range want.traces {
		tr, err := st.FindTrace(ctx, id)
		if err != nil {
			t.Fatalf("trace %s: %v", id, err)
		}
		if got := keysOf(tr); !sameKeys(got, spans) {
			t.Fatalf("trace %s: %d spans, want %d", id, len(got), len(spans))
		}
	}

	// TraceQL: the service filter finds exactly the traces with that
	// service.
	query := func() []model.TraceID {
		r, err := eval.Search(ctx, st, `{ resource.service.name = "routing" }`, eval.SearchOptions{Limit: 1000})
		if err != nil {
			t.Fatalf("query: %v", err)
		}
		var ids []model.TraceID
		for _, tr := range r.Traces {
			ids = append(ids, tr.TraceID)
		}
		return sortIDs(ids)
	}
	routing := sortIDs(want.routing)
	if got := query(); fmt.Sprint(got) != fmt.Sprint(routing) {
		t.Fatalf("query found %v, want %v", got, routing)
	}

	verify(t, st, len(infos))

	// Compact: one window for all; every span stored exactly once.
	cres, err := compact.Run(ctx, st, compact.Options{Window: 1 << 62, MaxInputs: 64, CompactedRetention: -1})
	if err != nil {
		t.Fatalf("compact: %v", err)
	}
	if len(cres.Outputs) != 1 || len(cres.Deleted) != len(infos) {
		t.Fatalf("compact: %d outputs, %d inputs deleted; want 1 and %d", len(cres.Outputs), len(cres.Deleted), len(infos))
	}
	metas, err := st.Blocks(ctx)
	if err != nil || len(metas) != 1 || metas[0].CompactionLevel != 1 {
		t.Fatalf("after compact: blocks %v, %v; want one of level 1", metas, err)
	}
	if err := exactlyOnce(want.spans, storedSpans(t, st)); err != nil {
		t.Fatalf("after compact: %v", err)
	}
	for _, m := range cres.Deleted {
		assertGone(t, st, m.BlockID.String())
	}
	if got := query(); fmt.Sprint(got) != fmt.Sprint(routing) {
		t.Fatalf("query after compact found %v, want %v", got, routing)
	}
	verify(t, st, 1)
	old := metas[0]

	// Retain: a fresh block next to the years-old fixtures; a day's
	// retention removes the old block only.
	fresh := freshTrace()
	if _, err := st.WriteBlock(ctx, []*model.Trace{fresh}, blocks.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	rres, err := compact.Retain(ctx, st, compact.RetainOptions{OlderThan: 24 * time.Hour, CompactedRetention: -1})
	if err != nil {
		t.Fatalf("retain: %v", err)
	}
	if len(rres.Marked) != 1 || rres.Marked[0].BlockID != old.BlockID || len(rres.Deleted) != 1 {
		t.Fatalf("retain marked %d, deleted %d; want the old block %s", len(rres.Marked), len(rres.Deleted), old.BlockID)
	}
	assertGone(t, st, old.BlockID.String())
	for id := range want.traces {
		if _, err := st.FindTrace(ctx, id); !errors.Is(err, blocks.ErrTraceNotFound) {
			t.Fatalf("trace %s after retain: %v, want not found", id, err)
		}
	}
	if tr, err := st.FindTrace(ctx, fresh.TraceID); err != nil || !sameKeys(keysOf(tr), keysOf(fresh)) {
		t.Fatalf("fresh trace after retain: %v", err)
	}
	verify(t, st, 1)
}

// freshTrace is a two-span trace that started ten minutes ago.
func freshTrace() *model.Trace {
	b := model.NewTraceBuilder()
	res := model.Resource{Attributes: []model.Attribute{model.Str("service.name", "fresh")}}
	sc := model.Scope{Name: "backendsuite"}
	id := model.TraceID{0xf2, 0xe5, 15: 1}
	now := uint64(time.Now().Add(-10 * time.Minute).UnixNano())
	root := model.Span{TraceID: id, SpanID: model.SpanID{1}, Name: "root", Kind: model.KindServer, StartTimeUnixNano: now, EndTimeUnixNano: now + 2e6}
	child := model.Span{TraceID: id, SpanID: model.SpanID{2}, ParentSpanID: root.SpanID, Name: "child", StartTimeUnixNano: now + 1e3, EndTimeUnixNano: now + 1e6}
	b.AddSpan(&res, "", &sc, "", root)
	b.AddSpan(&res, "", &sc, "", child)
	return b.Traces()[0]
}

// verify checks the bucket and its number of live blocks.
func verify(t *testing.T, st *blocks.Store, n int) {
	t.Helper()
	rep, err := st.Verify(context.Background())
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %+v, %v", rep, err)
	}
	if orphans, err := st.Orphans(context.Background()); err != nil || len(orphans) != 0 {
		t.Fatalf("orphans: %v, %v", orphans, err)
	}
	if metas, _ := st.Blocks(context.Background()); len(metas) != n {
		t.Fatalf("%d live blocks, want %d", len(metas), n)
	}
}

// assertGone checks that a deleted block has no object left. It looks for
// the objects themselves, not the folder: SeaweedFS keeps listing deleted
// folders for minutes.
func assertGone(t *testing.T, st *blocks.Store, id string) {
	t.Helper()
	for _, name := range []string{"meta.json", "meta.compacted.json", "data.parquet", "bloom-0", "index"} {
		key := st.Tenant() + "/" + id + "/" + name
		if ok, err := st.Bucket().Exists(context.Background(), key); ok || err != nil {
			t.Fatalf("%s still exists (%v)", key, err)
		}
	}
}

// storedSpans counts the spans stored in live blocks, copies not merged.
func storedSpans(t *testing.T, st *blocks.Store) map[spanKey]int {
	t.Helper()
	got := map[spanKey]int{}
	err := st.Walk(context.Background(), func(_ blocks.Meta, tr *model.Trace) error {
		for k := range keysOf(tr) {
			got[k]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// exactlyOnce reports how got differs from every span of want once.
func exactlyOnce(want map[spanKey]bool, got map[spanKey]int) error {
	var errs []string
	for k := range want {
		if got[k] != 1 {
			errs = append(errs, fmt.Sprintf("span %s/%s stored %d times", k.trace, k.span, got[k]))
		}
	}
	for k := range got {
		if !want[k] {
			errs = append(errs, fmt.Sprintf("span %s/%s not in the files", k.trace, k.span))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	sort.Strings(errs)
	return fmt.Errorf("%d problems: %s", len(errs), strings.Join(errs[:min(5, len(errs))], "; "))
}

func sameKeys(a, b map[spanKey]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func sortIDs(ids []model.TraceID) []model.TraceID {
	sort.Slice(ids, func(i, j int) bool { return model.CompareTraceIDs(ids[i], ids[j]) < 0 })
	return ids
}
