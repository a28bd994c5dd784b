package blocks

import (
	"context"
	"errors"
	"slices"
	"sort"
	"testing"

	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// TestLightFooter: a light footer of Tempo's block (the legacy attribute
// layout) and of a block tracectl writes (several row groups) has only
// the light columns, and gives the same trace IDs and the same statistics
// for the skip decisions as the whole footer; a read of spans through it
// fails, and wholeFooter gives the whole one.
func TestLightFooter(t *testing.T) {
	ctx := context.Background()
	written := memStore(t)
	wm, err := written.WriteBlock(ctx, gen.New(gen.Options{Seed: 8}).Distinct(300), WriteOptions{RowGroupBytes: 32 << 10})
	if err != nil {
		t.Fatal(err)
	}
	tempo := tempoStore(t)
	tms, err := tempo.List(ctx)
	if err != nil || len(tms) != 1 {
		t.Fatalf("Tempo block: %v, %v", tms, err)
	}
	for name, b := range map[string]*Block{"tempo": tempo.block(tms[0].Meta), "written": written.block(wm)} {
		t.Run(name, func(t *testing.T) {
			whole, err := b.open(ctx)
			if err != nil {
				t.Fatal(err)
			}
			light, err := b.openLight(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !light.light || whole.light {
				t.Fatalf("light %v, whole %v", light.light, whole.light)
			}
			cols := light.file.Schema().Columns()
			if len(cols) < 6 || len(cols) >= len(whole.file.Schema().Columns()) {
				t.Errorf("light footer has %d of %d columns", len(cols), len(whole.file.Schema().Columns()))
			}
			for _, c := range cols {
				if !lightColumns(c) {
					t.Errorf("column %v is not a light column", c)
				}
			}
			if light.layout != whole.layout {
				t.Errorf("layout %v, whole footer's %v", light.layout, whole.layout)
			}
			groups := len(whole.file.RowGroups())
			if name == "written" && groups < 2 {
				t.Fatalf("%d row groups, want several", groups)
			}
			if len(light.file.RowGroups()) != groups {
				t.Fatalf("%d row groups, whole footer %d", len(light.file.RowGroups()), groups)
			}
			req := &store.Request{Start: b.meta.StartTime.Add(b.meta.EndTime.Sub(b.meta.StartTime) / 2)}
			for g := range groups {
				type stats struct {
					start, end, maxSpan uint64
					ok, okSpan, skip    bool
					lo, hi              string
				}
				of := func(p *pfile) stats {
					var s stats
					s.start, s.end, s.ok = p.groupTimeRange(g)
					s.maxSpan, s.okSpan = p.groupMaxSpanStart(g)
					s.skip = p.skipGroup(g, req)
					lo, hi, _ := groupIDRange(p.file.Metadata().RowGroups[g], p.leaves.traceID.Index)
					s.lo, s.hi = string(lo), string(hi)
					return s
				}
				if l, w := of(light), of(whole); l != w || !w.ok || !w.okSpan {
					t.Errorf("row group %d: light footer's statistics %+v, whole footer's %+v", g, l, w)
				}
				lids, err := light.groupIDs(g)
				if err != nil {
					t.Fatal(err)
				}
				wids, err := whole.groupIDs(g)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(lids, wids) || len(wids) == 0 {
					t.Errorf("row group %d: %d trace IDs through the light footer, %d through the whole", g, len(lids), len(wids))
				}
			}
			if _, err := light.openTraces(0, b.codec, groupRead{}); !errors.Is(err, errLightFooter) {
				t.Errorf("spans read through a light footer: %v", err)
			}
			open := func() (*pfile, error) { return b.open(ctx) }
			full, err := light.wholeFooter(open)
			if err != nil {
				t.Fatal(err)
			}
			if full.light || len(full.file.Schema().Columns()) != len(whole.file.Schema().Columns()) {
				t.Errorf("wholeFooter: light %v, %d columns", full.light, len(full.file.Schema().Columns()))
			}
			if again, _ := light.wholeFooter(open); again != full {
				t.Error("wholeFooter opened the footer again")
			}
		})
	}
}

// TestLimitSearchReportsZeroedFooter: a limit search over ten minute
// blocks whose oldest has the end of its footer zeroed (the metadata ends
// early: parquet-go refuses it) reports that block damaged although its
// statistics would have let it skip it (found by review: the pruned
// footer had dropped the trailing bytes).
func TestLimitSearchReportsZeroedFooter(t *testing.T) {
	for name, s := range map[string]*Store{"mem": memStore(t), "file": fileStore(t)} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			minute := func(i int) uint64 { return 1e18 + uint64(i)*60e9 }
			var metas []Meta
			for i := range 10 {
				ts := syntheticTraces(5, byte(i), minute(i))
				sort.Slice(ts, func(a, b int) bool { return model.CompareTraceIDs(ts[a].TraceID, ts[b].TraceID) < 0 })
				m, err := s.WriteBlock(ctx, ts, WriteOptions{})
				if err != nil {
					t.Fatal(err)
				}
				metas = append(metas, m)
			}
			key := joinKey(s.tenant, metas[0].BlockID.String(), dataObject)
			data, err := s.bucket.ReadAll(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			clear(data[len(data)-200 : len(data)-8])
			if err := s.bucket.WriteAll(ctx, key, data, nil); err != nil {
				t.Fatal(err)
			}
			req := store.Request{Unordered: true, Newest: &store.Threshold{}, NewestCount: 3}
			req.Newest.Raise(minute(5))
			it, err := s.Traces(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			n := len(readAllTraces(t, it))
			var d *DamagedError
			if dmg := s.Damaged(); len(dmg) != 1 || !errors.As(dmg[0], &d) || d.Key != key {
				t.Fatalf("%d traces read; damaged: %v, want %s", n, dmg, key)
			}
		})
	}
}
