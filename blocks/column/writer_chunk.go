package column

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
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
	case format.RLEDictionary, 2 /* PLAIN_DICTIONARY, deprecated: written as RLE_DICTIONARY, as parquet-go does */ :
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
	closed    bool         // the file was closed: no more rows
	copied    *ChunkSource // the row group's chunk is this copy (Copy)

	// The page being filled (its buffers are in chunkBuffers).
	chunkBuffers
	entries  int
	pageRows int64
	nulls    int64
	spare    bool // see boundsUnset
	bounds   pageBounds

	// The row group's dictionary (its bytes are in chunkBuffers), and the
	// maps of the source dictionaries appended into it (Append).
	remaps  map[*Dict]*dictRemap
	dictIDs map[string]int32
	lastIdx int32
	recent  *[recentSlots]int32 // entry+1 by a cheap hash of the value; 0: none

	// The row group's chunk so far.
	rows        int64
	pages       []storedPage // encoded data pages, header included
	spill       *pageSpill   // the file's; nil: pages stay in memory
	pagesLen    int          // their bytes
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
	pageRep, pageDef []int64
	pool             *sync.Pool // of chunkBuffers, this column's
}

// chunkBuffers are the buffers of a ChunkWriter's page and dictionary, and
// its scratch. A writer takes them from the pool of its column and gives
// them back when its file is closed: a compaction writes hundreds of files
// of a hundred columns each, and growing every buffer from nothing again
// took a tenth of the time spent encoding.
type chunkBuffers struct {
	rep, def []byte
	bools    []byte // one byte per value
	i32      []int32
	i64      []int64
	f64      []float64
	data     []byte   // byte array values, back to back
	offs     []uint32 // start of each byte array value in data
	idx      []int32  // dictionary indexes
	dictData []byte
	dictOffs []uint32 // start of each entry; one more at the end

	levels, vals, comp, enc []byte
}

// bufferPools holds a sync.Pool of *chunkBuffers per column (by its path
// and kind), so that each column's buffers keep the sizes that column
// needs.
var bufferPools sync.Map // string → *sync.Pool

func bufferPool(l *leafLayout) *sync.Pool {
	key := l.name + "\x00" + l.kind.String()
	if p, ok := bufferPools.Load(key); ok {
		return p.(*sync.Pool)
	}
	p, _ := bufferPools.LoadOrStore(key, new(sync.Pool))
	return p.(*sync.Pool)
}

// takeBuffers gives c the pooled buffers of its column, emptied.
func (c *ChunkWriter) takeBuffers() {
	c.pool = bufferPool(c.leaf)
	if b, ok := c.pool.Get().(*chunkBuffers); ok {
		c.chunkBuffers = chunkBuffers{
			rep: b.rep[:0], def: b.def[:0], bools: b.bools[:0], i32: b.i32[:0], i64: b.i64[:0], f64: b.f64[:0],
			data: b.data[:0], offs: b.offs[:0], idx: b.idx[:0], dictData: b.dictData[:0], dictOffs: b.dictOffs[:0],
			levels: b.levels[:0], vals: b.vals[:0], comp: b.comp[:0], enc: b.enc[:0],
		}
	}
	if c.leaf.dict {
		c.dictOffs = append(c.dictOffs, 0)
	}
}

// releaseBuffers gives c's buffers back to the pool; c must not encode
// again (its file is closed). Nothing written keeps a reference to them:
// pages, statistics and indexes are copies.
func (c *ChunkWriter) releaseBuffers() {
	b := new(chunkBuffers)
	*b = c.chunkBuffers
	c.chunkBuffers = chunkBuffers{}
	c.pool.Put(b)
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
		c.recent = new([recentSlots]int32)
	}
	c.takeBuffers()
	return c
}

// Values are a row's entries in one leaf column: each entry's repetition
// and definition level, and the values of the entries that hold one (those
// at the leaf's maximum definition level), in order, in the field of the
// leaf's kind: byte arrays in ByteArrays, every other kind in Nums
// (booleans as 0 or 1, integers as two's complement, doubles as their IEEE
// 754 bits). Int32 and Int64 share Nums, so a writer cannot tell one from
// the other: the value is cut to the leaf's width.
type Values struct {
	Reps, Defs []byte
	ByteArrays []string
	Nums       []uint64
}

// WriteValues adds one row: the first entry has repetition level 0 and no
// other has.
func (c *ChunkWriter) WriteValues(v Values) error {
	if c.err != nil {
		return c.err
	}
	if c.closed {
		return errClosed
	}
	if c.copied != nil {
		c.err = c.errorf(errors.New("a row written to a copied chunk"))
		return c.err
	}
	if err := c.writeValues(v); err != nil {
		c.err = err
	}
	return c.err
}

// WriteRow is WriteValues for a row of parquet values, whose kinds are
// checked against the leaf's.
func (c *ChunkWriter) WriteRow(row []parquet.Value) error {
	if c.err != nil || c.closed || c.copied != nil {
		return c.WriteValues(Values{})
	}
	l := c.leaf
	v := Values{Reps: make([]byte, len(row)), Defs: make([]byte, len(row))}
	for i := range row {
		p := &row[i]
		v.Reps[i], v.Defs[i] = byte(p.RepetitionLevel()), byte(p.DefinitionLevel())
		if v.Defs[i] != l.maxDef {
			continue
		}
		if p.Kind() != l.kind {
			c.err = fmt.Errorf("parquet column %s: a %s value in a %s column", l.name, p.Kind(), l.kind)
			return c.err
		}
		switch l.kind {
		case parquet.ByteArray:
			v.ByteArrays = append(v.ByteArrays, string(p.ByteArray()))
		case parquet.Boolean:
			v.Nums = append(v.Nums, uint64(boolByte(p.Boolean())))
		case parquet.Double:
			v.Nums = append(v.Nums, math.Float64bits(p.Double()))
		default:
			v.Nums = append(v.Nums, uint64(p.Int64()))
		}
	}
	return c.WriteValues(v)
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

func (c *ChunkWriter) writeValues(v Values) error {
	l := c.leaf
	if len(v.Reps) == 0 || len(v.Reps) != len(v.Defs) {
		return fmt.Errorf("parquet column %s: a row of %d repetition and %d definition levels", l.name, len(v.Reps), len(v.Defs))
	}
	present := 0
	for i, r := range v.Reps {
		d := v.Defs[i]
		if r > l.maxRep || d > l.maxDef || (i == 0) != (r == 0) {
			return fmt.Errorf("parquet column %s: value %d of a row at levels %d/%d (max %d/%d)", l.name, i, r, d, l.maxRep, l.maxDef)
		}
		if d == l.maxDef {
			present++
		}
	}
	values, other := len(v.Nums), len(v.ByteArrays)
	if l.kind == parquet.ByteArray {
		values, other = other, values
	}
	if values != present || other != 0 {
		return fmt.Errorf("parquet column %s: %d %s values and %d of another kind for a row of %d entries that hold one",
			l.name, values, l.kind, other, present)
	}
	c.pageRows++
	if l.maxRep > 0 {
		c.rep = append(c.rep, v.Reps...)
	}
	if l.maxDef > 0 {
		c.def = append(c.def, v.Defs...)
	}
	c.entries += len(v.Reps)
	c.nulls += int64(len(v.Reps) - present)
	switch l.kind {
	case parquet.Boolean:
		for _, x := range v.Nums {
			c.addBool(x != 0)
		}
	case parquet.Int32:
		for _, x := range v.Nums {
			c.addInt32(int32(x))
		}
	case parquet.Int64:
		for _, x := range v.Nums {
			c.addInt64(int64(x))
		}
	case parquet.Double:
		for _, x := range v.Nums {
			c.addDouble(math.Float64frombits(x))
		}
	case parquet.ByteArray:
		for _, s := range v.ByteArrays {
			if err := c.addBytes(unsafe.Slice(unsafe.StringData(s), len(s))); err != nil {
				return err
			}
		}
	}
	if c.pendingSize() >= c.pageBytes {
		return c.flushPage()
	}
	return nil
}

// addEntry adds the levels of an entry to the page being filled and
// reports whether the entry holds a value (else it counts a null).
func (c *ChunkWriter) addEntry(rep, def byte) bool {
	if c.leaf.maxRep > 0 {
		c.rep = append(c.rep, rep)
	}
	if c.leaf.maxDef > 0 {
		c.def = append(c.def, def)
	}
	c.entries++
	if def < c.leaf.maxDef {
		c.nulls++
		return false
	}
	return true
}

// addBool, addInt32, addInt64, addDouble and addBytes add a value of the
// leaf's kind to the page being filled, and to its bounds.
func (c *ChunkWriter) addBool(v bool) {
	b := byte(0)
	if v {
		b = 1
	}
	c.bools = append(c.bools, b)
	c.bounds.int(int64(b), false)
}

func (c *ChunkWriter) addInt32(x int32) {
	c.i32 = append(c.i32, x)
	if c.leaf.unsigned {
		c.bounds.int(int64(uint32(x)), false)
	} else {
		c.bounds.int(int64(x), false)
	}
}

func (c *ChunkWriter) addInt64(x int64) {
	c.i64 = append(c.i64, x)
	c.bounds.int(x, c.leaf.unsigned)
}

func (c *ChunkWriter) addDouble(x float64) {
	c.f64 = append(c.f64, x)
	c.bounds.double(x)
}

func (c *ChunkWriter) addBytes(b []byte) error {
	if c.leaf.dict {
		if err := c.checkDict(b); err != nil {
			return err
		}
		c.addDictEntry(c.dictIndex(b))
		return nil
	}
	// (parquet-go counts unencoded bytes of plain pages only)
	c.unencoded += int64(len(b))
	start := len(c.data)
	c.offs = append(c.offs, uint32(start))
	c.data = append(c.data, b...)
	c.bounds.bytes(int64(len(c.offs)-1), c.data[start:len(c.data):len(c.data)])
	return nil
}

// addDictEntry adds the value at index i of the dictionary.
func (c *ChunkWriter) addDictEntry(i int32) {
	c.idx = append(c.idx, i)
	c.bounds.bytes(int64(i), c.dictEntry(i))
}

// checkDict fails when adding b would take the dictionary past the
// largest page.
func (c *ChunkWriter) checkDict(b []byte) error {
	if len(c.dictData)+len(b) > maxPageBytes {
		return fmt.Errorf("parquet column %s: the row group's dictionary passes %d bytes", c.leaf.name, maxPageBytes)
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
	if c.copied != nil {
		return c.copied.meta.TotalCompressedSize
	}
	n := c.pagesLen + c.pendingSize()
	if c.leaf.dict && len(c.dictOffs) > 0 { // none once the file is closed
		n += len(c.dictData) + 4*(len(c.dictOffs)-1)
	}
	return int64(n)
}

// reset empties the chunk for the next row group.
func (c *ChunkWriter) reset() {
	c.rows = 0
	c.copied = nil
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
		clear(c.remaps)
		c.dictData, c.dictOffs = c.dictData[:0], c.dictOffs[:1]
		c.lastIdx = -1
		clear(c.recent[:])
	}
}
