package blocks

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tracectl/tracectl/model"
)

// rawRows reads every row of a block without converting it.
func rawRows(t *testing.T, b *Block) []pqTrace {
	t.Helper()
	p, err := b.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []pqTrace
	for i := range p.file.RowGroups() {
		rows, err := p.readGroup(i)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rows...)
	}
	return out
}

type flatSpan struct {
	Resource model.Resource
	Scope    model.Scope
	Span     model.Span
}

// flatten lists a trace's spans with their resource and scope, ordered by
// (SpanID, Kind), so that rebatching does not affect comparisons.
func flatten(t *model.Trace) []flatSpan {
	var out []flatSpan
	t.Spans(func(r model.SpanRef) bool {
		out = append(out, flatSpan{*r.Resource, *r.Scope, *r.Span})
		return true
	})
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Span, out[j].Span
		if a.SpanID != b.SpanID {
			return string(a.SpanID[:]) < string(b.SpanID[:])
		}
		return a.Kind < b.Kind
	})
	return out
}

// TestRewriteTempoBlock writes the traces read from Tempo's block (legacy
// layout) into a new block (documented layout) and checks that (1) they read back span by span as read from
// Tempo and (2) our derived trace columns equal Tempo's.
func TestRewriteTempoBlock(t *testing.T) {
	withSlack(t, 10*time.Millisecond) // reads after a rewrite see retired blocks
	ctx := context.Background()
	src := tempoStore(t)
	tempoBlock, err := src.OpenBlock(ctx, mustUUID(tempoBlockID))
	if err != nil {
		t.Fatal(err)
	}
	tempoTraces := readTempoTraces(t, src)
	tempoRows := rawRows(t, tempoBlock)
	if p, err := tempoBlock.open(ctx); err != nil || p.layout != layoutLegacy {
		t.Fatalf("Tempo block: layout %v, %v; want legacy", p, err)
	}

	for _, tc := range []struct {
		name string
		ded  []DedicatedColumn
	}{
		{"same dedicated columns", tempoBlock.Meta().DedicatedColumns},
		{"no dedicated columns", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := memStore(t)
			m, err := dst.WriteBlock(ctx, tempoTraces, WriteOptions{DedicatedColumns: tc.ded, RowGroupBytes: 16 << 10})
			if err != nil {
				t.Fatal(err)
			}
			if m.TotalObjects != 134 || m.TotalRecords < 2 {
				t.Errorf("meta: %d objects, %d row groups", m.TotalObjects, m.TotalRecords)
			}
			tm := tempoBlock.Meta()
			if !m.StartTime.Equal(tm.StartTime) || !m.EndTime.Equal(tm.EndTime) ||
				string(m.MinID) != string(tm.MinID) || string(m.MaxID) != string(tm.MaxID) || m.BloomShards != tm.BloomShards {
				t.Errorf("meta %+v\ndiffers from Tempo's %+v", m, tm)
			}
			b, err := dst.OpenBlock(ctx, m.BlockID)
			if err != nil {
				t.Fatal(err)
			}
			if p, err := b.open(ctx); err != nil || p.layout != layoutDocumented {
				t.Fatalf("rewritten block: layout %v, %v; want documented", p, err)
			}
			it, _ := b.Traces(ctx)
			got := readAllTraces(t, it)
			want := canonical(tempoTraces, tc.ded)
			if len(got) != len(want) {
				t.Fatalf("%d traces, want %d", len(got), len(want))
			}
			for i := range want {
				if diff := cmp.Diff(flatten(canonical(want[i:i+1], m.DedicatedColumns)[0]), flatten(got[i]), traceOpts, ignoreNestedSets); diff != "" {
					t.Fatalf("trace %s differs (-tempo +ours):\n%s", want[i].TraceID, diff)
				}
			}

			ours := rawRows(t, b)
			for i := range tempoRows {
				tr, or := &tempoRows[i], &ours[i]
				type derived struct {
					ID, Text              string
					Start, End, Duration  uint64
					RootService, RootSpan string
				}
				d := func(r *pqTrace) derived {
					return derived{string(r.TraceID), r.TraceIDText, r.StartTimeUnixNano, r.EndTimeUnixNano, r.DurationNano, r.RootServiceName, r.RootSpanName}
				}
				if diff := cmp.Diff(d(tr), d(or)); diff != "" {
					t.Errorf("derived columns of trace %x differ (-tempo +ours):\n%s", tr.TraceID, diff)
				}
				// Tempo's fixture has no ServiceStats and all-zero nested sets
				// (a block converted from an older format); where present
				// they must match, ours must match the model's derivation.
				if len(tr.ServiceStats) > 0 {
					if diff := cmp.Diff(tr.ServiceStats, or.ServiceStats); diff != "" {
						t.Errorf("ServiceStats of %x differ:\n%s", tr.TraceID, diff)
					}
				}
				svc := got[i].Services()
				if len(svc) != len(or.ServiceStats) {
					t.Errorf("ServiceStats of %x: %v, model %v", or.TraceID, or.ServiceStats, svc)
				}
				for k, v := range svc {
					if or.ServiceStats[k] != (pqServiceStats{v.SpanCount, v.ErrorCount}) {
						t.Errorf("ServiceStats[%q] of %x = %v, model %v", k, or.TraceID, or.ServiceStats[k], v)
					}
				}
			}
			// Nested sets: ours are the model's (ComputeNestedSets).
			for _, g := range got {
				c := model.MergeTraces(g)
				if diff := cmp.Diff(flatten(c), flatten(g), traceOpts); diff != "" {
					t.Fatalf("nested sets of %s are not ComputeNestedSets':\n%s", g.TraceID, diff)
				}
			}
		})
	}
}
