package compact

import (
	"context"
	"sort"
	"testing"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/codec/input"
	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/testbuckets"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// TestCapTrace cuts the largest fixture traces at several caps: the result
// fits, keeps the most spans that fit in keep order (roots first, then by
// start time), and only spans of the original.
func TestCapTrace(t *testing.T) {
	traces, err := input.DecodeTraces(context.Background(), []string{fixtures.Root(t)}, input.Options{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(traces, func(i, j int) bool { return traces[i].SpanCount() > traces[j].SpanCount() })
	for _, tr := range traces[:5] {
		size := otlp.ProtoSize(tr)
		for _, tc := range []struct {
			name string
			max  int64
		}{{"fits", size}, {"half", size / 2}, {"tenth", size / 10}, {"tiny", 10}} {
			got, cut := capTrace(tr, tc.max)
			if tc.max >= size {
				if got != tr || cut != nil {
					t.Errorf("%s %s: a trace under the cap was changed", tr.TraceID, tc.name)
				}
				continue
			}
			if cut == nil || cut.Bytes != size || cut.Spans != tr.SpanCount() || cut.Kept != got.SpanCount() || cut.Kept >= cut.Spans {
				t.Fatalf("%s %s: cut %+v, kept %d of %d", tr.TraceID, tc.name, cut, got.SpanCount(), tr.SpanCount())
			}
			if s := otlp.ProtoSize(got); cut.Kept > 0 && s > tc.max {
				t.Errorf("%s %s: %d bytes kept, cap %d", tr.TraceID, tc.name, s, tc.max)
			}
			order := keepOrder(tr)
			if next := prefixTrace(tr, order, cut.Kept+1); otlp.ProtoSize(next) <= tc.max {
				t.Errorf("%s %s: %d spans kept, but %d fit", tr.TraceID, tc.name, cut.Kept, cut.Kept+1)
			}
			// The kept spans are exactly the first Kept of keep order.
			want := map[model.SpanKey]bool{}
			for _, p := range order[:cut.Kept] {
				s := tr.ResourceSpans[p.r].ScopeSpans[p.s].Spans[p.k]
				want[model.SpanKey{SpanID: s.SpanID, Kind: s.Kind}] = true
			}
			got.Spans(func(r model.SpanRef) bool {
				if !want[model.SpanKey{SpanID: r.Span.SpanID, Kind: r.Span.Kind}] {
					t.Errorf("%s %s: kept span %s is not among the first %d", tr.TraceID, tc.name, r.Span.SpanID, cut.Kept)
				}
				return true
			})
		}
	}
}

// TestKeepOrder: roots (no parent, or a parent not in the trace) come
// first, then the others by start time.
func TestKeepOrder(t *testing.T) {
	tid := model.TraceID{1}
	tb := model.NewTraceBuilder()
	res, sc := &model.Resource{}, &model.Scope{}
	add := func(id, parent byte, start uint64) {
		tb.AddSpan(res, "", sc, "", model.Span{TraceID: tid, SpanID: model.SpanID{id}, ParentSpanID: model.SpanID{parent}, StartTimeUnixNano: start})
	}
	add(1, 0, 50) // root
	add(2, 1, 10) // child, earliest
	add(3, 9, 90) // parent 9 missing: a root
	add(4, 1, 30) // child
	tr := tb.Traces()[0]
	var got []byte
	for _, p := range keepOrder(tr) {
		got = append(got, tr.ResourceSpans[p.r].ScopeSpans[p.s].Spans[p.k].SpanID[0])
	}
	if string(got) != string([]byte{1, 3, 2, 4}) {
		t.Fatalf("keep order %v, want [1 3 2 4]", got)
	}
}

// TestRunMaxTraceBytes: a merge with MaxTraceBytes cuts only the traces
// over the cap, reports them, and stores what it reports.
func TestRunMaxTraceBytes(t *testing.T) {
	ctx := context.Background()
	st := blocks.NewStore(testbuckets.OpenURL(t, "mem://"), "tenant-a")
	writeBlocks(t, st, 4)
	// The 5 shared traces gather 1+4 spans when merged; each block's own
	// traces have 2. Cap between the two.
	before := readTraces(t, st)
	var small, big int64
	for _, tr := range before {
		s := otlp.ProtoSize(tr)
		if tr.SpanCount() == 2 {
			small = max(small, s)
		} else if big == 0 || s < big {
			big = s
		}
	}
	if small == 0 || big <= small {
		t.Fatalf("test data: 2-span traces up to %d bytes, merged shared ones from %d", small, big)
	}
	res, err := Run(ctx, st, Options{MaxTraceBytes: small, CompactedRetention: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outputs) != 1 || len(res.Outputs[0].Cut) != 5 {
		t.Fatalf("%d outputs, cut %+v; want the 5 shared traces cut", len(res.Outputs), res.Outputs)
	}
	after := map[model.TraceID]*model.Trace{}
	for _, tr := range readTraces(t, st) {
		after[tr.TraceID] = tr
	}
	for _, c := range res.Outputs[0].Cut {
		tr := after[c.TraceID]
		if c.Spans != 5 || tr == nil || tr.SpanCount() != c.Kept || c.Kept == 0 || otlp.ProtoSize(tr) > small {
			t.Errorf("cut %+v: stored %v", c, tr)
		}
		if root, ok := tr.Root(); !ok || root.Span.Name != "shared-root" {
			t.Errorf("cut trace %s lost its root", c.TraceID)
		}
	}
	for _, tr := range before {
		if tr.SpanCount() == 2 && after[tr.TraceID].SpanCount() != 2 {
			t.Errorf("trace %s under the cap lost spans", tr.TraceID)
		}
	}
}

// readTraces reads the store's traces (copies merged).
func readTraces(t *testing.T, st *blocks.Store) []*model.Trace {
	t.Helper()
	it, err := st.Traces(context.Background(), store.Request{})
	if err == nil {
		var out []*model.Trace
		if out, err = store.Collect(it); err == nil {
			return out
		}
	}
	t.Fatal(err)
	return nil
}
