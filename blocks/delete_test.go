package blocks

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gocloud.dev/blob/memblob"

	"github.com/tracectl/tracectl/internal/blobtest"
)

// TestDeletesOverlap: a block's objects are deleted with their requests
// overlapping, the meta object that makes the block visible (DeleteBlock)
// or compacted (DeleteCompactedBlock) alone, first or last as each
// promises.
func TestDeletesOverlap(t *testing.T) {
	ctx := context.Background()
	type del struct {
		name     string
		from, to time.Time
	}
	var mu sync.Mutex
	var dels []del
	began := map[string]time.Time{}
	hooks := blobtest.Hooks{
		Before: func(op blobtest.Op) error {
			if op.Kind == blobtest.Delete {
				mu.Lock()
				began[op.Key] = time.Now()
				mu.Unlock()
				time.Sleep(10 * time.Millisecond) // a round trip
			}
			return nil
		},
		After: func(op blobtest.Op, err error) error {
			if op.Kind == blobtest.Delete {
				mu.Lock()
				dels = append(dels, del{op.Key[strings.LastIndex(op.Key, "/")+1:], began[op.Key], time.Now()})
				mu.Unlock()
			}
			return err
		},
	}
	inner := memblob.OpenBucket(nil)
	defer inner.Close()
	s := NewStore(blobtest.Wrap(inner, hooks), "tenant-a")
	ms := writeSyntheticBlocks(t, s, 2)
	if err := s.MarkCompacted(ctx, ms[1].BlockID); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		block Meta
		meta  string
		first bool
		del   func(context.Context, uuid.UUID) error
	}{
		{"DeleteBlock", ms[0], metaObject, true, s.DeleteBlock},
		{"DeleteCompactedBlock", ms[1], compactedMetaObject, false, s.DeleteCompactedBlock},
	} {
		mu.Lock()
		dels = nil
		mu.Unlock()
		if err := tc.del(ctx, tc.block.BlockID); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var meta *del
		for i := range dels {
			if dels[i].name == tc.meta {
				meta = &dels[i]
				break
			}
		}
		if meta == nil || len(dels) < 4 {
			t.Fatalf("%s: deletes %+v", tc.name, dels)
		}
		overlap := false
		for i, a := range dels {
			if &dels[i] == meta {
				continue
			}
			if tc.first && a.from.Before(meta.to) || !tc.first && a.to.After(meta.from) {
				t.Errorf("%s: %s deleted while %s was", tc.name, a.name, tc.meta)
			}
			for _, b := range dels[i+1:] {
				if b.name != tc.meta && b.from.Before(a.to) && a.from.Before(b.to) {
					overlap = true
				}
			}
		}
		if !overlap {
			t.Errorf("%s: no two deletes at once: %+v", tc.name, dels)
		}
		if objs, err := s.listAll(ctx, "tenant-a/"+tc.block.BlockID.String()+"/"); err != nil || len(objs) != 0 {
			t.Errorf("%s: %d objects left, %v", tc.name, len(objs), err)
		}
	}
}
