package blocks

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/google/uuid"
)

// readObject reads folder id's object name: from the tenant directory dir
// of a file:// bucket when dir is set (readLocal), else through the bucket.
func (s *Store) readObject(ctx context.Context, dir string, id uuid.UUID, name string) ([]byte, error) {
	key := joinKey(s.tenant, id.String(), name)
	if dir != "" {
		return readLocal(dir, id, name, key)
	}
	return readAll(ctx, s.bucket, key)
}

// readLocalFile is os.ReadFile for small files (openLocal; no stat for
// the size: a meta object takes one read or two).
func readLocalFile(path string) ([]byte, error) {
	f, err := openLocal(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, 0, 2048)
	for {
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, len(buf))
		}
	}
}

// readLocal reads folder id's object name (key) from the tenant directory
// dir of a file:// bucket: the file the bucket's driver would read, without
// the driver's look at its attributes file (one open instead of two, for
// every meta object a listing reads). A missing file, or a directory of
// that name (the driver's answer too), is isNotFound.
func readLocal(dir string, id uuid.UUID, name, key string) ([]byte, error) {
	path := filepath.Join(dir, id.String(), name)
	raw, err := readLocalFile(path)
	if err != nil {
		if errors.Is(err, iofs.ErrNotExist) {
			err = errObjectNotFound
		} else if fi, serr := os.Stat(path); serr == nil && fi.IsDir() {
			err = errObjectNotFound
		}
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return raw, nil
}
