package blocks

import (
	"reflect"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go"

	"github.com/tracectl/tracectl/store"
)

// Column projection: a scan that needs only some parts of the spans
// (store.Fields) decodes a pruned schema, so parquet-go reads, decompresses
// and decodes only those columns; the other fields of the rows stay zero.
//
// The pruned schema keeps the original nodes (and their Go field bindings)
// and only hides fields, so rows still reconstruct into pqTrace and
// pqLegacyTrace, column order is the file's, and the conversion from the
// file schema is a pure column selection.

// keepColumn reports whether the leaf at path is decoded for f. path is the
// logical path: the "list" and "element" levels of LIST groups and the
// "key_value" level of maps are left out (e.g. rs.ss.Spans.Attrs.Key).
// Dropped counts go with the part they count; span TraceState and the
// derived TraceIDText and ServiceStats are never decoded in a projection.
func keepColumn(path []string, f *store.Fields) bool {
	if f == nil {
		return true
	}
	at := func(i int) string {
		if i < len(path) {
			return path[i]
		}
		return ""
	}
	switch at(0) {
	case "TraceID", "StartTimeUnixNano", "EndTimeUnixNano", "DurationNano", "RootServiceName", "RootSpanName":
		return true
	case "rs":
	default:
		return false
	}
	if f.Minimal && isMinimalLeft(path) {
		return false
	}
	switch at(1) {
	case "Resource":
		return at(2) == "ServiceName" || f.ResourceAttributes
	case "ss":
	default:
		return false
	}
	switch at(2) {
	case "Scope":
		return at(3) == "Name" || at(3) == "Version" || f.ScopeAttributes
	case "Spans":
	default:
		return false
	}
	switch at(3) {
	case "SpanID", "ParentSpanID", "ParentID", "NestedSetLeft", "NestedSetRight", "Name", "Kind",
		"StartTimeUnixNano", "DurationNano", "StatusCode", "StatusMessage":
		return true
	case "Attrs", "DroppedAttributesCount", "HttpMethod", "HttpUrl", "HttpStatusCode", "DedicatedAttributes":
		return f.SpanAttributes
	case "Events", "DroppedEventsCount":
		return f.Events
	case "Links", "DroppedLinksCount":
		return f.Links
	}
	return false // TraceState
}

// isMinimalLeft reports whether the leaf at path is one a minimal
// projection (store.Fields.Minimal) leaves out: a dropped count, a span's
// parent index or nested-set numbers, a scope's name or
// version.
func isMinimalLeft(path []string) bool {
	last := path[len(path)-1]
	if last == "DroppedAttributesCount" || last == "DroppedEventsCount" || last == "DroppedLinksCount" {
		return true
	}
	switch {
	case len(path) == 4 && path[1] == "ss" && path[2] == "Spans":
		// Not the status message: model.KeyOf hashes it for a span without
		// an ID, so the parts of a trace split across blocks merge alike
		// whatever the projection.
		return last == "ParentID" || last == "NestedSetLeft" || last == "NestedSetRight"
	case len(path) == 4 && path[1] == "ss" && path[2] == "Scope":
		return last == "Name" || last == "Version"
	}
	return false
}

// listLevel reports whether a schema level named name is one of the
// levels of a LIST or MAP group, which a logical path leaves out.
func listLevel(name string) bool {
	return name == "list" || name == "element" || name == "key_value"
}

// logicalPath returns the logical path (see keepColumn) of a leaf's path
// in the file schema.
func logicalPath(path []string) []string {
	var out []string
	for _, name := range path {
		if !listLevel(name) {
			out = append(out, name)
		}
	}
	return out
}

// projectionKey identifies a cached pruned schema.
type projectionKey struct {
	layout layout
	fields store.Fields
}

var projections sync.Map // projectionKey → *parquet.Schema

// projectedSchema returns the schema of layout l pruned to f (the full
// schema when f is nil or asks for everything).
func projectedSchema(l layout, f *store.Fields) *parquet.Schema {
	full := traceSchema()
	if l == layoutLegacy {
		full = legacyTraceSchema()
	}
	if f == nil || *f == store.AllFields {
		return full
	}
	key := projectionKey{l, *f}
	if s, ok := projections.Load(key); ok {
		return s.(*parquet.Schema)
	}
	root, _, _ := prune(full, nil, func(path []string) bool { return keepColumn(path, f) })
	s := parquet.NewSchema(full.Name(), root)
	projections.Store(key, s)
	return s
}

// prune returns n without the leaves whose logical path keep rejects; ok is
// false when nothing under n is kept, changed when something was left out.
func prune(n parquet.Node, path []string, keep func(path []string) bool) (out parquet.Node, ok, changed bool) {
	if n.Leaf() {
		return n, keep(path), false
	}
	var kept []parquet.Field
	for _, fld := range n.Fields() {
		p := path
		if name := fld.Name(); !listLevel(name) {
			p = append(path[:len(path):len(path)], name)
		}
		child, ok, ch := prune(fld, p, keep)
		if !ok {
			changed = true
			continue
		}
		if ch {
			changed = true
			kept = append(kept, &prunedField{Node: child, orig: fld})
		} else {
			kept = append(kept, fld)
		}
	}
	if len(kept) == 0 {
		return nil, false, true
	}
	if !changed {
		return n, true, false
	}
	return &prunedGroup{Node: n, fields: kept}, true, true
}

// prunedGroup is a group node showing only some of its fields; everything
// else (repetition, logical type, Go type) is the original node's.
type prunedGroup struct {
	parquet.Node
	fields []parquet.Field
}

func (g *prunedGroup) Fields() []parquet.Field { return g.fields }

func (g *prunedGroup) String() string {
	var b strings.Builder
	b.WriteString("group{")
	for i, f := range g.fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Name())
		b.WriteString(": ")
		b.WriteString(f.String())
	}
	b.WriteString("}")
	return b.String()
}

// prunedField is a field whose node may be pruned; its name and Go value
// binding are the original field's.
type prunedField struct {
	parquet.Node
	orig parquet.Field
}

func (f *prunedField) Name() string                           { return f.orig.Name() }
func (f *prunedField) Value(base reflect.Value) reflect.Value { return f.orig.Value(base) }
