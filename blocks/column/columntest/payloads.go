// Package columntest holds helpers for tests of parquet files: the parts a
// test may damage, and a comparison of two files.
package columntest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// PagePayloads returns the byte ranges of the page payloads (levels and
// values, after each page header) of every column chunk of a clean file,
// the parts a fuzz test may damage without touching page headers.
func PagePayloads(t testing.TB, data []byte) [][2]int {
	t.Helper()
	pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out [][2]int
	for _, rg := range pf.Metadata().RowGroups {
		for _, c := range rg.Columns {
			pages, err := chunkPages(data, c)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pages {
				out = append(out, p.Payload)
			}
		}
	}
	return out
}

// Page is where one page of a file lies: its header, then its payload.
type Page struct {
	Header, Payload [2]int
}

// FirstPage returns the first page (the dictionary page, if any) of the
// column chunk at path (dot-separated, as in the footer) in row group
// group of a clean file; a negative group counts from the end (-1 is the
// last).
func FirstPage(data []byte, group int, path string) (Page, error) {
	pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return Page{}, err
	}
	rgs := pf.Metadata().RowGroups
	if group < 0 {
		group += len(rgs)
	}
	if group < 0 || group >= len(rgs) {
		return Page{}, fmt.Errorf("row group %d of %d", group, len(rgs))
	}
	for _, c := range rgs[group].Columns {
		if strings.Join(c.MetaData.PathInSchema, ".") != path {
			continue
		}
		pages, err := chunkPages(data, c)
		if err != nil || len(pages) == 0 {
			return Page{}, fmt.Errorf("column %s: no page: %v", path, err)
		}
		return pages[0], nil
	}
	return Page{}, fmt.Errorf("no column %s", path)
}

// chunkPages returns the pages of column chunk c, decoding their headers.
func chunkPages(data []byte, c format.ColumnChunk) ([]Page, error) {
	off := c.MetaData.DataPageOffset
	if d := c.MetaData.DictionaryPageOffset; d > 0 && d < off {
		off = d
	}
	end := off + c.MetaData.TotalCompressedSize
	var out []Page
	for off < end {
		br := bytes.NewReader(data[off:end])
		var h format.PageHeader
		var proto thrift.CompactProtocol
		if err := thrift.NewDecoder(proto.NewReader(br)).Decode(&h); err != nil {
			return nil, err
		}
		start := int(end) - br.Len()
		out = append(out, Page{Header: [2]int{int(off), start}, Payload: [2]int{start, start + int(h.CompressedPageSize)}})
		off = int64(start) + int64(h.CompressedPageSize)
	}
	return out, nil
}

// Damage returns a copy of data with n bytes XORed with x from offset at
// of the page payloads (the regions of PagePayloads taken end to end; at
// wraps around their total), stopping at the end of the region it falls in.
func Damage(data []byte, regions [][2]int, at int, x byte, n int) []byte {
	b := append([]byte(nil), data...)
	total := 0
	for _, r := range regions {
		total += r[1] - r[0]
	}
	if total == 0 {
		return b
	}
	at = ((at % total) + total) % total
	for _, r := range regions {
		if at >= r[1]-r[0] {
			at -= r[1] - r[0]
			continue
		}
		for i := r[0] + at; i < r[1] && i < r[0]+at+n; i++ {
			b[i] ^= x
		}
		break
	}
	return b
}

// SameFile reports how parquet file got differs from want: the pages byte
// for byte, the column and offset indexes and the footer decoded (so that
// a difference is named), all but created_by, which must be createdBy in
// got, and the boundary order of a DOUBLE column whose page bounds hold a
// NaN (tracectl says UNORDERED; parquet-go's answer depends on the CPU: its
// AVX-512 and scalar comparisons of NaN differ).
func SameFile(got, want []byte, createdBy string) error {
	footer := func(b []byte) (int, format.FileMetaData, error) {
		var md format.FileMetaData
		if len(b) < 12 {
			return 0, md, fmt.Errorf("%d bytes", len(b))
		}
		n := int(binary.LittleEndian.Uint32(b[len(b)-8:]))
		start := len(b) - 8 - n
		err := thrift.Unmarshal(new(thrift.CompactProtocol), b[start:len(b)-8], &md)
		return start, md, err
	}
	gs, gm, err := footer(got)
	if err != nil {
		return fmt.Errorf("footer: %w", err)
	}
	ws, wm, err := footer(want)
	if err != nil {
		return fmt.Errorf("reference footer: %w", err)
	}
	// The pages end where the page index starts.
	pagesEnd := func(md format.FileMetaData, end int) int {
		for _, g := range md.RowGroups {
			for _, c := range g.Columns {
				if c.ColumnIndexOffset > 0 {
					end = min(end, int(c.ColumnIndexOffset))
				}
			}
		}
		return end
	}
	ge, we := pagesEnd(gm, gs), pagesEnd(wm, ws)
	if !bytes.Equal(got[:ge], want[:we]) {
		return fmt.Errorf("pages: %d bytes, want %d (first difference at byte %d)", ge, we, firstDiff(got[:ge], want[:we]))
	}
	nanOrder := false
	for g := range min(len(gm.RowGroups), len(wm.RowGroups)) {
		for c := range gm.RowGroups[g].Columns {
			gc, wc := gm.RowGroups[g].Columns[c], wm.RowGroups[g].Columns[c]
			var gi, wi format.ColumnIndex
			var go_, wo format.OffsetIndex
			for _, x := range []struct {
				b    []byte
				off  int64
				n    int32
				into any
			}{{got, gc.ColumnIndexOffset, gc.ColumnIndexLength, &gi}, {want, wc.ColumnIndexOffset, wc.ColumnIndexLength, &wi},
				{got, gc.OffsetIndexOffset, gc.OffsetIndexLength, &go_}, {want, wc.OffsetIndexOffset, wc.OffsetIndexLength, &wo}} {
				if err := thrift.Unmarshal(new(thrift.CompactProtocol), x.b[x.off:x.off+int64(x.n)], x.into); err != nil {
					return err
				}
			}
			if gc.MetaData.Type == format.Double && (hasNaN(wi.MinValues) || hasNaN(wi.MaxValues)) {
				if gi.BoundaryOrder != format.Unordered {
					return fmt.Errorf("row group %d, column %d %v: boundary order %s with NaN bounds", g, c, gc.MetaData.PathInSchema, gi.BoundaryOrder)
				}
				gi.BoundaryOrder = wi.BoundaryOrder
				nanOrder = true
			}
			// cmp only when they differ: it is slow on large indexes.
			if diff := diffOf(wi, gi); diff != "" {
				return fmt.Errorf("row group %d, column %d %v: column index (-parquet-go +tracectl):\n%s", g, c, gc.MetaData.PathInSchema, diff)
			}
			if diff := diffOf(wo, go_); diff != "" {
				return fmt.Errorf("row group %d, column %d %v: offset index (-parquet-go +tracectl):\n%s", g, c, gc.MetaData.PathInSchema, diff)
			}
		}
	}
	if !nanOrder && !bytes.Equal(got[:gs], want[:ws]) {
		return fmt.Errorf("%d bytes before the footer, want %d (first difference at byte %d)", gs, ws, firstDiff(got[:gs], want[:ws]))
	}
	if gm.CreatedBy != createdBy {
		return fmt.Errorf("created_by %q, want %q", gm.CreatedBy, createdBy)
	}
	gm.CreatedBy = wm.CreatedBy
	if diff := diffOf(wm, gm); diff != "" {
		return fmt.Errorf("footer (-parquet-go +tracectl):\n%s", diff)
	}
	return nil
}

// diffOf is cmp.Diff(want, got), "" at once when they are deeply equal.
func diffOf(want, got any) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	return cmp.Diff(want, got)
}

// hasNaN reports whether any of the plain-encoded doubles vs is NaN.
func hasNaN(vs [][]byte) bool {
	for _, v := range vs {
		if len(v) == 8 && math.IsNaN(math.Float64frombits(binary.LittleEndian.Uint64(v))) {
			return true
		}
	}
	return false
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
