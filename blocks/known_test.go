package blocks

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tracectl/tracectl/blocks/metadata"
)

// TestKnownObjectsNotReadAgain: on an object store, a store reads each meta
// object once however often it lists the tenant, takes the metas it wrote
// itself (MarkCompacted's meta.compacted.json) from memory, does not read
// again the meta.json it retires, and asks for no rewrite.json a listing
// showed absent. An object another writer changed is read again (its MD5
// differs).
func TestKnownObjectsNotReadAgain(t *testing.T) {
	ctx := context.Background()
	wb, bucket := newWrapBucket(t)
	writer := NewStore(bucket, "tenant-a")
	metas := writeSyntheticBlocks(t, writer, 5)
	s := NewStore(bucket, "tenant-a") // no index: every meta is read
	reads := func(name string) int { return objectReads(wb, name) }
	list := func(compacted bool) []Meta {
		t.Helper()
		var ms []Meta
		var err error
		if compacted {
			ms, err = s.CompactedBlocks(ctx)
		} else {
			ms, err = s.Blocks(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}

	wb.resetLog()
	if got := list(false); len(got) != 5 {
		t.Fatalf("%d blocks, want 5", len(got))
	}
	if n := reads(metaObject); n != 5 {
		t.Fatalf("first listing: %d meta.json reads, want 5", n)
	}
	wb.resetLog()
	if got := list(false); len(got) != 5 || !got[0].StartTime.Equal(metas[0].StartTime) {
		t.Fatalf("second listing: %d blocks", len(got))
	}
	if n := reads(metaObject); n != 0 {
		t.Errorf("second listing: %d meta.json reads, want 0", n)
	}
	for _, m := range metas[:2] {
		p, err := s.Provenance(ctx, m.BlockID)
		if err != nil || len(p.CompactedFrom) > 0 || p.Mark != "" {
			t.Fatalf("provenance %+v, %v", p, err)
		}
	}
	if n := reads(markObject); n != 0 {
		t.Errorf("%d rewrite.json reads of blocks listed without one", n)
	}

	// Retire two blocks: neither meta.json is read, and a listing of the
	// compacted blocks takes the meta.compacted.json written from memory.
	wb.resetLog()
	for _, m := range metas[:2] {
		if err := s.MarkCompacted(ctx, m.BlockID); err != nil {
			t.Fatal(err)
		}
	}
	comp := list(true)
	if len(comp) != 2 || comp[0].CompactedTime.IsZero() {
		t.Fatalf("compacted: %+v", comp)
	}
	if n, m := reads(metaObject), reads(compactedMetaObject); n+m != 0 {
		t.Errorf("retiring and listing: %d meta.json and %d meta.compacted.json reads, want none", n, m)
	}
	if got := list(false); len(got) != 3 {
		t.Fatalf("%d live blocks after retiring 2, want 3", len(got))
	}

	// Another writer retires a third block, and one of the retired ones
	// gets a new compactedTime: both are read, the other is not.
	if err := writer.MarkCompacted(ctx, metas[2].BlockID); err != nil {
		t.Fatal(err)
	}
	key := joinKey("tenant-a", metas[0].BlockID.String(), compactedMetaObject)
	raw, err := bucket.ReadAll(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	m, err := metadata.Decode(raw, key)
	if err != nil {
		t.Fatal(err)
	}
	m.CompactedTime = time.Date(2099, 1, 2, 3, 4, 5, 0, time.UTC)
	later, err := m.MarshalJSON()
	if err != nil || len(later) != len(raw) {
		t.Fatalf("%d bytes, want %d (%v)", len(later), len(raw), err)
	}
	if err := bucket.WriteAll(ctx, key, later, nil); err != nil {
		t.Fatal(err)
	}
	wb.resetLog()
	comp = list(true)
	if len(comp) != 3 {
		t.Fatalf("%d compacted blocks, want 3", len(comp))
	}
	if n := reads(compactedMetaObject); n != 2 {
		t.Errorf("%d meta.compacted.json reads, want 2 (the one changed, the one written by the other store)", n)
	}
	for _, c := range comp {
		if c.BlockID == metas[0].BlockID && !c.CompactedTime.Equal(m.CompactedTime) {
			t.Errorf("changed meta.compacted.json read as %v", c.CompactedTime)
		}
	}
}

// TestKnownMarkRead: a block listed with a rewrite.json has it read.
func TestKnownMarkRead(t *testing.T) {
	ctx := context.Background()
	wb, bucket := newWrapBucket(t)
	s := NewStore(bucket, "tenant-a")
	in := writeSyntheticBlocks(t, s, 1)[0]
	m, err := s.WriteBlock(ctx, syntheticTraces(5, 9, 9e18), WriteOptions{CompactedFrom: []uuid.UUID{in.BlockID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Blocks(ctx); err != nil {
		t.Fatal(err)
	}
	wb.resetLog()
	p, err := s.Provenance(ctx, m.BlockID)
	if err != nil || len(p.CompactedFrom) != 1 || p.CompactedFrom[0] != in.BlockID {
		t.Fatalf("provenance %+v, %v", p, err)
	}
	if len(wb.log()) != 1 {
		t.Errorf("reads %+v, want the rewrite.json", wb.log())
	}
}
