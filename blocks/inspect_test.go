package blocks

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bits-and-blooms/bloom/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/tracectl/tracectl/blocks/bloomshard"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

func TestInspectTempoBlock(t *testing.T) {
	ctx := context.Background()
	s := tempoStore(t)
	b, err := s.OpenBlock(ctx, mustUUID(tempoBlockID))
	if err != nil {
		t.Fatal(err)
	}
	ins, err := b.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ins.Rows != 134 || len(ins.RowGroups) != 1 || len(ins.Columns) != len(legacyTraceSchema().Columns()) {
		t.Errorf("rows %d, groups %d, columns %d", ins.Rows, len(ins.RowGroups), len(ins.Columns))
	}
	out, err := json.MarshalIndent(ins, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "tempo-inspect.golden", append(out, '\n'))
}

// TestWrittenColumnsMatchTempo compares, column by column, the physical
// layout of a block we write with the Tempo block: type, codec and the
// data encoding (dictionary vs delta vs plain), allowing only for the
// attribute layout difference (legacy in Tempo's block, documented in ours).
func TestWrittenColumnsMatchTempo(t *testing.T) {
	ctx := context.Background()
	src := tempoStore(t)
	tb, _ := src.OpenBlock(ctx, mustUUID(tempoBlockID))
	tins, err := tb.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dst := memStore(t)
	m, err := dst.WriteBlock(ctx, readTempoTraces(t, src), WriteOptions{DedicatedColumns: tb.Meta().DedicatedColumns})
	if err != nil {
		t.Fatal(err)
	}
	// With one row group, our index object is byte for byte Tempo's.
	ourIndex, err := dst.bucket.ReadAll(ctx, "tenant-a/"+m.BlockID.String()+"/index")
	if err != nil {
		t.Fatal(err)
	}
	tempoIndex, err := os.ReadFile(filepath.Join(tempoBlockDir(t), indexObject))
	if err != nil {
		t.Fatal(err)
	}
	if string(ourIndex) != string(tempoIndex) {
		t.Errorf("index = %s, Tempo's = %s", ourIndex, tempoIndex)
	}
	ob, _ := dst.OpenBlock(ctx, m.BlockID)
	oins, err := ob.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if oins.CreatedBy != createdBy() || !strings.HasPrefix(oins.CreatedBy, "tracectl version ") || tins.CreatedBy == oins.CreatedBy {
		t.Errorf("created by %q (Tempo's %q), want %q", oins.CreatedBy, tins.CreatedBy, createdBy())
	}
	type layout struct{ Path, Type, Codec, Encodings string }
	lay := func(ins Inspection) []layout {
		var out []layout
		for _, c := range ins.Columns {
			out = append(out, layout{c.Path, c.Type, c.Codec, strings.Join(dataEncodings(c.Encodings), ",")})
		}
		return out
	}
	// Tempo's block has the legacy attribute layout, ours the documented
	// one: every column is the same except, in each of the five attribute
	// groups, ValueType (INT32, delta) which becomes IsArray (BOOLEAN,
	// plain) and ValueDropped which becomes ValueUnsupported, identical
	// but for its name.
	want := lay(tins)
	renamed := 0
	for i := range want {
		switch {
		case strings.HasSuffix(want[i].Path, ".Attrs.list.element.ValueType"):
			want[i] = layout{strings.TrimSuffix(want[i].Path, "ValueType") + "IsArray", "BOOLEAN", "SNAPPY", "PLAIN"}
			renamed++
		case strings.HasSuffix(want[i].Path, ".Attrs.list.element.ValueDropped"):
			want[i].Path = strings.TrimSuffix(want[i].Path, "ValueDropped") + "ValueUnsupported"
			renamed++
		}
	}
	if renamed != 10 {
		t.Errorf("Tempo's block has %d ValueType/ValueDropped columns, want 2 in each of 5 attribute groups", renamed)
	}
	if diff := cmp.Diff(want, lay(oins)); diff != "" {
		t.Errorf("column layout differs (-tempo, attributes renamed +ours):\n%s", diff)
	}
}

// dataEncodings drops the level/dictionary-page encodings (RLE, PLAIN next
// to RLE_DICTIONARY) that depend on whether a column had nulls or repeats.
func dataEncodings(encs []string) []string {
	var out []string
	dict := contains(encs, "RLE_DICTIONARY")
	for _, e := range encs {
		if e == "RLE" || (dict && e == "PLAIN") {
			continue
		}
		out = append(out, e)
	}
	return out
}

func TestVerify(t *testing.T) {
	ctx := context.Background()
	t.Run("tempo block", func(t *testing.T) {
		rep, err := tempoStore(t).Verify(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || len(rep.Blocks) != 1 || rep.Blocks[0].Traces != 134 || rep.Blocks[0].Spans != 570 {
			t.Fatalf("report: %+v", rep)
		}
	})

	tests := []struct {
		name   string
		mutate func(t *testing.T, s *Store, m Meta)
		want   string // substring of a problem; "" means sound
	}{
		{"sound", func(*testing.T, *Store, Meta) {}, ""},
		{"totalObjects", func(t *testing.T, s *Store, m Meta) {
			m.TotalObjects++
			putMeta(t, s, m)
		}, "meta totalObjects 41"},
		{"size", func(t *testing.T, s *Store, m Meta) {
			m.Size--
			putMeta(t, s, m)
		}, "meta size"},
		{"footerSize", func(t *testing.T, s *Store, m Meta) {
			m.FooterSize++
			putMeta(t, s, m)
		}, "meta footerSize"},
		{"maxID", func(t *testing.T, s *Store, m Meta) {
			m.MaxID = m.MinID
			putMeta(t, s, m)
		}, "meta maxID"},
		{"totalRecords", func(t *testing.T, s *Store, m Meta) {
			m.TotalRecords = 1
			putMeta(t, s, m)
		}, "meta totalRecords 1"},
		{"time range", func(t *testing.T, s *Store, m Meta) {
			m.StartTime = m.StartTime.Add(time.Second)
			m.EndTime = m.StartTime
			putMeta(t, s, m)
		}, "outside meta range"},
		{"empty bloom", func(t *testing.T, s *Store, m Meta) {
			var buf strings.Builder
			_, k := bloomshard.Shape(1)
			bloom.New(bloomshard.ShardBytes*8, k).WriteTo(&buf)
			if err := s.put(ctx, "tenant-a/"+m.BlockID.String()+"/bloom-0", []byte(buf.String())); err != nil {
				t.Fatal(err)
			}
		}, "missing from its bloom shard"},
		{"index", func(t *testing.T, s *Store, m Meta) {
			if err := s.put(ctx, "tenant-a/"+m.BlockID.String()+"/index", []byte(`{"rowGroups":[]}`)); err != nil {
				t.Fatal(err)
			}
		}, "index lists 0 row groups"},
		{"orphan", func(t *testing.T, s *Store, m Meta) {
			if err := s.put(ctx, "tenant-a/00000000-0000-0000-0000-000000000001/data.parquet", []byte("x")); err != nil {
				t.Fatal(err)
			}
		}, "orphan"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := memStore(t)
			m, err := s.WriteBlock(ctx, syntheticTraces(40, 3, 1e18), WriteOptions{RowGroupBytes: 2 << 10})
			if err != nil {
				t.Fatal(err)
			}
			tc.mutate(t, s, m)
			rep, err := s.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var all []string
			for _, b := range rep.Blocks {
				all = append(all, b.Problems...)
			}
			for _, o := range rep.Orphans {
				all = append(all, "orphan "+o)
			}
			joined := strings.Join(all, "\n")
			if tc.want == "" {
				if !rep.OK() || rep.Blocks[0].Traces != 40 || rep.Blocks[0].Spans != 80 {
					t.Fatalf("sound block reported: %+v", rep)
				}
				return
			}
			if rep.OK() || !strings.Contains(joined, tc.want) {
				t.Fatalf("problems:\n%s\nwant one containing %q", joined, tc.want)
			}
		})
	}
}

func putMeta(t testing.TB, s *Store, m Meta) {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.put(context.Background(), "tenant-a/"+m.BlockID.String()+"/meta.json", b); err != nil {
		t.Fatal(err)
	}
}
