package metadata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tracectl/tracectl/model"
)

// FormatVParquet4 is the only block format tracectl reads and writes.
const FormatVParquet4 = "vParquet4"

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

// Decode decodes a meta.json or meta.compacted.json and checks that the
// block is vParquet4. Errors start with key, the object's name.
func Decode(b []byte, key string) (Meta, error) {
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", key, err)
	}
	if m.Format != FormatVParquet4 {
		return m, fmt.Errorf("%s: unsupported block format %q (want %s)", key, m.Format, FormatVParquet4)
	}
	return m, nil
}

// TimeRange returns the span time range the meta covers in Unix ns, both
// ends included: the end is widened by a second because meta times are
// truncated to seconds.
func (m Meta) TimeRange() (uint64, uint64) {
	return uint64(m.StartTime.UnixNano()), uint64(m.EndTime.Add(time.Second).UnixNano()) - 1
}

// MayHoldIDs reports whether the block's [MinID, MaxID] (when its meta
// records them) meets the trace IDs [lo, hi].
func (m Meta) MayHoldIDs(lo, hi model.TraceID) bool {
	if len(m.MinID) != 16 || len(m.MaxID) != 16 {
		return true
	}
	return bytes.Compare(m.MaxID, lo[:]) >= 0 && bytes.Compare(m.MinID, hi[:]) <= 0
}

// BloomShardCount is the number of bloom-<i> objects of the block:
// BloomShards, or the legacy 10 when the meta leaves it 0.
func (m Meta) BloomShardCount() int {
	if m.BloomShards == 0 {
		return 10
	}
	return m.BloomShards
}
