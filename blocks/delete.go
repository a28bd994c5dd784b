package blocks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/google/uuid"
	"gocloud.dev/blob"
)

// DeleteBlock removes a block: meta.json (or meta.compacted.json) first, so
// readers stop seeing it at once, then every other object of its folder,
// 16 at once. A block that is already gone is not an error.
func (s *Store) DeleteBlock(ctx context.Context, id uuid.UUID) error {
	prefix := joinKey(s.tenant, id.String()) + "/"
	for _, name := range []string{metaObject, compactedMetaObject} {
		s.known.forget(prefix + name)
		if err := s.bucket.Delete(ctx, prefix+name); err != nil && !isNotFound(err) {
			return fmt.Errorf("delete %s%s: %w", prefix, name, err)
		}
	}
	var keys []string
	err := s.eachObject(ctx, prefix, func(obj *blob.ListObject) { keys = append(keys, obj.Key) })
	if err = errors.Join(s.deleteAll(ctx, keys), err); err == nil {
		s.removeLocalFolder(id)
	}
	return err
}

// deleteAll deletes keys, 16 at a time (on an object store each is one
// or two round trips), and returns every error but NotFound.
func (s *Store) deleteAll(ctx context.Context, keys []string) error {
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	sem := make(chan struct{}, deletesAtOnce)
	for i, k := range keys {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := s.bucket.Delete(ctx, k); err != nil && !isNotFound(err) {
				errs[i] = fmt.Errorf("delete %s: %w", k, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// deletesAtOnce bounds deleteAll's requests in flight.
const deletesAtOnce = 16

// DeleteCompactedBlock removes a block retired by MarkCompacted, in the
// reverse order of DeleteBlock: every other object first and
// meta.compacted.json last, so that a deletion cut short leaves a compacted
// block (deleted again by the next retention pass), not an orphan folder.
// The other objects go 16 at once. It refuses a block whose listing shows
// meta.json: that block is live, or its
// MarkCompacted was cut short and must be finished first. A block that is
// already gone is not an error.
func (s *Store) DeleteCompactedBlock(ctx context.Context, id uuid.UUID) error {
	prefix := joinKey(s.tenant, id.String()) + "/"
	var keys []string
	live := false
	if err := s.eachObject(ctx, prefix, func(obj *blob.ListObject) {
		switch obj.Key {
		case prefix + metaObject:
			live = true
		case prefix + compactedMetaObject:
		default:
			keys = append(keys, obj.Key)
		}
	}); err != nil {
		return err
	}
	if live {
		return fmt.Errorf("delete %s: the block still has %s", prefix, metaObject)
	}
	if err := s.deleteAll(ctx, keys); err != nil {
		return err
	}
	s.known.forget(prefix + compactedMetaObject)
	if err := s.bucket.Delete(ctx, prefix+compactedMetaObject); err != nil && !isNotFound(err) {
		return fmt.Errorf("delete %s%s: %w", prefix, compactedMetaObject, err)
	}
	s.removeLocalFolder(id)
	return nil
}

// removeLocalFolder removes the directory of a deleted block on a file://
// bucket. gocloud's fileblob deletes an object and its attributes sidecar
// (<object>.attrs) but not the directories it made for them, and never an
// .attrs file whose object is already gone (a write or delete cut short
// between the two files): its listings skip .attrs files, so nothing else
// would. Such orphan sidecars are removed, then the directory if it is
// empty; anything else in it is left alone. Failures are ignored: the
// block is deleted either way.
func (s *Store) removeLocalFolder(id uuid.UUID) {
	tenantDir := s.localTenantDir()
	if tenantDir == "" {
		return
	}
	dir := filepath.Join(tenantDir, id.String())
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		obj, ok := strings.CutSuffix(e.Name(), attrsSuffix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		if _, err := os.Lstat(filepath.Join(dir, obj)); errors.Is(err, fs.ErrNotExist) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	_ = os.Remove(dir) // fails unless empty
}

// attrsSuffix ends the name of fileblob's attributes sidecar of an object.
const attrsSuffix = ".attrs"
