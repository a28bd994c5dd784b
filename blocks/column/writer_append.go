package column

import (
	"errors"
	"fmt"

	"github.com/parquet-go/parquet-go"
)

// Append adds the next n rows of r (all that are left when n < 0), a
// column chunk of the same leaf (kind and levels) positioned at the start
// of a row, as rows of c: they follow the rows written so far as
// WriteValues would write them one by one, but with levels and values
// taken straight from r's pages, without a Values row per row. Dictionary
// values are looked up in c's dictionary once per distinct value of r's
// dictionary. Pages are cut at the rows WriteValues would cut them. It
// returns the rows added; a chunk that ends before n rows is an error
// wrapping ErrCorrupt, as is an error of r, and any error leaves c
// failed.
func (c *ChunkWriter) Append(r *Reader, n int64) (rows int64, err error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.closed {
		return 0, errClosed
	}
	if c.copied != nil {
		c.err = c.errorf(errors.New("rows appended to a copied chunk"))
		return 0, c.err
	}
	rows, err = c.append(r, n)
	if err != nil {
		c.err = err
	}
	return rows, err
}

func (c *ChunkWriter) append(r *Reader, n int64) (rows int64, err error) {
	l := c.leaf
	if rl := r.Leaf(); rl.Kind != l.kind || rl.MaxRep != l.maxRep || rl.MaxDef != l.maxDef {
		return 0, c.errorf(fmt.Errorf("appending a %s chunk at levels %d/%d to a %s column at levels %d/%d",
			rl.Kind, rl.MaxRep, rl.MaxDef, l.kind, l.maxRep, l.maxDef))
	}
	first := true
	for r.More() {
		reps, defs := r.PageLevels()
		pos, val := r.Position()
		for ; pos < len(reps); pos++ {
			rep, def := reps[pos], defs[pos]
			if first && rep != 0 {
				return rows, c.errorf(fmt.Errorf("%w: the first entry appended continues a row (repetition level %d)", ErrCorrupt, rep))
			}
			first = false
			if rep == 0 {
				if rows == n {
					r.Seek(pos, val)
					return rows, c.endAppend()
				}
				// WriteValues cuts the page after the row that fills it.
				if c.pendingSize() >= c.pageBytes {
					if err := c.flushPage(); err != nil {
						return rows, err
					}
				}
				c.pageRows++
				rows++
			}
			if !c.addEntry(rep, def) {
				continue
			}
			switch l.kind {
			case parquet.Boolean:
				c.addBool(r.BoolAt(val))
			case parquet.Int32:
				c.addInt32(r.Int32At(val))
			case parquet.Int64:
				c.addInt64(r.Int64At(val))
			case parquet.Double:
				c.addDouble(r.Float64At(val))
			case parquet.ByteArray:
				if i, d, ok := r.DictIndexAt(val); ok && l.dict {
					j, err := c.remapOf(d).index(c, d, i)
					if err != nil {
						return rows, err
					}
					c.addDictEntry(j)
				} else if err := c.addBytes(r.BytesAt(val)); err != nil {
					return rows, err
				}
			default:
				return rows, c.errorf(fmt.Errorf("a %s column", l.kind))
			}
			val++
		}
		r.Seek(pos, val)
	}
	if err := r.Err(); err != nil {
		return rows, err
	}
	if n >= 0 && rows < n {
		return rows, c.errorf(fmt.Errorf("%w: the chunk ends after %d of the %d rows appended", ErrCorrupt, rows, n))
	}
	return rows, c.endAppend()
}

// endAppend cuts the page after the last row appended when it is full,
// as WriteValues does after each row.
func (c *ChunkWriter) endAppend() error {
	if c.pendingSize() >= c.pageBytes {
		return c.flushPage()
	}
	return nil
}

// dictRemap maps the indexes of a source chunk's dictionary to the
// writer's, filled as values are met.
type dictRemap struct {
	idx []int32 // writer's index + 1; 0: not looked up yet
}

// remapOf returns the map of source dictionary d into the row group's
// dictionary. The maps live until the row group is flushed (its
// dictionary goes): a merge appends runs of rows of several chunks in
// turn, often a row at a time, and a map made per call cost the size of
// the source dictionary each time.
func (c *ChunkWriter) remapOf(d *Dict) *dictRemap {
	if m, ok := c.remaps[d]; ok {
		return m
	}
	if c.remaps == nil {
		c.remaps = map[*Dict]*dictRemap{}
	}
	m := &dictRemap{idx: make([]int32, d.Len())}
	c.remaps[d] = m
	return m
}

func (m *dictRemap) index(c *ChunkWriter, d *Dict, i int32) (int32, error) {
	if j := m.idx[i] - 1; j >= 0 {
		return j, nil
	}
	b := d.bytes(i)
	if err := c.checkDict(b); err != nil {
		return 0, err
	}
	j := c.dictIndex(b)
	m.idx[i] = j + 1
	return j, nil
}
