package compact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gocloud.dev/blob"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/internal/testbuckets"
)

// listedMetas is what the block lists are without the tenant index: every
// block folder's meta.json (live) or meta.compacted.json (compacted) read.
func listedMetas(t *testing.T, b *blob.Bucket, tenant, name string) []blocks.Meta {
	t.Helper()
	ctx := context.Background()
	var out []blocks.Meta
	it := b.List(&blob.ListOptions{Prefix: tenant + "/", Delimiter: "/"})
	for {
		o, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := uuid.Parse(strings.TrimSuffix(path.Base(o.Key), "/")); !o.IsDir || err != nil {
			continue
		}
		data, err := b.ReadAll(ctx, o.Key+name)
		if err != nil {
			continue
		}
		var m blocks.Meta
		if err := m.UnmarshalJSON(data); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// sameBlocks checks the store's block lists against listedMetas.
func sameBlocks(t *testing.T, st *blocks.Store) {
	t.Helper()
	ctx := context.Background()
	byID := func(ms []blocks.Meta) map[uuid.UUID]blocks.Meta {
		out := map[uuid.UUID]blocks.Meta{}
		for _, m := range ms {
			out[m.BlockID] = m
		}
		return out
	}
	live, err := st.Blocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	comp, err := st.CompactedBlocks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]blocks.Meta{"meta.json": live, "meta.compacted.json": comp} {
		want := listedMetas(t, st.Bucket(), st.Tenant(), name)
		if !reflect.DeepEqual(byID(got), byID(want)) || len(got) != len(want) {
			t.Errorf("%s: the store lists %d blocks, the bucket holds %d:\n%v\n%v", name, len(got), len(want), got, want)
		}
	}
}

// TestCrashWithTenantIndex kills a compaction followed by the index
// update (what `tracectl compact` does) at each bucket mutation, on a
// local bucket whose index was fresh before the run: right after the
// crash and after the next run, the block lists are those of the bucket
// and every span is read exactly once.
func TestCrashWithTenantIndex(t *testing.T) {
	const inputs = 3
	ctx := context.Background()
	// The bucket is a local directory (exact times) behind a wrapper, so
	// the store takes it for an object store: WriteIndex would wait a
	// second after each run for the blocks it wrote.
	t.Cleanup(blocks.SetTimeSlack(10 * time.Millisecond))
	run := func(st *blocks.Store) error {
		_, err := Run(ctx, st, Options{CompactedRetention: -1})
		return errors.Join(err, st.WriteIndex(ctx))
	}
	setup := func(t *testing.T) (*blob.Bucket, map[spanKey]bool) {
		inner := testbuckets.OpenURL(t, "file://"+t.TempDir())
		st := blocks.NewStore(inner, "tenant-a")
		want := writeBlocks(t, st, inputs)
		time.Sleep(20 * time.Millisecond) // older than the index, beyond the file system's time granularity
		if err := st.WriteIndex(ctx); err != nil {
			t.Fatal(err)
		}
		return inner, want
	}
	inner, _ := setup(t)
	cb, clean := crashBucket(inner, 0)
	if err := run(blocks.NewStore(cb, "tenant-a")); err != nil {
		t.Fatal(err)
	}
	steps := clean.Log()
	if len(steps) < 10 || !strings.HasSuffix(steps[len(steps)-1].Key, "index.json.gz") {
		t.Fatalf("mutations: %v", steps)
	}
	for i, step := range steps {
		t.Run(fmt.Sprintf("%02d %s %s", i+1, step.Kind, path.Base(step.Key)), func(t *testing.T) {
			inner, want := setup(t)
			st := blocks.NewStore(inner, "tenant-a")
			cb, _ := crashBucket(inner, i+1)
			if err := run(blocks.NewStore(cb, "tenant-a")); !errors.Is(err, errCrashed) {
				t.Fatalf("run = %v, want the injected crash", err)
			}
			sameBlocks(t, st)
			if err := exactlyOnce(want, readSpans(t, st)); err != nil {
				t.Fatalf("after the crash: %v", err)
			}
			if err := run(st); err != nil {
				t.Fatalf("next run: %v", err)
			}
			sameBlocks(t, st)
			if err := exactlyOnce(want, readSpans(t, st)); err != nil {
				t.Fatalf("after the next run: %v", err)
			}
			if metas, _ := st.Blocks(ctx); len(metas) != 1 {
				t.Errorf("%d live blocks, want 1", len(metas))
			}
		})
	}
}

// TestTenantIndexBackends: on every storage backend, an index written
// before blocks were retired, deleted and added changes no block list,
// and the index written afterwards is read back (the LIST path with its
// one-second granularity, or a local directory).
func TestTenantIndexBackends(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := blocks.NewStore(open(t), "tenant-a")
			writeBlocks(t, st, 4)
			metas, err := st.Blocks(ctx)
			if err != nil || len(metas) != 4 {
				t.Fatalf("blocks %v, %v", metas, err)
			}
			// WriteIndex waits until these blocks are older than the
			// index, as a listing tells.
			if err := st.WriteIndex(ctx); err != nil {
				t.Fatal(err)
			}
			sameBlocks(t, st)
			if err := st.MarkCompacted(ctx, metas[0].BlockID); err != nil {
				t.Fatal(err)
			}
			if err := st.DeleteBlock(ctx, metas[1].BlockID); err != nil {
				t.Fatal(err)
			}
			writeBlocks(t, st, 1)
			sameBlocks(t, st)
			if err := st.WriteIndex(ctx); err != nil {
				t.Fatal(err)
			}
			sameBlocks(t, st)
			if ok, err := st.Bucket().Exists(ctx, "tenant-a/index.json.gz"); !ok || err != nil {
				t.Fatalf("index.json.gz: %v, %v", ok, err)
			}
		})
	}
}
