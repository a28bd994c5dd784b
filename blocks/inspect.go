package blocks

import (
	"context"
	"encoding/hex"
	"strings"
)

// Inspection describes a block's data.parquet as stored: row groups and
// column chunks, from the parquet footer only.
type Inspection struct {
	Meta Meta  `json:"meta"`
	Rows int64 `json:"rows"`
	// CreatedBy is the footer's created_by: the program that wrote the
	// file (tracectl names its version and build).
	CreatedBy string `json:"createdBy"`
	// DedicatedColumns are the attributes the block keeps in dedicated
	// columns, with the column of each.
	DedicatedColumns []DedicatedColumnInfo `json:"dedicatedColumns"`
	RowGroups        []RowGroupInfo        `json:"rowGroups"`
	Columns          []ColumnInfo          `json:"columns"`
}

// RowGroupInfo is one parquet row group.
type RowGroupInfo struct {
	Index             int    `json:"index"`
	Rows              int64  `json:"rows"`
	CompressedBytes   int64  `json:"compressedBytes"`
	UncompressedBytes int64  `json:"uncompressedBytes"`
	MinTraceID        string `json:"minTraceID"`
	MaxTraceID        string `json:"maxTraceID"`
}

// ColumnInfo is one leaf column, summed over the row groups.
type ColumnInfo struct {
	Path              string   `json:"path"`
	Type              string   `json:"type"`
	Codec             string   `json:"codec"`
	Encodings         []string `json:"encodings"`
	Values            int64    `json:"values"`
	CompressedBytes   int64    `json:"compressedBytes"`
	UncompressedBytes int64    `json:"uncompressedBytes"`
}

// Inspect reads the parquet footer and summarises the block.
func (b *Block) Inspect(ctx context.Context) (Inspection, error) {
	p, err := b.open(ctx)
	if err != nil {
		return Inspection{}, err
	}
	md := p.file.Metadata()
	ins := Inspection{Meta: b.meta, Rows: md.NumRows, CreatedBy: md.CreatedBy, DedicatedColumns: DedicatedColumnsOf(b.meta)}
	byPath := map[string]int{}
	for i, rg := range md.RowGroups {
		info := RowGroupInfo{Index: i, Rows: rg.NumRows, UncompressedBytes: rg.TotalByteSize}
		for ci, c := range rg.Columns {
			cm := c.MetaData
			info.CompressedBytes += cm.TotalCompressedSize
			if ci == 0 {
				info.MinTraceID = hex.EncodeToString(statMin(cm.Statistics.MinValue, cm.Statistics.Min))
				info.MaxTraceID = hex.EncodeToString(statMin(cm.Statistics.MaxValue, cm.Statistics.Max))
			}
			path := strings.Join(cm.PathInSchema, ".")
			k, ok := byPath[path]
			if !ok {
				k = len(ins.Columns)
				byPath[path] = k
				typ := cm.Type.String()
				if leaf, ok := p.file.Schema().Lookup(cm.PathInSchema...); ok && leaf.Node != nil {
					if lt := leaf.Node.Type().LogicalType(); lt != nil {
						typ += " " + lt.String()
					}
				}
				ins.Columns = append(ins.Columns, ColumnInfo{Path: path, Type: typ, Codec: cm.Codec.String()})
			}
			col := &ins.Columns[k]
			col.Values += cm.NumValues
			col.CompressedBytes += cm.TotalCompressedSize
			col.UncompressedBytes += cm.TotalUncompressedSize
			for _, e := range cm.Encoding {
				if !contains(col.Encodings, e.String()) {
					col.Encodings = append(col.Encodings, e.String())
				}
			}
		}
		ins.RowGroups = append(ins.RowGroups, info)
	}
	return ins, nil
}

func statMin(v, legacy []byte) []byte {
	if len(v) > 0 {
		return v
	}
	return legacy
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
