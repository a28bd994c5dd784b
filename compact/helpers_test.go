package compact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/gcerrors"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// base is the start of the test data: 10:00 UTC, so blocks written a few
// minutes apart fall into one 1h window.
var base = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)

// spanKey identifies a span the way readers deduplicate them.
type spanKey struct {
	trace model.TraceID
	span  model.SpanID
	kind  model.SpanKind
}

// blockTraces returns the traces of test block b: 20 traces of its own,
// and a share of 5 traces every block holds, each with one span of the
// block's own and one span identical in every block.
func blockTraces(b, own int) []*model.Trace {
	tb := model.NewTraceBuilder()
	res := model.Resource{Attributes: []model.Attribute{model.Str("service.name", fmt.Sprintf("svc-%d", b%3))}}
	sc := model.Scope{Name: "test"}
	start := uint64(base.Add(time.Duration(b) * 5 * time.Minute).UnixNano())
	add := func(tid model.TraceID, sid model.SpanID, parent model.SpanID, name string, t uint64) {
		tb.AddSpan(&res, "", &sc, "", model.Span{TraceID: tid, SpanID: sid, ParentSpanID: parent, Name: name,
			Kind: model.KindServer, StartTimeUnixNano: t, EndTimeUnixNano: t + 1e6,
			Attributes: []model.Attribute{model.Int("block", int64(b))}})
	}
	for i := 0; i < own; i++ {
		var tid model.TraceID
		tid[0], tid[1], tid[2] = byte(b>>8), byte(b), byte(i)
		tid[15] = 1
		var root, child model.SpanID
		root[0], root[1] = 1, byte(i)
		child[0], child[1] = 2, byte(i)
		t := start + uint64(i)*1e6
		add(tid, root, model.SpanID{}, "root", t)
		add(tid, child, root, "child", t+10)
	}
	for i := 0; i < 5; i++ {
		var tid model.TraceID
		tid[0], tid[1], tid[15] = 0xff, byte(i), 2
		var shared, mine model.SpanID
		shared[0], shared[1] = 0xaa, byte(i)
		mine[0], mine[1], mine[2] = 0xbb, byte(b), byte(i)
		// The shared root is byte-identical in every block.
		tb.AddSpan(&model.Resource{Attributes: []model.Attribute{model.Str("service.name", "shared")}}, "", &sc, "",
			model.Span{TraceID: tid, SpanID: shared, Name: "shared-root", Kind: model.KindServer,
				StartTimeUnixNano: uint64(base.UnixNano()), EndTimeUnixNano: uint64(base.UnixNano()) + 1e6})
		add(tid, mine, shared, "mine", start+uint64(i)*1e3)
	}
	return tb.Traces()
}

// writeBlocks writes n test blocks at level 0 and returns the distinct
// spans they hold.
func writeBlocks(t testing.TB, st *blocks.Store, n int) map[spanKey]bool {
	t.Helper()
	want := map[spanKey]bool{}
	for b := 0; b < n; b++ {
		ts := blockTraces(b, 20)
		for _, tr := range ts {
			tr.Spans(func(r model.SpanRef) bool {
				want[spanKey{tr.TraceID, r.Span.SpanID, r.Span.Kind}] = true
				return true
			})
		}
		if _, err := st.WriteBlock(context.Background(), ts, blocks.WriteOptions{RowGroupBytes: 4 << 10}); err != nil {
			t.Fatal(err)
		}
	}
	return want
}

// readSpans counts the spans readers see (copies of a trace merged).
func readSpans(t testing.TB, st *blocks.Store) map[spanKey]int {
	t.Helper()
	it, err := st.Traces(context.Background(), store.Request{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	got := map[spanKey]int{}
	for it.Next() {
		tr := it.At()
		tr.Spans(func(r model.SpanRef) bool {
			got[spanKey{tr.TraceID, r.Span.SpanID, r.Span.Kind}]++
			return true
		})
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// diskSpans counts the spans stored in live blocks, copies not merged.
func diskSpans(t testing.TB, st *blocks.Store) map[spanKey]int {
	t.Helper()
	got := map[spanKey]int{}
	err := st.Walk(context.Background(), func(_ blocks.Meta, tr *model.Trace) error {
		tr.Spans(func(r model.SpanRef) bool {
			got[spanKey{tr.TraceID, r.Span.SpanID, r.Span.Kind}]++
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// exactlyOnce reports how got differs from every span of want once.
func exactlyOnce(want map[spanKey]bool, got map[spanKey]int) error {
	var errs []error
	for k := range want {
		if got[k] != 1 {
			errs = append(errs, fmt.Errorf("span %s/%s seen %d times", k.trace, k.span, got[k]))
		}
	}
	for k, n := range got {
		if !want[k] {
			errs = append(errs, fmt.Errorf("unexpected span %s/%s (%d)", k.trace, k.span, n))
		}
	}
	if len(errs) > 5 {
		errs = append(errs[:5], fmt.Errorf("… %d more", len(errs)-5))
	}
	return errors.Join(errs...)
}

// backends opens a fresh bucket of each kind the block-level tests run
// against: mem://, file://, S3 (gofakes3 in process) and GCS
// (fake-gcs-server in process).
func backends(t *testing.T) map[string]func(t *testing.T) *blob.Bucket {
	return map[string]func(t *testing.T) *blob.Bucket{
		"mem":  func(t *testing.T) *blob.Bucket { return openBucket(t, "mem://") },
		"file": func(t *testing.T) *blob.Bucket { return openBucket(t, "file://"+t.TempDir()) },
		"s3": func(t *testing.T) *blob.Bucket {
			backend := s3mem.New()
			srv := httptest.NewServer(gofakes3.New(backend).Server())
			t.Cleanup(srv.Close)
			if err := backend.CreateBucket("tracectl-test"); err != nil {
				t.Fatal(err)
			}
			t.Setenv("AWS_ACCESS_KEY_ID", "test")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
			return openBucket(t, "s3://tracectl-test?endpoint="+srv.URL+"&use_path_style=true&region=us-east-1&response_checksum_validation=when_required")
		},
		"gcs": func(t *testing.T) *blob.Bucket {
			// PublicHost is required: without it every read is NotFound.
			srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{
				Scheme: "http", Host: "127.0.0.1", Port: 0, PublicHost: "127.0.0.1", NoListener: false,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Stop)
			srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "tracectl-test"})
			// host:port without the scheme; gocloud then uses no credentials.
			t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(srv.URL(), "http://"))
			return openBucket(t, "gs://tracectl-test")
		},
	}
}

func openBucket(t *testing.T, url string) *blob.Bucket {
	t.Helper()
	b, err := blocks.OpenBucket(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// crashBucket is a blob driver over another bucket that simulates the
// process dying: the crashAt-th mutation (object write or delete, 1-based)
// and every one after it fail, so no cleanup happens either. Reads go on
// working, as they would for the next run.
type crashBucket struct {
	inner *blob.Bucket

	mu        sync.Mutex
	crashAt   int // 0 = never
	mutations int
	log       []string // the mutations, in order
}

var errCrashed = errors.New("injected crash")

func (c *crashBucket) mutate(op, key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mutations++
	c.log = append(c.log, op+" "+key)
	if c.crashAt > 0 && c.mutations >= c.crashAt {
		return errCrashed
	}
	return nil
}

func (c *crashBucket) ErrorCode(err error) gcerrors.ErrorCode { return gcerrors.Code(err) }
func (c *crashBucket) As(any) bool                            { return false }
func (c *crashBucket) ErrorAs(err error, target any) bool     { return errors.As(err, target) }
func (c *crashBucket) Close() error                           { return nil }

func (c *crashBucket) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
	a, err := c.inner.Attributes(ctx, key)
	if err != nil {
		return nil, err
	}
	return &driver.Attributes{ContentType: a.ContentType, Metadata: a.Metadata, ModTime: a.ModTime,
		Size: a.Size, MD5: a.MD5, ETag: a.ETag}, nil
}

func (c *crashBucket) ListPaged(ctx context.Context, opts *driver.ListOptions) (*driver.ListPage, error) {
	size := opts.PageSize
	if size <= 0 {
		size = 1000
	}
	token := opts.PageToken
	if len(token) == 0 {
		token = blob.FirstPageToken
	}
	objs, next, err := c.inner.ListPage(ctx, token, size, &blob.ListOptions{Prefix: opts.Prefix, Delimiter: opts.Delimiter})
	if err != nil && err != io.EOF {
		return nil, err
	}
	page := &driver.ListPage{NextPageToken: next}
	for _, o := range objs {
		page.Objects = append(page.Objects, &driver.ListObject{Key: o.Key, ModTime: o.ModTime, Size: o.Size, MD5: o.MD5, IsDir: o.IsDir})
	}
	return page, nil
}

func (c *crashBucket) NewRangeReader(ctx context.Context, key string, off, n int64, _ *driver.ReaderOptions) (driver.Reader, error) {
	r, err := c.inner.NewRangeReader(ctx, key, off, n, nil)
	if err != nil {
		return nil, err
	}
	return &crashReader{r}, nil
}

type crashReader struct{ r *blob.Reader }

func (r *crashReader) Read(p []byte) (int, error) { return r.r.Read(p) }
func (r *crashReader) Close() error               { return r.r.Close() }
func (r *crashReader) As(any) bool                { return false }
func (r *crashReader) Download(w io.Writer) error { _, err := io.Copy(w, r.r); return err }
func (r *crashReader) Attributes() *driver.ReaderAttributes {
	return &driver.ReaderAttributes{ContentType: r.r.ContentType(), ModTime: r.r.ModTime(), Size: r.r.Size()}
}

// NewTypedWriter buffers the object and creates it on Close (as object
// stores do), counting the creation as the mutation.
func (c *crashBucket) NewTypedWriter(ctx context.Context, key, contentType string, opts *driver.WriterOptions) (driver.Writer, error) {
	return &crashWriter{c: c, ctx: ctx, key: key, contentType: contentType}, nil
}

type crashWriter struct {
	c           *crashBucket
	ctx         context.Context
	key         string
	contentType string
	buf         strings.Builder
}

func (w *crashWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }
func (w *crashWriter) Upload(r io.Reader) error    { _, err := io.Copy(&w.buf, r); return err }
func (w *crashWriter) Close() error {
	if err := w.ctx.Err(); err != nil {
		return err // canceled: the object is not created
	}
	if err := w.c.mutate("put", w.key); err != nil {
		return err
	}
	return w.c.inner.WriteAll(w.ctx, w.key, []byte(w.buf.String()), &blob.WriterOptions{ContentType: w.contentType})
}

func (c *crashBucket) Copy(ctx context.Context, dst, src string, _ *driver.CopyOptions) error {
	if err := c.mutate("copy", dst); err != nil {
		return err
	}
	return c.inner.Copy(ctx, dst, src, nil)
}

func (c *crashBucket) Delete(ctx context.Context, key string, _ *driver.DeleteOptions) error {
	if err := c.mutate("delete", key); err != nil {
		return err
	}
	return c.inner.Delete(ctx, key)
}

func (c *crashBucket) SignedURL(context.Context, string, *driver.SignedURLOptions) (string, error) {
	return "", errors.New("not supported")
}
