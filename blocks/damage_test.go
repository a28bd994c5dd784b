package blocks

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"testing"

	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// TestDamagedDataLeftOut damages the data.parquet of one of three blocks
// in each way a copy or a disk can, and checks that every read leaves
// exactly that block out and names it, that trace lookups still find the
// other blocks' traces, and that the merge compaction uses fails instead
// of reading around it. It runs on a mem:// bucket (ranged reads) and a
// file:// one (reads from the block's file, see blobReaderAt.path).
func TestDamagedDataLeftOut(t *testing.T) {
	damages := map[string]func(data []byte) []byte{
		"garbage":         func(data []byte) []byte { return []byte("this is not a parquet file at all") },
		"truncated":       func(data []byte) []byte { return data[:len(data)/2] },
		"empty":           func([]byte) []byte { return nil },
		"footer zeroed":   func(data []byte) []byte { d := append([]byte(nil), data...); clear(d[len(d)-200 : len(d)-8]); return d },
		"bad footer size": func(data []byte) []byte { d := append([]byte(nil), data...); d[len(d)-5] ^= 0x7f; return d },
		"missing":         nil,
	}
	for _, url := range []string{"mem://", "file://"} {
		for name, damage := range damages {
			t.Run(url+" "+name, func(t *testing.T) {
				testDamagedDataLeftOut(t, url, damage)
			})
		}
	}
}

func testDamagedDataLeftOut(t *testing.T, url string, damage func([]byte) []byte) {
	{
		{
			ctx := context.Background()
			if url == "file://" {
				url += t.TempDir()
			}
			b, err := OpenBucket(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			s := NewStore(b, "tenant-a")
			g := gen.New(gen.Options{Seed: 11})
			var metas []Meta
			byBlock := map[int][]model.TraceID{}
			for i := range 3 {
				var ts []*model.Trace
				for range 40 {
					tr := g.Trace()
					ts = append(ts, tr)
					byBlock[i] = append(byBlock[i], tr.TraceID)
				}
				sort.Slice(ts, func(i, j int) bool { return model.CompareTraceIDs(ts[i].TraceID, ts[j].TraceID) < 0 })
				m, err := s.WriteBlock(ctx, ts, WriteOptions{})
				if err != nil {
					t.Fatal(err)
				}
				metas = append(metas, m)
			}
			bad := metas[1]
			key := joinKey(s.tenant, bad.BlockID.String(), dataObject)
			if damage == nil {
				if err := s.bucket.Delete(ctx, key); err != nil {
					t.Fatal(err)
				}
			} else {
				data, err := s.bucket.ReadAll(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.bucket.WriteAll(ctx, key, damage(data), nil); err != nil {
					t.Fatal(err)
				}
			}
			want := append(append([]model.TraceID(nil), byBlock[0]...), byBlock[2]...)
			sort.Slice(want, func(i, j int) bool { return model.CompareTraceIDs(want[i], want[j]) < 0 })

			for _, req := range []store.Request{{}, {Unordered: true}} {
				it, err := s.Traces(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				var got []model.TraceID
				for _, tr := range readAllTraces(t, it) {
					got = append(got, tr.TraceID)
				}
				sort.Slice(got, func(i, j int) bool { return model.CompareTraceIDs(got[i], got[j]) < 0 })
				if len(got) != len(want) {
					t.Fatalf("unordered %v: %d traces, want the other blocks' %d", req.Unordered, len(got), len(want))
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("unordered %v: trace %d is %x, want %x", req.Unordered, i, got[i], want[i])
					}
				}
			}
			n, err := s.CountTraces(ctx, store.Request{Filter: &store.Filter{Cond: &store.TraceCond{Op: store.OpAny, Span: &store.SpanCond{Op: store.OpTrue}}, Exact: true}})
			if err != nil || n.Traces != len(want) {
				t.Fatalf("count: %+v, %v; want %d traces", n, err, len(want))
			}
			if _, err := s.FindTrace(ctx, byBlock[1][0]); !errors.Is(err, ErrTraceNotFound) {
				t.Fatalf("a trace of the damaged block: %v, want not found", err)
			}
			if tr, err := s.FindTrace(ctx, byBlock[2][3]); err != nil || tr.TraceID != byBlock[2][3] {
				t.Fatalf("a trace of a good block: %v", err)
			}
			infos, err := s.List(ctx)
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			if len(infos) != 2 || infos[0].BlockID == bad.BlockID || infos[1].BlockID == bad.BlockID {
				t.Fatalf("list: %d blocks, the damaged one among them: %v", len(infos), infos)
			}
			if n, err := s.ScanTexts(ctx, func() TextSink { return everySink{} }); err != nil || n != 2 {
				t.Fatalf("scan: %d blocks scanned (%v), want the 2 others", n, err)
			}
			if a, err := s.Analyse(ctx, nil); err != nil || a.Blocks != 2 {
				t.Fatalf("analyse: %d blocks (%v), want the 2 others", a.Blocks, err)
			}
			dmg := s.Damaged()
			var d *DamagedError
			if len(dmg) != 1 || !errors.As(dmg[0], &d) || d.Key != key {
				t.Fatalf("damaged: %v, want %s", dmg, key)
			}

			// Compaction must not read around a damaged block: it would
			// retire it with data it never read.
			it := s.TracesOf(ctx, metas)
			for it.Next() {
			}
			if err := it.Err(); !errors.As(err, &d) {
				t.Fatalf("merging a damaged block: %v, want a DamagedError", err)
			}
			it.Close()
			if err := s.CheckReadable(ctx, bad); !errors.As(err, &d) {
				t.Fatalf("CheckReadable: %v, want a DamagedError", err)
			}
			if err := s.CheckReadable(ctx, metas[0]); err != nil {
				t.Fatalf("CheckReadable of a good block: %v", err)
			}
		}
	}
}

// TestDamagedFooterReleasesFile: opening a block whose data.parquet is
// shorter than its meta says reports damage and keeps no file open.
func TestDamagedFooterReleasesFile(t *testing.T) {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd to count open files:", err)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // no finalizer closes them
	ctx := context.Background()
	s := fileStore(t)
	m, err := s.WriteBlock(ctx, gen.New(gen.Options{Seed: 3}).Distinct(50), WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(s.localTenantDir(), m.BlockID.String(), dataObject)
	if err := os.Truncate(p, int64(m.Size)/2); err != nil {
		t.Fatal(err)
	}
	before := len(ents)
	for range 20 {
		if _, err := s.block(m).open(ctx); !errors.As(err, new(*DamagedError)) {
			t.Fatalf("open: %v, want damage", err)
		}
	}
	ents, _ = os.ReadDir("/proc/self/fd")
	if len(ents) != before {
		t.Fatalf("%d files open after 20 failed opens, %d before", len(ents), before)
	}
}
