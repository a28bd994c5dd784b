package blocks

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// TestSortedTraces holds SortedTraces to Traces on blocks whose ID ranges
// overlap, with traces split across three of them: every trace, then the
// traces of an ID set, then those of a time range, merged in rounds of two
// runs or all at once; nothing is left in the temporary directory.
func TestSortedTraces(t *testing.T) {
	ctx := context.Background()
	traces := splittableTraces(41, 300, 3)
	// Five blocks of interleaved IDs; every tenth trace split in three
	// parts, in blocks 0, 2 and 4.
	parts := make([][]*model.Trace, 5)
	for i, tr := range traces {
		if i%10 == 0 {
			rs := tr.ResourceSpans
			parts[0] = append(parts[0], &model.Trace{TraceID: tr.TraceID, ResourceSpans: rs[:1]})
			parts[2] = append(parts[2], &model.Trace{TraceID: tr.TraceID, ResourceSpans: rs[1:2]})
			parts[4] = append(parts[4], &model.Trace{TraceID: tr.TraceID, ResourceSpans: rs[2:]})
			continue
		}
		parts[i%5] = append(parts[i%5], tr)
	}
	st := memStore(t)
	for _, p := range parts {
		model.SortTraces(p)
		if _, err := st.WriteBlock(ctx, p, WriteOptions{RowGroupBytes: 32 << 10}); err != nil {
			t.Fatal(err)
		}
	}
	ids := map[model.TraceID]bool{}
	for i, tr := range traces {
		if i%3 == 0 {
			ids[tr.TraceID] = true
		}
	}
	// The traces start one after the other: a window over the middle
	// third.
	from, _ := traces[100].TimeRange()
	to, _ := traces[200].TimeRange()
	window := store.Request{Start: time.Unix(0, int64(from)), End: time.Unix(0, int64(to))}
	defer func(n int) { sortFanIn = n }(sortFanIn)
	for _, fanIn := range []int{2, 64} {
		sortFanIn = fanIn
		for _, req := range []store.Request{
			{},
			{Filter: &store.Filter{Cond: &store.TraceCond{Op: store.OpTraceIDs, IDs: ids}}},
			window,
		} {
			dir := t.TempDir()
			it, err := st.SortedTraces(ctx, req, dir)
			if err != nil {
				t.Fatal(err)
			}
			got, err := store.Collect(it)
			if err != nil {
				t.Fatal(err)
			}
			want, err := st.Traces(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			wantTraces, err := store.Collect(want)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 || len(got) != len(wantTraces) {
				t.Fatalf("fan-in %d, %+v: %d traces, Traces gives %d", fanIn, req, len(got), len(wantTraces))
			}
			for i := range got {
				model.ComputeNestedSets(got[i])
				if d := strictDiff([]*model.Trace{wantTraces[i]}, []*model.Trace{got[i]}); d != "" {
					t.Fatalf("fan-in %d, %+v, trace %s:\n%s", fanIn, req, got[i].TraceID, d)
				}
			}
			if left, _ := os.ReadDir(dir); len(left) > 0 {
				t.Errorf("fan-in %d: %d files left", fanIn, len(left))
			}
		}
	}
}
