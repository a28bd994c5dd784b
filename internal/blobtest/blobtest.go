// Package blobtest wraps a *blob.Bucket in a gocloud.dev blob driver whose
// hooks see, and may fail, every request: fault injection, simulated
// crashes and request logs for tests, through the public *blob.Bucket API.
//
// An Op is one request. A write is two ops: WriteOpen when the upload
// starts and Write when it completes and the object is created (on Close,
// as object stores create an object only when its upload completes). A
// write that is canceled or fails creates nothing and has no Write op.
package blobtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/gcerrors"
)

// Kind is the kind of an Op.
type Kind int

// The kinds of request.
const (
	WriteOpen  Kind = iota // an upload starts; nothing exists yet
	Write                  // an upload completes: the object is created
	Delete                 // an object is deleted
	Copy                   // Key is written from Src
	Read                   // a ranged read (N == -1: to the end) or a whole read
	Attributes             // an object's attributes are read
	List                   // a page of a listing (Key is the prefix)
)

var kindNames = [...]string{"open", "put", "delete", "copy", "read", "attributes", "list"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Mutation reports whether the op changes the bucket (Write, Delete, Copy).
func (k Kind) Mutation() bool { return k == Write || k == Delete || k == Copy }

// Op is one request to the bucket.
type Op struct {
	Kind   Kind
	Key    string // the object; Copy: the destination; List: the prefix
	Src    string // Copy: the source
	Off, N int64  // Read: the range (N == -1: to the end)
}

func (o Op) String() string { return o.Kind.String() + " " + o.Key }

// Hooks are called for every request; nil hooks are skipped.
type Hooks struct {
	// Before runs before the op reaches the inner bucket. An error fails
	// the op and the inner bucket is not touched (for Write: the upload is
	// aborted and the object not created).
	Before func(Op) error
	// After runs once the inner bucket has done the op, with its error;
	// the returned error replaces it (a crash right after a write landed).
	After func(Op, error) error
	// WriteData runs before each chunk of an upload reaches the inner
	// bucket. An error fails that Write, as a connection lost in the middle
	// of an upload would: the object is not created and Close returns the
	// error.
	WriteData func(key string, p []byte) error
}

// Wrap returns a bucket that passes every request to inner through h.
// Closing it does not close inner.
func Wrap(inner *blob.Bucket, h Hooks) *blob.Bucket {
	return blob.NewBucket(&bucket{inner: inner, h: h})
}

type bucket struct {
	inner *blob.Bucket
	h     Hooks
}

func (b *bucket) before(op Op) error {
	if b.h.Before == nil {
		return nil
	}
	return b.h.Before(op)
}

func (b *bucket) after(op Op, err error) error {
	if b.h.After == nil {
		return err
	}
	return b.h.After(op, err)
}

func (b *bucket) do(op Op, f func() error) error {
	if err := b.before(op); err != nil {
		return err
	}
	return b.after(op, f())
}

func (b *bucket) ErrorCode(err error) gcerrors.ErrorCode { return gcerrors.Code(err) }
func (b *bucket) As(i any) bool                          { return b.inner.As(i) }
func (b *bucket) ErrorAs(err error, target any) bool     { return errors.As(err, target) }
func (b *bucket) Close() error                           { return nil }

func (b *bucket) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
	var a *blob.Attributes
	err := b.do(Op{Kind: Attributes, Key: key}, func() (err error) {
		a, err = b.inner.Attributes(ctx, key)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &driver.Attributes{CacheControl: a.CacheControl, ContentDisposition: a.ContentDisposition,
		ContentEncoding: a.ContentEncoding, ContentLanguage: a.ContentLanguage, ContentType: a.ContentType,
		Metadata: a.Metadata, CreateTime: a.CreateTime, ModTime: a.ModTime, Size: a.Size, MD5: a.MD5, ETag: a.ETag}, nil
}

func (b *bucket) ListPaged(ctx context.Context, opts *driver.ListOptions) (*driver.ListPage, error) {
	size := opts.PageSize
	if size <= 0 {
		size = 1000
	}
	token := opts.PageToken
	if len(token) == 0 {
		token = blob.FirstPageToken
	}
	page := &driver.ListPage{}
	err := b.do(Op{Kind: List, Key: opts.Prefix}, func() error {
		objs, next, err := b.inner.ListPage(ctx, token, size, &blob.ListOptions{Prefix: opts.Prefix, Delimiter: opts.Delimiter})
		if err != nil && err != io.EOF {
			return err
		}
		page.NextPageToken = next
		for _, o := range objs {
			page.Objects = append(page.Objects, &driver.ListObject{Key: o.Key, ModTime: o.ModTime, Size: o.Size, MD5: o.MD5, IsDir: o.IsDir})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

func (b *bucket) NewRangeReader(ctx context.Context, key string, off, n int64, _ *driver.ReaderOptions) (driver.Reader, error) {
	var r *blob.Reader
	err := b.do(Op{Kind: Read, Key: key, Off: off, N: n}, func() (err error) {
		r, err = b.inner.NewRangeReader(ctx, key, off, n, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &reader{r}, nil
}

type reader struct{ r *blob.Reader }

func (r *reader) Read(p []byte) (int, error) { return r.r.Read(p) }
func (r *reader) Close() error               { return r.r.Close() }
func (r *reader) As(i any) bool              { return r.r.As(i) }
func (r *reader) Download(w io.Writer) error { _, err := io.Copy(w, r.r); return err }
func (r *reader) Attributes() *driver.ReaderAttributes {
	return &driver.ReaderAttributes{ContentType: r.r.ContentType(), ModTime: r.r.ModTime(), Size: r.r.Size()}
}

// NewTypedWriter streams the object into an upload to the inner bucket,
// which creates it on Close. It deliberately has no Upload method, so
// WriteData sees every chunk.
func (b *bucket) NewTypedWriter(ctx context.Context, key, contentType string, opts *driver.WriterOptions) (driver.Writer, error) {
	if err := b.do(Op{Kind: WriteOpen, Key: key}, func() error { return nil }); err != nil {
		return nil, err
	}
	ictx, cancel := context.WithCancel(ctx)
	w, err := b.inner.NewWriter(ictx, key, &blob.WriterOptions{ContentType: contentType, Metadata: opts.Metadata,
		CacheControl: opts.CacheControl, ContentEncoding: opts.ContentEncoding, IfNotExist: opts.IfNotExist})
	if err != nil {
		cancel()
		return nil, err
	}
	return &writer{b: b, ctx: ctx, key: key, w: w, cancel: cancel}, nil
}

type writer struct {
	b      *bucket
	ctx    context.Context
	key    string
	w      *blob.Writer
	cancel context.CancelFunc
	err    error // the first failed Write
}

func (w *writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if h := w.b.h.WriteData; h != nil {
		if err := h(w.key, p); err != nil {
			w.err = err
			return 0, err
		}
	}
	n, err := w.w.Write(p)
	if err != nil {
		w.err = err
	}
	return n, err
}

// abort cancels the inner upload so that it creates nothing.
func (w *writer) abort() {
	w.cancel()
	_ = w.w.Close()
}

func (w *writer) Close() error {
	defer w.cancel()
	if err := w.ctx.Err(); err != nil {
		w.abort() // canceled: the object is not created
		return err
	}
	if w.err != nil {
		w.abort()
		return w.err
	}
	op := Op{Kind: Write, Key: w.key}
	if err := w.b.before(op); err != nil {
		w.abort()
		return err
	}
	return w.b.after(op, w.w.Close())
}

func (b *bucket) Copy(ctx context.Context, dst, src string, _ *driver.CopyOptions) error {
	return b.do(Op{Kind: Copy, Key: dst, Src: src}, func() error { return b.inner.Copy(ctx, dst, src, nil) })
}

func (b *bucket) Delete(ctx context.Context, key string, _ *driver.DeleteOptions) error {
	return b.do(Op{Kind: Delete, Key: key}, func() error { return b.inner.Delete(ctx, key) })
}

func (b *bucket) SignedURL(context.Context, string, *driver.SignedURLOptions) (string, error) {
	return "", errors.New("blobtest: SignedURL not supported")
}

// ErrCrashed is the error of every mutation a Crash fails.
var ErrCrashed = errors.New("injected crash")

// Crash simulates the process dying: from the At-th mutation (Write,
// Delete or Copy, counted from 1) on, every mutation fails with ErrCrashed,
// so no cleanup happens either. Reads go on working, as they would for the
// next run. It also logs the mutations in order. Use its Before as
// Hooks.Before (or call it from one).
type Crash struct {
	mu  sync.Mutex
	at  int
	n   int
	log []Op
}

// Before counts and logs mutations and fails them from the crash point on.
func (c *Crash) Before(op Op) error {
	if !op.Kind.Mutation() {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	c.log = append(c.log, op)
	if c.at > 0 && c.n >= c.at {
		return ErrCrashed
	}
	return nil
}

// At sets the crash point: the n-th mutation counted from the bucket's
// first (0: never crash).
func (c *Crash) At(n int) { c.mu.Lock(); c.at = n; c.mu.Unlock() }

// Mutations returns the number of mutations so far, failed ones included.
func (c *Crash) Mutations() int { c.mu.Lock(); defer c.mu.Unlock(); return c.n }

// Log returns the mutations so far, in order.
func (c *Crash) Log() []Op { c.mu.Lock(); defer c.mu.Unlock(); return append([]Op(nil), c.log...) }
