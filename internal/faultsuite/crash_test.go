package faultsuite

import (
	"context"
	"errors"
	"fmt"
	"path"
	"testing"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/compact"
	"github.com/tracectl/tracectl/internal/blobtest"
)

// mutations runs j once on a fresh tenant and returns its bucket
// mutations in order: the steps the crash and interleaving tests
// enumerate.
func mutations(t *testing.T, j job) []blobtest.Op {
	t.Helper()
	st := newStore(t)
	j.setup(t, st)
	c := &blobtest.Crash{}
	w := blocks.NewStore(blobtest.Wrap(st.Bucket(), blobtest.Hooks{Before: c.Before}), tenant)
	if err := j.run(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	steps := c.Log()
	if len(steps) < 5 {
		t.Fatalf("%s: only %d mutations: %v", j.name, len(steps), steps)
	}
	return steps
}

func stepName(i int, op blobtest.Op) string {
	return fmt.Sprintf("%02d %s %s", i+1, op.Kind, path.Base(op.Key))
}

// TestKillAtEveryStep kills each job at each of its bucket mutations in
// turn (that one and every later one fail, as when the process dies; no
// clean-up runs) and checks: right after the kill every read sees each
// span exactly once (an ingest's new spans and retain's expired ones at
// most once) and no block is damaged; after the job runs again and a
// compaction clears what the kill left, reads see what an uninterrupted
// run leaves, each span stored once, verify clean and no orphan left.
// The short form kills at every third step.
func TestKillAtEveryStep(t *testing.T) {
	for _, j := range jobs {
		t.Run(j.name, func(t *testing.T) {
			t.Parallel()
			steps := mutations(t, j)
			for i, step := range steps {
				if !sample(i, len(steps), 3) {
					continue
				}
				t.Run(stepName(i, step), func(t *testing.T) {
					killAt(t, j, i+1)
				})
			}
		})
	}
}

func killAt(t *testing.T, j job, k int) {
	ctx := context.Background()
	st := newStore(t)
	during, done := j.setup(t, st)
	c := &blobtest.Crash{}
	c.At(k)
	killed := blocks.NewStore(blobtest.Wrap(st.Bucket(), blobtest.Hooks{Before: c.Before}), tenant)
	if err := j.run(ctx, killed); !errors.Is(err, blobtest.ErrCrashed) {
		t.Fatalf("run = %v, want the injected crash", err)
	}
	got, err := readSpans(ctx, blocks.NewStore(st.Bucket(), tenant))
	if err != nil {
		t.Fatalf("read after the kill: %v", err)
	}
	if err := during.check(got); err != nil {
		t.Fatalf("read after the kill:\n%v", err)
	}
	rep, err := st.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range rep.Blocks {
		if len(b.Problems) > 0 {
			t.Fatalf("verify after the kill: block %s: %v", b.BlockID, b.Problems)
		}
	}

	// Run again, then clear the leftovers as the cron does (no delays).
	if err := j.run(ctx, st); err != nil {
		t.Fatalf("run again: %v", err)
	}
	if j.rerunStoresOnce {
		stored, err := storedSpans(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		if err := done.check(stored); err != nil {
			t.Fatalf("stored after the second run, before compaction:\n%v", err)
		}
	}
	if _, err := compact.Run(ctx, st, compact.Options{CompactedRetention: -1, OrphanGrace: -1, Concurrency: 1, MaxInputs: 2}); err != nil {
		t.Fatalf("compact after: %v", err)
	}
	got, err = readSpans(ctx, blocks.NewStore(st.Bucket(), tenant))
	if err != nil {
		t.Fatalf("read after the second run: %v", err)
	}
	if err := done.check(got); err != nil {
		t.Fatalf("read after the second run:\n%v", err)
	}
	if j.onceStored {
		stored, err := storedSpans(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		// Blocks that are not merged (redacted and not) each keep
		// their copy of the shared roots.
		for k, n := range stored {
			if k.sharedRoot() && n > 1 {
				stored[k] = 1
			}
		}
		if err := done.check(stored); err != nil {
			t.Fatalf("stored after the second run:\n%v", err)
		}
	}
	if j.stored != nil {
		if err := j.stored(ctx, st); err != nil {
			t.Fatalf("after the second run: %v", err)
		}
	}
	if rep, err := st.Verify(ctx); err != nil || !rep.OK() {
		t.Fatalf("verify after the second run: %+v %v", rep, err)
	}
	if comp, _ := st.CompactedBlocks(ctx); len(comp) != 0 {
		t.Fatalf("%d compacted blocks left", len(comp))
	}
}
