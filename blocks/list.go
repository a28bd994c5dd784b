package blocks

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/tracectl/tracectl/internal/workers"
)

// BlockInfo is a block's meta plus its span count.
type BlockInfo struct {
	Meta
	// Spans is the number of spans, read from the parquet footer alone.
	Spans int64 `json:"spans"`
}

// spanIDColumn is the leaf column holding one value per span.
const spanIDColumn = "rs.list.element.ss.list.element.Spans.list.element.SpanID"

// List returns the live blocks like Blocks, each with its span count. The
// count comes from the footer's column-chunk metadata of the SpanID column
// (values minus nulls, as empty lists are stored as one null), so listing
// reads each block's footer and no data pages. A block whose data file is
// damaged is left out, as every read leaves it out (Store.Damaged says
// which).
func (s *Store) List(ctx context.Context) ([]BlockInfo, error) {
	metas, err := s.Blocks(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]BlockInfo, len(metas))
	ok := make([]bool, len(metas))
	for i, m := range metas {
		out[i].Meta = m
	}
	if err := workers.Each(ctx, len(metas), 8, func(ctx context.Context, i int) error {
		n, read, err := s.block(metas[i]).spanCount(ctx)
		out[i].Spans, ok[i] = n, read
		return err
	}); err != nil {
		return nil, err
	}
	kept := out[:0]
	for i := range out {
		if ok[i] {
			kept = append(kept, out[i])
		}
	}
	return kept, nil
}

// spanCount sums the SpanID column's non-null values over all row groups;
// read is false when the block's data file is damaged (Store.Damaged).
func (b *Block) spanCount(ctx context.Context) (n int64, read bool, err error) {
	p, err := b.store.openOrSkip(ctx, b)
	if err != nil || p == nil {
		return 0, false, err
	}
	for _, rg := range p.file.Metadata().RowGroups {
		for _, c := range rg.Columns {
			if strings.Join(c.MetaData.PathInSchema, ".") != spanIDColumn {
				continue
			}
			n += c.MetaData.NumValues
			if c.MetaData.Statistics.NullCount > 0 {
				n -= c.MetaData.Statistics.NullCount
			}
		}
	}
	return n, true, nil
}

// MarshalJSON renders the meta.json fields plus "spans" (Meta's own
// MarshalJSON would otherwise be promoted and drop Spans).
func (bi BlockInfo) MarshalJSON() ([]byte, error) {
	m, err := bi.Meta.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(m, &obj); err != nil {
		return nil, err
	}
	obj["spans"], _ = json.Marshal(bi.Spans)
	return json.Marshal(obj)
}
