package redact_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/ingest"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/redact"
	"github.com/tracectl/tracectl/store/storetest"
)

// fixtureFiles are shared real-world traces of every input format; each
// becomes its own block, next to a block of planted PII and Tempo's own
// vParquet4 block.
var fixtureFiles = []string{
	"opentelemetry-proto/trace.json",
	"jaeger/otlp/otel_traces_01.json",
	"tempo/otlp/tempo-vulture-trace.json",
	"jaeger/jaeger-ui-format/ui_01.json",
	"zipkin/v2/yelp.json",
	"zipkin/v2/netflix.json",
	"opentelemetry-collector/zipkin_v1_single_batch.json",
}

const (
	tempoBlock = "b27b0e53-66a0-4505-afd6-434ae3cd4a10"
	piiFile    = "testdata/pii.otlp.json"
	rulesFile  = "testdata/rules.good.yaml"
)

func newStore(t testing.TB) *blocks.Store {
	t.Helper()
	b, err := blocks.OpenBucket(context.Background(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return blocks.NewStore(b, "single-tenant")
}

// loadFixtures ingests each input into its own block and copies Tempo's
// block in.
func loadFixtures(t testing.TB, st *blocks.Store, opts ingest.Options) {
	t.Helper()
	ctx := context.Background()
	paths := []string{piiFile}
	for _, f := range fixtureFiles {
		paths = append(paths, fixtures.Path(t, f))
	}
	for _, p := range paths {
		if _, err := ingest.Run(ctx, st, []string{p}, opts); err != nil {
			t.Fatalf("ingest %s: %v", p, err)
		}
	}
	dir := fixtures.Path(t, "tempo/vparquet4-block/single-tenant/"+tempoBlock)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Bucket().WriteAll(ctx, "single-tenant/"+tempoBlock+"/"+e.Name(), b, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func readAll(t testing.TB, st *blocks.Store) []*model.Trace {
	t.Helper()
	return storetest.ReadAll(t, st)
}

func scan(t testing.TB, st *blocks.Store) redact.ScanReport {
	t.Helper()
	dets, _ := redact.LookupDetectors([]string{"all"})
	sc := redact.NewScanner(dets)
	if err := st.Walk(context.Background(), func(_ blocks.Meta, tr *model.Trace) error { sc.Add(tr); return nil }); err != nil {
		t.Fatal(err)
	}
	return sc.Report()
}

var traceOpts = cmp.Options{
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b model.Value) bool { return a.Equal(b) }),
	cmpopts.IgnoreFields(model.Span{}, "NestedSetLeft", "NestedSetRight", "ParentIndex"),
	// Readers return attributes in a canonical order that depends on the
	// block's dedicated columns; the order carries no meaning.
	cmpopts.SortSlices(func(a, b model.Attribute) bool { return a.Key < b.Key }),
}

// TestRedactStoredBlocks is the acceptance test: on the shared
// fixtures plus planted PII, after Rewrite with the rules a scan finds
// nothing, blocks without findings are untouched, and every span and every
// attribute the rules do not address is exactly as before.
func TestRedactStoredBlocks(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	loadFixtures(t, st, ingest.Options{})

	before := scan(t, st)
	planted := map[[2]string]bool{}
	for _, f := range before.Findings {
		planted[[2]string{f.Where, f.Key}] = true
	}
	for _, want := range [][2]string{
		{"span", "user.email"}, {"span", "card.number"}, {"span", "amex"}, {"span", "aws.key"},
		{"span", "http.request.header.authorization"}, {"span", "request.ids"},
		{"event", "session.token"}, {"event", "client.ip"}, {"link", "link.owner"},
		{"resource", "owner.email"}, {"resource", "host.ip"},
		{"event_name", ""}, {"status_message", ""},
	} {
		if !planted[want] {
			t.Errorf("scan before redact misses planted %v", want)
		}
	}

	orig := readAll(t, st)
	metasBefore, _ := st.Blocks(ctx)
	eng, err := redact.Load(rulesFile, redact.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Rewrite(ctx, func(tr *model.Trace) (bool, error) { return eng.Apply(tr), nil }, blocks.RewriteOptions{Mark: eng.Digest()})
	if err != nil {
		t.Fatal(err)
	}
	if after := scan(t, st); len(after.Findings) != 0 {
		t.Fatalf("scan after redact: %+v", after.Findings)
	}

	// Blocks with nothing to redact keep their ID; the rest are replaced.
	rewritten := map[string]bool{}
	for _, r := range res.Rewritten {
		rewritten[r.Old.BlockID.String()] = true
	}
	metasAfter, _ := st.Blocks(ctx)
	live := map[string]bool{}
	for _, m := range metasAfter {
		live[m.BlockID.String()] = true
	}
	if len(metasAfter) != len(metasBefore) || len(rewritten) == 0 || len(rewritten) == len(metasBefore) {
		t.Errorf("%d blocks before, %d after, %d rewritten", len(metasBefore), len(metasAfter), len(rewritten))
	}
	for _, m := range metasBefore {
		if id := m.BlockID.String(); live[id] == rewritten[id] {
			t.Errorf("block %s: live %v, rewritten %v", id, live[id], rewritten[id])
		}
	}

	// The stored result is exactly the rules applied in memory: the block
	// round trip adds and loses nothing.
	got := readAll(t, st)
	want := readAll(t, copyStore(t, orig))
	eng2, _ := redact.Load(rulesFile, redact.Options{})
	for _, tr := range want {
		eng2.Apply(tr)
	}
	if diff := cmp.Diff(want, got, traceOpts); diff != "" {
		t.Fatalf("stored traces differ from the rules applied in memory (-want +got):\n%s", diff)
	}

	// And, independently of the engine, nothing else changed.
	addressed := map[string]bool{"password": true, "http.request.header.authorization": true, "user.email": true, "session.token": true}
	checkOnlyPIIChanged(t, orig, got, addressed)

	// As the command runs it (a fork per block, the rules' parts
	// declared), blocks are rewritten column-wise where they can be:
	// the same traces and the same counts, with chunks copied.
	forked := newStore(t)
	loadFixtures(t, forked, ingest.Options{})
	eng3, _ := redact.Load(rulesFile, redact.Options{})
	fres, err := rewriteAsCommand(ctx, forked, eng3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, readAll(t, forked), traceOpts); diff != "" {
		t.Fatalf("the column-wise rewrite stored other traces (-full +column-wise):\n%s", diff)
	}
	if diff := cmp.Diff(eng.Stats(), eng3.Stats()); diff != "" {
		t.Errorf("the column-wise rewrite counted otherwise (-full +column-wise):\n%s", diff)
	}
	copied := 0
	for _, r := range fres.Rewritten {
		copied += r.CopiedChunks
	}
	t.Logf("%d blocks rewritten column-wise, %d chunks copied", len(fres.Rewritten), copied)
	if len(fres.Rewritten) != len(res.Rewritten) || copied == 0 {
		t.Errorf("%d blocks rewritten column-wise with %d chunks copied, want %d blocks and copies", len(fres.Rewritten), copied, len(res.Rewritten))
	}
}

// copyStore writes traces to a fresh store so they can be read back as
// independent copies.
func copyStore(t testing.TB, traces []*model.Trace) *blocks.Store {
	t.Helper()
	st := newStore(t)
	if _, err := st.WriteBlock(context.Background(), traces, blocks.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return st
}

// checkOnlyPIIChanged compares traces span by span: identical IDs, times,
// kinds, parents, counts of events and links; every attribute, name and
// message without a detector finding and not addressed by key is equal;
// every one with a finding differs.
func checkOnlyPIIChanged(t *testing.T, before, after []*model.Trace, addressed map[string]bool) {
	t.Helper()
	dets, _ := redact.LookupDetectors([]string{"all"})
	hasPII := func(s string) bool {
		for _, d := range dets {
			if len(d.Find(s)) > 0 {
				return true
			}
		}
		return false
	}
	valuePII := func(v model.Value) bool {
		sc := redact.NewScanner(dets)
		sc.Add(&model.Trace{ResourceSpans: []model.ResourceSpans{{Resource: model.Resource{Attributes: []model.Attribute{{Key: "k", Value: v}}}}}})
		return len(sc.Report().Findings) > 0
	}
	attrs := func(where string, b, a []model.Attribute) {
		am := map[string]model.Value{}
		for _, x := range a {
			am[x.Key] = x.Value
		}
		for _, x := range b {
			nv, ok := am[x.Key]
			switch {
			case addressed[x.Key]:
			case valuePII(x.Value):
				if ok && nv.Equal(x.Value) {
					t.Errorf("%s %s: PII left unchanged", where, x.Key)
				}
			case !ok:
				t.Errorf("%s %s: deleted", where, x.Key)
			case !nv.Equal(x.Value):
				t.Errorf("%s %s: %q became %q", where, x.Key, x.Value.AsString(), nv.AsString())
			}
		}
		if len(a) > len(b) {
			t.Errorf("%s: %d attributes became %d", where, len(b), len(a))
		}
	}
	text := func(where, b, a string) {
		if hasPII(b) == (a == b) {
			t.Errorf("%s: %q became %q", where, b, a)
		}
	}
	if len(before) != len(after) {
		t.Fatalf("%d traces became %d", len(before), len(after))
	}
	// Spans are matched by key, not position: resources that differed
	// only in redacted attributes may have been merged by the writer.
	flat := func(tr *model.Trace) map[model.SpanKey]model.SpanRef {
		m := map[model.SpanKey]model.SpanRef{}
		tr.Spans(func(r model.SpanRef) bool {
			m[model.SpanKey{SpanID: r.Span.SpanID, Kind: r.Span.Kind}] = r
			return true
		})
		return m
	}
	spans := 0
	for i := range before {
		bt, at := before[i], after[i]
		if bt.TraceID != at.TraceID || bt.SpanCount() != at.SpanCount() {
			t.Fatalf("trace %s: %d spans became %d", bt.TraceID, bt.SpanCount(), at.SpanCount())
		}
		am := flat(at)
		for key, br := range flat(bt) {
			ar, ok := am[key]
			if !ok {
				t.Fatalf("trace %s: span %s lost", bt.TraceID, key.SpanID)
			}
			b, a := br.Span, ar.Span
			spans++
			where := bt.TraceID.String() + "/" + b.SpanID.String()
			attrs(where+" resource", br.Resource.Attributes, ar.Resource.Attributes)
			if br.Scope.Name != ar.Scope.Name || br.Scope.Version != ar.Scope.Version {
				t.Errorf("%s: scope changed", where)
			}
			attrs(where+" scope", br.Scope.Attributes, ar.Scope.Attributes)
			if b.ParentSpanID != a.ParentSpanID ||
				b.StartTimeUnixNano != a.StartTimeUnixNano || b.EndTimeUnixNano != a.EndTimeUnixNano ||
				b.Status.Code != a.Status.Code || b.TraceState != a.TraceState ||
				len(b.Events) != len(a.Events) || len(b.Links) != len(a.Links) {
				t.Errorf("%s: span fields changed", where)
				continue
			}
			text(where+" name", b.Name, a.Name)
			text(where+" status", b.Status.Message, a.Status.Message)
			attrs(where, b.Attributes, a.Attributes)
			for e := range b.Events {
				if b.Events[e].TimeUnixNano != a.Events[e].TimeUnixNano {
					t.Errorf("%s: event time changed", where)
				}
				text(where+" event", b.Events[e].Name, a.Events[e].Name)
				attrs(where+" event", b.Events[e].Attributes, a.Events[e].Attributes)
			}
			for l := range b.Links {
				if b.Links[l].SpanID != a.Links[l].SpanID || b.Links[l].TraceID != a.Links[l].TraceID {
					t.Errorf("%s: link target changed", where)
				}
				attrs(where+" link", b.Links[l].Attributes, a.Links[l].Attributes)
			}
		}
	}
	if spans < 100 {
		t.Errorf("only %d spans compared", spans)
	}
}

// TestIngestRedactEqualsRedactAfterIngest: rules applied at ingest give
// the same stored traces as ingesting then redacting, and the blocks carry
// the rules' mark, so redact with the same rules leaves them alone.
func TestIngestRedactEqualsRedactAfterIngest(t *testing.T) {
	ctx := context.Background()
	eng, err := redact.Load(rulesFile, redact.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := newStore(t)
	opts := ingest.Options{Redact: func(rs *model.ResourceSpans) { eng.ApplyResourceSpans(rs) }}
	opts.Write.Mark = eng.Digest()
	loadFixtures(t, at, opts)

	later := newStore(t)
	loadFixtures(t, later, ingest.Options{})
	eng2, _ := redact.Load(rulesFile, redact.Options{})
	if _, err := later.Rewrite(ctx, func(tr *model.Trace) (bool, error) { return eng2.Apply(tr), nil }, blocks.RewriteOptions{Mark: eng2.Digest()}); err != nil {
		t.Fatal(err)
	}
	eng3, _ := redact.Load(rulesFile, redact.Options{})
	res, err := at.Rewrite(ctx, func(tr *model.Trace) (bool, error) { return eng3.Apply(tr), nil }, blocks.RewriteOptions{Mark: eng3.Digest()})
	if err != nil {
		t.Fatal(err)
	}
	// Only Tempo's block (copied in, not ingested) is not marked.
	if len(res.Rewritten) != 1 || res.Skipped != len(fixtureFiles)+1 {
		t.Errorf("redact after ingest --redact: %d rewritten, %d skipped", len(res.Rewritten), res.Skipped)
	}
	lt, it := readAll(t, later), readAll(t, at)
	if len(lt) != len(it) {
		t.Fatalf("%d traces vs %d", len(lt), len(it))
	}
	for i := range lt {
		if diff := cmp.Diff(lt[i], it[i], traceOpts); diff != "" {
			t.Fatalf("ingest --redact differs from redact after ingest (-later +at ingest):\n%s", diff)
		}
	}
}

// TestScanOrderIndependent: a scan report (counts and examples) is the
// same whatever order the traces are scanned in, so a parallel scan of the
// blocks prints the same report every time.
func TestScanOrderIndependent(t *testing.T) {
	st := newStore(t)
	loadFixtures(t, st, ingest.Options{})
	traces := readAll(t, st)
	dets, _ := redact.LookupDetectors([]string{"all"})
	forward, backward := redact.NewScanner(dets), redact.NewScanner(dets)
	for i := range traces {
		forward.Add(traces[i])
		backward.Add(traces[len(traces)-1-i])
	}
	want := forward.Report()
	if len(want.Findings) == 0 {
		t.Fatal("no findings in the fixtures: the test would prove nothing")
	}
	if diff := cmp.Diff(want, backward.Report()); diff != "" {
		t.Fatalf("report depends on scan order (-forward +backward):\n%s", diff)
	}
	if diff := cmp.Diff(want, scan(t, st)); diff != "" {
		t.Fatalf("Walk's parallel scan differs (-sequential +walk):\n%s", diff)
	}
}

// scanColumns scans st's text columns (blocks.ScanTexts), one scanner
// per worker, merged.
func scanColumns(t testing.TB, st *blocks.Store) redact.ScanReport {
	t.Helper()
	dets, _ := redact.LookupDetectors([]string{"all"})
	var scanners []*redact.Scanner
	if _, err := st.ScanTexts(context.Background(), func() blocks.TextSink {
		sc := redact.NewScanner(dets)
		scanners = append(scanners, sc)
		return sc
	}); err != nil {
		t.Fatal(err)
	}
	all := redact.NewScanner(dets)
	for _, sc := range scanners {
		all.Merge(sc)
	}
	return all.Report()
}

// TestScanTextsEqualsScan: the column scan reports exactly what scanning
// every assembled trace reports, on the fixtures (Tempo's legacy layout
// included), planted PII, and generated traces in small row groups with
// the PII attributes in dedicated columns, on one worker and on several.
func TestScanTextsEqualsScan(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	loadFixtures(t, st, ingest.Options{})
	g := gen.New(gen.Options{Seed: 11, PIIRate: 0.4})
	var traces []*model.Trace
	for range 1500 {
		traces = append(traces, g.Trace())
	}
	// The same PII on an event, a link, a nested map and an array.
	for _, tr := range traces[:40] {
		sp := &tr.ResourceSpans[0].ScopeSpans[0].Spans[0]
		sp.Events = append(sp.Events, model.Event{Name: "mail to ops@example.com", Attributes: []model.Attribute{model.Str("user.email", "a@example.com")}})
		sp.Links = append(sp.Links, model.Link{TraceID: tr.TraceID, SpanID: sp.SpanID, Attributes: []model.Attribute{model.Str("peer", "10.1.2.3")}})
		sp.Attributes = append(sp.Attributes,
			model.Attribute{Key: "request", Value: model.MapValue(model.Str("from", "b@example.com"))},
			model.Attribute{Key: "cc", Value: model.ArrayValue(model.StringValue("c@example.com"), model.StringValue("d@example.com"))})
	}
	model.SortTraces(traces)
	opts := blocks.WriteOptions{RowGroupBytes: 64 << 10, DedicatedColumns: []blocks.DedicatedColumn{
		{Name: "user.email"}, {Scope: blocks.ScopeResource, Name: "host.name"}}}
	if _, err := st.WriteBlock(ctx, traces, opts); err != nil {
		t.Fatal(err)
	}
	want := scan(t, st)
	wheres := map[string]bool{}
	for _, f := range want.Findings {
		wheres[f.Where] = true
	}
	for _, w := range []string{"resource", "span", "event", "event_name", "link"} {
		if !wheres[w] {
			t.Errorf("the data has no findings at %s: the test would not cover it", w)
		}
	}
	for _, workers := range []int{1, 3} {
		st.SetConcurrency(workers)
		if diff := cmp.Diff(want, scanColumns(t, st)); diff != "" {
			t.Errorf("%d workers: column scan differs from the trace scan (-trace +columns):\n%s", workers, diff)
		}
	}
}

// TestForkJoinAsOneEngine: the fixtures' traces redacted by forks of an
// engine, a few traces each, all at once, and joined in order, come out
// as from one engine applied trace after trace, with the same counts and
// the same samples.
func TestForkJoinAsOneEngine(t *testing.T) {
	st := newStore(t)
	loadFixtures(t, st, ingest.Options{})
	one, err := redact.Load(rulesFile, redact.Options{HashKey: []byte("k")})
	if err != nil {
		t.Fatal(err)
	}
	joined, err := redact.Load(rulesFile, redact.Options{HashKey: []byte("k")})
	if err != nil {
		t.Fatal(err)
	}
	want, got := readAll(t, st), readAll(t, st)
	for _, tr := range want {
		one.Apply(tr)
	}
	const per = 3
	forks := make([]*redact.Engine, (len(got)+per-1)/per)
	var wg sync.WaitGroup
	for i := range forks {
		forks[i] = joined.Fork()
		wg.Go(func() {
			for _, tr := range got[i*per : min((i+1)*per, len(got))] {
				forks[i].Apply(tr)
			}
		})
	}
	wg.Wait()
	for _, f := range forks {
		joined.Join(f)
	}
	if d := cmp.Diff(one.Stats(), joined.Stats()); d != "" {
		t.Errorf("stats (-one engine +forks joined):\n%s", d)
	}
	samples := 0
	for _, s := range one.Stats() {
		samples += len(s.Samples)
	}
	if samples == 0 || len(forks) < 3 {
		t.Fatalf("%d samples, %d forks: the fixtures do not exercise Join", samples, len(forks))
	}
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("traces (-one engine +forks):\n%s", d)
	}
}
