package compact

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
	"gocloud.dev/blob"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/internal/testbuckets"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/store/storetest"
)

// copyTestTraces returns n generated traces sorted by ID.
func copyTestTraces(n int) []*model.Trace {
	return gen.New(gen.Options{Seed: 7, PIIRate: 0.1}).Distinct(n)
}

// TestMergeCopiesRowGroups compacts blocks such as one ingest writes
// (consecutive trace-ID ranges): their row groups come out copied whole,
// and the output holds every trace exactly as a merge that encodes them
// writes it (read back equal, blocks verify clean, the same meta). A block
// whose traces fall inside another's range keeps the row groups they
// interleave with from being copied, and is merged as before.
func TestMergeCopiesRowGroups(t *testing.T) {
	ctx := context.Background()
	n := 600
	if testing.Short() {
		n = 300
	}
	traces := copyTestTraces(n)
	const rowGroup = 32 << 10
	for _, tc := range []struct {
		name       string
		interleave bool
	}{{"disjoint", false}, {"interleaved", true}} {
		t.Run(tc.name, func(t *testing.T) {
			write := func(st *blocks.Store) {
				parts := [][]*model.Trace{traces[:n/3], traces[n/3 : 2*n/3], traces[2*n/3:]}
				if tc.interleave {
					// Every 10th trace of the middle third goes to a block
					// of its own, inside the middle block's range.
					var mid, odd []*model.Trace
					for i, tr := range parts[1] {
						if i%10 == 0 {
							odd = append(odd, tr)
						} else {
							mid = append(mid, tr)
						}
					}
					parts = [][]*model.Trace{parts[0], mid, parts[2], odd}
				}
				for _, p := range parts {
					if _, err := st.WriteBlock(ctx, p, blocks.WriteOptions{RowGroupBytes: rowGroup}); err != nil {
						t.Fatal(err)
					}
				}
			}
			run := func(opts Options) (*blocks.Store, Output) {
				st := blocks.NewStore(testbuckets.OpenURL(t, "mem://"), "tenant-a")
				write(st)
				opts.RowGroupBytes, opts.CompactedRetention, opts.Window = rowGroup, -1, 1<<40
				res, err := Run(ctx, st, opts)
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Outputs) != 1 {
					t.Fatalf("%d outputs", len(res.Outputs))
				}
				return st, res.Outputs[0]
			}
			st, out := run(Options{})
			// A trace-size cap turns copying off: the reference merge.
			ref, refOut := run(Options{MaxTraceBytes: 1 << 40})
			if refOut.CopiedRowGroups != 0 {
				t.Fatalf("the capped merge copied %d row groups", refOut.CopiedRowGroups)
			}
			groups := out.Meta.TotalRecords
			switch {
			case !tc.interleave && (out.CopiedRowGroups < groups-3 || out.CopiedRowGroups == 0):
				// All but an input's last row group, when it is below a
				// quarter of the row-group size.
				t.Errorf("copied %d of %d row groups, want all but at most one per input", out.CopiedRowGroups, groups)
			case tc.interleave && (out.CopiedRowGroups == 0 || out.CopiedRowGroups >= groups):
				t.Errorf("copied %d of %d row groups, want some but not those the odd block interleaves", out.CopiedRowGroups, groups)
			}
			if out.Traces != refOut.Traces || out.Spans != refOut.Spans || out.Traces != len(traces) {
				t.Errorf("%d traces, %d spans; the encoding merge %d, %d", out.Traces, out.Spans, refOut.Traces, refOut.Spans)
			}
			m, rm := out.Meta, refOut.Meta
			if m.TotalObjects != rm.TotalObjects || !m.StartTime.Equal(rm.StartTime) || !m.EndTime.Equal(rm.EndTime) ||
				string(m.MinID) != string(rm.MinID) || string(m.MaxID) != string(rm.MaxID) {
				t.Errorf("meta %+v, the encoding merge's %+v", m, rm)
			}
			rep, err := st.Verify(ctx)
			if err != nil || !rep.OK() {
				t.Fatalf("verify: %v %+v", err, rep)
			}
			got, want := storetest.ReadAll(t, st), storetest.ReadAll(t, ref)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("traces differ from the encoding merge's (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMergeCopyDamage: a damaged page in a chunk the merge copies and the
// reader never decodes (RootSpanName) leaves that block out, named, and
// the other blocks are merged, as with damage the reader meets.
func TestMergeCopyDamage(t *testing.T) {
	ctx := context.Background()
	const rowGroup = 32 << 10
	bucket, st, metas := threeBlocks(t, rowGroup)
	bad := metas[1]
	key := "tenant-a/" + bad.BlockID.String() + "/data.parquet"
	data, pf := readParquet(t, bucket, key)
	lc, ok := pf.Schema().Lookup("RootSpanName")
	if !ok {
		t.Fatal("no RootSpanName column")
	}
	cc := pf.Metadata().RowGroups[0].Columns[lc.ColumnIndex].MetaData
	at := cc.DataPageOffset
	if d := cc.DictionaryPageOffset; d > 0 && d < at {
		at = d
	}
	data[at] ^= 0xA5 // the first page's header
	if err := bucket.WriteAll(ctx, key, data, nil); err != nil {
		t.Fatal(err)
	}
	res, err := Run(ctx, st, Options{RowGroupBytes: rowGroup, CompactedRetention: -1, Window: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outputs) != 1 || len(res.Outputs[0].Group.Inputs) != 2 || res.Outputs[0].CopiedRowGroups == 0 {
		t.Fatalf("outputs %+v, want the two sound blocks merged, row groups copied", res.Outputs)
	}
	if d := st.Damaged(); len(d) != 1 || !strings.Contains(d[0].Error(), bad.BlockID.String()) {
		t.Fatalf("damaged: %v, want %s", d, bad.BlockID)
	}
	if n, kept := liveBlocks(t, st, bad.BlockID); n != 2 || !kept {
		t.Fatalf("%d live blocks (damaged one kept: %v), want the output and the damaged block", n, kept)
	}
}

// TestMergeCopyPlanBelied: an input whose footer statistics hide that it
// holds part of a trace of another input's copyable row group (its
// minimum claims to start later) makes the copy plan wrong; the merge
// finds out and is done again without copies, and nothing is lost.
func TestMergeCopyPlanBelied(t *testing.T) {
	ctx := context.Background()
	traces := copyTestTraces(300)
	const rowGroup = 32 << 10
	bucket := testbuckets.OpenURL(t, "mem://")
	st := blocks.NewStore(bucket, "tenant-a")
	if _, err := st.WriteBlock(ctx, traces[:100], blocks.WriteOptions{RowGroupBytes: rowGroup}); err != nil {
		t.Fatal(err)
	}
	x := traces[50]
	xb := gen.New(gen.Options{Seed: 99}).Trace() // x's other part
	xb.TraceID = x.TraceID
	want := x.SpanCount() + xb.SpanCount()
	bt := append([]*model.Trace{xb}, traces[200:]...)
	model.SortTraces(bt)
	b, err := st.WriteBlock(ctx, bt, blocks.WriteOptions{RowGroupBytes: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	// b's footer and meta claim it starts at traces[200].
	key := "tenant-a/" + b.BlockID.String() + "/data.parquet"
	data, err := bucket.ReadAll(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	n := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	var md format.FileMetaData
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), data[len(data)-8-n:len(data)-8], &md); err != nil {
		t.Fatal(err)
	}
	for g := range md.RowGroups {
		md.RowGroups[g].Columns[0].MetaData.Statistics.MinValue = traces[200].TraceID[:]
	}
	footer, err := thrift.Marshal(new(thrift.CompactProtocol), &md)
	if err != nil {
		t.Fatal(err)
	}
	data = append(append(data[:len(data)-8-n:len(data)-8-n], footer...), binary.LittleEndian.AppendUint32(nil, uint32(len(footer)))...)
	data = append(data, "PAR1"...)
	b.MinID = traces[200].TraceID[:]
	replaceData(t, bucket, b, data)
	res, err := Run(ctx, st, Options{RowGroupBytes: rowGroup, CompactedRetention: -1, Window: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outputs) != 1 || res.Outputs[0].CopiedRowGroups != 0 || res.Outputs[0].Traces != 200 {
		t.Fatalf("outputs %+v, want one merged without copies", res.Outputs)
	}
	for _, tr := range storetest.ReadAll(t, st) {
		if tr.TraceID == x.TraceID && tr.SpanCount() != want {
			t.Fatalf("trace split across the inputs has %d spans, want %d", tr.SpanCount(), want)
		}
	}
}

// TestMergeCopiedHeaderDamage damages, one byte at a time, the header of
// a data page (Resource.Pod) in a row group that the merge copies whole:
// fields of a page header that its CRC does not cover. Whatever byte is
// hit, compaction never publishes the damage and never loses a trace: it
// leaves the damaged block out (and keeps it), or merges every input and
// every trace reads back.
func TestMergeCopiedHeaderDamage(t *testing.T) {
	ctx := context.Background()
	traces := copyTestTraces(300)
	const rowGroup = 32 << 10
	for i := range int64(24) {
		bucket, st, metas := threeBlocks(t, rowGroup)
		key := "tenant-a/" + metas[1].BlockID.String() + "/data.parquet"
		data, pf := readParquet(t, bucket, key)
		lc, _ := pf.Schema().Lookup("rs", "list", "element", "Resource", "Pod")
		data[pf.Metadata().RowGroups[0].Columns[lc.ColumnIndex].MetaData.DataPageOffset+i] ^= 0x6a
		if err := bucket.WriteAll(ctx, key, data, nil); err != nil {
			t.Fatal(err)
		}
		res, err := Run(ctx, st, Options{RowGroupBytes: rowGroup, CompactedRetention: -1, Window: 1 << 40})
		if err != nil {
			t.Fatalf("header byte %d: %v", i, err)
		}
		if len(res.Outputs) == 1 && len(res.Outputs[0].Group.Inputs) == 2 {
			if n, kept := liveBlocks(t, st, metas[1].BlockID); n != 2 || !kept {
				t.Fatalf("header byte %d: %d live blocks (damaged one kept: %v), want the output and the damaged block", i, n, kept)
			}
			continue
		}
		if got := storetest.ReadAll(t, st); len(got) != len(traces) || len(st.Damaged()) > 0 {
			t.Fatalf("header byte %d: outputs %d, %d of %d traces read back, damaged %v", i, len(res.Outputs), len(got), len(traces), st.Damaged())
		}
	}
}

// threeBlocks writes copyTestTraces(300) as three blocks of consecutive
// trace-ID ranges, with row groups of rowGroup bytes, in a mem:// bucket.
func threeBlocks(t *testing.T, rowGroup int64) (*blob.Bucket, *blocks.Store, []blocks.Meta) {
	t.Helper()
	traces := copyTestTraces(300)
	bucket := testbuckets.OpenURL(t, "mem://")
	st := blocks.NewStore(bucket, "tenant-a")
	var metas []blocks.Meta
	for _, p := range [][]*model.Trace{traces[:100], traces[100:200], traces[200:]} {
		m, err := st.WriteBlock(context.Background(), p, blocks.WriteOptions{RowGroupBytes: rowGroup})
		if err != nil {
			t.Fatal(err)
		}
		metas = append(metas, m)
	}
	return bucket, st, metas
}

// replaceData writes data as block m's data.parquet in tenant-a, and m,
// with data's size, as its meta.json.
func replaceData(t *testing.T, bucket *blob.Bucket, m blocks.Meta, data []byte) {
	t.Helper()
	ctx := context.Background()
	prefix := "tenant-a/" + m.BlockID.String() + "/"
	if err := bucket.WriteAll(ctx, prefix+"data.parquet", data, nil); err != nil {
		t.Fatal(err)
	}
	m.Size, m.FooterSize = uint64(len(data)), 0
	mb, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := bucket.WriteAll(ctx, prefix+"meta.json", mb, nil); err != nil {
		t.Fatal(err)
	}
}

// readParquet reads object key of bucket and opens it as a parquet file.
func readParquet(t *testing.T, bucket *blob.Bucket, key string) ([]byte, *parquet.File) {
	t.Helper()
	data, err := bucket.ReadAll(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return data, pf
}

// TestMergeUnsortedInput: an input written by another writer with its
// traces out of ID order (here in reverse) cannot be merged by trace ID.
// Compaction leaves it out, named as damaged, and keeps it; the other
// inputs are merged and every trace reads back once.
func TestMergeUnsortedInput(t *testing.T) {
	ctx := context.Background()
	for _, rowGroup := range []int64{32 << 10, 1 << 30} {
		bucket, st, metas := threeBlocks(t, rowGroup)
		bad := metas[1]
		key := "tenant-a/" + bad.BlockID.String() + "/data.parquet"
		_, pf := readParquet(t, bucket, key)
		var rows []parquet.Row
		for _, rg := range pf.RowGroups() {
			rr := rg.Rows()
			buf := make([]parquet.Row, rg.NumRows())
			n, err := rr.ReadRows(buf)
			if err != nil && err != io.EOF || int64(n) != rg.NumRows() {
				t.Fatalf("read %d of %d rows: %v", n, rg.NumRows(), err)
			}
			rr.Close()
			rows = append(rows, buf...)
		}
		slices.Reverse(rows)
		var out bytes.Buffer
		w := parquet.NewWriter(&out, pf.Schema(), parquet.MaxRowsPerRowGroup(30))
		if _, err := w.WriteRows(rows); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		replaceData(t, bucket, bad, out.Bytes())
		res, err := Run(ctx, st, Options{RowGroupBytes: rowGroup, CompactedRetention: -1, Window: 1 << 40})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Outputs) != 1 || len(res.Outputs[0].Group.Inputs) != 2 || res.Outputs[0].Traces != 200 {
			t.Fatalf("row groups of %d bytes: outputs %+v, want the two sorted blocks merged", rowGroup, res.Outputs)
		}
		if d := st.Damaged(); len(d) != 1 || !strings.Contains(d[0].Error(), bad.BlockID.String()) || !strings.Contains(d[0].Error(), "out of order") {
			t.Fatalf("damaged: %v, want %s, out of order", d, bad.BlockID)
		}
		if n, kept := liveBlocks(t, st, bad.BlockID); n != 2 || !kept {
			t.Fatalf("%d live blocks (unsorted one kept: %v), want the output and the unsorted block", n, kept)
		}
		seen := map[model.TraceID]int{}
		it, err := blocks.NewStore(bucket, "tenant-a").Traces(ctx, store.Request{Unordered: true})
		if err != nil {
			t.Fatal(err)
		}
		for it.Next() {
			seen[it.At().TraceID]++
		}
		if err := it.Err(); err != nil {
			t.Fatal(err)
		}
		it.Close()
		for id, n := range seen {
			if n != 1 {
				t.Errorf("trace %v read %d times", id, n)
			}
		}
		if len(seen) != 300 {
			t.Errorf("%d traces read back, want 300", len(seen))
		}
	}
}
