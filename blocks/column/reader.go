package column

import (
	"errors"
	"fmt"
	"io"
	"math"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"
)

// ErrCorrupt wraps every inconsistency found in a column chunk: level
// counts that do not match the values, levels above their maximum,
// dictionary indexes out of range, or a page parquet-go failed to decode.
var ErrCorrupt = errors.New("corrupt column chunk")

// Reader walks the entries of one column chunk in order. The current entry
// is the next one not yet consumed:
//
//	for r.More() {
//		if r.Def() == leaf.MaxDef { v := r.Int64() ... }
//		r.Advance()
//	}
//
// Rep, Def and the value accessors are only valid after More returned
// true; value accessors only when Def() == MaxDef. Byte slices returned by
// Bytes are valid until the next call to More that loads a page.
type Reader struct {
	leaf  Leaf
	chunk parquet.ColumnChunk
	pages parquet.Pages
	page  parquet.Page
	// index is the chunk's offset index (first row of every page), loaded
	// by the first JumpToRow; noIndex when there is none.
	index   *parquet.FileOffsetIndex
	noIndex bool

	rep, def []byte
	n        int // entries in the page
	nval     int // values in the page (entries at MaxDef)
	pos      int // the current entry
	val      int // the current entry's value among the page's values

	i64  []int64
	i32  []int32
	f64  []float64
	bits []byte
	data []byte
	offs []uint32
	size int     // fixed-length byte array size
	idx  []int32 // dictionary indexes, when the page is dictionary-encoded
	dict *Dict

	dicts map[parquet.Dictionary]*Dict
	err   error
	done  bool

	// levels synthesized for pages without stored levels
	zeros, maxes []byte
}

// NewReader reads chunk, a column chunk of the leaf column l.
func NewReader(chunk parquet.ColumnChunk, l Leaf) *Reader {
	return &Reader{leaf: l, chunk: chunk, pages: chunk.Pages()}
}

// Leaf returns the column the reader walks.
func (r *Reader) Leaf() Leaf { return r.leaf }

// More reports whether there is a current entry, loading the next page
// when the current one is exhausted. It returns false at the end of the
// chunk and on error (see Err).
func (r *Reader) More() bool { return r.pos < r.n || r.load() }

// Rep returns the repetition level of the current entry.
func (r *Reader) Rep() byte { return r.rep[r.pos] }

// Def returns the definition level of the current entry.
func (r *Reader) Def() byte { return r.def[r.pos] }

// Present reports whether the current entry holds a value.
func (r *Reader) Present() bool { return r.def[r.pos] == r.leaf.MaxDef }

// Advance consumes the current entry.
func (r *Reader) Advance() {
	if r.def[r.pos] == r.leaf.MaxDef {
		r.val++
	}
	r.pos++
}

// Err returns the error that ended the walk, if any.
func (r *Reader) Err() error { return r.err }

// Close releases the page being read and the chunk's page reader.
func (r *Reader) Close() {
	if r.page != nil {
		parquet.Release(r.page)
		r.page = nil
	}
	if r.pages != nil {
		r.pages.Close()
		r.pages = nil
	}
	r.n, r.pos = 0, 0
	r.done = true
}

// Int64 returns the current value of an INT64 column.
func (r *Reader) Int64() int64 { return r.Int64At(r.val) }

// Int32 returns the current value of an INT32 column.
func (r *Reader) Int32() int32 { return r.Int32At(r.val) }

// Float64 returns the current value of a DOUBLE column.
func (r *Reader) Float64() float64 { return r.Float64At(r.val) }

// Bool returns the current value of a BOOLEAN column.
func (r *Reader) Bool() bool { return r.BoolAt(r.val) }

// Bytes returns the current value of a BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY
// column, valid until the next page is loaded.
func (r *Reader) Bytes() []byte { return r.BytesAt(r.val) }

// String returns the current value of a BYTE_ARRAY column as a string.
// Values of a dictionary share one string per distinct value.
func (r *Reader) String() string { return r.StringAt(r.val) }

// DictIndex returns the dictionary index of the current value and the
// page's dictionary; ok is false when the page is not dictionary-encoded.
func (r *Reader) DictIndex() (i int32, d *Dict, ok bool) { return r.DictIndexAt(r.val) }

// Page access for tight loops: PageLevels returns the levels of every
// entry of the current page, Position the current entry's index in them
// and its value's index among the page's values, Seek moves within the
// page and NextPage drops it for the next one. The ...At accessors take a
// value index of the current page.

// PageLevels returns the repetition and definition levels of the current
// page (valid after More returned true).
func (r *Reader) PageLevels() (rep, def []byte) { return r.rep[:r.n], r.def[:r.n] }

// PageValues returns the number of values in the current page: the index
// the value after its last entry would have.
func (r *Reader) PageValues() int { return r.nval }

// Position returns the current entry's index in the page and its value's
// index among the page's values.
func (r *Reader) Position() (entry, value int) { return r.pos, r.val }

// Seek moves to entry of the current page, whose value index is value.
func (r *Reader) Seek(entry, value int) { r.pos, r.val = entry, value }

// NextPage drops the rest of the current page and loads the next one; it
// returns false at the end of the chunk or on error.
func (r *Reader) NextPage() bool {
	r.pos = r.n
	return r.load()
}

// Int64At returns value i of the current page of an INT64 column.
func (r *Reader) Int64At(i int) int64 {
	if r.idx != nil {
		return r.dict.i64[r.idx[i]]
	}
	return r.i64[i]
}

// Int32At returns value i of the current page of an INT32 column.
func (r *Reader) Int32At(i int) int32 {
	if r.idx != nil {
		return r.dict.i32[r.idx[i]]
	}
	return r.i32[i]
}

// Float64At returns value i of the current page of a DOUBLE column.
func (r *Reader) Float64At(i int) float64 {
	if r.idx != nil {
		return r.dict.f64[r.idx[i]]
	}
	return r.f64[i]
}

// BoolAt returns value i of the current page of a BOOLEAN column.
func (r *Reader) BoolAt(i int) bool { return r.bits[i>>3]>>(i&7)&1 == 1 }

// BytesAt returns value i of the current page of a byte-array column,
// valid until the next page is loaded.
func (r *Reader) BytesAt(i int) []byte {
	if r.idx != nil {
		return r.dict.bytes(r.idx[i])
	}
	if r.size > 0 {
		return r.data[i*r.size : (i+1)*r.size]
	}
	return r.data[r.offs[i]:r.offs[i+1]]
}

// StringAt returns value i of the current page of a byte-array column.
func (r *Reader) StringAt(i int) string {
	if r.idx != nil {
		return r.dict.String(r.idx[i])
	}
	return string(r.BytesAt(i))
}

// DictIndexAt returns the dictionary index of value i of the current page
// and the dictionary; ok is false when the page is not dictionary-encoded.
func (r *Reader) DictIndexAt(i int) (int32, *Dict, bool) {
	if r.idx == nil {
		return 0, nil, false
	}
	return r.idx[i], r.dict, true
}

// Dictionary reads the chunk's dictionary (before any page, or from the
// page being read); it returns nil when the chunk has none.
func (r *Reader) Dictionary() (d *Dict, err error) {
	fp, ok := r.pages.(*parquet.FilePages)
	if !ok {
		return nil, nil
	}
	defer func() {
		if p := recover(); p != nil {
			d, err = nil, fmt.Errorf("%w: reading dictionary: %v", ErrCorrupt, p)
		}
	}()
	pd, err := fp.ReadDictionary()
	if err != nil {
		return nil, fmt.Errorf("%w: reading dictionary: %w", ErrCorrupt, err)
	}
	if pd == nil {
		return nil, nil
	}
	return r.dictFor(pd)
}

// SkipRows consumes the entries of the next n rows; the current entry must
// start a row (or the chunk be at its end). It returns how many rows were
// skipped (fewer at the end of the chunk).
func (r *Reader) SkipRows(n int) int {
	skipped := 0
	for r.More() {
		i, rows, vals := skipLevels(r.rep[r.pos:r.n], r.def[r.pos:r.n], r.leaf.MaxDef, n-skipped)
		skipped += rows
		r.pos += i
		r.val += vals
		if r.pos < r.n {
			return skipped
		}
	}
	return skipped
}

// JumpToRow moves to the first entry of row target (rows counted from the
// chunk's start) without decoding the pages before it, when the chunk has
// an offset index and target lies beyond the page of row cur, the row of
// the current entry. It reports whether it moved; when it did not, the
// caller skips rows instead (SkipRows).
func (r *Reader) JumpToRow(cur, target int64) (bool, error) {
	if r.err != nil || r.noIndex || target <= cur {
		return false, r.err
	}
	if r.index == nil {
		fc, ok := r.chunk.(*parquet.FileColumnChunk)
		if !ok || dataPages(fc) == 1 {
			// With one data page there is nowhere to jump: skipping
			// within it needs no offset index read.
			r.noIndex = true
			return false, nil
		}
		oi, err := offsetIndex(fc)
		if err != nil || oi == nil || oi.NumPages() == 0 {
			r.noIndex = true
			return false, nil // no index: skipping is the fallback
		}
		r.index = oi
	}
	// The page holding target: the last one starting at or before it.
	lo, hi := 0, r.index.NumPages()
	for lo+1 < hi {
		m := (lo + hi) / 2
		if r.index.FirstRowIndex(m) <= target {
			lo = m
		} else {
			hi = m
		}
	}
	first := r.index.FirstRowIndex(lo)
	if first <= cur {
		return false, nil // target is in the current page (or cur's page is later)
	}
	if r.page != nil {
		parquet.Release(r.page)
		r.page = nil
	}
	r.n, r.pos, r.val = 0, 0, 0
	if err := r.pages.SeekToRow(first); err != nil {
		r.fail(err)
		return false, r.err
	}
	r.done = false
	if n := target - first; n > 0 && r.SkipRows(int(n)) != int(n) {
		if r.err == nil {
			r.fail(fmt.Errorf("%w: row %d beyond the chunk", ErrCorrupt, target))
		}
		return false, r.err
	}
	return true, r.err
}

// checkOffsetIndex checks the lengths in chunk fc's offset index
// (checkThrift), so that parquet-go's decoding of the same bytes cannot
// allocate what a damaged length claims.
func checkOffsetIndex(fc *parquet.FileColumnChunk) error {
	cc, ok := chunkMeta(fc)
	if !ok || cc.OffsetIndexOffset == 0 {
		return nil // parquet-go reports a missing index itself
	}
	f := fc.File()
	off, n := cc.OffsetIndexOffset, int64(cc.OffsetIndexLength)
	if off < 0 || n <= 0 || n > maxGroupIndexBytes || off > f.Size()-n {
		return fmt.Errorf("%w: offset index of %d bytes at %d", ErrCorrupt, n, off)
	}
	buf := make([]byte, n)
	if got, err := f.ReadAt(buf, off); got < len(buf) {
		return fmt.Errorf("offset index: %w", err)
	}
	if _, err := checkThrift(buf); err != nil {
		return fmt.Errorf("%w: offset index: %v", ErrCorrupt, err)
	}
	return nil
}

// chunkMeta returns the footer's entry of chunk fc.
func chunkMeta(fc *parquet.FileColumnChunk) (*format.ColumnChunk, bool) {
	col := fc.Column()
	f := fc.File()
	md := f.Metadata()
	for g, rg := range f.RowGroups() {
		cs := rg.ColumnChunks()
		if col < len(cs) && cs[col] == parquet.ColumnChunk(fc) && g < len(md.RowGroups) && col < len(md.RowGroups[g].Columns) {
			return &md.RowGroups[g].Columns[col], true
		}
	}
	return nil, false
}

// dataPages returns the number of data pages of chunk fc by its footer's
// encoding stats, or -1 when they do not say.
func dataPages(fc *parquet.FileColumnChunk) int {
	col := fc.Column()
	f := fc.File()
	md := f.Metadata()
	for g, rg := range f.RowGroups() {
		cs := rg.ColumnChunks()
		if col >= len(cs) || cs[col] != parquet.ColumnChunk(fc) || g >= len(md.RowGroups) || col >= len(md.RowGroups[g].Columns) {
			continue
		}
		stats := md.RowGroups[g].Columns[col].MetaData.EncodingStats
		if len(stats) == 0 {
			return -1
		}
		n := 0
		for _, st := range stats {
			if st.PageType == format.DataPage || st.PageType == format.DataPageV2 {
				n += int(st.Count)
			}
		}
		return n
	}
	return -1
}

// offsetIndex reads a chunk's offset index; parquet-go may panic on a
// damaged one, which reads as none. The bytes are first decoded with
// every length bounded (checkOffsetIndex): parquet-go's decoder allocates
// the length a list header claims, so a damaged one could ask for tens of
// gigabytes, a fatal error no recover catches.
func offsetIndex(fc *parquet.FileColumnChunk) (oi *parquet.FileOffsetIndex, err error) {
	defer func() {
		if x := recover(); x != nil {
			oi, err = nil, fmt.Errorf("%w: offset index: %v", ErrCorrupt, x)
		}
	}()
	if err := checkOffsetIndex(fc); err != nil {
		return nil, err
	}
	idx, err := fc.OffsetIndex()
	if err != nil {
		return nil, err
	}
	foi, _ := idx.(*parquet.FileOffsetIndex)
	return foi, nil
}

// load reads the next non-empty page and checks it.
func (r *Reader) load() bool {
	if r.done || r.err != nil {
		return false
	}
	if r.page != nil {
		parquet.Release(r.page)
		r.page = nil
	}
	for {
		p, err := r.readPage()
		if err == io.EOF {
			r.done, r.n, r.pos = true, 0, 0
			return false
		}
		if err != nil {
			r.fail(err)
			return false
		}
		if p.NumValues() == 0 {
			parquet.Release(p)
			continue
		}
		r.page = p
		if err := r.setPage(p); err != nil {
			r.fail(err)
			return false
		}
		return true
	}
}

func (r *Reader) fail(err error) {
	if !errors.Is(err, ErrCorrupt) {
		// Both wrapped: a failed read of the underlying file (and a
		// cancellation) stays recognizable under ErrCorrupt.
		err = fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	r.err = fmt.Errorf("column %s: %w", pathString(r.leaf.Path), err)
	r.n, r.pos = 0, 0
	if r.page != nil {
		parquet.Release(r.page)
		r.page = nil
	}
}

// readPage is pages.ReadPage with a recover: parquet-go may panic on
// damaged bytes.
func (r *Reader) readPage() (p parquet.Page, err error) {
	defer func() {
		if x := recover(); x != nil {
			p, err = nil, fmt.Errorf("%w: decoding page: %v", ErrCorrupt, x)
		}
	}()
	return r.pages.ReadPage()
}

// setPage points the reader at p's levels and values after checking that
// they agree: as many values as entries at MaxDef, levels within range,
// dictionary indexes within the dictionary.
func (r *Reader) setPage(p parquet.Page) (err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("%w: page data: %v", ErrCorrupt, x)
		}
	}()
	n := int(p.NumValues())
	r.rep, r.def = p.RepetitionLevels(), p.DefinitionLevels()
	if r.leaf.MaxRep == 0 {
		r.rep = r.levels(&r.zeros, n, 0)
	}
	if r.leaf.MaxDef == 0 {
		r.def = r.levels(&r.maxes, n, 0)
	}
	if len(r.rep) != n || len(r.def) != n {
		return fmt.Errorf("%w: %d entries but %d repetition and %d definition levels", ErrCorrupt, n, len(r.rep), len(r.def))
	}
	present, within := levelStats(r.rep[:n], r.def[:n], r.leaf.MaxRep, r.leaf.MaxDef)
	if !within {
		return fmt.Errorf("%w: level above its maximum", ErrCorrupt)
	}
	r.i64, r.i32, r.f64, r.bits, r.data, r.offs, r.idx, r.dict, r.size = nil, nil, nil, nil, nil, nil, nil, nil, 0
	values := p.Data()
	count := 0
	if pd := p.Dictionary(); pd != nil {
		if values.Kind() != encoding.Int32 {
			return fmt.Errorf("%w: dictionary page without indexes", ErrCorrupt)
		}
		d, err := r.dictFor(pd)
		if err != nil {
			return err
		}
		r.dict, r.idx = d, values.Int32()
		count = len(r.idx)
		for _, i := range r.idx {
			if i < 0 || int(i) >= d.Len() {
				return fmt.Errorf("%w: dictionary index %d of %d", ErrCorrupt, i, d.Len())
			}
		}
	} else {
		if values.Kind() != kindOf(r.leaf.Kind) {
			return fmt.Errorf("%w: page of %s values in a %s column", ErrCorrupt, values.Kind(), r.leaf.Kind)
		}
		switch values.Kind() {
		case encoding.Int64:
			r.i64 = values.Int64()
			count = len(r.i64)
		case encoding.Int32:
			r.i32 = values.Int32()
			count = len(r.i32)
		case encoding.Double:
			r.f64 = values.Double()
			count = len(r.f64)
		case encoding.Boolean:
			r.bits = values.Boolean()
			count = present
			if len(r.bits)*8 < present {
				return fmt.Errorf("%w: %d boolean bits for %d values", ErrCorrupt, len(r.bits)*8, present)
			}
		case encoding.ByteArray:
			r.data, r.offs = values.ByteArray()
			count = len(r.offs) - 1
			if err := checkOffsets(r.offs, len(r.data)); err != nil {
				return err
			}
		case encoding.FixedLenByteArray:
			r.data, r.size = values.FixedLenByteArray()
			if r.size <= 0 {
				return fmt.Errorf("%w: fixed-length values of size %d", ErrCorrupt, r.size)
			}
			count = len(r.data) / r.size
		default:
			return fmt.Errorf("%w: unsupported physical type %s", ErrCorrupt, values.Kind())
		}
	}
	if count != present {
		return fmt.Errorf("%w: %d values for %d defined entries", ErrCorrupt, count, present)
	}
	r.n, r.nval, r.pos, r.val = n, present, 0, 0
	return nil
}

// levels returns a slice of n copies of v, reusing *buf.
func (r *Reader) levels(buf *[]byte, n int, v byte) []byte {
	if cap(*buf) < n {
		*buf = make([]byte, n)
		if v != 0 {
			for i := range *buf {
				(*buf)[i] = v
			}
		}
	}
	return (*buf)[:n]
}

func checkOffsets(offs []uint32, size int) error {
	if len(offs) == 0 {
		return fmt.Errorf("%w: byte array page without offsets", ErrCorrupt)
	}
	prev := uint32(0)
	for _, o := range offs {
		if o < prev || int64(o) > int64(size) {
			return fmt.Errorf("%w: byte array offsets out of order", ErrCorrupt)
		}
		prev = o
	}
	return nil
}

// kindOf maps a parquet physical type to the encoding kind of its values.
func kindOf(k parquet.Kind) encoding.Kind {
	switch k {
	case parquet.Boolean:
		return encoding.Boolean
	case parquet.Int32:
		return encoding.Int32
	case parquet.Int64:
		return encoding.Int64
	case parquet.Int96:
		return encoding.Int96
	case parquet.Float:
		return encoding.Float
	case parquet.Double:
		return encoding.Double
	case parquet.ByteArray:
		return encoding.ByteArray
	case parquet.FixedLenByteArray:
		return encoding.FixedLenByteArray
	}
	return encoding.Undefined
}

func pathString(p []string) string {
	s := ""
	for i, e := range p {
		if i > 0 {
			s += "."
		}
		s += e
	}
	return s
}

// dictFor converts a parquet dictionary once per chunk.
func (r *Reader) dictFor(pd parquet.Dictionary) (*Dict, error) {
	if d, ok := r.dicts[pd]; ok {
		return d, nil
	}
	d, err := newDict(pd, r.leaf.Kind)
	if err != nil {
		return nil, err
	}
	if r.dicts == nil {
		r.dicts = map[parquet.Dictionary]*Dict{}
	}
	r.dicts[pd] = d
	return d, nil
}

// Dict is a column chunk's dictionary. Its values are those of
// parquet-go's decoded dictionary, not copied: parquet-go allocates them
// for the dictionary alone (no pooled buffer) and never writes them after
// decoding, so they stay as they are for as long as the Dict holds them.
type Dict struct {
	n    int
	i64  []int64
	i32  []int32
	f64  []float64
	data []byte
	offs []uint32
	strs []string // converted lazily, one string per value; "" not yet made
}

func newDict(pd parquet.Dictionary, kind parquet.Kind) (*Dict, error) {
	d := &Dict{n: pd.Len()}
	if d.n < 0 || d.n > math.MaxInt32 {
		return nil, fmt.Errorf("%w: dictionary of %d values", ErrCorrupt, d.n)
	}
	if d.n == 0 {
		return d, nil
	}
	values := pd.Page().Data()
	switch values.Kind() {
	case encoding.Int64:
		d.i64 = values.Int64()
		if len(d.i64) != d.n {
			return nil, fmt.Errorf("%w: dictionary size", ErrCorrupt)
		}
	case encoding.Int32:
		d.i32 = values.Int32()
		if len(d.i32) != d.n {
			return nil, fmt.Errorf("%w: dictionary size", ErrCorrupt)
		}
	case encoding.Double:
		d.f64 = values.Double()
		if len(d.f64) != d.n {
			return nil, fmt.Errorf("%w: dictionary size", ErrCorrupt)
		}
	case encoding.ByteArray:
		data, offs := values.ByteArray()
		if len(offs) != d.n+1 {
			return nil, fmt.Errorf("%w: dictionary size", ErrCorrupt)
		}
		if err := checkOffsets(offs, len(data)); err != nil {
			return nil, err
		}
		d.data, d.offs = data, offs
	case encoding.FixedLenByteArray:
		data, size := values.FixedLenByteArray()
		if size <= 0 || len(data) != size*d.n {
			return nil, fmt.Errorf("%w: dictionary size", ErrCorrupt)
		}
		d.data = data
		d.offs = make([]uint32, d.n+1)
		for i := range d.offs {
			d.offs[i] = uint32(i * size)
		}
	default:
		return nil, fmt.Errorf("%w: dictionary of %s values", ErrCorrupt, values.Kind())
	}
	if kindOf(kind) != values.Kind() {
		return nil, fmt.Errorf("%w: dictionary of %s values in a %s column", ErrCorrupt, values.Kind(), kind)
	}
	return d, nil
}

// Len returns the number of values.
func (d *Dict) Len() int { return d.n }

func (d *Dict) bytes(i int32) []byte { return d.data[d.offs[i]:d.offs[i+1]] }

// String returns value i of a byte-array dictionary.
func (d *Dict) String(i int32) string {
	if d.strs == nil {
		d.strs = make([]string, d.n) // not for a dictionary only viewed
	}
	if s := d.strs[i]; s != "" {
		return s
	}
	s := string(d.bytes(i)) // "" for an empty value: made again, without allocating
	d.strs[i] = s
	return s
}

// View returns value i of a byte-array dictionary without copying it: the
// string shares the dictionary's memory (never written after it is made),
// so it keeps all of it alive. For a test that keeps nothing, such as a
// pruning pass over every value; String for a value that may be kept.
func (d *Dict) View(i int32) string {
	if d.strs != nil && d.strs[i] != "" {
		return d.strs[i]
	}
	b := d.bytes(i)
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// Int64 returns value i of an INT64 dictionary.
func (d *Dict) Int64(i int32) int64 { return d.i64[i] }
