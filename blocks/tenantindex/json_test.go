package tenantindex

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tracectl/tracectl/blocks/metadata"
)

// TestIndexDecoderMatchesEncodingJSON: the fast decoder gives what
// encoding/json gives, on valid indexes, on unusual but valid JSON and on
// broken documents.
func TestIndexDecoderMatchesEncodingJSON(t *testing.T) {
	golden, err := os.ReadFile("testdata/tempo-index.json")
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	json.Compact(&compact, golden)
	docs := []string{string(golden), compact.String(), `{}`, `null`, `[]`, `{"meta":null,"compacted":[]}`,
		`{"created_at":"2024-01-01T00:00:00Z","meta":[{}],"compacted":[1,"x",null,[]]}`}
	variants := []struct{ from, to string }{
		{`"blockID"`, `"BlockID"`},
		{`"meta":`, `"Meta":`},
		{`"created_at"`, `"CREATED_AT"`},
		{`"single-tenant"`, `"single\u002dtenant"`},
		{`"single-tenant"`, `"single-tenant\u00e9"`},
		{`"vParquet4"`, `"vParquet4\n"`},
		{`"totalObjects": 134`, `"totalObjects": 134.0`},
		{`"totalObjects": 134`, `"totalObjects": 1e2`},
		{`"totalObjects": 134`, `"totalObjects": -1`},
		{`"size": 77187`, `"size": -1`},
		{`"footerSize": 17711`, `"footerSize": 4294967296`},
		{`"totalObjects": 134`, `"totalObjects": "134"`},
		{`"totalObjects": 134`, `"totalObjects": null`},
		{`"minID": "AAAAAAAAAAAAR0votDRJ+w=="`, `"minID": null`},
		{`"minID": "AAAAAAAAAAAAR0votDRJ+w=="`, `"minID": ""`},
		{`"minID": "AAAAAAAAAAAAR0votDRJ+w=="`, `"minID": "not base64!"`},
		{`"startTime": "2024-03-05T12:00:03Z"`, `"startTime": null`},
		{`"startTime": "2024-03-05T12:00:03Z"`, `"startTime": "yesterday"`},
		{`"compactedTime": "2024-03-05T14:01:02.123456789Z"`, `"compactedTime": null`},
		{`"tenantID": "single-tenant",`, `"tenantID": "single-tenant", "tenantID": "other",`},
		{`"tenantID": "single-tenant",`, `"extra": {"a": [1, 2.5e-3, true, false, null, "\"q\""]}, "tenantID": "single-tenant",`},
		{`"dedicatedColumns": [`, `"dedicatedColumns": 5, "x": [`},
		{`"encoding": "none"`, `"encoding": 7`},
		{`"blockID": "0b4a4c2e-6a0f-4d1b-9a8e-2f5c1d3e4f50"`, `"blockID": "0b4a4c2e6a0f4d1b9a8e2f5c1d3e4f50"`},
		{`"blockID": "0b4a4c2e-6a0f-4d1b-9a8e-2f5c1d3e4f50"`, `"blockID": "nope"`},
		{`"blockID": "0b4a4c2e-6a0f-4d1b-9a8e-2f5c1d3e4f50"`, `"blockID": null`},
		{`"created_at": "2024-03-05T14:20:11.482913377+01:00"`, `"created_at": null`},
		{`}`, `},`},
		{`]`, `,]`},
		{`{`, `{{`},
	}
	for _, v := range variants {
		docs = append(docs, strings.Replace(string(golden), v.from, v.to, 1), strings.ReplaceAll(string(golden), v.from, v.to))
	}
	// Truncations and byte flips.
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 300; i++ {
		doc := bytes.Clone(compact.Bytes())
		switch i % 3 {
		case 0:
			doc = doc[:rng.Intn(len(doc))]
		case 1:
			const structural = "{}[]\":,0a\\ -.e"
			doc[rng.Intn(len(doc))] = structural[rng.Intn(len(structural))]
		default:
			doc[rng.Intn(len(doc))] = byte(rng.Intn(256))
		}
		docs = append(docs, string(doc))
	}
	for i, doc := range docs {
		if err := compareIndexDecoders([]byte(doc)); err != nil {
			t.Errorf("doc %d: %v\n%s", i, err, doc)
		}
	}
}

// compareIndexDecoders decodes doc with decodeIndexJSON and with
// encoding/json and tells how they differ.
func compareIndexDecoders(doc []byte) error {
	var want indexJSON
	wantErr := json.Unmarshal(doc, &want)
	got, metas, ok, gotErr := decodeIndexJSON(doc, "single-tenant")
	if (wantErr == nil) != (gotErr == nil) {
		return fmt.Errorf("encoding/json error %v, fast decoder %v", wantErr, gotErr)
	}
	if wantErr != nil {
		return nil
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("top level differs:\n%s", cmp.Diff(want, got))
	}
	for j, raw := range append(append([]json.RawMessage(nil), want.Meta...), want.Compacted...) {
		var m metadata.Meta
		err := json.Unmarshal(raw, &m)
		if (err == nil) != ok[j] || (err == nil && !reflect.DeepEqual(m, metas[j])) {
			return fmt.Errorf("entry %d: encoding/json %v %+v, fast %v %+v", j, err, m, ok[j], metas[j])
		}
	}
	return nil
}

// FuzzIndexDecoder: any document decodes as encoding/json decodes it.
func FuzzIndexDecoder(f *testing.F) {
	golden, err := os.ReadFile("testdata/tempo-index.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add([]byte(`{"created_at":"2024-01-01T00:00:00Z","meta":[{}],"compacted":[1,"x",null,[]]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		if err := compareIndexDecoders(doc); err != nil {
			t.Fatal(err)
		}
	})
}

// goldenIndex decodes the Tempo-shaped golden index with encoding/json.
func goldenIndex(t testing.TB) indexJSON {
	t.Helper()
	golden, err := os.ReadFile("testdata/tempo-index.json")
	if err != nil {
		t.Fatal(err)
	}
	var ix indexJSON
	if err := json.Unmarshal(golden, &ix); err != nil {
		t.Fatal(err)
	}
	return ix
}

// BenchmarkDecodeIndexJSON decodes an index of 1,000 blocks in the shape
// Tempo writes (its entries repeated).
func BenchmarkDecodeIndexJSON(b *testing.B) {
	ix := goldenIndex(b)
	for len(ix.Meta) < 1000 {
		ix.Meta = append(ix.Meta, ix.Meta...)
	}
	ix.Meta = ix.Meta[:1000]
	doc, err := json.Marshal(ix)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, _, _, err := decodeIndexJSON(doc, "single-tenant"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestIndexSharedDedicatedColumns: entries with the same dedicated-column
// list (decoded once) and with different ones decode as encoding/json
// decodes them, and no two entries share a list's memory.
func TestIndexSharedDedicatedColumns(t *testing.T) {
	ix := goldenIndex(t)
	var withDC string
	for _, raw := range ix.Meta {
		if bytes.Contains(raw, []byte(`"dedicatedColumns"`)) {
			withDC = string(raw)
		}
	}
	if withDC == "" {
		t.Fatal("no golden entry with dedicated columns")
	}
	ids := []string{"0b4a4c2e-6a0f-4d1b-9a8e-2f5c1d3e4f51", "0b4a4c2e-6a0f-4d1b-9a8e-2f5c1d3e4f52",
		"0b4a4c2e-6a0f-4d1b-9a8e-2f5c1d3e4f53", "0b4a4c2e-6a0f-4d1b-9a8e-2f5c1d3e4f54"}
	re := regexp.MustCompile(`"blockID": *"[^"]*"`)
	var entries []string
	for i, id := range ids {
		e := re.ReplaceAllString(withDC, `"blockID": "`+id+`"`)
		if i == 2 { // a different list between equal ones
			e = strings.Replace(e, `"instance"`, `"pod"`, 1)
		}
		entries = append(entries, e)
	}
	doc := []byte(`{"created_at":"2024-03-05T14:20:11Z","meta":[` + strings.Join(entries, ",") + `]}`)
	if err := compareIndexDecoders(doc); err != nil {
		t.Fatal(err)
	}
	_, metas, ok, err := decodeIndexJSON(doc, "single-tenant")
	if err != nil || len(metas) != len(ids) {
		t.Fatalf("%d metas, %v", len(metas), err)
	}
	seen := map[*metadata.DedicatedColumn]int{}
	for i, m := range metas {
		if !ok[i] || len(m.DedicatedColumns) != 3 {
			t.Fatalf("entry %d: fast %v, %d dedicated columns", i, ok[i], len(m.DedicatedColumns))
		}
		if j, dup := seen[&m.DedicatedColumns[0]]; dup {
			t.Fatalf("entries %d and %d share their dedicated columns", j, i)
		}
		seen[&m.DedicatedColumns[0]] = i
	}
	if metas[2].DedicatedColumns[1].Name != "pod" || metas[3].DedicatedColumns[1].Name != "instance" {
		t.Fatalf("dedicated columns: %+v", metas)
	}
}
