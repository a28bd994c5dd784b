package blocks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"gocloud.dev/blob"

	"github.com/tracectl/tracectl/blocks/metadata"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// ErrTraceNotFound is returned by FindTrace when no block holds the trace.
var ErrTraceNotFound = errors.New("trace not found")

// ErrBlockNotFound is returned by OpenBlock when the block has no meta.json.
var ErrBlockNotFound = errors.New("block not found")

// Store is one tenant's blocks in a bucket. It implements store.Source.
type Store struct {
	bucket *blob.Bucket
	tenant string
	// concurrency bounds the row groups decoded at once by a scan; 0 means
	// runtime.GOMAXPROCS(0). See SetConcurrency.
	concurrency int
	// prog reports how far reads have come (SetProgress).
	prog progressSum

	// metaWritten is when this store last wrote a meta object (Unix
	// nanoseconds), for WriteIndex.
	metaWritten atomic.Int64
	// known is what this store has read or written of the tenant's metas
	// and rewrite marks, on object stores (see knownObjects).
	known knownObjects

	mu      sync.Mutex
	damaged map[string]error // by object key: metas left out of listings
	listed  bool             // a listing of live blocks ran
	found   bool             // and some listing found one
	last    []Meta           // what the latest listing of live blocks found
}

// Empty reports whether a listing of the store's live blocks found none
// while the tenant held no object at all (no retired or unfinished block
// either): a mistyped tenant or bucket looks like this.
func (s *Store) Empty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listed && !s.found
}

// Listed returns the live blocks the store's latest listing of them found
// (a search's, a scan's or Verify's), and false when it has made none:
// what the command listed, where listing again could find blocks written
// or retired since. A read that met compactions under way may also have
// read retired blocks, which are not among them. The metas are copies,
// but their slices (IDs, dedicated columns) are shared: not to be changed.
func (s *Store) Listed() ([]Meta, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.last), s.listed
}

// noteListing records a listing that found the live blocks metas (kept
// for Listed); with none, it looks whether the tenant holds any object (at
// that moment: a command that then deletes the last block did not run on
// an empty tenant).
func (s *Store) noteListing(ctx context.Context, metas []Meta) {
	n := len(metas)
	s.mu.Lock()
	done := s.found
	s.listed = true
	s.last = slices.Clone(metas)
	s.found = s.found || n > 0
	s.mu.Unlock()
	if done || n > 0 {
		return
	}
	objs, _, err := s.bucket.ListPage(ctx, blob.FirstPageToken, 1, &blob.ListOptions{Prefix: s.tenant + "/"})
	if err != nil || len(objs) > 0 {
		s.mu.Lock()
		s.found = true // not known to be empty
		s.mu.Unlock()
	}
}

// HoldsObjects reports whether the tenant's folder holds any object at
// all (a block, a retired or unfinished one, an index): without one, a
// listing finds it Empty.
func (s *Store) HoldsObjects(ctx context.Context) (bool, error) {
	objs, _, err := s.bucket.ListPage(ctx, blob.FirstPageToken, 1, &blob.ListOptions{Prefix: s.tenant + "/"})
	return len(objs) > 0, err
}

// Tenants returns the tenant folders of the bucket, sorted.
func (s *Store) Tenants(ctx context.Context) ([]string, error) {
	it := s.bucket.List(&blob.ListOptions{Delimiter: "/"})
	var out []string
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			sort.Strings(out)
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list tenants: %w", err)
		}
		if name, ok := strings.CutSuffix(obj.Key, "/"); ok && obj.IsDir && ValidateTenant(name) == nil {
			out = append(out, name)
		}
	}
}

// Damaged returns the damaged objects reads have left out so far (a
// meta.json that does not decode, a data.parquet whose footer or a page
// does not), one error naming each, sorted by key; a *DamagedError says
// whether rows of its block were passed on before (Partial).
func (s *Store) Damaged() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.damaged))
	for k := range s.damaged {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]error, len(keys))
	for i, k := range keys {
		out[i] = s.damaged[k]
	}
	return out
}

// skipDamaged records that the object key was left out for err.
func (s *Store) skipDamaged(key string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.damaged == nil {
		s.damaged = map[string]error{}
	}
	s.damaged[key] = err
}

var _ store.Source = (*Store)(nil)

// NewStore returns the store of tenant in b.
func NewStore(b *blob.Bucket, tenant string) *Store {
	return &Store{bucket: b, tenant: tenant}
}

// SetConcurrency sets how many row groups a scan (Traces without TraceIDs)
// decodes at once, across all blocks; n <= 0 restores the default,
// runtime.GOMAXPROCS(0), and 1 decodes on the caller's goroutine only. Call
// it before sharing the store between goroutines.
func (s *Store) SetConcurrency(n int) { s.concurrency = n }

// Concurrency returns the effective scan concurrency (see SetConcurrency).
func (s *Store) Concurrency() int {
	if s.concurrency > 0 {
		return s.concurrency
	}
	return runtime.GOMAXPROCS(0)
}

// On an object store, a row group of a small block costs more waiting
// than work: a round trip for the footer, one for the column chunks and
// one for the offset indexes, around a millisecond of decoding. Scans of
// such blocks run more workers than cores, so that those requests overlap:
// as many as fit an average row group each in remoteReadBytes, at most
// remoteWorkers.
const (
	remoteWorkers   = 16
	remoteReadBytes = 64 << 20
)

// scanWorkers returns how many row groups a scan of cand reads at once:
// Concurrency(), or on an object store with the default concurrency more
// when its row groups are small (see remoteWorkers).
func (s *Store) scanWorkers(cand []Meta) int {
	n := s.Concurrency()
	if s.concurrency > 0 || s.isLocal() {
		return n
	}
	var size, groups int64
	for _, m := range cand {
		size += int64(m.Size)
		groups += int64(max(m.TotalRecords, 1))
	}
	if groups == 0 {
		return n
	}
	return max(n, min(remoteWorkers, int(remoteReadBytes/max(size/groups, 1))))
}

// On an object store, writing work on small blocks (a compaction merge, a
// block rewrite) waits on its requests more than it computes: an object
// read per input, half a dozen writes, a few requests to retire each
// input. So more such units run at once than otherwise: SmallRemoteWrites
// when no unit's inputs exceed smallRemoteWriteBytes in all (each unit then
// holds about 10 MiB).
const (
	SmallRemoteWrites     = 8
	smallRemoteWriteBytes = 8 << 20
)

// WritesAtOnce returns how many units of writing work, whose inputs are
// inputBytes each, run at once: n, or at least SmallRemoteWrites on an
// object store when every unit is small.
func (s *Store) WritesAtOnce(n int, inputBytes []uint64) int {
	if !s.Remote() {
		return n
	}
	for _, b := range inputBytes {
		if b > smallRemoteWriteBytes {
			return n
		}
	}
	return max(n, SmallRemoteWrites)
}

// Remote reports whether the store is an object store (every read a
// request), not a local directory.
func (s *Store) Remote() bool { return !s.isLocal() }

// Tenant returns the tenant name.
func (s *Store) Tenant() string { return s.tenant }

// Bucket returns the underlying bucket.
func (s *Store) Bucket() *blob.Bucket { return s.bucket }

// contentType of every object tracectl writes.
const contentType = "application/octet-stream"

// put writes a small object with one Bucket.Upload.
func (s *Store) put(ctx context.Context, key string, data []byte) error {
	if err := upload(ctx, s.bucket, key, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	if strings.HasSuffix(key, "/"+metaObject) || strings.HasSuffix(key, "/"+compactedMetaObject) {
		s.metaWritten.Store(time.Now().UnixNano())
		if !s.isLocal() {
			s.known.add(key, data, true)
		}
	}
	return nil
}

// upload is Bucket.Upload with a recover: a driver panic becomes an error
// naming the object instead of killing the process.
func upload(ctx context.Context, b *blob.Bucket, key string, r io.Reader) error {
	return uploadWith(ctx, b, key, r, &blob.WriterOptions{ContentType: contentType})
}

// uploadWith is upload with the writer options given.
func uploadWith(ctx context.Context, b *blob.Bucket, key string, r io.Reader, opts *blob.WriterOptions) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("upload of %s failed in the storage driver: %v", key, p)
		}
	}()
	return b.Upload(ctx, key, r, opts)
}

// objectWriter streams one object into a bucket. Its bytes go through a
// pipe to Bucket.Upload on another goroutine rather than through
// Bucket.NewWriter: gocloud v0.47.0's azureblob writer panics (a nil
// *io.PipeReader in Close) whenever a streamed upload fails, for example
// on a wrong account key or a missing container, while Upload returns the
// error. The object is created only by a successful Close.
type objectWriter struct {
	pw     *io.PipeWriter
	cancel context.CancelFunc
	done   chan struct{}
	err    error // the upload's result, set before done closes
}

func (s *Store) newObjectWriter(ctx context.Context, key string) *objectWriter {
	ctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	w := &objectWriter{pw: pw, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		w.err = upload(ctx, s.bucket, key, pr)
		// A failed or finished upload stops reading: fail later Writes
		// instead of blocking them.
		if w.err != nil {
			pr.CloseWithError(w.err)
		} else {
			pr.CloseWithError(errors.New("upload already finished"))
		}
	}()
	return w
}

// Write sends p to the upload; after the upload failed it returns its error.
func (w *objectWriter) Write(p []byte) (int, error) { return w.pw.Write(p) }

// Close ends the object and waits for the upload: nil means the object
// was created.
func (w *objectWriter) Close() error {
	_ = w.pw.Close()
	<-w.done
	w.cancel()
	return w.err
}

// Abort cancels the upload, so the object is not created, and waits for it.
func (w *objectWriter) Abort() {
	w.cancel() // before the reader sees the end: a canceled upload commits nothing
	_ = w.pw.CloseWithError(context.Canceled)
	<-w.done
}

// blockDirs lists the block folders of the tenant (IDs that parse as UUIDs).
func (s *Store) blockDirs(ctx context.Context) ([]uuid.UUID, error) {
	prefix := s.tenant + "/"
	it := s.bucket.List(&blob.ListOptions{Prefix: prefix, Delimiter: "/"})
	var out []uuid.UUID
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("list tenant %s: %w", s.tenant, err)
		}
		if !obj.IsDir {
			continue
		}
		id, err := uuid.Parse(strings.TrimSuffix(strings.TrimPrefix(obj.Key, prefix), "/"))
		if err != nil {
			continue
		}
		out = append(out, id)
	}
	return out, nil
}

func (s *Store) readMeta(ctx context.Context, id uuid.UUID, name string) (Meta, error) {
	b, err := s.readObject(ctx, s.localTenantDir(), id, name)
	if err != nil {
		return Meta{}, err
	}
	return metadata.Decode(b, joinKey(s.tenant, id.String(), name))
}

// Blocks returns the metas of the tenant's live blocks, sorted by start
// time then ID. Folders without meta.json (being written, orphaned or
// compacted) are skipped. The tenant index (index.json.gz) saves reading
// each meta.json; the result is the same without it (see tenantindex.go).
func (s *Store) Blocks(ctx context.Context) ([]Meta, error) {
	return s.listMetas(ctx, metaObject)
}

// CompactedBlocks returns the metas of blocks marked compacted
// (meta.compacted.json), sorted like Blocks.
func (s *Store) CompactedBlocks(ctx context.Context) ([]Meta, error) {
	return s.listMetas(ctx, compactedMetaObject)
}

func sortMetas(ms []Meta) {
	sort.Slice(ms, func(i, j int) bool { return metaLess(&ms[i], &ms[j]) })
}

// metaLess orders metas by start time, then block ID (byte order is the
// order of the IDs' strings).
func metaLess(a, b *Meta) bool {
	if !a.StartTime.Equal(b.StartTime) {
		return a.StartTime.Before(b.StartTime)
	}
	return bytes.Compare(a.BlockID[:], b.BlockID[:]) < 0
}

// Orphans returns the keys (tenant/blockID) of block folders that hold
// objects but neither meta.json nor meta.compacted.json: leftovers of
// interrupted writes, or blocks still being written.
func (s *Store) Orphans(ctx context.Context) ([]string, error) {
	dirs, err := s.orphanDirs(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(dirs))
	for i, d := range dirs {
		out[i] = s.tenant + "/" + d.name
	}
	return out, nil
}

// Orphan is a block folder without meta.json or meta.compacted.json.
type Orphan struct {
	BlockID uuid.UUID
	// Modified is the newest modification time of its objects.
	Modified time.Time
}

// OrphanBlocks is Orphans for folders named by a block ID (in canonical
// form, as blocks are written), with the time they were last written to.
// It lists the folders and their metas as a listing of blocks does (on a
// file:// bucket, one read of the tenant directory), and lists the
// objects of only the folders found without a meta, instead of every
// object of the tenant.
func (s *Store) OrphanBlocks(ctx context.Context) ([]Orphan, error) {
	fs, err := s.listFolders(ctx)
	if err != nil {
		return nil, err
	}
	var out []Orphan
	for _, id := range fs.ids {
		if has, err := fs.hasMeta(id); err != nil || has {
			if err != nil {
				return nil, err
			}
			continue
		}
		// A meta may have been written since the folders were listed: the
		// folder's own listing has the last word.
		var mod time.Time
		has, any := false, false
		prefix := joinKey(s.tenant, id.String()) + "/"
		err := s.eachObject(ctx, prefix, func(o *blob.ListObject) {
			any = true
			if name := strings.TrimPrefix(o.Key, prefix); name == metaObject || name == compactedMetaObject {
				has = true
			}
			if o.ModTime.After(mod) {
				mod = o.ModTime
			}
		})
		if err != nil {
			return nil, err
		}
		if any && !has {
			out = append(out, Orphan{BlockID: id, Modified: mod})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].BlockID.String() < out[j].BlockID.String() })
	return out, nil
}

type orphanDir struct {
	name string
	mod  time.Time
}

func (s *Store) orphanDirs(ctx context.Context) ([]orphanDir, error) {
	prefix := s.tenant + "/"
	hasMeta := map[string]bool{}
	mod := map[string]time.Time{}
	err := s.eachObject(ctx, prefix, func(obj *blob.ListObject) {
		rest := strings.TrimPrefix(obj.Key, prefix)
		dir, name, ok := strings.Cut(rest, "/")
		if !ok {
			return // tenant-level object such as index.json.gz
		}
		if _, seen := hasMeta[dir]; !seen {
			hasMeta[dir] = false
		}
		if obj.ModTime.After(mod[dir]) {
			mod[dir] = obj.ModTime
		}
		if name == metaObject || name == compactedMetaObject {
			hasMeta[dir] = true
		}
	})
	if err != nil {
		return nil, err
	}
	var out []orphanDir
	for d, has := range hasMeta {
		if !has {
			out = append(out, orphanDir{name: d, mod: mod[d]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// OpenBlock reads the block's meta.json. It returns ErrBlockNotFound when
// the block has no meta.json.
func (s *Store) OpenBlock(ctx context.Context, id uuid.UUID) (*Block, error) {
	m, err := s.readMeta(ctx, id, metaObject)
	if isNotFound(err) {
		return nil, fmt.Errorf("%s/%s: %w", s.tenant, id, ErrBlockNotFound)
	}
	if err != nil {
		return nil, err
	}
	return s.block(m), nil
}

func (s *Store) block(m Meta) *Block {
	return &Block{store: s, meta: m, codec: newCodec(m.DedicatedColumns), prefix: joinKey(s.tenant, m.BlockID.String())}
}

// MarkCompacted retires a block: it writes meta.compacted.json (the meta
// plus compactedTime) and then deletes meta.json, so readers stop seeing
// the block. Deleting the objects is left to retention. It returns
// ErrBlockNotFound when the block has no meta.json (never written, already
// compacted or deleted). A meta.json this store has listed or written is
// not read again (a block's meta.json never changes): a block retired
// meanwhile by another writer is then retired again, which changes only
// its compactedTime.
func (s *Store) MarkCompacted(ctx context.Context, id uuid.UUID) error {
	mk := joinKey(s.tenant, id.String(), metaObject)
	var m Meta
	var err error
	if raw, ok := s.known.get(mk); ok {
		// Seen by this store: a block's meta.json never changes.
		m, err = metadata.Decode(raw, mk)
	} else {
		m, err = s.readMeta(ctx, id, metaObject)
	}
	if isNotFound(err) {
		return fmt.Errorf("%s/%s: %w", s.tenant, id, ErrBlockNotFound)
	}
	if err != nil {
		return err
	}
	m.CompactedTime = time.Now().UTC().Truncate(time.Second)
	b, err := m.MarshalJSON()
	if err != nil {
		return err
	}
	key := joinKey(s.tenant, id.String(), compactedMetaObject)
	if err := s.put(ctx, key, b); err != nil {
		return err
	}
	s.known.forget(mk)
	if err := s.bucket.Delete(ctx, mk); err != nil && !isNotFound(err) {
		return fmt.Errorf("%s: %w", mk, err)
	}
	return nil
}

// FindTrace looks a trace up in every block and merges the copies found
// (model.MergeTraces). It returns ErrTraceNotFound when no block has it.
func (s *Store) FindTrace(ctx context.Context, id model.TraceID) (*model.Trace, error) {
	metas, err := s.readBlocks(ctx)
	if err != nil {
		return nil, err
	}
	return s.findIn(ctx, metas, id, nil)
}

// FindTraceBetween is FindTrace limited to blocks whose time range overlaps
// [start, end] (zero times are unbounded); the trace itself must overlap too.
func (s *Store) FindTraceBetween(ctx context.Context, id model.TraceID, start, end time.Time) (*model.Trace, error) {
	req := store.Request{Start: start, End: end}
	metas, err := s.readBlocks(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.findIn(ctx, inRange(metas, &req), id, nil)
	if err != nil {
		return nil, err
	}
	if !req.Overlaps(t.TimeRange()) {
		return nil, fmt.Errorf("%s: trace %s: %w", s.tenant, id, ErrTraceNotFound)
	}
	return t, nil
}

// Traces implements store.Source. Blocks whose meta time range misses the
// request are skipped; with TraceIDs each ID is looked up through the bloom
// filters. Copies of a trace in several blocks are merged, and traces come
// out in ascending ID order. Row groups whose StartTimeUnixNano /
// EndTimeUnixNano statistics miss the request range are skipped unread.
// A scan keeps one row group of every candidate block in memory, since the
// blocks are merged by ID. With Concurrency() > 1 each block is decoded
// ahead by its own goroutine (a few batches of traces queued per block),
// at most Concurrency() decoding at once; the output is the same.
// req.Fields projects columns; req.Unordered scans blocks independently
// (see scan.go), holding about Concurrency() row groups whatever the
// number of blocks.
func (s *Store) Traces(ctx context.Context, req store.Request) (store.TraceIterator, error) {
	metas, err := s.readBlocks(ctx)
	if err != nil {
		return nil, err
	}
	cand := inRange(metas, &req)
	if len(req.TraceIDs) > 0 {
		ids := append([]model.TraceID(nil), req.TraceIDs...)
		sort.Slice(ids, func(i, j int) bool { return model.CompareTraceIDs(ids[i], ids[j]) < 0 })
		var out []*model.Trace
		cache := shardCache{}
		for i, id := range ids {
			if i > 0 && ids[i-1] == id {
				continue
			}
			t, err := s.findIn(ctx, cand, id, cache)
			if errors.Is(err, ErrTraceNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if req.Overlaps(t.TimeRange()) {
				out = append(out, t)
			}
		}
		return store.NewSliceIterator(out), nil
	}
	if req.Unordered {
		return s.scanUnordered(ctx, cand, req)
	}
	return s.scanOrdered(ctx, cand, req), nil
}

// TracesOf merges the given blocks by trace ID, like Traces does with all
// live blocks (copies of a trace combined by model.MergeTraces, ascending
// ID order). Like every read, it streams row groups larger than
// streamAbove (a window of at most streamWindow bytes per column chunk,
// one decoded page per column), so memory does not grow with the size of
// the blocks' row groups. The metas usually come from Blocks; they are not
// re-read.
func (s *Store) TracesOf(ctx context.Context, metas []Meta) store.TraceIterator {
	return s.mergeBlocks(ctx, metas, store.Request{}, false)
}

// scanOrdered merges the blocks of cand by trace ID, leaving damaged
// blocks out.
func (s *Store) scanOrdered(ctx context.Context, cand []Meta, req store.Request) store.TraceIterator {
	return s.mergeBlocks(ctx, cand, req, true)
}

// mergeBlocks merges the blocks of cand by trace ID; skipDamaged leaves a
// damaged block out (Store.Damaged) instead of failing.
func (s *Store) mergeBlocks(ctx context.Context, cand []Meta, req store.Request, skipDamaged bool) *mergeIterator {
	// With concurrency > 1 every block gets a producer goroutine that
	// decodes ahead; sem bounds how many read and decode at once across
	// the blocks.
	var sem chan struct{}
	if n := s.scanWorkers(cand); n > 1 && len(cand) > 0 {
		sem = make(chan struct{}, n)
	}
	// A filter may drop a block's copy of a trace only when no other
	// block holds part of it.
	disjoint := len(cand) <= 1 || idRangesDisjoint(cand)
	prog := s.trackScan(cand)
	its := make([]*blockIterator, 0, len(cand))
	for i, m := range cand {
		it := s.block(m).iterator(ctx)
		it.req, it.pos, it.filter, it.mergedTime = &req, i, disjoint || byIDOnly(req.Filter), !disjoint
		it.skipDamaged, it.idOrder = skipDamaged, true
		it.sem, it.prog = sem, prog
		its = append(its, it)
	}
	m := newMergeIterator(its)
	if !disjoint {
		m.req = &req
	}
	return m
}

// byIDOnly reports whether f decides a trace from its ID alone
// (store.OpTraceIDs), so that each block may apply it to its part of a
// trace split across blocks: every part of a trace passes or none does.
func byIDOnly(f *store.Filter) bool {
	return f != nil && f.Cond != nil && f.Cond.Op == store.OpTraceIDs
}

// ValidateTenant checks a tenant ID as Tempo (and Mimir, Loki) do: 1 to
// 150 characters of A–Z, a–z, 0–9 and ! - _ . * ' ( ), and not "." or
// "..". Anything else would put blocks where readers do not look (the
// bucket root for "", nested folders for "a/b").
func ValidateTenant(id string) error {
	ok := id != "" && len(id) <= 150 && id != "." && id != ".."
	for _, r := range id {
		if !ok {
			break
		}
		ok = 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("!-_.*'()", r)
	}
	if !ok {
		return fmt.Errorf("tenant %q: a tenant ID is 1 to 150 characters of A-Z, a-z, 0-9 and ! - _ . * ' ( ) (not \".\" or \"..\")", id)
	}
	return nil
}
