package blocks

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/store"
)

// TestLocalBucketWritesNoSidecars: a block written to a file:// bucket is
// its objects alone, with no gocloud <object>.attrs file beside each, and
// reads back; "metadata=" in the URL keeps writing them, and a block
// written either way reads in the other.
func TestLocalBucketWritesNoSidecars(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	traces := syntheticTraces(20, 2, 1e18)
	sidecars := func() (objects, attrs int) {
		filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
			if err == nil && e.Type().IsRegular() {
				if strings.HasSuffix(p, attrsSuffix) {
					attrs++
				} else {
					objects++
				}
			}
			return nil
		})
		return objects, attrs
	}
	for _, tc := range []struct {
		url   string
		attrs bool
	}{
		{"file://" + dir, false},
		{"file://" + dir + "?metadata=", true}, // 20 traces again, in a second block
		{"file://" + dir + "?prefix=other/", false},
	} {
		b, err := OpenBucket(ctx, tc.url)
		if err != nil {
			t.Fatal(err)
		}
		s := NewStore(b, "tenant-a")
		objects0, attrs0 := sidecars()
		if _, err := s.WriteBlock(ctx, traces, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		objects, attrs := sidecars()
		if objects == objects0 || (attrs > attrs0) != tc.attrs {
			t.Errorf("%s: a block wrote %d objects and %d .attrs files", tc.url, objects-objects0, attrs-attrs0)
		}
		b.Close()
	}
	// Both blocks, one of each kind, read through either URL.
	for _, u := range []string{"file://" + dir, "file://" + dir + "?metadata="} {
		b, err := OpenBucket(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		s := NewStore(b, "tenant-a")
		if metas, err := s.Blocks(ctx); err != nil || len(metas) != 2 {
			t.Errorf("%s: %d blocks, %v; want 2", u, len(metas), err)
		}
		if tr, err := s.FindTrace(ctx, traces[7].TraceID); err != nil || tr.SpanCount() != traces[7].SpanCount() {
			t.Errorf("%s: trace %s: %v", u, traces[7].TraceID, err)
		}
		b.Close()
	}
}

// TestFileListingMD5sNotTrusted: an object rewritten in place on a
// file:// bucket keeps the .attrs sidecar an earlier write left (stale
// MD5); a store listing through gocloud (a tenant name fileblob escapes)
// must read the object again, not take the bytes it read before for it.
func TestFileListingMD5sNotTrusted(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const tenant = "team:x" // listed through gocloud, not from the directory
	withSidecars, err := OpenBucket(ctx, "file://"+dir+"?metadata=")
	if err != nil {
		t.Fatal(err)
	}
	defer withSidecars.Close()
	m, err := NewStore(withSidecars, tenant).WriteBlock(ctx, syntheticTraces(5, 1, 1e18), WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenBucket(ctx, "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	s := NewStore(b, tenant)
	if s.localTenantDir() != "" {
		t.Fatalf("tenant %q is listed from its directory: the test would not use gocloud's listing", tenant)
	}
	levels := func() uint32 {
		metas, err := s.Blocks(ctx)
		if err != nil || len(metas) != 1 {
			t.Fatalf("Blocks() = %d blocks, %v", len(metas), err)
		}
		return metas[0].CompactionLevel
	}
	if l := levels(); l != 0 {
		t.Fatalf("compaction level %d, want 0", l)
	}
	key := joinKey(tenant, m.BlockID.String(), metaObject)
	raw, err := b.ReadAll(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	changed := bytes.Replace(raw, []byte(`"compactionLevel":0`), []byte(`"compactionLevel":3`), 1)
	if bytes.Equal(changed, raw) {
		t.Fatalf("meta.json has no compaction level 0: %s", raw)
	}
	if err := b.WriteAll(ctx, key, changed, nil); err != nil { // same size, the old sidecar kept
		t.Fatal(err)
	}
	if l := levels(); l != 3 {
		t.Fatalf("compaction level %d after meta.json was rewritten with 3: the stale listed MD5 served the old bytes", l)
	}
}

// TestLocalReadsFromFile: a block of a file:// bucket is read from its
// file (not through ranged reads into windows), every read answers as on
// a mem:// bucket, and every file a read opened is closed again.
func TestLocalReadsFromFile(t *testing.T) {
	ctx := context.Background()
	fds := func() int {
		es, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skip("no /proc/self/fd")
		}
		return len(es)
	}
	mem, local := memStore(t), fileStore(t)
	all := genTraces(3, func(traces, _ int) bool { return traces < 300 })
	var metas []Meta
	for i := range 3 {
		part := all[i*100 : (i+1)*100]
		for _, s := range []*Store{mem, local} {
			m, err := s.WriteBlock(ctx, part, WriteOptions{RowGroupBytes: 32 << 10})
			if err != nil {
				t.Fatal(err)
			}
			if s == local {
				metas = append(metas, m)
			}
		}
	}
	f, err := local.block(metas[0]).open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f.r.path == "" || f.r.file != nil || len(f.file.RowGroups()) < 2 {
		t.Fatalf("opened block: path %q, file %v, %d row groups; want a path, the file closed, several row groups",
			f.r.path, f.r.file, len(f.file.RowGroups()))
	}

	before := fds()
	for _, req := range []store.Request{{}, {Unordered: true}, {Fields: &store.Fields{SpanAttributes: true}}} {
		want, got := readSorted(t, mem, req), readSorted(t, local, req)
		if diff := diffTraces(want, got); diff != "" {
			t.Fatalf("%+v: file:// differs from mem:// (-mem +file):\n%s", req, diff)
		}
	}
	cond := &store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpTrue}}
	n, err := local.CountTraces(ctx, store.Request{Filter: &store.Filter{Cond: cond, Exact: true}})
	if err != nil || n.Traces != len(all) {
		t.Fatalf("count: %+v, %v; want %d traces", n, err, len(all))
	}
	for _, i := range []int{0, 150, 299} {
		if tr, err := local.FindTrace(ctx, all[i].TraceID); err != nil || tr.TraceID != all[i].TraceID {
			t.Fatalf("find trace %d: %v", i, err)
		}
	}
	if after := fds(); after != before {
		t.Fatalf("%d open files after the reads, %d before: a read left its file open", after, before)
	}
}

// TestLocalReadPastEnd: on a file:// bucket, reads past the size the meta
// gives (a damaged footer pointing beyond the object) are damage, as
// ranged reads past an object's end are, and never a panic.
func TestLocalReadPastEnd(t *testing.T) {
	f, m := openSmallBlock(t, fileStore(t))
	defer f.r.release()
	size := int64(m.Size)
	for _, rg := range []byteRange{{size + 10, 100}, {size - 5, 100}, {-1, 4}} {
		_, err := f.r.readRange(rg.off, rg.n)
		var d *DamagedError
		if err == nil || !errors.As(damaged(f.r.key, err), &d) {
			t.Errorf("read of %d bytes at %d: %v, want damage", rg.n, rg.off, err)
		}
	}
	buf := make([]byte, 10)
	if n, err := f.r.ReadAt(buf, size-4); n != 4 || err != io.EOF {
		t.Errorf("ReadAt over the end: %d, %v; want 4, EOF", n, err)
	}
}
