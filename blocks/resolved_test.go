package blocks

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// TestResolveSchemaShared: files with the same schema share one
// resolution, which equals resolving the schema afresh; Tempo's
// legacy-layout block gets its own.
func TestResolveSchemaShared(t *testing.T) {
	traces := roundTripTraces()
	_, _, one := writtenParquet(t, traces[:1], WriteOptions{})
	_, _, all := writtenParquet(t, traces, WriteOptions{})
	tempo := tempoParquet(t)
	files := []*parquet.File{openParquet(t, one), openParquet(t, all), tempo}
	var got []*resolvedSchema
	for _, f := range files {
		r, err := resolveSchema(f)
		if err != nil {
			t.Fatal(err)
		}
		l, err := detectLayout(f.Schema())
		if err != nil {
			t.Fatal(err)
		}
		leaves, err := resolveLeaves(f.Schema(), l)
		if err != nil {
			t.Fatal(err)
		}
		if r.layout != l || !reflect.DeepEqual(r.leaves, leaves) {
			t.Fatalf("cached resolution differs from a fresh one (layout %v, want %v)", r.layout, l)
		}
		got = append(got, r)
	}
	if got[0] != got[1] {
		t.Error("two blocks written by tracectl resolved their schema twice")
	}
	if got[2] == got[0] || got[2].layout != layoutLegacy {
		t.Errorf("Tempo's block shares tracectl's resolution (layout %v)", got[2].layout)
	}
}

// TestSchemaKey: schemas that differ in a name, a repetition, a physical
// type or a type length get different keys; the same schema written twice
// gets the same.
func TestSchemaKey(t *testing.T) {
	type base struct{ A, B int64 }
	type renamed struct{ A, C int64 }
	type optional struct {
		A int64
		B *int64
	}
	type narrower struct {
		A int64
		B int32
	}
	type double struct {
		A int64
		B float64
	}
	type fixed16 struct {
		A int64
		B [16]byte
	}
	type fixed8 struct {
		A int64
		B [8]byte
	}
	keys := map[string]string{}
	for name, k := range map[string]string{
		"base":     keyOf(t, []base{{1, 2}}),
		"renamed":  keyOf(t, []renamed{{1, 2}}),
		"optional": keyOf(t, []optional{{A: 1}}),
		"narrower": keyOf(t, []narrower{{1, 2}}),
		"double":   keyOf(t, []double{{1, 2}}),
		"fixed16":  keyOf(t, []fixed16{{A: 1}}),
		"fixed8":   keyOf(t, []fixed8{{A: 1}}),
	} {
		if other, dup := keys[k]; dup {
			t.Errorf("%s and %s have the same key", name, other)
		}
		keys[k] = name
	}
	if keyOf(t, []base{{3, 4}, {5, 6}}) != keyOf(t, []base{{1, 2}}) {
		t.Error("the same schema got two keys")
	}
}

// keyOf writes rows as a parquet file whose schema is named "row" (not
// after T, so that only the fields tell the keys apart) and returns the
// schema's key.
func keyOf[T any](t *testing.T, rows []T) string {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf, parquet.NewSchema("row", parquet.SchemaOf(new(T))))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f := openParquet(t, buf.Bytes())
	return schemaKey(f.Metadata().Schema, f.Schema())
}

// TestResolveSchemaKinds: a file whose footer differs from a good one only
// in a logical type that changes a leaf's kind (the trace start annotated
// as a 32-bit integer) gets a resolution of its own, whichever of the two
// is opened first; neither takes the other's kinds.
func TestResolveSchemaKinds(t *testing.T) {
	_, _, good := writtenParquet(t, roundTripTraces(), WriteOptions{})
	bad := withFooter(t, good, func(md *format.FileMetaData) {
		for i := range md.Schema {
			if md.Schema[i].Name == "StartTimeUnixNano" {
				md.Schema[i].LogicalType = format.LogicalType{Value: &format.IntType{BitWidth: 32}}
				return
			}
		}
		t.Fatal("no StartTimeUnixNano in the footer")
	})
	for _, order := range [][]string{{"bad", "good"}, {"good", "bad"}} {
		resolvedMu.Lock()
		clear(resolvedSchemas)
		resolvedMu.Unlock()
		for _, name := range order {
			data, want := good, parquet.Int64
			if name == "bad" {
				data, want = bad, parquet.Int32
			}
			r, err := resolveSchema(openParquet(t, data))
			if err != nil {
				t.Fatal(err)
			}
			if got := r.leaves.traceStart.Kind; got != want {
				t.Errorf("%v: the %s file's trace start resolves as %v, want %v", order, name, got, want)
			}
		}
	}
}

// withFooter returns a copy of the parquet file data with its footer
// metadata changed by edit.
func withFooter(t *testing.T, data []byte, edit func(*format.FileMetaData)) []byte {
	t.Helper()
	n := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	start := len(data) - 8 - n
	var md format.FileMetaData
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), data[start:len(data)-8], &md); err != nil {
		t.Fatal(err)
	}
	edit(&md)
	footer, err := thrift.Marshal(new(thrift.CompactProtocol), &md)
	if err != nil {
		t.Fatal(err)
	}
	out := append(bytes.Clone(data[:start]), footer...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(footer)))
	return append(out, "PAR1"...)
}
