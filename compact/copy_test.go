package compact

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/internal/testbuckets"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// copyTestTraces returns n generated traces sorted by ID, in the last
// hour's window.
func copyTestTraces(n int) []*model.Trace {
	g := gen.New(gen.Options{Seed: 7, PIIRate: 0.1})
	seen := map[model.TraceID]bool{}
	var out []*model.Trace
	for len(out) < n {
		t := g.Trace()
		if !seen[t.TraceID] {
			seen[t.TraceID] = true
			out = append(out, t)
		}
	}
	model.SortTraces(out)
	return out
}

// TestMergeCopiesRowGroups compacts blocks such as one ingest writes
// (consecutive trace-ID ranges): their row groups come out copied whole,
// and the output holds every trace exactly as a merge that encodes them
// writes it (read back equal, blocks verify clean, the same meta). A block
// whose traces fall inside another's range keeps the row groups they
// interleave with from being copied, and is merged as before.
func TestMergeCopiesRowGroups(t *testing.T) {
	ctx := context.Background()
	n := 600
	if testing.Short() {
		n = 300
	}
	traces := copyTestTraces(n)
	const rowGroup = 32 << 10
	for _, tc := range []struct {
		name       string
		interleave bool
	}{{"disjoint", false}, {"interleaved", true}} {
		t.Run(tc.name, func(t *testing.T) {
			write := func(st *blocks.Store) {
				parts := [][]*model.Trace{traces[:n/3], traces[n/3 : 2*n/3], traces[2*n/3:]}
				if tc.interleave {
					// Every 10th trace of the middle third goes to a block
					// of its own, inside the middle block's range.
					var mid, odd []*model.Trace
					for i, tr := range parts[1] {
						if i%10 == 0 {
							odd = append(odd, tr)
						} else {
							mid = append(mid, tr)
						}
					}
					parts = [][]*model.Trace{parts[0], mid, parts[2], odd}
				}
				for _, p := range parts {
					if _, err := st.WriteBlock(ctx, p, blocks.WriteOptions{RowGroupBytes: rowGroup}); err != nil {
						t.Fatal(err)
					}
				}
			}
			run := func(opts Options) (*blocks.Store, Output) {
				st := blocks.NewStore(testbuckets.OpenURL(t, "mem://"), "tenant-a")
				write(st)
				opts.RowGroupBytes, opts.CompactedRetention, opts.Window = rowGroup, -1, 1<<40
				res, err := Run(ctx, st, opts)
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Outputs) != 1 {
					t.Fatalf("%d outputs", len(res.Outputs))
				}
				return st, res.Outputs[0]
			}
			st, out := run(Options{})
			// A trace-size cap turns copying off: the reference merge.
			ref, refOut := run(Options{MaxTraceBytes: 1 << 40})
			if refOut.CopiedRowGroups != 0 {
				t.Fatalf("the capped merge copied %d row groups", refOut.CopiedRowGroups)
			}
			groups := out.Meta.TotalRecords
			switch {
			case !tc.interleave && (out.CopiedRowGroups < groups-3 || out.CopiedRowGroups == 0):
				// All but an input's last row group, when it is below a
				// quarter of the row-group size.
				t.Errorf("copied %d of %d row groups, want all but at most one per input", out.CopiedRowGroups, groups)
			case tc.interleave && (out.CopiedRowGroups == 0 || out.CopiedRowGroups >= groups):
				t.Errorf("copied %d of %d row groups, want some but not those the odd block interleaves", out.CopiedRowGroups, groups)
			}
			if out.Traces != refOut.Traces || out.Spans != refOut.Spans || out.Traces != len(traces) {
				t.Errorf("%d traces, %d spans; the encoding merge %d, %d", out.Traces, out.Spans, refOut.Traces, refOut.Spans)
			}
			m, rm := out.Meta, refOut.Meta
			if m.TotalObjects != rm.TotalObjects || !m.StartTime.Equal(rm.StartTime) || !m.EndTime.Equal(rm.EndTime) ||
				string(m.MinID) != string(rm.MinID) || string(m.MaxID) != string(rm.MaxID) {
				t.Errorf("meta %+v, the encoding merge's %+v", m, rm)
			}
			rep, err := st.Verify(ctx)
			if err != nil || !rep.OK() {
				t.Fatalf("verify: %v %+v", err, rep)
			}
			got, want := readAllTraces(t, st), readAllTraces(t, ref)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("traces differ from the encoding merge's (-want +got):\n%s", diff)
			}
		})
	}
}

// readAllTraces reads every trace of st, copies merged.
func readAllTraces(t *testing.T, st *blocks.Store) []*model.Trace {
	t.Helper()
	it, err := st.Traces(context.Background(), store.Request{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var out []*model.Trace
	for it.Next() {
		out = append(out, it.At())
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
