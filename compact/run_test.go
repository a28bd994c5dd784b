package compact

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gocloud.dev/blob"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/blocks/column/columntest"
	"github.com/tracectl/tracectl/internal/blobtest"
	"github.com/tracectl/tracectl/internal/testbuckets"
	"github.com/tracectl/tracectl/model"
)

// TestRun compacts on every storage backend: 6 blocks in one window with
// MaxInputs 4 give one level-1 block of 4 inputs, the next run merges the
// rest, and every span is stored and read exactly once.
func TestRun(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := blocks.NewStore(open(t), "tenant-a")
			want := writeBlocks(t, st, 6)

			dry, err := Run(ctx, st, Options{DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(dry.Groups) != 2 || len(dry.Groups[0].Inputs) != 4 || len(dry.Groups[1].Inputs) != 2 || len(dry.Outputs) != 0 {
				t.Fatalf("dry run: %d groups, %d outputs", len(dry.Groups), len(dry.Outputs))
			}
			if metas, _ := st.Blocks(ctx); len(metas) != 6 {
				t.Fatalf("dry run changed the bucket: %d blocks", len(metas))
			}

			// Both groups merge at once.
			res, err := Run(ctx, st, Options{CompactedRetention: -1, Concurrency: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Outputs) != 2 || res.Outputs[0].Meta.CompactionLevel != 1 || res.Outputs[1].Meta.CompactionLevel != 1 {
				t.Fatalf("first run: %d outputs", len(res.Outputs))
			}
			if len(res.Deleted) != 6 {
				t.Errorf("deleted %d compacted blocks, want 6", len(res.Deleted))
			}
			if err := exactlyOnce(want, readSpans(t, st)); err != nil {
				t.Fatal(err)
			}
			// The shared traces are in both level-1 blocks; the next run
			// merges them into one level-2 block.
			res, err = Run(ctx, st, Options{CompactedRetention: -1})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Outputs) != 1 || res.Outputs[0].Meta.CompactionLevel != 2 {
				t.Fatalf("second run: %d outputs", len(res.Outputs))
			}
			if got, want := res.Outputs[0].Traces, 6*20+5; got != want {
				t.Errorf("output has %d traces, want %d", got, want)
			}
			if metas, _ := st.Blocks(ctx); len(metas) != 1 {
				t.Fatalf("%d live blocks, want 1", len(metas))
			}
			if err := exactlyOnce(want, diskSpans(t, st)); err != nil {
				t.Fatalf("on disk: %v", err)
			}
			if err := exactlyOnce(want, readSpans(t, st)); err != nil {
				t.Fatal(err)
			}
			rep, err := st.Verify(ctx)
			if err != nil || !rep.OK() {
				t.Fatalf("verify: %+v %v", rep, err)
			}
			if comp, _ := st.CompactedBlocks(ctx); len(comp) != 0 {
				t.Errorf("%d compacted blocks left", len(comp))
			}
		})
	}
}

// TestRetentionDelay keeps compacted blocks until CompactedRetention has
// passed.
func TestRetentionDelay(t *testing.T) {
	ctx := context.Background()
	st := blocks.NewStore(testbuckets.OpenURL(t, "mem://"), "tenant-a")
	writeBlocks(t, st, 2)
	now := time.Now()
	clock := func() time.Time { return now }
	if _, err := Run(ctx, st, Options{Now: clock}); err != nil {
		t.Fatal(err)
	}
	if comp, _ := st.CompactedBlocks(ctx); len(comp) != 2 {
		t.Fatalf("%d compacted blocks, want 2 kept for an hour", len(comp))
	}
	now = now.Add(2 * time.Hour)
	res, err := Run(ctx, st, Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Deleted) != 2 {
		t.Fatalf("deleted %d, want 2", len(res.Deleted))
	}
	if keys := listAll(t, st.Bucket()); len(keys) != 5 { // one block: rewrite.json, data, bloom-0, index, meta.json
		t.Fatalf("objects left: %v", keys)
	}
}

func listAll(t *testing.T, b *blob.Bucket) []string {
	t.Helper()
	var keys []string
	it := b.List(nil)
	for {
		o, err := it.Next(context.Background())
		if err != nil {
			break
		}
		keys = append(keys, o.Key)
	}
	return keys
}

// TestCrashAtEveryStep kills a compaction at each of its bucket mutations
// in turn (the output's rewrite.json, data, bloom, index and meta.json;
// each input's meta.compacted.json and meta.json delete; the deletion of
// the compacted inputs) and checks that every span is readable exactly
// once right after the crash, and, after the next run, also stored
// exactly once, with no compacted block or orphan left.
func TestCrashAtEveryStep(t *testing.T) {
	const inputs = 3
	// A clean run counts the mutations.
	cb, clean := crashBucket(testbuckets.OpenURL(t, "mem://"), 0)
	cst := blocks.NewStore(cb, "tenant-a")
	writeBlocks(t, cst, inputs)
	before := clean.Mutations()
	if _, err := Run(context.Background(), cst, Options{CompactedRetention: -1}); err != nil {
		t.Fatal(err)
	}
	steps := clean.Log()[before:]
	if len(steps) < 10 {
		t.Fatalf("only %d mutations: %v", len(steps), steps)
	}
	for i, step := range steps {
		t.Run(fmt.Sprintf("%02d %s %s", i+1, step.Kind, path.Base(step.Key)), func(t *testing.T) {
			ctx := context.Background()
			inner := testbuckets.OpenURL(t, "mem://")
			st := blocks.NewStore(inner, "tenant-a")
			want := writeBlocks(t, st, inputs)
			cb, _ := crashBucket(inner, i+1)
			crashed := blocks.NewStore(cb, "tenant-a")
			if _, err := Run(ctx, crashed, Options{CompactedRetention: -1}); !errors.Is(err, errCrashed) {
				t.Fatalf("run = %v, want the injected crash", err)
			}
			if err := exactlyOnce(want, readSpans(t, st)); err != nil {
				t.Fatalf("after the crash: %v", err)
			}
			res, err := Run(ctx, st, Options{CompactedRetention: -1})
			if err != nil {
				t.Fatalf("next run: %v", err)
			}
			if err := exactlyOnce(want, readSpans(t, st)); err != nil {
				t.Fatalf("after the next run: %v", err)
			}
			if err := exactlyOnce(want, diskSpans(t, st)); err != nil {
				t.Fatalf("stored after the next run (%+v): %v", res, err)
			}
			if comp, _ := st.CompactedBlocks(ctx); len(comp) != 0 {
				t.Errorf("%d compacted blocks left", len(comp))
			}
			if orphans, _ := st.Orphans(ctx); len(orphans) != 0 {
				t.Errorf("orphans left: %v", orphans)
			}
			if metas, _ := st.Blocks(ctx); len(metas) != 1 {
				t.Errorf("%d live blocks, want 1", len(metas))
			}
		})
	}
}

// TestOverlappingRuns runs two compactions at once on the same blocks, a
// few times: every span stays readable exactly once, and later runs leave
// it stored exactly once.
func TestOverlappingRuns(t *testing.T) {
	for round := 0; round < 5; round++ {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			ctx := context.Background()
			st := blocks.NewStore(testbuckets.OpenURL(t, "mem://"), "tenant-a")
			want := writeBlocks(t, st, 8)
			var wg sync.WaitGroup
			errs := make([]error, 2)
			outputs := make([]int, 2)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := Run(ctx, st, Options{})
					errs[i], outputs[i] = err, len(res.Outputs)
				}()
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			// 8 blocks make 2 groups: more than 2 outputs means both runs
			// merged the same inputs.
			t.Logf("outputs of the two runs: %v", outputs)
			if err := exactlyOnce(want, readSpans(t, st)); err != nil {
				t.Fatalf("after two overlapping runs: %v", err)
			}
			for i := 0; i < 4; i++ {
				if _, err := Run(ctx, st, Options{MaxInputs: 8}); err != nil {
					t.Fatal(err)
				}
			}
			if err := exactlyOnce(want, readSpans(t, st)); err != nil {
				t.Fatalf("after more runs: %v", err)
			}
			if err := exactlyOnce(want, diskSpans(t, st)); err != nil {
				metas, _ := st.Blocks(ctx)
				t.Fatalf("stored after more runs (%d blocks): %v", len(metas), err)
			}
		})
	}
}

// TestMarkKept merges blocks a redaction rewrote and keeps its mark on the
// output, so redact with the same rules skips it instead of hashing twice;
// an unmarked block of the same window is not merged with them.
func TestMarkKept(t *testing.T) {
	ctx := context.Background()
	st := blocks.NewStore(testbuckets.OpenURL(t, "mem://"), "tenant-a")
	for b := 0; b < 3; b++ {
		mark := "redact-digest"
		if b == 2 {
			mark = ""
		}
		if _, err := st.WriteBlock(ctx, blockTraces(b, 5), blocks.WriteOptions{Mark: mark}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Run(ctx, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outputs) != 1 || len(res.Outputs[0].Group.Inputs) != 2 {
		t.Fatalf("outputs: %d", len(res.Outputs))
	}
	p, err := st.Provenance(ctx, res.Outputs[0].Meta.BlockID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Mark != "redact-digest" || len(p.CompactedFrom) != 2 {
		t.Fatalf("output provenance %+v", p)
	}
	rw, err := st.Rewrite(ctx, func(*model.Trace) (bool, error) { return true, nil }, blocks.RewriteOptions{Mark: "redact-digest", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if rw.Skipped != 1 || len(rw.Rewritten) != 1 {
		t.Fatalf("redact would skip %d and rewrite %d blocks, want 1 and 1 (the unmarked one)", rw.Skipped, len(rw.Rewritten))
	}
}

// TestInProgressOutputKept: an overlapping run's output still being
// written (no meta.json yet, its inputs live) is not taken for an
// abandoned one, even with no retention delay.
func TestInProgressOutputKept(t *testing.T) {
	ctx := context.Background()
	st := blocks.NewStore(testbuckets.OpenURL(t, "mem://"), "tenant-a")
	writeBlocks(t, st, 1)
	metas, err := st.Blocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w, err := blocks.NewBlockWriter(ctx, st, blocks.WriteOptions{CompactedFrom: []uuid.UUID{metas[0].BlockID}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	res, err := Run(ctx, st, Options{CompactedRetention: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Orphans) != 0 {
		t.Fatalf("deleted %v", res.Orphans)
	}
	if p, err := st.Provenance(ctx, w.BlockID()); err != nil || len(p.CompactedFrom) != 1 {
		t.Fatalf("in-progress output damaged: %+v %v", p, err)
	}
}

// TestDamagedBlockLeftOut damages one input of a planned group, in its
// footer (found when planning) or inside a page (found by the merge): the
// run merges the others, leaves the damaged block live, unchanged and
// unread, names it, finishes the other groups, leaves no partial output
// and loses no span of the good blocks.
func TestDamagedBlockLeftOut(t *testing.T) {
	for _, tc := range []struct {
		name      string
		damage    func(t *testing.T, data []byte) []byte
		maxInputs int
		// the good inputs merged, and the blocks left live besides the
		// output (the damaged one included)
		merged, live int
	}{
		{"footer", notParquet, 4, 3, 1},
		{"page", flipPage, 4, 3, 1},
		{"footer, two groups", notParquet, 2, 2, 2},
		{"page, two groups", flipPage, 2, 2, 2},
		{"schema", schemaDamage, 4, 3, 1},
		{"schema, two groups", schemaDamage, 2, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			b, st, bad, damaged := damagedStore(t, tc.damage)
			badN := int(bad.MinID[1]) // test block badN (blockTraces)
			key := "tenant-a/" + bad.BlockID.String() + "/data.parquet"
			// The spans of the good blocks; the damaged block's own may be
			// read up to its damage.
			want, partial := map[spanKey]bool{}, map[spanKey]bool{}
			for b := range 4 {
				for _, tr := range blockTraces(b, 20) {
					tr.Spans(func(r model.SpanRef) bool {
						k := spanKey{tr.TraceID, r.Span.SpanID, r.Span.Kind}
						if b == badN && !want[k] {
							partial[k] = true
						} else {
							want[k] = true
							delete(partial, k)
						}
						return true
					})
				}
			}

			res, err := Run(ctx, st, Options{CompactedRetention: -1, OrphanGrace: time.Hour, MaxInputs: tc.maxInputs, Concurrency: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Outputs) != 1 || len(res.Outputs[0].Group.Inputs) != tc.merged {
				t.Fatalf("%d outputs, want one merge of %d good blocks", len(res.Outputs), tc.merged)
			}
			if len(res.Groups) != 1 || res.Groups[0].Inputs[0].BlockID != res.Outputs[0].Group.Inputs[0].BlockID {
				t.Fatalf("groups %+v: want the one merged", res.Groups)
			}
			for _, in := range res.Outputs[0].Group.Inputs {
				if in.BlockID == bad.BlockID {
					t.Fatal("the damaged block was merged")
				}
			}
			if n, kept := liveBlocks(t, st, bad.BlockID); n != 1+tc.live || !kept {
				t.Fatalf("%d live blocks (damaged one kept: %v), want the output and %d others", n, kept, tc.live)
			}
			if data, err := b.ReadAll(ctx, key); err != nil || !bytes.Equal(data, damaged) {
				t.Fatalf("the damaged object changed: %v", err)
			}
			if orphans, err := st.Orphans(ctx); err != nil || len(orphans) > 0 {
				t.Fatalf("an aborted output was left: %v %v", orphans, err)
			}
			got := readSpans(t, blocks.NewStore(b, "tenant-a"))
			for k, n := range got {
				if partial[k] && n == 1 {
					delete(got, k)
				}
			}
			if err := exactlyOnce(want, got); err != nil {
				t.Fatal(err)
			}
			if d := st.Damaged(); len(d) != 1 || !strings.Contains(d[0].Error(), bad.BlockID.String()) {
				t.Fatalf("damaged: %v", d)
			}
		})
	}
}

// damagedStore writes 4 blocks to a mem:// bucket and damages the
// data.parquet of the third (bad) with damage, which returns the bytes.
func damagedStore(t *testing.T, damage func(t *testing.T, data []byte) []byte) (b *blob.Bucket, st *blocks.Store, bad blocks.Meta, damaged []byte) {
	t.Helper()
	ctx := context.Background()
	b = testbuckets.OpenURL(t, "mem://")
	st = blocks.NewStore(b, "tenant-a")
	writeBlocks(t, st, 4)
	metas, err := st.Blocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bad = metas[2]
	key := "tenant-a/" + bad.BlockID.String() + "/data.parquet"
	data, err := b.ReadAll(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	damaged = damage(t, data)
	if err := b.WriteAll(ctx, key, damaged, nil); err != nil {
		t.Fatal(err)
	}
	return b, st, bad, damaged
}

// notParquet replaces a data.parquet.
func notParquet(*testing.T, []byte) []byte { return []byte("not parquet") }

// schemaDamage renames the footer's "TraceID" schema element: every thrift
// length still holds, so the footer checks made without decoding pass
// (column.CheckFooter is exact), but the file is no trace block.
func schemaDamage(t *testing.T, data []byte) []byte {
	d := append([]byte(nil), data...)
	n := int(binary.LittleEndian.Uint32(d[len(d)-8:]))
	footer := d[len(d)-8-n : len(d)-8]
	i := bytes.Index(footer, []byte("TraceID"))
	if i < 0 {
		t.Fatal("no TraceID in the footer")
	}
	footer[i] = 'X'
	if exact, err := column.CheckFooter(bytes.NewReader(d), int64(len(d))); err != nil || !exact {
		t.Fatalf("CheckFooter = %v, %v; want an exact footer", exact, err)
	}
	return d
}

// TestDryRunLeavesOutDamaged: a dry run plans without a block whose footer
// does not open, and names it, whether the footer's lengths are damaged or
// only its decoding fails (a real run finds the latter in its merge).
func TestDryRunLeavesOutDamaged(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, data []byte) []byte
	}{{"footer", notParquet}, {"schema", schemaDamage}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			_, st, bad, _ := damagedStore(t, tc.damage)
			res, err := Run(ctx, st, Options{CompactedRetention: -1, OrphanGrace: time.Hour, MaxInputs: 4, DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Groups) != 1 || len(res.Groups[0].Inputs) != 3 {
				inputs := 0
				for _, g := range res.Groups {
					inputs += len(g.Inputs)
				}
				t.Fatalf("%d groups of %d inputs: want one of the 3 good blocks", len(res.Groups), inputs)
			}
			for _, in := range res.Groups[0].Inputs {
				if in.BlockID == bad.BlockID {
					t.Fatal("the damaged block is planned")
				}
			}
			if d := st.Damaged(); len(d) != 1 || !strings.Contains(d[0].Error(), bad.BlockID.String()) {
				t.Fatalf("damaged: %v, want %s named", d, bad.BlockID)
			}
		})
	}
}

// flipPage damages the payload of a page in the middle of a data.parquet
// (its footer intact: only reading the page finds it).
func flipPage(t *testing.T, data []byte) []byte {
	regions := columntest.PagePayloads(t, data)
	r := regions[len(regions)/2]
	return columntest.Damage(data, [][2]int{r}, 0, 0x5a, r[1]-r[0])
}

// TestLeftoversDeletedAfterGrace leaves in the bucket what killed writers
// leave (a temporary data.parquet of an ingest, a data.parquet and bloom
// without meta.json, an output of a compaction whose input is still
// live), and checks that Run keeps them while they are younger than
// OrphanGrace and deletes them, and nothing else, after it.
func TestLeftoversDeletedAfterGrace(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b := testbuckets.OpenURL(t, "file://"+dir)
	st := blocks.NewStore(b, "tenant-a")
	want := writeBlocks(t, st, 1)
	metas, err := st.Blocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	killedIngest := uuid.New()
	if err := os.MkdirAll(filepath.Join(dir, "tenant-a", killedIngest.String()), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tenant-a", killedIngest.String(), "data.parquet.18edbc4efcdcb687.tmp"), []byte("PAR1 half a file"), 0o644); err != nil {
		t.Fatal(err)
	}
	noMeta := uuid.New()
	for _, name := range []string{"data.parquet", "bloom-0"} {
		if err := b.WriteAll(ctx, "tenant-a/"+noMeta.String()+"/"+name, []byte("x"), nil); err != nil {
			t.Fatal(err)
		}
	}
	w, err := blocks.NewBlockWriter(ctx, st, blocks.WriteOptions{CompactedFrom: []uuid.UUID{metas[0].BlockID}})
	if err != nil {
		t.Fatal(err)
	}
	w.Abort()
	abandoned := w.BlockID()
	_ = b.WriteAll(ctx, "tenant-a/"+abandoned.String()+"/data.parquet", []byte("x"), nil)

	for _, tc := range []struct {
		after time.Duration
		want  int
	}{{30 * time.Minute, 0}, {2 * time.Hour, 3}} {
		now := func() time.Time { return time.Now().Add(tc.after) }
		// A dry run lists what the run then deletes, and deletes nothing.
		dry, res := dryThenRun(t, st, Options{Now: now, CompactedRetention: 24 * time.Hour})
		if len(res.Orphans) != tc.want {
			t.Fatalf("%v later: deleted %v, want %d leftovers", tc.after, res.Orphans, tc.want)
		}
		if !sameIDs(dry.Orphans, res.Orphans) {
			t.Errorf("%v later: the dry run listed %v, the run deleted %v", tc.after, dry.Orphans, res.Orphans)
		}
	}
	orphans, err := st.Orphans(ctx)
	if err != nil || len(orphans) != 0 {
		t.Fatalf("left: %v %v", orphans, err)
	}
	for _, id := range []uuid.UUID{killedIngest, noMeta, abandoned} {
		_ = filepath.WalkDir(filepath.Join(dir, "tenant-a", id.String()), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				t.Errorf("file %s left on disk", p)
			}
			return nil
		})
	}
	if err := exactlyOnce(want, readSpans(t, st)); err != nil {
		t.Fatal(err)
	}
	rep, err := st.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

// TestDefaultMerges: without --concurrency, compaction runs more merges
// than cores on an object store when every group is small (its merges wait
// on requests), and one per core otherwise.
func TestDefaultMerges(t *testing.T) {
	cores := runtime.GOMAXPROCS(0)
	group := func(sizes ...uint64) Group {
		var g Group
		for _, s := range sizes {
			g.metas = append(g.metas, blocks.Meta{Size: s})
		}
		return g
	}
	small := []Group{group(100<<10, 200<<10), group(1 << 20)}
	large := append(slices.Clone(small), group(6<<20, 6<<20))
	remote := blocks.NewStore(testbuckets.OpenURL(t, "mem://"), "tenant-a")
	local := blocks.NewStore(testbuckets.OpenURL(t, "file://"+t.TempDir()), "tenant-a")
	for _, tc := range []struct {
		name   string
		st     *blocks.Store
		groups []Group
		want   int
	}{
		{"object store, small groups", remote, small, max(cores, blocks.SmallRemoteWrites)},
		{"object store, a large group", remote, large, cores},
		{"local directory, small groups", local, small, cores},
	} {
		if got := defaultMerges(tc.st, tc.groups); got != tc.want {
			t.Errorf("%s: %d merges, want %d", tc.name, got, tc.want)
		}
	}
}

// TestRequestsOverlap: the blocks compact and retain change are changed
// with their requests overlapping (each is a round trip on an object
// store): a merge's inputs retired, expired blocks retired, compacted
// blocks deleted; one at a time with Concurrency 1. Either way every span
// is read once after a compaction.
func TestRequestsOverlap(t *testing.T) {
	ctx := context.Background()
	defer blocks.SetTimeSlack(10 * time.Millisecond)()
	later := func() time.Time { return time.Now().Add(2 * time.Hour) }
	for _, tc := range []struct {
		name    string
		deletes string // the object whose deletions are counted
		run     func(st *blocks.Store) error
		overlap bool
	}{
		{"compact", "meta.json", func(st *blocks.Store) error {
			res, err := Run(ctx, st, Options{MaxInputs: 4})
			if err == nil && len(res.Outputs) != 1 {
				err = fmt.Errorf("%d outputs, want 1", len(res.Outputs))
			}
			return err
		}, true},
		{"compact, one merge at a time", "meta.json", func(st *blocks.Store) error {
			_, err := Run(ctx, st, Options{MaxInputs: 4, Concurrency: 1})
			return err
		}, false},
		{"retain", "meta.json", func(st *blocks.Store) error {
			res, err := Retain(ctx, st, RetainOptions{OlderThan: time.Nanosecond})
			if err == nil && len(res.Marked) != 4 {
				err = fmt.Errorf("%d retired, want 4", len(res.Marked))
			}
			return err
		}, true},
		{"retain, deletions", "meta.compacted.json", func(st *blocks.Store) error {
			if _, err := Retain(ctx, st, RetainOptions{OlderThan: time.Nanosecond}); err != nil {
				return err
			}
			res, err := Retain(ctx, st, RetainOptions{OlderThan: time.Nanosecond, Now: later})
			if err == nil && len(res.Deleted) != 4 {
				err = fmt.Errorf("%d deleted, want 4", len(res.Deleted))
			}
			return err
		}, true},
	} {
		var mu sync.Mutex
		var inFlight, most int
		counted := func(op blobtest.Op) bool {
			return op.Kind == blobtest.Delete && path.Base(op.Key) == tc.deletes
		}
		hooks := blobtest.Hooks{
			Before: func(op blobtest.Op) error {
				if counted(op) {
					mu.Lock()
					inFlight++
					most = max(most, inFlight)
					mu.Unlock()
					time.Sleep(20 * time.Millisecond) // a round trip
				}
				return nil
			},
			After: func(op blobtest.Op, err error) error {
				if counted(op) {
					mu.Lock()
					inFlight--
					mu.Unlock()
				}
				return err
			},
		}
		st := blocks.NewStore(blobtest.Wrap(testbuckets.OpenURL(t, "mem://"), hooks), "tenant-a")
		want := writeBlocks(t, st, 4)
		if err := tc.run(st); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if strings.HasPrefix(tc.name, "compact") {
			if err := exactlyOnce(want, readSpans(t, st)); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
		}
		if tc.overlap && most < 2 || !tc.overlap && most != 1 {
			t.Errorf("%s: at most %d deletions of %s at once", tc.name, most, tc.deletes)
		}
	}
}

// dryThenRun runs a dry run, checks that it changed nothing in the
// bucket (live, compacted and orphaned blocks), then runs opts.
func dryThenRun(t *testing.T, st *blocks.Store, opts Options) (dry, res *Result) {
	t.Helper()
	ctx := context.Background()
	count := func() [3]int {
		live, err1 := st.Blocks(ctx)
		comp, err2 := st.CompactedBlocks(ctx)
		orphans, err3 := st.OrphanBlocks(ctx)
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatal(err)
		}
		return [3]int{len(live), len(comp), len(orphans)}
	}
	before := count()
	dryOpts := opts
	dryOpts.DryRun = true
	dry, err := Run(ctx, st, dryOpts)
	if err != nil {
		t.Fatal(err)
	}
	if after := count(); after != before {
		t.Fatalf("the dry run changed the bucket: live, compacted, orphaned blocks %v, then %v", before, after)
	}
	res, err = Run(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	return dry, res
}

// blockIDs returns the IDs of ms.
func blockIDs(ms []blocks.Meta) []uuid.UUID {
	out := []uuid.UUID{}
	for _, m := range ms {
		out = append(out, m.BlockID)
	}
	return out
}

// sameIDs reports whether a and b hold the same IDs in any order.
func sameIDs(a, b []uuid.UUID) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[uuid.UUID]int{}
	for _, id := range a {
		seen[id]++
	}
	for _, id := range b {
		if seen[id] == 0 {
			return false
		}
		seen[id]--
	}
	return true
}

// TestDryRunListsDeletions: a dry run lists the compacted blocks a run
// would delete now (past CompactedRetention), and the run deletes those.
func TestDryRunListsDeletions(t *testing.T) {
	ctx := context.Background()
	st := blocks.NewStore(testbuckets.OpenURL(t, "mem://"), "tenant-a")
	writeBlocks(t, st, 4)
	if _, err := Run(ctx, st, Options{CompactedRetention: 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		after time.Duration
		want  int
	}{{time.Hour, 0}, {25 * time.Hour, 4}} {
		now := func() time.Time { return time.Now().Add(tc.after) }
		dry, res := dryThenRun(t, st, Options{Now: now, CompactedRetention: 24 * time.Hour})
		if len(res.Deleted) != tc.want || !sameIDs(blockIDs(dry.Deleted), blockIDs(res.Deleted)) {
			t.Errorf("%v later: the dry run listed %v, the run deleted %v, want %d", tc.after, blockIDs(dry.Deleted), blockIDs(res.Deleted), tc.want)
		}
	}
}

// TestDryRunAfterMerges: a dry run judges deletions as the run does after
// its merges: with no retention the inputs it merges are deleted at once,
// and the output of a killed compaction of those inputs is kept as long
// as compacted blocks are, not deleted after the orphan grace, once they
// are merged.
func TestDryRunAfterMerges(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		retention                time.Duration
		wantDeleted, wantOrphans int
	}{{-1, 4, 1}, {24 * time.Hour, 0, 0}} {
		st := blocks.NewStore(testbuckets.OpenURL(t, "mem://"), "tenant-a")
		writeBlocks(t, st, 4)
		metas, err := st.Blocks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var inputs []uuid.UUID
		for _, m := range metas {
			inputs = append(inputs, m.BlockID)
		}
		// What a compaction killed before its meta.json leaves.
		killed := uuid.New()
		mark, err := json.Marshal(map[string]any{"compactedFrom": inputs})
		if err != nil {
			t.Fatal(err)
		}
		for name, data := range map[string][]byte{"rewrite.json": mark, "data.parquet": []byte("x")} {
			if err := st.Bucket().WriteAll(ctx, "tenant-a/"+killed.String()+"/"+name, data, nil); err != nil {
				t.Fatal(err)
			}
		}
		if p, err := st.Provenance(ctx, killed); err != nil || len(p.CompactedFrom) != 4 {
			t.Fatalf("provenance %+v, %v", p, err)
		}
		planned, res := dryThenRun(t, st, Options{Now: func() time.Time { return time.Now().Add(2 * time.Hour) }, CompactedRetention: tc.retention})
		if len(res.Deleted) != tc.wantDeleted || len(res.Orphans) != tc.wantOrphans {
			t.Fatalf("retention %v: the run deleted %d blocks and %d orphans, want %d and %d", tc.retention, len(res.Deleted), len(res.Orphans), tc.wantDeleted, tc.wantOrphans)
		}
		if !sameIDs(blockIDs(planned.Deleted), blockIDs(res.Deleted)) || !sameIDs(planned.Orphans, res.Orphans) {
			t.Errorf("retention %v: the dry run listed %v and %v, the run deleted %v and %v",
				tc.retention, blockIDs(planned.Deleted), planned.Orphans, blockIDs(res.Deleted), res.Orphans)
		}
	}
}
