package attributes

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/attributesprocessor"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.yaml.in/yaml/v3"

	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/redact"
)

// inputs is one span's attributes covering every value type and the
// edges of each: empty, unicode and long strings; zero, negative and
// extreme integers; signed zero, subnormal, infinite and NaN doubles;
// both booleans; bytes, arrays, maps and the empty value.
func inputs() pcommon.Map {
	m := pcommon.NewMap()
	m.PutStr("s.empty", "")
	m.PutStr("s.ascii", "alice@example.com")
	m.PutStr("s.unicode", "Zoë 東京 🚀")
	m.PutStr("s.long", strings.Repeat("x", 4096))
	m.PutStr("s.num", "42")
	m.PutStr("s.float", "3.25")
	m.PutStr("s.bad", "n/a")
	for i, v := range []int64{0, 1, -1, 42, math.MaxInt64, math.MinInt64} {
		m.PutInt(fmt.Sprintf("i.%d", i), v)
	}
	for i, v := range []float64{0, math.Copysign(0, -1), 3.5, -1e-300, 5e-324, 1e21, 123456789.125, math.Inf(1), math.Inf(-1), math.NaN()} {
		m.PutDouble(fmt.Sprintf("d.%d", i), v)
	}
	m.PutBool("b.true", true)
	m.PutBool("b.false", false)
	m.PutEmptyBytes("bytes").FromRaw([]byte{0, 1, 2})
	sl := m.PutEmptySlice("slice")
	sl.AppendEmpty().SetStr("a")
	sl.AppendEmpty().SetInt(1)
	mm := m.PutEmptyMap("map")
	mm.PutStr("k", "v")
	m.PutEmpty("empty")
	return m
}

// collector runs the Collector's attributes processor with actions on a
// span carrying attrs and returns the span's attributes afterwards.
func collector(t *testing.T, actions []any, attrs pcommon.Map) pcommon.Map {
	t.Helper()
	f := attributesprocessor.NewFactory()
	cfg := f.CreateDefaultConfig()
	if err := confmap.NewFromStringMap(map[string]any{"actions": actions}).Unmarshal(cfg); err != nil {
		t.Fatal(err)
	}
	sink := new(consumertest.TracesSink)
	ctx := context.Background()
	p, err := f.CreateTraces(ctx, processortest.NewNopSettings(f.Type()), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx, componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	td := ptrace.NewTraces()
	sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetName("op")
	attrs.CopyTo(sp.Attributes())
	if err := p.ConsumeTraces(ctx, td); err != nil {
		t.Fatal(err)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	out := sink.AllTraces()
	if len(out) != 1 {
		t.Fatalf("%d batches out", len(out))
	}
	return out[0].ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes()
}

// ours runs the same actions as a tracectl rules file.
func ours(t *testing.T, actions []any, attrs pcommon.Map, key []byte) []model.Attribute {
	t.Helper()
	src, err := yaml.Marshal(map[string]any{"rules": []any{map[string]any{"name": "conf", "attributes": map[string]any{"actions": actions}}}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := redact.Compile("conformance.yaml", src, redact.Options{HashKey: key})
	if err != nil {
		t.Fatal(err)
	}
	tr := &model.Trace{ResourceSpans: []model.ResourceSpans{{ScopeSpans: []model.ScopeSpans{{Spans: []model.Span{{Name: "op", Attributes: toModel(attrs)}}}}}}}
	e.Apply(tr)
	return tr.ResourceSpans[0].ScopeSpans[0].Spans[0].Attributes
}

// toModel converts pdata attributes as tracectl's OTLP decoder does.
func toModel(m pcommon.Map) []model.Attribute { return otlp.FromMap(m) }

func compare(t *testing.T, name string, want pcommon.Map, got []model.Attribute) {
	t.Helper()
	w := toModel(want)
	sort.Slice(w, func(i, j int) bool { return w[i].Key < w[j].Key })
	sort.Slice(got, func(i, j int) bool { return got[i].Key < got[j].Key })
	if len(w) != len(got) {
		t.Errorf("%s: collector has %d attributes, tracectl %d", name, len(w), len(got))
	}
	for i := 0; i < len(w) && i < len(got); i++ {
		if w[i].Key != got[i].Key || !w[i].Value.Equal(got[i].Value) {
			t.Errorf("%s: collector %s=%v %q, tracectl %s=%v %q", name,
				w[i].Key, w[i].Value.Type, w[i].Value.AsString(), got[i].Key, got[i].Value.Type, got[i].Value.AsString())
		}
	}
}

// TestHashMatchesCollector: the attributes hash action gives the same
// output as the Collector's (v0.161.0) for every value type.
func TestHashMatchesCollector(t *testing.T) {
	actions := []any{map[string]any{"pattern": ".*", "action": "hash"}}
	in := inputs()
	want := collector(t, actions, in)
	got := ours(t, actions, in, nil)
	compare(t, "hash", want, got)
	if v, _ := want.Get("s.ascii"); v.Str() != "ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976" {
		t.Errorf("collector hash of the e-mail = %s", v.Str())
	}
	// By key as well as by pattern.
	byKey := []any{map[string]any{"key": "i.3", "action": "hash"}, map[string]any{"key": "b.true", "action": "hash"}}
	compare(t, "hash by key", collector(t, byKey, in), ours(t, byKey, in, nil))
}

// TestOtherActionsMatchCollector runs the remaining actions through both.
func TestOtherActionsMatchCollector(t *testing.T) {
	in := inputs()
	cases := map[string][]any{
		"convert int":    {map[string]any{"key": "s.num", "action": "convert", "converted_type": "int"}, map[string]any{"key": "d.2", "action": "convert", "converted_type": "int"}, map[string]any{"key": "b.true", "action": "convert", "converted_type": "int"}, map[string]any{"key": "s.bad", "action": "convert", "converted_type": "int"}},
		"convert double": {map[string]any{"key": "s.float", "action": "convert", "converted_type": "double"}, map[string]any{"key": "i.3", "action": "convert", "converted_type": "double"}, map[string]any{"key": "b.false", "action": "convert", "converted_type": "double"}},
		"convert string": {map[string]any{"key": "d.5", "action": "convert", "converted_type": "string"}, map[string]any{"key": "d.6", "action": "convert", "converted_type": "string"}, map[string]any{"key": "d.3", "action": "convert", "converted_type": "string"}, map[string]any{"key": "d.9", "action": "convert", "converted_type": "string"}, map[string]any{"key": "i.4", "action": "convert", "converted_type": "string"}, map[string]any{"key": "b.true", "action": "convert", "converted_type": "string"}},
		"delete":         {map[string]any{"key": "s.empty", "action": "delete"}, map[string]any{"pattern": "^d\\.", "action": "delete"}},
		"insert update upsert": {
			map[string]any{"key": "new", "action": "insert", "value": "v"},
			map[string]any{"key": "s.ascii", "action": "insert", "value": "no"},
			map[string]any{"key": "i.1", "action": "update", "value": 7},
			map[string]any{"key": "absent", "action": "update", "value": 7},
			map[string]any{"key": "copy", "action": "upsert", "from_attribute": "s.unicode"},
			map[string]any{"key": "dflt", "action": "upsert", "from_attribute": "nope", "default_value": true},
		},
		"extract": {map[string]any{"key": "s.ascii", "action": "extract", "pattern": "^(?P<user>[^@]+)@(?P<domain>.+)$"}},
	}
	for name, actions := range cases {
		compare(t, name, collector(t, actions, in), ours(t, actions, in, nil))
	}
}
