package blocks

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"gocloud.dev/blob"

	"github.com/tracectl/tracectl/blocks/tenantindex"
	"github.com/tracectl/tracectl/internal/blobtest"
	"github.com/tracectl/tracectl/model"
)

// listingOracle is what Blocks (name = meta.json) and CompactedBlocks
// (meta.compacted.json) returned before the tenant index: one listing of
// the block folders, then every folder's meta object read.
func listingOracle(t *testing.T, s *Store, name string) []Meta {
	t.Helper()
	ctx := context.Background()
	ids, err := s.blockDirs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []Meta
	for _, id := range ids {
		m, err := s.readMeta(ctx, id, name)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	sortMetas(out)
	return out
}

// assertSameAsListing checks Blocks and CompactedBlocks against the
// listing oracle.
func assertSameAsListing(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	for _, name := range []string{metaObject, compactedMetaObject} {
		list := s.Blocks
		if name == compactedMetaObject {
			list = s.CompactedBlocks
		}
		got, err := list(ctx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := listingOracle(t, s, name)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: index and listing differ (-listing +index):\n%s", name, cmp.Diff(want, got))
		}
	}
}

// withSlack sets the granularity assumed for object stores' modification
// times for one test (memblob's are exact).
func withSlack(t *testing.T, d time.Duration) {
	old := storeTimeSlack
	storeTimeSlack = d
	t.Cleanup(func() { storeTimeSlack = old })
}

// writeIndexFixture writes four blocks, retires the first one, waits out
// the bucket's time granularity and writes the index. It returns the live
// and compacted blocks.
func writeIndexFixture(t *testing.T, s *Store) (live, compacted []Meta) {
	t.Helper()
	ctx := context.Background()
	var ms []Meta
	for i := 0; i < 4; i++ {
		m, err := s.WriteBlock(ctx, syntheticTraces(20, byte(i+1), uint64(i+1)*1e18), WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	if err := s.MarkCompacted(ctx, ms[0].BlockID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * localTimeSlack)
	if err := s.WriteIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.bucket.Exists(ctx, joinKey(s.tenant, tenantindex.ObjectName)); !ok {
		t.Fatal("no index written")
	}
	comp, err := s.CompactedBlocks(ctx)
	if err != nil || len(comp) != 1 {
		t.Fatalf("compacted blocks %v, %v", comp, err)
	}
	return ms[1:], comp
}

// indexBackends are the bucket kinds the index is checked on: memblob
// through listFolders' LIST (with exact times), and a local directory
// through its file system path.
func indexBackends(t *testing.T) map[string]func(t *testing.T) *blob.Bucket {
	return map[string]func(t *testing.T) *blob.Bucket{
		"mem": func(t *testing.T) *blob.Bucket {
			withSlack(t, 0)
			_, b := newWrapBucket(t)
			return b
		},
		"file": func(t *testing.T) *blob.Bucket {
			b, err := OpenBucket(context.Background(), "file://"+t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			return b
		},
	}
}

func readIndexObject(t *testing.T, s *Store) []byte {
	t.Helper()
	data, err := s.bucket.ReadAll(context.Background(), joinKey(s.tenant, tenantindex.ObjectName))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestTenantIndexRoundTrip writes an index and reads it back: Tempo's
// gzip member name and JSON shape, every live and compacted meta, and the
// same block lists as listing.
func TestTenantIndexRoundTrip(t *testing.T) {
	ctx := context.Background()
	withSlack(t, 0)
	wb, b := newWrapBucket(t)
	s := NewStore(b, "tenant-a")
	live, compacted := writeIndexFixture(t, s)

	data := readIndexObject(t, s)
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "index.json" {
		t.Errorf("gzip member name %q, want index.json as Tempo writes", zr.Name)
	}
	js, _ := io.ReadAll(zr)
	// The shape Tempo decodes: created_at, meta, compacted.
	var tempo struct {
		CreatedAt time.Time         `json:"created_at"`
		Meta      []json.RawMessage `json:"meta"`
		Compacted []json.RawMessage `json:"compacted"`
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tempo); err != nil {
		t.Fatal(err)
	}
	if time.Since(tempo.CreatedAt) > time.Minute || tempo.CreatedAt.IsZero() {
		t.Errorf("created_at %v", tempo.CreatedAt)
	}
	decode := func(raws []json.RawMessage) []Meta {
		var out []Meta
		for _, raw := range raws {
			var m Meta
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
		sortMetas(out)
		return out
	}
	if got := decode(tempo.Meta); !reflect.DeepEqual(got, live) {
		t.Errorf("meta:\n%s", cmp.Diff(live, got))
	}
	if got := decode(tempo.Compacted); !reflect.DeepEqual(got, compacted) {
		t.Errorf("compacted:\n%s", cmp.Diff(compacted, got))
	}
	if !strings.Contains(string(tempo.Compacted[0]), `"compactedTime":"`) {
		t.Errorf("compacted entry without compactedTime: %s", tempo.Compacted[0])
	}
	// Each entry is the block's meta object as stored.
	for _, raw := range tempo.Meta {
		var m Meta
		json.Unmarshal(raw, &m)
		stored, _ := b.ReadAll(ctx, joinKey("tenant-a", m.BlockID.String(), metaObject))
		if !bytes.Equal(raw, stored) {
			t.Errorf("entry %s differs from its meta.json", raw)
		}
	}

	// A fresh index answers Blocks and CompactedBlocks without a meta read.
	wb.resetLog()
	assertNoMetaReads := func() {
		t.Helper()
		for _, r := range wb.log() {
			if strings.HasSuffix(r.key, "/"+metaObject) || strings.HasSuffix(r.key, "/"+compactedMetaObject) {
				t.Errorf("read %s although the index is fresh", r.key)
			}
		}
	}
	got, err := s.Blocks(ctx)
	if err != nil || !reflect.DeepEqual(got, live) {
		t.Fatalf("Blocks = %v, %v", got, err)
	}
	got, err = s.CompactedBlocks(ctx)
	if err != nil || !reflect.DeepEqual(got, compacted) {
		t.Fatalf("CompactedBlocks = %v, %v", got, err)
	}
	assertNoMetaReads()
	// Neither does a trace lookup.
	wb.resetLog()
	want := syntheticTraces(20, 3, 3e18)[7]
	if tr, err := s.FindTrace(ctx, want.TraceID); err != nil || tr.TraceID != want.TraceID {
		t.Fatalf("FindTrace = %v", err)
	}
	assertNoMetaReads()
	assertSameAsListing(t, s)

	// An index that is up to date is not written again.
	wb.resetLog()
	writes := wb.writes
	if err := s.WriteIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if wb.writes != writes {
		t.Errorf("an up-to-date index was rewritten")
	}
	// The last block gone: the index goes too.
	for _, m := range append(live, compacted...) {
		if err := s.DeleteBlock(ctx, m.BlockID); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.WriteIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, _ := b.Exists(ctx, "tenant-a/index.json.gz"); ok {
		t.Error("the index of a tenant without blocks was kept")
	}
}

// TestTenantIndexSlack: objects written within the store's time
// granularity before created_at are read, not taken from the index. The
// index is written by another Store than the blocks' (another process), so
// WriteIndex does not wait for them, and read by a third.
func TestTenantIndexSlack(t *testing.T) {
	ctx := context.Background()
	wb, b := newWrapBucket(t)
	s := NewStore(b, "tenant-a")
	live := writeSyntheticBlocks(t, s, 3)
	start := time.Now()
	if err := NewStore(b, "tenant-a").WriteIndex(ctx); err != nil { // with the default 1 s slack
		t.Fatal(err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("WriteIndex of a store that wrote no meta took %v", d)
	}
	// Read by a third store: the writer's own would take the metas it
	// wrote from memory (knownObjects).
	wb.resetLog()
	if got, err := NewStore(b, "tenant-a").Blocks(ctx); err != nil || !reflect.DeepEqual(got, live) {
		t.Fatalf("Blocks = %v, %v", got, err)
	}
	if reads := metaReads(wb); reads != len(live) {
		t.Errorf("%d meta.json reads, want %d: the blocks are younger than a second", reads, len(live))
	}
}

// writeSyntheticBlocks writes n blocks of 20 synthetic traces each.
func writeSyntheticBlocks(t *testing.T, s *Store, n int) []Meta {
	t.Helper()
	var ms []Meta
	for i := 0; i < n; i++ {
		m, err := s.WriteBlock(context.Background(), syntheticTraces(20, byte(i+1), uint64(i+1)*1e18), WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	return ms
}

// metaReads counts the reads of meta.json objects in wb's log.
func metaReads(wb *wrapBucket) int { return objectReads(wb, metaObject) }

// objectReads counts the reads wb logged of objects named name.
func objectReads(wb *wrapBucket, name string) int {
	reads := 0
	for _, r := range wb.log() {
		if strings.HasSuffix(r.key, "/"+name) {
			reads++
		}
	}
	return reads
}

// TestWriteIndexCoversOwnBlocks: a store that has just written blocks (an
// ingest publishes them all at its end) waits the time granularity out
// before it writes the index, so that the next reads take those blocks
// from the index instead of reading every meta.json.
func TestWriteIndexCoversOwnBlocks(t *testing.T) {
	ctx := context.Background()
	const slack = 300 * time.Millisecond
	withSlack(t, slack)
	wb, b := newWrapBucket(t)
	s := NewStore(b, "tenant-a")
	live := writeSyntheticBlocks(t, s, 3)
	start := time.Now()
	if err := s.WriteIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < slack-50*time.Millisecond {
		t.Errorf("WriteIndex returned after %v, before the %v granularity passed", d, slack)
	}
	reader := NewStore(b, "tenant-a")
	wb.resetLog()
	if got, err := reader.Blocks(ctx); err != nil || !reflect.DeepEqual(got, live) {
		t.Fatalf("Blocks = %v, %v", got, err)
	}
	if reads := metaReads(wb); reads != 0 {
		t.Errorf("%d meta.json reads after the writer's index", reads)
	}
	// A cancelled wait returns at once.
	if _, err := s.WriteBlock(ctx, syntheticTraces(20, 9, 9e18), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.WriteIndex(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("WriteIndex with a cancelled context: %v", err)
	}
}

// TestTempoTenantIndex reads an index in the format Tempo writes (a
// hand-written golden, see tenantindex/testdata), through both listing
// paths, with the metas older than the index.
func TestTempoTenantIndex(t *testing.T) {
	ctx := context.Background()
	golden, err := os.ReadFile("tenantindex/testdata/tempo-index.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Meta      []json.RawMessage `json:"meta"`
		Compacted []json.RawMessage `json:"compacted"`
	}
	if err := json.Unmarshal(golden, &doc); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	old := time.Date(2024, 3, 5, 13, 0, 0, 0, time.UTC) // before created_at
	put := func(raw json.RawMessage, name string) {
		var m Meta
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(root, "single-tenant", m.BlockID.String(), name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
	}
	for _, raw := range doc.Meta {
		put(raw, metaObject)
	}
	for _, raw := range doc.Compacted {
		put(raw, compactedMetaObject)
	}
	if err := os.WriteFile(filepath.Join(root, "single-tenant", "index.json.gz"), gzipBytes(t, golden), 0o644); err != nil {
		t.Fatal(err)
	}

	b, err := OpenBucket(ctx, "file://"+root)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	// The file system path, and the LIST path (wrapped: reads logged).
	var reads []string
	logged := blobtest.Wrap(b, blobtest.Hooks{Before: func(op blobtest.Op) error {
		if op.Kind == blobtest.Read {
			reads = append(reads, op.Key)
		}
		return nil
	}})
	defer logged.Close()
	for name, s := range map[string]*Store{"file": NewStore(b, "single-tenant"), "list": NewStore(logged, "single-tenant")} {
		t.Run(name, func(t *testing.T) {
			reads = nil
			live, err := s.Blocks(ctx)
			if err != nil {
				t.Fatal(err)
			}
			comp, err := s.CompactedBlocks(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(live) != 2 || len(comp) != 1 {
				t.Fatalf("%d live, %d compacted blocks, want 2 and 1", len(live), len(comp))
			}
			first := live[0]
			if first.BlockID != uuid.MustParse("0b4a4c2e-6a0f-4d1b-9a8e-2f5c1d3e4f50") || first.TotalObjects != 134 ||
				first.FooterSize != 17711 || len(first.DedicatedColumns) != 3 ||
				!reflect.DeepEqual(first.DedicatedColumns[0], DedicatedColumn{Scope: "resource", Name: "ip"}) ||
				b64(first.MinID) != "AAAAAAAAAAAAR0votDRJ+w==" || !first.CompactedTime.IsZero() {
				t.Errorf("first block: %+v", first)
			}
			if live[1].ReplicationFactor != 1 || live[1].CompactionLevel != 2 || live[1].BloomShards != 3 {
				t.Errorf("second block: %+v", live[1])
			}
			wantCT := time.Date(2024, 3, 5, 14, 1, 2, 123456789, time.UTC)
			if !comp[0].CompactedTime.Equal(wantCT) || comp[0].TotalObjects != 500 {
				t.Errorf("compacted block: %+v", comp[0])
			}
			for _, k := range reads {
				if strings.HasSuffix(k, ".json") {
					t.Errorf("read %s: the index is fresh", k)
				}
			}
			assertSameAsListing(t, s)
		})
	}
}

// TestTenantIndexStale changes the tenant behind a fresh index's back in
// every way we know of; Blocks and CompactedBlocks must still equal the
// listing.
func TestTenantIndexStale(t *testing.T) {
	ctx := context.Background()
	putRaw := func(t *testing.T, s *Store, key string, data []byte) {
		t.Helper()
		if err := s.bucket.WriteAll(ctx, key, data, nil); err != nil {
			t.Fatal(err)
		}
	}
	idxKey := func(s *Store) string { return joinKey(s.tenant, tenantindex.ObjectName) }
	// Tempo's compactor retires a block: meta.compacted.json, then the
	// meta.json deleted; no index update.
	tempoRetire := func(t *testing.T, s *Store, m Meta) {
		m.CompactedTime = time.Now().UTC()
		b, _ := m.MarshalJSON()
		putRaw(t, s, joinKey(s.tenant, m.BlockID.String(), compactedMetaObject), b)
		s.bucket.Delete(ctx, joinKey(s.tenant, m.BlockID.String(), metaObject))
	}
	cases := map[string]func(t *testing.T, s *Store, live, compacted []Meta){
		"fresh": func(*testing.T, *Store, []Meta, []Meta) {},
		"new block": func(t *testing.T, s *Store, _, _ []Meta) {
			if _, err := s.WriteBlock(ctx, syntheticTraces(5, 9, 9e18), WriteOptions{}); err != nil {
				t.Fatal(err)
			}
		},
		"block deleted": func(t *testing.T, s *Store, live, _ []Meta) {
			if err := s.DeleteBlock(ctx, live[1].BlockID); err != nil {
				t.Fatal(err)
			}
		},
		"block half deleted": func(t *testing.T, s *Store, live, _ []Meta) {
			s.bucket.Delete(ctx, joinKey(s.tenant, live[1].BlockID.String(), metaObject))
		},
		"compacted block deleted": func(t *testing.T, s *Store, _, compacted []Meta) {
			if err := s.DeleteCompactedBlock(ctx, compacted[0].BlockID); err != nil {
				t.Fatal(err)
			}
		},
		"marked compacted": func(t *testing.T, s *Store, live, _ []Meta) {
			if err := s.MarkCompacted(ctx, live[0].BlockID); err != nil {
				t.Fatal(err)
			}
		},
		"retired by Tempo": func(t *testing.T, s *Store, live, _ []Meta) { tempoRetire(t, s, live[2]) },
		"marking cut short": func(t *testing.T, s *Store, live, _ []Meta) {
			m := live[0]
			m.CompactedTime = time.Now().UTC()
			b, _ := m.MarshalJSON()
			putRaw(t, s, joinKey(s.tenant, m.BlockID.String(), compactedMetaObject), b)
		},
		"compacted meta rewritten": func(t *testing.T, s *Store, _, compacted []Meta) {
			m := compacted[0]
			m.CompactedTime = m.CompactedTime.Add(time.Hour)
			b, _ := m.MarshalJSON()
			putRaw(t, s, joinKey(s.tenant, m.BlockID.String(), compactedMetaObject), b)
		},
		"orphan folder": func(t *testing.T, s *Store, _, _ []Meta) {
			putRaw(t, s, joinKey(s.tenant, uuid.NewString(), dataObject), []byte("PAR1"))
		},
		"garbage": func(t *testing.T, s *Store, _, _ []Meta) {
			putRaw(t, s, idxKey(s), []byte("not gzip at all"))
		},
		"truncated": func(t *testing.T, s *Store, live, _ []Meta) {
			tempoRetire(t, s, live[0])
			data := readIndexObject(t, s)
			putRaw(t, s, idxKey(s), data[:len(data)/2])
		},
		"empty object": func(t *testing.T, s *Store, live, _ []Meta) {
			tempoRetire(t, s, live[0])
			putRaw(t, s, idxKey(s), nil)
		},
		"gzip of garbage": func(t *testing.T, s *Store, _, _ []Meta) {
			putRaw(t, s, idxKey(s), gzipBytes(t, []byte(`{"created_at": 12, "meta": "x"`)))
		},
		"no created_at": func(t *testing.T, s *Store, live, _ []Meta) {
			tempoRetire(t, s, live[0])
			var raw map[string]json.RawMessage
			zr, _ := gzip.NewReader(bytes.NewReader(readIndexObject(t, s)))
			json.NewDecoder(zr).Decode(&raw)
			delete(raw, "created_at")
			js, _ := json.Marshal(raw)
			putRaw(t, s, idxKey(s), gzipBytes(t, js))
		},
		"another tenant's index": func(t *testing.T, s *Store, _, _ []Meta) {
			other := NewStore(s.bucket, "tenant-b")
			writeIndexFixture(t, other)
			putRaw(t, s, idxKey(s), readIndexObject(t, other))
		},
		"entries of another tenant": func(t *testing.T, s *Store, live, _ []Meta) {
			// The same block IDs, claimed by tenant-b, with other contents.
			var es []tenantindex.Entry
			for _, m := range live {
				m.TenantID, m.TotalObjects = "tenant-b", 999
				raw, _ := json.Marshal(m)
				es = append(es, tenantindex.Entry{Meta: &m, Raw: raw})
			}
			data, _ := tenantindex.Encode(time.Now().Add(time.Hour), es, nil)
			putRaw(t, s, idxKey(s), data)
		},
		"duplicate entries": func(t *testing.T, s *Store, live, _ []Meta) {
			m := live[0]
			a, _ := json.Marshal(m)
			m.TotalObjects = 999
			b, _ := json.Marshal(m)
			data, _ := tenantindex.Encode(time.Now().Add(time.Hour), []tenantindex.Entry{{Meta: &m, Raw: a}, {Meta: &m, Raw: b}}, nil)
			putRaw(t, s, idxKey(s), data)
		},
		"older view written last": func(t *testing.T, s *Store, live, compacted []Meta) {
			// A slow concurrent writer overwrites the index with what it
			// saw before a retirement, a deletion and a new block.
			stale := readIndexObject(t, s)
			if err := s.MarkCompacted(ctx, live[0].BlockID); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteCompactedBlock(ctx, compacted[0].BlockID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.WriteBlock(ctx, syntheticTraces(5, 9, 9e18), WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := s.WriteIndex(ctx); err != nil {
				t.Fatal(err)
			}
			putRaw(t, s, idxKey(s), stale)
		},
	}
	for bname, open := range indexBackends(t) {
		for cname, change := range cases {
			t.Run(bname+"/"+cname, func(t *testing.T) {
				s := NewStore(open(t), "tenant-a")
				live, compacted := writeIndexFixture(t, s)
				change(t, s, live, compacted)
				assertSameAsListing(t, s)
				// Writing the index again gives a fresh one.
				if err := s.WriteIndex(ctx); err != nil {
					t.Fatal(err)
				}
				assertSameAsListing(t, s)
			})
		}
	}
}

// TestLocalIndexIsTrusted shows that the file system path does take metas
// from a fresh index (an entry that lies is believed), and that touching
// the meta object makes it read again.
func TestLocalIndexIsTrusted(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	b, err := OpenBucket(ctx, "file://"+root)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	s := NewStore(b, "tenant-a")
	if s.localTenantDir() == "" {
		t.Fatal("no local path for a file:// bucket")
	}
	live, _ := writeIndexFixture(t, s)
	var es []tenantindex.Entry
	for _, m := range live {
		m.TotalObjects = 4242
		raw, _ := json.Marshal(m)
		es = append(es, tenantindex.Entry{Meta: &m, Raw: raw})
	}
	data, _ := tenantindex.Encode(time.Now(), es, nil)
	if err := b.WriteAll(ctx, "tenant-a/index.json.gz", data, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.Blocks(ctx)
	if err != nil || len(got) != 3 || got[0].TotalObjects != 4242 {
		t.Fatalf("Blocks = %+v, %v; want the index's entries", got, err)
	}
	now := time.Now()
	p := filepath.Join(root, "tenant-a", live[0].BlockID.String(), metaObject)
	if err := os.Chtimes(p, now, now); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Blocks(ctx)
	for _, m := range got {
		if (m.BlockID == live[0].BlockID) != (m.TotalObjects == 20) {
			t.Errorf("block %s: %d traces", m.BlockID, m.TotalObjects)
		}
	}
}

// TestTenantIndexCrash kills a redaction-like rewrite followed by the
// index update at each of its bucket mutations; right after the crash and
// after a clean rerun the block lists equal the listing.
func TestTenantIndexCrash(t *testing.T) {
	ctx := context.Background()
	withSlack(t, 0)
	rewrite := func(s *Store) error {
		_, err := s.Rewrite(ctx, func(tr *model.Trace) (bool, error) {
			if tr.TraceID[13]%2 == 0 {
				return false, nil
			}
			rs := &tr.ResourceSpans[0].Resource
			rs.Attributes = append(rs.Attributes, model.Str("redacted", "yes"))
			return true, nil
		}, RewriteOptions{Mark: "test"})
		if err != nil {
			return err
		}
		return s.WriteIndex(ctx)
	}
	// A clean run counts the mutations.
	crash := &blobtest.Crash{}
	inner := memStoreBucket(t)
	s := NewStore(blobtest.Wrap(inner, blobtest.Hooks{Before: crash.Before}), "tenant-a")
	writeIndexFixture(t, s)
	before := crash.Mutations()
	if err := rewrite(s); err != nil {
		t.Fatal(err)
	}
	steps := crash.Log()[before:]
	if len(steps) < 8 {
		t.Fatalf("only %d mutations: %v", len(steps), steps)
	}
	for i, step := range steps {
		t.Run(fmt.Sprintf("%02d %s %s", i+1, step.Kind, filepath.Base(step.Key)), func(t *testing.T) {
			inner := memStoreBucket(t)
			crash := &blobtest.Crash{}
			crashed := NewStore(blobtest.Wrap(inner, blobtest.Hooks{Before: crash.Before}), "tenant-a")
			writeIndexFixture(t, crashed)
			crash.At(crash.Mutations() + i + 1)
			if err := rewrite(crashed); err == nil {
				t.Fatal("no crash")
			}
			reader := NewStore(inner, "tenant-a")
			assertSameAsListing(t, reader)
			if err := rewrite(reader); err != nil {
				t.Fatalf("rerun: %v", err)
			}
			assertSameAsListing(t, reader)
		})
	}
}

func memStoreBucket(t *testing.T) *blob.Bucket {
	b, err := OpenBucket(context.Background(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}
