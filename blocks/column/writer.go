package column

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// FileWriter writes a parquet file column by column: the caller hands each
// leaf column the values of one row at a time (Chunk(i).WriteValues), with
// their repetition and definition levels, cuts row groups (Flush) and
// closes the file (Close). Pages are encoded as parquet-go's writer encodes
// them for the same schema (data page v2; the encoding and compression of
// each leaf's struct tags; a PLAIN dictionary page before dictionary
// indexes), with page statistics, the column and offset indexes and the
// chunk's level histograms, so that readers that rely on them (tracectl's
// own pruning, Tempo, DuckDB) see a complete file. No row is assembled and
// no reflection is used on the write path.
//
// A row group's pages are held in memory until Flush writes them; a
// FileWriter is not safe for concurrent use.
type FileWriter struct {
	buf       *bufio.Writer // pages are small: written in 32 KiB chunks
	out       *offsetWriter
	layout    *fileLayout
	chunks    []*ChunkWriter
	groups    []format.RowGroup
	colIndex  [][]format.ColumnIndex
	offIndex  [][]format.OffsetIndex
	kv        []format.KeyValue
	createdBy string
	numRows   int64
	footerLen uint32     // the footer's length, once written
	spill     *pageSpill // nil: pages stay in memory
	copyBuf   []byte     // scratch: a copied chunk (ChunkWriter.Copy)
	err       error
	closed    bool
}

// FileOptions configure a FileWriter.
type FileOptions struct {
	// PageBytes cuts a data page once the buffered values and levels of
	// a column reach about this many bytes (default 256 KiB).
	PageBytes int
	// KeyValue is the footer's key/value metadata, in order.
	KeyValue [][2]string
	// CreatedBy is the footer's created_by.
	CreatedBy string
	// SpillDir, when set, holds the encoded pages of a row group past its
	// first KeepPageBytes (default 16 MiB) in a temporary file there
	// until the row group is written, instead of in memory.
	SpillDir      string
	KeepPageBytes int64
}

// NewFileWriter returns a writer of a file of schema s to w.
func NewFileWriter(w io.Writer, s *parquet.Schema, opts FileOptions) (*FileWriter, error) {
	lay, err := layoutOf(s)
	if err != nil {
		return nil, err
	}
	if len(lay.leaves) == 0 {
		return nil, errors.New("parquet schema without columns")
	}
	if opts.PageBytes <= 0 {
		opts.PageBytes = 256 << 10
	}
	buf := bufio.NewWriterSize(w, 32<<10)
	f := &FileWriter{buf: buf, out: &offsetWriter{w: buf}, layout: lay, createdBy: opts.CreatedBy,
		kv: []format.KeyValue{}} // an empty list when none, as parquet-go writes it
	for _, kv := range opts.KeyValue {
		f.kv = append(f.kv, format.KeyValue{Key: kv[0], Value: kv[1]})
	}
	if opts.KeepPageBytes <= 0 {
		opts.KeepPageBytes = 16 << 20
	}
	f.spill = newPageSpill(opts.SpillDir, opts.KeepPageBytes)
	f.chunks = make([]*ChunkWriter, len(lay.leaves))
	for i := range lay.leaves {
		f.chunks[i] = newChunkWriter(&lay.leaves[i], opts.PageBytes)
		f.chunks[i].spill = f.spill
	}
	return f, nil
}

// Chunk returns the writer of leaf column i in the current row group.
func (f *FileWriter) Chunk(i int) *ChunkWriter { return f.chunks[i] }

// GroupSize estimates the bytes the current row group will take: its
// encoded pages, the values and levels not yet in a page, and its
// dictionaries.
func (f *FileWriter) GroupSize() int64 {
	n := int64(0)
	for _, c := range f.chunks {
		n += c.size()
	}
	return n
}

// Size is the bytes written so far: the file's size after Close.
func (f *FileWriter) Size() int64 { return f.out.n }

// FooterSize is the length of the footer (without its last 8 bytes),
// once Close has written it.
func (f *FileWriter) FooterSize() uint32 { return f.footerLen }

// Flush writes the current row group (nothing when it has no rows).
func (f *FileWriter) Flush() error {
	if f.err != nil {
		return f.err
	}
	if f.closed {
		return errClosed
	}
	f.err = f.flush()
	return f.err
}

func (f *FileWriter) flush() error {
	for _, c := range f.chunks {
		if err := c.flushPage(); err != nil {
			return err
		}
	}
	rows := f.chunks[0].rows
	for _, c := range f.chunks {
		if c.rows != rows {
			return fmt.Errorf("parquet row group: column %s has %d rows, column %s %d",
				c.leaf.name, c.rows, f.chunks[0].leaf.name, rows)
		}
	}
	if rows == 0 {
		return nil
	}
	if len(f.groups) >= parquet.MaxRowGroups {
		return parquet.ErrTooManyRowGroups
	}
	if err := f.magic(); err != nil {
		return err
	}
	g := format.RowGroup{
		Columns: make([]format.ColumnChunk, len(f.chunks)),
		NumRows: rows,
		// An empty list, as parquet-go writes it.
		SortingColumns: []format.SortingColumn{},
		FileOffset:     f.out.n,
		Ordinal:        int16(len(f.groups)),
	}
	cis := make([]format.ColumnIndex, len(f.chunks))
	ois := make([]format.OffsetIndex, len(f.chunks))
	for i, c := range f.chunks {
		var cc format.ColumnChunk
		var err error
		if c.copied != nil {
			cc, f.copyBuf, err = c.writeCopy(f.out, f.copyBuf)
		} else {
			cc, err = c.writeTo(f.out)
		}
		if err != nil {
			return err
		}
		g.Columns[i] = cc
		g.TotalByteSize += cc.MetaData.TotalUncompressedSize
		g.TotalCompressedSize += cc.MetaData.TotalCompressedSize
		cis[i] = c.colIndex
		ois[i] = c.offIndex
		c.reset()
	}
	f.spill.reset()
	f.groups = append(f.groups, g)
	f.colIndex = append(f.colIndex, cis)
	f.offIndex = append(f.offIndex, ois)
	f.numRows += rows
	return nil
}

// magic writes the leading magic bytes once.
func (f *FileWriter) magic() error {
	if f.out.n > 0 {
		return nil
	}
	_, err := io.WriteString(f.out, "PAR1")
	return err
}

// Close flushes the last row group, writes the page indexes and the
// footer, and flushes its write buffer. It does not close the underlying
// writer.
func (f *FileWriter) Close() error {
	if f.closed {
		return f.err
	}
	f.closed = true
	for _, c := range f.chunks {
		c.closed = true
	}
	if f.err == nil {
		f.err = f.flush()
	}
	if f.err == nil {
		f.err = f.footer()
	}
	if f.err == nil {
		f.err = f.buf.Flush()
	}
	for _, c := range f.chunks {
		c.releaseBuffers()
	}
	f.spill.close()
	return f.err
}

// Discard gives up the file unfinished (Close then returns an error): it
// removes the temporary file of spilled pages, if any.
func (f *FileWriter) Discard() {
	if !f.closed {
		f.closed = true
		if f.err == nil {
			f.err = errClosed
		}
		for _, c := range f.chunks {
			c.closed = true
		}
	}
	f.spill.close()
}

func (f *FileWriter) footer() error {
	if err := f.magic(); err != nil {
		return err
	}
	// The column indexes of every chunk, then the offset indexes, as
	// parquet-go lays them out; each chunk's metadata points at its two.
	for g := range f.groups {
		for c := range f.groups[g].Columns {
			cc := &f.groups[g].Columns[c]
			if err := f.writeIndex(&f.colIndex[g][c], &cc.ColumnIndexOffset, &cc.ColumnIndexLength); err != nil {
				return err
			}
		}
	}
	for g := range f.groups {
		for c := range f.groups[g].Columns {
			cc := &f.groups[g].Columns[c]
			if err := f.writeIndex(&f.offIndex[g][c], &cc.OffsetIndexOffset, &cc.OffsetIndexLength); err != nil {
				return err
			}
		}
	}
	md := format.FileMetaData{
		Version:          2,
		Schema:           f.layout.elements,
		NumRows:          f.numRows,
		RowGroups:        f.groups,
		KeyValueMetadata: f.kv,
		CreatedBy:        f.createdBy,
		ColumnOrders:     f.layout.orders,
	}
	b, err := thrift.Marshal(new(thrift.CompactProtocol), &md)
	if err != nil {
		return err
	}
	f.footerLen = uint32(len(b))
	b = binary.LittleEndian.AppendUint32(b, f.footerLen)
	b = append(b, "PAR1"...)
	_, err = f.out.Write(b)
	return err
}

// writeIndex writes a column or offset index and records where.
func (f *FileWriter) writeIndex(index any, off *int64, n *int32) error {
	b, err := thrift.Marshal(new(thrift.CompactProtocol), index)
	if err != nil {
		return err
	}
	*off, *n = f.out.n, int32(len(b))
	_, err = f.out.Write(b)
	return err
}

// offsetWriter counts the bytes written.
type offsetWriter struct {
	w io.Writer
	n int64
}

func (o *offsetWriter) Write(p []byte) (int, error) {
	n, err := o.w.Write(p)
	o.n += int64(n)
	return n, err
}

// fileLayout is what a FileWriter needs of a schema: the footer's schema
// elements and column orders, and each leaf's types and encodings.
type fileLayout struct {
	elements []format.SchemaElement
	orders   []format.ColumnOrder
	leaves   []leafLayout
}

var layouts sync.Map // *parquet.Schema → *fileLayout

// layoutOf returns the layout of s, kept for later calls with the same
// *Schema (callers pass a long-lived one). The schema elements and column
// orders are taken from the footer parquet-go writes for s (an empty
// file), so they are exactly what parquet-go writes.
func layoutOf(s *parquet.Schema) (*fileLayout, error) {
	if l, ok := layouts.Load(s); ok {
		return l.(*fileLayout), nil
	}
	var buf bytes.Buffer
	pw := parquet.NewWriter(&buf, s)
	if err := pw.Close(); err != nil {
		return nil, err
	}
	pf, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		return nil, err
	}
	md := pf.Metadata()
	l := &fileLayout{elements: md.Schema, orders: md.ColumnOrders}
	for i, path := range s.Columns() {
		lc, ok := s.Lookup(path...)
		if !ok || lc.ColumnIndex != i {
			return nil, fmt.Errorf("parquet schema: leaf %v not found", path)
		}
		ll, err := newLeafLayout(lc, path)
		if err != nil {
			return nil, err
		}
		l.leaves = append(l.leaves, ll)
	}
	actual, _ := layouts.LoadOrStore(s, l)
	return actual.(*fileLayout), nil
}

var (
	errUnsupported = errors.New("not supported by the column writer")
	errClosed      = errors.New("parquet file writer: closed")
)
