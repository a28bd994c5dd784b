package column

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/tracectl/tracectl/blocks/column/columntest"
)

// testRow nests lists two levels deep with required, optional and
// dictionary-encoded leaves of every physical type the blocks use.
type testRow struct {
	ID    []byte   `parquet:""`
	Name  string   `parquet:",dict"`
	Start uint64   `parquet:",delta"`
	Opt   *string  `parquet:",optional,dict"`
	Outer []outer  `parquet:",list"`
	Tags  []string `parquet:",list"`
}

type outer struct {
	Key   string  `parquet:",dict"`
	Num   int64   `parquet:",delta"`
	Small int32   `parquet:""`
	F     float64 `parquet:""`
	B     bool    `parquet:""`
	Maybe *int64  `parquet:",optional"`
	Inner []inner `parquet:",list"`
}

type inner struct {
	V    string `parquet:""`
	Flag bool   `parquet:""`
}

func testRows(n int) []testRow {
	rows := make([]testRow, n)
	for i := range rows {
		r := &rows[i]
		r.ID = []byte{byte(i), byte(i >> 8), 0xab}
		r.Name = fmt.Sprintf("name-%d", i%7)
		r.Start = uint64(i) * 1_000_003
		if i%3 == 0 {
			s := fmt.Sprintf("opt-%d", i%5)
			r.Opt = &s
		}
		for j := 0; j < i%4; j++ {
			o := outer{Key: fmt.Sprintf("k%d", j), Num: int64(i*j) - 50, Small: int32(j - i), F: float64(i) / 3, B: (i+j)%2 == 0}
			if j%2 == 1 {
				m := int64(i)
				o.Maybe = &m
			}
			for k := 0; k < (i+j)%3; k++ {
				o.Inner = append(o.Inner, inner{V: fmt.Sprintf("v%d-%d", i, k), Flag: k%2 == 0})
			}
			r.Outer = append(r.Outer, o)
		}
		if i%5 != 0 {
			r.Tags = []string{"a", fmt.Sprint(i)}
		}
	}
	rows[5].Outer[0].F = math.Inf(1)
	return rows
}

func writeTestFile(t testing.TB, rows []testRow, opts ...parquet.WriterOption) *parquet.File {
	t.Helper()
	data := writeTestBytes(t, rows, opts...)
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// writeTestBytes writes rows as a parquet file of 512-byte pages, a row
// group flush every 100 rows.
func writeTestBytes(t testing.TB, rows []testRow, opts ...parquet.WriterOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[testRow](&buf, append([]parquet.WriterOption{parquet.PageBufferSize(512)}, opts...)...)
	for i := 0; i < len(rows); i += 100 {
		if _, err := w.Write(rows[i:min(i+100, len(rows))]); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil { // several pages per chunk
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// entry is one (rep, def, value) of a column, the value rendered as text.
type entry struct {
	rep, def byte
	v        string
}

// readAll walks a chunk with Reader.
func readAll(t *testing.T, r *Reader) []entry {
	t.Helper()
	var out []entry
	for r.More() {
		e := entry{rep: r.Rep(), def: r.Def()}
		if r.Present() {
			switch r.Leaf().Kind {
			case parquet.Int64:
				e.v = fmt.Sprint(r.Int64())
			case parquet.Int32:
				e.v = fmt.Sprint(r.Int32())
			case parquet.Double:
				e.v = fmt.Sprint(r.Float64())
			case parquet.Boolean:
				e.v = fmt.Sprint(r.Bool())
			case parquet.ByteArray:
				e.v = fmt.Sprintf("%q", r.String())
				if string(r.Bytes()) != r.String() {
					t.Fatalf("Bytes and String differ")
				}
			}
		}
		out = append(out, e)
		r.Advance()
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// referenceEntries reads a chunk with parquet-go's own value reader.
func referenceEntries(t *testing.T, chunk parquet.ColumnChunk, kind parquet.Kind, maxDef byte) []entry {
	t.Helper()
	pages := chunk.Pages()
	defer pages.Close()
	var out []entry
	buf := make([]parquet.Value, 64)
	for {
		p, err := pages.ReadPage()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		vr := p.Values()
		for {
			n, err := vr.ReadValues(buf)
			for _, v := range buf[:n] {
				e := entry{rep: byte(v.RepetitionLevel()), def: byte(v.DefinitionLevel())}
				if e.def == maxDef {
					switch kind {
					case parquet.Int64:
						e.v = fmt.Sprint(v.Int64())
					case parquet.Int32:
						e.v = fmt.Sprint(v.Int32())
					case parquet.Double:
						e.v = fmt.Sprint(v.Double())
					case parquet.Boolean:
						e.v = fmt.Sprint(v.Boolean())
					case parquet.ByteArray:
						e.v = fmt.Sprintf("%q", v.ByteArray())
					}
				}
				out = append(out, e)
			}
			if err == io.EOF || n == 0 {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		parquet.Release(p)
	}
}

var testPaths = [][]string{
	{"ID"}, {"Name"}, {"Start"}, {"Opt"},
	{"Outer", "list", "element", "Key"},
	{"Outer", "list", "element", "Num"},
	{"Outer", "list", "element", "Small"},
	{"Outer", "list", "element", "F"},
	{"Outer", "list", "element", "B"},
	{"Outer", "list", "element", "Maybe"},
	{"Outer", "list", "element", "Inner", "list", "element", "V"},
	{"Outer", "list", "element", "Inner", "list", "element", "Flag"},
	{"Tags", "list", "element"},
}

// TestReaderMatchesParquetGo reads every column of files written with and
// without dictionaries, data page v1 and v2, and compares each entry with
// parquet-go's value reader.
func TestReaderMatchesParquetGo(t *testing.T) {
	cases := map[string][]parquet.WriterOption{
		"v2":      nil,
		"v1":      {parquet.DataPageVersion(1)},
		"snappy":  {parquet.Compression(&parquet.Snappy)},
		"no-dict": {parquet.DataPageVersion(1), parquet.Compression(&parquet.Zstd)},
	}
	rows := testRows(1000)
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			f := writeTestFile(t, rows, opts...)
			for _, path := range testPaths {
				l, ok := Lookup(f.Schema(), path...)
				if !ok {
					t.Fatalf("no leaf %v", path)
				}
				for g, rg := range f.RowGroups() {
					r := NewReader(rg.ColumnChunks()[l.Index], l)
					got := readAll(t, r)
					r.Close()
					want := referenceEntries(t, rg.ColumnChunks()[l.Index], l.Kind, l.MaxDef)
					if len(got) != len(want) {
						t.Fatalf("%v group %d: %d entries, want %d", path, g, len(got), len(want))
					}
					for i := range got {
						if got[i] != want[i] {
							t.Fatalf("%v group %d entry %d: got %+v, want %+v", path, g, i, got[i], want[i])
						}
					}
				}
			}
		})
	}
}

func TestLookupLevels(t *testing.T) {
	f := writeTestFile(t, testRows(10))
	cases := []struct {
		path           []string
		maxRep, maxDef byte
		defAt          []byte
	}{
		{[]string{"Name"}, 0, 0, nil},
		{[]string{"Opt"}, 0, 1, nil},
		{[]string{"Outer", "list", "element", "Key"}, 1, 1, []byte{1}},
		{[]string{"Outer", "list", "element", "Maybe"}, 1, 2, []byte{1}},
		{[]string{"Outer", "list", "element", "Inner", "list", "element", "V"}, 2, 2, []byte{1, 2}},
	}
	for _, c := range cases {
		l, ok := Lookup(f.Schema(), c.path...)
		if !ok {
			t.Fatalf("%v: not found", c.path)
		}
		if l.MaxRep != c.maxRep || l.MaxDef != c.maxDef || !bytes.Equal(l.DefAt, c.defAt) {
			t.Errorf("%v: rep %d def %d defAt %v, want %d %d %v", c.path, l.MaxRep, l.MaxDef, l.DefAt, c.maxRep, c.maxDef, c.defAt)
		}
	}
	if _, ok := Lookup(f.Schema(), "Outer", "list", "element"); ok {
		t.Error("a group is not a leaf")
	}
	if _, ok := Lookup(f.Schema(), "Nope"); ok {
		t.Error("missing column found")
	}
}

// TestSkipRows skips rows in strides and checks that the entry reached is
// the one a full walk finds at that row.
func TestSkipRows(t *testing.T) {
	f := writeTestFile(t, testRows(1000), parquet.DataPageVersion(1))
	for _, path := range testPaths {
		l, _ := Lookup(f.Schema(), path...)
		rg := f.RowGroups()[0]
		full := readAll(t, NewReader(rg.ColumnChunks()[l.Index], l))
		var rowStarts []int
		for i, e := range full {
			if e.rep == 0 {
				rowStarts = append(rowStarts, i)
			}
		}
		for _, stride := range []int{1, 7, 333} {
			r := NewReader(rg.ColumnChunks()[l.Index], l)
			row := 0
			for row < len(rowStarts) {
				if !r.More() {
					t.Fatalf("%v: ended at row %d", path, row)
				}
				e := entry{rep: r.Rep(), def: r.Def()}
				want := full[rowStarts[row]]
				if e.rep != want.rep || e.def != want.def {
					t.Fatalf("%v stride %d row %d: %+v, want %+v", path, stride, row, e, want)
				}
				if r.Present() && l.Kind == parquet.ByteArray && fmt.Sprintf("%q", r.String()) != want.v {
					t.Fatalf("%v stride %d row %d: value %q, want %s", path, stride, row, r.String(), want.v)
				}
				n := r.SkipRows(stride)
				row += n
				if n < stride && row != len(rowStarts) {
					t.Fatalf("%v: skipped %d of %d rows before the end", path, n, stride)
				}
			}
			if r.More() {
				t.Fatalf("%v: entries after the last row", path)
			}
			r.Close()
		}
	}
}

func TestDictionary(t *testing.T) {
	f := writeTestFile(t, testRows(100))
	l, _ := Lookup(f.Schema(), "Name")
	r := NewReader(f.RowGroups()[0].ColumnChunks()[l.Index], l)
	defer r.Close()
	d, err := r.Dictionary()
	if err != nil || d == nil {
		t.Fatalf("dictionary: %v %v", d, err)
	}
	if d.Len() != 7 {
		t.Fatalf("%d values, want 7", d.Len())
	}
	seen := map[string]bool{}
	for r.More() {
		i, pd, ok := r.DictIndex()
		if !ok || pd != d {
			t.Fatal("page not dictionary-encoded")
		}
		if pd.View(i) != r.String() || pd.String(i) != r.String() {
			t.Fatalf("index %d is %q (view %q), value %q", i, pd.String(i), pd.View(i), r.String())
		}
		seen[r.String()] = true
		r.Advance()
	}
	if len(seen) != 7 {
		t.Fatalf("%d distinct values", len(seen))
	}
}

// FuzzReader damages the levels and values of a small file's pages (page
// headers and the footer are left intact: parquet-go's thrift decoder can
// take seconds to skip a damaged header's giant list, see the package
// notes) and reads every column: each read must end in values or an
// ErrCorrupt error, never a panic.
func FuzzReader(f *testing.F) {
	var clean bytes.Buffer
	w := parquet.NewGenericWriter[testRow](&clean, parquet.PageBufferSize(256))
	_, _ = w.Write(testRows(60))
	_ = w.Close()
	data := clean.Bytes()
	regions := columntest.PagePayloads(f, data)
	payload := 0
	for _, r := range regions {
		payload += r[1] - r[0]
	}
	f.Add(0, byte(0xff), 0)
	f.Add(40, byte(0x01), 3)
	f.Add(payload/2, byte(0x80), 17)
	f.Fuzz(func(t *testing.T, at int, x byte, n int) {
		b := columntest.Damage(data, regions, at, x, 1+((n%32)+32)%32)
		pf, err := OpenFile(bytes.NewReader(b), int64(len(b)), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
		if err != nil {
			return
		}
		for _, path := range testPaths {
			l, ok := Lookup(pf.Schema(), path...)
			if !ok {
				continue
			}
			for _, rg := range pf.RowGroups() {
				if l.Index >= len(rg.ColumnChunks()) {
					continue
				}
				r := NewReader(rg.ColumnChunks()[l.Index], l)
				for r.More() {
					if r.Present() {
						switch l.Kind {
						case parquet.Int64:
							_ = r.Int64()
						case parquet.Int32:
							_ = r.Int32()
						case parquet.Double:
							_ = r.Float64()
						case parquet.Boolean:
							_ = r.Bool()
						case parquet.ByteArray:
							_ = r.String()
						}
					}
					r.Advance()
				}
				if err := r.Err(); err != nil && !errors.Is(err, ErrCorrupt) {
					t.Fatalf("error not marked corrupt: %v", err)
				}
				r.Close()
			}
		}
	})
}

// TestJumpToRow jumps to rows through the offset index and checks that the
// entry reached is the one a full walk finds at that row, then that the
// rest of the chunk reads on from there.
func TestJumpToRow(t *testing.T) {
	f := writeTestFile(t, testRows(1000))
	jumped := 0
	for _, path := range testPaths {
		l, _ := Lookup(f.Schema(), path...)
		rg := f.RowGroups()[0]
		full := readAll(t, NewReader(rg.ColumnChunks()[l.Index], l))
		var rowStarts []int
		for i, e := range full {
			if e.rep == 0 {
				rowStarts = append(rowStarts, i)
			}
		}
		for _, target := range []int{1, 17, 50, 51, 77, 99} {
			r := NewReader(rg.ColumnChunks()[l.Index], l)
			if !r.More() {
				t.Fatal("empty chunk")
			}
			ok, err := r.JumpToRow(0, int64(target))
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				r.SkipRows(target)
			} else {
				jumped++
			}
			rest := readAll(t, r)
			if want := full[rowStarts[target]:]; len(rest) != len(want) || rest[0] != want[0] || rest[len(rest)-1] != want[len(want)-1] {
				t.Fatalf("%v: jump to row %d: %d entries from %+v, want %d from %+v", path, target, len(rest), rest[0], len(want), want[0])
			}
			r.Close()
		}
	}
	if jumped == 0 {
		t.Fatal("no jump used the offset index")
	}
}

// TestDataPages: the data page count read from a chunk's encoding stats
// is its offset index's page count, with one page per chunk and with
// several; a jump in a one-page chunk reads no offset index and leaves the
// reader where skipping would.
func TestDataPages(t *testing.T) {
	for _, pageBuffer := range []int{512, 1 << 20} {
		f := writeTestFile(t, testRows(300), parquet.PageBufferSize(pageBuffer))
		onePage := 0
		for g, rg := range f.RowGroups() {
			for c, cc := range rg.ColumnChunks() {
				fc := cc.(*parquet.FileColumnChunk)
				oi, err := offsetIndex(fc)
				if err != nil || oi == nil {
					t.Fatalf("row group %d column %d: offset index %v", g, c, err)
				}
				if got, want := dataPages(fc), oi.NumPages(); got != want {
					t.Fatalf("page buffer %d, row group %d, column %d: %d data pages by the encoding stats, %d in the offset index", pageBuffer, g, c, got, want)
				}
				if oi.NumPages() == 1 {
					onePage++
				}
			}
		}
		if pageBuffer > 512 && onePage == 0 {
			t.Fatalf("page buffer %d: no one-page chunk", pageBuffer)
		}
		l, _ := Lookup(f.Schema(), testPaths[0]...)
		chunk := f.RowGroups()[0].ColumnChunks()[l.Index]
		if dataPages(chunk.(*parquet.FileColumnChunk)) != 1 {
			continue
		}
		want := readAll(t, NewReader(chunk, l))
		r := NewReader(chunk, l)
		if !r.More() {
			t.Fatal("empty chunk")
		}
		if ok, err := r.JumpToRow(0, 7); ok || err != nil || r.index != nil {
			t.Fatalf("jump in a one-page chunk: %v, %v, offset index read: %v", ok, err, r.index != nil)
		}
		r.SkipRows(7)
		if got := readAll(t, r); len(got) == 0 || got[len(got)-1] != want[len(want)-1] {
			t.Fatalf("after the jump: %d entries", len(got))
		}
	}
}

// TestJumpToRowDamagedIndexLength: an offset index whose list header
// claims 2^31-1 page locations is damage: the jump falls back to skipping
// (the rows read are right) instead of allocating 48 GiB, which parquet-go's
// decoder would (a fatal error, not a panic).
func TestJumpToRowDamagedIndexLength(t *testing.T) {
	orig := writeTestBytes(t, testRows(1000))
	good, err := parquet.OpenFile(bytes.NewReader(orig), int64(len(orig)))
	if err != nil {
		t.Fatal(err)
	}
	var l Leaf
	for _, path := range testPaths {
		l, _ = Lookup(good.Schema(), path...)
		if dataPages(good.RowGroups()[0].ColumnChunks()[l.Index].(*parquet.FileColumnChunk)) > 1 {
			break // a chunk with pages to jump over
		}
	}
	cc := good.Metadata().RowGroups[0].Columns[l.Index]
	data := bytes.Clone(orig)
	// field 1 (page_locations): a list of structs, long-form size 2^31-1
	copy(data[cc.OffsetIndexOffset:], []byte{0x19, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x07})
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)), parquet.SkipPageIndex(true))
	if err != nil {
		t.Fatal(err)
	}
	chunk := f.RowGroups()[0].ColumnChunks()[l.Index]
	full := readAll(t, NewReader(chunk, l))
	r := NewReader(chunk, l)
	if !r.More() {
		t.Fatal("empty chunk")
	}
	ok, err := r.JumpToRow(0, 50)
	if ok || err != nil {
		t.Fatalf("jumped %v, %v; want a fallback to skipping", ok, err)
	}
	r.SkipRows(50)
	rest := readAll(t, r)
	if len(rest) == 0 || rest[len(rest)-1] != full[len(full)-1] {
		t.Fatalf("%d entries after skipping", len(rest))
	}
}
