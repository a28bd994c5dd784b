package blocks

import (
	"context"
	"errors"

	"github.com/google/uuid"
)

// BlockFolders returns the IDs of the tenant's block folders, in one
// listing: live, retired, being written or orphaned alike.
func (s *Store) BlockFolders(ctx context.Context) (map[uuid.UUID]bool, error) {
	ids, err := s.blockDirs(ctx)
	if err != nil {
		return nil, err
	}
	set := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set, nil
}

// StoredMeta returns the meta of block id when readers can see the block
// or its traces: its meta.json, or its meta.compacted.json once a
// compaction or redact has retired it. ok is false for a folder with
// neither (an orphan, a block being written) and for a meta that does not
// decode (readers leave that block out); err is a failed bucket read.
func (s *Store) StoredMeta(ctx context.Context, id uuid.UUID) (Meta, bool, error) {
	for _, name := range []string{metaObject, compactedMetaObject} {
		m, err := s.readMeta(ctx, id, name)
		switch {
		case err == nil:
			return m, true, nil
		case isNotFound(err):
			continue
		case errors.As(damaged(joinKey(s.tenant, id.String(), name), err), new(*DamagedError)):
			return Meta{}, false, nil
		default:
			return Meta{}, false, err
		}
	}
	return Meta{}, false, nil
}
