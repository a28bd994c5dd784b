package blocks

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/tracectl/tracectl/model"
)

// documentedSchemaFile is the vParquet4 schema of Tempo's documentation
// (docs/sources/tempo/operations/schema.md, "vParquet4 block schema
// example"), transcribed in the notation renderFooterSchema produces.
const documentedSchemaFile = "testdata/vparquet4-documented.schema"

func openParquet(t *testing.T, data []byte) *parquet.File {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func tempoParquet(t *testing.T) *parquet.File {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(tempoBlockDir(t), dataObject))
	if err != nil {
		t.Fatal(err)
	}
	return openParquet(t, data)
}

// writtenParquet writes traces as a block and returns its data.parquet.
func writtenParquet(t testing.TB, traces []*model.Trace, opts WriteOptions) (*Store, Meta, []byte) {
	t.Helper()
	ctx := context.Background()
	s := memStore(t)
	m, err := s.WriteBlock(ctx, traces, opts)
	if err != nil {
		t.Fatal(err)
	}
	data, err := s.bucket.ReadAll(ctx, joinKey(s.tenant, m.BlockID.String(), dataObject))
	if err != nil {
		t.Fatal(err)
	}
	return s, m, data
}

// renderFooterSchema renders the schema elements stored in a parquet
// footer (what any reader, Tempo included, sees) in the notation of
// Tempo's documentation: repetition, physical type (or group), name and
// logical type, nested with two spaces.
func renderFooterSchema(t *testing.T, f *parquet.File) string {
	t.Helper()
	els := f.Metadata().Schema
	var b strings.Builder
	var walk func(i, depth int) int
	walk = func(i, depth int) int {
		e := els[i]
		ind := strings.Repeat("  ", depth)
		if depth == 0 {
			fmt.Fprintf(&b, "message %s {\n", e.Name)
		} else {
			rep := strings.ToLower(e.RepetitionType.V.String())
			typ := "group"
			if !e.NumChildren.Valid {
				typ = map[format.Type]string{
					format.Boolean: "boolean", format.Int32: "int32", format.Int64: "int64",
					format.Float: "float", format.Double: "double", format.ByteArray: "binary",
				}[e.Type.V]
				if typ == "" {
					t.Fatalf("column %s: unexpected physical type %v", e.Name, e.Type.V)
				}
			}
			line := fmt.Sprintf("%s%s %s %s", ind, rep, typ, e.Name)
			switch lt := e.LogicalType.Value.(type) {
			case nil:
			case *format.StringType:
				line += " (STRING)"
			case *format.IntType:
				line += fmt.Sprintf(" (INTEGER(%d,%t))", lt.BitWidth, lt.IsSigned)
			case *format.ListType:
				line += " (LIST)"
			case *format.MapType:
				line += " (MAP)"
			default:
				t.Fatalf("column %s: unexpected logical type %s", e.Name, lt.String())
			}
			if !e.NumChildren.Valid {
				b.WriteString(line + ";\n")
				return i + 1
			}
			b.WriteString(line + " {\n")
		}
		j := i + 1
		for c := 0; c < int(e.NumChildren.V); c++ {
			j = walk(j, depth+1)
		}
		b.WriteString(ind + "}\n")
		return j
	}
	if n := walk(0, 0); n != len(els) {
		t.Fatalf("schema has %d elements, walked %d", len(els), n)
	}
	return b.String()
}

// TestTempoBlockSchemaIsLegacy: Tempo's test block has exactly the legacy
// layout (pqLegacyTrace), and is detected as such.
func TestTempoBlockSchemaIsLegacy(t *testing.T) {
	f := tempoParquet(t)
	if diff := cmp.Diff(f.Schema().String(), legacyTraceSchema().String()); diff != "" {
		t.Fatalf("Tempo block schema differs from the legacy layout (-tempo +legacy):\n%s", diff)
	}
	if l, err := detectLayout(f.Schema()); err != nil || l != layoutLegacy {
		t.Fatalf("detectLayout(Tempo block) = %v, %v; want legacy", l, err)
	}
	// And it is not the documented layout.
	want, err := os.ReadFile(documentedSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	if renderFooterSchema(t, f) == string(want) {
		t.Fatal("Tempo's test block unexpectedly has the documented layout")
	}
}

// TestWrittenSchemaIsDocumented: the footer schema of a block we write is,
// element for element, the documented vParquet4 schema.
func TestWrittenSchemaIsDocumented(t *testing.T) {
	want, err := os.ReadFile(documentedSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	_, _, data := writtenParquet(t, roundTripTraces(), WriteOptions{DedicatedColumns: []DedicatedColumn{{Name: "instance"}}})
	f := openParquet(t, data)
	if diff := cmp.Diff(string(want), renderFooterSchema(t, f)); diff != "" {
		t.Fatalf("written schema differs from the documented one (-documented +ours):\n%s", diff)
	}
	if l, err := detectLayout(f.Schema()); err != nil || l != layoutDocumented {
		t.Fatalf("detectLayout(ours) = %v, %v; want documented", l, err)
	}
	// The in-memory schema the writer uses renders the same (it is what
	// parquet-go writes, but check that nothing is lost on the way).
	if f.Schema().String() != traceSchema().String() {
		t.Errorf("file schema differs from traceSchema():\n%s\n%s", f.Schema(), traceSchema())
	}
}

var (
	schemaLeafRE  = regexp.MustCompile(`^(required|optional|repeated) (binary|boolean|int32|int64|double|float) (\w+)(?: \((STRING|INTEGER\((\d+),(true|false)\))\))?;$`)
	schemaGroupRE = regexp.MustCompile(`^(required|optional|repeated) group (\w+)(?: \((LIST|MAP)\))? \{$`)
)

type documentedColumn struct {
	path       []string
	repetition []string // of every node on the path, root excluded
	physical   format.Type
	logical    string // "", "STRING" or "INTEGER(bits,signed)"
}

// parseDocumentedColumns lists the leaf columns of the documented schema.
func parseDocumentedColumns(t *testing.T) []documentedColumn {
	t.Helper()
	raw, err := os.ReadFile(documentedSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	phys := map[string]format.Type{"binary": format.ByteArray, "boolean": format.Boolean, "int32": format.Int32,
		"int64": format.Int64, "double": format.Double, "float": format.Float}
	var names, reps []string
	var out []documentedColumn
	for n, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case n == 0:
			if line != "message Trace {" {
				t.Fatalf("line 1: %q", line)
			}
		case line == "}":
			if len(names) > 0 {
				names, reps = names[:len(names)-1], reps[:len(reps)-1]
			}
		case schemaGroupRE.MatchString(line):
			m := schemaGroupRE.FindStringSubmatch(line)
			names, reps = append(names, m[2]), append(reps, m[1])
		case schemaLeafRE.MatchString(line):
			m := schemaLeafRE.FindStringSubmatch(line)
			out = append(out, documentedColumn{
				path:       append(append([]string(nil), names...), m[3]),
				repetition: append(append([]string(nil), reps...), m[1]),
				physical:   phys[m[2]],
				logical:    m[4],
			})
		default:
			t.Fatalf("%s:%d: cannot parse %q", documentedSchemaFile, n+1, line)
		}
	}
	return out
}

// TestDocumentedColumnsExist checks every leaf column of the documented
// schema, by path, in a file we write: physical type and column order from
// the footer's column chunks, logical type and the repetition of every
// node on the path from the schema, and that there are no other columns.
func TestDocumentedColumnsExist(t *testing.T) {
	cols := parseDocumentedColumns(t)
	if len(cols) != len(traceSchema().Columns()) {
		t.Errorf("documented schema has %d columns, ours %d", len(cols), len(traceSchema().Columns()))
	}
	// Spot-check the parse: the attribute group of a span.
	attr := "rs.list.element.ss.list.element.Spans.list.element.Attrs.list.element."
	seen := map[string]bool{}
	for _, c := range cols {
		seen[strings.Join(c.path, ".")] = true
	}
	for _, leaf := range []string{"Key", "IsArray", "Value.list.element", "ValueInt.list.element",
		"ValueDouble.list.element", "ValueBool.list.element", "ValueUnsupported"} {
		if !seen[attr+leaf] {
			t.Fatalf("documented schema lacks %s%s", attr, leaf)
		}
	}

	_, _, data := writtenParquet(t, roundTripTraces(), WriteOptions{})
	f := openParquet(t, data)
	chunks := f.Metadata().RowGroups[0].Columns
	if len(chunks) != len(cols) {
		t.Fatalf("file has %d column chunks, documented schema %d columns", len(chunks), len(cols))
	}
	for i, c := range cols {
		path := strings.Join(c.path, ".")
		cm := chunks[i].MetaData
		if got := strings.Join(cm.PathInSchema, "."); got != path {
			t.Errorf("column %d is %s, documented %s", i, got, path)
			continue
		}
		if cm.Type != c.physical {
			t.Errorf("%s: physical type %v, documented %v", path, cm.Type, c.physical)
		}
		leaf, ok := f.Schema().Lookup(c.path...)
		if !ok {
			t.Errorf("%s: not in the file schema", path)
			continue
		}
		logical := ""
		if lt := leaf.Node.Type().LogicalType(); lt != nil {
			switch v := lt.Value.(type) {
			case *format.StringType:
				logical = "STRING"
			case *format.IntType:
				logical = fmt.Sprintf("INTEGER(%d,%t)", v.BitWidth, v.IsSigned)
			case nil:
			default:
				logical = lt.String()
			}
		}
		if logical != c.logical {
			t.Errorf("%s: logical type %q, documented %q", path, logical, c.logical)
		}
		var node parquet.Node = f.Schema()
		for d, name := range c.path {
			var next parquet.Node
			for _, fl := range node.Fields() {
				if fl.Name() == name {
					next = fl
				}
			}
			if next == nil {
				t.Fatalf("%s: no node %s", path, name)
			}
			node = next
			rep := "required"
			switch {
			case node.Optional():
				rep = "optional"
			case node.Repeated():
				rep = "repeated"
			}
			if rep != c.repetition[d] {
				t.Errorf("%s: %s is %s, documented %s", path, strings.Join(c.path[:d+1], "."), rep, c.repetition[d])
			}
		}
		if leaf.MaxRepetitionLevel != strings.Count(strings.Join(c.repetition, " "), "repeated") ||
			leaf.MaxDefinitionLevel != len(c.repetition)-strings.Count(strings.Join(c.repetition, " "), "required") {
			t.Errorf("%s: levels r=%d d=%d do not follow the documented repetitions %v",
				path, leaf.MaxRepetitionLevel, leaf.MaxDefinitionLevel, c.repetition)
		}
	}
}

// rawAttrs returns the generic span attributes of the first span named
// name in a block's raw rows, by key (the last one for duplicate keys).
func rawSpanAttrs(rows []pqTrace, name string) map[string]pqAttribute {
	for _, r := range rows {
		for _, rs := range r.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, sp := range ss.Spans {
					if sp.Name == name {
						out := map[string]pqAttribute{}
						for _, a := range sp.Attrs {
							out[a.Key] = a
						}
						return out
					}
				}
			}
		}
	}
	return nil
}

// TestAttributeEncoding checks the documented-layout encoding of every
// value type, as stored (spec §4.3).
func TestAttributeEncoding(t *testing.T) {
	ctx := context.Background()
	s, m, _ := writtenParquet(t, roundTripTraces(), WriteOptions{})
	b, err := s.OpenBlock(ctx, m.BlockID)
	if err != nil {
		t.Fatal(err)
	}
	got := rawSpanAttrs(rawRows(t, b), "GET /")
	str := func(s string) *string { return &s }
	want := map[string]pqAttribute{
		"span.str":        {Value: []string{"v"}},
		"span.empty.str":  {Value: []string{""}},
		"span.int":        {ValueInt: []int64{-42}},
		"span.double":     {ValueDouble: []float64{3.25}},
		"span.nan":        {ValueDouble: []float64{math.NaN()}},
		"span.bool":       {ValueBool: []bool{true}},
		"span.bytes":      {ValueUnsupported: str(`{"bytesValue":"AAEC/w=="}`)},
		"span.empty":      {ValueUnsupported: str(`{}`)},
		"span.arr.str":    {IsArray: true, Value: []string{"a", "b"}},
		"span.arr.int":    {IsArray: true, ValueInt: []int64{1, math.MaxInt64}},
		"span.arr.double": {IsArray: true, ValueDouble: []float64{1.5}},
		"span.arr.bool":   {IsArray: true, ValueBool: []bool{false, true}},
		"span.arr.empty":  {IsArray: true},
		"span.arr.mixed":  {ValueUnsupported: str(`{"arrayValue":{"values":[{"stringValue":"x"},{"intValue":"7"}]}}`)},
		"span.arr.nested": {ValueUnsupported: str(`{"arrayValue":{"values":[{"arrayValue":{"values":[{"intValue":"1"}]}}]}}`)},
		"span.kvlist": {ValueUnsupported: str(`{"kvlistValue":{"values":[{"key":"k","value":{"stringValue":"v"}},` +
			`{"key":"i","value":{"intValue":"9"}},{"key":"inner","value":{"kvlistValue":{"values":[{"key":"b","value":{"boolValue":false}}]}}},` +
			`{"key":"bytes","value":{"bytesValue":"aGk="}},{"key":"inf","value":{"doubleValue":"-Infinity"}}]}}`)},
	}
	for k, w := range want {
		w.Key = k
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: not among the generic attributes", k)
			continue
		}
		if diff := cmp.Diff(w, g, cmpopts.EquateEmpty(), cmp.Comparer(func(a, b float64) bool {
			return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
		})); diff != "" {
			t.Errorf("%s stored as (-want +got):\n%s", k, diff)
		}
	}
}

// TestDecodeValue covers documented-layout rows other writers may produce.
func TestDecodeValue(t *testing.T) {
	str := func(s string) *string { return &s }
	tests := []struct {
		name string
		in   pqAttribute
		want model.Value
	}{
		{"string", pqAttribute{Value: []string{"s"}}, model.StringValue("s")},
		{"int", pqAttribute{ValueInt: []int64{3}}, model.IntValue(3)},
		{"double", pqAttribute{ValueDouble: []float64{2.5}}, model.DoubleValue(2.5)},
		{"bool", pqAttribute{ValueBool: []bool{false}}, model.BoolValue(false)},
		{"one-element array", pqAttribute{IsArray: true, ValueInt: []int64{3}}, model.ArrayValue(model.IntValue(3))},
		{"empty array", pqAttribute{IsArray: true}, model.ArrayValue()},
		{"unsupported", pqAttribute{ValueUnsupported: str(`{"bytesValue":"aGk="}`)}, model.BytesValue([]byte("hi"))},
		{"nothing", pqAttribute{}, model.Value{}},
		{"several without IsArray", pqAttribute{Value: []string{"a", "b"}}, model.ArrayValue(model.StringValue("a"), model.StringValue("b"))},
	}
	for _, tc := range tests {
		got, err := decodeValue(&tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.want, got, traceOpts); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", tc.name, diff)
		}
	}
	if _, err := decodeValue(&pqAttribute{ValueUnsupported: str(`{`)}); err == nil {
		t.Error("bad ValueUnsupported JSON decoded without error")
	}
}

// toLegacyAttrs encodes attributes in the legacy layout with every
// ValueType code tracectl used to write (0..9).
func toLegacyAttrs(t *testing.T) func([]pqAttribute) ([]pqLegacyAttribute, error) {
	return func(as []pqAttribute) ([]pqLegacyAttribute, error) {
		out := make([]pqLegacyAttribute, len(as))
		for i := range as {
			v, err := decodeValue(&as[i])
			if err != nil {
				return nil, err
			}
			l := pqLegacyAttribute{Key: as[i].Key, Value: as[i].Value, ValueInt: as[i].ValueInt,
				ValueDouble: as[i].ValueDouble, ValueBool: as[i].ValueBool}
			switch {
			case v.Type == model.ValueEmpty:
				l.ValueType = legacyAttrEmpty
				l.Value, l.ValueInt, l.ValueDouble, l.ValueBool = nil, nil, nil, nil
			case as[i].ValueUnsupported != nil:
				l.ValueType, l.ValueDropped = legacyAttrDropped, as[i].ValueUnsupported
			case as[i].IsArray && len(as[i].ValueInt) > 0:
				l.ValueType = legacyAttrIntArray
			case as[i].IsArray && len(as[i].ValueDouble) > 0:
				l.ValueType = legacyAttrDoubleArray
			case as[i].IsArray && len(as[i].ValueBool) > 0:
				l.ValueType = legacyAttrBoolArray
			case as[i].IsArray:
				l.ValueType = legacyAttrStringArray
			case v.Type == model.ValueString:
				l.ValueType = legacyAttrString
			case v.Type == model.ValueInt:
				l.ValueType = legacyAttrInt
			case v.Type == model.ValueDouble:
				l.ValueType = legacyAttrDouble
			case v.Type == model.ValueBool:
				l.ValueType = legacyAttrBool
			default:
				t.Fatalf("cannot encode %q as legacy", as[i].Key)
			}
			out[i] = l
		}
		return out, nil
	}
}

// legacyBlock writes the round-trip traces as a block and replaces its
// data.parquet with the same rows in the legacy layout.
func legacyBlock(t *testing.T) (*Store, Meta, []*model.Trace) {
	t.Helper()
	ctx := context.Background()
	in := roundTripTraces()
	opts := WriteOptions{DedicatedColumns: []DedicatedColumn{{Scope: ScopeResource, Name: "ip"}, {Name: "instance"}}}
	s, m, _ := writtenParquet(t, in, opts)
	b, err := s.OpenBlock(ctx, m.BlockID)
	if err != nil {
		t.Fatal(err)
	}
	var legacy []pqLegacyTrace
	codes := map[int32]bool{}
	for _, r := range rawRows(t, b) {
		rs, err := mapAttrs(r.ResourceSpans, toLegacyAttrs(t))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = mapAttrs(rs, func(ls []pqLegacyAttribute) ([]pqLegacyAttribute, error) {
			for _, l := range ls {
				codes[l.ValueType] = true
			}
			return ls, nil
		})
		legacy = append(legacy, pqLegacyTrace{r.TraceID, r.TraceIDText, r.StartTimeUnixNano, r.EndTimeUnixNano,
			r.DurationNano, r.RootServiceName, r.RootSpanName, r.ServiceStats, rs})
	}
	if len(codes) != 10 {
		t.Fatalf("legacy rows use ValueType codes %v, want all of 0..9", codes)
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[pqLegacyTrace](&buf, legacyTraceSchema())
	if _, err := w.Write(legacy); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if l, err := detectLayout(openParquet(t, data).Schema()); err != nil || l != layoutLegacy {
		t.Fatalf("detectLayout = %v, %v; want legacy", l, err)
	}
	if err := s.put(ctx, joinKey(s.tenant, m.BlockID.String(), dataObject), data); err != nil {
		t.Fatal(err)
	}
	m.Size = uint64(len(data))
	m.FooterSize = uint32(data[len(data)-8]) | uint32(data[len(data)-7])<<8 | uint32(data[len(data)-6])<<16 | uint32(data[len(data)-5])<<24
	putMeta(t, s, m)
	return s, m, in
}

// legacyStore is legacyBlock's store.
func legacyStore(t *testing.T) *Store {
	s, _, _ := legacyBlock(t)
	return s
}

// TestReadLegacyLayout checks that scans, lookups and verification read a
// legacy-layout block as the documented one.
func TestReadLegacyLayout(t *testing.T) {
	ctx := context.Background()
	s, m, in := legacyBlock(t)
	want := canonical(in, m.DedicatedColumns)
	b, err := s.OpenBlock(ctx, m.BlockID)
	if err != nil {
		t.Fatal(err)
	}
	it, _ := b.Traces(ctx)
	if diff := cmp.Diff(want, readAllTraces(t, it), traceOpts); diff != "" {
		t.Fatalf("legacy scan differs (-want +got):\n%s", diff)
	}
	for _, w := range want {
		g, ok, err := b.FindTrace(ctx, w.TraceID)
		if err != nil || !ok {
			t.Fatalf("FindTrace(%s) = %v, %v", w.TraceID, ok, err)
		}
		if diff := cmp.Diff(w, g, traceOpts); diff != "" {
			t.Fatalf("legacy FindTrace differs (-want +got):\n%s", diff)
		}
	}
	rep, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("legacy block does not verify: %+v", rep)
	}
}

// TestDetectLayout rejects files with neither attribute layout.
func TestDetectLayout(t *testing.T) {
	type other struct {
		TraceID []byte
	}
	if _, err := detectLayout(parquet.SchemaOf(new(other))); err == nil {
		t.Error("detectLayout accepted a schema without attributes")
	}
	if l, err := detectLayout(traceSchema()); err != nil || l != layoutDocumented {
		t.Errorf("detectLayout(traceSchema()) = %v, %v", l, err)
	}
	if l, err := detectLayout(legacyTraceSchema()); err != nil || l != layoutLegacy {
		t.Errorf("detectLayout(legacyTraceSchema()) = %v, %v", l, err)
	}
}
