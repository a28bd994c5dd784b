package column

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/bits"
	"slices"
	"strings"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/encoding/delta"
	"github.com/parquet-go/parquet-go/encoding/plain"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// leafLayout is how one leaf column is stored.
type leafLayout struct {
	name           string
	path           []string
	kind           parquet.Kind
	physical       format.Type
	maxRep, maxDef byte
	unsigned       bool // an unsigned integer logical type: statistics compare unsigned
	dict           bool // data pages hold RLE_DICTIONARY indexes
	enc            format.Encoding
	codec          compress.Codec // nil: uncompressed
	codecID        format.CompressionCodec
	encodings      []format.Encoding // of the chunk, sorted
}

func newLeafLayout(lc parquet.LeafColumn, path []string) (leafLayout, error) {
	typ := lc.Node.Type()
	l := leafLayout{
		name:     strings.Join(path, "."),
		path:     path,
		kind:     typ.Kind(),
		physical: format.Type(typ.Kind()),
		maxRep:   byte(lc.MaxRepetitionLevel),
		maxDef:   byte(lc.MaxDefinitionLevel),
		enc:      format.Plain,
		codecID:  format.Uncompressed,
	}
	if lt := typ.LogicalType(); lt != nil {
		if it, ok := lt.Value.(*format.IntType); ok && !it.IsSigned {
			l.unsigned = true
		}
	}
	if e := lc.Node.Encoding(); e != nil {
		l.enc = e.Encoding()
	} else if l.kind == parquet.ByteArray {
		// parquet-go's default for byte arrays (as the format's
		// documentation recommends over PLAIN).
		l.enc = format.DeltaLengthByteArray
	}
	switch l.enc {
	case format.RLEDictionary, format.PlainDictionary:
		l.dict, l.enc = true, format.RLEDictionary
	}
	switch {
	case l.kind == parquet.ByteArray && (l.enc == format.Plain || l.enc == format.DeltaLengthByteArray || l.dict),
		l.kind == parquet.Int32 && (l.enc == format.Plain || l.enc == format.DeltaBinaryPacked),
		l.kind == parquet.Int64 && (l.enc == format.Plain || l.enc == format.DeltaBinaryPacked),
		l.kind == parquet.Double && l.enc == format.Plain,
		l.kind == parquet.Boolean && l.enc == format.Plain:
	default:
		return l, fmt.Errorf("parquet column %s: %s with %s: %w", l.name, l.kind, l.enc, errUnsupported)
	}
	if c := lc.Node.Compression(); c != nil && c.CompressionCodec() != format.Uncompressed {
		l.codec, l.codecID = c, c.CompressionCodec()
	}
	if l.maxDef > 0 {
		l.encodings = append(l.encodings, format.RLE)
	}
	if l.dict {
		l.encodings = append(l.encodings, format.Plain)
	}
	if !slices.Contains(l.encodings, l.enc) {
		l.encodings = append(l.encodings, l.enc)
	}
	slices.Sort(l.encodings)
	return l, nil
}

// ChunkWriter encodes one leaf column of the current row group. After an
// error it keeps returning it, and so do the FileWriter's Flush and Close:
// a row may have been half written.
type ChunkWriter struct {
	leaf      *leafLayout
	pageBytes int
	err       error

	// The page being filled.
	rep, def []byte
	entries  int
	pageRows int64
	nulls    int64
	bools    []byte // one byte per value
	i32      []int32
	i64      []int64
	f64      []float64
	data     []byte   // byte array values, back to back
	offs     []uint32 // start of each byte array value in data
	idx      []int32  // dictionary indexes
	bounds   pageBounds

	// The row group's dictionary.
	dictIDs  map[string]int32
	dictData []byte
	dictOffs []uint32 // start of each entry; one more at the end
	lastIdx  int32
	recent   *[recentSlots]int32 // entry+1 by a cheap hash of the value; 0: none

	// The row group's chunk so far.
	rows        int64
	pages       [][]byte // encoded data pages, header included
	pagesLen    int      // their bytes
	numValues   int64
	nullCount   int64
	uncompSize  int64
	compSize    int64
	unencoded   int64
	chunkBounds chunkBounds
	repHist     []int64
	defHist     []int64
	colIndex    format.ColumnIndex
	offIndex    format.OffsetIndex

	// Scratch.
	levels, vals, comp, enc []byte
	pageRep, pageDef        []int64
}

func newChunkWriter(l *leafLayout, pageBytes int) *ChunkWriter {
	c := &ChunkWriter{leaf: l, pageBytes: int(float64(pageBytes) * 0.98), lastIdx: -1}
	if l.maxRep > 0 {
		c.repHist = make([]int64, l.maxRep+1)
		c.pageRep = make([]int64, l.maxRep+1)
	}
	if l.maxDef > 0 {
		c.defHist = make([]int64, l.maxDef+1)
		c.pageDef = make([]int64, l.maxDef+1)
	}
	if l.dict {
		c.dictIDs = map[string]int32{}
		c.dictOffs = []uint32{0}
		c.recent = new([recentSlots]int32)
	}
	return c
}

// WriteRow adds the values of one row: the first has repetition level 0,
// and a value whose definition level is the leaf's maximum holds a value
// of the leaf's kind.
func (c *ChunkWriter) WriteRow(row []parquet.Value) error {
	if c.err != nil {
		return c.err
	}
	if err := c.writeRow(row); err != nil {
		c.err = err
	}
	return c.err
}

func (c *ChunkWriter) writeRow(row []parquet.Value) error {
	l := c.leaf
	for i := range row {
		v := &row[i]
		r, d := byte(v.RepetitionLevel()), byte(v.DefinitionLevel())
		if r > l.maxRep || d > l.maxDef || (i == 0) != (r == 0) {
			return fmt.Errorf("parquet column %s: value %d of a row at levels %d/%d (max %d/%d)", l.name, i, r, d, l.maxRep, l.maxDef)
		}
		if r == 0 {
			c.pageRows++
		}
		if l.maxRep > 0 {
			c.rep = append(c.rep, r)
		}
		if l.maxDef > 0 {
			c.def = append(c.def, d)
		}
		c.entries++
		if d < l.maxDef {
			c.nulls++
			continue
		}
		if v.Kind() != l.kind {
			return fmt.Errorf("parquet column %s: a %s value in a %s column", l.name, v.Kind(), l.kind)
		}
		switch l.kind {
		case parquet.Boolean:
			b := byte(0)
			if v.Boolean() {
				b = 1
			}
			c.bools = append(c.bools, b)
			c.bounds.int(int64(b), false)
		case parquet.Int32:
			x := v.Int32()
			c.i32 = append(c.i32, x)
			if l.unsigned {
				c.bounds.int(int64(uint32(x)), false)
			} else {
				c.bounds.int(int64(x), false)
			}
		case parquet.Int64:
			x := v.Int64()
			c.i64 = append(c.i64, x)
			c.bounds.int(x, l.unsigned)
		case parquet.Double:
			x := v.Double()
			c.f64 = append(c.f64, x)
			c.bounds.double(x)
		case parquet.ByteArray:
			b := v.ByteArray()
			if l.dict {
				i := c.dictIndex(b)
				c.idx = append(c.idx, i)
				c.dictBounds(i, b)
			} else {
				// (parquet-go counts unencoded bytes of plain pages only)
				c.unencoded += int64(len(b))
				c.offs = append(c.offs, uint32(len(c.data)))
				c.data = append(c.data, b...)
				c.plainBounds(len(c.offs)-1, b)
			}
		}
	}
	if c.pendingSize() >= c.pageBytes {
		return c.flushPage()
	}
	return nil
}

// recentSlots is the size of a dictionary's cache of recent entries.
const recentSlots = 256

// recentSlot is a cheap hash of b (its length and three of its bytes)
// into the cache of recent entries: most columns hold few distinct values
// (keys, names, methods), which it finds without hashing all of b.
func recentSlot(b []byte) int {
	n := len(b)
	if n == 0 {
		return 0
	}
	return int(uint(n)*31+uint(b[0])*7+uint(b[n/2])*3+uint(b[n-1])) % recentSlots
}

// dictIndex returns b's index in the dictionary, adding it if new.
func (c *ChunkWriter) dictIndex(b []byte) int32 {
	if c.lastIdx >= 0 && bytes.Equal(c.dictEntry(c.lastIdx), b) {
		return c.lastIdx
	}
	slot := &c.recent[recentSlot(b)]
	if i := *slot - 1; i >= 0 && bytes.Equal(c.dictEntry(i), b) {
		c.lastIdx = i
		return i
	}
	i, ok := c.dictIDs[unsafe.String(unsafe.SliceData(b), len(b))]
	if !ok {
		i = int32(len(c.dictOffs) - 1)
		c.dictData = append(c.dictData, b...)
		c.dictOffs = append(c.dictOffs, uint32(len(c.dictData)))
		c.dictIDs[string(b)] = i
	}
	*slot = i + 1
	c.lastIdx = i
	return i
}

func (c *ChunkWriter) dictEntry(i int32) []byte {
	return c.dictData[c.dictOffs[i]:c.dictOffs[i+1]]
}

func (c *ChunkWriter) plainEntry(i int) []byte {
	end := len(c.data)
	if i+1 < len(c.offs) {
		end = int(c.offs[i+1])
	}
	return c.data[c.offs[i]:end]
}

// pendingSize estimates the bytes of the page being filled, as parquet-go
// estimates its column buffers (levels, values and a row index).
func (c *ChunkWriter) pendingSize() int {
	n := len(c.rep) + len(c.def) + (len(c.bools)+7)/8 + 4*len(c.i32) + 8*len(c.i64) + 8*len(c.f64) +
		len(c.data) + 4*len(c.offs) + 4*len(c.idx)
	switch {
	case c.leaf.maxRep > 0:
		n += 8 * int(c.pageRows)
	case c.leaf.maxDef > 0:
		n += 4 * int(c.pageRows)
	}
	return n
}

// size is the chunk's bytes so far: encoded pages, the page being filled
// and the dictionary.
func (c *ChunkWriter) size() int64 {
	return int64(c.pagesLen+c.pendingSize()+len(c.dictData)) + 4*int64(len(c.dictOffs)-1)*b2i(c.leaf.dict)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

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
	repLen, defLen := 0, 0
	if l.maxRep > 0 {
		if c.enc, err = (&rle.Encoding{BitWidth: bits.Len8(l.maxRep)}).EncodeLevels(c.enc, c.rep); err != nil {
			return c.errorf(err)
		}
		c.levels = append(c.levels, c.enc...)
		repLen = len(c.enc)
	}
	if l.maxDef > 0 {
		if c.enc, err = (&rle.Encoding{BitWidth: bits.Len8(l.maxDef)}).EncodeLevels(c.enc, c.def); err != nil {
			return c.errorf(err)
		}
		c.levels = append(c.levels, c.enc...)
		defLen = len(c.enc)
	}
	if err := c.encodeValues(); err != nil {
		return c.errorf(err)
	}
	body := c.vals
	if l.codec != nil {
		if c.comp, err = l.codec.Encode(c.comp, c.vals); err != nil {
			return c.errorf(err)
		}
		body = c.comp
	}
	crc := crc32.Update(crc32.ChecksumIEEE(c.levels), crc32.IEEETable, body)

	min, max, ok := c.pageMinMax()
	stats := format.Statistics{NullCount: c.nulls}
	if ok {
		pmin, pmax := min, max
		if l.kind == parquet.ByteArray && !l.dict && len(c.data) == 0 {
			// Only empty values: parquet-go leaves both out of the
			// page's statistics (an empty min or max is otherwise
			// written).
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
	// Each page its own slice: a row group's pages are never copied as
	// they accumulate.
	page := make([]byte, 0, len(hb)+len(c.levels)+len(body))
	page = append(append(append(page, hb...), c.levels...), body...)
	start := int64(c.pagesLen)
	c.pages = append(c.pages, page)
	c.pagesLen += len(page)

	// The chunk's statistics and indexes.
	c.offIndex.PageLocations = append(c.offIndex.PageLocations, format.PageLocation{
		Offset:             start, // made absolute by writeTo
		CompressedPageSize: int32(len(page)),
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
		levelCounts(c.pageRep, c.rep)
		for i, n := range c.pageRep {
			c.repHist[i] += n
		}
		c.colIndex.RepetitionLevelHistogram = append(c.colIndex.RepetitionLevelHistogram, c.pageRep...)
	}
	if l.maxDef > 0 {
		levelCounts(c.pageDef, c.def)
		for i, n := range c.pageDef {
			c.defHist[i] += n
		}
		c.colIndex.DefinitionLevelHistogram = append(c.colIndex.DefinitionLevelHistogram, c.pageDef...)
	}
	c.numValues += int64(c.entries)
	c.nullCount += c.nulls
	c.uncompSize += int64(len(hb) + len(c.levels) + len(c.vals))
	c.compSize += int64(len(page))
	c.rows += c.pageRows

	c.rep, c.def = c.rep[:0], c.def[:0]
	c.entries, c.pageRows, c.nulls = 0, 0, 0
	c.bools, c.i32, c.i64, c.f64 = c.bools[:0], c.i32[:0], c.i64[:0], c.f64[:0]
	c.data, c.offs, c.idx = c.data[:0], c.offs[:0], c.idx[:0]
	c.bounds = pageBounds{}
	return nil
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

// pageMinMax returns the plain encoding of the page's smallest and
// largest values; ok is false when it has none.
func (c *ChunkWriter) pageMinMax() (min, max []byte, ok bool) {
	b := &c.bounds
	if !b.has {
		return nil, nil, false
	}
	l := c.leaf
	switch l.kind {
	case parquet.Boolean:
		return []byte{byte(b.lo)}, []byte{byte(b.hi)}, true
	case parquet.Int32:
		return binary.LittleEndian.AppendUint32(nil, uint32(b.lo)), binary.LittleEndian.AppendUint32(nil, uint32(b.hi)), true
	case parquet.Int64:
		return binary.LittleEndian.AppendUint64(nil, uint64(b.lo)), binary.LittleEndian.AppendUint64(nil, uint64(b.hi)), true
	case parquet.Double:
		lo, hi := b.flo, b.fhi
		if !b.fhas {
			lo, hi = math.NaN(), math.NaN()
		}
		return binary.LittleEndian.AppendUint64(nil, math.Float64bits(lo)), binary.LittleEndian.AppendUint64(nil, math.Float64bits(hi)), true
	default:
		var lo, hi []byte
		if l.dict {
			lo, hi = c.dictEntry(int32(b.lo)), c.dictEntry(int32(b.hi))
		} else {
			lo, hi = c.plainEntry(int(b.lo)), c.plainEntry(int(b.hi))
		}
		return append([]byte{}, lo...), append([]byte{}, hi...), true
	}
}

// columnIndexLimit is the longest byte array min or max kept in the column
// index (parquet-go's default): a longer min is cut, a longer max cut and
// rounded up.
const columnIndexLimit = 16

// indexMinMax returns the column index's bounds of a page.
func (c *ChunkWriter) indexMinMax(min, max []byte, ok bool) ([]byte, []byte) {
	switch c.leaf.kind {
	case parquet.ByteArray:
		if !ok {
			return []byte{}, []byte{}
		}
		if len(min) > columnIndexLimit {
			min = min[:columnIndexLimit]
		}
		if len(max) > columnIndexLimit {
			max = roundUp(slices.Clone(max[:columnIndexLimit]))
		}
		return min, max
	}
	if !ok {
		n := map[parquet.Kind]int{parquet.Boolean: 1, parquet.Int32: 4, parquet.Int64: 8, parquet.Double: 8}[c.leaf.kind]
		return make([]byte, n), make([]byte, n)
	}
	return min, max
}

// roundUp increments a cut byte string, so that it stays an upper bound;
// all 0xFF stays as it is.
func roundUp(b []byte) []byte {
	for i := len(b) - 1; i >= 0; i-- {
		b[i]++
		if b[i] != 0 {
			return b
		}
	}
	for i := range b {
		b[i] = 0xFF
	}
	return b
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
		if _, err := w.Write(p); err != nil {
			return format.ColumnChunk{}, err
		}
	}
	c.colIndex.BoundaryOrder = c.boundaryOrder()
	if l.kind == parquet.ByteArray {
		// parquet-go records no per-page byte counts: leave it unset too.
		c.offIndex.UnencodedByteArrayDataBytes = nil
	}
	return format.ColumnChunk{MetaData: md}, nil
}

// writeDictionary writes the dictionary page and returns its compressed
// and uncompressed sizes, header included.
func (c *ChunkWriter) writeDictionary(w *offsetWriter) (int64, int64, error) {
	var err error
	n := len(c.dictOffs) - 1
	c.vals = c.vals[:0]
	for i := 0; i < n; i++ {
		c.vals = plain.AppendByteArray(c.vals, c.dictEntry(int32(i)))
	}
	if len(c.vals) > math.MaxInt32 {
		return 0, 0, c.errorf(fmt.Errorf("dictionary of %d bytes: too large for a page", len(c.vals)))
	}
	body := c.vals
	if c.leaf.codec != nil {
		if c.comp, err = c.leaf.codec.Encode(c.comp, c.vals); err != nil {
			return 0, 0, c.errorf(err)
		}
		body = c.comp
	}
	h := format.PageHeader{
		Type:                 format.DictionaryPage,
		UncompressedPageSize: int32(len(c.vals)),
		CompressedPageSize:   int32(len(body)),
		CRC:                  int32(crc32.ChecksumIEEE(body)),
		DictionaryPageHeader: thrift.New(format.DictionaryPageHeader{NumValues: int32(n), Encoding: format.Plain}),
	}
	hb, err := appendHeader(nil, &h)
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

// boundaryOrder is ASCENDING when the pages' mins and maxes (null pages
// included, with their zero bounds) never decrease, DESCENDING when they
// never increase, else UNORDERED; one page is UNORDERED (as parquet-go).
func (c *ChunkWriter) boundaryOrder() format.BoundaryOrder {
	lo, hi := c.leaf.order(c.colIndex.MinValues), c.leaf.order(c.colIndex.MaxValues)
	switch {
	case lo != hi:
		return format.Unordered
	case lo > 0:
		return format.Ascending
	case lo < 0:
		return format.Descending
	}
	return format.Unordered
}

// order is +1 when vs never decrease, -1 when they never increase (and
// do not all equal), 0 otherwise or for fewer than two values.
func (l *leafLayout) order(vs [][]byte) int {
	if len(vs) < 2 {
		return 0
	}
	asc, desc := true, true
	for i := 1; i < len(vs); i++ {
		switch l.compare(vs[i-1], vs[i]) {
		case -1:
			desc = false
		case 1:
			asc = false
		}
	}
	switch {
	case asc:
		return 1
	case desc:
		return -1
	}
	return 0
}

// compare orders two plain-encoded values of the leaf's type.
func (l *leafLayout) compare(a, b []byte) int {
	switch l.kind {
	case parquet.Int32:
		x, y := binary.LittleEndian.Uint32(a), binary.LittleEndian.Uint32(b)
		if l.unsigned {
			return cmpOrdered(x, y)
		}
		return cmpOrdered(int32(x), int32(y))
	case parquet.Int64:
		x, y := binary.LittleEndian.Uint64(a), binary.LittleEndian.Uint64(b)
		if l.unsigned {
			return cmpOrdered(x, y)
		}
		return cmpOrdered(int64(x), int64(y))
	case parquet.Double:
		x, y := math.Float64frombits(binary.LittleEndian.Uint64(a)), math.Float64frombits(binary.LittleEndian.Uint64(b))
		return cmpOrdered(x, y) // 0 with a NaN: neither smaller nor larger
	}
	return bytes.Compare(a, b)
}

func cmpOrdered[T int32 | int64 | uint32 | uint64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// reset empties the chunk for the next row group.
func (c *ChunkWriter) reset() {
	c.rows = 0
	clear(c.pages)
	c.pages, c.pagesLen = c.pages[:0], 0
	c.numValues, c.nullCount, c.uncompSize, c.compSize, c.unencoded = 0, 0, 0, 0, 0
	c.chunkBounds = chunkBounds{}
	clear(c.repHist)
	clear(c.defHist)
	c.colIndex = format.ColumnIndex{}
	c.offIndex = format.OffsetIndex{}
	if c.leaf.dict {
		clear(c.dictIDs)
		c.dictData, c.dictOffs = c.dictData[:0], c.dictOffs[:1]
		c.lastIdx = -1
		clear(c.recent[:])
	}
}

// levelCounts sets counts[l] to the number of levels equal to l (one
// vectorised count per level: there are a few levels and many entries).
func levelCounts(counts []int64, levels []byte) {
	rest := int64(len(levels))
	for l := len(counts) - 1; l > 0; l-- {
		counts[l] = int64(bytes.Count(levels, []byte{byte(l)}))
		rest -= counts[l]
	}
	counts[0] = rest
}

// appendHeader appends the thrift compact encoding of h.
func appendHeader(dst []byte, h *format.PageHeader) ([]byte, error) {
	b, err := thrift.Marshal(new(thrift.CompactProtocol), h)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// pageBounds tracks the smallest and largest value of a page: integers
// (booleans as 0 and 1) in lo and hi, doubles in flo and fhi (NaN left
// out), byte arrays as entry numbers in lo and hi.
type pageBounds struct {
	has      bool
	lo, hi   int64
	fhas     bool
	flo, fhi float64
}

func (b *pageBounds) int(x int64, unsigned bool) {
	switch {
	case !b.has:
		b.has, b.lo, b.hi = true, x, x
	case unsigned:
		if uint64(x) < uint64(b.lo) {
			b.lo = x
		}
		if uint64(x) > uint64(b.hi) {
			b.hi = x
		}
	default:
		if x < b.lo {
			b.lo = x
		}
		if x > b.hi {
			b.hi = x
		}
	}
}

func (b *pageBounds) double(x float64) {
	b.has = true
	switch {
	case math.IsNaN(x):
	case !b.fhas:
		b.fhas, b.flo, b.fhi = true, x, x
	default:
		b.flo, b.fhi = min(b.flo, x), max(b.fhi, x)
	}
}

// dictBounds tracks dictionary entry i, whose value is v.
func (c *ChunkWriter) dictBounds(i int32, v []byte) {
	b := &c.bounds
	x := int64(i)
	switch {
	case !b.has:
		b.has, b.lo, b.hi = true, x, x
	case x == b.lo || x == b.hi:
	case bytes.Compare(v, c.dictEntry(int32(b.lo))) < 0:
		b.lo = x
	case bytes.Compare(v, c.dictEntry(int32(b.hi))) > 0:
		b.hi = x
	}
}

// plainBounds tracks the page's byte array value number i, v.
func (c *ChunkWriter) plainBounds(i int, v []byte) {
	b := &c.bounds
	x := int64(i)
	switch {
	case !b.has:
		b.has, b.lo, b.hi = true, x, x
	case bytes.Compare(v, c.plainEntry(int(b.lo))) < 0:
		b.lo = x
	case bytes.Compare(v, c.plainEntry(int(b.hi))) > 0:
		b.hi = x
	}
}

// chunkBounds is the smallest and largest value of a chunk, plain-encoded.
type chunkBounds struct {
	has      bool
	min, max []byte
}

func (b *chunkBounds) add(l *leafLayout, min, max []byte) {
	if l.kind == parquet.Double {
		// A page of NaN only has NaN bounds: they do not narrow others.
		if x := math.Float64frombits(binary.LittleEndian.Uint64(min)); math.IsNaN(x) {
			if !b.has {
				b.has, b.min, b.max = true, min, max
			}
			return
		}
		if b.has && math.IsNaN(math.Float64frombits(binary.LittleEndian.Uint64(b.min))) {
			b.has = false
		}
	}
	if !b.has {
		b.has, b.min, b.max = true, min, max
		return
	}
	if l.compare(min, b.min) < 0 {
		b.min = min
	}
	if l.compare(max, b.max) > 0 {
		b.max = max
	}
}

var _ io.Writer = (*offsetWriter)(nil)
