package column

import (
	"bytes"
	"errors"
	"io"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/tracectl/tracectl/blocks/column/columntest"
)

// writerRow has a leaf of every kind, encoding and nesting FileWriter
// supports (data.parquet uses each of them).
type writerRow struct {
	Signed   int64     `parquet:",delta"`
	Unsigned uint64    `parquet:",delta,snappy"`
	Small    uint32    `parquet:""`
	Int      int32     `parquet:",delta"`
	Plain64  int64     `parquet:""`
	Float    float64   `parquet:",snappy"`
	Flag     bool      `parquet:""`
	Name     string    `parquet:",dict,snappy"`
	Text     string    `parquet:",snappy"` // DELTA_LENGTH_BYTE_ARRAY
	Plain    string    `parquet:",plain"`
	ID       []byte    `parquet:""`
	Opt      *string   `parquet:",optional,dict"`
	OptInt   *int64    `parquet:",optional,snappy"`
	OptText  *string   `parquet:",optional,snappy"`
	Floats   []float64 `parquet:",list"`
	Names    []string  `parquet:",dict,list"`
	Flags    []bool    `parquet:",list"`
	Texts    []string  `parquet:",list"`
	Nested   []struct {
		Key    string  `parquet:",dict"`
		Values []int64 `parquet:",list"`
	} `parquet:",list"`
}

// randomRows returns n rows with the values that stress statistics and
// the column index: NaN, ±Inf, empty strings, strings longer than the
// index limit, runs of 0xFF, empty and absent lists, extreme integers.
func randomRows(r *rand.Rand, n int) []writerRow {
	strs := []string{"", "a", "b", "frontend", strings.Repeat("x", 40), strings.Repeat("\xff", 20),
		"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", "zz"}
	str := func() string {
		if r.Intn(4) == 0 {
			return strs[r.Intn(len(strs))]
		}
		return strings.Repeat(string(rune('a'+r.Intn(26))), r.Intn(30))
	}
	floats := []float64{math.NaN(), math.Float64frombits(0xFFF8000000000000) /* x86's 0/0 */, math.Inf(1), math.Inf(-1),
		0, math.Copysign(0, -1), -1.5, 3.25, math.MaxFloat64}
	ints := []int64{math.MinInt64, math.MaxInt64, 0, -1, 1}
	rows := make([]writerRow, n)
	for i := range rows {
		w := &rows[i]
		w.Signed = ints[r.Intn(len(ints))] + int64(r.Intn(3))
		w.Unsigned = uint64(ints[r.Intn(len(ints))])
		w.Small = uint32(r.Uint64())
		w.Int = int32(r.Uint32())
		w.Plain64 = r.Int63() - r.Int63()
		w.Float = floats[r.Intn(len(floats))]
		if r.Intn(3) == 0 {
			w.Float = r.NormFloat64()
		}
		w.Flag = r.Intn(2) == 0
		w.Name, w.Text, w.Plain = str(), str(), str()
		if r.Intn(3) > 0 {
			w.ID = []byte(str())
		}
		if r.Intn(2) == 0 {
			s := str()
			w.Opt = &s
		}
		if r.Intn(2) == 0 {
			x := ints[r.Intn(len(ints))]
			w.OptInt = &x
		}
		if r.Intn(2) == 0 {
			s := str()
			w.OptText = &s
		}
		for range r.Intn(4) {
			w.Floats = append(w.Floats, floats[r.Intn(len(floats))])
			w.Names = append(w.Names, str())
			w.Flags = append(w.Flags, r.Intn(2) == 0)
			w.Texts = append(w.Texts, str())
		}
		for range r.Intn(3) {
			var e struct {
				Key    string  `parquet:",dict"`
				Values []int64 `parquet:",list"`
			}
			e.Key = str()
			for range r.Intn(3) {
				e.Values = append(e.Values, r.Int63n(100)-50)
			}
			w.Nested = append(w.Nested, e)
		}
	}
	return rows
}

// TestFileWriterMatchesParquetGo writes the same rows with FileWriter (each
// row split into its columns' values) and with parquet-go's GenericWriter,
// with row groups cut at the same rows: the files must be the same but for
// created_by, pages, statistics, page indexes and footer alike.
func TestFileWriterMatchesParquetGo(t *testing.T) {
	for _, tc := range []struct {
		name      string
		rows      int
		pageBytes int
		groupRows int
		all       func(*writerRow) // applied to every row
	}{
		{"one row", 1, 1 << 20, 1, nil},
		{"small pages", 3000, 1 << 10, 700, nil},
		{"large pages", 5000, 256 << 10, 5000, nil},
		{"only NaN floats", 500, 1 << 10, 200, func(w *writerRow) { w.Float, w.Floats = math.NaN(), []float64{math.NaN()} }},
		{"only empty strings", 500, 1 << 10, 250, func(w *writerRow) {
			w.Name, w.Text, w.Plain, w.ID, w.Names, w.Texts = "", "", "", nil, []string{""}, []string{"", ""}
			if w.OptText != nil {
				w.OptText = new(string)
			}
		}},
		{"all absent", 300, 1 << 10, 300, func(w *writerRow) {
			w.Opt, w.OptInt, w.Floats, w.Names, w.Flags, w.Nested = nil, nil, nil, nil, nil, nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := randomRows(rand.New(rand.NewSource(int64(tc.rows))), tc.rows)
			if tc.all != nil {
				for i := range rows {
					tc.all(&rows[i])
				}
			}
			if err := sameAsParquetGo(rows, tc.pageBytes, tc.groupRows); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// FuzzFileWriter: random rows (from the seed), page sizes and row group
// cuts; FileWriter must write what parquet-go writes.
func FuzzFileWriter(f *testing.F) {
	f.Add(int64(1), uint16(300), uint16(64), uint16(100))
	f.Add(int64(7), uint16(1), uint16(1), uint16(1))
	f.Add(int64(-3), uint16(2000), uint16(4096), uint16(2000))
	f.Fuzz(func(t *testing.T, seed int64, n, pageBytes, groupRows uint16) {
		rows := randomRows(rand.New(rand.NewSource(seed)), int(n%2000)+1)
		if err := sameAsParquetGo(rows, int(pageBytes)+16, int(groupRows%2000)+1); err != nil {
			t.Fatal(err)
		}
	})
}

// sameAsParquetGo writes rows with parquet-go's writer and with FileWriter,
// row groups cut every groupRows rows, and compares the files.
func sameAsParquetGo(rows []writerRow, pageBytes, groupRows int) error {
	schema := parquet.SchemaOf(writerRow{})
	var want bytes.Buffer
	pw := parquet.NewGenericWriter[writerRow](&want, schema, parquet.PageBufferSize(pageBytes))
	for i := range rows {
		if _, err := pw.Write(rows[i : i+1]); err != nil {
			return err
		}
		if (i+1)%groupRows == 0 {
			if err := pw.Flush(); err != nil {
				return err
			}
		}
	}
	if err := pw.Close(); err != nil {
		return err
	}

	var got bytes.Buffer
	fw, err := NewFileWriter(&got, schema, FileOptions{PageBytes: pageBytes, CreatedBy: "test"})
	if err != nil {
		return err
	}
	if err := writeRows(fw, schema, rows, groupRows); err != nil {
		return err
	}
	return columntest.SameFile(got.Bytes(), want.Bytes(), "test")
}

// writeRows writes rows with fw, each split into its columns' values, a
// row group every groupRows rows, and closes fw.
func writeRows(fw *FileWriter, schema *parquet.Schema, rows []writerRow, groupRows int) error {
	for len(rows) >= groupRows {
		if err := writeSome(fw, schema, rows[:groupRows]); err != nil {
			return err
		}
		if err := fw.Flush(); err != nil {
			return err
		}
		rows = rows[groupRows:]
	}
	if err := writeSome(fw, schema, rows); err != nil {
		return err
	}
	return fw.Close()
}

// TestFileWriterRejectsBadRows: values at levels above the leaf's, a row
// that does not start at repetition level 0, values of the wrong kind, and
// columns that end a row group with different row counts are errors.
func TestFileWriterRejectsBadRows(t *testing.T) {
	schema := parquet.SchemaOf(writerRow{})
	leaf := func(path ...string) int { return leafIndex(t, schema, path...) }
	for _, tc := range []struct {
		name string
		col  int
		row  []parquet.Value
	}{
		{"level above the leaf's", leaf("Signed"), []parquet.Value{parquet.Int64Value(1).Level(0, 1, 0)}},
		{"no row start", leaf("Opt"), []parquet.Value{parquet.ByteArrayValue([]byte("x")).Level(1, 1, 0)}},
		{"wrong kind", leaf("Signed"), []parquet.Value{parquet.Int32Value(1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fw, err := NewFileWriter(&bytes.Buffer{}, schema, FileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := fw.Chunk(tc.col).WriteRow(tc.row); err == nil {
				t.Fatal("no error")
			}
			// The row may be half written: the chunk and the file stay failed.
			if err := fw.Chunk(tc.col).WriteRow([]parquet.Value{parquet.Int64Value(1)}); err == nil {
				t.Error("a write after the error succeeded")
			}
			if err := fw.Close(); err == nil {
				t.Error("Close after the error succeeded")
			}
		})
	}
	fw, err := NewFileWriter(&bytes.Buffer{}, schema, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Chunk(leaf("Signed")).WriteRow([]parquet.Value{parquet.Int64Value(1)}); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err == nil || !strings.Contains(err.Error(), "rows") {
		t.Fatalf("Close with one column written: %v, want an error naming the row counts", err)
	}

	if _, err := NewFileWriter(&bytes.Buffer{}, parquet.SchemaOf(struct{}{}), FileOptions{}); err == nil {
		t.Error("a schema without columns was accepted")
	}
}

// oneColumn is the smallest schema.
type oneColumn struct {
	X int64 `parquet:""`
}

// TestFileWriterLifecycle: rows written after Close are refused (they
// would be lost in the write buffer), and so is a row group past the
// 32,767 a parquet file may hold (its ordinal is an int16).
func TestFileWriterLifecycle(t *testing.T) {
	schema := parquet.SchemaOf(oneColumn{})
	var out bytes.Buffer
	fw, err := NewFileWriter(&out, schema, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	one := []parquet.Value{parquet.Int64Value(1)}
	if err := fw.Chunk(0).WriteRow(one); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fw.Chunk(0).WriteRow(one); err == nil {
		t.Error("WriteRow after Close succeeded")
	}
	if err := fw.Flush(); err == nil {
		t.Error("Flush after Close succeeded")
	}
	if err := fw.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := parquet.OpenFile(bytes.NewReader(out.Bytes()), int64(out.Len())); err != nil {
		t.Fatal(err)
	}

	fw, err = NewFileWriter(io.Discard, schema, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for g := 0; g <= parquet.MaxRowGroups; g++ {
		if err := fw.Chunk(0).WriteRow(one); err != nil {
			t.Fatal(err)
		}
		err := fw.Flush()
		if g < parquet.MaxRowGroups && err != nil {
			t.Fatalf("row group %d: %v", g, err)
		}
		if g == parquet.MaxRowGroups && !errors.Is(err, parquet.ErrTooManyRowGroups) {
			t.Fatalf("row group %d: %v, want ErrTooManyRowGroups", g, err)
		}
	}
}

// writeCounter counts the calls to Write (each a system call on a file).
type writeCounter struct {
	calls, bytes int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.calls++
	w.bytes += len(p)
	return len(p), nil
}

// TestFileWriterBuffersWrites: pages are small (a few bytes for a sparse
// column), so the file is written in 32 KiB chunks, not a call per page.
func TestFileWriterBuffersWrites(t *testing.T) {
	schema := parquet.SchemaOf(writerRow{})
	var calls writeCounter
	var file bytes.Buffer
	fw, err := NewFileWriter(io.MultiWriter(&calls, &file), schema, FileOptions{PageBytes: 512})
	if err != nil {
		t.Fatal(err)
	}
	rows := randomRows(rand.New(rand.NewSource(1)), 3000)
	if err := writeRows(fw, schema, rows, len(rows)); err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(file.Bytes()), int64(file.Len()))
	if err != nil {
		t.Fatal(err)
	}
	pages := 0
	for _, c := range pf.RowGroups()[0].ColumnChunks() {
		oi, err := c.OffsetIndex()
		if err != nil {
			t.Fatal(err)
		}
		pages += oi.NumPages()
	}
	if want := calls.bytes/(32<<10) + 1; calls.calls > want || pages < 10*want {
		t.Errorf("%d pages, %d bytes written in %d calls, want at most %d", pages, calls.bytes, calls.calls, want)
	}
}

// TestWriteValuesRejectsBadRows: a row without entries, levels of
// different lengths, fewer or more values than entries at the maximum
// definition level, and values in the other kind's field are errors that
// leave the chunk failed.
func TestWriteValuesRejectsBadRows(t *testing.T) {
	schema := parquet.SchemaOf(writerRow{})
	leaf := func(path ...string) int { return leafIndex(t, schema, path...) }
	for _, tc := range []struct {
		name string
		col  int
		v    Values
	}{
		{"no entries", leaf("Signed"), Values{}},
		{"levels of different lengths", leaf("Opt"), Values{Reps: []byte{0}, Defs: []byte{1, 1}, ByteArrays: []string{"a", "b"}}},
		{"a value missing", leaf("Opt"), Values{Reps: []byte{0}, Defs: []byte{1}}},
		{"a value for a null", leaf("Opt"), Values{Reps: []byte{0}, Defs: []byte{0}, ByteArrays: []string{"a"}}},
		{"a number in a byte array column", leaf("Name"), Values{Reps: []byte{0}, Defs: []byte{0}, ByteArrays: []string{"a"}, Nums: []uint64{1}}},
		{"a byte array in a number column", leaf("Signed"), Values{Reps: []byte{0}, Defs: []byte{0}, ByteArrays: []string{"a"}}},
		{"a second row start", leaf("Floats", "list", "element"), Values{Reps: []byte{0, 0}, Defs: []byte{2, 2}, Nums: []uint64{1, 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fw, err := NewFileWriter(&bytes.Buffer{}, schema, FileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := fw.Chunk(tc.col).WriteValues(tc.v); err == nil {
				t.Fatal("no error")
			}
			if err := fw.Chunk(tc.col).WriteValues(Values{Reps: []byte{0}, Defs: []byte{0}}); err == nil {
				t.Error("a write after the error succeeded")
			}
		})
	}
}

// leafIndex is the column index of the leaf at path in schema.
func leafIndex(t *testing.T, schema *parquet.Schema, path ...string) int {
	t.Helper()
	lc, ok := schema.Lookup(path...)
	if !ok {
		t.Fatalf("no leaf %v", path)
	}
	return lc.ColumnIndex
}
