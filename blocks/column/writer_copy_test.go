package column

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"runtime"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/tracectl/tracectl/blocks/column/columntest"
)

// copyFixture is a file of writerRows in row groups of groupRows, written
// by FileWriter, and its footer.
type copyFixture struct {
	rows []writerRow
	file []byte
	md   *format.FileMetaData
}

const copyGroupRows = 700

func newCopyFixture(t testing.TB) copyFixture {
	t.Helper()
	rows := randomRows(rand.New(rand.NewSource(5)), 2*copyGroupRows)
	file, md := writeFixture(t, rows, copyGroupRows)
	return copyFixture{rows: rows, file: file, md: md}
}

// writeFixture writes rows with FileWriter (1 KiB pages, a row group every
// groupRows rows) and returns the file and its footer.
func writeFixture(t testing.TB, rows []writerRow, groupRows int) ([]byte, *format.FileMetaData) {
	t.Helper()
	schema := parquet.SchemaOf(writerRow{})
	var buf bytes.Buffer
	fw, err := NewFileWriter(&buf, schema, FileOptions{PageBytes: 1 << 10, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := writeRows(fw, schema, rows, groupRows); err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), pf.Metadata()
}

// writeGroup writes rows as one row group of fw, encoding the columns not
// in copied and copying those from row group g of src.
func writeGroup(fw *FileWriter, src []byte, md *format.FileMetaData, g int, rows []writerRow, copied []int) error {
	schema := parquet.SchemaOf(writerRow{})
	isCopied := map[int]bool{}
	for _, c := range copied {
		isCopied[c] = true
	}
	var row parquet.Row
	var err error
	for i := range rows {
		row = schema.Deconstruct(row[:0], &rows[i])
		row.Range(func(c int, vs []parquet.Value) bool {
			if !isCopied[c] {
				err = fw.Chunk(c).WriteRow(vs)
			}
			return err == nil
		})
		if err != nil {
			return err
		}
	}
	srcs, err := GroupSources(bytes.NewReader(src), int64(len(src)), md, g, copied)
	if err != nil {
		return err
	}
	for i, c := range copied {
		if err := fw.Chunk(c).Copy(srcs[i]); err != nil {
			return err
		}
	}
	return fw.Flush()
}

// TestFileWriterCopiesChunks writes the fixture's two row groups in the
// other order, each with half its columns copied from the fixture (so the
// copies land at other offsets than in their source), and compares the
// result with the same rows written by FileWriter alone: the files must be
// the same, pages, statistics, page indexes and footer alike.
func TestFileWriterCopiesChunks(t *testing.T) {
	fx := newCopyFixture(t)
	schema := parquet.SchemaOf(writerRow{})
	swapped := append(append([]writerRow{}, fx.rows[copyGroupRows:]...), fx.rows[:copyGroupRows]...)
	var want bytes.Buffer
	fw, err := NewFileWriter(&want, schema, FileOptions{PageBytes: 1 << 10, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := writeRows(fw, schema, swapped, copyGroupRows); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name   string
		copied func(c int) bool
	}{
		{"none", func(int) bool { return false }},
		{"even columns", func(c int) bool { return c%2 == 0 }},
		{"odd columns", func(c int) bool { return c%2 == 1 }},
		{"all", func(int) bool { return true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var copied []int
			for c := range schema.Columns() {
				if tc.copied(c) {
					copied = append(copied, c)
				}
			}
			var got bytes.Buffer
			fw, err := NewFileWriter(&got, schema, FileOptions{PageBytes: 1 << 10, CreatedBy: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if err := writeGroup(fw, fx.file, fx.md, 1, fx.rows[copyGroupRows:], copied); err != nil {
				t.Fatal(err)
			}
			if err := writeGroup(fw, fx.file, fx.md, 0, fx.rows[:copyGroupRows], copied); err != nil {
				t.Fatal(err)
			}
			if err := fw.Close(); err != nil {
				t.Fatal(err)
			}
			if err := columntest.SameFile(got.Bytes(), want.Bytes(), "test"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestFileWriterRejectsDamagedCopies: a copied chunk whose page header or
// compressed body is damaged fails the row group with ErrCorrupt, and so
// do page indexes that do not decode.
func TestFileWriterRejectsDamagedCopies(t *testing.T) {
	fx := newCopyFixture(t)
	schema := parquet.SchemaOf(writerRow{})
	lc, _ := schema.Lookup("Text") // snappy, DELTA_LENGTH_BYTE_ARRAY
	col := lc.ColumnIndex
	cc := fx.md.RowGroups[0].Columns[col]
	first := cc.MetaData.DataPageOffset
	var h format.PageHeader
	rd := bytes.NewReader(fx.file[first:])
	if err := thrift.NewDecoder(new(thrift.CompactProtocol).NewReader(rd)).Decode(&h); err != nil {
		t.Fatal(err)
	}
	v2, _ := h.DataPageHeaderV2.Get()
	body := first + int64(len(fx.file[first:])-rd.Len()) + int64(v2.RepetitionLevelsByteLength+v2.DefinitionLevelsByteLength)

	for _, tc := range []struct {
		name string
		at   int64
	}{
		{"page header", first},
		{"compressed length", body},   // snappy's leading varint: the decompressed length
		{"compressed data", body + 8}, // decompresses, but the page CRC differs
		{"column index", cc.ColumnIndexOffset},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := bytes.Clone(fx.file)
			bad[tc.at] ^= 0xA5
			fw, err := NewFileWriter(&bytes.Buffer{}, schema, FileOptions{PageBytes: 1 << 10})
			if err != nil {
				t.Fatal(err)
			}
			err = writeGroup(fw, bad, fx.md, 0, fx.rows[:copyGroupRows], []int{col})
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%v, want ErrCorrupt", err)
			}
			if err := fw.Close(); err == nil {
				t.Error("Close after a damaged copy succeeded")
			}
		})
	}
}

// TestFileWriterCopyMisuse: a copy into a chunk that has rows, a row after
// a copy, a copy of another column, and a row group whose copied and
// written columns have different row counts are errors.
func TestFileWriterCopyMisuse(t *testing.T) {
	fx := newCopyFixture(t)
	schema := parquet.SchemaOf(writerRow{})
	srcs, err := GroupSources(bytes.NewReader(fx.file), int64(len(fx.file)), fx.md, 0, []int{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	one := []parquet.Value{parquet.Int64Value(1)}
	for _, tc := range []struct {
		name string
		do   func(fw *FileWriter) error
		want string
	}{
		{"copy after rows", func(fw *FileWriter) error {
			if err := fw.Chunk(0).WriteRow(one); err != nil {
				return err
			}
			return fw.Chunk(0).Copy(srcs[0])
		}, "empty column chunk"},
		{"row after copy", func(fw *FileWriter) error {
			if err := fw.Chunk(0).Copy(srcs[0]); err != nil {
				return err
			}
			return fw.Chunk(0).WriteRow(one)
		}, "copied chunk"},
		{"other column", func(fw *FileWriter) error { return fw.Chunk(0).Copy(srcs[1]) }, "a copy of column Unsigned"},
		{"row counts", func(fw *FileWriter) error {
			if err := writeGroup(fw, fx.file, fx.md, 0, fx.rows[:copyGroupRows-1], []int{0}); err != nil {
				return err
			}
			return fw.Close()
		}, "rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fw, err := NewFileWriter(&bytes.Buffer{}, schema, FileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.do(fw); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v, want an error with %q", err, tc.want)
			}
		})
	}
	if _, err := GroupSources(bytes.NewReader(fx.file), int64(len(fx.file)), fx.md, 2, []int{0}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("row group 2 of 2: %v, want ErrCorrupt", err)
	}
}

// FuzzChunkCopy flips bytes of a chunk (and of the page indexes) before
// it is copied: the copy either succeeds, writing the chunk's bytes as
// they are, or fails with ErrCorrupt; it never panics or allocates what a
// damaged header claims.
func FuzzChunkCopy(f *testing.F) {
	f.Add(uint8(0), uint32(0), uint8(0xFF))
	f.Add(uint8(8), uint32(3), uint8(0x80))
	f.Add(uint8(12), uint32(40), uint8(0x01))
	fx := newCopyFixture(f)
	schema := parquet.SchemaOf(writerRow{})
	ncols := len(schema.Columns())
	f.Fuzz(func(t *testing.T, col uint8, at uint32, x uint8) {
		c := int(col) % ncols
		cc := fx.md.RowGroups[0].Columns[c]
		start := cc.MetaData.DataPageOffset
		if d := cc.MetaData.DictionaryPageOffset; d > 0 && d < start {
			start = d
		}
		// The chunk's bytes, then its column index and offset index.
		span := cc.MetaData.TotalCompressedSize + int64(cc.ColumnIndexLength) + int64(cc.OffsetIndexLength)
		pos := int64(at) % span
		switch {
		case pos < cc.MetaData.TotalCompressedSize:
			pos += start
		case pos < cc.MetaData.TotalCompressedSize+int64(cc.ColumnIndexLength):
			pos = cc.ColumnIndexOffset + pos - cc.MetaData.TotalCompressedSize
		default:
			pos = cc.OffsetIndexOffset + pos - cc.MetaData.TotalCompressedSize - int64(cc.ColumnIndexLength)
		}
		bad := bytes.Clone(fx.file)
		bad[pos] ^= x | 1
		fw, err := NewFileWriter(&bytes.Buffer{}, schema, FileOptions{PageBytes: 1 << 10})
		if err != nil {
			t.Fatal(err)
		}
		err = writeGroup(fw, bad, fx.md, 0, fx.rows[:copyGroupRows], []int{c})
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%v, want ErrCorrupt or no error", err)
		}
	})
}

// TestCopyRefusesHugeLengths: a damaged length in a page index or a page
// header (a list of 2^31-1 entries, a statistics value of 2 GiB) is
// ErrCorrupt, found before anything of that size is allocated (parquet-go's
// thrift decoder allocates a list's claimed length first).
func TestCopyRefusesHugeLengths(t *testing.T) {
	fx := newCopyFixture(t)
	schema := parquet.SchemaOf(writerRow{})
	lc, _ := schema.Lookup("Text")
	col := lc.ColumnIndex
	cc := fx.md.RowGroups[0].Columns[col]
	first := cc.MetaData.DataPageOffset
	for _, tc := range []struct {
		name  string
		at    int64
		bytes []byte
	}{
		// field 2 (min_values), a list of binary, long-form size 2^31-1
		{"column index list", cc.ColumnIndexOffset, []byte{0x29, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0x07}},
		// field 1 (page_locations), a list of structs of 2^31-1
		{"offset index list", cc.OffsetIndexOffset, []byte{0x19, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x07}},
		// type 0; data_page_header_v2 { statistics { max: 2^31-1 bytes } }
		{"page header value", first, []byte{0x15, 0x00, 0x7C, 0x8C, 0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0x07}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := bytes.Clone(fx.file)
			copy(bad[tc.at:], tc.bytes)
			fw, err := NewFileWriter(&bytes.Buffer{}, schema, FileOptions{PageBytes: 1 << 10})
			if err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			err = writeGroup(fw, bad, fx.md, 0, fx.rows[:copyGroupRows], []int{col})
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%v, want ErrCorrupt", err)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
				t.Errorf("allocated %d MiB on the way", n>>20)
			}
		})
	}
}

// readCounter counts the bytes read through it.
type readCounter struct {
	r     io.ReaderAt
	bytes int64
}

func (c *readCounter) ReadAt(p []byte, off int64) (int, error) {
	c.bytes += int64(len(p))
	return c.r.ReadAt(p, off)
}

// TestGroupSourcesReadsItsGroupsIndexes: the page indexes of a file's row
// groups lie one group after the other (all column indexes, then all
// offset indexes): GroupSources reads the group's own, not the region
// between them.
func TestGroupSourcesReadsItsGroupsIndexes(t *testing.T) {
	const groups, rowsPer = 20, 50
	file, md := writeFixture(t, randomRows(rand.New(rand.NewSource(3)), groups*rowsPer), rowsPer)
	schema := parquet.SchemaOf(writerRow{})
	var cols []int
	for c := range schema.Columns() {
		cols = append(cols, c)
	}
	for g := range md.RowGroups {
		rc := &readCounter{r: bytes.NewReader(file)}
		if _, err := GroupSources(rc, int64(len(file)), md, g, cols); err != nil {
			t.Fatal(err)
		}
		need := int64(0)
		for _, cc := range md.RowGroups[g].Columns {
			need += int64(cc.ColumnIndexLength + cc.OffsetIndexLength)
		}
		if rc.bytes != need {
			t.Fatalf("row group %d: read %d bytes of page indexes, want its %d", g, rc.bytes, need)
		}
	}
}
