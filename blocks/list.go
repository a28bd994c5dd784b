package blocks

import (
	"context"
	"encoding/json"
	"strings"

	"golang.org/x/sync/errgroup"
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
// reads each block's footer and no data pages.
func (s *Store) List(ctx context.Context) ([]BlockInfo, error) {
	metas, err := s.Blocks(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]BlockInfo, len(metas))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, m := range metas {
		out[i].Meta = m
		g.Go(func() error {
			n, err := s.block(m).spanCount(gctx)
			out[i].Spans = n
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// spanCount sums the SpanID column's non-null values over all row groups.
func (b *Block) spanCount(ctx context.Context) (int64, error) {
	p, err := b.store.openOrSkip(ctx, b)
	if err != nil || p == nil {
		return 0, err // a damaged block counts no spans (Store.Damaged)
	}
	var n int64
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
	return n, nil
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
