package blocks

import (
	"encoding/binary"
	"sync"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// resolvedSchema is what opening a file works out from its schema alone:
// the attribute layout, the leaves the readers use and the columns of the
// trace-level times. It is shared, read-only, by every file whose footer
// lists the same schema.
type resolvedSchema struct {
	layout           layout
	leaves           *fileLeaves
	startCol, endCol int // -1 when absent

	// columns are the leaves of every column, by column index, for the
	// readers of every column (a column merge, blocks verify); worked out
	// on first use (columnLeaves).
	columnsOnce sync.Once
	columns     []leaf
}

// columnLeaves returns the leaf of every column of s, the schema r
// resolves (ok false where column.Lookup resolves none).
func (r *resolvedSchema) columnLeaves(s *parquet.Schema) []leaf {
	r.columnsOnce.Do(func() {
		paths := s.Columns()
		r.columns = make([]leaf, len(paths))
		for c, p := range paths {
			r.columns[c] = lookupLeaf(s, p)
		}
	})
	return r.columns
}

// The blocks of a tenant mostly share one schema, and resolving it again
// for every file (parquet-go builds a column mapping of the whole schema
// for the first lookup, then one lookup per leaf) took a quarter of the
// CPU of a search over 990 small blocks. Resolutions are kept by
// schemaKey, up to maxResolvedSchemas distinct schemas (damaged or
// unusual files beyond that are resolved each time).
var (
	resolvedMu      sync.Mutex
	resolvedSchemas = map[string]*resolvedSchema{}
)

const maxResolvedSchemas = 64

// resolveSchema returns f's resolution, from the cache when a file with
// the same schema was resolved before.
func resolveSchema(f *parquet.File) (*resolvedSchema, error) {
	key := schemaKey(f.Metadata().Schema, f.Schema())
	resolvedMu.Lock()
	r, ok := resolvedSchemas[key]
	resolvedMu.Unlock()
	if ok {
		return r, nil
	}
	s := f.Schema()
	l, err := detectLayout(s)
	if err != nil {
		return nil, err
	}
	leaves, err := resolveLeaves(s, l)
	if err != nil {
		return nil, err
	}
	r = &resolvedSchema{layout: l, leaves: leaves, startCol: -1, endCol: -1}
	if c, ok := s.Lookup("StartTimeUnixNano"); ok {
		r.startCol = c.ColumnIndex
	}
	if c, ok := s.Lookup("EndTimeUnixNano"); ok {
		r.endCol = c.ColumnIndex
	}
	resolvedMu.Lock()
	if len(resolvedSchemas) < maxResolvedSchemas {
		resolvedSchemas[key] = r
	}
	resolvedMu.Unlock()
	return r, nil
}

// schemaKey encodes what a resolution depends on: for every element of
// a footer's schema, in order, its name, number of children, repetition,
// physical type and type length; then the kind parquet-go gives every leaf
// of the schema it built from them (root), which the logical and converted
// types can change (an INT64 annotated as a 32-bit integer is read as
// INT32). Two files with the same key have the same leaves at the same
// column indexes, with the same levels and kinds.
func schemaKey(elems []format.SchemaElement, root parquet.Node) string {
	b := make([]byte, 0, 25*len(elems))
	for i := range elems {
		e := &elems[i]
		b = binary.AppendUvarint(b, uint64(len(e.Name)))
		b = append(b, e.Name...)
		b = binary.AppendVarint(b, nullInt(e.NumChildren.Valid, int64(e.NumChildren.V)))
		b = binary.AppendVarint(b, nullInt(e.RepetitionType.Valid, int64(e.RepetitionType.V)))
		b = binary.AppendVarint(b, nullInt(e.Type.Valid, int64(e.Type.V)))
		b = binary.AppendVarint(b, nullInt(e.TypeLength.Valid, int64(e.TypeLength.V)))
	}
	return string(appendLeafKinds(b, root))
}

// appendLeafKinds appends the kind of every leaf under n, depth first.
func appendLeafKinds(b []byte, n parquet.Node) []byte {
	if n.Leaf() {
		return append(b, byte(n.Type().Kind()))
	}
	for _, f := range n.Fields() {
		b = appendLeafKinds(b, f)
	}
	return b
}

// nullInt is v, or -1 when it is absent.
func nullInt(valid bool, v int64) int64 {
	if !valid {
		return -1
	}
	return v
}
