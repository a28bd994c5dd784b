// Package faultsuite is the fault-injection suite of the maintenance
// commands (issue 19): ingest, compact, redact and retain killed at every
// bucket mutation, a reader run at every interleaving with each of their
// mutations, every object of a block damaged. ./scripts/test runs its
// short form; TRACECTL_TEST_FAULTS=full (scripts/test --faults) runs every case.
package faultsuite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/compact"
	"github.com/tracectl/tracectl/ingest"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/testbuckets"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// full reports whether the long form of the suite runs
// (TRACECTL_TEST_FAULTS=full): every case instead of a fixed sample.
func full() bool { return os.Getenv("TRACECTL_TEST_FAULTS") == "full" }

// sample reports whether case i of n runs: all of them in the full form,
// otherwise the first, the last and every stride-th.
func sample(i, n, stride int) bool {
	return full() || i == 0 || i == n-1 || i%stride == 0
}

func TestMain(m *testing.M) {
	// mem:// times are exact: readers that saw a block retired while they
	// listed wait 20 ms, not 2 s, before listing again.
	restore := blocks.SetTimeSlack(10 * time.Millisecond)
	code := m.Run()
	restore()
	os.Exit(code)
}

const tenant = "tenant-a"

// base is the time of the test data.
var base = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)

// spanKey identifies a span as readers deduplicate them.
type spanKey struct {
	trace model.TraceID
	span  model.SpanID
	kind  model.SpanKind
}

func (k spanKey) String() string { return fmt.Sprintf("%s/%s", k.trace, k.span) }

type spanSet map[spanKey]bool

// sharedRoot reports whether k is the root of a trace every block holds
// a part of (blockTraces): stored in each, read once.
func (k spanKey) sharedRoot() bool { return k.span[0] == 0xaa }

func spansOf(ts []*model.Trace) spanSet {
	s := spanSet{}
	for _, tr := range ts {
		tr.Spans(func(r model.SpanRef) bool {
			s[spanKey{tr.TraceID, r.Span.SpanID, r.Span.Kind}] = true
			return true
		})
	}
	return s
}

func union(sets ...spanSet) spanSet {
	u := spanSet{}
	for _, s := range sets {
		for k := range s {
			u[k] = true
		}
	}
	return u
}

// expect is what a read may return: every span of must exactly once, any
// span of may at most once, nothing else.
type expect struct {
	must, may spanSet
}

// check reports how got differs from e.
func (e expect) check(got map[spanKey]int) error {
	var errs []error
	for k := range e.must {
		if got[k] != 1 {
			errs = append(errs, fmt.Errorf("span %s read %d times, want once", k, got[k]))
		}
	}
	for k, n := range got {
		switch {
		case e.must[k]:
		case !e.may[k]:
			errs = append(errs, fmt.Errorf("span %s read, never stored", k))
		case n > 1:
			errs = append(errs, fmt.Errorf("span %s read %d times", k, n))
		}
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	if len(errs) > 4 {
		errs = append(errs[:4], fmt.Errorf("… %d more", len(errs)-4))
	}
	return errors.Join(errs...)
}

// readSpans reads every trace of the tenant as query does (copies in
// several blocks merged) and counts the spans; a block left out as
// damaged is an error.
func readSpans(ctx context.Context, st *blocks.Store) (map[spanKey]int, error) {
	got, err := readSpansLeavingOut(ctx, st)
	if err != nil {
		return nil, err
	}
	if d := st.Damaged(); len(d) > 0 {
		return got, fmt.Errorf("blocks left out as damaged: %v", d)
	}
	return got, nil
}

// readSpansLeavingOut is readSpans with damaged blocks left out as a
// command leaves them out (st.Damaged names them), without an error.
func readSpansLeavingOut(ctx context.Context, st *blocks.Store) (map[spanKey]int, error) {
	it, err := st.Traces(ctx, store.Request{})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	got := map[spanKey]int{}
	for it.Next() {
		tr := it.At()
		tr.Spans(func(r model.SpanRef) bool {
			got[spanKey{tr.TraceID, r.Span.SpanID, r.Span.Kind}]++
			return true
		})
	}
	if err := it.Err(); err != nil {
		return nil, err
	}
	return got, nil
}

// storedSpans counts the copies of each span in live blocks (not merged).
func storedSpans(ctx context.Context, st *blocks.Store) (map[spanKey]int, error) {
	got := map[spanKey]int{}
	err := st.Walk(ctx, func(_ blocks.Meta, tr *model.Trace) error {
		tr.Spans(func(r model.SpanRef) bool {
			got[spanKey{tr.TraceID, r.Span.SpanID, r.Span.Kind}]++
			return true
		})
		return nil
	})
	return got, err
}

// blockTraces returns test block b's traces: 6 of its own (a root and a
// child) and, if shared, a span in each of 3 traces every such block
// shares, whose root is byte-identical in each (so stored several times).
// The block's own spans start at `at`.
func blockTraces(b int, at time.Time, shared bool) []*model.Trace {
	tb := model.NewTraceBuilder()
	res := model.Resource{Attributes: []model.Attribute{model.Str("service.name", fmt.Sprintf("svc-%d", b%3))}}
	sharedRes := model.Resource{Attributes: []model.Attribute{model.Str("service.name", "shared")}}
	sc := model.Scope{Name: "faults"}
	start := uint64(at.UnixNano())
	span := func(tid model.TraceID, sid, parent model.SpanID, name string, t uint64) model.Span {
		return model.Span{TraceID: tid, SpanID: sid, ParentSpanID: parent, Name: name, Kind: model.KindServer,
			StartTimeUnixNano: t, EndTimeUnixNano: t + 1e6, Attributes: []model.Attribute{model.Int("block", int64(b))}}
	}
	for i := range 6 {
		var tid model.TraceID
		tid[0], tid[1], tid[15] = byte(b), byte(i), 1
		root, child := model.SpanID{1, byte(i)}, model.SpanID{2, byte(i)}
		t := start + uint64(i)*1e6
		tb.AddSpan(&res, "", &sc, "", span(tid, root, model.SpanID{}, "root", t))
		tb.AddSpan(&res, "", &sc, "", span(tid, child, root, "child", t+10))
	}
	for i := range 3 {
		if !shared {
			break
		}
		tid := model.TraceID{0: 0xff, 1: byte(i), 15: 2}
		root := model.SpanID{0xaa, byte(i)}
		tb.AddSpan(&sharedRes, "", &sc, "", model.Span{TraceID: tid, SpanID: root, Name: "shared-root", Kind: model.KindServer,
			StartTimeUnixNano: uint64(base.UnixNano()), EndTimeUnixNano: uint64(base.UnixNano()) + 1e6})
		tb.AddSpan(&res, "", &sc, "", span(tid, model.SpanID{0xbb, byte(b), byte(i)}, root, "mine", start+uint64(i)*1e3))
	}
	return tb.Traces()
}

// writeBlock writes test block b (see blockTraces).
func writeBlock(t testing.TB, st *blocks.Store, b int, at time.Time, shared bool) spanSet {
	t.Helper()
	ts := blockTraces(b, at, shared)
	if _, err := st.WriteBlock(context.Background(), ts, blocks.WriteOptions{RowGroupBytes: 4 << 10}); err != nil {
		t.Fatal(err)
	}
	return spansOf(ts)
}

// job is a maintenance command under test, run on a tenant its setup
// filled.
type job struct {
	name string
	// setup fills a fresh tenant and returns what a read may see while
	// the job runs, killed or not, and once it has finished.
	setup func(t testing.TB, st *blocks.Store) (during, done expect)
	run   func(ctx context.Context, st *blocks.Store) error
	// stored, when set, checks the tenant after the job was killed and
	// run again, beyond the span sets (redact: no trace hashed twice).
	stored func(ctx context.Context, st *blocks.Store) error
	// onceStored: after a killed run and a complete one, every span is
	// stored in one live block.
	onceStored bool
	// rerunStoresOnce: the run again stores every span once by itself,
	// before any compaction (an ingest resumed finds the blocks the
	// killed run published).
	rerunStoresOnce bool
}

// redactMark counts the times the redact job changed a span.
const redactMark = "redacted"

// jobs are the four maintenance commands with their tenants: three blocks
// of one hour window and, for retain, one a month older.
var jobs = []job{
	{
		name: "compact",
		setup: func(t testing.TB, st *blocks.Store) (expect, expect) {
			all := spanSet{}
			for b := range 3 {
				all = union(all, writeBlock(t, st, b, base.Add(time.Duration(b)*5*time.Minute), true))
			}
			retireLongAgo(t, st, 3) // deleted by the run
			return expect{must: all}, expect{must: all}
		},
		run: func(ctx context.Context, st *blocks.Store) error {
			_, err := compact.Run(ctx, st, compact.Options{Concurrency: 1})
			return err
		},
		onceStored: true,
	},
	{
		name: "redact",
		setup: func(t testing.TB, st *blocks.Store) (expect, expect) {
			all := spanSet{}
			for b := range 3 {
				all = union(all, writeBlock(t, st, b, base.Add(time.Duration(b)*5*time.Minute), true))
			}
			return expect{must: all}, expect{must: all}
		},
		run: func(ctx context.Context, st *blocks.Store) error {
			_, err := st.Rewrite(ctx, redactBlocks12, blocks.RewriteOptions{Mark: "faults", RowGroupBytes: 4 << 10})
			return err
		},
		stored: func(ctx context.Context, st *blocks.Store) error {
			// Each span of blocks 1 and 2 changed exactly once.
			return st.Walk(ctx, func(_ blocks.Meta, tr *model.Trace) error {
				var err error
				tr.Spans(func(r model.SpanRef) bool {
					b, _ := model.Find(r.Span.Attributes, "block")
					n, _ := model.Find(r.Span.Attributes, redactMark)
					want := int64(0)
					if b.Int == 1 || b.Int == 2 {
						want = 1
					}
					if b.Type == model.ValueInt && n.Int != want {
						err = fmt.Errorf("span %s of block %d changed %d times, want %d", r.Span.SpanID, b.Int, n.Int, want)
					}
					return err == nil
				})
				return err
			})
		},
		onceStored: true,
	},
	{
		name: "retain",
		setup: func(t testing.TB, st *blocks.Store) (expect, expect) {
			gone := writeBlock(t, st, 0, base.Add(-30*24*time.Hour), false)
			keep := union(writeBlock(t, st, 1, base, true), writeBlock(t, st, 2, base.Add(5*time.Minute), true))
			retireLongAgo(t, st, 3)
			return expect{must: keep, may: gone}, expect{must: keep}
		},
		run: func(ctx context.Context, st *blocks.Store) error {
			// The block of a month before base expires, not the others.
			_, err := compact.Retain(ctx, st, compact.RetainOptions{OlderThan: time.Since(base.Add(-10 * 24 * time.Hour))})
			return err
		},
		onceStored: true,
	},
	{
		name: "ingest",
		setup: func(t testing.TB, st *blocks.Store) (expect, expect) {
			fixtures.Root(t)
			earlier := writeBlock(t, st, 0, base, true)
			in := ingested(t)
			return expect{must: earlier, may: in}, expect{must: union(earlier, in)}
		},
		run: func(ctx context.Context, st *blocks.Store) error {
			_, err := ingest.Run(ctx, st, ingestInputs(), ingestOptions)
			return err
		},
		onceStored:      true,
		rerunStoresOnce: true,
	},
}

// retireLongAgo writes test block b and retires it two hours ago (its
// meta.compacted.json says so): past the compacted retention, so retain
// and compact delete it.
func retireLongAgo(t testing.TB, st *blocks.Store, b int) {
	ctx := context.Background()
	m, err := st.WriteBlock(ctx, blockTraces(b, base, false), blocks.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.MarkCompacted(ctx, m.BlockID); err != nil {
		t.Fatal(err)
	}
	key := tenant + "/" + m.BlockID.String() + "/meta.compacted.json"
	data, err := st.Bucket().ReadAll(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]any
	if err := json.Unmarshal(data, &meta); err != nil {
		t.Fatal(err)
	}
	meta["compactedTime"] = time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	if data, err = json.Marshal(meta); err != nil {
		t.Fatal(err)
	}
	if err := st.Bucket().WriteAll(ctx, key, data, nil); err != nil {
		t.Fatal(err)
	}
}

var (
	ingestedMu    sync.Mutex
	ingestedSpans spanSet
)

// ingested returns the spans of the ingest job's inputs: what their
// ingest into a tenant of its own stores (once).
func ingested(t testing.TB) spanSet {
	ingestedMu.Lock()
	defer ingestedMu.Unlock()
	if ingestedSpans != nil {
		return ingestedSpans
	}
	ref := blocks.NewStore(testbuckets.OpenURL(t, "mem://"), tenant)
	if _, err := ingest.Run(context.Background(), ref, ingestInputs(), ingestOptions); err != nil {
		t.Fatal(err)
	}
	got, err := readSpans(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	ingestedSpans = spanSet{}
	for k := range got {
		ingestedSpans[k] = true
	}
	return ingestedSpans
}

// ingestOptions make the ingest job write several blocks.
var ingestOptions = ingest.Options{SkipBad: true, MaxBlockTraces: 3}

// ingestInputs are shared fixtures of several formats, in several blocks
// (the job's setup has checked that they are there).
func ingestInputs() []string {
	dir, _ := fixtures.Dir()
	return []string{filepath.Join(dir, "opentelemetry-proto"), filepath.Join(dir, "jaeger")}
}

// redactBlocks12 is the redact job's transform: it counts, on each span
// of the traces of blocks 1 and 2, how often it ran.
func redactBlocks12(tr *model.Trace) (bool, error) {
	changed := false
	tr.Spans(func(r model.SpanRef) bool {
		b, ok := model.Find(r.Span.Attributes, "block")
		if !ok || (b.Int != 1 && b.Int != 2) {
			return true
		}
		n, _ := model.Find(r.Span.Attributes, redactMark)
		r.Span.Attributes = setInt(r.Span.Attributes, redactMark, n.Int+1)
		changed = true
		return true
	})
	return changed, nil
}

func setInt(attrs []model.Attribute, key string, v int64) []model.Attribute {
	for i := range attrs {
		if attrs[i].Key == key {
			attrs[i].Value = model.IntValue(v)
			return attrs
		}
	}
	return append(attrs, model.Int(key, v))
}

// newStore is a fresh tenant on mem://, or with TRACECTL_TEST_FAULTS_BUCKET=file on a
// local directory (whose listings readers take from the file system).
func newStore(t testing.TB) *blocks.Store {
	if os.Getenv("TRACECTL_TEST_FAULTS_BUCKET") == "file" {
		return blocks.NewStore(testbuckets.OpenURL(t, "file://"+t.TempDir()), tenant)
	}
	return blocks.NewStore(testbuckets.OpenURL(t, "mem://"), tenant)
}
