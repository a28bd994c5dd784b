package column

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestReadPageStats holds ReadPageStats to parquet-go's reading of the
// same page indexes, on every chunk of a file of 1 KiB pages.
func TestReadPageStats(t *testing.T) {
	fx := newCopyFixture(t)
	pf := openFixture(t, fx.file)
	pages := 0
	for g, rg := range pf.RowGroups() {
		for c, chunk := range rg.ColumnChunks() {
			st, ok := ReadPageStats(chunk, rg.NumRows())
			if !ok {
				t.Fatalf("row group %d column %d: no page stats", g, c)
			}
			ci, err := chunk.ColumnIndex()
			if err != nil {
				t.Fatal(err)
			}
			oi, err := chunk.OffsetIndex()
			if err != nil {
				t.Fatal(err)
			}
			if len(st.FirstRows) != oi.NumPages() || ci.NumPages() != oi.NumPages() {
				t.Fatalf("row group %d column %d: %d pages, parquet-go reads %d", g, c, len(st.FirstRows), oi.NumPages())
			}
			for i := range st.FirstRows {
				pages++
				if st.FirstRows[i] != oi.FirstRowIndex(i) || st.Null[i] != ci.NullPage(i) {
					t.Errorf("row group %d column %d page %d: first row %d null %v, parquet-go %d %v",
						g, c, i, st.FirstRows[i], st.Null[i], oi.FirstRowIndex(i), ci.NullPage(i))
				}
				if st.Null[i] {
					continue
				}
				if lo, hi := plainBytes(ci.MinValue(i)), plainBytes(ci.MaxValue(i)); !bytes.Equal(st.Min[i], lo) || !bytes.Equal(st.Max[i], hi) {
					t.Errorf("row group %d column %d page %d: bounds %x %x, parquet-go %x %x", g, c, i, st.Min[i], st.Max[i], lo, hi)
				}
			}
		}
	}
	if pages < 2*len(pf.RowGroups())*len(pf.Schema().Columns()) {
		t.Errorf("%d pages: the fixture should have several a chunk", pages)
	}
}

// plainBytes is the plain encoding of v, as a column index holds it.
func plainBytes(v parquet.Value) []byte {
	switch v.Kind() {
	case parquet.Boolean:
		if v.Boolean() {
			return []byte{1}
		}
		return []byte{0}
	case parquet.Int32:
		return binary.LittleEndian.AppendUint32(nil, uint32(v.Int32()))
	case parquet.Int64:
		return binary.LittleEndian.AppendUint64(nil, uint64(v.Int64()))
	case parquet.Double:
		return binary.LittleEndian.AppendUint64(nil, math.Float64bits(v.Double()))
	}
	return v.ByteArray()
}

// FuzzReadPageStats damages the page indexes of a file (its footer left
// intact): ReadPageStats must not panic, and stats it returns must hold
// together (one entry per page, first rows from 0 up, inside the group).
func FuzzReadPageStats(f *testing.F) {
	fx := newCopyFixture(f)

	start := int64(len(fx.file))
	for _, rg := range fx.md.RowGroups {
		for _, cc := range rg.Columns {
			start = min(start, cc.ColumnIndexOffset)
		}
	}
	end := int64(len(fx.file)) - 8 - int64(binary.LittleEndian.Uint32(fx.file[len(fx.file)-8:]))
	if start <= 0 || start >= end {
		f.Fatalf("page indexes at %d..%d", start, end)
	}
	f.Add(0, byte(0xff), 1)
	f.Add(17, byte(0x80), 4)
	f.Add(int(end-start)/2, byte(0x7f), 9)
	f.Fuzz(func(t *testing.T, at int, x byte, n int) {
		b := bytes.Clone(fx.file)
		span := int(end - start)
		at = ((at % span) + span) % span
		for i := range 1 + ((n%8)+8)%8 {
			if p := int(start) + at + i; p < int(end) {
				b[p] ^= x
			}
		}
		damaged, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)), parquet.SkipPageIndex(true))
		if err != nil {
			t.Fatal(err) // the footer is intact
		}
		for _, rg := range damaged.RowGroups() {
			for _, chunk := range rg.ColumnChunks() {
				st, ok := ReadPageStats(chunk, rg.NumRows())
				if !ok {
					continue
				}
				if len(st.FirstRows) == 0 || len(st.Null) != len(st.FirstRows) || len(st.Min) != len(st.FirstRows) || len(st.Max) != len(st.FirstRows) {
					t.Fatalf("stats of %d pages: %d nulls, %d bounds", len(st.FirstRows), len(st.Null), len(st.Min))
				}
				for i, r := range st.FirstRows {
					if i == 0 && r != 0 || i > 0 && r <= st.FirstRows[i-1] || r >= rg.NumRows() {
						t.Fatalf("first rows %v in a group of %d", st.FirstRows, rg.NumRows())
					}
				}
			}
		}
	})
}

func openFixture(t testing.TB, file []byte) *parquet.File {
	t.Helper()
	pf, err := parquet.OpenFile(bytes.NewReader(file), int64(len(file)), parquet.SkipPageIndex(true))
	if err != nil {
		t.Fatal(err)
	}
	return pf
}
