package blocks

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"gocloud.dev/blob"

	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

const (
	tempoTenant  = "single-tenant"
	tempoBlockID = "b27b0e53-66a0-4505-afd6-434ae3cd4a10"
	tempoRel     = "tempo/vparquet4-block/single-tenant/" + tempoBlockID
)

func tempoBlockDir(t testing.TB) string { return fixtures.Path(t, tempoRel) }

// tempoStore copies the Tempo fixture block into a fresh file:// bucket.
func tempoStore(t testing.TB) *Store {
	t.Helper()
	root := t.TempDir()
	dst := filepath.Join(root, tempoTenant, tempoBlockID)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	src := tempoBlockDir(t)
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := OpenBucket(context.Background(), "file://"+root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return NewStore(b, tempoTenant)
}

func memStore(t testing.TB) *Store {
	t.Helper()
	b, err := OpenBucket(context.Background(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return NewStore(b, "tenant-a")
}

// fileStore is memStore for a file:// bucket in a temporary directory.
func fileStore(t testing.TB) *Store {
	t.Helper()
	b, err := OpenBucket(context.Background(), "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	s := NewStore(b, "tenant-a")
	if s.localTenantDir() == "" {
		t.Fatal("file:// store has no local directory: its blocks would not be read from their files")
	}
	return s
}

// openSmallBlock writes five synthetic traces as a block of s and opens
// it (the caller releases f.r when it reads past the footer).
func openSmallBlock(t *testing.T, s *Store) (*pfile, Meta) {
	t.Helper()
	return openWrittenBlock(t, s, syntheticTraces(5, 2, 1e18))
}

// openWrittenBlock writes traces as a block of s and opens it.
func openWrittenBlock(t *testing.T, s *Store, traces []*model.Trace) (*pfile, Meta) {
	t.Helper()
	ctx := context.Background()
	m, err := s.WriteBlock(ctx, traces, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.block(m).open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return f, m
}

func mustUUID(s string) uuid.UUID { return uuid.MustParse(s) }

// genTraces returns traces of internal/gen with the given seed, in
// trace ID order, until more returns false for the traces so far.
func genTraces(seed int64, more func(traces, spans int) bool) []*model.Trace {
	g := gen.New(gen.Options{Seed: seed})
	var all []*model.Trace
	for spans := 0; more(len(all), spans); {
		t := g.Trace()
		spans += t.SpanCount()
		all = append(all, t)
	}
	model.SortTraces(all)
	return all
}

// matching returns the traces of ts that pass cond.
func matching(ts []*model.Trace, cond *store.TraceCond) []*model.Trace {
	var out []*model.Trace
	for _, tr := range ts {
		if cond.Match(tr) {
			out = append(out, tr)
		}
	}
	return out
}

// readSorted drains s.Traces(req) and returns its traces in ID order (an
// unordered scan returns them in any).
func readSorted(t testing.TB, s *Store, req store.Request) []*model.Trace {
	t.Helper()
	it, err := s.Traces(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	got := readAllTraces(t, it)
	model.SortTraces(got)
	return got
}

// readAllTraces drains a block or store iterator.
func readAllTraces(t testing.TB, it interface {
	Next() bool
	At() *model.Trace
	Err() error
	Close() error
}) []*model.Trace {
	t.Helper()
	var out []*model.Trace
	for it.Next() {
		out = append(out, it.At())
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// traceOpts compares traces: empty and nil slices are equal and doubles
// compare bit for bit (NaN equals NaN).
var traceOpts = cmp.Options{
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b model.Value) bool { return a.Equal(b) }),
}

// diffTraces is cmp.Diff(want, got, traceOpts), fast when the traces are
// deeply equal (cmp with options is slow on hundreds of traces).
func diffTraces(want, got []*model.Trace) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	return cmp.Diff(want, got, traceOpts)
}

// ignoreNestedSets drops the nested-set fields from a comparison.
var ignoreNestedSets = cmpopts.IgnoreFields(model.Span{}, "NestedSetLeft", "NestedSetRight", "ParentIndex")

func listKeys(t testing.TB, b *blob.Bucket, prefix string) []string {
	t.Helper()
	var keys []string
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		o, err := it.Next(context.Background())
		if err != nil {
			break
		}
		keys = append(keys, o.Key)
	}
	return keys
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// readGroup decodes every row of row group i with the row reader.
func (p *pfile) readGroup(i int) ([]pqTrace, error) {
	g, err := p.openGroup(i, nil)
	if err != nil {
		return nil, err
	}
	defer g.close()
	var rows []pqTrace
	for {
		r, err := g.next()
		if err != nil {
			return nil, err
		}
		if r == nil {
			return rows, nil
		}
		rows = append(rows, *r)
	}
}

// setWholeObjectBytes sets the size up to which remote data.parquet
// objects are read whole, for one test (0: never, so that the test sees
// the footer, row-group and offset-index reads of larger objects).
func setWholeObjectBytes(t testing.TB, n int64) {
	old := wholeObjectBytes
	wholeObjectBytes = n
	t.Cleanup(func() { wholeObjectBytes = old })
}

// setPageBufferSize sets the page size of the blocks written until the
// test ends.
func setPageBufferSize(t testing.TB, n int) {
	old := pageBufferSize
	pageBufferSize = n
	t.Cleanup(func() { pageBufferSize = old })
}
