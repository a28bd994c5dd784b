package column

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"math"
	"slices"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// pageMinMax returns the plain encoding of the page's smallest and
// largest values; ok is false when it has none.
func (c *ChunkWriter) pageMinMax() (min, max []byte, ok bool) {
	b := &c.bounds
	if !b.has {
		return nil, nil, false
	}
	switch c.leaf.kind {
	case parquet.Boolean:
		return []byte{byte(b.lo)}, []byte{byte(b.hi)}, true
	case parquet.Int32:
		return binary.LittleEndian.AppendUint32(nil, uint32(b.lo)), binary.LittleEndian.AppendUint32(nil, uint32(b.hi)), true
	case parquet.Int64:
		return binary.LittleEndian.AppendUint64(nil, uint64(b.lo)), binary.LittleEndian.AppendUint64(nil, uint64(b.hi)), true
	case parquet.Double:
		lo, hi := b.flo, b.fhi
		if !b.fhas {
			lo, hi = b.nan, b.nan
		}
		return binary.LittleEndian.AppendUint64(nil, math.Float64bits(lo)), binary.LittleEndian.AppendUint64(nil, math.Float64bits(hi)), true
	default:
		return append([]byte{}, b.loBytes...), append([]byte{}, b.hiBytes...), true
	}
}

// ColumnIndexLimit is the longest byte array min or max kept in the column
// index (parquet-go's default): a longer min is cut, a longer max cut and
// rounded up. A bound of this length may have been cut.
const ColumnIndexLimit = 16

// indexMinMax returns the column index's bounds of a page.
func (c *ChunkWriter) indexMinMax(min, max []byte, ok bool) ([]byte, []byte) {
	switch c.leaf.kind {
	case parquet.ByteArray:
		if !ok {
			return []byte{}, []byte{}
		}
		if len(min) > ColumnIndexLimit {
			min = min[:ColumnIndexLimit]
		}
		if len(max) > ColumnIndexLimit {
			max = roundUp(slices.Clone(max[:ColumnIndexLimit]))
		}
		return min, max
	}
	if !ok {
		n := 8
		switch c.leaf.kind {
		case parquet.Boolean:
			n = 1
		case parquet.Int32:
			n = 4
		}
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

// boundaryOrder is ASCENDING when the pages' mins and maxes (null pages
// included, with their zero bounds) never decrease, DESCENDING when they
// never increase, else UNORDERED; one page, or a NaN bound, is UNORDERED.
// (parquet-go's answer with NaN depends on the CPU; elsewhere it is the
// same.)
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
// do not all equal), 0 otherwise, for fewer than two values, or when a
// double is NaN (which orders with nothing).
func (l *leafLayout) order(vs [][]byte) int {
	if len(vs) < 2 {
		return 0
	}
	if l.kind == parquet.Double {
		for _, v := range vs {
			if math.IsNaN(math.Float64frombits(binary.LittleEndian.Uint64(v))) {
				return 0
			}
		}
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
			return cmp.Compare(x, y)
		}
		return cmp.Compare(int32(x), int32(y))
	case parquet.Int64:
		x, y := binary.LittleEndian.Uint64(a), binary.LittleEndian.Uint64(b)
		if l.unsigned {
			return cmp.Compare(x, y)
		}
		return cmp.Compare(int64(x), int64(y))
	case parquet.Double:
		x, y := math.Float64frombits(binary.LittleEndian.Uint64(a)), math.Float64frombits(binary.LittleEndian.Uint64(b))
		// Not cmp.Compare, which puts NaN first: a NaN is neither
		// smaller nor larger than anything, as parquet-go compares.
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return bytes.Compare(a, b)
}

// pageBounds tracks the smallest and largest value of a page: integers
// (booleans as 0 and 1) in lo and hi, doubles in flo and fhi (NaN left
// out), byte arrays in loBytes and hiBytes (with their entry numbers in lo
// and hi).
type pageBounds struct {
	has              bool
	lo, hi           int64
	loBytes, hiBytes []byte
	fhas             bool
	flo, fhi         float64
	nan              float64 // the page's first NaN, kept bit for bit
	nanSet           bool
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
		if !b.nanSet {
			b.nan, b.nanSet = x, true
		}
	case !b.fhas:
		b.fhas, b.flo, b.fhi = true, x, x
	default:
		// As parquet-go: the first of equal values (±0) is kept.
		if x < b.flo {
			b.flo = x
		}
		if x > b.fhi {
			b.fhi = x
		}
	}
}

// bytes tracks byte array value v, entry x of the page's values or of
// the dictionary; v must be the page's or the dictionary's own copy,
// which outlives the page (the caller's may not).
func (b *pageBounds) bytes(x int64, v []byte) {
	switch {
	case !b.has:
		b.has, b.lo, b.hi, b.loBytes, b.hiBytes = true, x, x, v, v
	case x == b.lo || x == b.hi: // a dictionary entry seen already
	case bytes.Compare(v, b.loBytes) < 0:
		b.lo, b.loBytes = x, v
	case bytes.Compare(v, b.hiBytes) > 0:
		b.hi, b.hiBytes = x, v
	}
}

// chunkBounds is the smallest and largest value of a chunk, plain-encoded.
type chunkBounds struct {
	has      bool
	min, max []byte
}

func (b *chunkBounds) add(l *leafLayout, min, max []byte) {
	// As parquet-go merges them: the first page's bounds, widened by the
	// pages after it (a NaN compares equal to anything, so a chunk whose
	// first bounded page held only NaN keeps NaN bounds).
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
