package column

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// ChunkSource is a column chunk of another parquet file, to be copied into
// a row group as it is (ChunkWriter.Copy): a rewrite that leaves a column
// unchanged copies its pages instead of decoding and encoding them again.
type ChunkSource struct {
	r           io.ReaderAt
	meta        format.ColumnMetaData
	start       int64 // offset of its first page
	columnIndex format.ColumnIndex
	offsetIndex format.OffsetIndex
	rows        int64
}

// maxGroupIndexBytes bounds the column (or offset) indexes of one row
// group's chunks that GroupSources reads: a damaged footer must not make
// it allocate the file.
const maxGroupIndexBytes = 64 << 20

// GroupSources describes the column chunks cols of row group g of a
// parquet file, to copy them: r reads the file, size is its length and md
// its footer. The chunks' column indexes are read in one request, and
// their offset indexes in another (the file's page indexes lie group
// after group, so these are the group's own). A chunk without page indexes, or whose
// offsets are outside the file, or whose indexes do not decode, is an
// error wrapping ErrCorrupt.
func GroupSources(r io.ReaderAt, size int64, md *format.FileMetaData, g int, cols []int) ([]ChunkSource, error) {
	if g < 0 || g >= len(md.RowGroups) {
		return nil, fmt.Errorf("%w: row group %d of %d", ErrCorrupt, g, len(md.RowGroups))
	}
	rg := &md.RowGroups[g]
	srcs := make([]ChunkSource, len(cols))
	inFile := func(off, n int64) bool { return off >= 4 && n > 0 && off <= size-n }
	var ciRange, oiRange byteSpan
	for i, c := range cols {
		if c < 0 || c >= len(rg.Columns) {
			return nil, fmt.Errorf("%w: row group %d has no column %d", ErrCorrupt, g, c)
		}
		cc := &rg.Columns[c]
		m := cc.MetaData
		start := m.DataPageOffset
		if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < start {
			start = m.DictionaryPageOffset
		}
		ci, oi := int64(cc.ColumnIndexLength), int64(cc.OffsetIndexLength)
		if !inFile(start, m.TotalCompressedSize) || !inFile(cc.ColumnIndexOffset, ci) || !inFile(cc.OffsetIndexOffset, oi) {
			return nil, fmt.Errorf("%w: row group %d column %s: pages or page indexes outside the file (or absent)",
				ErrCorrupt, g, strings.Join(m.PathInSchema, "."))
		}
		ciRange.add(cc.ColumnIndexOffset, ci)
		oiRange.add(cc.OffsetIndexOffset, oi)
		srcs[i] = ChunkSource{r: r, meta: m, start: start, rows: rg.NumRows}
	}
	if len(cols) == 0 {
		return srcs, nil
	}
	cis, err := ciRange.read(r, g)
	if err != nil {
		return nil, err
	}
	ois, err := oiRange.read(r, g)
	if err != nil {
		return nil, err
	}
	for i, c := range cols {
		cc := &rg.Columns[c]
		s := &srcs[i]
		name := strings.Join(s.meta.PathInSchema, ".")
		if _, err := decodeBounded(ciRange.slice(cis, cc.ColumnIndexOffset, cc.ColumnIndexLength), &s.columnIndex); err != nil {
			return nil, fmt.Errorf("%w: row group %d column %s: column index: %v", ErrCorrupt, g, name, err)
		}
		if _, err := decodeBounded(oiRange.slice(ois, cc.OffsetIndexOffset, cc.OffsetIndexLength), &s.offsetIndex); err != nil {
			return nil, fmt.Errorf("%w: row group %d column %s: offset index: %v", ErrCorrupt, g, name, err)
		}
	}
	return srcs, nil
}

// byteSpan is the smallest byte range holding the ranges added to it.
type byteSpan struct{ lo, hi int64 }

func (b *byteSpan) add(off, n int64) {
	if b.hi == 0 {
		b.lo, b.hi = off, off+n
		return
	}
	b.lo, b.hi = min(b.lo, off), max(b.hi, off+n)
}

// read reads the span (the page indexes of row group g).
func (b *byteSpan) read(r io.ReaderAt, g int) ([]byte, error) {
	if b.hi-b.lo > maxGroupIndexBytes {
		return nil, fmt.Errorf("%w: page indexes of row group %d spread over %d bytes", ErrCorrupt, g, b.hi-b.lo)
	}
	buf := make([]byte, b.hi-b.lo)
	if n, err := r.ReadAt(buf, b.lo); n < len(buf) {
		return nil, fmt.Errorf("page indexes of row group %d: %w", g, err)
	}
	return buf, nil
}

// slice returns the bytes [off, off+n) of the file from buf, the span read.
func (b *byteSpan) slice(buf []byte, off int64, n int32) []byte {
	return buf[off-b.lo : off-b.lo+int64(n)]
}

// Copy makes src the chunk of this column in the current row group, in
// place of rows: its pages are written as they are when the row group is
// flushed, after a check that each page's header parses, its CRC (when
// set) matches, its body decompresses to the size the header gives
// (uncompressed and snappy pages; other codecs are not decompressed), and
// its location and value
// counts agree with the chunk's offset index and metadata (a damaged page
// is an error wrapping ErrCorrupt, and nothing of it is trusted). The
// chunk must be empty, src must be a chunk of the same leaf column, and
// the other columns of the row group must end with as many rows as src's.
func (c *ChunkWriter) Copy(src ChunkSource) error {
	if c.err != nil {
		return c.err
	}
	if c.closed {
		return errClosed
	}
	l := c.leaf
	switch {
	case c.rows > 0 || c.entries > 0 || c.copied != nil:
		c.err = c.errorf(errors.New("a chunk is copied only into an empty column chunk"))
	case src.meta.Type != l.physical || !slices.Equal(src.meta.PathInSchema, l.path):
		c.err = c.errorf(fmt.Errorf("a copy of column %s (%s)", strings.Join(src.meta.PathInSchema, "."), src.meta.Type))
	}
	if c.err != nil {
		return c.err
	}
	c.copied = &src
	c.rows = src.rows
	return nil
}

// writeCopy writes the copied chunk, read into buf (scratch, returned
// grown), and returns its metadata with the offsets moved to where it now
// lies.
func (c *ChunkWriter) writeCopy(w *offsetWriter, buf []byte) (format.ColumnChunk, []byte, error) {
	src := c.copied
	n := int(src.meta.TotalCompressedSize)
	buf = slices.Grow(buf[:0], n)[:n]
	if got, err := src.r.ReadAt(buf, src.start); got < n {
		return format.ColumnChunk{}, buf, c.errorf(fmt.Errorf("reading the copied chunk: %w", err))
	}
	if err := checkPages(buf, src); err != nil {
		return format.ColumnChunk{}, buf, c.errorf(fmt.Errorf("%w: copied chunk: %v", ErrCorrupt, err))
	}
	md := src.meta
	delta := w.n - src.start
	md.DataPageOffset += delta
	if md.DictionaryPageOffset > 0 {
		md.DictionaryPageOffset += delta
	}
	if md.IndexPageOffset > 0 {
		md.IndexPageOffset += delta
	}
	md.BloomFilterOffset, md.BloomFilterLength = 0, 0 // not copied
	if _, err := w.Write(buf); err != nil {
		return format.ColumnChunk{}, buf, err
	}
	c.colIndex = src.columnIndex
	c.offIndex = format.OffsetIndex{
		PageLocations:               slices.Clone(src.offsetIndex.PageLocations),
		UnencodedByteArrayDataBytes: src.offsetIndex.UnencodedByteArrayDataBytes,
	}
	for i := range c.offIndex.PageLocations {
		c.offIndex.PageLocations[i].Offset += delta
	}
	return format.ColumnChunk{MetaData: md}, buf, nil
}

// checkPages walks the pages of a copied chunk (b, read from src.start):
// every header parses, every body decompresses to its stated size, a
// dictionary page comes first if at all, the data pages are where the
// offset index says, and their values add up to the chunk's.
func checkPages(b []byte, src *ChunkSource) error {
	codec := parquet.LookupCompressionCodec(src.meta.Codec)
	compressed := src.meta.Codec != format.Uncompressed
	locs := src.offsetIndex.PageLocations
	var values int64
	var pages int
	var scratch []byte
	body := func(p []byte, size int32) error {
		if !compressed {
			if len(p) != int(size) {
				return fmt.Errorf("%d bytes where the header says %d", len(p), size)
			}
			return nil
		}
		if src.meta.Codec != format.Snappy {
			// Other codecs (which tracectl does not write) decode
			// streams whose size no header bounds: not decompressed.
			return nil
		}
		// Snappy states the length it decodes to up front: a damaged one
		// must not make the check allocate it (snappy expands at most 22
		// times).
		if n, k := binary.Uvarint(p); k <= 0 || n != uint64(size) || n > 32*uint64(len(p))+32 {
			return fmt.Errorf("snappy data of %d bytes from %d where the header says %d", n, len(p), size)
		}
		var err error
		scratch = slices.Grow(scratch[:0], int(size))
		if scratch, err = codec.Decode(scratch[:size], p); err != nil {
			return err
		}
		if len(scratch) != int(size) {
			return fmt.Errorf("%d bytes decompressed where the header says %d", len(scratch), size)
		}
		return nil
	}
	for off := 0; off < len(b); {
		var h format.PageHeader
		hlen, err := decodeBounded(b[off:], &h)
		if err != nil {
			return fmt.Errorf("page header at chunk offset %d: %v", off, err)
		}
		left := len(b) - off - hlen
		size := int(h.CompressedPageSize)
		if size < 0 || size > left || h.UncompressedPageSize < 0 {
			return fmt.Errorf("page at chunk offset %d: %d bytes of %d left", off, size, left)
		}
		p := b[off+hlen : off+hlen+size]
		// The page's CRC, when its writer set one (tracectl and
		// parquet-go do): over the bytes stored, levels included.
		if h.CRC != 0 && crc32.ChecksumIEEE(p) != uint32(h.CRC) {
			return fmt.Errorf("page at chunk offset %d: CRC %08x, the bytes give %08x", off, uint32(h.CRC), crc32.ChecksumIEEE(p))
		}
		switch h.Type {
		case format.DictionaryPage:
			if off != 0 {
				return fmt.Errorf("dictionary page at chunk offset %d, not first", off)
			}
			err = body(p, h.UncompressedPageSize)
		case format.DataPage, format.DataPageV2:
			if pages >= len(locs) || locs[pages].Offset != src.start+int64(off) || int(locs[pages].CompressedPageSize) != hlen+size {
				return fmt.Errorf("data page %d at chunk offset %d does not match the offset index", pages, off)
			}
			// The page's rows, by the offset index: from its first row to
			// the next page's (the row group's end for the last).
			first, next := locs[pages].FirstRowIndex, src.rows
			if pages+1 < len(locs) {
				next = locs[pages+1].FirstRowIndex
			}
			if (pages == 0) != (first == 0) || first < 0 || next <= first || next > src.rows {
				return fmt.Errorf("data page %d: rows %d to %d of %d by the offset index", pages, first, next, src.rows)
			}
			pages++
			v2, isV2 := h.DataPageHeaderV2.Get()
			v1, isV1 := h.DataPageHeader.Get()
			switch {
			case h.Type == format.DataPageV2 && isV2:
				if int64(v2.NumRows) != next-first {
					return fmt.Errorf("data page at chunk offset %d: %d rows where the offset index has %d", off, v2.NumRows, next-first)
				}
				levels := int(v2.RepetitionLevelsByteLength) + int(v2.DefinitionLevelsByteLength)
				if v2.RepetitionLevelsByteLength < 0 || v2.DefinitionLevelsByteLength < 0 || levels > size || int(h.UncompressedPageSize) < levels {
					return fmt.Errorf("data page at chunk offset %d: levels of %d bytes", off, levels)
				}
				values += int64(v2.NumValues)
				if v, set := v2.IsCompressed.Get(); compressed && (v || !set) {
					err = body(p[levels:], h.UncompressedPageSize-int32(levels))
				} else if size != int(h.UncompressedPageSize) {
					err = fmt.Errorf("%d bytes where the header says %d", size, h.UncompressedPageSize)
				}
			case h.Type == format.DataPage && isV1:
				values += int64(v1.NumValues)
				err = body(p, h.UncompressedPageSize)
			default:
				return fmt.Errorf("data page at chunk offset %d without its header", off)
			}
		default:
			return fmt.Errorf("page of type %s at chunk offset %d", h.Type, off)
		}
		if err != nil {
			return fmt.Errorf("page at chunk offset %d: %v", off, err)
		}
		off += hlen + size
	}
	if pages != len(locs) || values != src.meta.NumValues {
		return fmt.Errorf("%d data pages of %d values where the chunk has %d pages of %d values", pages, values, len(locs), src.meta.NumValues)
	}
	return nil
}
