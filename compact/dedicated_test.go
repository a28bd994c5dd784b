package compact

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/traceql/eval"
)

func TestUnionDedicatedColumns(t *testing.T) {
	span := func(names ...string) []blocks.DedicatedColumn {
		var out []blocks.DedicatedColumn
		for _, n := range names {
			out = append(out, blocks.DedicatedColumn{Name: n})
		}
		return out
	}
	res := func(n string) blocks.DedicatedColumn {
		return blocks.DedicatedColumn{Scope: blocks.ScopeResource, Name: n}
	}
	meta := func(id byte, objects int, end int, cols []blocks.DedicatedColumn) blocks.Meta {
		return blocks.Meta{BlockID: uuid.UUID{15: id}, TotalObjects: objects, EndTime: base.Add(time.Duration(end) * time.Minute), DedicatedColumns: cols}
	}
	many := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s%02d", prefix, i)
		}
		return out
	}
	tests := []struct {
		name  string
		metas []blocks.Meta
		want  []blocks.DedicatedColumn
	}{
		{"none", []blocks.Meta{meta(1, 1, 0, nil), meta(2, 1, 0, nil)}, []blocks.DedicatedColumn{}},
		{"same", []blocks.Meta{meta(1, 1, 0, span("a", "b")), meta(2, 1, 0, span("a", "b"))}, span("a", "b")},
		{"largest first", []blocks.Meta{meta(1, 5, 0, span("a", "b")), meta(2, 9, 0, span("c", "a"))}, span("c", "a", "b")},
		{"tie: newest first", []blocks.Meta{meta(1, 5, 0, span("a")), meta(2, 5, 1, span("b"))}, span("b", "a")},
		{"scopes apart", []blocks.Meta{meta(1, 5, 0, []blocks.DedicatedColumn{res("a"), {Name: "a"}}), meta(2, 1, 0, []blocks.DedicatedColumn{res("b")})},
			[]blocks.DedicatedColumn{res("a"), {Name: "a"}, res("b")}},
		{"cap per scope", []blocks.Meta{meta(1, 5, 0, span(many("x", 8)...)), meta(2, 1, 0, span(many("y", 5)...))},
			span(append(many("x", 8), "y00", "y01")...)},
		{"unusable left out", []blocks.Meta{meta(1, 5, 0, []blocks.DedicatedColumn{{Name: "http.url"}, {Name: "n", Type: "int"}, {Name: "ok"}})}, span("ok")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := blocks.UnionDedicatedColumns(tc.metas); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// dedicatedTraces returns n traces whose spans carry http.route, url.path
// and db.system and whose resources carry deployment.environment, with
// values unique to block b; traces 0..4 are shared by every block (one
// span each of their own) so that the merge combines copies. An int
// http.route and an array url.path stay generic whatever the set.
func dedicatedTraces(b, n int) []*model.Trace {
	tb := model.NewTraceBuilder()
	sc := model.Scope{Name: "test"}
	start := uint64(base.Add(time.Duration(b) * time.Minute).UnixNano())
	for i := range n {
		var tid model.TraceID
		tid[0], tid[1], tid[15] = byte(b), byte(i), 1
		if i < 5 {
			tid[0], tid[1], tid[15] = 0xff, byte(i), 2
		}
		var sid model.SpanID
		sid[0], sid[1], sid[2] = byte(b), byte(i), 7
		res := model.Resource{Attributes: []model.Attribute{model.Str("service.name", "svc"),
			model.Str("deployment.environment", fmt.Sprintf("env-%d", b))}}
		attrs := []model.Attribute{
			model.Str("http.route", fmt.Sprintf("/b%d/t%d", b, i)),
			model.Str("url.path", fmt.Sprintf("/path/%d/%d", b, i)),
			model.Str("db.system", "postgresql"),
		}
		switch i % 7 {
		case 3:
			attrs[0] = model.Int("http.route", int64(i))
		case 5:
			attrs[1] = model.Attribute{Key: "url.path", Value: model.ArrayValue(model.StringValue("x"), model.StringValue("y"))}
		}
		tb.AddSpan(&res, "", &sc, "", model.Span{TraceID: tid, SpanID: sid, Name: "op", Kind: model.KindServer,
			StartTimeUnixNano: start + uint64(i), EndTimeUnixNano: start + uint64(i) + 1e6, Attributes: attrs})
	}
	return tb.Traces()
}

// spanAttrs renders every span's resource and span attributes, sorted, by
// span key: what must survive a merge unchanged.
func spanAttrs(t *testing.T, st *blocks.Store) map[spanKey]string {
	t.Helper()
	it, err := st.Traces(context.Background(), store.Request{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	out := map[spanKey]string{}
	for it.Next() {
		tr := it.At()
		tr.Spans(func(r model.SpanRef) bool {
			var kv []string
			for _, a := range r.Resource.Attributes {
				kv = append(kv, "resource."+a.Key+"="+a.Value.Type.String()+":"+a.Value.AsString())
			}
			for _, a := range r.Span.Attributes {
				kv = append(kv, "span."+a.Key+"="+a.Value.Type.String()+":"+a.Value.AsString())
			}
			sort.Strings(kv)
			out[spanKey{tr.TraceID, r.Span.SpanID, r.Span.Kind}] = fmt.Sprint(kv)
			return true
		})
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRunMixedDedicated merges blocks with three different dedicated
// sets (none, span, span+resource in another order): the output holds the
// union, every span keeps exactly its attributes, and a query finds every
// value afterwards.
func TestRunMixedDedicated(t *testing.T) {
	ctx := context.Background()
	bk, err := blocks.OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer bk.Close()
	st := blocks.NewStore(bk, "single-tenant")
	sets := [][]blocks.DedicatedColumn{
		nil,
		{{Name: "http.route"}, {Name: "url.path"}},
		{{Scope: blocks.ScopeResource, Name: "deployment.environment"}, {Name: "url.path"}, {Name: "db.system"}, {Name: "http.route"}},
	}
	for b, cols := range sets {
		n := 20 + 10*b
		if _, err := st.WriteBlock(ctx, dedicatedTraces(b, n), blocks.WriteOptions{DedicatedColumns: cols}); err != nil {
			t.Fatal(err)
		}
	}
	before := spanAttrs(t, st)
	res, err := Run(ctx, st, Options{CompactedRetention: -1, Now: func() time.Time { return base.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outputs) != 1 || len(res.Outputs[0].Group.Inputs) != 3 {
		t.Fatalf("%d outputs, want one merge of 3 blocks", len(res.Outputs))
	}
	m := res.Outputs[0].Meta
	want := []blocks.DedicatedColumn{{Scope: blocks.ScopeResource, Name: "deployment.environment"}, {Name: "url.path"}, {Name: "db.system"}, {Name: "http.route"}}
	if !reflect.DeepEqual(m.DedicatedColumns, want) {
		t.Errorf("output dedicated columns %+v, want %+v", m.DedicatedColumns, want)
	}
	after := spanAttrs(t, st)
	if len(after) != len(before) {
		t.Fatalf("%d spans after the merge, %d before", len(after), len(before))
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("span %v: attributes %s after the merge, %s before", k.span, after[k], v)
		}
	}
	// Every string value of a (now) dedicated attribute is found by a
	// query on it, and only its span.
	for b := range sets {
		for i := range 20 + 10*b {
			if i%7 == 3 {
				continue
			}
			for _, q := range []string{
				fmt.Sprintf(`{ span.http.route = "/b%d/t%d" }`, b, i),
				fmt.Sprintf(`{ resource.deployment.environment = "env-%d" && span.http.route = "/b%d/t%d" }`, b, b, i),
			} {
				r, err := eval.Search(ctx, st, q, eval.SearchOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if len(r.Traces) != 1 {
					t.Errorf("%s: %d traces, want 1", q, len(r.Traces))
				}
			}
		}
	}
	r, err := eval.Search(ctx, st, `{ span.http.route = 3 }`, eval.SearchOptions{})
	if err != nil || len(r.Traces) == 0 {
		t.Errorf("int http.route (generic) not found after the merge: %v", err)
	}
}
