package conformance

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/codec/input"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/internal/querycorpus"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/store/storetest"
	"github.com/tracectl/tracectl/traceql"
	"github.com/tracectl/tracectl/traceql/eval"
)

// splitCorpus returns the fixture traces plus generated ones, and a store
// of blocks holding them where every third trace is split: its first
// resource spans in one block, the rest in another.
func splitCorpus(t *testing.T) ([]*model.Trace, *blocks.Store) {
	t.Helper()
	ctx := context.Background()
	ts, err := input.DecodeTraces(ctx, []string{fixtures.Path(t, "")}, input.Options{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	g := gen.New(gen.Options{Seed: 11, ErrorRate: 0.2, SlowRate: 0.1, PIIRate: 0.2})
	for range 150 {
		ts = append(ts, g.Trace())
	}
	return splitStore(t, ts, 256<<10)
}

// splitStore writes ts into two blocks of rows groups of about
// rowGroupBytes, every third trace split: its first resource spans in one
// block, the rest in the other. It returns the traces as the blocks give
// them back (merged, canonical attribute order), which an in-memory source
// must hold for answers to be comparable, and the store.
func splitStore(t *testing.T, ts []*model.Trace, rowGroupBytes int64) ([]*model.Trace, *blocks.Store) {
	t.Helper()
	ctx := context.Background()
	model.SortTraces(ts)
	var a, b []*model.Trace
	for i, tr := range ts {
		if i%3 == 0 && len(tr.ResourceSpans) > 1 {
			h := len(tr.ResourceSpans) / 2
			a = append(a, &model.Trace{TraceID: tr.TraceID, ResourceSpans: tr.ResourceSpans[:h]})
			b = append(b, &model.Trace{TraceID: tr.TraceID, ResourceSpans: tr.ResourceSpans[h:]})
			continue
		}
		if i%2 == 0 {
			a = append(a, tr)
		} else {
			b = append(b, tr)
		}
	}
	bk, err := blocks.OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bk.Close() })
	st := blocks.NewStore(bk, "single-tenant")
	for _, part := range [][]*model.Trace{a, b} {
		if _, err := st.WriteBlock(ctx, part, blocks.WriteOptions{RowGroupBytes: rowGroupBytes}); err != nil {
			t.Fatal(err)
		}
	}
	it, err := st.Traces(ctx, store.Request{})
	if err != nil {
		t.Fatal(err)
	}
	back, err := store.Collect(it)
	if err != nil {
		t.Fatal(err)
	}
	return back, st
}

func searchQueries(t *testing.T) []string {
	t.Helper()
	out := querycorpus.Texts(t, filepath.Join("..", "..", "traceql", "testdata", "valid.txt"))
	return append(out,
		`{ }`, `{ status = error }`, `{ !(status = error) }`, `{ duration > 50ms }`, `{ traceDuration > 500ms }`,
		`{ resource.service.name = "payments" }`, `{ resource.service.name != "gateway" && kind = server }`,
		`{ span.http.route =~ "/orders.*" }`, `{ span.http.status_code >= 500 }`, `{ span.db.system = "postgresql" }`,
		`{ span.http.method = "GET" || span.http.method = nil }`, `{ name =~ ".*GET.*" }`,
		`{ traceDuration > 100ms }`, `{ trace:duration <= 2ms }`, `{ traceDuration > 1ms && traceDuration < 1s }`,
		`{ !(traceDuration > 10ms) }`, `{ traceDuration > 1s } || { trace:duration < 1ms }`,
	)
}

// TestCountOnBlocks checks that `query --count` on blocks — the source
// counting on columns where the filter is exact (store.Counter), traces
// split across blocks included — gives the in-memory evaluator's count,
// with and without a time range.
func TestCountOnBlocks(t *testing.T) {
	traces, st := splitCorpus(t)
	mem := storetest.New(traces)
	// The same traces in blocks without splits: counts there take the
	// trace-level column path where they can.
	whole := writeBlocks(t, traces, 100)
	blockSources := map[string]store.Source{"split blocks": st, "whole blocks": whole}
	exact := 0
	for _, q := range searchQueries(t) {
		root, err := traceql.Parse(q)
		if err != nil || root.IsMetrics() || root.Pipeline == nil {
			continue
		}
		if f := eval.FilterOf(root); f != nil && f.Exact {
			exact++
		}
		for _, opts := range []eval.SearchOptions{
			{CountOnly: true},
			{CountOnly: true, Start: traceTime(traces, 1, 3), End: traceTime(traces, 2, 3)},
		} {
			againstMemory(t, q, root, opts, mem, blockSources, func(name string, got, want *eval.SearchResult) {
				if got.Metrics.MatchedTraces != want.Metrics.MatchedTraces {
					t.Fatalf("%s %v..%v: %s count %d, in memory %d", q, opts.Start, opts.End, name, got.Metrics.MatchedTraces, want.Metrics.MatchedTraces)
				}
			})
		}
	}
	if exact < 40 {
		t.Fatalf("only %d queries with exact filters: the count path is not exercised", exact)
	}
}

// againstMemory runs query q with opts in memory and on each of srcs and
// hands check every source's answer with the in-memory one; both must
// fail alike or not at all.
func againstMemory(t *testing.T, q string, root *traceql.RootExpr, opts eval.SearchOptions, mem store.Source,
	srcs map[string]store.Source, check func(name string, got, want *eval.SearchResult)) {
	t.Helper()
	ctx := context.Background()
	want, werr := eval.SearchExpr(ctx, mem, root, opts)
	for name, src := range srcs {
		got, gerr := eval.SearchExpr(ctx, src, root, opts)
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("%s: in memory: %v, %s: %v", q, werr, name, gerr)
		}
		if werr == nil {
			check(name, got, want)
		}
	}
}

// traceTime returns the start of the trace num/den of the way through the
// corpus sorted by start time.
func traceTime(ts []*model.Trace, num, den int) time.Time {
	starts := make([]uint64, 0, len(ts))
	for _, t := range ts {
		s, _ := t.TimeRange()
		starts = append(starts, s)
	}
	slices.Sort(starts)
	return time.Unix(0, int64(starts[len(starts)*num/den]))
}

// TestLimitedSearchOnBlocks checks that a search keeping its newest N
// traces on blocks — the source raising the threshold from each row
// group's own certain results, trace-level conditions decided from the
// trace columns — returns the in-memory evaluator's traces, in its order,
// for several limits, with and without a time range.
func TestLimitedSearchOnBlocks(t *testing.T) {
	traces, st := splitCorpus(t)
	mem := storetest.New(traces)
	blockSources := map[string]store.Source{"split blocks": st, "whole blocks": writeBlocks(t, traces, 100)}
	ids := func(r *eval.SearchResult) []model.TraceID {
		var out []model.TraceID
		for _, tr := range r.Traces {
			out = append(out, tr.TraceID)
		}
		return out
	}
	for _, q := range searchQueries(t) {
		root, err := traceql.Parse(q)
		if err != nil || root.IsMetrics() || root.Pipeline == nil {
			continue
		}
		if f := eval.FilterOf(root); f == nil || !f.Exact {
			continue // the source's shortcuts need an exact filter
		}
		for _, opts := range []eval.SearchOptions{
			{Limit: 1}, {Limit: 3}, {Limit: 20},
			{Limit: 3, Start: traceTime(traces, 1, 3), End: traceTime(traces, 2, 3)},
		} {
			againstMemory(t, q, root, opts, mem, blockSources, func(name string, got, want *eval.SearchResult) {
				if g, w := ids(got), ids(want); !slices.Equal(g, w) {
					t.Fatalf("%s limit %d %v..%v: %s returned %v, in memory %v", q, opts.Limit, opts.Start, opts.End, name, g, w)
				}
			})
		}
	}
}
