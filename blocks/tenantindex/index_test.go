package tenantindex

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tracectl/tracectl/blocks/metadata"
)

func entry(t *testing.T, m metadata.Meta) Entry {
	t.Helper()
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return Entry{Meta: &m, Raw: raw}
}

// TestEncodeDecode: Encode writes Tempo's gzip member and JSON shape with
// every entry's bytes as given; Decode keeps exactly the usable entries.
func TestEncodeDecode(t *testing.T) {
	created := time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC)
	meta := func(id string, tenant string, compacted bool) metadata.Meta {
		m := metadata.Meta{Format: metadata.FormatVParquet4, BlockID: uuid.MustParse(id), TenantID: tenant, TotalObjects: 7}
		if compacted {
			m.CompactedTime = created.Add(-time.Hour)
		}
		return m
	}
	const (
		a = "00000000-0000-0000-0000-00000000000a"
		b = "00000000-0000-0000-0000-00000000000b"
		c = "00000000-0000-0000-0000-00000000000c"
		d = "00000000-0000-0000-0000-00000000000d"
		e = "00000000-0000-0000-0000-00000000000e"
	)
	wrongFormat := meta(d, "t", false)
	wrongFormat.Format = "vParquet3"
	live := []Entry{
		entry(t, meta(a, "t", false)),
		entry(t, meta(b, "other", false)), // another tenant's
		entry(t, meta(c, "t", false)),     // c twice: neither is used
		entry(t, meta(c, "t", false)),
		entry(t, wrongFormat),
		entry(t, meta(e, "t", true)),                                             // compactedTime in the live list
		{Raw: json.RawMessage(`{"format":4}`)},                                   // not a meta
		entry(t, metadata.Meta{Format: metadata.FormatVParquet4, TenantID: "t"}), // no block ID
	}
	compacted := []Entry{entry(t, meta(e, "t", true)), entry(t, meta(d, "t", false))}
	data, err := Encode(created, live, compacted)
	if err != nil {
		t.Fatal(err)
	}

	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "index.json" {
		t.Errorf("gzip member %q, want index.json", zr.Name)
	}
	js, _ := io.ReadAll(zr)
	var doc indexJSON
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Meta) != len(live) || len(doc.Compacted) != len(compacted) || !doc.CreatedAt.Equal(created) {
		t.Fatalf("encoded %d live, %d compacted, created_at %v", len(doc.Meta), len(doc.Compacted), doc.CreatedAt)
	}
	for i, raw := range doc.Meta {
		if !bytes.Equal(raw, live[i].Raw) {
			t.Errorf("entry %d: %s, want its bytes as given %s", i, raw, live[i].Raw)
		}
	}

	ix, err := Decode(data, "t")
	if err != nil {
		t.Fatal(err)
	}
	if !ix.CreatedAt.Equal(created) {
		t.Errorf("created_at %v", ix.CreatedAt)
	}
	ids := func(m map[uuid.UUID]Entry) []string {
		var out []string
		for id, e := range m {
			if e.Meta.BlockID != id {
				t.Errorf("entry %s under %s", e.Meta.BlockID, id)
			}
			out = append(out, id.String())
		}
		return out
	}
	if got := ids(ix.Live); !reflect.DeepEqual(got, []string{a}) {
		t.Errorf("live entries %v, want [%s]", got, a)
	}
	if got := ids(ix.Compacted); !reflect.DeepEqual(got, []string{e}) {
		t.Errorf("compacted entries %v, want [%s]", got, e)
	}
	if got := ix.Live[uuid.MustParse(a)]; !bytes.Equal(got.Raw, live[0].Raw) || got.Meta.TotalObjects != 7 {
		t.Errorf("entry a: %+v", got)
	}
}

// TestDecodeUnusable: an index that is not gzip, not JSON or has no
// created_at is an error as a whole.
func TestDecodeUnusable(t *testing.T) {
	gz := func(s string) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(s))
		zw.Close()
		return buf.Bytes()
	}
	for name, data := range map[string][]byte{
		"not gzip":        []byte(`{"created_at":"2026-11-25T10:00:00Z"}`),
		"not json":        gz(`{"created_at":`),
		"no created_at":   gz(`{"meta":[],"compacted":[]}`),
		"truncated gzip":  gz(`{"created_at":"2026-11-25T10:00:00Z","meta":[]}`)[:20],
		"empty":           nil,
		"wrong top level": gz(`[]`),
	} {
		if ix, err := Decode(data, "t"); err == nil {
			t.Errorf("%s: decoded %+v", name, ix)
		}
	}
	if _, err := Decode(gz(`{"created_at":"2026-11-25T10:00:00Z"}`), "t"); err != nil {
		t.Errorf("minimal index: %v", err)
	}
}
