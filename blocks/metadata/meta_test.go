package metadata

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/model"
)

// tempoMeta is the meta.json of the block in Tempo's own test data.
const tempoMeta = "tempo/vparquet4-block/single-tenant/b27b0e53-66a0-4505-afd6-434ae3cd4a10/meta.json"

// TestDecodeTempoMeta: Tempo's meta.json decodes and re-encodes to the
// same bytes.
func TestDecodeTempoMeta(t *testing.T) {
	raw, err := os.ReadFile(fixtures.Path(t, tempoMeta))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(raw, "meta.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != strings.TrimSpace(string(raw)) {
		t.Errorf("meta.json does not round-trip:\n got %s\nwant %s", out, raw)
	}
	if m.FooterSize != 17711 || len(m.DedicatedColumns) != 5 || m.DedicatedColumns[0].EffectiveScope() != ScopeResource {
		t.Errorf("unexpected meta %+v", m)
	}
}

// TestCompactedTime: compactedTime is written only when set, and read back.
func TestCompactedTime(t *testing.T) {
	m := Meta{Format: FormatVParquet4, TenantID: "t"}
	live, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(live), "compactedTime") {
		t.Errorf("live meta carries compactedTime: %s", live)
	}
	m.CompactedTime = time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	compacted, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(compacted, "meta.compacted.json")
	if err != nil {
		t.Fatal(err)
	}
	if !back.CompactedTime.Equal(m.CompactedTime) {
		t.Errorf("compactedTime %v, want %v (%s)", back.CompactedTime, m.CompactedTime, compacted)
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, in := range []string{`{"format":"vParquet3"}`, `{"format":`, `[]`} {
		if _, err := Decode([]byte(in), "x/meta.json"); err == nil || !strings.HasPrefix(err.Error(), "x/meta.json: ") {
			t.Errorf("Decode(%s) = %v, want an error naming x/meta.json", in, err)
		}
	}
}

func TestMayHoldIDs(t *testing.T) {
	id := func(b byte) model.TraceID { return model.TraceID{15: b} }
	bytesOf := func(b byte) []byte { v := id(b); return v[:] }
	ranged := Meta{MinID: bytesOf(10), MaxID: bytesOf(20)}
	tests := []struct {
		m      Meta
		lo, hi byte
		want   bool
	}{
		{ranged, 0, 9, false},
		{ranged, 21, 30, false},
		{ranged, 0, 10, true},
		{ranged, 20, 30, true},
		{ranged, 12, 13, true},
		{Meta{MinID: bytesOf(10)}, 0, 1, true}, // no MaxID: no range
		{Meta{MinID: []byte{1}, MaxID: []byte{2}}, 0, 1, true},
	}
	for i, tc := range tests {
		if got := tc.m.MayHoldIDs(id(tc.lo), id(tc.hi)); got != tc.want {
			t.Errorf("%d: MayHoldIDs(%d, %d) = %v, want %v", i, tc.lo, tc.hi, got, tc.want)
		}
	}
}

// TestTimeRange: meta times are truncated to the second, so the range
// ends just before the next second.
func TestTimeRange(t *testing.T) {
	start := time.Unix(100, 0)
	m := Meta{StartTime: start, EndTime: start.Add(2 * time.Second)}
	lo, hi := m.TimeRange()
	if lo != 100e9 || hi != 103e9-1 {
		t.Errorf("TimeRange() = %d, %d", lo, hi)
	}
}

func TestBloomShardCount(t *testing.T) {
	if n := (Meta{}).BloomShardCount(); n != 10 {
		t.Errorf("legacy meta: %d shards, want 10", n)
	}
	if n := (Meta{BloomShards: 3}).BloomShardCount(); n != 3 {
		t.Errorf("%d shards, want 3", n)
	}
}
