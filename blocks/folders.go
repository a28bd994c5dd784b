package blocks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"gocloud.dev/blob"
	"golang.org/x/sync/errgroup"

	"github.com/tracectl/tracectl/internal/bucketurl"
)

// folderSet is one listing of a tenant's block folders (those named by a
// block ID): which exist, and whether each holds meta.json and
// meta.compacted.json and since when. It is what the tenant index is
// checked against (see tenantindex.go).
type folderSet struct {
	// ids are the folders, in listing order, each once.
	ids []uuid.UUID
	// objs holds what the listing said of every "<id>/meta.json" and
	// "<id>/meta.compacted.json" it returned.
	objs map[string]listedObject
	// dir, when set, is the tenant's directory on the local file system
	// (a file:// bucket): objects are looked up there instead of in objs.
	dir string
	// slack is how coarse the modification times are: an object's time
	// may be up to slack before the moment it was written.
	slack time.Duration
	// noMark are the listed folders with a meta object and no
	// rewrite.json (object stores only; see knownObjects).
	noMark []uuid.UUID
	// statted holds statAll's answers by object name: what the listing
	// says of them, looked up once.
	statted map[string]folderStats
}

// folderStats is statAll's answer for one object name.
type folderStats struct {
	mods   []time.Time
	exists []bool
}

// has reports whether the listing returned folder id's object name.
func (f *folderSet) has(id uuid.UUID, name string) bool {
	_, ok := f.objs[id.String()+"/"+name]
	return ok
}

// listedObject is what a listing says of an object: when it was last
// written, its size and, where the store lists it, its MD5.
type listedObject struct {
	mod  time.Time
	size int64
	md5  []byte
}

// listed returns what the listing said of folder id's object name; not
// ok on a local file system, whose listing says nothing of the objects.
func (f *folderSet) listed(id uuid.UUID, name string) (listedObject, bool) {
	o, ok := f.objs[id.String()+"/"+name]
	return o, ok && f.dir == ""
}

// listFoldersHook, when set (tests), runs between listing the block
// folders (and reading the tenant index) and looking at their meta
// objects: where a concurrent compaction may retire blocks. On a file://
// bucket the meta objects are then looked up after it, as a listing of
// the directory and the lookups that follow it may straddle a retirement.
var listFoldersHook func()

// Granularity of modification times: object stores list them to the
// second (S3, Azure); a local file system takes them from a clock that
// ticks every 1 to 10 ms. Variables for tests.
var (
	storeTimeSlack = time.Second
	localTimeSlack = 10 * time.Millisecond
)

// stat reports whether folder id holds the object name and when it was
// last written.
func (f *folderSet) stat(id uuid.UUID, name string) (time.Time, bool, error) {
	if f.dir == "" {
		o, ok := f.objs[id.String()+"/"+name]
		return o.mod, ok, nil
	}
	fi, err := os.Stat(filepath.Join(f.dir, id.String(), name))
	if errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	if fi.IsDir() {
		return time.Time{}, false, nil
	}
	return fi.ModTime(), true, nil
}

// hasMeta reports whether folder id holds meta.json or meta.compacted.json.
func (f *folderSet) hasMeta(id uuid.UUID) (bool, error) {
	for _, name := range []string{metaObject, compactedMetaObject} {
		if _, ok, err := f.stat(id, name); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// statAll is stat for every listed folder. The answers are part of the
// listing: a second call for the same name returns the first's (callers
// must not change them).
func (f *folderSet) statAll(name string) (mods []time.Time, exists []bool, err error) {
	if st, ok := f.statted[name]; ok {
		return st.mods, st.exists, nil
	}
	if mods, exists, err = f.statSome(f.ids, name); err != nil {
		return nil, nil, err
	}
	if f.statted == nil {
		f.statted = map[string]folderStats{}
	}
	f.statted[name] = folderStats{mods, exists}
	return mods, exists, nil
}

// statSome is stat for the folders ids (on a local file system, all at
// once: see statLocalAll).
func (f *folderSet) statSome(ids []uuid.UUID, name string) (mods []time.Time, exists []bool, err error) {
	mods, exists = make([]time.Time, len(ids)), make([]bool, len(ids))
	if f.dir != "" {
		if err := statLocalAll(f.dir, ids, name, mods, exists); err != nil {
			return nil, nil, err
		}
		return mods, exists, nil
	}
	for i, id := range ids {
		mods[i], exists[i], _ = f.stat(id, name) // from the listing: no error
	}
	return mods, exists, nil
}

// listPageSize is the page size of listFolders' LIST requests; stores cap
// it at what they allow (1,000 keys on S3), and a file:// bucket walks its
// directory tree once per page.
const listPageSize = 5000

// listFolders lists the tenant's block folders and their meta objects.
// On a file:// bucket opened by OpenBucket it reads the tenant directory
// (meta objects are then stat'ed on demand). Elsewhere it lists every key
// under the tenant, as 16 LISTs at once, one per first hex digit of the
// block IDs: 1,000 blocks (some 4,000 keys) take one round trip instead
// of four pages in a row. Only folders named by a block ID in canonical
// form (lowercase, as Tempo and tracectl write them) count: the metas are
// read under that name anyway.
func (s *Store) listFolders(ctx context.Context) (*folderSet, error) {
	if dir := s.localTenantDir(); dir != "" {
		return listLocalFolders(dir)
	}
	const digits = "0123456789abcdef"
	parts := make([]*folderSet, len(digits))
	g, gctx := errgroup.WithContext(ctx)
	for i := range digits {
		g.Go(func() (err error) {
			parts[i], err = s.listFoldersFrom(gctx, s.tenant+"/"+digits[i:i+1])
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	set := &folderSet{objs: map[string]listedObject{}, slack: storeTimeSlack}
	for _, p := range parts {
		set.ids = append(set.ids, p.ids...)
		maps.Copy(set.objs, p.objs)
		s.known.setNoMark(p.noMark)
	}
	return set, nil
}

// listFoldersFrom lists the block folders whose keys start with prefix.
// A file:// bucket not opened by OpenBucket (so listed through gocloud's
// file driver, which reads a directory and then stats each file) fails a
// listing when a concurrent writer removes a file between the two: that
// is no error of the listing's, so it lists again (as eachObject does).
func (s *Store) listFoldersFrom(ctx context.Context, prefix string) (*folderSet, error) {
	for attempt := 1; ; attempt++ {
		set, err := s.listFoldersOnce(ctx, prefix)
		if err == nil || !errors.Is(err, fs.ErrNotExist) && !isNotFound(err) || attempt == listAttempts {
			return set, err
		}
	}
}

// listFoldersOnce is one listing of listFoldersFrom.
func (s *Store) listFoldersOnce(ctx context.Context, prefix string) (*folderSet, error) {
	tenant := s.tenant + "/"
	set := &folderSet{objs: map[string]listedObject{}}
	seen := map[uuid.UUID]bool{}
	marked := map[uuid.UUID]bool{}
	token := blob.FirstPageToken
	for len(token) > 0 {
		objs, next, err := s.bucket.ListPage(ctx, token, listPageSize, &blob.ListOptions{Prefix: prefix})
		if err != nil {
			// (Named by the tenant: prefix is one of its listing's shards.)
			return nil, fmt.Errorf("list tenant %s: %w", s.tenant, err)
		}
		for _, o := range objs {
			dir, name, ok := strings.Cut(strings.TrimPrefix(o.Key, tenant), "/")
			if !ok {
				continue // a tenant-level object such as index.json.gz
			}
			id, err := uuid.Parse(dir)
			if err != nil || dir != id.String() {
				continue
			}
			if !seen[id] {
				seen[id] = true
				set.ids = append(set.ids, id)
			}
			switch name {
			case metaObject, compactedMetaObject:
				set.objs[dir+"/"+name] = listedObject{mod: o.ModTime, size: o.Size, md5: o.MD5}
			case markObject:
				marked[id] = true
			}
		}
		token = next
	}
	for _, id := range set.ids {
		if !marked[id] && (set.has(id, metaObject) || set.has(id, compactedMetaObject)) {
			set.noMark = append(set.noMark, id)
		}
	}
	return set, nil
}

// listLocalFolders is listFolders for a tenant directory on the local file
// system. Subdirectories stand for the folders; an empty one, which a
// bucket listing would not show, is harmless since its meta objects do not
// exist.
func listLocalFolders(dir string) (*folderSet, error) {
	set := &folderSet{dir: dir, slack: localTimeSlack}
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return set, nil
	}
	if err != nil {
		return nil, err
	}
	seen := map[uuid.UUID]bool{}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		id, err := uuid.Parse(e.Name())
		if err != nil || seen[id] {
			continue
		}
		seen[id] = true
		set.ids = append(set.ids, id)
	}
	return set, nil
}

// localDir is the directory of s's bucket when OpenBucket opened it from
// a file:// URL naming a directory, else "" (bucketurl.LocalDir). It
// serves listFolders' fast path for a directory: gocloud's fileblob
// answers a LIST by walking every block folder and reading an attributes
// file per object, about 45 ms for 1,000 blocks, while reading the tenant
// directory takes well under 1 ms.
func (s *Store) localDir() string {
	dir, _ := bucketurl.LocalDir(s.bucket)
	return dir
}

// listedMD5sCurrent reports whether the MD5s of s's listings are those of
// the objects. Not so on any file:// bucket: fileblob takes them from
// .attrs sidecars, which an object written since without them
// (metadata=skip, see bucketurl.Open) leaves stale; readListed then does
// not match objects by listed MD5s.
func (s *Store) listedMD5sCurrent() bool {
	_, file := bucketurl.LocalDir(s.bucket)
	return !file
}

// plainTenant matches tenant names that fileblob stores unescaped on
// every OS, so that the tenant's key prefix is its directory name.
var plainTenant = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*$`)

// isLocal reports whether s's bucket is a file:// directory OpenBucket
// opened.
func (s *Store) isLocal() bool { return s.localDir() != "" }

// timeSlack is the granularity of the modification times that listings
// of the store give (folderSet.slack), plus a millisecond.
func (s *Store) timeSlack() time.Duration {
	if s.localTenantDir() != "" {
		return localTimeSlack + time.Millisecond
	}
	return storeTimeSlack + time.Millisecond
}

// localTenantDir returns the tenant's directory when the store's bucket is
// a local directory opened by OpenBucket, else "".
func (s *Store) localTenantDir() string {
	d := s.localDir()
	if d == "" || !plainTenant.MatchString(s.tenant) {
		return ""
	}
	return filepath.Join(d, s.tenant)
}
