package conformance

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/store/storetest"
	"github.com/tracectl/tracectl/traceql"
	"github.com/tracectl/tracectl/traceql/eval"
)

// TestDurationAggregatesOnBlocks holds the blocks' evaluation of
// `avg/min/max(duration)` pipelines (store.SpansDurations, decided on the
// columns) to the in-memory evaluator: counts, and limited searches, on
// traces whose durations make the average depend on the order it is
// summed in (2^60 ns, and durations of 2^63 and more, negative as int64),
// with ends before starts, several resources and scopes, and a third of
// the traces split across two blocks of tiny row groups.
func TestDurationAggregatesOnBlocks(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	base := uint64(1767225902000000000)
	var traces []*model.Trace
	var avgs, reversed []int64 // each trace's average, summed in span order and backwards
	for i := range 120 {
		tr := &model.Trace{}
		tr.TraceID[0], tr.TraceID[14], tr.TraceID[15] = 0x42, byte(i>>8), byte(i)
		sid := 1
		for rr := range 1 + r.Intn(3) {
			rs := model.ResourceSpans{Resource: model.Resource{Attributes: []model.Attribute{model.Str(model.ServiceNameKey, fmt.Sprintf("svc%d", rr))}}}
			for s := range 1 + r.Intn(2) {
				ss := model.ScopeSpans{Scope: model.Scope{Name: fmt.Sprintf("sc%d", s)}}
				for range 1 + r.Intn(5) {
					start := base + uint64(i)*1e9 + uint64(r.Intn(1000))
					var end uint64
					switch r.Intn(7) {
					case 0:
						end = start - 5
					case 1:
						end = start + 1<<63 + uint64(r.Intn(1000))
					case 2:
						end = start + 1<<60
					case 3:
						end = start + uint64(1+r.Intn(300))
					default:
						end = start + uint64(r.Intn(1e9))
					}
					var id model.SpanID
					id[6], id[7] = byte(i), byte(sid)
					sid++
					ss.Spans = append(ss.Spans, model.Span{SpanID: id, Name: "op", Kind: model.SpanKind(1 + r.Intn(3)),
						StartTimeUnixNano: start, EndTimeUnixNano: end})
				}
				rs.ScopeSpans = append(rs.ScopeSpans, ss)
			}
			tr.ResourceSpans = append(tr.ResourceSpans, rs)
		}
		var ds []int64
		tr.Spans(func(r model.SpanRef) bool { ds = append(ds, int64(r.Span.Duration())); return true })
		fwd, back := 0.0, 0.0
		for j := range ds {
			fwd += float64(ds[j])
			back += float64(ds[len(ds)-1-j])
		}
		avgs = append(avgs, int64(fwd/float64(len(ds))))
		reversed = append(reversed, int64(back/float64(len(ds))))
		traces = append(traces, tr)
	}
	orderMatters := 0
	for i := range avgs {
		if avgs[i] != reversed[i] {
			orderMatters++
		}
	}
	if orderMatters < 10 {
		t.Fatalf("only %d traces' averages depend on the summing order: the test would not notice durations taken out of order", orderMatters)
	}

	stored, split := splitStore(t, traces, 4<<10)
	mem := storetest.New(stored)
	srcs := map[string]store.Source{"split": split, "whole": writeBlocks(t, stored, 7)}

	qs := []string{`{ } | avg(duration) < 0`, `{ } | min(duration) < 0`, `{ } | max(duration) < 0`, `{ } | min(duration) = 0`,
		`{ } | max(duration) > 100000h`, `{ kind = server } | avg(duration) > 1000h`, `{ kind = client } | avg(duration) < 0`,
		`{ } | avg(duration) > 1e17`, `{ } | avg(duration) != 0`, `{ } >> { } | avg(duration) > 0`, `{ } | 1000h <= max(duration)`}
	// An average equal to one summed in span order, or backwards. (A
	// negative literal is an expression, which the blocks do not decide.)
	for i := range avgs {
		if avgs[i] != reversed[i] && avgs[i] >= 0 && reversed[i] >= 0 {
			qs = append(qs, fmt.Sprintf("{ } | avg(duration) = %d", avgs[i]), fmt.Sprintf("{ } | avg(duration) = %d", reversed[i]))
		}
	}
	for _, q := range qs {
		root, err := traceql.Parse(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if f := eval.FilterOf(root); f == nil || !f.Exact {
			t.Fatalf("%s: the filter is not exact: the blocks would not decide it", q)
		}
		for _, opts := range []eval.SearchOptions{{CountOnly: true}, {Limit: 2}, {Limit: 20}} {
			againstMemory(t, q, root, opts, mem, srcs, func(name string, got, want *eval.SearchResult) {
				if opts.CountOnly && got.Metrics.MatchedTraces != want.Metrics.MatchedTraces {
					t.Errorf("%s %+v: %s counts %d, in memory %d", q, opts, name, got.Metrics.MatchedTraces, want.Metrics.MatchedTraces)
				}
				if len(got.Traces) != len(want.Traces) {
					t.Errorf("%s %+v: %s %d traces, in memory %d", q, opts, name, len(got.Traces), len(want.Traces))
					return
				}
				for i := range got.Traces {
					if got.Traces[i].TraceID != want.Traces[i].TraceID {
						t.Errorf("%s %+v: %s trace %d is %x, in memory %x", q, opts, name, i, got.Traces[i].TraceID, want.Traces[i].TraceID)
					}
				}
			})
		}
	}
}
