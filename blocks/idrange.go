package blocks

import (
	"bytes"

	"github.com/parquet-go/parquet-go/format"

	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/model"
)

// groupIDRange returns the TraceID range of row group rg from its own
// statistics in column col. Only the unsigned MinValue/MaxValue count
// (the deprecated Min/Max of old writers may be signed), and only a
// 16-byte range in order; anything else is no range (ok false).
func groupIDRange(rg format.RowGroup, col int) (lo, hi []byte, ok bool) {
	if col < 0 || col >= len(rg.Columns) {
		return nil, nil, false
	}
	st := rg.Columns[col].MetaData.Statistics
	lo, hi = st.MinValue, st.MaxValue
	if len(lo) != len(model.TraceID{}) || len(hi) != len(lo) || bytes.Compare(lo, hi) > 0 {
		return nil, nil, false
	}
	return lo, hi, true
}

// groupsInIDOrder reports whether the statistics of p's row groups put
// their TraceID ranges in order, each starting at or after the end of the
// one before (a trace's rows may straddle two), as in the blocks tracectl
// and Tempo write. Without that, a row group may hold IDs below those of
// the one before.
func (p *pfile) groupsInIDOrder() bool {
	if !p.leaves.traceID.ok {
		return false
	}
	var end []byte
	for _, rg := range p.file.Metadata().RowGroups {
		lo, hi, ok := groupIDRange(rg, p.leaves.traceID.Index)
		if !ok || bytes.Compare(lo, end) < 0 {
			return false
		}
		end = hi
	}
	return true
}

// mayHold reports whether row group g's TraceID range [lo, hi] (from its
// statistics) may hold a trace anyIn reports; without a usable range it
// reports true.
func (p *pfile) mayHold(g int, anyIn func(lo, hi []byte) bool) bool {
	if !p.leaves.traceID.ok {
		return true
	}
	lo, hi, ok := groupIDRange(p.file.Metadata().RowGroups[g], p.leaves.traceID.Index)
	if !ok {
		return true
	}
	return anyIn(lo, hi)
}

// anyIDIn returns whether one of ids lies in [lo, hi], for mayHold.
func anyIDIn(ids map[model.TraceID]bool) func(lo, hi []byte) bool {
	return func(lo, hi []byte) bool {
		for id := range ids {
			if bytes.Compare(id[:], lo) >= 0 && bytes.Compare(id[:], hi) <= 0 {
				return true
			}
		}
		return false
	}
}

// firstTraceID returns the trace ID of the file's first row (its
// smallest, in a block sorted by ID); ok is false when there is none or
// it does not read.
func (p *pfile) firstTraceID() (id model.TraceID, ok bool) {
	l := p.leaves.traceID
	if !l.ok {
		return id, false
	}
	for _, rg := range p.file.RowGroups() {
		if rg.NumRows() == 0 {
			continue
		}
		r := column.NewReader(rg.ColumnChunks()[l.Index], l.Leaf)
		defer r.Close()
		if !r.More() || !r.Present() || len(r.Bytes()) != len(id) {
			return id, false
		}
		return model.TraceID(r.Bytes()), true
	}
	return id, false
}
