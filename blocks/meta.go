package blocks

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// FormatVParquet4 is the only block format tracectl reads and writes.
const FormatVParquet4 = "vParquet4"

// Object names inside a block folder.
const (
	dataObject          = "data.parquet"
	indexObject         = "index"
	metaObject          = "meta.json"
	compactedMetaObject = "meta.compacted.json"
	bloomPrefix         = "bloom-"
	markObject          = "rewrite.json"
)

// Meta is a block's meta.json (and, with CompactedTime set, its
// meta.compacted.json). Field names and JSON shape follow Tempo so that a
// Tempo meta.json decodes and re-encodes to the same bytes.
type Meta struct {
	Format   string    `json:"format"`
	BlockID  uuid.UUID `json:"blockID"`
	MinID    []byte    `json:"minID,omitempty"`
	MaxID    []byte    `json:"maxID,omitempty"`
	TenantID string    `json:"tenantID"`
	// StartTime and EndTime are the earliest span start and the latest
	// span end, truncated to the second.
	StartTime       time.Time `json:"startTime"`
	EndTime         time.Time `json:"endTime"`
	TotalObjects    int       `json:"totalObjects"`
	Size            uint64    `json:"size"`
	CompactionLevel uint32    `json:"compactionLevel"`
	// Encoding and DataEncoding are legacy fields; written as Tempo does.
	Encoding      string `json:"encoding"`
	IndexPageSize uint32 `json:"indexPageSize"`
	// TotalRecords is the number of parquet row groups.
	TotalRecords int    `json:"totalRecords"`
	DataEncoding string `json:"dataEncoding"`
	BloomShards  int    `json:"bloomShards"`
	// FooterSize is the length of the parquet footer (without the last 8 bytes).
	FooterSize       uint32            `json:"footerSize"`
	DedicatedColumns []DedicatedColumn `json:"dedicatedColumns,omitempty"`
	// ReplicationFactor is 1 for blocks written by tracectl.
	ReplicationFactor uint32 `json:"replicationFactor,omitempty"`
	// CompactedTime is set only in meta.compacted.json.
	CompactedTime time.Time `json:"-"`
}

// DedicatedColumn assigns an attribute to a spare String<nn> column. Scope
// "" means span and Type "" means string, as in Tempo's JSON.
type DedicatedColumn struct {
	Scope   string   `json:"s,omitempty"`
	Name    string   `json:"n"`
	Type    string   `json:"t,omitempty"`
	Options []string `json:"o,omitempty"`
}

// dedicatedWire is a DedicatedColumn in meta.json: Tempo's short keys,
// with the defaults (span, string) left out as Tempo leaves them out.
type dedicatedWire struct {
	Scope   string   `json:"s,omitempty"`
	Name    string   `json:"n"`
	Type    string   `json:"t,omitempty"`
	Options []string `json:"o,omitempty"`
}

// MarshalJSON writes the column as Tempo's vParquet4 meta.json does:
// {"s":"resource","n":"k"} or, for a span string column, {"n":"k"}.
func (d DedicatedColumn) MarshalJSON() ([]byte, error) {
	w := dedicatedWire(d)
	if w.Scope == ScopeSpan {
		w.Scope = ""
	}
	if w.Type == "string" {
		w.Type = ""
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads Tempo's short keys (s, n, t, o) and, for metas
// written by hand or by other tools, the long ones (scope, name, type,
// options); a short key wins when both are present.
func (d *DedicatedColumn) UnmarshalJSON(b []byte) error {
	var w struct {
		dedicatedWire
		LongScope   string   `json:"scope"`
		LongName    string   `json:"name"`
		LongType    string   `json:"type"`
		LongOptions []string `json:"options"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*d = DedicatedColumn(w.dedicatedWire)
	if d.Scope == "" {
		d.Scope = w.LongScope
	}
	if d.Name == "" {
		d.Name = w.LongName
	}
	if d.Type == "" {
		d.Type = w.LongType
	}
	if d.Options == nil {
		d.Options = w.LongOptions
	}
	return nil
}

// Dedicated column scopes.
const (
	ScopeSpan     = "span"
	ScopeResource = "resource"
)

func (d DedicatedColumn) scope() string {
	if d.Scope == "" {
		return ScopeSpan
	}
	return d.Scope
}

// usable reports whether a vParquet4 writer/reader gives the column a slot:
// string, without options, in the resource or span scope, and not an
// attribute that already has a static column.
func (d DedicatedColumn) usable() bool {
	if (d.Type != "" && d.Type != "string") || len(d.Options) != 0 || d.Name == "" {
		return false
	}
	switch d.scope() {
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

type metaJSON Meta

type metaWire struct {
	metaJSON
	CompactedTime *time.Time `json:"compactedTime,omitempty"`
}

// MarshalJSON encodes the meta in Tempo's field order.
func (m Meta) MarshalJSON() ([]byte, error) {
	w := metaWire{metaJSON: metaJSON(m)}
	if !m.CompactedTime.IsZero() {
		t := m.CompactedTime
		w.CompactedTime = &t
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes a Tempo or tracectl meta.json / meta.compacted.json.
func (m *Meta) UnmarshalJSON(b []byte) error {
	var w metaWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*m = Meta(w.metaJSON)
	if w.CompactedTime != nil {
		m.CompactedTime = *w.CompactedTime
	}
	return nil
}

// timeRange returns the span time range the meta covers in Unix ns: the
// end is widened by a second because meta times are truncated to seconds.
func (m Meta) timeRange() (uint64, uint64) {
	return uint64(m.StartTime.UnixNano()), uint64(m.EndTime.Add(time.Second).UnixNano()) - 1
}

func decodeMeta(b []byte, key string) (Meta, error) {
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", key, err)
	}
	if m.Format != FormatVParquet4 {
		return m, fmt.Errorf("%s: unsupported block format %q (want %s)", key, m.Format, FormatVParquet4)
	}
	return m, nil
}

// dedicatedSlots maps attribute name to spare column index per scope for
// the usable entries of cols, in file order (n-th entry owns String<n>).
func dedicatedSlots(cols []DedicatedColumn) (resource, span map[string]int) {
	resource, span = map[string]int{}, map[string]int{}
	for _, c := range cols {
		if !c.usable() {
			continue
		}
		m := span
		if c.scope() == ScopeResource {
			m = resource
		}
		if _, dup := m[c.Name]; dup || len(m) >= maxDedicated {
			continue
		}
		m[c.Name] = len(m)
	}
	return resource, span
}
