package blocks

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestStatLocalAll: the stats of every folder at once (relative to the
// tenant directory, on two goroutines past 64 folders) say what
// folderSet.stat says of each: a file with its time, a missing file, a
// directory in the file's place, a symbolic link to a file, a missing
// folder, a tenant directory that is gone; and a folder that is a file
// fails both.
func TestStatLocalAll(t *testing.T) {
	for _, n := range []int{5, 100} {
		dir := t.TempDir()
		ids := make([]uuid.UUID, n)
		base := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
		for i := range ids {
			ids[i] = uuid.New()
			folder := filepath.Join(dir, ids[i].String())
			p := filepath.Join(folder, metaObject)
			switch i % 5 {
			case 0, 1: // a file, each with its own time
				mustWrite(t, p, "{}")
				at := base.Add(time.Duration(i) * time.Millisecond)
				if err := os.Chtimes(p, at, at); err != nil {
					t.Fatal(err)
				}
			case 2: // a folder without the file
				if err := os.MkdirAll(folder, 0o755); err != nil {
					t.Fatal(err)
				}
			case 3: // a directory where the file should be
				if err := os.MkdirAll(p, 0o755); err != nil {
					t.Fatal(err)
				}
			case 4: // a link to a file, or no folder at all
				if i%2 == 0 {
					mustWrite(t, filepath.Join(dir, "target"), "{}")
					if err := os.MkdirAll(folder, 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.Symlink(filepath.Join(dir, "target"), p); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		f := &folderSet{dir: dir, ids: ids}
		mods, exists := make([]time.Time, n), make([]bool, n)
		if err := statLocalAll(dir, ids, metaObject, mods, exists); err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			mod, ok, err := f.stat(id, metaObject)
			if err != nil {
				t.Fatal(err)
			}
			if ok != exists[i] || !mod.Equal(mods[i]) {
				t.Errorf("%d folders, folder %d: (%v, %v), stat says (%v, %v)", n, i, mods[i], exists[i], mod, ok)
			}
		}
		// A folder that is a file: an error, as from stat.
		bad := uuid.New()
		mustWrite(t, filepath.Join(dir, bad.String()), "not a folder")
		ids = append(ids, bad)
		if _, _, err := f.stat(bad, metaObject); err == nil {
			t.Fatal("stat of a path under a file: no error")
		}
		if err := statLocalAll(dir, ids, metaObject, make([]time.Time, n+1), make([]bool, n+1)); err == nil {
			t.Errorf("%d folders and one file in place of a folder: no error", n)
		}
	}
	// A tenant directory removed since the listing: nothing there, as
	// stat says of each folder.
	gone := filepath.Join(t.TempDir(), "gone")
	exists := []bool{false}
	if err := statLocalAll(gone, []uuid.UUID{uuid.New()}, metaObject, make([]time.Time, 1), exists); err != nil || exists[0] {
		t.Errorf("a tenant directory that is gone: exists %v, %v", exists[0], err)
	}
}

func mustWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestStatLocalAllFirstError: with several folders failing on both
// goroutines, the error is the first failing folder's in list order, the
// one a stat of each in turn reports.
func TestStatLocalAllFirstError(t *testing.T) {
	dir := t.TempDir()
	ids := make([]uuid.UUID, 100)
	for i := range ids {
		ids[i] = uuid.New()
		if i == 1 || i == 2 || i == 70 {
			mustWrite(t, filepath.Join(dir, ids[i].String()), "not a folder")
		}
	}
	f := &folderSet{dir: dir, ids: ids}
	var want error
	for _, id := range ids {
		if _, _, want = f.stat(id, metaObject); want != nil {
			break
		}
	}
	got := statLocalAll(dir, ids, metaObject, make([]time.Time, len(ids)), make([]bool, len(ids)))
	if got == nil || want == nil || got.Error() != want.Error() {
		t.Errorf("statLocalAll: %v\nstat in turn: %v", got, want)
	}
}
