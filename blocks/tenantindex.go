package blocks

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tracectl/tracectl/blocks/metadata"
	"github.com/tracectl/tracectl/blocks/tenantindex"
	"github.com/tracectl/tracectl/internal/workers"
)

// The tenant index
//
// <tenant>/index.json.gz is Grafana Tempo's per-tenant blocklist; its
// format (encoding, decoding, which entries are usable) is package
// blocks/tenantindex. This file is how a Store reads and writes it.
//
// # Invariant: the index never changes an answer
//
// Blocks and CompactedBlocks (and so FindTrace, Traces, List, compaction
// and retention) return exactly what listing the tenant's block folders
// and reading every meta.json / meta.compacted.json returns, whatever
// index.json.gz holds: missing, truncated, garbage, another tenant's,
// written by Tempo, left behind by a crash, or overwritten by a concurrent
// writer with an older view. A stale index costs reads, never answers.
//
// This holds because the index is used only as a cache of meta contents,
// never as the word on which blocks exist or what state they are in.
// Every read lists the tenant once (listFolders: one recursive LIST of the
// tenant prefix; on a file:// bucket a read of the tenant directory and a
// stat per block folder), which tells for each block folder whether
// meta.json and meta.compacted.json exist and when each was last written.
// An index entry stands in for reading such an object only if
//
//   - the index decodes (gzip, JSON) and has a created_at;
//   - the entry decodes as a vParquet4 meta of this tenant, no other entry
//     of its list has the same block ID, and it has a compactedTime exactly
//     when it is in "compacted";
//   - the object it describes exists now in the folder named by the
//     entry's block ID: meta.json for a "meta" entry, meta.compacted.json
//     for a "compacted" one;
//   - that object's modification time is before created_at by more than
//     the store's time granularity (folderSet.slack: 1 s for object
//     stores, whose listings give seconds; 10 ms on a local disk).
//
// Every other folder whose listing shows the object has it read, as
// without an index, and folders that are gone are not looked at. So:
//
//   - a block written after the index is not in it: its meta.json is read;
//   - a deleted block's folder is not listed, or has no meta object left;
//   - a block retired in place (Store.MarkCompacted, retention, Tempo's
//     compactor) has no meta.json any more, so its live entry is ignored
//     whenever the retiring writer updates the index, or if it crashed
//     before doing so; its meta.compacted.json is newer than the index or
//     not in it, so it is read;
//   - a meta object rewritten in place (MarkCompacted run again after a
//     crash writes a new compactedTime) is newer than the index, so it is
//     read. Only this last case depends on clocks: the writer's (which
//     sets created_at) and the store's (which stamps objects) must agree
//     to within that granularity. Tempo and tracectl never rewrite a
//     meta.json: a changed block gets a new ID.
//
// # Writers
//
// Since readers check every entry, writers need no ordering and no lock
// for correctness: a crash at any point, a writer that never updates the
// index (an older tracectl, Tempo's ingesters), or two writers racing can
// leave an index that misses blocks, lists deleted ones or calls a retired
// block live, and readers still answer right. The commands that change a
// tenant (ingest, compact, retain, redact, sample replay's write bucket)
// call WriteIndex when they are done, so that the next reads hit the
// cache. WriteIndex takes created_at before it lists, so no object written
// while it runs is covered by an entry.

// indexEntries returns the entries of ix that stand for name's objects
// (meta.json: the live list; meta.compacted.json: the compacted one).
func indexEntries(ix *tenantindex.Index, name string) map[uuid.UUID]tenantindex.Entry {
	if ix == nil {
		return nil
	}
	if name == compactedMetaObject {
		return ix.Compacted
	}
	return ix.Live
}

// readTenantIndex reads and decodes the tenant's index. It returns nil
// when there is none or it cannot be read or used: readers then read every
// meta, as without an index (a bucket that cannot be reached fails the
// listing that goes with it).
func (s *Store) readTenantIndex(ctx context.Context) *tenantindex.Index {
	data, err := readAll(ctx, s.bucket, joinKey(s.tenant, tenantindex.ObjectName))
	if err != nil {
		return nil
	}
	ix, err := tenantindex.Decode(data, s.tenant)
	if err != nil {
		return nil
	}
	return ix
}

// indexAndFolders reads the tenant index and lists the block folders, at
// once (two requests in flight instead of one after the other). On a
// file:// bucket, whose listing says nothing of the objects, it also looks
// up name's object in every folder while the index is decoded (fs.statAll
// remembers the answers): 6 ms of a trace lookup among 1,000 blocks.
func (s *Store) indexAndFolders(ctx context.Context, name string) (*tenantindex.Index, *folderSet, error) {
	var ix *tenantindex.Index
	done := make(chan struct{})
	go func() {
		defer close(done)
		ix = s.readTenantIndex(ctx)
	}()
	fs, err := s.listFolders(ctx)
	if listFoldersHook != nil && err == nil {
		<-done // the hook runs once the index is read
		listFoldersHook()
	}
	if err == nil {
		_, _, err = fs.statAll(name)
	}
	<-done
	return ix, fs, err
}

// listMetas returns the metas in the tenant's block folders that hold name
// (metaObject: live blocks; compactedMetaObject: compacted ones), sorted
// by start time then ID. The index supplies the metas it may (see the
// invariant above); the others are read.
func (s *Store) listMetas(ctx context.Context, name string) ([]Meta, error) {
	ix, fs, err := s.indexAndFolders(ctx, name)
	if err != nil {
		return nil, err
	}
	es, err := s.metaEntries(ctx, fs, ix, name)
	if err != nil {
		return nil, err
	}
	var out []Meta // nil when empty, as before the index
	if len(es) > 0 {
		out = make([]Meta, len(es))
	}
	for i, e := range es {
		out[i] = *e.Meta
	}
	if name == metaObject {
		s.noteListing(ctx, out)
	}
	return out, nil
}

// readBlocks returns the blocks a reader reads: the live blocks of a
// listing that no retirement overlapped. A compaction or redact writes its
// replacement block, then retires the originals (meta.json replaced by
// meta.compacted.json); a reader that listed before the replacement was
// complete and looked at an original after it was retired would see
// neither. So when a listing shows a block retired while it ran (a
// meta.compacted.json no older than the listing, give or take the
// bucket's time granularity, or a meta.json gone between list and read),
// readBlocks waits that granularity out and lists again: the replacement,
// complete before the retirement, is then in the listing. While blocks
// keep being retired, after maxRelists listings it also reads the
// retired blocks whose data is still there; readers merge the copies of
// a trace held by several blocks, so that adds nothing.
func (s *Store) readBlocks(ctx context.Context) ([]Meta, error) {
	for attempt := 1; ; attempt++ {
		live, retired, settle, err := s.listForRead(ctx)
		if err != nil || len(retired) == 0 {
			return live, err
		}
		if attempt == maxRelists {
			out := live
			for _, m := range retired {
				ok, err := s.bucket.Exists(ctx, joinKey(s.tenant, m.BlockID.String(), dataObject))
				if err != nil {
					return nil, err
				}
				if ok {
					out = append(out, m)
				}
			}
			sortMetas(out)
			return out, nil
		}
		select {
		case <-time.After(settle):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// maxRelists bounds the listings of readBlocks.
const maxRelists = 4

// listForRead lists the live blocks and the blocks retired while the
// listing ran; settle is how long to wait before a listing that will not
// count those retirements as concurrent (twice the granularity of the
// bucket's modification times).
func (s *Store) listForRead(ctx context.Context) (live, retired []Meta, settle time.Duration, err error) {
	start := time.Now()
	ix, fs, err := s.indexAndFolders(ctx, metaObject)
	if err != nil {
		return nil, nil, 0, err
	}
	settle = 2 * fs.slack
	es, err := s.metaEntriesSince(ctx, fs, ix, metaObject, start.Add(-settle))
	if err != nil {
		return nil, nil, 0, err
	}
	live = make([]Meta, 0, len(es)) // most are live: not regrown meta by meta
	for _, e := range es {
		if e.Meta.CompactedTime.IsZero() {
			live = append(live, *e.Meta)
		} else {
			retired = append(retired, *e.Meta)
		}
	}
	if len(live) == 0 {
		live = nil // as before: none listed is nil
	}
	s.noteListing(ctx, live)
	return live, retired, settle, nil
}

// metaEntries resolves name's object in every listed folder: from ix when
// it may stand for the object, else by reading it. Folders without the
// object are skipped. The result is sorted like Blocks.
func (s *Store) metaEntries(ctx context.Context, fs *folderSet, ix *tenantindex.Index, name string) ([]tenantindex.Entry, error) {
	return s.metaEntriesSince(ctx, fs, ix, name, time.Time{})
}

// metaEntriesSince is metaEntries; with since set (name is metaObject),
// a folder whose meta.json is gone but whose meta.compacted.json was
// written at or after since, or whose meta.json vanished between the
// listing and its read, is resolved from meta.compacted.json (an entry
// with CompactedTime set).
func (s *Store) metaEntriesSince(ctx context.Context, fs *folderSet, ix *tenantindex.Index, name string, since time.Time) ([]tenantindex.Entry, error) {
	cached := indexEntries(ix, name)
	var cachedRetired map[uuid.UUID]tenantindex.Entry
	if !since.IsZero() {
		cachedRetired = indexEntries(ix, compactedMetaObject)
	}
	mods, exists, err := fs.statAll(name)
	if err != nil {
		return nil, err
	}
	// With since set, the meta.compacted.json of every folder without the
	// object is looked up, all at once (on a file:// bucket, 990 stats one
	// after another were a fifth of a trace lookup among 248 live and 990
	// retired blocks); the loop below takes the answers in the same order.
	var cmods []time.Time
	var cexists []bool
	if !since.IsZero() {
		var missing []uuid.UUID
		for i, id := range fs.ids {
			if !exists[i] {
				missing = append(missing, id)
			}
		}
		if cmods, cexists, err = fs.statSome(missing, compactedMetaObject); err != nil {
			return nil, err
		}
	}
	es := make([]tenantindex.Entry, 0, len(fs.ids))
	var toRead []uuid.UUID
	var retired []bool // per toRead: read meta.compacted.json
	for i, id := range fs.ids {
		if !exists[i] {
			if !since.IsZero() {
				mod, ok := cmods[0], cexists[0]
				cmods, cexists = cmods[1:], cexists[1:]
				if !ok || mod.Before(since) {
					continue
				}
				if e, ok := cachedRetired[id]; ok && mod.Before(ix.CreatedAt.Add(-fs.slack)) {
					es = append(es, e)
					continue
				}
				toRead, retired = append(toRead, id), append(retired, true)
			}
			continue
		}
		if e, ok := cached[id]; ok && mods[i].Before(ix.CreatedAt.Add(-fs.slack)) {
			if fs.dir == "" {
				s.known.add(joinKey(s.tenant, id.String(), name), e.Raw, false)
			}
			es = append(es, e)
			continue
		}
		toRead, retired = append(toRead, id), append(retired, false)
	}
	// The reads are independent small requests: overlap them.
	read := make([]tenantindex.Entry, len(toRead))
	if err := workers.Each(ctx, len(toRead), 16, func(ctx context.Context, i int) error {
		id := toRead[i]
		obj := name
		if retired[i] {
			obj = compactedMetaObject
		}
		key := joinKey(s.tenant, id.String(), obj)
		raw, err := s.readListed(ctx, fs, id, obj)
		if isNotFound(err) && !since.IsZero() && !retired[i] {
			// Retired after the listing: read what replaced it.
			key = joinKey(s.tenant, id.String(), compactedMetaObject)
			raw, err = s.readListed(ctx, fs, id, compactedMetaObject)
		}
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		m, err := metadata.Decode(raw, key)
		if err != nil {
			// One damaged block must not stop the tenant: it is left
			// out, and the command reports it (Store.Damaged).
			s.skipDamaged(key, err)
			return nil
		}
		if strings.HasSuffix(key, compactedMetaObject) && m.CompactedTime.IsZero() {
			m.CompactedTime = time.Now().UTC() // retired all the same
		}
		read[i] = tenantindex.Entry{Meta: &m, Raw: raw}
		return nil
	}); err != nil {
		return nil, err
	}
	for _, e := range read {
		if e.Meta != nil {
			es = append(es, e)
		}
	}
	sortEntries(es)
	return es, nil
}

// readListed reads folder id's meta object name, which fs listed. On an
// object store (not file://, whose listed MD5s may be stale), an object
// this store has read or written before with the size and MD5 the listing
// shows is taken from memory, and what it reads is remembered
// (knownObjects).
func (s *Store) readListed(ctx context.Context, fs *folderSet, id uuid.UUID, name string) ([]byte, error) {
	key := joinKey(s.tenant, id.String(), name)
	lo, listed := fs.listed(id, name)
	if listed && s.listedMD5sCurrent() {
		if raw, ok := s.known.match(key, lo.size, lo.md5); ok {
			return raw, nil
		}
	}
	raw, err := s.readObject(ctx, fs.dir, id, name)
	if err == nil && fs.dir == "" {
		s.known.add(key, raw, true)
	}
	return raw, err
}

// sortEntries sorts like sortMetas: by start time, then block ID.
func sortEntries(es []tenantindex.Entry) {
	sort.Slice(es, func(i, j int) bool { return metaLess(es[i].Meta, es[j].Meta) })
}

// WriteIndex writes the tenant index (<tenant>/index.json.gz, Tempo's
// format) from the tenant's current blocks, or deletes it when the tenant
// has no block left. An index that is already exactly up to date is left
// alone. Readers never depend on the index for correctness (see the
// invariant above); it saves them reading every meta. The commands that
// change a tenant call it when they are done.
func (s *Store) WriteIndex(ctx context.Context) error {
	// An entry stands for an object only if the object is older than
	// created_at by the store's time granularity. The commands that call
	// this have just written metas (an ingest publishes all its blocks at
	// its end): wait that granularity out, so that the index covers them
	// (at most a second, on object stores; otherwise the next reads would
	// read every one of those metas).
	if wait := time.Until(time.Unix(0, s.metaWritten.Load()).Add(s.timeSlack())); wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	// created_at is taken before listing: an object written from now on
	// is newer than the index, so no entry stands for it.
	createdAt := time.Now().UTC()
	old, fs, err := s.indexAndFolders(ctx, metaObject)
	if err != nil {
		return err
	}
	live, err := s.metaEntries(ctx, fs, old, metaObject)
	if err != nil {
		return err
	}
	compacted, err := s.metaEntries(ctx, fs, old, compactedMetaObject)
	if err != nil {
		return err
	}
	key := joinKey(s.tenant, tenantindex.ObjectName)
	if len(live) == 0 && len(compacted) == 0 {
		if err := s.bucket.Delete(ctx, key); err != nil && !isNotFound(err) {
			return fmt.Errorf("delete %s: %w", key, err)
		}
		return nil
	}
	if old != nil && sameEntries(live, old.Live) && sameEntries(compacted, old.Compacted) {
		return nil
	}
	data, err := tenantindex.Encode(createdAt, live, compacted)
	if err != nil {
		return err
	}
	return s.put(ctx, key, data)
}

// sameEntries reports whether es are exactly the index entries of cached:
// each came from it, and it has no other.
func sameEntries(es []tenantindex.Entry, cached map[uuid.UUID]tenantindex.Entry) bool {
	if len(es) != len(cached) {
		return false
	}
	for _, e := range es {
		if c, ok := cached[e.Meta.BlockID]; !ok || c.Meta != e.Meta {
			return false
		}
	}
	return true
}
