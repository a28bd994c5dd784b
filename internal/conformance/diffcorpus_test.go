package conformance

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/codec/input"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/store/storetest"
)

// This file builds the corpus of the differential test (differential_test.go):
// real traces from the shared fixtures and Tempo's own block, traces from
// internal/gen (given some array attributes), and a few hand-built traces that hold what the others lack
// (every attribute value type in every scope, events and links with
// attributes, scope attributes, traces without a root span, odd service
// names). The corpus is cut into shards; each shard is one in-memory source
// and one block store holding exactly the same traces, some of them split
// across two blocks.

// tempoBlockRel is Tempo's own vParquet4 block in the shared fixtures.
const tempoBlockRel = "tempo/vparquet4-block/single-tenant/b27b0e53-66a0-4505-afd6-434ae3cd4a10"

// genStart is where the generated (and hand-built) traces start.
var genStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// corpus is every trace the differential test queries.
type corpus struct {
	special []*model.Trace // fixtures, Tempo's block and hand-built traces: in every shard
	gen     []*model.Trace // generated traces: spread over the shards
	tempo   []*model.Trace // Tempo's block as read by readTempoBlock (also in special)
	all     []*model.Trace // special + gen, for harvesting
}

// loadCorpus decodes every trace file of the shared fixtures, reads Tempo's
// block and generates nGen traces with a fixed seed. Trace IDs are unique:
// a source holds each trace once.
func loadCorpus(t *testing.T, nGen int) *corpus {
	t.Helper()
	ctx := context.Background()
	// A walk of the fixture root decodes every trace file and skips (with
	// SkipBad) the CSV, Thrift, protobuf text, configuration, metadata and
	// expected-output files, and the parquet block, which is read below.
	fx, err := input.DecodeTraces(ctx, []string{fixtures.Root(t)}, input.Options{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(fx) < 40 {
		t.Fatalf("only %d fixture traces decoded", len(fx))
	}
	c := &corpus{}
	seen := map[model.TraceID]bool{}
	add := func(dst *[]*model.Trace, ts ...*model.Trace) {
		for _, tr := range ts {
			if tr.SpanCount() == 0 || seen[tr.TraceID] {
				continue
			}
			seen[tr.TraceID] = true
			*dst = append(*dst, tr)
		}
	}
	add(&c.special, fx...)
	c.tempo = readTempoBlock(t, tempoBlockRel)
	add(&c.special, c.tempo...)
	add(&c.special, synthTraces()...)
	// An hour of traffic: windows and metrics intervals then cut through it.
	g := gen.New(gen.Options{Seed: 20260101, Start: genStart, TracesPerSecond: float64(nGen) / 3600,
		ErrorRate: 0.08, SlowRate: 0.02, PIIRate: 0.05})
	ar := rand.New(rand.NewSource(20260102))
	for i := 0; i < nGen; i++ {
		tr := g.Trace()
		addArrays(ar, tr)
		add(&c.gen, tr)
	}
	c.all = append(append([]*model.Trace(nil), c.special...), c.gen...)
	return c
}

// addArrays gives some spans of a generated trace array attributes, as
// instrumentations record request headers, batch sizes and feature flags
// (the generator writes scalars only).
func addArrays(r *rand.Rand, tr *model.Trace) {
	tr.Spans(func(sr model.SpanRef) bool {
		sp := sr.Span
		switch r.Intn(8) {
		case 0:
			sp.Attributes = append(sp.Attributes, model.Attribute{Key: "http.request.header.accept", Value: model.ArrayValue(
				model.StringValue([]string{"text/html", "application/json", "*/*"}[r.Intn(3)]), model.StringValue("gzip"))})
		case 1:
			sp.Attributes = append(sp.Attributes, model.Attribute{Key: "messaging.batch.sizes", Value: model.ArrayValue(
				model.IntValue(int64(r.Intn(100))), model.IntValue(int64(r.Intn(1000))))})
		case 2:
			sp.Attributes = append(sp.Attributes, model.Attribute{Key: "ml.scores", Value: model.ArrayValue(
				model.DoubleValue(float64(r.Intn(1000))/1000), model.DoubleValue(0.5))})
		case 3:
			sp.Attributes = append(sp.Attributes, model.Attribute{Key: "feature.flags", Value: model.ArrayValue(
				model.BoolValue(r.Intn(2) == 0), model.BoolValue(true))})
		}
		return true
	})
}

// shard is one part of the corpus in two sources holding the same traces.
type shard struct {
	name   string
	traces []*model.Trace // as the in-memory source holds them
	mem    store.Source
	blocks store.Source
	// split counts traces stored in two blocks; nBlocks the blocks;
	// rebatched the traces whose written form differs from the input.
	split, nBlocks, rebatched int
	starts                    []uint64 // trace start times, for windows
	h                         *harvest // the shard's vocabulary
	// parts are the time ranges of the parts of split traces.
	parts []splitRanges
}

// splitRanges is the time range of a split trace and of its two parts.
type splitRanges struct {
	whole, a, b [2]uint64
}

// cutsSplit reports whether a time window overlaps a split trace but not
// both of its parts. The block reader then leaves out the block holding
// the other part and returns the trace incomplete: a known divergence
// (TestDifferentialKnownDivergences/split-trace-cut-by-time-range) that
// windows of the random test avoid.
func (sh *shard) cutsSplit(start, end time.Time) bool {
	req := store.Request{Start: start, End: end}
	for _, p := range sh.parts {
		if req.Overlaps(p.whole[0], p.whole[1]) && (!req.Overlaps(p.a[0], p.a[1]) || !req.Overlaps(p.b[0], p.b[1])) {
			return true
		}
	}
	return false
}

// makeShards cuts the corpus into small shards, since a block scan costs
// the reader milliseconds per block and per thousand spans: nGen shards
// each hold a slice of the generated traces plus a few special traces,
// and nSpecial shards hold only special traces (fixtures, Tempo's traces
// rewritten by tracectl, hand-built ones), each special trace in one of
// each kind. A query runs on one shard, so every trace meets many queries.
func makeShards(t *testing.T, c *corpus, nGen, nSpecial int) (genShards, specialShards []*shard) {
	t.Helper()
	gp := make([][]*model.Trace, nGen)
	sp := make([][]*model.Trace, nSpecial)
	for i, tr := range c.gen {
		gp[i%nGen] = append(gp[i%nGen], tr)
	}
	for i, tr := range c.special {
		gp[(i*7)%nGen] = append(gp[(i*7)%nGen], tr)
		sp[i%nSpecial] = append(sp[i%nSpecial], tr)
	}
	for i, ts := range gp {
		genShards = append(genShards, buildShard(t, fmt.Sprintf("gen%02d", i), ts, int64(i), 0))
	}
	for i, ts := range sp {
		specialShards = append(specialShards, buildShard(t, fmt.Sprintf("special%d", i), ts, int64(100+i), 0))
	}
	return genShards, specialShards
}

// latestBlocks is how many blocks the "latest" shard has: many small
// blocks that follow each other in time, as one ingest a minute leaves
// them, with split traces between near and far blocks.
const latestBlocks = 64

// makeLatestShard holds every seventh generated trace in latestBlocks
// blocks cut by start time, as successive ingests leave them.
func makeLatestShard(t *testing.T, c *corpus) *shard {
	t.Helper()
	var ts []*model.Trace
	for i := 0; i < len(c.gen); i += 7 {
		ts = append(ts, c.gen[i])
	}
	return buildShard(t, "latest", ts, 300, latestBlocks)
}

// dedicated are the dedicated-column assignments of some blocks: a string
// attribute then lives in a spare column instead of the generic list.
var dedicated = []blocks.DedicatedColumn{
	{Scope: blocks.ScopeSpan, Name: "http.route"},
	{Scope: blocks.ScopeSpan, Name: "db.system"},
	{Scope: blocks.ScopeSpan, Name: "synth.str"},
	{Scope: blocks.ScopeSpan, Name: "synth.poly"},
	{Scope: blocks.ScopeSpan, Name: "component"},
	{Scope: blocks.ScopeResource, Name: "host.name"},
	{Scope: blocks.ScopeResource, Name: "deployment.environment"},
	{Scope: blocks.ScopeResource, Name: "synth.res.poly"},
}

// buildShard writes traces into a mem:// bucket as several blocks of
// varying size, row-group size and dedicated columns: 2 to 4 blocks of
// runs of trace IDs, or, with byTime > 0, byTime blocks of runs of start
// times. About one trace in twelve with more than one span is split: its
// resource spans (or, with one resource, its spans) are cut in two halves
// written to different blocks. A split trace is, for every reader, the
// merge of its parts in block order (blocks.Store merges copies with
// model.MergeTraces in the order the store lists its blocks), so the
// in-memory source gets exactly that merge.
func buildShard(t *testing.T, name string, traces []*model.Trace, seed int64, byTime int) *shard {
	t.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewSource(seed + 77))
	// The block writer stores every trace rebatched (identical resources
	// and scopes merged, duplicate spans dropped, nested sets recomputed
	// by model.ComputeNestedSets); the in-memory source holds that written
	// form, which readers of blocks see. Only Tempo's own traces, whose
	// nested sets Tempo computed, can change here; the Tempo block pass
	// (tempoShard) queries them as Tempo wrote them.
	rebatched := 0
	traces = append([]*model.Trace(nil), traces...)
	for i, tr := range traces {
		w := model.MergeTraces(storetest.CloneTrace(tr))
		w.TraceID = tr.TraceID
		if !sameTrace(tr, w) {
			rebatched++
		}
		traces[i] = w
	}
	sorted := append([]*model.Trace(nil), traces...)
	model.SortTraces(sorted)

	// Cut the ID-sorted traces into 2 to 4 runs of random length; each run
	// is one block, so blocks have overlapping time ranges and disjoint IDs,
	// except for the halves of split traces, which go to other blocks. One
	// block has small row groups (statistics can skip some), one has
	// dedicated columns. Few blocks keep a query cheap: opening a block
	// costs the reader several milliseconds.
	type blockPlan struct {
		traces []*model.Trace
		opts   blocks.WriteOptions
	}
	var nb int
	var cuts []int
	if byTime == 0 {
		nb = min(len(sorted), 2+r.Intn(3))
		cuts = r.Perm(len(sorted) - 1)[:nb-1]
		for i := range cuts {
			cuts[i]++
		}
		sort.Ints(cuts)
		cuts = append(append([]int{0}, cuts...), len(sorted))
	} else {
		// Equal runs of start times instead: each block a stretch of time.
		sort.SliceStable(sorted, func(i, j int) bool {
			a, _ := sorted[i].TimeRange()
			b, _ := sorted[j].TimeRange()
			return a < b
		})
		nb = min(len(sorted), byTime)
		for i := 0; i <= nb; i++ {
			cuts = append(cuts, i*len(sorted)/nb)
		}
	}
	var plans []*blockPlan
	for i := 0; i < nb; i++ {
		plans = append(plans, &blockPlan{traces: append([]*model.Trace(nil), sorted[cuts[i]:cuts[i+1]]...)})
	}
	r.Shuffle(len(plans), func(i, j int) { plans[i], plans[j] = plans[j], plans[i] })
	plans[0].opts.RowGroupBytes = 128 << 10
	plans[1].opts.DedicatedColumns = dedicated
	r.Shuffle(len(plans), func(i, j int) { plans[i], plans[j] = plans[j], plans[i] })
	// Split some traces: the second half goes to another block.
	type splitTrace struct {
		orig        *model.Trace
		first, last *model.Trace
		inA, inB    *blockPlan
	}
	var splits []*splitTrace
	if len(plans) > 1 {
		own := make([]int, len(plans)) // traces of each block before halves are added
		for pi, p := range plans {
			own[pi] = len(p.traces)
		}
		for pi, p := range plans {
			for ti, tr := range p.traces[:own[pi]] {
				if tr.SpanCount() < 2 || r.Intn(12) != 0 {
					continue
				}
				a, b := splitHalves(tr)
				other := plans[(pi+1+r.Intn(len(plans)-1))%len(plans)]
				p.traces[ti] = a
				other.traces = append(other.traces, b)
				splits = append(splits, &splitTrace{orig: tr, first: a, last: b, inA: p, inB: other})
			}
		}
	}
	b, err := blocks.OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	st := blocks.NewStore(b, "single-tenant")
	if seed%2 == 1 {
		st.SetConcurrency(1) // decode on the caller's goroutine; others use GOMAXPROCS workers
	}
	ids := map[*blockPlan]uuid.UUID{}
	for _, p := range plans {
		model.SortTraces(p.traces)
		m, err := st.WriteBlock(ctx, p.traces, p.opts)
		if err != nil {
			t.Fatal(err)
		}
		ids[p] = m.BlockID
	}
	metas, err := st.Blocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pos := map[uuid.UUID]int{}
	for i, m := range metas {
		pos[m.BlockID] = i
	}
	merged := map[model.TraceID]*model.Trace{}
	for _, s := range splits {
		parts := []*model.Trace{storetest.CloneTrace(s.first), storetest.CloneTrace(s.last)}
		if pos[ids[s.inB]] < pos[ids[s.inA]] {
			parts[0], parts[1] = parts[1], parts[0]
		}
		m := model.MergeTraces(parts...)
		m.TraceID = s.orig.TraceID
		merged[s.orig.TraceID] = m
	}
	memTraces := make([]*model.Trace, 0, len(traces))
	for _, tr := range traces {
		if m := merged[tr.TraceID]; m != nil {
			tr = m
		}
		memTraces = append(memTraces, tr)
	}
	// The in-memory source streams traces in a shuffled order: results
	// must not depend on the order a source returns traces in.
	r.Shuffle(len(memTraces), func(i, j int) { memTraces[i], memTraces[j] = memTraces[j], memTraces[i] })
	var parts []splitRanges
	for _, sp := range splits {
		var r splitRanges
		r.whole[0], r.whole[1] = sp.orig.TimeRange()
		r.a[0], r.a[1] = sp.first.TimeRange()
		r.b[0], r.b[1] = sp.last.TimeRange()
		parts = append(parts, r)
	}
	return &shard{name: name, traces: memTraces, mem: storetest.New(memTraces), blocks: st,
		split: len(splits), nBlocks: len(plans), rebatched: rebatched, parts: parts}
}

// sameTrace reports whether two traces hold the same spans in the same
// order with the same nested-set numbers.
func sameTrace(a, b *model.Trace) bool {
	var sa, sb []model.Span
	a.Spans(func(r model.SpanRef) bool { sa = append(sa, *r.Span); return true })
	b.Spans(func(r model.SpanRef) bool { sb = append(sb, *r.Span); return true })
	if len(sa) != len(sb) || len(a.ResourceSpans) != len(b.ResourceSpans) {
		return false
	}
	for i := range sa {
		x, y := sa[i], sb[i]
		if x.SpanID != y.SpanID || x.NestedSetLeft != y.NestedSetLeft || x.NestedSetRight != y.NestedSetRight || x.ParentIndex != y.ParentIndex {
			return false
		}
	}
	return true
}

// splitHalves cuts a trace in two parts: the first and second half of its
// resource spans, or of its spans when it has one resource.
func splitHalves(tr *model.Trace) (*model.Trace, *model.Trace) {
	c := storetest.CloneTrace(tr)
	a := &model.Trace{TraceID: c.TraceID}
	b := &model.Trace{TraceID: c.TraceID}
	if len(c.ResourceSpans) > 1 {
		h := len(c.ResourceSpans) / 2
		a.ResourceSpans = c.ResourceSpans[:h]
		b.ResourceSpans = c.ResourceSpans[h:]
		return a, b
	}
	// One resource: split its spans, each half keeping the resource and
	// the scopes it uses.
	rs := c.ResourceSpans[0]
	total := c.SpanCount()
	seen := 0
	ra := model.ResourceSpans{Resource: rs.Resource}
	rb := model.ResourceSpans{Resource: rs.Resource}
	for _, ss := range rs.ScopeSpans {
		sa := model.ScopeSpans{Scope: ss.Scope}
		sb := model.ScopeSpans{Scope: ss.Scope}
		for _, sp := range ss.Spans {
			if seen < total/2 {
				sa.Spans = append(sa.Spans, sp)
			} else {
				sb.Spans = append(sb.Spans, sp)
			}
			seen++
		}
		if len(sa.Spans) > 0 {
			ra.ScopeSpans = append(ra.ScopeSpans, sa)
		}
		if len(sb.Spans) > 0 {
			rb.ScopeSpans = append(rb.ScopeSpans, sb)
		}
	}
	a.ResourceSpans = []model.ResourceSpans{ra}
	b.ResourceSpans = []model.ResourceSpans{rb}
	return a, b
}

// tempoShard queries Tempo's block as it is (legacy layout, Tempo's own
// writer) against the traces readTempoBlock returns for it.
func tempoShard(t *testing.T, traces []*model.Trace) *shard {
	t.Helper()
	ctx := context.Background()
	path := fixtures.Path(t, tempoBlockRel)
	tenantDir := filepath.Dir(path)
	b, err := blocks.OpenBucket(ctx, "file://"+filepath.Dir(tenantDir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	st := blocks.NewStore(b, filepath.Base(tenantDir))
	metas, err := st.Blocks(ctx)
	if err != nil || len(metas) != 1 {
		t.Fatalf("Tempo's block: %d blocks, %v", len(metas), err)
	}
	return &shard{name: "tempo-block", traces: traces, mem: storetest.New(traces), blocks: st, nBlocks: 1}
}

// synthTraces are hand-built traces holding what the fixtures and the
// generator lack: every value type (string, int, double with NaN, ±Inf
// and -0, bool, typed and mixed arrays, empty arrays, bytes, key/value
// lists, empty values) as span, resource, scope, event and link
// attributes; keys whose type differs between spans; static-column keys
// (http.method, http.status_code, k8s.*) with and without their column's
// type; resources whose service.name is missing, empty or an int; spans
// ending before they start; events before their span; links to other
// traces with attributes; child_of links; traces without a root span and
// with two roots. Attribute keys are unique within a list, as OTLP
// requires (duplicates are a known divergence, see
// TestDifferentialKnownDivergences).
func synthTraces() []*model.Trace {
	r := rand.New(rand.NewSource(99))
	var out []*model.Trace
	traceID := func(i int) model.TraceID {
		var id model.TraceID
		binary.BigEndian.PutUint64(id[:8], 0x5e5e000000000000|uint64(i))
		binary.BigEndian.PutUint64(id[8:], r.Uint64())
		return id
	}
	spanID := func() model.SpanID {
		var id model.SpanID
		binary.BigEndian.PutUint64(id[:], r.Uint64()|1)
		return id
	}
	values := []model.Value{
		model.StringValue("alpha"), model.StringValue(""), model.StringValue("Ünïcödé \"quoted\" \\ back"),
		model.StringValue("multi\nline"), model.StringValue("GET"), model.StringValue("404"),
		model.IntValue(0), model.IntValue(-7), model.IntValue(404), model.IntValue(math.MaxInt64), model.IntValue(math.MinInt64),
		model.DoubleValue(0.5), model.DoubleValue(-2.25), model.DoubleValue(math.Copysign(0, -1)), model.DoubleValue(1e300),
		model.DoubleValue(math.NaN()), model.DoubleValue(math.Inf(1)), model.DoubleValue(math.Inf(-1)), model.DoubleValue(404),
		model.BoolValue(true), model.BoolValue(false),
		model.ArrayValue(model.StringValue("a"), model.StringValue("b"), model.StringValue("GET")),
		model.ArrayValue(model.IntValue(1), model.IntValue(404), model.IntValue(-3)),
		model.ArrayValue(model.DoubleValue(0.5), model.DoubleValue(2.5)),
		model.ArrayValue(model.BoolValue(true), model.BoolValue(false)),
		model.ArrayValue(model.StringValue("solo")),
		model.ArrayValue(),
		model.ArrayValue(model.StringValue("mixed"), model.IntValue(5), model.BoolValue(true)),
		model.ArrayValue(model.ArrayValue(model.StringValue("nested"))),
		model.BytesValue([]byte{0, 1, 2, 0xff}),
		model.MapValue(model.Str("inner", "v"), model.Int("n", 3), model.Attribute{Key: "deep", Value: model.MapValue(model.Bool("b", true))}),
		model.MapValue(),
		{}, // empty value
	}
	pick := func() model.Value { return values[r.Intn(len(values))] }
	// typed returns one attribute of every value type under prefix.
	typed := func(prefix string) []model.Attribute {
		return []model.Attribute{
			model.Str(prefix+"str", []string{"alpha", "beta", "gamma", ""}[r.Intn(4)]),
			model.Int(prefix+"int", int64(r.Intn(1000)-100)),
			model.Double(prefix+"double", float64(r.Intn(10000))/100),
			model.Bool(prefix+"bool", r.Intn(2) == 0),
			{Key: prefix + "strs", Value: model.ArrayValue(model.StringValue("x"), model.StringValue([]string{"y", "z"}[r.Intn(2)]))},
			{Key: prefix + "ints", Value: model.ArrayValue(model.IntValue(int64(r.Intn(10))), model.IntValue(int64(r.Intn(10))))},
			{Key: prefix + "doubles", Value: model.ArrayValue(model.DoubleValue(0.25), model.DoubleValue(float64(r.Intn(100))/10))},
			{Key: prefix + "bools", Value: model.ArrayValue(model.BoolValue(true), model.BoolValue(r.Intn(2) == 0))},
			{Key: prefix + "bytes", Value: model.BytesValue([]byte("raw-" + fmt.Sprint(r.Intn(3))))},
			{Key: prefix + "map", Value: model.MapValue(model.Str("k", "v"), model.Int("n", int64(r.Intn(5))))},
			{Key: prefix + "empty", Value: model.Value{}},
			{Key: prefix + "poly", Value: pick()},
		}
	}
	start := uint64(genStart.Add(17 * time.Minute).UnixNano())
	for i := 0; i < 40; i++ {
		tid := traceID(i)
		t0 := start + uint64(i)*uint64(37*time.Second) + uint64(r.Intn(1e9))
		b := model.NewTraceBuilder()
		nRes := 1 + r.Intn(3)
		for ri := 0; ri < nRes; ri++ {
			res := model.Resource{Attributes: append(typed("synth.res."),
				model.Str("host.name", fmt.Sprintf("host-%d", r.Intn(4))),
				model.Str("deployment.environment", []string{"prod", "staging"}[r.Intn(2)]),
			)}
			switch (i + ri) % 7 {
			case 0: // no service.name
			case 1:
				res.Attributes = append(res.Attributes, model.Str(model.ServiceNameKey, ""))
			case 2:
				res.Attributes = append(res.Attributes, model.Int(model.ServiceNameKey, 42))
			default:
				res.Attributes = append(res.Attributes, model.Str(model.ServiceNameKey, []string{"synth-a", "synth-b", "gateway", "synth ünï"}[r.Intn(4)]))
			}
			if r.Intn(2) == 0 {
				res.Attributes = append(res.Attributes, model.Str("k8s.pod.name", fmt.Sprintf("pod-%d", r.Intn(5))),
					model.Str("cluster", "c1"), model.Int("namespace", 7))
			}
			res.Attributes = append(res.Attributes, model.Attribute{Key: "synth.res.poly2", Value: pick()})
			for si := 0; si < 1+r.Intn(2); si++ {
				sc := model.Scope{Name: []string{"synth-lib", "io.opentelemetry.go", ""}[r.Intn(3)], Version: []string{"1.0.0", "", "2.1"}[r.Intn(3)],
					Attributes: typed("synth.scope.")}
				for k := 0; k < 1+r.Intn(4); k++ {
					id := spanID()
					sp := model.Span{
						TraceID: tid, SpanID: id, Name: []string{"synth op", "GET /synth", "query", "Ünïcödé span", ""}[r.Intn(5)],
						Kind:              model.SpanKind(r.Intn(6)),
						StartTimeUnixNano: t0 + uint64(r.Intn(5e8)),
						Status:            model.Status{Code: model.StatusCode(r.Intn(3))},
						Attributes:        append(typed("synth."), model.Attribute{Key: "synth.poly2", Value: pick()}),
					}
					sp.EndTimeUnixNano = sp.StartTimeUnixNano + uint64(r.Int63n(int64(3*time.Second)))
					if r.Intn(15) == 0 {
						sp.EndTimeUnixNano = sp.StartTimeUnixNano - 1000 // ends before it starts
					}
					if sp.Status.Code == model.StatusError {
						sp.Status.Message = []string{"boom", "timeout after 3s", ""}[r.Intn(3)]
					}
					switch r.Intn(4) {
					case 0:
						sp.Attributes = append(sp.Attributes, model.Str("http.method", "POST"), model.Int("http.status_code", 503),
							model.Str("http.url", "http://synth/x?y=1"))
					case 1:
						sp.Attributes = append(sp.Attributes, model.Int("http.method", 5), model.Str("http.status_code", "200"))
					}
					for e := 0; e < r.Intn(3); e++ {
						ev := model.Event{Name: []string{"exception", "log", "cache miss", ""}[r.Intn(4)],
							TimeUnixNano: sp.StartTimeUnixNano + uint64(r.Intn(1e8)), Attributes: typed("synth.ev.")}
						if r.Intn(8) == 0 {
							ev.TimeUnixNano = sp.StartTimeUnixNano - 5000 // before the span
						}
						ev.Attributes = append(ev.Attributes, model.Str("exception.message", "synthetic failure"))
						sp.Events = append(sp.Events, ev)
					}
					for l := 0; l < r.Intn(3); l++ {
						ln := model.Link{TraceID: traceID(r.Intn(40)), SpanID: spanID(), Attributes: typed("synth.link.")}
						if r.Intn(3) == 0 {
							ln.TraceID = traceID(i) // reuse: any trace
						}
						sp.Links = append(sp.Links, ln)
					}
					b.AddSpan(&res, "", &sc, "", sp)
				}
			}
		}
		// Wire parents: span 0 is the root, the others hang under an
		// earlier span; then vary the shape.
		built := b.Traces()[0]
		var refs []*model.Span
		built.Spans(func(sr model.SpanRef) bool { refs = append(refs, sr.Span); return true })
		for k := 1; k < len(refs); k++ {
			refs[k].ParentSpanID = refs[r.Intn(k)].SpanID
		}
		switch i % 5 {
		case 0: // no root: the root's parent is not in the trace
			refs[0].ParentSpanID = spanID()
		case 1: // two roots
			if len(refs) > 2 {
				refs[len(refs)-1].ParentSpanID = model.SpanID{}
			}
		case 3: // a root with a child_of link to its own trace is not a root
			refs[0].Links = append(refs[0].Links, model.Link{TraceID: tid, SpanID: spanID(),
				Attributes: []model.Attribute{model.Str("opentracing.ref_type", "child_of")}})
		case 2: // child_of links: the root's to another trace, a child's to its own
			refs[0].Links = append(refs[0].Links, model.Link{TraceID: traceID(i + 1), SpanID: spanID(),
				Attributes: []model.Attribute{model.Str("opentracing.ref_type", "child_of")}})
			if len(refs) > 1 {
				refs[1].Links = append(refs[1].Links, model.Link{TraceID: tid, SpanID: refs[0].SpanID,
					Attributes: []model.Attribute{model.Str("opentracing.ref_type", "child_of")}})
			}
		}
		model.ComputeNestedSets(built)
		out = append(out, built)
	}
	sort.Slice(out, func(i, j int) bool { return model.CompareTraceIDs(out[i].TraceID, out[j].TraceID) < 0 })
	return out
}
