package column

import (
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// PageStats is what a column chunk's page index (its column and offset
// indexes) says of its data pages: page i holds rows FirstRows[i] up to
// FirstRows[i+1] (or the chunk's end), counted from the chunk's start;
// Null[i] is set when it holds no value, and Min[i], Max[i] bound its
// values otherwise, plain-encoded (byte arrays may be truncated: Min
// to a prefix, Max to a prefix rounded up by most writers).
type PageStats struct {
	FirstRows []int64
	Null      []bool
	Min, Max  [][]byte
}

// ReadPageStats reads the page index of chunk, a chunk of a file of
// rows rows in its row group; ok is false when it has none, or one that
// does not hold together. A damaged index reads as none: the stats only
// let readers skip pages, and reading the pages reports the damage.
// Both indexes are decoded with every length bounded (decodeBounded), so
// a damaged length cannot make the decoder allocate what it claims.
func ReadPageStats(chunk parquet.ColumnChunk, rows int64) (*PageStats, bool) {
	fc, ok := chunk.(*parquet.FileColumnChunk)
	if !ok {
		return nil, false
	}
	cc, ok := chunkMeta(fc)
	if !ok || cc.ColumnIndexOffset <= 0 || cc.OffsetIndexOffset <= 0 {
		return nil, false
	}
	var ci format.ColumnIndex
	var oi format.OffsetIndex
	if !readIndex(fc, cc.ColumnIndexOffset, cc.ColumnIndexLength, &ci) || !readIndex(fc, cc.OffsetIndexOffset, cc.OffsetIndexLength, &oi) {
		return nil, false
	}
	n := len(oi.PageLocations)
	if n == 0 || len(ci.NullPages) != n || len(ci.MinValues) != n || len(ci.MaxValues) != n {
		return nil, false
	}
	s := &PageStats{FirstRows: make([]int64, n), Null: ci.NullPages, Min: ci.MinValues, Max: ci.MaxValues}
	for i, loc := range oi.PageLocations {
		first := loc.FirstRowIndex
		if i == 0 && first != 0 || i > 0 && first <= s.FirstRows[i-1] || first >= rows {
			return nil, false
		}
		s.FirstRows[i] = first
	}
	return s, true
}

// readIndex decodes the index of n bytes at off in fc's file into v.
func readIndex(fc *parquet.FileColumnChunk, off int64, n int32, v any) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	f := fc.File()
	if n <= 0 || int64(n) > maxGroupIndexBytes || off > f.Size()-int64(n) {
		return false
	}
	buf := make([]byte, n)
	if got, _ := f.ReadAt(buf, off); got < len(buf) {
		return false
	}
	_, err := decodeBounded(buf, v)
	return err == nil
}
