package blocks

import "github.com/tracectl/tracectl/blocks/metadata"

// FormatVParquet4 is the only block format tracectl reads and writes.
const FormatVParquet4 = metadata.FormatVParquet4

// Object names inside a block folder.
const (
	dataObject          = "data.parquet"
	indexObject         = "index"
	metaObject          = "meta.json"
	compactedMetaObject = "meta.compacted.json"
	markObject          = "rewrite.json"
)

// Meta is a block's meta.json (metadata.Meta): an alias, so that callers
// of blocks need no second import.
type Meta = metadata.Meta

// DedicatedColumn is an entry of meta.dedicatedColumns
// (metadata.DedicatedColumn).
type DedicatedColumn = metadata.DedicatedColumn

// Dedicated column scopes.
const (
	ScopeSpan     = metadata.ScopeSpan
	ScopeResource = metadata.ScopeResource
)

// isUsableDedicated reports whether a vParquet4 writer/reader gives the
// column a slot: string, without options, in the resource or span scope,
// and not an attribute that already has a static column.
func isUsableDedicated(d DedicatedColumn) bool {
	if (d.Type != "" && d.Type != "string") || len(d.Options) != 0 || d.Name == "" {
		return false
	}
	switch d.EffectiveScope() {
	case ScopeResource:
		if d.Name == "service.name" {
			return false
		}
		for _, k := range resourceStatic {
			if d.Name == k {
				return false
			}
		}
		return true
	case ScopeSpan:
		return d.Name != keyHTTPMethod && d.Name != keyHTTPURL && d.Name != keyHTTPStatusCode
	}
	return false
}

// dedicatedSlots maps attribute name to spare column index per scope for
// the usable entries of cols, in file order (n-th entry owns String<n>).
func dedicatedSlots(cols []DedicatedColumn) (resource, span map[string]int) {
	resource, span = map[string]int{}, map[string]int{}
	for _, c := range cols {
		if !isUsableDedicated(c) {
			continue
		}
		m := span
		if c.EffectiveScope() == ScopeResource {
			m = resource
		}
		if _, dup := m[c.Name]; dup || len(m) >= maxDedicated {
			continue
		}
		m[c.Name] = len(m)
	}
	return resource, span
}
