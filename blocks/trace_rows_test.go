package blocks

import (
	"errors"
	"slices"
	"testing"

	"github.com/tracectl/tracectl/blocks/column"
)

// TestReadRowValues: the trace-level time columns read by readRowValues
// equal fill's, with one page per chunk and with several, and a chunk
// with more or fewer rows than asked for is an error.
func TestReadRowValues(t *testing.T) {
	for _, pageBuffer := range []int{512, 64 << 10} {
		setPageBufferSize(t, pageBuffer)
		p, _ := openWrittenBlock(t, memStore(t), syntheticTraces(400, 2, 1e18))
		rg := p.file.RowGroups()[0]
		n := int(rg.NumRows())
		pages := 0
		for _, l := range []leaf{p.leaves.traceStart, p.leaves.traceEnd, p.leaves.traceDuration} {
			chunk := rg.ColumnChunks()[l.Index]
			want := make([]uint64, n)
			if err := fill(column.NewReader(chunk, l.Leaf), n, nil, 0, want, getUint64); err != nil {
				t.Fatal(err)
			}
			got := make([]uint64, n)
			if err := readRowValues(column.NewReader(chunk, l.Leaf), got); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) || slices.Max(got) == 0 {
				t.Fatalf("page buffer %d, %v: readRowValues differs from fill", pageBuffer, l.Path)
			}
			for _, size := range []int{n - 1, n + 1} {
				err := readRowValues(column.NewReader(chunk, l.Leaf), make([]uint64, size))
				if !errors.Is(err, column.ErrCorrupt) {
					t.Errorf("%v read into %d rows of %d: %v, want a corrupt chunk", l.Path, size, n, err)
				}
			}
			r := column.NewReader(chunk, l.Leaf)
			for more := r.More(); more; more = r.NextPage() {
				pages++
			}
		}
		if pageBuffer == 512 && pages <= 3 {
			t.Errorf("page buffer %d: %d pages in three chunks, want several each", pageBuffer, pages)
		}
	}
}
