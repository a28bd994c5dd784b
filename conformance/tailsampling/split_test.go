package tailsampling

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/compact"
	"github.com/tracectl/tracectl/ingest"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/sampler"
	"github.com/tracectl/tracectl/store"
)

// splitExports is how many exports splitCorpus spreads its entries over.
const splitExports = 3

// splitCorpus builds n traces whose spans reach the Collector in several
// resource-spans entries spread over splitExports exports (in order: a
// trace's entries never go back to an earlier export), and returns the
// exports. The spans of one service come in two entries with another
// entry between them, or one entry holds one scope twice with another
// scope between: merging identical resources or scopes would reorder the
// spans. Latency band (100ms, 400ms] cases by trace index:
//
//   - i%4 == 0: the first two entries' spans meet the band, the whole
//     trace does not (its third entry is long);
//   - i%4 == 1: the order reversed: the first two entries' spans exceed
//     the band, so no prefix meets it, but the first and third would;
//   - i%4 == 2: the same two layouts as scopes of one resource entry;
//   - i%4 == 3: random entries, services, scopes, times and attributes.
func splitCorpus(n int) [][]model.ResourceSpans {
	r := rand.New(rand.NewPCG(17, 3))
	base := uint64(time.Date(2026, 8, 19, 9, 0, 0, 0, time.UTC).UnixNano())
	ms := uint64(time.Millisecond)
	exports := make([][]model.ResourceSpans, splitExports)
	pick := func(vs ...string) string { return vs[r.IntN(len(vs))] }
	for i := range n {
		var tid model.TraceID
		for j := range tid {
			tid[j] = byte(r.Uint32())
		}
		start := base + uint64(i)*ms
		nspan := 0
		span := func(from, dur uint64) model.Span {
			nspan++
			var sid model.SpanID
			sid[0], sid[1], sid[7] = byte(i>>8), byte(i), byte(nspan)
			s := model.Span{TraceID: tid, SpanID: sid, Name: fmt.Sprintf("op-%d", nspan),
				StartTimeUnixNano: start + from, EndTimeUnixNano: start + from + dur}
			if r.IntN(3) == 0 {
				s.Attributes = append(s.Attributes, model.Str("key2", pick("value1", "value2", "value3", "")))
			}
			if r.IntN(4) == 0 {
				s.Status.Code = model.StatusCode(r.IntN(3))
			}
			return s
		}
		res := func(svc int) model.Resource {
			return model.Resource{Attributes: []model.Attribute{model.Str("service.name", fmt.Sprintf("svc-%d", svc))}}
		}
		entry := func(svc int, scope string, spans ...model.Span) model.ResourceSpans {
			return model.ResourceSpans{Resource: res(svc), ScopeSpans: []model.ScopeSpans{{Scope: model.Scope{Name: scope}, Spans: spans}}}
		}
		// short, in band and long spans, all from the trace start.
		short := func() model.Span { return span(r.Uint64N(10)*ms, (10+r.Uint64N(40))*ms) }
		inBand := func() model.Span { return span(0, (110+r.Uint64N(280))*ms) }
		long := func() model.Span { return span(0, (450+r.Uint64N(600))*ms) }
		var entries []model.ResourceSpans
		switch i % 4 {
		case 0:
			entries = []model.ResourceSpans{entry(0, "a", short()), entry(1, "a", inBand()), entry(0, "a", long())}
		case 1:
			entries = []model.ResourceSpans{entry(0, "a", short()), entry(1, "a", long()), entry(0, "a", inBand())}
		case 2:
			mid, last := inBand(), long()
			if r.IntN(2) == 0 {
				mid, last = long(), inBand()
			}
			e := entry(0, "x", short())
			e.ScopeSpans = append(e.ScopeSpans, model.ScopeSpans{Scope: model.Scope{Name: "y"}, Spans: []model.Span{mid}},
				model.ScopeSpans{Scope: model.Scope{Name: "x"}, Spans: []model.Span{last}})
			entries = []model.ResourceSpans{e}
		default:
			for range 2 + r.IntN(4) {
				var spans []model.Span
				for range 1 + r.IntN(3) {
					spans = append(spans, span(r.Uint64N(300)*ms, uint64(r.ExpFloat64()*float64(150*ms))))
				}
				entries = append(entries, entry(r.IntN(2), pick("x", "y"), spans...))
			}
		}
		// Spread the entries over the exports in order.
		ex := 0
		for _, e := range entries {
			ex = min(splitExports-1, ex+r.IntN(2))
			exports[ex] = append(exports[ex], e)
		}
	}
	return exports
}

// splitConfigs are the configs the split corpus is decided with: every
// time-independent policy (latency_upper is the band the corpus is built
// around) and a narrower band.
func splitConfigs() map[string]string {
	out := map[string]string{"latency_band_narrow": `policies: [{name: p, type: latency, latency: {threshold_ms: 200, upper_threshold_ms: 300}}]`}
	for k, v := range policyConfigs {
		out[k] = v
	}
	return out
}

// writeExports writes each export as an OTLP/JSON file in dir and returns
// the paths in export order.
func writeExports(t *testing.T, dir string, exports [][]model.ResourceSpans) []string {
	t.Helper()
	var paths []string
	for i, ex := range exports {
		p := filepath.Join(dir, fmt.Sprintf("export-%02d.json", i))
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := otlp.EncodeJSON(f, []*model.Trace{{ResourceSpans: ex}}); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func memStore(t *testing.T) *blocks.Store {
	t.Helper()
	b, err := blocks.OpenBucket(context.Background(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return blocks.NewStore(b, "single-tenant")
}

func readStore(t *testing.T, st *blocks.Store) []*model.Trace {
	t.Helper()
	it, err := st.Traces(context.Background(), store.Request{})
	if err != nil {
		t.Fatal(err)
	}
	traces, err := store.Collect(it)
	if err != nil {
		t.Fatal(err)
	}
	return traces
}

// compareSplit decides the stored traces with every split config and
// compares them trace for trace with the Collector fed feed.
func compareSplit(t *testing.T, traces []*model.Trace, feed []ptrace.Traces) {
	configs := splitConfigs()
	names := make([]string, 0, len(configs))
	for k := range configs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			want := runCollector(t, collectorConfig(t, configs[name], uint64(len(traces))+1), feed)
			got, ds := tracectlKept(t, configs[name], traces)
			if slices.Equal(got, want) {
				t.Logf("%d traces compared, %d kept by both, 0 differ", len(traces), len(got))
				return
			}
			onlyC, onlyT := diff(want, got)
			t.Errorf("%d traces compared, %d differ: collector kept %d, tracectl %d; only collector %d, only tracectl %d",
				len(traces), len(onlyC)+len(onlyT), len(want), len(got), len(onlyC), len(onlyT))
			for _, id := range append(onlyC[:min(3, len(onlyC))], onlyT[:min(3, len(onlyT))]...) {
				t.Logf("%s", sampler.Explain(ds[id]))
			}
		})
	}
}

func exportsPdata(exports [][]model.ResourceSpans) []ptrace.Traces {
	feed := make([]ptrace.Traces, len(exports))
	for i, ex := range exports {
		feed[i] = otlp.ToPdata([]*model.Trace{{ResourceSpans: ex}})
	}
	return feed
}

// TestSplitBatchesMatchCollector ingests the split corpus through
// tracectl's real path (OTLP files, ingest, a block written and read back)
// and requires the same kept traces as the Collector fed the same
// resource-spans entries in the same order, one export per ConsumeTraces.
func TestSplitBatchesMatchCollector(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 600
	}
	exports := splitCorpus(n)
	paths := writeExports(t, t.TempDir(), exports)
	st := memStore(t)
	if _, err := ingest.Run(context.Background(), st, paths, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	traces := readStore(t, st)
	if len(traces) != n {
		t.Fatalf("read %d traces back, want %d", len(traces), n)
	}
	compareSplit(t, traces, exportsPdata(exports))
}

// TestSplitBlocksMatchCollector ingests each export of the split corpus
// as its own block, so every trace is split across blocks, and decides
// the traces as read (the parts merged) and after compaction merged the
// blocks into one. The order is then block order (start time, then block
// ID), so the Collector is fed the exports in that order.
func TestSplitBlocksMatchCollector(t *testing.T) {
	n := 1200
	if testing.Short() {
		n = 400
	}
	exports := splitCorpus(n)
	paths := writeExports(t, t.TempDir(), exports)
	ctx := context.Background()
	st := memStore(t)
	blockExport := map[string]int{}
	for i, p := range paths {
		res, err := ingest.Run(ctx, st, []string{p}, ingest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range res.Blocks {
			blockExport[m.BlockID.String()] = i
		}
	}
	metas, err := st.Blocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ordered [][]model.ResourceSpans
	for _, m := range metas {
		ordered = append(ordered, exports[blockExport[m.BlockID.String()]])
	}
	feed := exportsPdata(ordered)
	t.Run("read", func(t *testing.T) { compareSplit(t, readStore(t, st), feed) })
	res, err := compact.Run(ctx, st, compact.Options{CompactedRetention: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outputs) != 1 {
		t.Fatalf("compaction made %d outputs, want 1", len(res.Outputs))
	}
	t.Run("compacted", func(t *testing.T) { compareSplit(t, readStore(t, st), feed) })
}
