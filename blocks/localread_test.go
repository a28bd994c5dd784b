package blocks

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
)

// TestMetaReadsAgreeAcrossBuckets: meta objects read from a file://
// bucket's directory (readLocal) answer as reads through the bucket do: a
// missing block is ErrBlockNotFound or no meta, one retired is read from
// meta.compacted.json, a meta.json that is a directory is none, and a
// listing between a folder's creation and its meta.json skips the folder.
func TestMetaReadsAgreeAcrossBuckets(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		open func(testing.TB) *Store
	}{{"mem", memStore}, {"file", fileStore}} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.open(t)
			live, err := s.WriteBlock(ctx, syntheticTraces(5, 1, 1e18), WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			retired, err := s.WriteBlock(ctx, syntheticTraces(5, 2, 2e18), WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.MarkCompacted(ctx, retired.BlockID); err != nil {
				t.Fatal(err)
			}
			missing := uuid.New()

			if _, err := s.OpenBlock(ctx, missing); !errors.Is(err, ErrBlockNotFound) {
				t.Errorf("OpenBlock(missing) = %v, want ErrBlockNotFound", err)
			}
			if err := s.MarkCompacted(ctx, missing); !errors.Is(err, ErrBlockNotFound) {
				t.Errorf("MarkCompacted(missing) = %v, want ErrBlockNotFound", err)
			}
			// A key under "<id>/meta.json/" makes meta.json a directory
			// on a file:// bucket: still no meta.json.
			dirID := uuid.New()
			if err := s.bucket.WriteAll(ctx, joinKey(s.tenant, dirID.String(), metaObject, "x"), []byte("x"), nil); err != nil {
				t.Fatal(err)
			}
			if _, err := s.OpenBlock(ctx, dirID); !errors.Is(err, ErrBlockNotFound) {
				t.Errorf("OpenBlock(meta.json a directory) = %v, want ErrBlockNotFound", err)
			}
			if _, ok, err := s.StoredMeta(ctx, missing); ok || err != nil {
				t.Errorf("StoredMeta(missing) = %v, %v; want no meta and no error", ok, err)
			}
			m, ok, err := s.StoredMeta(ctx, retired.BlockID)
			if !ok || err != nil || m.CompactedTime.IsZero() {
				t.Errorf("StoredMeta(retired) = %v, %v, compacted %v; want its meta.compacted.json", ok, err, m.CompactedTime)
			}
			b, err := s.OpenBlock(ctx, live.BlockID)
			if err != nil || b.Meta().BlockID != live.BlockID {
				t.Fatalf("OpenBlock(live) = %v", err)
			}
			if dir := s.localTenantDir(); dir != "" {
				// A folder whose meta.json is not written yet.
				if err := os.MkdirAll(filepath.Join(dir, missing.String()), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			metas, err := s.Blocks(ctx)
			if err != nil || len(metas) != 1 || metas[0].BlockID != live.BlockID {
				t.Errorf("Blocks = %d metas, %v; want the live block", len(metas), err)
			}
			gone, err := s.CompactedBlocks(ctx)
			if err != nil || len(gone) != 1 || gone[0].BlockID != retired.BlockID {
				t.Errorf("CompactedBlocks = %d metas, %v; want the retired block", len(gone), err)
			}
		})
	}
}
