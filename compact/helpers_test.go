package compact

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"gocloud.dev/blob"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/internal/blobtest"
	"github.com/tracectl/tracectl/internal/testbuckets"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// base is the start of the test data: 10:00 UTC, so blocks written a few
// minutes apart fall into one 1h window.
var base = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)

// spanKey identifies a span the way readers deduplicate them.
type spanKey struct {
	trace model.TraceID
	span  model.SpanID
	kind  model.SpanKind
}

// blockTraces returns the traces of test block b: 20 traces of its own,
// and a share of 5 traces every block holds, each with one span of the
// block's own and one span identical in every block.
func blockTraces(b, own int) []*model.Trace {
	tb := model.NewTraceBuilder()
	res := model.Resource{Attributes: []model.Attribute{model.Str("service.name", fmt.Sprintf("svc-%d", b%3))}}
	sc := model.Scope{Name: "test"}
	start := uint64(base.Add(time.Duration(b) * 5 * time.Minute).UnixNano())
	add := func(tid model.TraceID, sid model.SpanID, parent model.SpanID, name string, t uint64) {
		tb.AddSpan(&res, "", &sc, "", model.Span{TraceID: tid, SpanID: sid, ParentSpanID: parent, Name: name,
			Kind: model.KindServer, StartTimeUnixNano: t, EndTimeUnixNano: t + 1e6,
			Attributes: []model.Attribute{model.Int("block", int64(b))}})
	}
	for i := 0; i < own; i++ {
		var tid model.TraceID
		tid[0], tid[1], tid[2] = byte(b>>8), byte(b), byte(i)
		tid[15] = 1
		var root, child model.SpanID
		root[0], root[1] = 1, byte(i)
		child[0], child[1] = 2, byte(i)
		t := start + uint64(i)*1e6
		add(tid, root, model.SpanID{}, "root", t)
		add(tid, child, root, "child", t+10)
	}
	for i := 0; i < 5; i++ {
		var tid model.TraceID
		tid[0], tid[1], tid[15] = 0xff, byte(i), 2
		var shared, mine model.SpanID
		shared[0], shared[1] = 0xaa, byte(i)
		mine[0], mine[1], mine[2] = 0xbb, byte(b), byte(i)
		// The shared root is byte-identical in every block.
		tb.AddSpan(&model.Resource{Attributes: []model.Attribute{model.Str("service.name", "shared")}}, "", &sc, "",
			model.Span{TraceID: tid, SpanID: shared, Name: "shared-root", Kind: model.KindServer,
				StartTimeUnixNano: uint64(base.UnixNano()), EndTimeUnixNano: uint64(base.UnixNano()) + 1e6})
		add(tid, mine, shared, "mine", start+uint64(i)*1e3)
	}
	return tb.Traces()
}

// writeBlocks writes n test blocks at level 0 and returns the distinct
// spans they hold.
func writeBlocks(t testing.TB, st *blocks.Store, n int) map[spanKey]bool {
	t.Helper()
	want := map[spanKey]bool{}
	for b := 0; b < n; b++ {
		ts := blockTraces(b, 20)
		for _, tr := range ts {
			tr.Spans(func(r model.SpanRef) bool {
				want[spanKey{tr.TraceID, r.Span.SpanID, r.Span.Kind}] = true
				return true
			})
		}
		if _, err := st.WriteBlock(context.Background(), ts, blocks.WriteOptions{RowGroupBytes: 4 << 10}); err != nil {
			t.Fatal(err)
		}
	}
	return want
}

// readSpans counts the spans readers see (copies of a trace merged).
func readSpans(t testing.TB, st *blocks.Store) map[spanKey]int {
	t.Helper()
	it, err := st.Traces(context.Background(), store.Request{})
	if err != nil {
		t.Fatal(err)
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
		t.Fatal(err)
	}
	return got
}

// diskSpans counts the spans stored in live blocks, copies not merged.
func diskSpans(t testing.TB, st *blocks.Store) map[spanKey]int {
	t.Helper()
	got := map[spanKey]int{}
	err := st.Walk(context.Background(), func(_ blocks.Meta, tr *model.Trace) error {
		tr.Spans(func(r model.SpanRef) bool {
			got[spanKey{tr.TraceID, r.Span.SpanID, r.Span.Kind}]++
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// exactlyOnce reports how got differs from every span of want once.
func exactlyOnce(want map[spanKey]bool, got map[spanKey]int) error {
	var errs []error
	for k := range want {
		if got[k] != 1 {
			errs = append(errs, fmt.Errorf("span %s/%s seen %d times", k.trace, k.span, got[k]))
		}
	}
	for k, n := range got {
		if !want[k] {
			errs = append(errs, fmt.Errorf("unexpected span %s/%s (%d)", k.trace, k.span, n))
		}
	}
	if len(errs) > 5 {
		errs = append(errs[:5], fmt.Errorf("… %d more", len(errs)-5))
	}
	return errors.Join(errs...)
}

// backends opens a fresh bucket of each kind the block-level tests run
// against (testbuckets.All: file, mem, S3, GCS, Azure and, when enabled,
// SeaweedFS); unavailable ones skip.
func backends(t *testing.T) map[string]func(t *testing.T) *blob.Bucket {
	m := map[string]func(t *testing.T) *blob.Bucket{}
	for _, name := range testbuckets.All {
		m[name] = func(t *testing.T) *blob.Bucket { return testbuckets.Open(t, name).Bucket(t) }
	}
	return m
}

var errCrashed = blobtest.ErrCrashed

// crashBucket wraps inner so that its crashAt-th mutation (object write,
// delete or copy, 1-based) and every later one fail, as if the process
// died there: no cleanup happens either. Reads go on working, as they
// would for the next run. 0 never crashes. The Crash logs the mutations.
func crashBucket(inner *blob.Bucket, crashAt int) (*blob.Bucket, *blobtest.Crash) {
	c := &blobtest.Crash{}
	c.At(crashAt)
	return blobtest.Wrap(inner, blobtest.Hooks{Before: c.Before}), c
}

// liveBlocks returns how many blocks are live in st and whether id is one
// of them.
func liveBlocks(t testing.TB, st *blocks.Store, id uuid.UUID) (n int, has bool) {
	t.Helper()
	live, err := st.Blocks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range live {
		has = has || m.BlockID == id
	}
	return len(live), has
}
