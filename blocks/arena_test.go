package blocks

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// TestReuse scans blocks with store.Request.Reuse, as a reader that
// drops each trace before the next: every trace must read as without
// Reuse (a copy taken when it is handed out), the memory must really be
// reused (traces kept past their turn, against the contract, show the
// poison that released arenas are filled with here), and traces split
// across blocks, whose parts are kept until they are merged, must survive.
func TestReuse(t *testing.T) {
	t.Run("disjoint blocks", func(t *testing.T) { testReuse(t, 0) })
	t.Run("split traces", func(t *testing.T) { testReuse(t, 5) })
}

// testReuse writes 1,500 generated traces in two blocks and, when every
// is above 0, a third block with one more span of every every-th trace.
func testReuse(t *testing.T, every int) {
	t.Setenv(poisonEnv, "1")
	ctx := context.Background()
	s := memStore(t)
	g := gen.New(gen.Options{Seed: 21, ErrorRate: 0.2, PIIRate: 0.3})
	var all []*model.Trace
	for range 1500 {
		all = append(all, g.Trace())
	}
	parts := [][]*model.Trace{all[:600], all[600:], nil}
	for i, tr := range all {
		if every == 0 || i%every != 0 {
			continue
		}
		c := *tr
		c.ResourceSpans = []model.ResourceSpans{{Resource: model.Resource{Attributes: []model.Attribute{model.Str("service.name", "late")}},
			ScopeSpans: []model.ScopeSpans{{Spans: []model.Span{{TraceID: tr.TraceID, SpanID: model.SpanID{9, 9, 9}, Name: "late part",
				StartTimeUnixNano: 1767225600000000000, EndTimeUnixNano: 1767225600000000100}}}}}}
		parts[2] = append(parts[2], &c)
	}
	for _, p := range parts {
		if len(p) == 0 {
			continue
		}
		sort.Slice(p, func(i, j int) bool { return model.CompareTraceIDs(p[i].TraceID, p[j].TraceID) < 0 })
		if _, err := s.WriteBlock(ctx, p, WriteOptions{RowGroupBytes: 32 << 10}); err != nil {
			t.Fatal(err)
		}
	}
	// read returns each trace's JSON when handed out, and the traces
	// kept (against the contract, with reuse) with their IDs then.
	read := func(reuse bool) (map[model.TraceID]string, []*model.Trace, []model.TraceID) {
		s.SetConcurrency(2)
		it, err := s.Traces(ctx, store.Request{Unordered: true, Reuse: reuse})
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		got := map[model.TraceID]string{}
		var kept []*model.Trace
		var ids []model.TraceID
		for it.Next() {
			tr := it.At()
			js, err := json.Marshal(tr)
			if err != nil {
				t.Fatal(err)
			}
			got[tr.TraceID] = string(js)
			kept = append(kept, tr)
			ids = append(ids, tr.TraceID)
		}
		if err := it.Err(); err != nil {
			t.Fatal(err)
		}
		return got, kept, ids
	}
	want, _, _ := read(false)
	got, kept, ids := read(true)
	if len(got) != len(want) || len(want) != len(all) {
		t.Fatalf("%d traces with Reuse, %d without, %d written", len(got), len(want), len(all))
	}
	for id, js := range want {
		if got[id] != js {
			t.Fatalf("trace %s differs with Reuse", id)
		}
		if strings.Contains(js, "poisoned") {
			t.Fatalf("trace %s read without Reuse is poisoned", id)
		}
	}
	// The merged split traces are built in memory of their own (their
	// parts copied out of the arenas), so the reader may keep them: they
	// must still read as they did, however much memory was reused
	// meanwhile. The others show the poison.
	split := map[model.TraceID]bool{}
	for _, tr := range parts[2] {
		split[tr.TraceID] = true
	}
	poisoned := 0
	for i, tr := range kept {
		js, _ := json.Marshal(tr)
		if id := ids[i]; split[id] {
			if string(js) != want[id] || !strings.Contains(string(js), "late part") {
				t.Fatalf("merged split trace %s changed after it was handed out", id)
			}
			continue
		}
		if strings.Contains(string(js), "poisoned") {
			poisoned++
		}
	}
	if others := len(kept) - len(split); poisoned < others/2 {
		t.Errorf("only %d of %d traces kept past their turn were overwritten: memory is not reused", poisoned, others)
	}
}

// TestDetach: a detached trace equals the original and shares none of
// its slices, so that overwriting the original (an arena reused) leaves
// it as it was.
func TestDetach(t *testing.T) {
	for _, tr := range syntheticTraces(5, 3, 1e18) {
		tr.ResourceSpans[0].Resource.Attributes = append(tr.ResourceSpans[0].Resource.Attributes, model.Str("k", "v"))
		sp := &tr.ResourceSpans[0].ScopeSpans[0].Spans[0]
		sp.Events = []model.Event{{Name: "e", Attributes: []model.Attribute{model.Int("a", 1)}}}
		sp.Links = []model.Link{{TraceID: tr.TraceID, Attributes: []model.Attribute{model.Int("b", 2)}}, {}}
		sp.Attributes = append(sp.Attributes, model.Attribute{Key: "arr", Value: model.ArrayValue(model.IntValue(1))})
		tr.ResourceSpans[0].ScopeSpans[0].Spans[1].Attributes = []model.Attribute{}
		want := fmt.Sprintf("%+v", *tr)
		got := detach(tr)
		if !reflect.DeepEqual(got, tr) {
			t.Fatalf("detached trace differs:\n%+v\nwant\n%+v", got, tr)
		}
		// Overwrite every slice element of the original, as a reused
		// arena would.
		for i := range tr.ResourceSpans {
			r := &tr.ResourceSpans[i]
			clear(r.Resource.Attributes)
			for j := range r.ScopeSpans {
				ss := &r.ScopeSpans[j]
				for k := range ss.Spans {
					sp := &ss.Spans[k]
					clear(sp.Attributes)
					for e := range sp.Events {
						clear(sp.Events[e].Attributes)
					}
					for l := range sp.Links {
						clear(sp.Links[l].Attributes)
					}
					clear(sp.Events)
					clear(sp.Links)
				}
				clear(ss.Spans)
			}
			clear(r.ScopeSpans)
		}
		clear(tr.ResourceSpans)
		if s := fmt.Sprintf("%+v", *got); s != want {
			t.Fatalf("detached trace changed with the original:\n%s\nwant\n%s", s, want)
		}
	}
}
