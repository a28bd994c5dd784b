package blocks

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/google/uuid"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// DeleteBlock removes a block: meta.json (or meta.compacted.json) first, so
// readers stop seeing it at once, then every other object of its folder. A
// block that is already gone is not an error.
func (s *Store) DeleteBlock(ctx context.Context, id uuid.UUID) error {
	prefix := joinKey(s.tenant, id.String()) + "/"
	for _, name := range []string{metaObject, compactedMetaObject} {
		if err := s.bucket.Delete(ctx, prefix+name); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			return fmt.Errorf("delete %s%s: %w", prefix, name, err)
		}
	}
	it := s.bucket.List(&blob.ListOptions{Prefix: prefix})
	var errs []error
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("list %s: %w", prefix, err)
		}
		if err := s.bucket.Delete(ctx, obj.Key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			errs = append(errs, fmt.Errorf("delete %s: %w", obj.Key, err))
		}
	}
	return errors.Join(errs...)
}
