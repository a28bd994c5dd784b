package blocks

import (
	"bytes"
	"fmt"

	"github.com/tracectl/tracectl/blocks/column"
)

// segWalker walks one column over a batch of rows, handing out segments:
// runs of entries within one page whose rows are all selected or all not.
// Consumers loop over a segment's level slices themselves and number the
// nested elements the same way for every column: an entry creates an
// element at depth j when rep <= j and def >= DefAt[j-1], and the k-th
// element at depth j of the batch's selected rows is element k whichever
// column counts it. That shared numbering is how the columns of one span,
// resource or attribute are joined without rebuilding rows.
//
// Usage:
//
//	w := segments(r, rows, sel)
//	for w.next() {
//		if !w.selected { continue }
//		for i, def := range w.defs { ... w.reps[i] ...; value index w.vi+k ... }
//	}
//	err := w.finish(rows)
//
// Values: the k-th entry with def == MaxDef in the segment has value index
// w.vi+k in the reader's current page. finish leaves the reader at the
// first entry after the batch.
type segWalker struct {
	r      *column.Reader
	maxDef byte
	sel    []bool
	nrows  int

	page       []byte // levels of the current page
	pageDefs   []byte
	pageVals   int // values of the current page
	pos, pvi   int // first entry of the current segment, its value index
	rows       int // rows started so far in the batch
	started    bool
	reps, defs []byte // the current segment
	vi         int
	selected   bool
	done       bool
	err        error
}

// segments starts walking r over the next nrows rows; sel (nil: all) says
// which rows are selected.
func segments(r *column.Reader, nrows int, sel []bool) *segWalker {
	w := &segWalker{r: r, maxDef: r.Leaf().MaxDef, sel: sel, nrows: nrows}
	if r.More() {
		w.page, w.pageDefs = r.PageLevels()
		w.pageVals = r.PageValues()
		w.pos, w.pvi = r.Position()
	} else {
		w.done = true
	}
	return w
}

// next moves to the next segment; false at the end of the batch or chunk.
func (w *segWalker) next() bool {
	if w.started { // consume the previous segment
		w.consume()
	}
	w.started = true
	if w.done {
		return false
	}
	if w.pos >= len(w.page) {
		if !w.r.NextPage() {
			w.done, w.page, w.pageDefs = true, nil, nil
			return false
		}
		w.page, w.pageDefs = w.r.PageLevels()
		w.pageVals = w.r.PageValues()
		w.pos, w.pvi = 0, 0
	}
	reps := w.page
	i := w.pos
	if reps[i] == 0 {
		if w.rows == w.nrows {
			w.done = true // the next batch's first row: leave it unconsumed
			return false
		}
		w.rows++
	} else if w.rows == 0 {
		w.err = fmt.Errorf("%w: column %v: a row starts with repetition level %d", column.ErrCorrupt, w.r.Leaf().Path, reps[i])
		w.done = true
		return false
	}
	w.selected = w.sel == nil || w.sel[w.rows-1]
	j := i + 1
	// The segment runs to the next row start (repetition level 0, found
	// with IndexByte: attribute columns have a hundred entries and more a
	// row) that the batch does not hold or that is selected otherwise.
	for j < len(reps) {
		k := bytes.IndexByte(reps[j:], 0)
		if k < 0 {
			j = len(reps)
			break
		}
		j += k
		if w.rows == w.nrows || w.sel != nil && w.sel[w.rows] != w.selected {
			break
		}
		w.rows++
		j++
	}
	w.reps, w.defs, w.vi = reps[i:j], w.pageDefs[i:j], w.pvi
	return true
}

// consume moves past the current segment. A segment that ends its page
// leaves the value index at the page's value count, which the reader
// counted when it loaded the page (most segments run to the end of their
// page); only one that ends inside counts its values.
func (w *segWalker) consume() {
	w.pos += len(w.reps)
	if w.pos == len(w.page) {
		w.pvi = w.pageVals
	} else {
		w.pvi += presentCount(w.defs, w.maxDef)
	}
	w.reps, w.defs = nil, nil
}

func presentCount(defs []byte, maxDef byte) int {
	return bytes.Count(defs, []byte{maxDef})
}

// finish leaves the reader at the entry after the batch and checks that
// the walk covered the batch's rows.
func (w *segWalker) finish(rows int) error {
	if w.started && w.reps != nil { // stopped early: consume the segment
		w.consume()
	}
	if w.page != nil {
		w.r.Seek(w.pos, w.pvi)
	}
	if w.err != nil {
		return w.err
	}
	if err := w.r.Err(); err != nil {
		return err
	}
	if w.rows != rows {
		return fmt.Errorf("%w: column %v has %d rows in a batch of %d", column.ErrCorrupt, w.r.Leaf().Path, w.rows, rows)
	}
	return nil
}

// elementDef returns the definition level at which an entry of leaf l
// holds an element at depth d (0 for rows).
func elementDef(l column.Leaf, d int) byte {
	if d == 0 {
		return 0
	}
	return l.DefAt[d-1]
}

// countCheck reports a column whose element count disagrees with the
// structure column's.
func countCheck(r *column.Reader, d int, got, want int) error {
	if got != want {
		return fmt.Errorf("%w: column %v has %d elements at depth %d, want %d", column.ErrCorrupt, r.Leaf().Path, got, d, want)
	}
	return nil
}

// eachValue walks r, a leaf at depth d, over the selected rows of the next
// n and calls f(k, vi) for each element k at depth d below want that has a
// value (vi: the value's index in the reader's current page). The column
// must count want elements.
func eachValue(r *column.Reader, n int, sel []bool, d, want int, f func(k, vi int) error) error {
	l := r.Leaf()
	ed, maxDef := elementDef(l, d), l.MaxDef
	w := segments(r, n, sel)
	k := 0
	for w.next() {
		if !w.selected {
			continue
		}
		vi := w.vi
		for _, def := range w.defs {
			if def >= ed {
				if def == maxDef && k < want {
					if err := f(k, vi); err != nil {
						return err
					}
				}
				k++
			}
			if def == maxDef {
				vi++
			}
		}
	}
	if err := w.finish(n); err != nil {
		return err
	}
	return countCheck(r, d, k, want)
}
