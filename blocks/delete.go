package blocks

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"gocloud.dev/blob"
)

// DeleteBlock removes a block: meta.json (or meta.compacted.json) first, so
// readers stop seeing it at once, then every other object of its folder. A
// block that is already gone is not an error.
func (s *Store) DeleteBlock(ctx context.Context, id uuid.UUID) error {
	prefix := joinKey(s.tenant, id.String()) + "/"
	for _, name := range []string{metaObject, compactedMetaObject} {
		if err := s.bucket.Delete(ctx, prefix+name); err != nil && !isNotFound(err) {
			return fmt.Errorf("delete %s%s: %w", prefix, name, err)
		}
	}
	var errs []error
	err := s.eachObject(ctx, prefix, func(obj *blob.ListObject) {
		if err := s.bucket.Delete(ctx, obj.Key); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("delete %s: %w", obj.Key, err))
		}
	})
	return errors.Join(append(errs, err)...)
}

// DeleteCompactedBlock removes a block retired by MarkCompacted, in the
// reverse order of DeleteBlock: every other object first and
// meta.compacted.json last, so that a deletion cut short leaves a compacted
// block (deleted again by the next retention pass), not an orphan folder.
// It refuses a block that still has meta.json: that block is live, or its
// MarkCompacted was cut short and must be finished first. A block that is
// already gone is not an error.
func (s *Store) DeleteCompactedBlock(ctx context.Context, id uuid.UUID) error {
	prefix := joinKey(s.tenant, id.String()) + "/"
	if ok, err := s.bucket.Exists(ctx, prefix+metaObject); err != nil {
		return fmt.Errorf("%s%s: %w", prefix, metaObject, err)
	} else if ok {
		return fmt.Errorf("delete %s: the block still has %s", prefix, metaObject)
	}
	var keys []string
	if err := s.eachObject(ctx, prefix, func(obj *blob.ListObject) {
		if obj.Key != prefix+compactedMetaObject {
			keys = append(keys, obj.Key)
		}
	}); err != nil {
		return err
	}
	for _, k := range append(keys, prefix+compactedMetaObject) {
		if err := s.bucket.Delete(ctx, k); err != nil && !isNotFound(err) {
			return fmt.Errorf("delete %s: %w", k, err)
		}
	}
	return nil
}
