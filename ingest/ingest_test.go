package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/input"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/internal/spill"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

func memStore(t *testing.T) *blocks.Store {
	t.Helper()
	b, err := blocks.OpenBucket(context.Background(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return blocks.NewStore(b, "single-tenant")
}

// readAll returns every trace of the store, sorted by ID.
func readAll(t *testing.T, st *blocks.Store) []*model.Trace {
	t.Helper()
	it, err := st.Traces(context.Background(), store.Request{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := store.Collect(it)
	if err != nil {
		t.Fatal(err)
	}
	model.SortTraces(out)
	return out
}

// decodeDirect decodes paths without ingest, as the reference: spans in
// the order decoded, as ingest keeps them.
func decodeDirect(t *testing.T, paths ...string) []*model.Trace {
	t.Helper()
	b := model.NewOrderedTraceBuilder()
	_, err := input.Decode(context.Background(), paths, input.Options{SkipBad: true}, func(_ string, batch codec.Batch) error {
		for i := range batch {
			b.AddResourceSpans(&batch[i])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.Traces()
}

// normalise sorts attributes by key (stable), since blocks move well-known
// attributes into their own columns and read them back first.
func normalise(ts []*model.Trace) {
	sortAttrs := func(a []model.Attribute) {
		sort.SliceStable(a, func(i, j int) bool { return a[i].Key < a[j].Key })
	}
	for _, t := range ts {
		for i := range t.ResourceSpans {
			rs := &t.ResourceSpans[i]
			sortAttrs(rs.Resource.Attributes)
			for j := range rs.ScopeSpans {
				sortAttrs(rs.ScopeSpans[j].Scope.Attributes)
				for k := range rs.ScopeSpans[j].Spans {
					s := &rs.ScopeSpans[j].Spans[k]
					sortAttrs(s.Attributes)
					for e := range s.Events {
						sortAttrs(s.Events[e].Attributes)
					}
					for l := range s.Links {
						sortAttrs(s.Links[l].Attributes)
					}
				}
			}
		}
	}
}

var cmpTraces = []cmp.Option{
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b model.Value) bool { return a.Equal(b) }),
}

// TestRoundTripEveryFixture ingests every trace file under the shared
// fixtures and reads the blocks back: each trace must equal, span by span,
// what the decoders produced (IDs, times, typed attributes, events, links,
// status, kind, resource, scope, nested sets).
func TestRoundTripEveryFixture(t *testing.T) {
	root := fixtures.Root(t)
	want := decodeDirect(t, root)
	if len(want) < 50 {
		t.Fatalf("only %d traces decoded from the fixtures", len(want))
	}
	st := memStore(t)
	res, err := Run(context.Background(), st, []string{root}, Options{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Traces != len(want) {
		t.Fatalf("ingest wrote %d traces, decoders gave %d", res.Traces, len(want))
	}
	got := readAll(t, st)
	normalise(want)
	normalise(got)
	if len(got) != len(want) {
		t.Fatalf("read back %d traces, want %d", len(got), len(want))
	}
	for i := range want {
		if diff := cmp.Diff(want[i], got[i], cmpTraces...); diff != "" {
			t.Errorf("trace %s differs after the round trip (-decoded +read):\n%s", want[i].TraceID, diff)
		}
	}
}

func spanCount(ts []*model.Trace) int {
	n := 0
	for _, t := range ts {
		n += t.SpanCount()
	}
	return n
}

// TestBlocksAreBounded: --max-block-traces and --max-block-bytes cut the
// sorted stream into several blocks with disjoint, ascending ID ranges.
func TestBlocksAreBounded(t *testing.T) {
	root := fixtures.Root(t)
	all := decodeDirect(t, root)
	for _, tc := range []struct {
		name string
		opts Options
		min  int
	}{
		{"traces", Options{SkipBad: true, MaxBlockTraces: 10}, (len(all) + 9) / 10},
		{"bytes", Options{SkipBad: true, MaxBlockBytes: 64 << 10}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := memStore(t)
			res, err := Run(context.Background(), st, []string{root}, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Blocks) < tc.min {
				t.Fatalf("%d blocks, want at least %d", len(res.Blocks), tc.min)
			}
			var prevMax model.TraceID
			for i, m := range res.Blocks {
				if tc.opts.MaxBlockTraces > 0 && m.TotalObjects > tc.opts.MaxBlockTraces {
					t.Errorf("block %d holds %d traces", i, m.TotalObjects)
				}
				blk, err := st.OpenBlock(context.Background(), m.BlockID)
				if err != nil {
					t.Fatal(err)
				}
				it, err := blk.Traces(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				var ts []*model.Trace
				for it.Next() {
					ts = append(ts, it.At())
				}
				it.Close()
				if i > 0 && model.CompareTraceIDs(ts[0].TraceID, prevMax) <= 0 {
					t.Errorf("block %d starts at %s, not after the previous block's %s", i, ts[0].TraceID, prevMax)
				}
				prevMax = ts[len(ts)-1].TraceID
				if tc.opts.MaxBlockBytes > 0 {
					var est int64
					for _, tr := range ts {
						est += int64(traceBytes(tr))
					}
					if len(ts) > 1 && est > tc.opts.MaxBlockBytes {
						t.Errorf("block %d: %d estimated bytes > %d", i, est, tc.opts.MaxBlockBytes)
					}
					if int64(m.Size) > tc.opts.MaxBlockBytes && len(ts) > 1 {
						t.Errorf("block %d: data.parquet %d bytes > %d", i, m.Size, tc.opts.MaxBlockBytes)
					}
				}
			}
			got := readAll(t, st)
			if len(got) != len(all) || spanCount(got) != spanCount(all) {
				t.Fatalf("read %d traces / %d spans, want %d / %d", len(got), spanCount(got), len(all), spanCount(all))
			}
		})
	}
}

// TestSpillMatchesInMemory: with a tiny memory budget the input is spilled
// into sorted runs and merged; the blocks hold exactly what an in-memory
// ingest writes, duplicates across runs included.
func TestSpillMatchesInMemory(t *testing.T) {
	root := fixtures.Root(t)
	yelp := fixtures.Path(t, "zipkin/v2/yelp.json")
	paths := []string{root, yelp} // yelp twice: every one of its spans is a duplicate

	mem := memStore(t)
	memRes, err := Run(context.Background(), mem, paths, Options{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	spill := memStore(t)
	spillRes, err := Run(context.Background(), spill, paths, Options{SkipBad: true, MemoryBudget: 8 << 10, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if k := fanIn(8 << 10); spillRes.Runs <= k {
		t.Fatalf("expected more than %d spilled runs (so runs are merged in rounds), got %d", k, spillRes.Runs)
	}
	if memRes.Runs != 0 {
		t.Fatalf("in-memory ingest spilled %d runs", memRes.Runs)
	}
	if spillRes.Spans != memRes.Spans || spillRes.Duplicates != memRes.Duplicates || spillRes.Duplicates < 16 {
		t.Fatalf("spill: %d spans %d dups; memory: %d spans %d dups", spillRes.Spans, spillRes.Duplicates, memRes.Spans, memRes.Duplicates)
	}
	// Runs merge in input order, so even the order of the spans is the same.
	want, got := readAll(t, mem), readAll(t, spill)
	normalise(want)
	normalise(got)
	if diff := cmp.Diff(want, got, cmpTraces...); diff != "" {
		t.Fatalf("spilled ingest differs from in-memory ingest:\n%s", diff)
	}
}

// TestSpilledRunBeforeMemory: the spans still in memory at the end are
// merged after the runs spilled before them, so of two different spans
// with one trace and span ID, the one read first wins, as in an in-memory
// ingest.
func TestSpilledRunBeforeMemory(t *testing.T) {
	dir := t.TempDir()
	span := func(trace, span, name string) string {
		return `{"traceId":"` + trace + `","spanId":"` + span + `","name":"` + name + `","startTimeUnixNano":"1","endTimeUnixNano":"2"}`
	}
	const dup, dupSpan = "0102030405060708090a0b0c0d0e0f10", "0102030405060708"
	first := []string{span(dup, dupSpan, "read-first")}
	for i := range 300 { // enough to pass the budget, so this file is spilled
		first = append(first, span(fmt.Sprintf("%032x", 0xf000+i), dupSpan, "filler"))
	}
	write := func(name string, spans []string) string {
		p := filepath.Join(dir, name)
		doc := `{"resourceSpans":[{"scopeSpans":[{"spans":[` + strings.Join(spans, ",") + `]}]}]}`
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	paths := []string{write("a.json", first), write("b.json", []string{span(dup, dupSpan, "read-second")})}

	for _, budget := range []int64{0, 8 << 10} {
		st := memStore(t)
		res, err := Run(context.Background(), st, paths, Options{MemoryBudget: budget, TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if (res.Runs > 0) != (budget > 0) {
			t.Fatalf("budget %d: %d runs spilled", budget, res.Runs)
		}
		got := readAll(t, st)
		if len(got) != len(first) {
			t.Fatalf("budget %d: %d traces, want %d", budget, len(got), len(first))
		}
		i := slices.IndexFunc(got, func(tr *model.Trace) bool { return tr.TraceID.String() == dup })
		if i < 0 {
			t.Fatalf("budget %d: trace %s missing", budget, dup)
		}
		if name := got[i].ResourceSpans[0].ScopeSpans[0].Spans[0].Name; name != "read-first" || got[i].SpanCount() != 1 {
			t.Fatalf("budget %d: trace %s has %d spans, the first named %q; want the one span read first", budget, dup, got[i].SpanCount(), name)
		}
	}
}

// TestBudgetHoldsDecodeAhead: half the memory budget is left for batches
// decoded ahead, so spans weighing between half the budget and the whole
// of it are spilled (two thirds of it too, which a quarter left in
// memory), and two fifths of it are not.
func TestBudgetHoldsDecodeAhead(t *testing.T) {
	path := fixtures.Path(t, "crisp/15.json")
	var weight int64
	if _, err := input.Decode(context.Background(), []string{path}, input.Options{}, func(_ string, b codec.Batch) error {
		weight += batchBytes(b)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		budget int64
		spill  bool
	}{
		{weight * 10 / 9, true},
		{weight * 3 / 2, true},
		{weight * 5 / 2, false},
	} {
		res, err := Run(context.Background(), memStore(t), []string{path}, Options{MemoryBudget: tc.budget, TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if (res.Runs > 0) != tc.spill {
			t.Errorf("spans of %d bytes, budget %d: %d runs spilled, want spilling %v", weight, tc.budget, res.Runs, tc.spill)
		}
	}
}

// TestBadFile: without SkipBad a bad file fails the ingest and nothing is
// written; with SkipBad the bad file is dropped whole, even the spans it
// yielded before the error, and the rest lands.
func TestBadFile(t *testing.T) {
	dir := t.TempDir()
	good := `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"ok","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}`
	halfBad := good + "\n" + `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}` + "\n"
	other := `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"ff02030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"other","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}`
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := write("half-bad.jsonl", halfBad)
	ok := write("other.json", other)

	st := memStore(t)
	if _, err := Run(context.Background(), st, []string{ok, bad}, Options{}); err == nil {
		t.Fatal("bad file accepted")
	}
	if metas, _ := st.Blocks(context.Background()); len(metas) != 0 {
		t.Fatalf("a failed ingest left %d blocks", len(metas))
	}

	res, err := Run(context.Background(), st, []string{bad, ok}, Options{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Bad) != 1 || res.Bad[0].File != bad {
		t.Fatalf("bad files = %+v", res.Bad)
	}
	got := readAll(t, st)
	if len(got) != 1 || got[0].ResourceSpans[0].ScopeSpans[0].Spans[0].Name != "other" {
		t.Fatalf("want only the good file's trace, got %d traces", len(got))
	}
	if res.SpansRead != 1 || res.Duplicates != 0 {
		t.Fatalf("spans read %d, duplicates %d; the bad file's span must not count", res.SpansRead, res.Duplicates)
	}
}

// TestSkipBadMidway: a file that fails after yielding spans — held in
// memory or already spilled to sorted runs — is dropped whole with
// SkipBad, even where it shares a trace with a good file, and blocks
// already in the bucket stay exactly as they were.
func TestSkipBadMidway(t *testing.T) {
	dir := t.TempDir()
	line := func(trace string, i int, name string) string {
		return fmt.Sprintf(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"%s","spanId":"%016x","name":"%s","startTimeUnixNano":"1000","endTimeUnixNano":"2000"}]}]}]}`, trace, i+1, name)
	}
	const shared = "0102030405060708090a0b0c0d0e0f10"
	write := func(name string, lines []string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var badLines []string
	for i := 0; i < 400; i++ {
		badLines = append(badLines, line(shared, 1000+i, "from-bad-file"))
	}
	bad := write("bad.jsonl", append(badLines, `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}`))
	good := write("good.jsonl", []string{line(shared, 1, "good"), line("ff02030405060708090a0b0c0d0e0f10", 2, "good")})
	old := write("old.jsonl", []string{line(shared, 500, "stored-before")})

	for _, tc := range []struct {
		name   string
		budget int64
		paths  []string
	}{
		{"in memory, bad first", 0, []string{bad, good}},
		{"in memory, bad last", 0, []string{good, bad}},
		{"spilled, bad first", 4 << 10, []string{bad, good}},
		{"spilled, bad last", 4 << 10, []string{good, bad}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := memStore(t)
			before, err := Run(context.Background(), st, []string{old}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(context.Background(), st, tc.paths, Options{SkipBad: true, MemoryBudget: tc.budget, TempDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			if tc.budget > 0 && res.Runs == 0 {
				t.Fatal("nothing was spilled; the test does not cover spilled runs")
			}
			if len(res.Bad) != 1 || res.Bad[0].File != bad || res.Files != 1 || res.Spans != 2 || res.SpansRead != 2 {
				t.Fatalf("result: bad %v, files %d, spans %d, read %d", res.Bad, res.Files, res.Spans, res.SpansRead)
			}
			names := map[string]int{}
			for _, tr := range readAll(t, st) {
				tr.Spans(func(r model.SpanRef) bool { names[r.Span.Name]++; return true })
			}
			if want := map[string]int{"good": 2, "stored-before": 1}; !maps.Equal(names, want) {
				t.Fatalf("spans stored by name: %v, want %v", names, want)
			}
			// The earlier block is untouched: same ID, same meta.
			metas, err := st.Blocks(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, m := range metas {
				if m.BlockID == before.Blocks[0].BlockID {
					found = m.TotalObjects == before.Blocks[0].TotalObjects && m.Size == before.Blocks[0].Size
				}
			}
			if !found || len(metas) != 2 {
				t.Fatalf("blocks after: %d (earlier block kept unchanged: %v)", len(metas), found)
			}
		})
	}
}

// TestDecodeBatchBytes: protobuf is decoded in smaller batches under a
// smaller budget, within 1 to 4 MiB.
func TestDecodeBatchBytes(t *testing.T) {
	for _, tc := range []struct {
		budget int64
		want   int
	}{
		{16 << 20, 1 << 20},
		{64 << 20, 2 << 20},
		{DefaultMemoryBudget, 4 << 20},
		{256 << 20, 4 << 20},
		{8 << 30, 4 << 20},
	} {
		if got := decodeBatchBytes(tc.budget); got != tc.want {
			t.Errorf("budget %d MiB: %d KiB, want %d", tc.budget>>20, got>>10, tc.want>>10)
		}
	}
}

// TestBudgetSplit: the decoders' share (the bound input.Decode is given)
// and the spans' share make up the budget, half each.
func TestBudgetSplit(t *testing.T) {
	for _, budget := range []int64{1 << 20, 64 << 20, DefaultMemoryBudget, 1<<30 + 3} {
		in := &ingester{opts: Options{MemoryBudget: budget}}
		if ahead, held := in.decodeOptions().AheadBytes, in.held(); ahead+held != budget || ahead != budget/2 {
			t.Errorf("budget %d: %d ahead, %d held", budget, ahead, held)
		}
	}
}

// TestFanIn: the runs merged at once grow with the memory budget, half of
// it at runReadBytes a run, within minFanIn and maxFanIn.
func TestFanIn(t *testing.T) {
	for _, tc := range []struct {
		budget int64
		want   int
	}{
		{8 << 10, minFanIn},
		{8 << 20, minFanIn},
		{16 << 20, 32},
		{32 << 20, 64},
		{64 << 20, 128},
		{DefaultMemoryBudget, maxFanIn},
		{1 << 30, maxFanIn},
	} {
		if got := fanIn(tc.budget); got != tc.want {
			t.Errorf("fanIn(%d) = %d, want %d", tc.budget, got, tc.want)
		}
	}
}

// TestHalfRuns: once an ingest spills, its runs are half the spans' share
// of the budget and each is written on a goroutine of its own while the
// next half fills, one at a time, up to half the merge's fan-in, then
// whole again. The blocks are byte for byte those of an in-memory ingest
// (same block IDs), also with spans repeated in a later file, of which
// the first read must win whichever run holds each copy. A run that fails
// to be written fails the ingest with its error; an ingest returns only
// once no run is being written; nothing is stored and no spill file left.
func TestHalfRuns(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := gen.New(gen.Options{Seed: 2, ErrorRate: 0.1}).WriteFiles(ctx, gen.FileOptions{Dir: dir, Spans: 3_000, FileSpans: 100, Format: gen.OTLPFormat(false)}); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) < 20 {
		t.Fatalf("%d generated files, %v", len(files), err)
	}
	// Second copies of the first file's spans, renamed, read after the
	// tenth file: in a later run than the first copies.
	var copies []string
	if _, err := input.Decode(ctx, files[:1], input.Options{}, func(_ string, b codec.Batch) error {
		for _, rs := range b {
			for _, ss := range rs.ScopeSpans {
				for _, sp := range ss.Spans {
					copies = append(copies, fmt.Sprintf(`{"traceId":"%s","spanId":"%s","kind":%d,"name":"second copy","startTimeUnixNano":"%d","endTimeUnixNano":"%d"}`,
						sp.TraceID, sp.SpanID, sp.Kind, sp.StartTimeUnixNano, sp.EndTimeUnixNano))
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(t.TempDir(), "again.json")
	if err := os.WriteFile(again, []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[`+strings.Join(copies, ",")+`]}]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	paths := append(append(slices.Clone(files[:10]), again), files[10:]...)

	ingestTo := func(paths []string, budget int64, tmp string) (string, *Result, error) {
		out := t.TempDir()
		b, err := blocks.OpenBucket(ctx, "file://"+out)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		res, err := Run(ctx, blocks.NewStore(b, "single-tenant"), paths, Options{MemoryBudget: budget, TempDir: tmp})
		return out, res, err
	}
	memDir, memRes, err := ingestTo(paths, 0, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want := dataObjects(t, memDir)
	if memRes.Runs != 0 || len(want) == 0 || memRes.Duplicates != len(copies) {
		t.Fatalf("in-memory ingest: %d runs, %d blocks, %d duplicates (want %d)", memRes.Runs, len(want), memRes.Duplicates, len(copies))
	}

	// The hook notes whether the second run (the first half run) is
	// written on the goroutine spillMainIfFull starts, and holds every
	// write after the first a moment, so that the last may still be
	// written when the input ends.
	var calls, active atomic.Int32
	var onOwnGoroutine, twoAtOnce atomic.Bool
	failAt := int32(0)
	writeRun = func(path string, traces []*model.Trace) error {
		if active.Add(1) > 1 {
			twoAtOnce.Store(true) // a run is written only once the last one is
		}
		defer active.Add(-1)
		n := calls.Add(1)
		if n == 2 {
			stack := make([]byte, 4<<10)
			stack = stack[:runtime.Stack(stack, false)]
			onOwnGoroutine.Store(bytes.Contains(stack, []byte("ingest.(*ingester).spillMainIfFull.func")))
		}
		if n > 1 {
			time.Sleep(20 * time.Millisecond)
		}
		if n == failAt {
			return errors.New("no space left on device")
		}
		return spill.Write(path, traces)
	}
	t.Cleanup(func() { writeRun = spill.Write })

	// The smaller budget makes more runs than half the fan-in: whole runs
	// follow the half ones.
	for _, budget := range []int64{1 << 20, 48 << 10} {
		calls.Store(0)
		onOwnGoroutine.Store(false)
		out, res, err := ingestTo(paths, budget, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if !onOwnGoroutine.Load() {
			t.Errorf("budget %d: the first half run was not written on a goroutine of its own", budget)
		}
		if twoAtOnce.Load() {
			t.Errorf("budget %d: a run was written while another one was", budget)
		}
		if res.Runs < 3 || budget == 48<<10 && res.Runs <= fanIn(budget)/2 {
			t.Fatalf("budget %d: %d runs", budget, res.Runs)
		}
		if got := dataObjects(t, out); !maps.EqualFunc(got, want, bytes.Equal) {
			t.Fatalf("budget %d: the blocks (%d) differ from the in-memory ingest's (%d)", budget, len(got), len(want))
		}
	}

	// A half run that fails to be written, and a bad input met while the
	// last half run is being written.
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"resourceSpans":[`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		paths  []string
		failAt int32
		want   string
	}{
		{"a failing half run", paths, 3, "spill: no space left on device"},
		{"a bad input", append(slices.Clone(paths), bad), 0, "bad.json"},
	} {
		calls.Store(0)
		failAt = c.failAt
		tmp := t.TempDir()
		out, _, err := ingestTo(c.paths, 1<<20, tmp)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%s: err %v, want one naming %q", c.name, err, c.want)
		}
		if n := active.Load(); n != 0 {
			t.Errorf("%s: the ingest returned while %d runs were being written", c.name, n)
		}
		if got := dataObjects(t, out); len(got) != 0 {
			t.Errorf("%s: %d blocks stored by a failed ingest", c.name, len(got))
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("%s: spill files left: %v", c.name, left)
		}
	}
}

// dataObjects returns the data.parquet objects under a file:// bucket's
// directory, by their paths.
func dataObjects(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "data.parquet" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[rel] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
