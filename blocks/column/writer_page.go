package column

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"math"
	"math/bits"
	"slices"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/encoding/delta"
	"github.com/parquet-go/parquet-go/encoding/plain"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// flushPage encodes the page being filled, if any, as a data page v2.
func (c *ChunkWriter) flushPage() error {
	if c.err != nil {
		return c.err
	}
	if c.entries == 0 {
		return nil
	}
	l := c.leaf
	var err error
	c.levels = c.levels[:0]
	var repLen, defLen int
	if repLen, err = c.appendLevels(c.rep, l.maxRep); err != nil {
		return c.errorf(err)
	}
	if defLen, err = c.appendLevels(c.def, l.maxDef); err != nil {
		return c.errorf(err)
	}
	if err := c.encodeValues(); err != nil {
		return c.errorf(err)
	}
	if len(c.levels)+len(c.vals) > maxPageBytes {
		return c.errorf(fmt.Errorf("a page of %d bytes: too large", len(c.levels)+len(c.vals)))
	}
	body, err := c.compress()
	if err != nil {
		return err
	}
	crc := crc32.Update(crc32.ChecksumIEEE(c.levels), crc32.IEEETable, body)

	min, max, ok := c.pageMinMax()
	stats := format.Statistics{NullCount: c.nulls}
	if ok {
		pmin, pmax := min, max
		if l.kind == parquet.ByteArray && !l.dict && c.boundsUnset() {
			pmin, pmax = nil, nil
		}
		stats.Min, stats.Max, stats.MinValue, stats.MaxValue = pmin, pmax, pmin, pmax
	}
	h := format.PageHeader{
		Type:                 format.DataPageV2,
		UncompressedPageSize: int32(len(c.levels) + len(c.vals)),
		CompressedPageSize:   int32(len(c.levels) + len(body)),
		CRC:                  int32(crc),
		DataPageHeaderV2: thrift.New(format.DataPageHeaderV2{
			NumValues:                  int32(c.entries),
			NumNulls:                   int32(c.nulls),
			NumRows:                    int32(c.pageRows),
			Encoding:                   l.enc,
			DefinitionLevelsByteLength: int32(defLen),
			RepetitionLevelsByteLength: int32(repLen),
			IsCompressed:               thrift.New(l.codec != nil),
			Statistics:                 stats,
		}),
	}
	hb, err := thrift.Marshal(new(thrift.CompactProtocol), &h)
	if err != nil {
		return c.errorf(err)
	}
	page := c.spill.store(hb, c.levels, body)
	start := int64(c.pagesLen)
	c.pages = append(c.pages, page)
	c.pagesLen += page.n

	// The chunk's statistics and indexes.
	c.offIndex.PageLocations = append(c.offIndex.PageLocations, format.PageLocation{
		Offset:             start, // made absolute by writeTo
		CompressedPageSize: int32(page.n),
		FirstRowIndex:      c.rows,
	})
	c.colIndex.NullPages = append(c.colIndex.NullPages, int64(c.entries) == c.nulls)
	c.colIndex.NullCounts = append(c.colIndex.NullCounts, c.nulls)
	imin, imax := c.indexMinMax(min, max, ok)
	c.colIndex.MinValues = append(c.colIndex.MinValues, imin)
	c.colIndex.MaxValues = append(c.colIndex.MaxValues, imax)
	if ok {
		c.chunkBounds.add(l, min, max)
	}
	if l.maxRep > 0 {
		c.colIndex.RepetitionLevelHistogram = histogram(c.colIndex.RepetitionLevelHistogram, c.pageRep, c.repHist, c.rep)
	}
	if l.maxDef > 0 {
		c.colIndex.DefinitionLevelHistogram = histogram(c.colIndex.DefinitionLevelHistogram, c.pageDef, c.defHist, c.def)
	}
	c.numValues += int64(c.entries)
	c.nullCount += c.nulls
	c.uncompSize += int64(len(hb) + len(c.levels) + len(c.vals))
	c.compSize += int64(page.n)
	c.rows += c.pageRows

	c.rep, c.def = c.rep[:0], c.def[:0]
	c.entries, c.pageRows, c.nulls = 0, 0, 0
	c.bools, c.i32, c.i64, c.f64 = c.bools[:0], c.i32[:0], c.i64[:0], c.f64[:0]
	c.data, c.offs, c.idx = c.data[:0], c.offs[:0], c.idx[:0]
	c.bounds = pageBounds{}
	return nil
}

// maxPageBytes is the largest page (its sizes are int32), and the largest
// dictionary of a row group.
const maxPageBytes = math.MaxInt32

// boundsUnset reports whether parquet-go would leave a plain byte array
// page's min and max out of its statistics: they are its buffer's bytes,
// and an empty value in a buffer never allocated is nil, which the footer
// encoding leaves out (an empty one is written). Its page buffer is
// allocated when the page holds bytes; a page of one value is built in a
// spare buffer (swapped with the page's), allocated once a one-value page
// held bytes. Kept so that files stay byte for byte parquet-go's; readers
// take an absent bound as unknown.
func (c *ChunkWriter) boundsUnset() bool {
	unset := len(c.data) == 0
	if len(c.offs) == 1 {
		unset = unset && !c.spare
		c.spare = len(c.data) > 0
	}
	return unset
}

func (c *ChunkWriter) errorf(err error) error {
	return fmt.Errorf("parquet column %s: %w", c.leaf.name, err)
}

// encodeValues encodes the page's values into c.vals.
func (c *ChunkWriter) encodeValues() error {
	var err error
	l := c.leaf
	var e encoding.Encoding = &plain.Encoding{}
	switch l.enc {
	case format.DeltaBinaryPacked:
		e = &delta.BinaryPackedEncoding{}
	case format.DeltaLengthByteArray:
		e = &delta.LengthByteArrayEncoding{}
	}
	switch {
	case l.dict:
		c.vals, err = (&rle.DictionaryEncoding{}).EncodeInt32(c.vals, c.idx)
	case l.kind == parquet.Boolean:
		c.vals = c.vals[:0]
		for i := 0; i < len(c.bools); i += 8 {
			var b byte
			for j := i; j < i+8 && j < len(c.bools); j++ {
				b |= c.bools[j] << (j - i)
			}
			c.vals = append(c.vals, b)
		}
	case l.kind == parquet.Int32:
		c.vals, err = e.EncodeInt32(c.vals, c.i32)
	case l.kind == parquet.Int64:
		c.vals, err = e.EncodeInt64(c.vals, c.i64)
	case l.kind == parquet.Double:
		c.vals, err = e.EncodeDouble(c.vals, c.f64)
	case l.kind == parquet.ByteArray:
		c.offs = append(c.offs, uint32(len(c.data)))
		c.vals, err = e.EncodeByteArray(c.vals, c.data, c.offs)
		c.offs = c.offs[:len(c.offs)-1]
	}
	return err
}

// writeTo writes the chunk's dictionary page and data pages at the
// writer's offset and returns its metadata.
func (c *ChunkWriter) writeTo(w *offsetWriter) (format.ColumnChunk, error) {
	l := c.leaf
	md := format.ColumnMetaData{
		Type:                  l.physical,
		Encoding:              l.encodings,
		PathInSchema:          l.path,
		Codec:                 l.codecID,
		NumValues:             c.numValues,
		TotalUncompressedSize: c.uncompSize,
		TotalCompressedSize:   c.compSize,
		Statistics:            format.Statistics{NullCount: c.nullCount},
		SizeStatistics: format.SizeStatistics{
			UnencodedByteArrayDataBytes: c.unencoded,
			RepetitionLevelHistogram:    slices.Clone(c.repHist),
			DefinitionLevelHistogram:    slices.Clone(c.defHist),
		},
	}
	if c.chunkBounds.has {
		md.Statistics.MinValue, md.Statistics.MaxValue = c.chunkBounds.min, c.chunkBounds.max
	}
	if l.dict {
		md.DictionaryPageOffset = w.n
		n, un, err := c.writeDictionary(w)
		if err != nil {
			return format.ColumnChunk{}, err
		}
		md.TotalCompressedSize += n
		md.TotalUncompressedSize += un
		md.EncodingStats = append(md.EncodingStats, format.PageEncodingStats{PageType: format.DictionaryPage, Encoding: format.Plain, Count: 1})
	}
	md.DataPageOffset = w.n
	if len(c.pages) > 0 {
		md.EncodingStats = append(md.EncodingStats, format.PageEncodingStats{PageType: format.DataPageV2, Encoding: l.enc, Count: int32(len(c.pages))})
	}
	for i := range c.offIndex.PageLocations {
		c.offIndex.PageLocations[i].Offset += w.n
	}
	for _, p := range c.pages {
		if err := c.spill.writePage(w, p); err != nil {
			return format.ColumnChunk{}, err
		}
	}
	c.colIndex.BoundaryOrder = c.boundaryOrder()
	return format.ColumnChunk{MetaData: md}, nil
}

// writeDictionary writes the dictionary page and returns its compressed
// and uncompressed sizes, header included.
func (c *ChunkWriter) writeDictionary(w *offsetWriter) (int64, int64, error) {
	n := len(c.dictOffs) - 1
	c.vals = c.vals[:0]
	for i := 0; i < n; i++ {
		c.vals = plain.AppendByteArray(c.vals, c.dictEntry(int32(i)))
	}
	if len(c.vals) > maxPageBytes {
		return 0, 0, c.errorf(fmt.Errorf("dictionary of %d bytes: too large for a page", len(c.vals)))
	}
	body, err := c.compress()
	if err != nil {
		return 0, 0, err
	}
	h := format.PageHeader{
		Type:                 format.DictionaryPage,
		UncompressedPageSize: int32(len(c.vals)),
		CompressedPageSize:   int32(len(body)),
		CRC:                  int32(crc32.ChecksumIEEE(body)),
		DictionaryPageHeader: thrift.New(format.DictionaryPageHeader{NumValues: int32(n), Encoding: format.Plain}),
	}
	hb, err := thrift.Marshal(new(thrift.CompactProtocol), &h)
	if err != nil {
		return 0, 0, c.errorf(err)
	}
	if _, err := w.Write(hb); err != nil {
		return 0, 0, err
	}
	if _, err := w.Write(body); err != nil {
		return 0, 0, err
	}
	return int64(len(hb) + len(body)), int64(len(hb) + len(c.vals)), nil
}

// appendLevels appends the RLE encoding of levels (none when their
// maximum is 0) to c.levels and returns its length.
func (c *ChunkWriter) appendLevels(levels []byte, max byte) (int, error) {
	if max == 0 {
		return 0, nil
	}
	var err error
	if c.enc, err = (&rle.Encoding{BitWidth: bits.Len8(max)}).EncodeLevels(c.enc, levels); err != nil {
		return 0, err
	}
	c.levels = append(c.levels, c.enc...)
	return len(c.enc), nil
}

// compress returns c.vals compressed with the leaf's codec (c.vals itself
// without one).
func (c *ChunkWriter) compress() ([]byte, error) {
	if c.leaf.codec == nil {
		return c.vals, nil
	}
	var err error
	if c.comp, err = c.leaf.codec.Encode(c.comp, c.vals); err != nil {
		return nil, c.errorf(err)
	}
	return c.comp, nil
}

// histogram counts the page's levels by level into page (one vectorised
// count per level: there are a few levels and many entries), adds them to
// the chunk's and returns index with the page's appended.
func histogram(index, page, chunk []int64, levels []byte) []int64 {
	rest := int64(len(levels))
	for l := len(page) - 1; l > 0; l-- {
		page[l] = int64(bytes.Count(levels, []byte{byte(l)}))
		rest -= page[l]
	}
	page[0] = rest
	for l, n := range page {
		chunk[l] += n
	}
	return append(index, page...)
}
