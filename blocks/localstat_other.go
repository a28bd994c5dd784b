//go:build !linux

package blocks

import (
	"time"

	"github.com/google/uuid"
)

// statLocalAll is folderSet.stat for object name in every folder ids of
// the tenant directory dir, into mods and exists.
func statLocalAll(dir string, ids []uuid.UUID, name string, mods []time.Time, exists []bool) error {
	f := folderSet{dir: dir}
	for i, id := range ids {
		var err error
		if mods[i], exists[i], err = f.stat(id, name); err != nil {
			return err
		}
	}
	return nil
}
