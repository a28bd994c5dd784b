package blocks

import (
	"bytes"

	"github.com/parquet-go/parquet-go"

	"github.com/tracectl/tracectl/model"
)

// serviceNamePath is the resource service.name column.
var serviceNamePath = []string{"rs", "list", "element", "Resource", "ServiceName"}

// lacksServices reports whether no span of row group g can have one of
// services, from the ServiceName column chunk's min/max statistics or,
// failing those, its dictionary (one small read). Without either it
// reports false.
func (p *pfile) lacksServices(g int, services []string) bool {
	leaf, ok := p.file.Schema().Lookup(serviceNamePath...)
	if !ok {
		return false
	}
	col := leaf.ColumnIndex
	st := p.file.Metadata().RowGroups[g].Columns[col].MetaData.Statistics
	lo, hi := st.MinValue, st.MaxValue
	if len(lo) == 0 && len(hi) == 0 {
		lo, hi = st.Min, st.Max
	}
	if len(hi) > 0 {
		inRange := false
		for _, s := range services {
			if bytes.Compare([]byte(s), lo) >= 0 && bytes.Compare([]byte(s), hi) <= 0 {
				inRange = true
				break
			}
		}
		if !inRange {
			return true
		}
	}
	chunk, ok := p.file.RowGroups()[g].ColumnChunks()[col].(*parquet.FileColumnChunk)
	if !ok {
		return false
	}
	pages, ok := chunk.Pages().(*parquet.FilePages)
	if !ok {
		return false
	}
	defer pages.Close()
	dict, err := pages.ReadDictionary()
	if err != nil || dict == nil {
		return false
	}
	want := make(map[string]bool, len(services))
	for _, s := range services {
		want[s] = true
	}
	for i := 0; i < dict.Len(); i++ {
		if want[string(dict.Index(int32(i)).ByteArray())] {
			return false
		}
	}
	return true
}

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
