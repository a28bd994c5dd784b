package blocks

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// analyseTraces returns generated traces and one of every attribute type:
// bytes, arrays, maps, empty values, a repeated key, an int http.method
// (generic, as its static column takes strings only), a resource without
// service.name.
func analyseTraces() []*model.Trace {
	g := gen.New(gen.Options{Seed: 5, PIIRate: 0.2})
	var ts []*model.Trace
	for range 200 {
		ts = append(ts, g.Trace())
	}
	tb := model.NewTraceBuilder()
	sc := model.Scope{Name: "odd"}
	res := model.Resource{Attributes: []model.Attribute{model.Str("k8s.pod.name", "pod-1"), model.Str("region", "eu")}}
	tb.AddSpan(&res, "", &sc, "", model.Span{TraceID: model.TraceID{1}, SpanID: model.SpanID{1}, Name: "odd",
		StartTimeUnixNano: 1e18, EndTimeUnixNano: 1e18 + 1, Attributes: []model.Attribute{
			{Key: "blob", Value: model.BytesValue([]byte{1, 2, 3})},
			{Key: "list", Value: model.ArrayValue(model.StringValue("ab"), model.StringValue("c"))},
			{Key: "ints", Value: model.ArrayValue(model.IntValue(1), model.IntValue(2))},
			{Key: "map", Value: model.MapValue(model.Str("a", "b"))},
			{Key: "nothing"},
			model.Str("http.route", "/x"), model.Str("http.route", "/y"),
			model.Int("http.method", 7),
			model.Str("http.url", "http://h/x"),
			{Key: "ok", Value: model.BoolValue(true)},
			{Key: "ratio", Value: model.DoubleValue(0.5)},
		}})
	return append(ts, tb.Traces()...)
}

// statsOf computes what Analyse reports (but Column) from traces as
// readers return them.
func statsOf(t *testing.T, st *Store) (map[attrID]AttrStat, [3]int64) {
	t.Helper()
	it, err := st.Traces(context.Background(), store.Request{})
	if err != nil {
		t.Fatal(err)
	}
	traces := readAllTraces(t, it)
	out := map[attrID]AttrStat{}
	var n [3]int64
	add := func(scope string, a model.Attribute) {
		id := attrID{scope, a.Key, a.Value.Type.String()}
		s := out[id]
		s.Scope, s.Name, s.Type = id.scope, id.name, id.typ
		s.Rows++
		s.Bytes += valueBytes(a.Value)
		out[id] = s
	}
	for _, tr := range traces {
		n[0]++
		for _, rs := range tr.ResourceSpans {
			n[1]++
			for _, a := range rs.Resource.Attributes {
				if a.Key == model.ServiceNameKey && a.Value.Type == model.ValueString && a.Value.Str == "" {
					continue // stored as "no service.name"
				}
				add(ScopeResource, a)
			}
			for _, ss := range rs.ScopeSpans {
				for _, sp := range ss.Spans {
					n[2]++
					for _, a := range sp.Attributes {
						add(ScopeSpan, a)
					}
				}
			}
		}
	}
	return out, n
}

// TestAnalyseMatchesTraces: whatever the attributes' columns (generic,
// dedicated in either of two orders, static), Analyse counts what the
// traces read back hold, and says where each attribute is stored.
func TestAnalyseMatchesTraces(t *testing.T) {
	sets := map[string][]DedicatedColumn{
		"none":      nil,
		"dedicated": {{Scope: ScopeResource, Name: "host.name"}, {Name: "http.route"}, {Name: "db.statement"}, {Name: "list"}},
		"reordered": {{Name: "db.statement"}, {Name: "http.route"}, {Scope: ScopeResource, Name: "deployment.environment"}, {Scope: ScopeResource, Name: "host.name"}},
	}
	for name, cols := range sets {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := memStore(t)
			ts := analyseTraces()
			model.SortTraces(ts)
			half := len(ts) / 2
			for _, part := range [][]*model.Trace{ts[:half], ts[half:]} {
				if _, err := st.WriteBlock(ctx, part, WriteOptions{DedicatedColumns: cols, RowGroupBytes: 64 << 10}); err != nil {
					t.Fatal(err)
				}
			}
			an, err := st.Analyse(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, n := statsOf(t, st)
			if an.Blocks != 2 || an.Traces != n[0] || an.Resources != n[1] || an.Spans != n[2] {
				t.Errorf("blocks %d, traces %d, resources %d, spans %d; want 2, %v", an.Blocks, an.Traces, an.Resources, an.Spans, n)
			}
			if len(an.Attributes) != len(want) {
				t.Errorf("%d attributes, want %d", len(an.Attributes), len(want))
			}
			_, spanSlots := dedicatedSlots(cols)
			resSlots, _ := dedicatedSlots(cols)
			for i, got := range an.Attributes {
				id := attrID{got.Scope, got.Name, got.Type}
				w, ok := want[id]
				if !ok {
					t.Errorf("unexpected attribute %+v", got)
					continue
				}
				if got.Rows != w.Rows || got.Bytes != w.Bytes {
					t.Errorf("%v: rows %d bytes %d, want %d, %d", id, got.Rows, got.Bytes, w.Rows, w.Bytes)
				}
				if i > 0 && an.Attributes[i-1].Bytes < got.Bytes {
					t.Errorf("not sorted by bytes at %d", i)
				}
				wantCol := "generic"
				slots := spanSlots
				if got.Scope == ScopeResource {
					slots = resSlots
				}
				switch {
				case staticColumnOf(got.Scope, got.Name) != "" && got.Type == "string" || got.Name == keyHTTPStatusCode && got.Type == "int":
					wantCol = "static"
				case got.Type == "string" && got.Name != "http.route":
					if _, ok := slots[got.Name]; ok {
						wantCol = "dedicated"
					}
				case got.Type == "string" && got.Name == "http.route":
					if _, ok := slots[got.Name]; ok {
						// the odd span's second http.route stays generic
						wantCol = "mixed"
					}
				}
				if got.Column != wantCol {
					t.Errorf("%v: column %s, want %s", id, got.Column, wantCol)
				}
			}
			for _, s := range an.Suggested {
				if s.Scope == "" && s.Name == "list" || s.Name == "http.url" {
					t.Errorf("suggested %+v", s)
				}
				for _, d := range an.Dedicated {
					if d.Scope == s.Scope && d.Name == s.Name {
						t.Errorf("suggested %+v, which is dedicated already", s)
					}
				}
			}
			if _, err := ParseDedicatedColumns(an.Columns); err != nil {
				t.Errorf("columns %q: %v", an.Columns, err)
			}
			one, err := st.Analyse(ctx, []uuid.UUID{mustBlocks(t, st)[0].BlockID})
			if err != nil || one.Blocks != 1 || one.Spans == 0 || one.Spans >= an.Spans {
				t.Errorf("one block: %d blocks, %d spans, %v", one.Blocks, one.Spans, err)
			}
			if _, err := st.Analyse(ctx, []uuid.UUID{uuid.New()}); err == nil {
				t.Error("unknown block ID: no error")
			}
		})
	}
}

func mustBlocks(t *testing.T, st *Store) []Meta {
	t.Helper()
	ms, err := st.Blocks(context.Background())
	if err != nil || len(ms) == 0 {
		t.Fatalf("%d blocks, %v", len(ms), err)
	}
	return ms
}

// TestAnalyseTempoBlock analyses Tempo's own vParquet4 block (legacy value
// layout, five dedicated columns) against a golden file.
func TestAnalyseTempoBlock(t *testing.T) {
	an, err := tempoStore(t).Analyse(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if an.Traces != 134 || len(an.Dedicated) != 5 {
		t.Errorf("traces %d, dedicated %v", an.Traces, an.Dedicated)
	}
	out, err := json.MarshalIndent(an, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "tempo-analyse.golden", append(out, '\n'))
}

func TestAnalyseSuggestions(t *testing.T) {
	stat := func(scope, name, typ, col string, bytes int64) *AttrStat {
		return &AttrStat{Scope: scope, Name: name, Type: typ, Column: col, Rows: 1, Bytes: bytes}
	}
	many := func(n int) []DedicatedColumn {
		var out []DedicatedColumn
		for i := range n {
			out = append(out, DedicatedColumn{Name: fmt.Sprintf("d%d", i)})
		}
		return out
	}
	tests := []struct {
		name      string
		stats     []*AttrStat
		dedicated []DedicatedColumn
		want      []DedicatedColumn
	}{
		{"by bytes", []*AttrStat{stat("span", "a", "string", "generic", 10), stat("span", "b", "string", "generic", 30),
			stat("resource", "c", "string", "generic", 20)}, nil,
			[]DedicatedColumn{{Name: "b"}, {Scope: ScopeResource, Name: "c"}, {Name: "a"}}},
		{"strings in generic lists only", []*AttrStat{stat("span", "i", "int", "generic", 100), stat("span", "s", "string", "static", 100),
			stat("span", "m", "string", "mixed", 100), stat("span", "arr", "array", "generic", 100), stat("span", "g", "string", "generic", 100)}, nil,
			[]DedicatedColumn{{Name: "g"}}},
		{"under 1% left out", []*AttrStat{stat("span", "big", "string", "generic", 1000), stat("span", "small", "string", "generic", 9)}, nil,
			[]DedicatedColumn{{Name: "big"}}},
		{"free slots only", []*AttrStat{stat("span", "a", "string", "generic", 10), stat("span", "b", "string", "generic", 9)}, many(9),
			[]DedicatedColumn{{Name: "a"}}},
		{"dedicated skipped", []*AttrStat{stat("span", "d1", "string", "generic", 10), stat("span", "b", "string", "generic", 9)}, many(2),
			[]DedicatedColumn{{Name: "b"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			an := newAnalyser()
			for _, s := range tc.stats {
				an.attrs[attrID{s.Scope, s.Name, s.Type}] = s
			}
			got := an.result([]Meta{{DedicatedColumns: tc.dedicated}}).Suggested
			if len(got) == 0 && len(tc.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
