package column

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/tracectl/tracectl/internal/fixtures"
)

// pruneFiles returns Tempo's block and a FileWriter file of every kind.
func pruneFiles(t testing.TB) map[string][]byte {
	tempo, err := os.ReadFile(fixtures.Path(t, "tempo/vparquet4-block/single-tenant/b27b0e53-66a0-4505-afd6-434ae3cd4a10/data.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"tempo": tempo, "FileWriter": newCopyFixture(t).file}
}

// pruneReference prunes decoded metadata the plain way: the reference
// Pruner.prune's bytes must decode to.
func pruneReference(md *format.FileMetaData, keep func(path []string) bool) format.FileMetaData {
	out := *md
	var keptLeaves []bool
	var path []string
	var walk func(i int) (next int, elems []format.SchemaElement)
	walk = func(i int) (int, []format.SchemaElement) {
		e := md.Schema[i]
		if i > 0 {
			path = append(path, e.Name)
			defer func() { path = path[:len(path)-1] }()
		}
		if e.NumChildren.V == 0 && i > 0 {
			k := keep(path)
			keptLeaves = append(keptLeaves, k)
			if k {
				return i + 1, []format.SchemaElement{e}
			}
			return i + 1, nil
		}
		j, n := i+1, 0
		var kids []format.SchemaElement
		for range e.NumChildren.V {
			var k []format.SchemaElement
			j, k = walk(j)
			if len(k) > 0 {
				n++
				kids = append(kids, k...)
			}
		}
		if n == 0 && i > 0 {
			return j, nil
		}
		e.NumChildren = thrift.New(int32(n))
		return j, append([]format.SchemaElement{e}, kids...)
	}
	_, out.Schema = walk(0)
	keptOf := func(n int) []int {
		var idx []int
		for i := range n {
			if keptLeaves[i] {
				idx = append(idx, i)
			}
		}
		return idx
	}
	out.RowGroups = nil
	for _, rg := range md.RowGroups {
		r := rg
		r.Columns = []format.ColumnChunk{}
		for _, i := range keptOf(len(rg.Columns)) {
			r.Columns = append(r.Columns, rg.Columns[i])
		}
		out.RowGroups = append(out.RowGroups, r)
	}
	if md.ColumnOrders != nil {
		out.ColumnOrders = []format.ColumnOrder{}
		for _, i := range keptOf(len(md.ColumnOrders)) {
			out.ColumnOrders = append(out.ColumnOrders, md.ColumnOrders[i])
		}
	}
	return out
}

// nthLeaves keeps every n-th leaf, the first included (a fresh count each
// time it is called).
func nthLeaves(n int) func() func([]string) bool {
	return func() func([]string) bool {
		i := -1
		return func([]string) bool { i++; return i%n == 0 }
	}
}

// traceTimes keeps the top-level columns and every time column.
func traceTimes(p []string) bool {
	return strings.HasSuffix(strings.Join(p, "."), "TimeUnixNano") || len(p) == 1
}

// pruneCases make the leaves kept by the cases of TestPruneFooter.
var pruneCases = map[string]func() func(path []string) bool{
	"every leaf":   nthLeaves(1),
	"first leaf":   nthLeaves(1 << 30),
	"every third":  nthLeaves(3),
	"nested lists": func() func([]string) bool { return func(p []string) bool { return slices.Contains(p, "list") } },
	"trace times":  func() func([]string) bool { return traceTimes },
}

// TestPruneFooter: a pruned footer decodes to the metadata pruned the
// plain way (schema, the groups' children counts, column chunks, column
// orders; every other field as it was), on Tempo's block and on a file
// of every kind FileWriter writes.
func TestPruneFooter(t *testing.T) {
	for name, file := range pruneFiles(t) {
		footer := footerBytes(t, file)
		var md format.FileMetaData
		if err := thrift.Unmarshal(new(thrift.CompactProtocol), footer, &md); err != nil {
			t.Fatal(err)
		}
		for cname, keep := range pruneCases {
			pruned, walked, err := (&Pruner{keep: keep()}).prune(footer)
			if err != nil || walked != len(footer) {
				t.Fatalf("%s, %s: %d of %d bytes walked, %v", name, cname, walked, len(footer), err)
			}
			var got format.FileMetaData
			if err := thrift.Unmarshal(new(thrift.CompactProtocol), pruned, &got); err != nil {
				t.Fatalf("%s, %s: pruned footer does not decode: %v", name, cname, err)
			}
			want := pruneReference(&md, keep())
			if cname == "every leaf" && len(pruned) != len(footer) {
				t.Errorf("%s: every leaf kept: %d bytes, not %d", name, len(pruned), len(footer))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s, %s: pruned footer decodes to\n%+v\nwant\n%+v", name, cname, got.Schema, want.Schema)
			}
			if len(got.RowGroups[0].Columns) == 0 {
				t.Errorf("%s, %s: nothing kept", name, cname)
			}
		}
	}
}

// TestOpenPruned: a file opened pruned reads the same values from every
// kept column chunk as the whole file does, and has none of the others; a
// Pruner remembering schemas opens the same.
func TestOpenPruned(t *testing.T) {
	shared := NewPruner(traceTimes)
	for name, file := range pruneFiles(t) {
		whole, err := parquet.OpenFile(bytes.NewReader(file), int64(len(file)))
		if err != nil {
			t.Fatal(err)
		}
		keep := traceTimes
		pf, err := OpenPruned(bytes.NewReader(file), int64(len(file)), keep, parquet.SkipMagicBytes(true), parquet.SkipPageIndex(true))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// A Pruner that remembers the schemas of both files gives the
		// same footer, the second time from memory.
		for range 2 {
			again, err := shared.Open(bytes.NewReader(file), int64(len(file)), parquet.SkipMagicBytes(true), parquet.SkipPageIndex(true))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !reflect.DeepEqual(again.Metadata(), pf.Metadata()) {
				t.Errorf("%s: a Pruner's footer differs from OpenPruned's", name)
			}
		}
		var kept []int
		for i, p := range whole.Schema().Columns() {
			if keep(p) {
				kept = append(kept, i)
			}
		}
		if got := len(pf.Schema().Columns()); got != len(kept) || got == 0 {
			t.Fatalf("%s: %d columns, want %d", name, got, len(kept))
		}
		for g, rg := range whole.RowGroups() {
			for i, c := range kept {
				if p, q := whole.Schema().Columns()[c], pf.Schema().Columns()[i]; !slices.Equal(p, q) {
					t.Fatalf("%s: column %d is %v, want %v", name, i, q, p)
				}
				want := chunkValues(t, rg.ColumnChunks()[c])
				got := chunkValues(t, pf.RowGroups()[g].ColumnChunks()[i])
				if !reflect.DeepEqual(got, want) || len(want) == 0 {
					t.Errorf("%s: row group %d column %v: %d values differ from the whole file's %d", name, g, pf.Schema().Columns()[i], len(got), len(want))
				}
			}
		}
	}
}

// chunkValues reads every value of a column chunk as strings with levels.
func chunkValues(t *testing.T, cc parquet.ColumnChunk) []string {
	pages := cc.Pages()
	defer pages.Close()
	var out []string
	for {
		p, err := pages.ReadPage()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatal(err)
			}
			return out
		}
		vals := make([]parquet.Value, p.NumValues())
		n, _ := p.Values().ReadValues(vals)
		for _, v := range vals[:n] {
			out = append(out, v.String()+"/"+string(rune('0'+v.RepetitionLevel()))+string(rune('0'+v.DefinitionLevel())))
		}
		parquet.Release(p)
	}
}

// FuzzOpenPruned: a damaged footer is an ErrCorrupt error (or opens),
// never a panic; what opens has only kept columns.
func FuzzOpenPruned(f *testing.F) {
	files := pruneFiles(f)
	for _, file := range files {
		footer := footerBytes(f, file)
		f.Add(footer, uint16(0), byte(0))
		f.Add(footer, uint16(len(footer)/2), byte(0xFF))
		f.Add(footer, uint16(7), byte(0x19))
	}
	tempo := files["tempo"]
	f.Fuzz(func(t *testing.T, footer []byte, at uint16, x byte) {
		footer = bytes.Clone(footer)
		if int(at) < len(footer) {
			footer[at] ^= x
		}
		data := tempo[:len(tempo)-8-int(binary.LittleEndian.Uint32(tempo[len(tempo)-8:]))]
		file := append(append(bytes.Clone(data), footer...), binary.LittleEndian.AppendUint32(nil, uint32(len(footer)))...)
		file = append(file, "PAR1"...)
		keep := traceTimes
		pf, err := OpenPruned(bytes.NewReader(file), int64(len(file)), keep, parquet.SkipMagicBytes(true), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !strings.Contains(err.Error(), "parquet") {
				t.Fatalf("error not naming damage: %v", err)
			}
			return
		}
		for _, p := range pf.Schema().Columns() {
			if !keep(p) {
				t.Fatalf("column %v kept", p)
			}
		}
	})
}

// BenchmarkOpenPruned: opening Tempo's block whole and pruned to the
// trace time columns.
func BenchmarkOpenPruned(b *testing.B) {
	file := pruneFiles(b)["tempo"]
	opts := []parquet.FileOption{parquet.SkipMagicBytes(true), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true)}
	b.Run("whole", func(b *testing.B) {
		for b.Loop() {
			if _, err := OpenFile(bytes.NewReader(file), int64(len(file)), opts...); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pruned", func(b *testing.B) {
		for b.Loop() {
			if _, err := OpenPruned(bytes.NewReader(file), int64(len(file)), traceTimes, opts...); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pruned, schema remembered", func(b *testing.B) {
		p := NewPruner(traceTimes)
		for b.Loop() {
			if _, err := p.Open(bytes.NewReader(file), int64(len(file)), opts...); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestOpenPrunedRefusesTrailingBytes: a footer whose metadata ends before
// it does (a zeroed or cut end), which parquet-go refuses whole, is
// refused pruned too.
func TestOpenPrunedRefusesTrailingBytes(t *testing.T) {
	for name, file := range pruneFiles(t) {
		footer := footerBytes(t, file)
		for _, tail := range [][]byte{{0}, make([]byte, 64)} {
			f := append(bytes.Clone(file[:len(file)-8-len(footer)]), footer...)
			f = append(f, tail...)
			f = binary.LittleEndian.AppendUint32(f, uint32(len(footer)+len(tail)))
			f = append(f, "PAR1"...)
			opts := []parquet.FileOption{parquet.SkipMagicBytes(true), parquet.SkipPageIndex(true)}
			if _, err := OpenFile(bytes.NewReader(f), int64(len(f)), opts...); err == nil {
				t.Fatalf("%s: parquet-go opened a footer with %d trailing bytes", name, len(tail))
			}
			if _, err := OpenPruned(bytes.NewReader(f), int64(len(f)), traceTimes, opts...); !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s, %d trailing bytes: %v, want ErrCorrupt", name, len(tail), err)
			}
		}
	}
}
