package blocks

import (
	"fmt"

	"github.com/tracectl/tracectl/blocks/column"
)

// maxDepth bounds the depth of the elements a walker tracks (link and
// event attribute value lists sit at depth 6).
const maxDepth = 7

// levelWalker walks one column over a batch of rows and numbers the
// nested elements its entries create, the same way for every column: the
// k-th span of the batch's selected rows is element k at depth 3 whichever
// span column counts it. That shared numbering is how the columns of one
// span, resource or attribute are joined without rebuilding rows.
//
// Usage: for w.step() { ...; w.r.Advance() }. After step, cur[d] is the
// index (batch-wide, selected rows only) of the current element at depth
// d, made[d] how many exist so far, selected whether the entry's row is
// selected, def its definition level.
type levelWalker struct {
	r     *column.Reader
	defAt []byte
	depth int
	sel   []bool
	nrows int

	row      int // batch row of the current entry
	selected bool
	def      byte
	// fresh is the shallowest depth at which the entry created an element
	// (depth+1 when it created none, or its row is not selected).
	fresh int
	// cur[0] and made[0] count the selected rows.
	cur  [maxDepth + 1]int32
	made [maxDepth + 1]int32
	err  error
}

// walker starts walking r over the next nrows rows; sel (nil: all) says
// which are selected.
func walker(r *column.Reader, nrows int, sel []bool) *levelWalker {
	l := r.Leaf()
	w := &levelWalker{r: r, defAt: l.DefAt, depth: int(l.MaxRep), sel: sel, nrows: nrows, row: -1}
	for i := range w.cur {
		w.cur[i] = -1
	}
	return w
}

// step moves to the next entry of the batch; it returns false at the end
// of the batch (the entry starting the next row stays unconsumed) or of
// the chunk.
func (w *levelWalker) step() bool {
	r := w.r
	if !r.More() {
		return false
	}
	rep, def := r.Rep(), r.Def()
	if w.row < 0 && rep != 0 {
		w.err = fmt.Errorf("%w: column %v: a row starts with repetition level %d", column.ErrCorrupt, r.Leaf().Path, rep)
		return false
	}
	if rep == 0 {
		if w.row+1 >= w.nrows {
			return false
		}
		w.row++
		w.selected = w.sel == nil || w.sel[w.row]
		if w.selected {
			w.cur[0] = w.made[0]
			w.made[0]++
		}
	}
	w.def = def
	w.fresh = w.depth + 1
	if w.selected {
		j := int(rep)
		if j < 1 {
			j = 1
		}
		if j <= w.depth && def >= w.defAt[j-1] {
			w.fresh = j
		}
		for ; j <= w.depth && def >= w.defAt[j-1]; j++ {
			w.cur[j] = w.made[j]
			w.made[j]++
		}
	}
	return true
}

// has reports whether the current entry holds an element at depth d.
func (w *levelWalker) has(d int) bool { return d == 0 || w.def >= w.defAt[d-1] }

// finish checks that the walk ended where the batch ends and that it
// counted want elements at depth d, as the structure column did.
func (w *levelWalker) finish(rows int, d int, want int32) error {
	if w.err != nil {
		return w.err
	}
	if err := w.r.Err(); err != nil {
		return err
	}
	if w.row+1 != rows {
		return fmt.Errorf("%w: column %v has %d rows in a batch of %d", column.ErrCorrupt, w.r.Leaf().Path, w.row+1, rows)
	}
	if w.made[d] != want {
		return fmt.Errorf("%w: column %v has %d elements at depth %d, want %d", column.ErrCorrupt, w.r.Leaf().Path, w.made[d], d, want)
	}
	return nil
}
