package column

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"runtime"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/tracectl/tracectl/blocks/column/columntest"
)

// appendGroupRows is the row group size of the file TestChunkWriterAppend
// appends from.
const appendGroupRows = 400

// TestChunkWriterAppend writes row groups made of the row groups of
// another file appended column by column (ChunkWriter.Append), alone or
// after rows written one by one, and compares the result with the same
// rows written by WriteRow alone: the files must be the same, pages,
// dictionaries, statistics, page indexes and footer alike.
func TestChunkWriterAppend(t *testing.T) {
	rows := randomRows(rand.New(rand.NewSource(7)), 4*appendGroupRows-100)
	src, _ := writeFixture(t, rows, appendGroupRows)
	pf, err := parquet.OpenFile(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	schema := parquet.SchemaOf(writerRow{})
	// A part of an output row group: rows written one by one, or a
	// row group of src appended.
	type part struct {
		from, to int // rows written
		group    int // else the row group appended (from = -1)
	}
	appended := func(g int) part { return part{from: -1, group: g} }
	for _, tc := range []struct {
		name   string
		groups [][]part
	}{
		{"appended only", [][]part{{appended(0), appended(1)}, {appended(2), appended(3)}}},
		{"one group of all", [][]part{{appended(0), appended(1), appended(2), appended(3)}}},
		{"written then appended", [][]part{{{0, 400, 0}, appended(1), {800, 1000, 0}}, {{1000, 1200, 0}, appended(3)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want, got bytes.Buffer
			wfw, gfw := newTestWriter(t, &want, schema), newTestWriter(t, &got, schema)
			for _, parts := range tc.groups {
				for _, p := range parts {
					from, to := p.from, p.to
					if from < 0 {
						from = p.group * appendGroupRows
						to = min(from+appendGroupRows, len(rows))
						if err := appendGroup(gfw, pf, schema, p.group, int64(to-from)); err != nil {
							t.Fatal(err)
						}
					} else if err := writeSome(gfw, schema, rows[from:to]); err != nil {
						t.Fatal(err)
					}
					if err := writeSome(wfw, schema, rows[from:to]); err != nil {
						t.Fatal(err)
					}
				}
				if err := wfw.Flush(); err != nil {
					t.Fatal(err)
				}
				if err := gfw.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			if err := wfw.Close(); err != nil {
				t.Fatal(err)
			}
			if err := gfw.Close(); err != nil {
				t.Fatal(err)
			}
			if err := columntest.SameFile(got.Bytes(), want.Bytes(), "test"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// appendGroup appends every column of row group g of pf to fw and checks
// each added rows rows.
func appendGroup(fw *FileWriter, pf *parquet.File, schema *parquet.Schema, g int, rows int64) error {
	chunks := pf.RowGroups()[g].ColumnChunks()
	for c, path := range schema.Columns() {
		l, ok := Lookup(pf.Schema(), path...)
		if !ok {
			return errors.New("no leaf " + pathString(path))
		}
		r := NewReader(chunks[c], l)
		n, err := fw.Chunk(c).Append(r, -1)
		r.Close()
		if err != nil {
			return err
		}
		if n != rows {
			return errors.New("appended a wrong number of rows to " + pathString(path))
		}
	}
	return nil
}

// writeSome writes rows one by one, without cutting a row group.
func writeSome(fw *FileWriter, schema *parquet.Schema, rows []writerRow) error {
	var row parquet.Row
	var err error
	for i := range rows {
		row = schema.Deconstruct(row[:0], &rows[i])
		row.Range(func(c int, vs []parquet.Value) bool {
			err = fw.Chunk(c).WriteRow(vs)
			return err == nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// TestChunkWriterAppendMisuse: a chunk of another kind is an error that
// fails the writer.
func TestChunkWriterAppendMisuse(t *testing.T) {
	rows := randomRows(rand.New(rand.NewSource(8)), 50)
	src, _ := writeFixture(t, rows, 50)
	pf, err := parquet.OpenFile(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	schema := parquet.SchemaOf(writerRow{})
	cols := schema.Columns()
	leafOf := func(c int) Leaf {
		l, ok := Lookup(pf.Schema(), cols[c]...)
		if !ok {
			t.Fatal("no leaf")
		}
		return l
	}
	var buf bytes.Buffer
	fw, err := NewFileWriter(&buf, schema, FileOptions{PageBytes: 1 << 10, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	// Column 0 (Signed, INT64) fed column 7 (Name, BYTE_ARRAY).
	r := NewReader(pf.RowGroups()[0].ColumnChunks()[7], leafOf(7))
	if _, err := fw.Chunk(0).Append(r, -1); err == nil {
		t.Fatal("a BYTE_ARRAY chunk appended to an INT64 column")
	}
	if err := fw.Flush(); err == nil {
		t.Fatal("the writer did not keep the error")
	}
}

// TestChunkWriterAppendRuns appends runs of rows of two files in turn,
// as a merge of their rows does, with rows written one by one in between,
// and compares the result with all the rows written one by one: the
// files must be the same, for 40 random sequences of runs.
func TestChunkWriterAppendRuns(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	rows := [3][]writerRow{randomRows(r, 300), randomRows(r, 260), randomRows(r, 200)} // the last written
	const written = 2
	schema := parquet.SchemaOf(writerRow{})
	var files [2]*parquet.File
	for i := range files {
		src, _ := writeFixture(t, rows[i], len(rows[i]))
		pf, err := parquet.OpenFile(bytes.NewReader(src), int64(len(src)))
		if err != nil {
			t.Fatal(err)
		}
		files[i] = pf
	}
	open := func(i int) []*Reader {
		var rs []*Reader
		for c, path := range schema.Columns() {
			l, ok := Lookup(files[i].Schema(), path...)
			if !ok {
				t.Fatal("no leaf")
			}
			rd := NewReader(files[i].RowGroups()[0].ColumnChunks()[c], l)
			t.Cleanup(rd.Close)
			rs = append(rs, rd)
		}
		return rs
	}
	var readers [2][]*Reader
	for seq := range 40 {
		readers[0], readers[1] = open(0), open(1)
		var want, got bytes.Buffer
		wfw, gfw := newTestWriter(t, &want, schema), newTestWriter(t, &got, schema)
		var at [3]int
		for at[0] < len(rows[0]) || at[1] < len(rows[1]) || at[2] < len(rows[2]) {
			from := r.Intn(3)
			n := min(1+r.Intn(30), len(rows[from])-at[from])
			if n == 0 {
				continue
			}
			rs := rows[from][at[from] : at[from]+n]
			at[from] += n
			if err := writeSome(wfw, schema, rs); err != nil {
				t.Fatal(err)
			}
			if from == written {
				if err := writeSome(gfw, schema, rs); err != nil {
					t.Fatal(err)
				}
				continue
			}
			for c, rd := range readers[from] {
				got, err := gfw.Chunk(c).Append(rd, int64(n))
				if err != nil || got != int64(n) {
					t.Fatalf("column %d: %d rows appended of %d: %v", c, got, n, err)
				}
			}
		}
		for _, fw := range []*FileWriter{wfw, gfw} {
			if err := fw.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if err := columntest.SameFile(got.Bytes(), want.Bytes(), "test"); err != nil {
			t.Fatalf("sequence %d: %v", seq, err)
		}
	}
	// Past the end (the last sequence read every row): an error.
	var buf bytes.Buffer
	fw, err := NewFileWriter(&buf, schema, FileOptions{PageBytes: 1 << 10, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Chunk(0).Append(readers[0][0], 1); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a row appended past the chunk's end: %v, want ErrCorrupt", err)
	}
}

// TestChunkWriterAppendOneRowAtATime appends a row at a time from two
// chunks in turn, as a merge of inputs whose traces alternate does, to a
// dictionary column whose values are all distinct: the memory it takes
// stays in proportion to the dictionaries, not to the rows times the
// dictionaries (a map of a source dictionary made per call took 70 MB
// here).
func TestChunkWriterAppendOneRowAtATime(t *testing.T) {
	const n = 3000
	schema := parquet.SchemaOf(writerRow{})
	col := slices.IndexFunc(schema.Columns(), func(p []string) bool { return len(p) == 1 && p[0] == "Name" })
	var readers [2]*Reader
	for i := range readers {
		rows := randomRows(rand.New(rand.NewSource(int64(10+i))), n)
		for j := range rows {
			rows[j].Name = fmt.Sprintf("name-%d-%d", i, j)
		}
		src, _ := writeFixture(t, rows, n)
		pf, err := parquet.OpenFile(bytes.NewReader(src), int64(len(src)))
		if err != nil {
			t.Fatal(err)
		}
		l, _ := Lookup(pf.Schema(), "Name")
		readers[i] = NewReader(pf.RowGroups()[0].ColumnChunks()[col], l)
		defer readers[i].Close()
	}
	fw, err := NewFileWriter(io.Discard, schema, FileOptions{PageBytes: 1 << 20, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		for _, r := range readers {
			if got, err := fw.Chunk(col).Append(r, 1); err != nil || got != 1 {
				t.Fatalf("%d rows appended: %v", got, err)
			}
		}
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("appending %d rows a row at a time allocated %d bytes", 2*n, alloc)
	}
}

// newTestWriter returns a FileWriter of 1 KiB pages into w.
func newTestWriter(t *testing.T, w io.Writer, schema *parquet.Schema) *FileWriter {
	t.Helper()
	fw, err := NewFileWriter(w, schema, FileOptions{PageBytes: 1 << 10, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return fw
}
