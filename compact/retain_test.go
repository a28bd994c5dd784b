package compact

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/internal/testbuckets"
)

// TestRetain retires blocks ending before the cutoff at once and deletes
// them on a run after CompactedRetention, on every storage backend.
func TestRetain(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := blocks.NewStore(open(t), "tenant-a")
			writeBlocks(t, st, 4) // blocks end at 10:00, 10:05, 10:10, 10:15
			// meta.compacted.json records the real time: the clock is
			// real time plus later, and the cutoff 10:07:30 on the data's
			// day (minutes away from any block's end, however slow the run).
			older := time.Since(base.Add(7*time.Minute + 30*time.Second))
			tests := []struct {
				name              string
				dryRun            bool
				later             time.Duration
				marked, deleted   int
				live, compactedAt int
			}{
				{"dry run", true, 0, 2, 0, 4, 0},
				{"marks the two older blocks", false, 0, 2, 0, 2, 2},
				{"keeps them for an hour", false, 0, 0, 0, 2, 2},
				{"dry run after an hour", true, time.Hour + time.Minute, 0, 2, 2, 2},
				{"deletes them after an hour", false, time.Hour + time.Minute, 0, 2, 2, 0},
			}
			for _, tc := range tests {
				res, err := Retain(ctx, st, RetainOptions{DryRun: tc.dryRun, OlderThan: older + tc.later,
					Now: func() time.Time { return time.Now().Add(tc.later) }})
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if len(res.Marked) != tc.marked || len(res.Deleted) != tc.deleted {
					t.Errorf("%s: marked %d deleted %d, want %d %d", tc.name, len(res.Marked), len(res.Deleted), tc.marked, tc.deleted)
				}
				live, _ := st.Blocks(ctx)
				comp, _ := st.CompactedBlocks(ctx)
				if len(live) != tc.live || len(comp) != tc.compactedAt {
					t.Errorf("%s: %d live, %d compacted, want %d %d", tc.name, len(live), len(comp), tc.live, tc.compactedAt)
				}
			}
			if orphans, _ := st.Orphans(ctx); len(orphans) != 0 {
				t.Errorf("orphans: %v", orphans)
			}
		})
	}
}

// TestRetainCrash kills Retain at each bucket mutation; the next run
// completes the work and leaves no orphan.
func TestRetainCrash(t *testing.T) {
	opts := RetainOptions{CompactedRetention: -1, OlderThan: time.Since(base.Add(time.Hour))}
	cb, clean := crashBucket(testbuckets.OpenURL(t, "mem://"), 0)
	cst := blocks.NewStore(cb, "tenant-a")
	writeBlocks(t, cst, 2)
	before := clean.Mutations()
	if _, err := Retain(context.Background(), cst, opts); err != nil {
		t.Fatal(err)
	}
	steps := clean.Mutations() - before
	for i := 0; i < steps; i++ {
		ctx := context.Background()
		inner := testbuckets.OpenURL(t, "mem://")
		st := blocks.NewStore(inner, "tenant-a")
		writeBlocks(t, st, 2)
		cb, _ := crashBucket(inner, i+1)
		crashed := blocks.NewStore(cb, "tenant-a")
		if _, err := Retain(ctx, crashed, opts); !errors.Is(err, errCrashed) {
			t.Fatalf("step %d: %v, want the crash", i+1, err)
		}
		if _, err := Retain(ctx, st, opts); err != nil {
			t.Fatalf("step %d: next run: %v", i+1, err)
		}
		if keys := listAll(t, inner); len(keys) != 0 {
			t.Errorf("step %d: left %v", i+1, keys)
		}
	}
}

// TestRetainKeepsInvertedRange: a block whose meta.json ends before it
// starts (a span time past 2262 wrapped to 1969 by an old writer) has no
// known age: retain keeps it and reports it, whatever the cutoff.
func TestRetainKeepsInvertedRange(t *testing.T) {
	ctx := context.Background()
	st := blocks.NewStore(testbuckets.Open(t, testbuckets.Mem).Bucket(t), "tenant-a")
	writeBlocks(t, st, 2)
	metas, err := st.Blocks(ctx)
	if err != nil || len(metas) != 2 {
		t.Fatalf("blocks: %v %v", metas, err)
	}
	bad := metas[1]
	bad.EndTime = time.Unix(0, -1).UTC().Truncate(time.Second)
	raw, err := bad.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Bucket().WriteAll(ctx, "tenant-a/"+bad.BlockID.String()+"/meta.json", raw, nil); err != nil {
		t.Fatal(err)
	}
	res, err := Retain(ctx, st, RetainOptions{OlderThan: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Kept) != 1 || res.Kept[0].BlockID != bad.BlockID || len(res.Marked) != 1 || res.Marked[0].BlockID != metas[0].BlockID {
		t.Errorf("marked %v, kept %v; want the good old block marked and the inverted one kept", res.Marked, res.Kept)
	}
}
