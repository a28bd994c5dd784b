package conformance

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/traceql"
	"github.com/tracectl/tracectl/traceql/eval"
)

// TestDifferential is a differential property test of TraceQL over the
// block reader: random, valid queries built from the corpus' own
// vocabulary (diffgen_test.go) are evaluated by the reference evaluator
// over an in-memory source and over vParquet4 blocks holding the same
// traces (diffcorpus_test.go), and the answers must be identical. Today
// both go through the same evaluator, so a difference means the blocks
// returned different traces (or the evaluator asked the reader for too
// few columns); once the block reader evaluates queries itself (predicates
// pushed down into parquet columns), this test holds it to the reference
// answers.
//
// The corpus (fixtures, Tempo's block, generated and hand-built traces) is
// cut into small shards, each an in-memory source and a block store of 2–4
// blocks, because a block scan costs the reader milliseconds per block. A
// search case runs one query on a random shard with count-only and one or
// two other option sets, and a second query on Tempo's own block, read as
// Tempo wrote it. A metrics case runs one query on a shard and one on
// Tempo's block.
//
// Environment:
//
//	TRACECTL_DIFF_SEED   seed of the queries (default 1); the corpus is fixed
//	TRACECTL_DIFF_N      search cases (default 250, 120 with -short); metrics
//	                     cases are half as many
//	TRACECTL_DIFF_QUERY  run only this query, on every shard with every option set
//
// A failure prints the seed, the case, the query, the shard and options,
// a command that reproduces it, and a diff of the two answers
// (-memory +blocks). The coverage (queries by feature, rejections by
// Parse, matching and empty answers) and times are logged with -v.
func TestDifferential(t *testing.T) {
	cfg := diffConfigFromEnv(t)
	start := time.Now()
	c := loadCorpus(t, cfg.nGen)
	h := harvestCorpus(c.all)
	genShards, specialShards := makeShards(t, c, cfg.nGenShards, cfg.nSpecialShards)
	latest := makeLatestShard(t, c)
	shards := append(append(append([]*shard(nil), genShards...), specialShards...), latest)
	tempo := tempoShard(t, c.tempo)
	for _, s := range append(append([]*shard(nil), shards...), tempo) {
		s.starts = traceStarts(s.traces)
		s.h = harvestCorpus(s.traces)
	}
	logCorpus(t, c, h, shards)
	t.Logf("setup %v", time.Since(start).Round(time.Millisecond))

	if cfg.query != "" {
		t.Run("query", func(t *testing.T) { runOneQuery(t, cfg, h, append(shards, tempo)) })
		return
	}
	d := &differ{cfg: cfg, h: h, genShards: genShards, specialShards: specialShards, latest: latest, tempo: tempo, stats: newDiffStats()}
	t.Run("search", func(t *testing.T) {
		st := time.Now()
		d.run(t, cfg.n, d.searchCase)
		t.Logf("%d search cases in %v", cfg.n, time.Since(st).Round(time.Millisecond))
	})
	t.Run("metrics", func(t *testing.T) {
		st := time.Now()
		d.run(t, cfg.nMetrics, d.metricsCase)
		t.Logf("%d metrics cases in %v", cfg.nMetrics, time.Since(st).Round(time.Millisecond))
	})
	t.Run("mutation", func(t *testing.T) { d.mutationSelfCheck(t) })
	d.stats.log(t)
}

// diffConfig is the test's size and seed.
type diffConfig struct {
	seed        int64
	n, nMetrics int
	nGen        int // generated traces
	// nGenShards shards hold the generated traces (and a few special
	// ones), nSpecialShards only special traces.
	nGenShards, nSpecialShards int
	query                      string
	workers                    int
}

// diffConfigFromEnv reads the environment. The default size keeps the
// test near 20 s on two cores: a search case costs about 50 ms there and a
// metrics case 25 ms, nearly all of it the block reader decoding rows.
func diffConfigFromEnv(t *testing.T) diffConfig {
	cfg := diffConfig{seed: 1, n: 250, nGen: 3000, nGenShards: 40, nSpecialShards: 8, workers: 2}
	if testing.Short() {
		cfg.n = 120
	}
	if s := os.Getenv("TRACECTL_DIFF_SEED"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("TRACECTL_DIFF_SEED: %v", err)
		}
		cfg.seed = v
	}
	if s := os.Getenv("TRACECTL_DIFF_N"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			t.Fatalf("TRACECTL_DIFF_N: %q is not a count", s)
		}
		cfg.n = v
	}
	cfg.nMetrics = max(1, cfg.n/2)
	cfg.query = os.Getenv("TRACECTL_DIFF_QUERY")
	return cfg
}

// differ runs queries against the shards and compares the answers.
type differ struct {
	cfg                      diffConfig
	h                        *harvest
	genShards, specialShards []*shard
	latest                   *shard // many blocks by time
	tempo                    *shard
	stats                    *diffStats
}

// pickShard picks the shard a query runs on: a special one 40% of the
// time, the latest one (many blocks by time) about 8%.
func (d *differ) pickShard(r *rand.Rand) *shard {
	if r.Intn(5) < 2 {
		return d.specialShards[r.Intn(len(d.specialShards))]
	}
	k := r.Intn(len(d.genShards) * 7 / 6)
	if k >= len(d.genShards) {
		return d.latest
	}
	return d.genShards[k]
}

// caseFunc generates and checks query i; it returns the failures found.
type caseFunc func(i int) []string

// maxFailures stops a run after this many reported differences.
const maxFailures = 10

// run checks n queries on cfg.workers goroutines and reports failures in
// query order.
func (d *differ) run(t *testing.T, n int, check caseFunc) {
	results := make([][]string, n)
	var next int
	var mu sync.Mutex
	failed := 0
	var wg sync.WaitGroup
	for w := 0; w < d.cfg.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := failed >= maxFailures
				mu.Unlock()
				if i >= n || stop {
					return
				}
				res := check(i)
				mu.Lock()
				results[i] = res
				failed += len(res)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	reported := 0
	for _, res := range results {
		for _, f := range res {
			if reported < maxFailures {
				t.Error(f)
			}
			reported++
		}
	}
	if reported > maxFailures {
		t.Errorf("... %d more differences not shown", reported-maxFailures)
	}
}

// queryRand is the random source of query i: a query and its options
// depend only on the seed and i.
func (d *differ) queryRand(i int) *rand.Rand {
	return rand.New(rand.NewSource(d.cfg.seed*1_000_003 + int64(i)))
}

// vocabulary returns the names and values a query for sh is built from:
// usually sh's own, so that many queries match something, sometimes the
// whole corpus', so that many match nothing.
func (d *differ) vocabulary(r *rand.Rand, sh *shard) *harvest {
	if r.Intn(4) == 0 {
		d.stats.count("vocabulary: whole corpus")
		return d.h
	}
	d.stats.count("vocabulary: the shard's")
	return sh.h
}

// generate draws queries until one parses and validates, counting the
// rejected ones.
func (d *differ) generate(r *rand.Rand, h *harvest, build func(g *qgen) *traceql.RootExpr) (*traceql.RootExpr, string, map[string]bool) {
	for {
		g := newQGen(r, h)
		text := build(g).String()
		root, err := traceql.Parse(text)
		if err == nil {
			d.stats.accepted(g.feats)
			return root, text, g.feats
		}
		d.stats.rejected(text, err)
	}
}

// ---- search ----

// searchOpts is a named option set.
type searchOpts struct {
	name string
	opts eval.SearchOptions
}

// optionSet returns option set k for a query on sh.
func (d *differ) optionSet(r *rand.Rand, k int, sh *shard) searchOpts {
	switch k {
	case 0:
		return searchOpts{"count-only", eval.SearchOptions{CountOnly: true}}
	case 1:
		return searchOpts{"default", eval.SearchOptions{}}
	case 2:
		return searchOpts{"limit=5", eval.SearchOptions{Limit: 5}}
	case 3:
		return searchOpts{"limit=100000", eval.SearchOptions{Limit: 100000}}
	case 4:
		return searchOpts{"spss=1", eval.SearchOptions{SpansPerSpanSet: 1, Limit: 50}}
	case 5:
		return searchOpts{"spss=3", eval.SearchOptions{SpansPerSpanSet: 3, Limit: 200}}
	}
	s, e := d.window(r, sh, randomWindow)
	o := eval.SearchOptions{Start: s, End: e, Limit: []int{0, 5, 100000}[r.Intn(3)], CountOnly: r.Intn(4) == 0}
	return searchOpts{fmt.Sprintf("window [%s, %s] limit=%d count-only=%v", s.Format(time.RFC3339Nano), e.Format(time.RFC3339Nano), o.Limit, o.CountOnly), o}
}

const nOptionSets = 7

// window draws a window for sh that does not cut a split trace (a known
// divergence, see shard.cutsSplit); it gives up after a few draws and
// returns the shard's whole time range.
func (d *differ) window(r *rand.Rand, sh *shard, draw func(*rand.Rand, *shard) (time.Time, time.Time)) (time.Time, time.Time) {
	for try := 0; try < 20; try++ {
		s, e := draw(r, sh)
		if !sh.cutsSplit(s, e) {
			return s, e
		}
		d.stats.count("window redrawn: it cut a split trace")
	}
	return time.Unix(0, int64(sh.h.start)).Add(-time.Second), time.Unix(0, int64(sh.h.end)).Add(time.Second)
}

// randomWindow is a time window around a trace start of sh (from a
// millisecond to two hours wide, cutting traces and blocks) or a slice of
// the shard's whole range when that is shorter than two days.
func randomWindow(r *rand.Rand, sh *shard) (time.Time, time.Time) {
	lo, hi := int64(sh.h.start), int64(sh.h.end)
	if r.Intn(3) == 0 && hi-lo < int64(48*time.Hour) {
		s := lo + r.Int63n(hi-lo+1)
		return time.Unix(0, s), time.Unix(0, s+r.Int63n(hi-s+1))
	}
	t := time.Unix(0, int64(sh.starts[r.Intn(len(sh.starts))]))
	ds := []time.Duration{0, time.Millisecond, time.Second, time.Minute, 10 * time.Minute, time.Hour}
	return t.Add(-ds[r.Intn(len(ds))]), t.Add(ds[r.Intn(len(ds))])
}

// searchCase checks one search query on a random shard: count-only first
// (every trace evaluated), then one or (a third of the time) two more
// random option sets. It also checks a second query, built from the
// vocabulary of Tempo's block, on that block with one random option set.
func (d *differ) searchCase(i int) []string {
	r := d.queryRand(i)
	sh := d.pickShard(r)
	root, text, _ := d.generate(r, d.vocabulary(r, sh), func(g *qgen) *traceql.RootExpr { return g.search() })
	var fails []string
	perm := r.Perm(nOptionSets - 1)
	sets := []int{0, perm[0] + 1, perm[1] + 1}
	if r.Intn(3) != 0 {
		sets = sets[:2]
	}
	for n, k := range sets {
		o := d.optionSet(r, k, sh)
		res := d.compareSearch(sh, sh.mem, sh.blocks, root, o.opts)
		if n == 0 {
			d.stats.searchOutcome(res)
		}
		d.stats.count("search option set: " + strings.Fields(o.name)[0])
		if res.diff != "" {
			fails = append(fails, d.failure(i, text, sh.name, o.name, res.diff))
			break
		}
		if res.err != nil {
			break // the query fails on this data; count-only showed both agree
		}
	}
	root, text, _ = d.generate(r, d.vocabulary(r, d.tempo), func(g *qgen) *traceql.RootExpr { return g.search() })
	o := d.optionSet(r, r.Intn(nOptionSets), d.tempo)
	if res := d.compareSearch(d.tempo, d.tempo.mem, d.tempo.blocks, root, o.opts); res.diff != "" {
		fails = append(fails, d.failure(i, text, d.tempo.name, o.name, res.diff))
	}
	return fails
}

// outcome is the result of one comparison.
type outcome struct {
	matched int // count-only matches in memory
	err     error
	diff    string
	elapsed [2]time.Duration
}

// failure describes a difference; i is the search case, or -1-k for
// metrics case k.
func (d *differ) failure(i int, text, where, opts, diff string) string {
	const maxDiff = 6000
	if len(diff) > maxDiff {
		diff = diff[:maxDiff] + "\n... (diff truncated)"
	}
	label := fmt.Sprintf("search case #%d", i)
	if i < 0 {
		label = fmt.Sprintf("metrics case #%d", -1-i)
	}
	return fmt.Sprintf("seed=%d %s differs on %s with %s\nquery: %s\nreproduce: TRACECTL_DIFF_SEED=%d TRACECTL_DIFF_N=%d go test ./internal/conformance -run TestDifferential\n"+
		"     or: TRACECTL_DIFF_QUERY=%s go test ./internal/conformance -run TestDifferential\ndiff (-memory +blocks):\n%s",
		d.cfg.seed, label, where, opts, text, d.cfg.seed, reproduceN(i), shellQuote(text), diff)
}

// reproduceN is a TRACECTL_DIFF_N that runs case i (search cases 0..N-1,
// metrics cases 0..N/2-1).
func reproduceN(i int) int {
	if i < 0 {
		return 2 * (-i)
	}
	return i + 1
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// compareSearch evaluates root on both sources and diffs the answers.
func (d *differ) compareSearch(sh *shard, want, got store.Source, root *traceql.RootExpr, opts eval.SearchOptions) outcome {
	ctx := context.Background()
	var o outcome
	t0 := time.Now()
	a, errA := eval.SearchExpr(ctx, want, root, opts)
	t1 := time.Now()
	b, errB := eval.SearchExpr(ctx, got, root, opts)
	o.elapsed = [2]time.Duration{t1.Sub(t0), time.Since(t1)}
	d.stats.timing(sh.name, o.elapsed)
	if errA != nil || errB != nil {
		// A query can fail at run time on some trace (integer overflow,
		// several spansets before a spanset operator). Every trace is
		// evaluated with count-only, so then both must fail; with a limit,
		// traces that cannot rank are skipped, so whether the failing
		// trace is reached depends on the order a source streams traces
		// in — count-only (run first) already checked that both fail.
		o.err = errA
		if errA == nil {
			o.err = errB
		}
		if opts.CountOnly && (errA == nil) != (errB == nil) {
			o.diff = fmt.Sprintf("error: memory %v, blocks %v", errA, errB)
		}
		return o
	}
	o.matched = a.Metrics.MatchedTraces
	o.diff = diffSearch(a, b, opts.CountOnly)
	return o
}

var floatOpts = cmp.Options{cmpopts.EquateNaNs()}

// diffSearch compares two search answers: the full Tempo JSON response and
// the result it is rendered from. Excluded: Metrics.InspectedTraces and
// InspectedSpans (and the byte counts Tempo reports), which count the
// work a source did, not the answer — a block reader skips row groups by
// time range and service name, re-checks ranges at row-group granularity
// and will skip more once predicates are pushed down. MatchedTraces is
// compared only with count-only: otherwise traces that cannot rank in the
// top Limit are not evaluated, and which those are depends on the order a
// source streams traces in (SearchMetrics documents this).
func diffSearch(a, b *eval.SearchResult, countOnly bool) string {
	ja, jb := a.TempoResponse(), b.TempoResponse()
	ja.Metrics, jb.Metrics = eval.TempoSearchMetrics{}, eval.TempoSearchMetrics{}
	if diff := cmp.Diff(ja, jb, floatOpts); diff != "" {
		return "Tempo JSON response:\n" + diff
	}
	if diff := cmp.Diff(a.Traces, b.Traces, floatOpts); diff != "" {
		return "search result:\n" + diff
	}
	if countOnly && a.Metrics.MatchedTraces != b.Metrics.MatchedTraces {
		return fmt.Sprintf("count-only matched traces: memory %d, blocks %d", a.Metrics.MatchedTraces, b.Metrics.MatchedTraces)
	}
	return ""
}

// ---- metrics ----

// metricsOptions picks a range — the shard's whole range (when shorter
// than two days) or a window around one of its traces — a step, sometimes
// an instant query, and sometimes approximate quantiles.
func (d *differ) metricsOptions(r *rand.Rand, sh *shard) (eval.MetricsOptions, string) {
	var o eval.MetricsOptions
	var steps []time.Duration
	o.Start, o.End = d.window(r, sh, func(r *rand.Rand, sh *shard) (time.Time, time.Time) {
		steps = []time.Duration{0}
		lo, hi := time.Unix(0, int64(sh.h.start)), time.Unix(0, int64(sh.h.end))
		if r.Intn(4) == 0 && hi.Sub(lo) < 48*time.Hour {
			return lo.Add(-time.Minute), hi.Add(time.Minute)
		}
		t := time.Unix(0, int64(sh.starts[r.Intn(len(sh.starts))]))
		if r.Intn(3) == 0 {
			steps = []time.Duration{0, time.Second, 10 * time.Second, time.Minute}
			return t.Add(-time.Duration(r.Int63n(int64(10 * time.Minute)))), t.Add(time.Duration(r.Int63n(int64(20 * time.Minute))))
		}
		d := []time.Duration{time.Second, time.Minute, time.Hour}[r.Intn(3)]
		return t.Add(-d), t.Add(d)
	})
	o.Step = steps[r.Intn(len(steps))]
	o.Instant = r.Intn(6) == 0
	o.Approx = r.Intn(5) == 0
	return o, fmt.Sprintf("range [%s, %s] step=%v instant=%v approx=%v", o.Start.Format(time.RFC3339Nano), o.End.Format(time.RFC3339Nano), o.Step, o.Instant, o.Approx)
}

// metricsCase checks one metrics query on a random shard and on Tempo's
// block.
func (d *differ) metricsCase(i int) []string {
	r := d.queryRand(-1 - i)
	var fails []string
	for _, sh := range []*shard{d.pickShard(r), d.tempo} {
		// Metrics queries use the shard's own vocabulary: most ranges hold
		// few traces, and a series needs a span that matches.
		root, text, _ := d.generate(r, sh.h, func(g *qgen) *traceql.RootExpr { return g.metrics() })
		opts, desc := d.metricsOptions(r, sh)
		if diff := d.compareMetrics(sh, sh.mem, sh.blocks, root, opts); diff != "" {
			fails = append(fails, d.failure(-1-i, text, sh.name, desc, diff))
		}
	}
	return fails
}

// compareMetrics evaluates a metrics query on both sources and diffs the
// series (labels, samples, exemplars) and the Tempo JSON rendering.
// Sample values of sum_over_time and avg_over_time are compared to a
// relative 1e-9: they add floats span by span, and the order spans come in
// differs between sources (an unordered block scan returns traces as its
// workers finish row groups), so the last bits may differ. Everything
// else — counts, min, max, exact quantiles (computed on sorted values),
// histograms, exemplars (chosen by a rank of their IDs) — must be equal.
// The inspected-work counters are excluded as for search, and
// MatchedTraces is not computed for metrics.
func (d *differ) compareMetrics(sh *shard, want, got store.Source, root *traceql.RootExpr, opts eval.MetricsOptions) string {
	ctx := context.Background()
	t0 := time.Now()
	a, errA := eval.MetricsExpr(ctx, want, root, opts)
	t1 := time.Now()
	b, errB := eval.MetricsExpr(ctx, got, root, opts)
	d.stats.timing(sh.name, [2]time.Duration{t1.Sub(t0), time.Since(t1)})
	if errA != nil || errB != nil {
		d.stats.count("metrics: runtime error")
		if (errA == nil) != (errB == nil) {
			return fmt.Sprintf("error: memory %v, blocks %v", errA, errB)
		}
		return ""
	}
	d.stats.metricsOutcome(a)
	copts := floatOpts
	if usesFloatSums(root) {
		copts = append(copts, cmpopts.EquateApprox(1e-9, 0))
	}
	if diff := cmp.Diff(a.Series, b.Series, copts); diff != "" {
		return "series:\n" + diff
	}
	ja, jb := a.TempoResponse(), b.TempoResponse()
	ja.Metrics, jb.Metrics = eval.TempoMetricsMetrics{}, eval.TempoMetricsMetrics{}
	if diff := cmp.Diff(ja, jb, copts); diff != "" {
		return "Tempo JSON response:\n" + diff
	}
	if !a.Start.Equal(b.Start) || !a.End.Equal(b.End) || a.Step != b.Step {
		return fmt.Sprintf("range: memory [%v, %v] step %v, blocks [%v, %v] step %v", a.Start, a.End, a.Step, b.Start, b.End, b.Step)
	}
	return ""
}

// usesFloatSums reports whether a metrics query adds floats over spans.
func usesFloatSums(root *traceql.RootExpr) bool {
	found := false
	traceql.Inspect(root, func(n traceql.Node) bool {
		if f, ok := n.(*traceql.MetricsFunc); ok && (f.Op == traceql.MetricsSumOverTime || f.Op == traceql.MetricsAvgOverTime) {
			found = true
		}
		return !found
	})
	return found
}

// ---- one query ----

// runOneQuery runs TRACECTL_DIFF_QUERY on every shard with every option
// set (search) or a few ranges (metrics).
func runOneQuery(t *testing.T, cfg diffConfig, h *harvest, shards []*shard) {
	root, err := traceql.Parse(cfg.query)
	if err != nil {
		t.Fatalf("TRACECTL_DIFF_QUERY: %v", err)
	}
	d := &differ{cfg: cfg, h: h, stats: newDiffStats()}
	r := rand.New(rand.NewSource(cfg.seed))
	for _, sh := range shards {
		if root.IsMetrics() {
			for k := 0; k < 4; k++ {
				opts, desc := d.metricsOptions(r, sh)
				if diff := d.compareMetrics(sh, sh.mem, sh.blocks, root, opts); diff != "" {
					t.Errorf("%s, %s:\n%s", sh.name, desc, diff)
				}
			}
			continue
		}
		for k := 0; k < nOptionSets; k++ {
			o := d.optionSet(r, k, sh)
			res := d.compareSearch(sh, sh.mem, sh.blocks, root, o.opts)
			if res.diff != "" {
				t.Errorf("%s, %s:\n%s", sh.name, o.name, res.diff)
			}
			if k == 0 {
				t.Logf("%s: %d traces match, err %v", sh.name, res.matched, res.err)
			}
		}
	}
}

// ---- mutation self-check ----

// mutationSelfCheck makes sure the comparison can fail: a source that
// differs from the blocks by one span (dropped, or its status flipped) in
// one trace must be told apart by some of the generated queries.
func (d *differ) mutationSelfCheck(t *testing.T) {
	sh := d.genShards[0]
	r := rand.New(rand.NewSource(d.cfg.seed + 4242))
	var victims []*model.Trace
	for _, tr := range sh.traces {
		if tr.SpanCount() >= 3 {
			victims = append(victims, tr)
		}
	}
	for _, kind := range []string{"drop-span", "flip-status"} {
		t.Run(kind, func(t *testing.T) {
			victim := victims[r.Intn(len(victims))]
			mut := &mutatingSource{inner: sh.mem, victim: victim.TraceID, kind: kind, span: r.Intn(victim.SpanCount())}
			const maxQueries = 400
			for i := 0; i < maxQueries; i++ {
				qr := rand.New(rand.NewSource(d.cfg.seed*31 + int64(i) + 7_000_000))
				g := newQGen(qr, sh.h)
				root, err := traceql.Parse(g.search().String())
				if err != nil {
					continue
				}
				for _, k := range []int{0, 3, 1} {
					o := d.optionSet(qr, k, sh)
					if res := d.compareSearch(sh, mut, sh.blocks, root, o.opts); res.diff != "" {
						t.Logf("trace %s with one span %s: told apart by query %d %q (%s)", victim.TraceID, kind, i, root, o.name)
						return
					}
				}
			}
			t.Fatalf("the harness did not tell apart a source whose trace %s has one span %s in %d queries", victim.TraceID, kind, maxQueries)
		})
	}
}

// mutatingSource is a source that alters one trace of its inner source:
// it drops one span or flips one span's status.
type mutatingSource struct {
	inner  store.Source
	victim model.TraceID
	kind   string
	span   int
}

func (m *mutatingSource) Traces(ctx context.Context, req store.Request) (store.TraceIterator, error) {
	it, err := m.inner.Traces(ctx, req)
	if err != nil {
		return nil, err
	}
	return &mutatingIterator{TraceIterator: it, m: m}, nil
}

type mutatingIterator struct {
	store.TraceIterator
	m *mutatingSource
}

func (it *mutatingIterator) Next() bool {
	if !it.TraceIterator.Next() {
		return false
	}
	t := it.At() // a copy owned by the caller: safe to change
	if t.TraceID != it.m.victim {
		return true
	}
	n := 0
	for i := range t.ResourceSpans {
		for j := range t.ResourceSpans[i].ScopeSpans {
			ss := &t.ResourceSpans[i].ScopeSpans[j]
			for k := range ss.Spans {
				if n == it.m.span {
					if it.m.kind == "drop-span" {
						ss.Spans = append(ss.Spans[:k:k], ss.Spans[k+1:]...)
						model.ComputeNestedSets(t)
					} else if ss.Spans[k].Status.Code == model.StatusError {
						ss.Spans[k].Status.Code = model.StatusUnset
					} else {
						ss.Spans[k].Status.Code = model.StatusError
					}
					return true
				}
				n++
			}
		}
	}
	return true
}

// ---- statistics ----

// diffStats counts what the generated queries covered.
type diffStats struct {
	mu         sync.Mutex
	features   map[string]int
	rejections map[string]int
	examples   map[string]string
	counters   map[string]int
	accepts    int
	rejects    int
	time       map[string][2]time.Duration
}

func newDiffStats() *diffStats {
	return &diffStats{features: map[string]int{}, rejections: map[string]int{}, examples: map[string]string{},
		counters: map[string]int{}, time: map[string][2]time.Duration{}}
}

func (s *diffStats) accepted(feats map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accepts++
	for f := range feats {
		s.features[f]++
	}
}

func (s *diffStats) rejected(text string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejects++
	msg := err.Error()
	if i := strings.IndexAny(msg, "\n"); i >= 0 {
		msg = msg[:i]
	}
	if len(msg) > 90 {
		msg = msg[:90]
	}
	s.rejections[msg]++
	if _, ok := s.examples[msg]; !ok {
		s.examples[msg] = text
	}
}

func (s *diffStats) count(name string) {
	s.mu.Lock()
	s.counters[name]++
	s.mu.Unlock()
}

func (s *diffStats) searchOutcome(o outcome) {
	switch {
	case o.err != nil:
		s.count("search: runtime error (both sources)")
	case o.matched == 0:
		s.count("search: matches no trace")
	default:
		s.count("search: matches some trace")
	}
}

func (s *diffStats) metricsOutcome(r *eval.MetricsResult) {
	if len(r.Series) == 0 {
		s.count("metrics: no series")
	} else {
		s.count("metrics: some series")
	}
}

func (s *diffStats) timing(name string, d [2]time.Duration) {
	s.mu.Lock()
	t := s.time[name]
	t[0] += d[0]
	t[1] += d[1]
	s.time[name] = t
	s.mu.Unlock()
}

func (s *diffStats) log(t *testing.T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	total := s.accepts + s.rejects
	fmt.Fprintf(&b, "generated %d queries, %d rejected by Parse (%.2f%%)\n", total, s.rejects, 100*float64(s.rejects)/math.Max(1, float64(total)))
	for _, k := range sortedKeys(s.rejections) {
		fmt.Fprintf(&b, "  rejected %4d× %s  e.g. %s\n", s.rejections[k], k, s.examples[k])
	}
	for _, k := range sortedKeys(s.counters) {
		fmt.Fprintf(&b, "%-40s %d\n", k, s.counters[k])
	}
	b.WriteString("queries by feature:\n")
	for _, k := range sortedKeys(s.features) {
		fmt.Fprintf(&b, "  %-32s %d\n", k, s.features[k])
	}
	var mem, blk time.Duration
	for _, k := range sortedKeys(s.time) {
		v := s.time[k]
		fmt.Fprintf(&b, "  %-12s memory %v, blocks %v\n", k, v[0].Round(time.Millisecond), v[1].Round(time.Millisecond))
		mem += v[0]
		blk += v[1]
	}
	fmt.Fprintf(&b, "evaluation time: memory %v, blocks %v\n", mem.Round(time.Millisecond), blk.Round(time.Millisecond))
	t.Log("\n" + b.String())
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ---- corpus summary ----

func traceStarts(ts []*model.Trace) []uint64 {
	out := make([]uint64, 0, len(ts))
	for _, t := range ts {
		s, _ := t.TimeRange()
		out = append(out, s)
	}
	return out
}

// logCorpus reports the corpus and checks that it holds every kind of
// data the test is meant to cover.
func logCorpus(t *testing.T, c *corpus, h *harvest, shards []*shard) {
	t.Helper()
	spans := 0
	for _, tr := range c.all {
		spans += tr.SpanCount()
	}
	noRoot := 0
	for _, tr := range c.all {
		if _, ok := tr.Root(); !ok {
			noRoot++
		}
	}
	split, nBlocks, rebatched := 0, 0, 0
	for _, s := range shards {
		split += s.split
		nBlocks += s.nBlocks
		rebatched += s.rebatched
	}
	t.Logf("corpus: %d traces (%d special, each in one generated and one special shard; %d generated), %d spans, %d without a root; %d shards, %d blocks, %d traces split across two blocks, %d trace copies changed by rebatching (Tempo's, which lack nested sets)",
		len(c.all), len(c.special), len(c.gen), spans, noRoot, len(shards), nBlocks, split, rebatched)
	// Every value type must occur in every attribute scope.
	want := []model.ValueType{model.ValueEmpty, model.ValueString, model.ValueInt, model.ValueDouble, model.ValueBool,
		model.ValueBytes, model.ValueArray, model.ValueMap}
	for _, sc := range []traceql.AttributeScope{traceql.AttributeScopeSpan, traceql.AttributeScopeResource,
		traceql.AttributeScopeEvent, traceql.AttributeScopeLink, traceql.AttributeScopeInstrumentation} {
		have := map[model.ValueType]bool{}
		arrays := map[model.ValueType]bool{}
		for _, ai := range h.attrs[sc] {
			for ty := range ai.types {
				have[ty] = true
			}
			for _, v := range ai.values {
				if v.Type == model.ValueArray && len(v.Array()) > 0 {
					arrays[v.Array()[0].Type] = true
				}
			}
		}
		for _, ty := range want {
			if !have[ty] {
				t.Errorf("corpus has no %s attribute in scope %s", ty, scopeName(sc))
			}
		}
		for _, ty := range []model.ValueType{model.ValueString, model.ValueInt, model.ValueDouble, model.ValueBool} {
			if !arrays[ty] {
				t.Errorf("corpus has no %s array attribute in scope %s", ty, scopeName(sc))
			}
		}
		t.Logf("scope %-15s %4d keys", scopeName(sc), len(h.attrs[sc]))
	}
	if noRoot == 0 || split == 0 {
		t.Errorf("corpus lacks traces without a root (%d) or split traces (%d)", noRoot, split)
	}
}
