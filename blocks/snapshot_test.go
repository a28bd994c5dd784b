package blocks

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tracectl/tracectl/blocks/tenantindex"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// TestReadDuringCompaction: a compaction that writes its block and retires
// the originals between a reader's listing and its look at the metas
// (listFoldersHook) loses no trace and duplicates none, for every read
// path, on an object store and on a local directory; a block retired
// before the listing is not read again.
func TestReadDuringCompaction(t *testing.T) {
	ctx := context.Background()
	fileStore := func(t *testing.T) *Store {
		b, err := OpenBucket(ctx, "file://"+t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return NewStore(b, "tenant-a")
	}
	// Object stores' modification times are to the second; mem:// has
	// exact ones, so a shorter wait before listing again keeps the test fast.
	old := storeTimeSlack
	storeTimeSlack = 20 * time.Millisecond
	defer func() { storeTimeSlack = old }()
	for name, open := range map[string]func(*testing.T) *Store{"mem": func(t *testing.T) *Store { return memStore(t) }, "file": fileStore} {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			a, b := syntheticTraces(30, 1, 1e18), syntheticTraces(20, 2, 1e18)
			ma, err := s.WriteBlock(ctx, a, WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			mb, err := s.WriteBlock(ctx, b, WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			all := append(append([]*model.Trace{}, a...), b...)
			model.SortTraces(all)
			spans := 0
			for _, tr := range all {
				spans += tr.SpanCount()
			}
			compacted := false
			compact := func() {
				if compacted {
					return
				}
				compacted = true
				if _, err := s.WriteBlock(ctx, all, WriteOptions{}); err != nil {
					t.Fatal(err)
				}
				for _, m := range []Meta{ma, mb} {
					if err := s.MarkCompacted(ctx, m.BlockID); err != nil {
						t.Fatal(err)
					}
				}
			}
			listFoldersHook = compact
			defer func() { listFoldersHook = nil }()

			it, err := s.Traces(ctx, store.Request{Unordered: true})
			if err != nil {
				t.Fatal(err)
			}
			got := readAllTraces(t, it)
			if len(got) != len(all) {
				t.Fatalf("scan during compaction: %d traces, want %d", len(got), len(all))
			}
			// Now the originals are retired and the new block is live.
			for _, c := range []struct {
				name string
				read func() (int, error)
			}{
				{"count", func() (int, error) {
					n, err := s.CountTraces(ctx, store.Request{Filter: &store.Filter{Cond: &store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpTrue}}}})
					return n.Traces, err
				}},
				{"ordered scan", func() (int, error) {
					it, err := s.Traces(ctx, store.Request{})
					if err != nil {
						return 0, err
					}
					return len(readAllTraces(t, it)), nil
				}},
			} {
				n, err := c.read()
				if err != nil || n != len(all) {
					t.Errorf("%s after compaction: %d traces (%v), want %d", c.name, n, err, len(all))
				}
			}
			tr, err := s.FindTrace(ctx, a[3].TraceID)
			if err != nil || tr.SpanCount() != a[3].SpanCount() {
				t.Errorf("trace get: %v", err)
			}
			// Retired blocks are not read once a listing is settled (a
			// retention must hide its blocks at once).
			if metas, err := s.readBlocks(ctx); err != nil || len(metas) != 1 {
				t.Errorf("after the compaction: %d blocks read (%v), want the new one", len(metas), err)
			}

			// A reader that listed before the compaction and looked after
			// it: the originals are read next to nothing else.
			compacted = false
			s = open(t)
			if ma, err = s.WriteBlock(ctx, a, WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			if mb, err = s.WriteBlock(ctx, b, WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			agg, err := s.AggregateSpans(ctx, store.Request{}, &store.AggregateSpec{Slots: 1, Slot: func(uint64) int { return 0 }})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, g := range agg.Groups {
				n += int(g.Count[0])
			}
			if n != spans {
				t.Errorf("aggregate during compaction: %d spans, want %d", n, spans)
			}
			if name != "file" {
				return
			}
			// Retired an hour before the listing: not read.
			listFoldersHook = nil
			for _, m := range []Meta{ma, mb} {
				p := filepath.Join(s.localTenantDir(), m.BlockID.String(), compactedMetaObject)
				old := time.Now().Add(-time.Hour)
				if err := os.Chtimes(p, old, old); err != nil {
					t.Fatal(err)
				}
			}
			metas, err := s.readBlocks(ctx)
			if err != nil || len(metas) != 1 {
				t.Errorf("with the originals retired an hour ago: %d blocks read (%v), want the new one", len(metas), err)
			}
		})
	}
}

// TestIndexCannotHideConcurrentRetirement: an index that calls a live
// block retired, and is old (hand-made, copied with its times), does not
// keep a reader from seeing that the block was retired while it listed:
// the compaction's block is found on the listing after (a review's case
// against a reader that trusted the index's word on retirements).
func TestIndexCannotHideConcurrentRetirement(t *testing.T) {
	ctx := context.Background()
	s := fileStore(t)
	a := syntheticTraces(10, 1, 1e18)
	ma, err := s.WriteBlock(ctx, a, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := ma
	c.CompactedTime = time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	raw, err := c.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	data, err := tenantindex.Encode(time.Now().Add(-time.Hour).UTC(), nil, []tenantindex.Entry{{Meta: &c, Raw: raw}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.put(ctx, joinKey(s.tenant, tenantindex.ObjectName), data); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(s.localTenantDir(), tenantindex.ObjectName), old, old); err != nil {
		t.Fatal(err)
	}
	done := false
	listFoldersHook = func() { // a compaction of the block between list and look
		if done {
			return
		}
		done = true
		if _, err := s.WriteBlock(ctx, a, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkCompacted(ctx, ma.BlockID); err != nil {
			t.Fatal(err)
		}
	}
	defer func() { listFoldersHook = nil }()
	if _, err := s.FindTrace(ctx, a[3].TraceID); err != nil {
		t.Fatalf("trace get during a compaction: %v", err)
	}
}
