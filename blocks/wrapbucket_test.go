package blocks

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"
)

// wrapBucket is a blob driver over another bucket that records every read
// (ranged reads, whole-object reads and attribute calls) and can fail the
// n-th object write. Tests use it to see exactly which requests the
// package makes, through the public *blob.Bucket API.
type wrapBucket struct {
	inner *blob.Bucket

	mu        sync.Mutex
	reads     []readRec
	writes    int
	failWrite int // 1-based index of the object write to fail; 0 = never

	// crashAt simulates a process dying: the crashAt-th mutation (object
	// write or delete, 1-based) and every one after it fail, so no
	// cleanup happens either. 0 = never.
	crashAt   int
	mutations int
}

var errCrashed = errors.New("injected crash")

// mutate counts a mutation and reports whether it must fail.
func (w *wrapBucket) mutate() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.mutations++
	return w.crashAt > 0 && w.mutations >= w.crashAt
}

type readRec struct {
	key    string
	off, n int64 // n == -1: to the end of the object
}

var errInjected = errors.New("injected write failure")

func newWrapBucket(t testing.TB) (*wrapBucket, *blob.Bucket) {
	w := &wrapBucket{inner: memblob.OpenBucket(nil)}
	b := blob.NewBucket(w)
	t.Cleanup(func() { b.Close() })
	return w, b
}

func (w *wrapBucket) log() []readRec {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]readRec(nil), w.reads...)
}

func (w *wrapBucket) resetLog() { w.mu.Lock(); w.reads = nil; w.mu.Unlock() }

func (w *wrapBucket) ErrorCode(err error) gcerrors.ErrorCode { return gcerrors.Code(err) }
func (w *wrapBucket) As(any) bool                            { return false }
func (w *wrapBucket) ErrorAs(err error, target any) bool     { return errors.As(err, target) }
func (w *wrapBucket) Close() error                           { return w.inner.Close() }

func (w *wrapBucket) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
	w.mu.Lock()
	w.reads = append(w.reads, readRec{key: key, off: 0, n: 0})
	w.mu.Unlock()
	a, err := w.inner.Attributes(ctx, key)
	if err != nil {
		return nil, err
	}
	return &driver.Attributes{ContentType: a.ContentType, Metadata: a.Metadata, ModTime: a.ModTime,
		Size: a.Size, MD5: a.MD5, ETag: a.ETag}, nil
}

func (w *wrapBucket) ListPaged(ctx context.Context, opts *driver.ListOptions) (*driver.ListPage, error) {
	size := opts.PageSize
	if size <= 0 {
		size = 1000
	}
	token := opts.PageToken
	if len(token) == 0 {
		token = blob.FirstPageToken
	}
	objs, next, err := w.inner.ListPage(ctx, token, size, &blob.ListOptions{Prefix: opts.Prefix, Delimiter: opts.Delimiter})
	if err != nil && err != io.EOF {
		return nil, err
	}
	page := &driver.ListPage{NextPageToken: next}
	for _, o := range objs {
		page.Objects = append(page.Objects, &driver.ListObject{Key: o.Key, ModTime: o.ModTime, Size: o.Size, MD5: o.MD5, IsDir: o.IsDir})
	}
	return page, nil
}

func (w *wrapBucket) NewRangeReader(ctx context.Context, key string, off, n int64, _ *driver.ReaderOptions) (driver.Reader, error) {
	w.mu.Lock()
	w.reads = append(w.reads, readRec{key, off, n})
	w.mu.Unlock()
	r, err := w.inner.NewRangeReader(ctx, key, off, n, nil)
	if err != nil {
		return nil, err
	}
	return &wrapReader{r}, nil
}

type wrapReader struct{ r *blob.Reader }

func (r *wrapReader) Read(p []byte) (int, error) { return r.r.Read(p) }
func (r *wrapReader) Close() error               { return r.r.Close() }
func (r *wrapReader) As(any) bool                { return false }
func (r *wrapReader) Download(w io.Writer) error { _, err := io.Copy(w, r.r); return err }
func (r *wrapReader) Attributes() *driver.ReaderAttributes {
	return &driver.ReaderAttributes{ContentType: r.r.ContentType(), ModTime: r.r.ModTime(), Size: r.r.Size()}
}

func (w *wrapBucket) NewTypedWriter(ctx context.Context, key, contentType string, opts *driver.WriterOptions) (driver.Writer, error) {
	w.mu.Lock()
	w.writes++
	fail := w.writes == w.failWrite
	w.mu.Unlock()
	if w.mutate() {
		return nil, errCrashed
	}
	ctx, cancel := context.WithCancel(ctx)
	inner, err := w.inner.NewWriter(ctx, key, &blob.WriterOptions{ContentType: contentType, Metadata: opts.Metadata})
	if err != nil {
		cancel()
		return nil, err
	}
	return &wrapWriter{w: inner, fail: fail, cancel: cancel}, nil
}

// wrapWriter fails its first Write when fail is set, as a network error
// in the middle of an upload would.
type wrapWriter struct {
	w      *blob.Writer
	fail   bool
	cancel context.CancelFunc
}

func (w *wrapWriter) Write(p []byte) (int, error) {
	if w.fail {
		return 0, errInjected
	}
	return w.w.Write(p)
}

func (w *wrapWriter) Close() error {
	defer w.cancel()
	if w.fail {
		w.cancel() // abort the inner upload
		_ = w.w.Close()
		return errInjected
	}
	return w.w.Close()
}

func (w *wrapWriter) Upload(r io.Reader) error {
	if _, err := io.Copy(w, r); err != nil {
		return err
	}
	return nil
}

func (w *wrapBucket) Copy(ctx context.Context, dst, src string, _ *driver.CopyOptions) error {
	return w.inner.Copy(ctx, dst, src, nil)
}

func (w *wrapBucket) Delete(ctx context.Context, key string, _ *driver.DeleteOptions) error {
	if w.mutate() {
		return errCrashed
	}
	return w.inner.Delete(ctx, key)
}

func (w *wrapBucket) SignedURL(context.Context, string, *driver.SignedURLOptions) (string, error) {
	return "", errors.New("not supported")
}
