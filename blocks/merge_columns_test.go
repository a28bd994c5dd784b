package blocks

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"

	"github.com/tracectl/tracectl/blocks/bloomshard"
	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store/storetest"
)

// blockObjects returns the objects of block m: data.parquet, index and
// bloom shards.
func blockObjects(t *testing.T, s *Store, m Meta) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	names := []string{dataObject, indexObject}
	for i := range m.BloomShards {
		names = append(names, bloomshard.ObjectName(i))
	}
	for _, name := range names {
		b, err := s.bucket.ReadAll(context.Background(), joinKey(s.tenant, m.BlockID.String(), name))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	return out
}

// TestColumnMerge merges blocks column by column, given in any order:
// blocks of consecutive trace-ID ranges, as one ingest writes them, and
// blocks whose traces alternate. Either way the block is the one writing
// all their traces at once writes: data.parquet, index, bloom filter and
// meta byte for byte (but its ID). With row groups of the inputs large
// enough to be copied whole, the output reads back as the traces,
// verifies clean, and says how many it copied.
func TestColumnMerge(t *testing.T) {
	ctx := context.Background()
	traces := gen.New(gen.Options{Seed: 11, PIIRate: 0.2}).Distinct(600)
	spans := 0
	for _, tr := range traces {
		spans += tr.SpanCount()
	}
	thirds := [][]*model.Trace{traces[:200], traces[200:450], traces[450:]}
	even, odd := alternate(traces)
	for _, tc := range []struct {
		name  string
		parts [][]*model.Trace
	}{
		{"consecutive ranges", thirds},
		{"alternating traces", [][]*model.Trace{even, odd}},
		{"one input", [][]*model.Trace{traces}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := memStore(t)
			opts := WriteOptions{DedicatedColumns: []DedicatedColumn{{Scope: "span", Name: "http.route", Type: "string"}}}
			metas := writeAll(t, s, opts, tc.parts...)
			slices.Reverse(metas)
			res, err := s.ColumnMerge(ctx, metas, opts, 0)
			if err != nil {
				t.Fatal(err)
			}
			if res.Traces != len(traces) || res.Spans != spans || res.CopiedRowGroups != 0 {
				t.Errorf("%d traces, %d spans, %d row groups copied; want %d, %d, 0", res.Traces, res.Spans, res.CopiedRowGroups, len(traces), spans)
			}
			want, err := s.WriteBlock(ctx, traces, opts)
			if err != nil {
				t.Fatal(err)
			}
			got := res.Meta
			got.BlockID = want.BlockID
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("meta differs from one write's (-want +got):\n%s", diff)
			}
			if !reflect.DeepEqual(blockObjects(t, s, want), blockObjects(t, s, res.Meta)) {
				t.Errorf("objects differ from one write's")
			}
		})
	}

	// Small row groups (32 KiB): those of at least the median size that
	// come out whole are copied; the others' rows are appended, runs of
	// them when the inputs alternate, into row groups cut at 32 KiB.
	// On a file:// bucket too, where a second goroutine checks the pages
	// of the copied row groups.
	for _, tc := range []struct {
		name   string
		parts  [][]*model.Trace
		copies bool
		store  func(testing.TB) *Store
	}{
		{"small row groups, consecutive ranges", thirds, true, memStore},
		{"small row groups, consecutive ranges, local", thirds, true, fileStore},
		{"small row groups, alternating traces", [][]*model.Trace{even, odd}, false, memStore},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.store(t)
			opts := WriteOptions{RowGroupBytes: 32 << 10}
			metas := writeAll(t, s, opts, tc.parts...)
			var sizes []int64
			for _, m := range metas {
				_, _, pf := blockParquet(t, s, m)
				for _, rg := range pf.Metadata().RowGroups {
					sizes = append(sizes, rg.TotalCompressedSize)
				}
			}
			slices.Sort(sizes)
			median := sizes[len(sizes)/2]
			copied := 0
			if tc.copies {
				copied = len(sizes) - slices.Index(sizes, median)
			}
			res, err := s.ColumnMerge(ctx, metas, opts, median)
			if err != nil {
				t.Fatal(err)
			}
			if res.CopiedRowGroups != copied || copied == len(sizes) || res.Meta.TotalRecords < 2 {
				t.Errorf("copied %d of %d row groups into %d, want %d", res.CopiedRowGroups, len(sizes), res.Meta.TotalRecords, copied)
			}
			for _, m := range metas {
				if err := s.DeleteBlock(ctx, m.BlockID); err != nil {
					t.Fatal(err)
				}
			}
			rep, err := s.Verify(ctx)
			if err != nil || !rep.OK() {
				t.Fatalf("verify: %v %+v", err, rep)
			}
			ref := memStore(t)
			writeAll(t, ref, opts, traces)
			if diff := cmp.Diff(storetest.ReadAll(t, ref), storetest.ReadAll(t, s)); diff != "" {
				t.Fatalf("traces read back differ (-want +got):\n%s", diff)
			}
		})
	}
}

// TestColumnMergeRefuses: inputs that interleave, share a trace, were
// written with other dedicated columns or by Tempo, or hold a damaged
// page are ErrTraceMergeNeeded, and nothing is left in the bucket.
func TestColumnMergeRefuses(t *testing.T) {
	ctx := context.Background()
	traces := gen.New(gen.Options{Seed: 12}).Distinct(300)
	for _, tc := range []struct {
		name  string
		store func(t *testing.T) (*Store, []Meta)
	}{
		{"a trace in two inputs", func(t *testing.T) (*Store, []Meta) {
			s := memStore(t)
			return s, writeAll(t, s, WriteOptions{}, traces[:150], traces[149:])
		}},
		{"other dedicated columns", func(t *testing.T) (*Store, []Meta) {
			s := memStore(t)
			a := writeAll(t, s, WriteOptions{}, traces[:150])
			b := writeAll(t, s, WriteOptions{DedicatedColumns: []DedicatedColumn{{Scope: "span", Name: "http.route", Type: "string"}}}, traces[150:])
			return s, append(a, b...)
		}},
		{"written by Tempo", func(t *testing.T) (*Store, []Meta) {
			s := tempoStore(t)
			metas, err := s.Blocks(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return s, append(metas, writeAll(t, s, WriteOptions{}, traces[:1])...)
		}},
		{"a damaged page", func(t *testing.T) (*Store, []Meta) {
			s := memStore(t)
			metas := writeAll(t, s, WriteOptions{}, traces[:150], traces[150:])
			key, data, pf := blockParquet(t, s, metas[1])
			lc, _ := pf.Schema().Lookup("rs", "list", "element", "ss", "list", "element", "Spans", "list", "element", "Name")
			cc := pf.Metadata().RowGroups[0].Columns[lc.ColumnIndex].MetaData
			at := cc.DataPageOffset
			if d := cc.DictionaryPageOffset; d > 0 && d < at {
				at = d
			}
			data[at+20] ^= 0xA5 // inside the first page
			if err := s.bucket.WriteAll(ctx, key, data, nil); err != nil {
				t.Fatal(err)
			}
			return s, metas
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, metas := tc.store(t)
			before := listKeys(t, s.bucket, "")
			_, err := s.ColumnMerge(ctx, metas, WriteOptions{}, 0)
			t.Log(err)
			if !errors.Is(err, ErrTraceMergeNeeded) {
				t.Fatalf("%v, want ErrTraceMergeNeeded", err)
			}
			if diff := cmp.Diff(before, listKeys(t, s.bucket, "")); diff != "" {
				t.Fatalf("objects left behind (-before +after):\n%s", diff)
			}
		})
	}
}

// writeAll writes each part as a block.
func writeAll(t *testing.T, s *Store, opts WriteOptions, parts ...[]*model.Trace) []Meta {
	t.Helper()
	var metas []Meta
	for _, p := range parts {
		m, err := s.WriteBlock(context.Background(), p, opts)
		if err != nil {
			t.Fatal(err)
		}
		metas = append(metas, m)
	}
	return metas
}

// alternate splits traces into those at even and at odd positions.
func alternate(traces []*model.Trace) (even, odd []*model.Trace) {
	for i, tr := range traces {
		if i%2 == 0 {
			even = append(even, tr)
		} else {
			odd = append(odd, tr)
		}
	}
	return even, odd
}

// TestColumnMergeCopiedDamageLocal damages, one byte at a time, the first
// data page header of the span attributes' string values (a column the
// second goroutine of checkPagesDecode checks) in every row group of a
// local block the merge copies whole. Whatever byte is hit, the merge either refuses
// (ErrTraceMergeNeeded, nothing left behind) or writes a block whose
// every trace reads back.
func TestColumnMergeCopiedDamageLocal(t *testing.T) {
	ctx := context.Background()
	traces := gen.New(gen.Options{Seed: 13}).Distinct(300)
	for i := range int64(24) {
		s := fileStore(t)
		opts := WriteOptions{RowGroupBytes: 32 << 10}
		metas := writeAll(t, s, opts, traces[:100], traces[100:200], traces[200:])
		key, data, pf := blockParquet(t, s, metas[1])
		lc, _ := pf.Schema().Lookup("rs", "list", "element", "ss", "list", "element", "Spans", "list", "element",
			"Attrs", "list", "element", "Value", "list", "element")
		if cols := len(pf.Schema().Columns()); lc.ColumnIndex < cols/2 {
			t.Fatalf("column %d of %d is not in the second half", lc.ColumnIndex, cols)
		}
		for _, rg := range pf.Metadata().RowGroups {
			data[rg.Columns[lc.ColumnIndex].MetaData.DataPageOffset+i] ^= 0x6a
		}
		if err := s.bucket.WriteAll(ctx, key, data, nil); err != nil {
			t.Fatal(err)
		}
		before := listKeys(t, s.bucket, "")
		res, err := s.ColumnMerge(ctx, metas, opts, 1)
		if err != nil {
			if !errors.Is(err, ErrTraceMergeNeeded) {
				t.Fatalf("header byte %d: %v, want ErrTraceMergeNeeded", i, err)
			}
			if diff := cmp.Diff(before, listKeys(t, s.bucket, "")); diff != "" {
				t.Fatalf("header byte %d: objects left behind (-before +after):\n%s", i, diff)
			}
			continue
		}
		it := s.TracesOf(ctx, []Meta{res.Meta})
		n := 0
		for it.Next() {
			n++
		}
		if err := it.Err(); err != nil || n != len(traces) {
			t.Fatalf("header byte %d: merged, then %d of %d traces read back: %v", i, n, len(traces), err)
		}
		it.Close()
	}
}

// blockParquet reads block m's data.parquet and opens it.
func blockParquet(t *testing.T, s *Store, m Meta) (key string, data []byte, pf *parquet.File) {
	t.Helper()
	key = joinKey(s.tenant, m.BlockID.String(), dataObject)
	data, err := s.bucket.ReadAll(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return key, data, openParquet(t, data)
}
