package blocks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/tracectl/tracectl/internal/bucketurl"
)

// OpenBucket opens a gocloud.dev/blob URL (file://, mem://, s3://, gs://,
// azblob://): bucketurl.Open, which creates a missing file:// directory.
// Kept here for the library's callers, who need no second import.
func OpenBucket(ctx context.Context, rawURL string) (*blob.Bucket, error) {
	return bucketurl.Open(ctx, rawURL)
}

// blobReaderAt serves io.ReaderAt from ranged reads of one object, so
// parquet files are opened without downloading them.
type blobReaderAt struct {
	ctx    context.Context
	bucket *blob.Bucket
	key    string
	size   int64
	// local is set for an object of a file:// bucket (see streamAbove).
	local bool
	// path, when set, is the object's file in a file:// bucket: reads are
	// preads of file (opened by the first read, closed by release). A
	// prefetched range (a footer, a small row group) is one pread into a
	// window; a large row group is not streamed through windows but read
	// straight into the reader's buffers. Ranged reads through the bucket
	// opened the file for each and copied through a window: 6–9% of the
	// CPU of a scan of every span.
	path string
	file *os.File

	// wins hold prefetched byte ranges (the column chunks of the row group
	// being decoded), sorted by offset.
	wins []window
	// In streaming mode chunks are the column chunks of the row group
	// being decoded (sorted, not coalesced) and cwins[i] a window of at
	// most streamWindow bytes of chunk i, read when a read misses it.
	chunks []byteRange
	cwins  []window
	// whole is the entire object when it is small and remote (see
	// wholeObjectBytes): it serves every read until the first release.
	whole []byte
	// onDemand are byte ranges (the offset indexes of the chunks being
	// read) each fetched whole by the first read that falls inside it, so
	// that the page jumps of many columns cost one request, not one each.
	onDemand []byteRange

	// mu serializes ReadAt, which changes the windows and the file: the
	// column readers of a spread row group (groupRead.spread) read from
	// two goroutines. The other methods are called while no read runs.
	mu sync.Mutex
}

// streamWindow is how much of a column chunk a streaming read fetches at
// a time (a variable for tests).
var streamWindow int64 = 256 << 10

// window is a prefetched byte range of the object.
type window struct {
	off int64
	buf []byte
}

// streamThreshold is the size of the column chunks a row group read needs
// above which they are read a window at a time (see streamAbove).
func (r *blobReaderAt) streamThreshold() int64 {
	if r.local {
		return min(streamAbove, localStreamAbove)
	}
	return streamAbove
}

// byteRange is [off, off+n) of an object.
type byteRange struct{ off, n int64 }

func (r *blobReaderAt) ReadAt(p []byte, off int64) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.readAt(p, off)
}

func (r *blobReaderAt) readAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("%s: negative offset", r.key)
	}
	if off >= r.size {
		return 0, io.EOF
	}
	if r.whole != nil && off < int64(len(r.whole)) {
		n := copy(p, r.whole[off:])
		if n < len(p) {
			return n, io.EOF
		}
		return n, nil
	}
	for _, w := range r.wins {
		if off >= w.off && off+int64(len(p)) <= w.off+int64(len(w.buf)) {
			return copy(p, w.buf[off-w.off:]), nil
		}
	}
	if i, ok := rangeAt(r.onDemand, off, int64(len(p))); ok {
		br := r.onDemand[i]
		buf, err := r.readRange(br.off, br.n)
		if err != nil {
			return 0, err
		}
		r.onDemand = slices.Delete(r.onDemand, i, i+1)
		r.wins = append(r.wins, window{off: br.off, buf: buf})
		return copy(p, buf[off-br.off:]), nil
	}
	if i, ok := r.chunkAt(off, int64(len(p))); ok {
		w := &r.cwins[i]
		if w.buf == nil || off < w.off || off+int64(len(p)) > w.off+int64(len(w.buf)) {
			c := r.chunks[i]
			n := min(max(int64(len(p)), streamWindow), c.off+c.n-off)
			buf, err := r.readRangeInto(w.buf, off, n)
			if err != nil {
				return 0, err
			}
			*w = window{off: off, buf: buf}
		}
		return copy(p, w.buf[off-w.off:]), nil
	}
	if r.path != "" {
		return r.readFile(p, off)
	}
	n := int64(len(p))
	if off+n > r.size {
		n = r.size - off
	}
	if _, err := r.readRangeInto(p[:0], off, n); err != nil {
		return 0, err
	}
	if n < int64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

// readFile serves ReadAt from the object's local file; reading past the
// size the meta gives ends in io.EOF (damage), as a ranged read does.
func (r *blobReaderAt) readFile(p []byte, off int64) (int, error) {
	if off < 0 || off >= r.size {
		return 0, io.EOF
	}
	if err := r.openFile(); err != nil {
		return 0, err
	}
	want := p[:min(int64(len(p)), r.size-off)]
	n, err := r.file.ReadAt(want, off)
	switch {
	case err != nil && err != io.EOF:
		err = &readError{fmt.Errorf("%s: read %d bytes at %d: %w", r.key, len(want), off, err)}
	case err == nil && len(want) < len(p):
		err = io.EOF // p reaches past the end
	}
	return n, err
}

// openFile opens the object's local file unless it is open.
func (r *blobReaderAt) openFile() error {
	if r.file != nil {
		return nil
	}
	f, err := openLocal(r.path)
	if err != nil {
		return &readError{err} // names the file
	}
	r.file = f
	return nil
}

func (r *blobReaderAt) readRange(off, n int64) ([]byte, error) {
	return r.readRangeInto(nil, off, n)
}

// readRangeInto is readRange into buf when it has room for n bytes, else
// into a buffer of the window pool; buf (or a pooled buffer it replaces)
// goes back to the pool.
func (r *blobReaderAt) readRangeInto(buf []byte, off, n int64) ([]byte, error) {
	if int64(cap(buf)) < n {
		putWindow(buf)
		buf = getWindow(n)
	}
	buf = buf[:n]
	if r.path != "" {
		if _, err := r.readFile(buf, off); err != nil {
			if _, ok := err.(*readError); ok {
				return nil, err
			}
			return nil, &readError{fmt.Errorf("%s: read %d bytes at %d: %w", r.key, n, off, err)}
		}
		return buf, nil
	}
	rr, err := r.bucket.NewRangeReader(r.ctx, r.key, off, n, nil)
	if err != nil {
		return nil, &readError{fmt.Errorf("%s: %w", r.key, err)}
	}
	defer rr.Close()
	if _, err := io.ReadFull(rr, buf); err != nil {
		return nil, &readError{fmt.Errorf("%s: read %d bytes at %d: %w", r.key, n, off, err)}
	}
	return buf, nil
}

// prefetch loads [off, off+n) with one ranged read and serves later reads
// inside it from memory, replacing earlier windows.
func (r *blobReaderAt) prefetch(off, n int64) error {
	return r.prefetchRanges([]byteRange{{off, n}})
}

// prefetchRanges loads each range with one ranged read (ranges must be
// sorted and disjoint) and serves later reads inside them from memory,
// replacing earlier windows.
func (r *blobReaderAt) prefetchRanges(rs []byteRange) error {
	if r.whole != nil {
		return nil // every read is served already
	}
	r.putWindows()
	for _, br := range rs {
		if br.n <= 0 {
			continue
		}
		buf, err := r.readRange(br.off, br.n)
		if err != nil {
			r.wins = nil
			return err
		}
		r.wins = append(r.wins, window{off: br.off, buf: buf})
	}
	return nil
}

// stream switches to streaming mode for the given column chunks: reads
// inside a chunk fetch a window of it at a time instead of the whole
// ranges up front, so memory is bounded by streamWindow per column rather
// than by the row group's size.
func (r *blobReaderAt) stream(chunks []byteRange) {
	if r.whole != nil {
		return // every read is served already
	}
	if r.path != "" {
		return // read from the file page by page (see path)
	}
	r.putWindows()
	r.chunks = chunks
	r.cwins = make([]window, len(chunks))
}

// streaming reports whether the row group being read is read a window of
// each column chunk at a time (see stream).
func (r *blobReaderAt) streaming() bool { return len(r.chunks) > 0 }

// freeReads reports whether a read outside the prefetched ranges costs no
// request: the object is a local file or was read whole.
func (r *blobReaderAt) freeReads() bool { return r.local || r.whole != nil }

// chunkAt returns the streaming chunk holding [off, off+n).
func (r *blobReaderAt) chunkAt(off, n int64) (int, bool) {
	return rangeAt(r.chunks, off, n)
}

// rangeAt returns the range of rs (sorted, disjoint) holding [off, off+n).
func rangeAt(rs []byteRange, off, n int64) (int, bool) {
	i := sort.Search(len(rs), func(i int) bool { return rs[i].off+rs[i].n > off })
	if i < len(rs) && off >= rs[i].off && off+n <= rs[i].off+rs[i].n {
		return i, true
	}
	return 0, false
}

// fetchOnDemand sets the ranges (sorted, disjoint) that the first read
// inside each fetches whole; the next prefetch, stream or release forgets
// them.
func (r *blobReaderAt) fetchOnDemand(rs []byteRange) {
	if r.whole == nil && r.path == "" {
		r.onDemand = rs
	}
}

// release drops the prefetched and streamed windows.
func (r *blobReaderAt) release() {
	if r.file != nil {
		r.file.Close()
		r.file = nil
	}
	r.putWindows()
	putWindow(r.whole)
	r.wins, r.chunks, r.cwins, r.onDemand, r.whole = nil, nil, nil, nil, nil
}

// putWindows returns the windows' buffers to the pool and empties the
// lists: nothing else holds them (ReadAt copies out of them).
func (r *blobReaderAt) putWindows() {
	for i := range r.wins {
		putWindow(r.wins[i].buf)
	}
	for i := range r.cwins {
		putWindow(r.cwins[i].buf)
		r.cwins[i] = window{}
	}
	r.wins = r.wins[:0]
	r.onDemand = nil
}

// coalesce merges sorted ranges whose gap is at most gap bytes, so that
// neighbouring column chunks are fetched with one request.
func coalesce(rs []byteRange, gap int64) []byteRange {
	var out []byteRange
	for _, r := range rs {
		if n := len(out); n > 0 && r.off <= out[n-1].off+out[n-1].n+gap {
			last := &out[n-1]
			last.n = max(last.off+last.n, r.off+r.n) - last.off
			continue
		}
		out = append(out, r)
	}
	return out
}

// readAll reads a whole (small) object.
func readAll(ctx context.Context, b *blob.Bucket, key string) ([]byte, error) {
	data, err := b.ReadAll(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return data, nil
}

// eachObject calls fn with every object whose key starts with prefix.
func (s *Store) eachObject(ctx context.Context, prefix string, fn func(*blob.ListObject)) error {
	var objs []*blob.ListObject
	var err error
	for attempt := 1; ; attempt++ {
		if objs, err = s.listAll(ctx, prefix); err == nil {
			break
		}
		// A file:// listing walks the directory tree and stats each file:
		// a temporary file renamed by a concurrent writer between the two
		// fails it. That is no error of the listing's: list again.
		if !errors.Is(err, fs.ErrNotExist) && !isNotFound(err) || attempt == listAttempts {
			return err
		}
	}
	for _, o := range objs {
		fn(o)
	}
	return nil
}

// listAttempts bounds eachObject's listings.
const listAttempts = 5

// listAll lists every object under prefix.
func (s *Store) listAll(ctx context.Context, prefix string) ([]*blob.ListObject, error) {
	var out []*blob.ListObject
	it := s.bucket.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, err)
		}
		out = append(out, obj)
	}
}

func isNotFound(err error) bool {
	return gcerrors.Code(err) == gcerrors.NotFound || errors.Is(err, errObjectNotFound)
}

// errObjectNotFound says an object read from a file:// bucket's directory,
// not through the bucket (readLocal), does not exist; isNotFound accepts it.
var errObjectNotFound = errors.New("object not found")

func joinKey(parts ...string) string { return strings.Join(parts, "/") }
