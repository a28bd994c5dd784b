package blocks

import (
	"bytes"

	"github.com/tracectl/tracectl/model"
)

// mayHoldAny reports whether row group g's TraceID range (from its
// statistics) contains one of ids; without statistics it reports true.
func (p *pfile) mayHoldAny(g int, ids map[model.TraceID]bool) bool {
	if len(ids) == 0 {
		return false
	}
	st := p.file.Metadata().RowGroups[g].Columns[0].MetaData.Statistics
	lo, hi := st.MinValue, st.MaxValue
	if len(lo) == 0 || len(hi) == 0 {
		return true
	}
	for id := range ids {
		if bytes.Compare(id[:], lo) >= 0 && bytes.Compare(id[:], hi) <= 0 {
			return true
		}
	}
	return false
}

// mayHoldIDs reports whether the block's [MinID, MaxID] (when its meta
// records them) meets the trace IDs [lo, hi].
func (m Meta) mayHoldIDs(lo, hi model.TraceID) bool {
	if len(m.MinID) != 16 || len(m.MaxID) != 16 {
		return true
	}
	return bytes.Compare(m.MaxID, lo[:]) >= 0 && bytes.Compare(m.MinID, hi[:]) <= 0
}
