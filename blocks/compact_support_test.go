package blocks

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
)

// TestCompactionSupport covers what the compact package builds on:
// TracesOf merges just the given blocks, CompactedFrom is recorded (also in
// an orphan), MarkCompacted reports a missing meta.json, and
// DeleteCompactedBlock refuses a live block and removes a retired one.
func TestCompactionSupport(t *testing.T) {
	ctx := context.Background()
	s := memStore(t)
	m1, err := s.WriteBlock(ctx, syntheticTraces(10, 1, 1e18), WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m2, err := s.WriteBlock(ctx, syntheticTraces(10, 1, 1e18), WriteOptions{}) // same traces
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteBlock(ctx, syntheticTraces(5, 2, 1e18), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	got := readAllTraces(t, s.TracesOf(ctx, []Meta{m1, m2}))
	if len(got) != 10 || got[0].SpanCount() != 2 {
		t.Fatalf("TracesOf: %d traces", len(got))
	}

	// An interrupted write with CompactedFrom leaves an orphan that says so.
	w, err := NewBlockWriter(ctx, s, WriteOptions{CompactedFrom: []uuid.UUID{m1.BlockID, m2.BlockID}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Provenance(ctx, w.BlockID())
	if err != nil || len(p.CompactedFrom) != 2 || p.CompactedFrom[0] != m1.BlockID {
		t.Fatalf("orphan provenance %+v, %v", p, err)
	}
	orphans, err := s.OrphanBlocks(ctx)
	if err != nil || len(orphans) != 1 || orphans[0].BlockID != w.BlockID() || orphans[0].Modified.IsZero() {
		t.Fatalf("OrphanBlocks = %+v, %v", orphans, err)
	}
	w.Abort()

	if err := s.DeleteCompactedBlock(ctx, m1.BlockID); err == nil {
		t.Fatal("DeleteCompactedBlock deleted a live block")
	}
	if err := s.MarkCompacted(ctx, m1.BlockID); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkCompacted(ctx, m1.BlockID); !errors.Is(err, ErrBlockNotFound) {
		t.Fatalf("second MarkCompacted = %v, want ErrBlockNotFound", err)
	}
	if err := s.DeleteCompactedBlock(ctx, m1.BlockID); err != nil {
		t.Fatal(err)
	}
	if keys := listKeys(t, s.Bucket(), "tenant-a/"+m1.BlockID.String()+"/"); len(keys) != 0 {
		t.Fatalf("left %v", keys)
	}
}
