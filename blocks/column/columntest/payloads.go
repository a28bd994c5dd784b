// Package columntest holds helpers for tests that damage parquet files.
package columntest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

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
