package blocks

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"
)

func TestListSpanCounts(t *testing.T) {
	ctx := context.Background()
	infos, err := tempoStore(t).List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].Spans != 570 || infos[0].TotalObjects != 134 {
		t.Fatalf("List() = %+v, want the Tempo block with 570 spans", infos)
	}
	b, err := json.Marshal(infos[0])
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil || obj["spans"] != float64(570) || obj["blockID"] != tempoBlockID {
		t.Errorf("JSON %s", b)
	}

	s := memStore(t)
	m, err := s.WriteBlock(ctx, syntheticTraces(30, 4, 1e18), WriteOptions{RowGroupBytes: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	infos, err = s.List(ctx)
	if err != nil || len(infos) != 1 || infos[0].Spans != 60 {
		t.Fatalf("List() = %+v, %v; want 60 spans", infos, err)
	}
	if err := s.DeleteBlock(ctx, m.BlockID); err != nil {
		t.Fatal(err)
	}
	if keys := listKeys(t, s.bucket, ""); len(keys) != 0 {
		t.Errorf("DeleteBlock left %v", keys)
	}
	if err := s.DeleteBlock(ctx, m.BlockID); err != nil {
		t.Errorf("deleting a deleted block: %v", err)
	}
}

// TestOrphanBlocks: on a mem:// and a file:// bucket, the folders with
// objects but neither meta.json nor meta.compacted.json are the orphans,
// with the newest time of their objects; live and retired blocks, and
// folders not named by a block ID, are not.
func TestOrphanBlocks(t *testing.T) {
	ctx := context.Background()
	for _, url := range []string{"mem://", "file://" + t.TempDir()} {
		b, err := OpenBucket(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		s := NewStore(b, "tenant-a")
		if _, err := s.WriteBlock(ctx, syntheticTraces(5, 2, 1e18), WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		retired, orphan, later := uuid.New(), uuid.New(), uuid.New()
		put := func(key string) {
			if err := b.WriteAll(ctx, "tenant-a/"+key, []byte("x"), nil); err != nil {
				t.Fatal(err)
			}
		}
		put(retired.String() + "/" + compactedMetaObject)
		put(retired.String() + "/data.parquet")
		put(orphan.String() + "/data.parquet")
		put(orphan.String() + "/bloom-0")
		put("not-a-block/data.parquet")
		put(later.String() + "/data.parquet")
		put(later.String() + "/" + metaObject)
		got, err := s.OrphanBlocks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		attrs, err := b.Attributes(ctx, "tenant-a/"+orphan.String()+"/bloom-0")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].BlockID != orphan || got[0].Modified.Before(attrs.ModTime) {
			t.Errorf("%s: OrphanBlocks = %+v, want only %s, modified at %s or later", url, got, orphan, attrs.ModTime)
		}
	}
}

// TestListed: Store.Listed answers with the blocks of the store's latest
// listing, not with blocks written since, and says when there was none.
func TestListed(t *testing.T) {
	ctx := context.Background()
	s := memStore(t)
	if got, ok := s.Listed(); ok || got != nil {
		t.Fatalf("Listed() before any listing = %v, %v", got, ok)
	}
	first, err := s.WriteBlock(ctx, syntheticTraces(10, 2, 1e18), WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	metas, err := s.Blocks(ctx)
	if err != nil || len(metas) != 1 {
		t.Fatalf("Blocks() = %d blocks, %v", len(metas), err)
	}
	if _, err := s.WriteBlock(ctx, syntheticTraces(10, 2, 2e18), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	got, ok := s.Listed()
	if !ok || len(got) != 1 || got[0].BlockID != first.BlockID {
		t.Fatalf("Listed() = %v, %v; want the one block listed", got, ok)
	}
	got[0].Size = 0 // a copy: the store's record stays
	if again, _ := s.Listed(); again[0].Size != metas[0].Size {
		t.Errorf("Listed() handed out the store's own slice")
	}
	if metas, err = s.Blocks(ctx); err != nil || len(metas) != 2 {
		t.Fatalf("Blocks() = %d blocks, %v", len(metas), err)
	}
	if got, _ := s.Listed(); len(got) != 2 {
		t.Errorf("Listed() after a second listing: %d blocks, want 2", len(got))
	}
}
