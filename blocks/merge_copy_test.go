package blocks

import (
	"context"
	"errors"
	"testing"

	"github.com/parquet-go/parquet-go/format"

	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/model"
)

// mergeWithCopies merges metas into a new block as compact does (without
// retiring), copying the row groups of at least minBytes it can.
func mergeWithCopies(t *testing.T, s *Store, metas []Meta, minBytes int64) (Meta, int, error) {
	t.Helper()
	ctx := context.Background()
	w, err := NewBlockWriter(ctx, s, WriteOptions{RowGroupBytes: 32 << 10})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := s.PlanMergeCopies(ctx, metas, w, minBytes)
	if err != nil {
		w.Abort()
		return Meta{}, 0, err
	}
	defer cp.Close()
	it := s.TracesOf(ctx, metas)
	defer it.Close()
	for it.Next() {
		if err := cp.Add(w, it.At(), it); err != nil {
			w.Abort()
			return Meta{}, 0, err
		}
	}
	if err := it.Err(); err != nil {
		w.Abort()
		return Meta{}, 0, err
	}
	m, err := w.Finish()
	if err != nil {
		w.Abort()
		return Meta{}, 0, err
	}
	return m, cp.Copied(), nil
}

// spanCountOf returns the spans of trace id in block m (-1: not there).
func spanCountOf(t *testing.T, s *Store, m Meta, id model.TraceID) int {
	t.Helper()
	it := s.TracesOf(context.Background(), []Meta{m})
	defer it.Close()
	for it.Next() {
		if it.At().TraceID == id {
			return it.At().SpanCount()
		}
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return -1
}

// TestMergeCopyStatistics: a merge plans its copies from the footers'
// trace-ID statistics, which other writers may leave out or fill in
// signed byte order. A row group without its own statistics is not
// copied; another input's range that is not in order counts as anywhere,
// so a trace split across inputs is merged, never copied half; and a
// plan the traces belie (here: statistics that hide another input's part
// of a trace) fails with ErrCopyPlan before anything is published.
func TestMergeCopyStatistics(t *testing.T) {
	ctx := context.Background()
	traces := gen.New(gen.Options{Seed: 7}).Distinct(300)
	rewriteFooter := func(s *Store, m *Meta, edit func(*format.FileMetaData)) {
		key := joinKey(s.tenant, m.BlockID.String(), dataObject)
		data, err := s.bucket.ReadAll(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		data = withFooter(t, data, edit)
		if err := s.bucket.WriteAll(ctx, key, data, nil); err != nil {
			t.Fatal(err)
		}
		m.Size, m.FooterSize = uint64(len(data)), 0
	}

	t.Run("no statistics", func(t *testing.T) {
		s := memStore(t)
		a, err := s.WriteBlock(ctx, traces[:100], WriteOptions{RowGroupBytes: 32 << 10})
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.WriteBlock(ctx, traces[200:], WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rewriteFooter(s, &a, func(md *format.FileMetaData) {
			for g := range md.RowGroups {
				md.RowGroups[g].Columns[0].MetaData.Statistics = format.Statistics{}
			}
		})
		m, copied, err := mergeWithCopies(t, s, []Meta{a, b}, 1)
		if err != nil || m.TotalObjects != 200 {
			t.Fatalf("%v, %d traces", err, m.TotalObjects)
		}
		if copied == 0 {
			t.Error("nothing copied: b's row group has statistics and nothing interleaves it")
		}
	})

	// x has parts in both blocks.
	x := traces[50]
	xb := gen.New(gen.Options{Seed: 99}).Trace()
	xb.TraceID = x.TraceID
	want := x.SpanCount() + xb.SpanCount()
	splitBlocks := func(s *Store, edit func(*format.FileMetaData)) (Meta, Meta) {
		a, err := s.WriteBlock(ctx, traces[:100], WriteOptions{RowGroupBytes: 32 << 10})
		if err != nil {
			t.Fatal(err)
		}
		bt := append([]*model.Trace{xb}, traces[200:]...)
		model.SortTraces(bt)
		b, err := s.WriteBlock(ctx, bt, WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rewriteFooter(s, &b, edit)
		return a, b
	}

	t.Run("signed statistics", func(t *testing.T) {
		s := memStore(t)
		// The other writer's statistics: only the deprecated fields, in
		// signed order, so the range comes out inverted.
		a, b := splitBlocks(s, func(md *format.FileMetaData) {
			md.KeyValueMetadata = nil
			for g := range md.RowGroups {
				st := &md.RowGroups[g].Columns[0].MetaData.Statistics
				st.Min, st.Max = []byte("\xac\xd8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), []byte("\x2c\xd2\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")
				st.MinValue, st.MaxValue = nil, nil
			}
		})
		b.MinID, b.MaxID = nil, nil // and no range in its meta: anywhere
		m, _, err := mergeWithCopies(t, s, []Meta{a, b}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := spanCountOf(t, s, m, x.TraceID); got != want {
			t.Fatalf("trace split across the inputs has %d spans after the merge, want %d", got, want)
		}
	})

	t.Run("statistics hiding a part", func(t *testing.T) {
		s := memStore(t)
		// b's statistics claim it starts after every trace of a.
		a, b := splitBlocks(s, func(md *format.FileMetaData) {
			for g := range md.RowGroups {
				st := &md.RowGroups[g].Columns[0].MetaData.Statistics
				st.MinValue = traces[200].TraceID[:]
			}
		})
		b.MinID = traces[200].TraceID[:]
		_, _, err := mergeWithCopies(t, s, []Meta{a, b}, 1)
		if !errors.Is(err, ErrCopyPlan) {
			t.Fatalf("%v, want ErrCopyPlan", err)
		}
		// Merged again without copies, as compact does, nothing is lost.
		m, _, err := mergeWithCopies(t, s, []Meta{a, b}, 1<<40)
		if err != nil {
			t.Fatal(err)
		}
		if got := spanCountOf(t, s, m, x.TraceID); got != want {
			t.Fatalf("%d spans, want %d", got, want)
		}
	})
}
