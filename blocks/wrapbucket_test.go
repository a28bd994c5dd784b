package blocks

import (
	"context"
	"errors"
	"io/fs"
	"sync"
	"syscall"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	"github.com/tracectl/tracectl/internal/blobtest"
)

// wrapBucket records every read (ranged reads, whole-object reads and
// attribute calls) of a bucket and can fail the n-th object write or
// simulate a crash, through blobtest's hooks. Tests use it to see exactly
// which requests the package makes, through the public *blob.Bucket API.
type wrapBucket struct {
	mu        sync.Mutex
	reads     []readRec
	writes    int
	failWrite int    // 1-based index of the object write to fail; 0 = never
	failing   string // the key of the write being failed

	// crashAt simulates a process dying: the crashAt-th mutation (object
	// write, delete or copy, 1-based) and every one after it fail, so no
	// cleanup happens either. 0 = never.
	crashAt   int
	mutations int
}

var errCrashed = blobtest.ErrCrashed

type readRec struct {
	key    string
	off, n int64 // n == -1: to the end of the object
}

var errInjected = errors.New("injected write failure")

func newWrapBucket(t testing.TB) (*wrapBucket, *blob.Bucket) {
	w := &wrapBucket{}
	inner := memblob.OpenBucket(nil)
	b := blobtest.Wrap(inner, blobtest.Hooks{Before: w.before, WriteData: w.writeData})
	t.Cleanup(func() { b.Close(); inner.Close() })
	return w, b
}

func (w *wrapBucket) before(op blobtest.Op) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch op.Kind {
	case blobtest.Read:
		w.reads = append(w.reads, readRec{op.Key, op.Off, op.N})
	case blobtest.Attributes:
		w.reads = append(w.reads, readRec{key: op.Key})
	case blobtest.WriteOpen:
		w.writes++
		if w.writes == w.failWrite {
			w.failing = op.Key
		}
	}
	if op.Kind.Mutation() {
		w.mutations++
		if w.crashAt > 0 && w.mutations >= w.crashAt {
			return errCrashed
		}
	}
	return nil
}

// writeData fails the first Write of the failWrite-th object, as a network
// error in the middle of an upload would.
func (w *wrapBucket) writeData(key string, _ []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if key == w.failing {
		return errInjected
	}
	return nil
}

func (w *wrapBucket) log() []readRec {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]readRec(nil), w.reads...)
}

func (w *wrapBucket) resetLog() { w.mu.Lock(); w.reads = nil; w.mu.Unlock() }

// TestListingRetriesVanishedFile: a listing that fails because a file it
// walked vanished (a concurrent writer's temporary file renamed; file://)
// is made again instead of failing the command; other errors still fail.
func TestListingRetriesVanishedFile(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		err   error
		fails int
		ok    bool
	}{
		{"vanished once", &fs.PathError{Op: "lstat", Path: "tenant-a/x/data.parquet.1a2b.tmp", Err: syscall.ENOENT}, 1, true},
		{"vanished every time", &fs.PathError{Op: "lstat", Path: "tenant-a/x/data.parquet.1a2b.tmp", Err: syscall.ENOENT}, 100, false},
		{"other error", errors.New("permission denied"), 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inner := memblob.OpenBucket(nil)
			lists := 0
			b := blobtest.Wrap(inner, blobtest.Hooks{Before: func(op blobtest.Op) error {
				if op.Kind == blobtest.List {
					lists++
					if lists <= tc.fails {
						return tc.err
					}
				}
				return nil
			}})
			t.Cleanup(func() { b.Close(); inner.Close() })
			s := NewStore(b, "tenant-a")
			if err := s.put(ctx, "tenant-a/0b7e5d3c-0000-4000-8000-000000000001/data.parquet", []byte("x")); err != nil {
				t.Fatal(err)
			}
			orphans, err := s.Orphans(ctx)
			if (err == nil) != tc.ok || tc.ok && len(orphans) != 1 {
				t.Errorf("orphans %v, err %v; want success %v with one orphan", orphans, err, tc.ok)
			}
		})
	}
}
