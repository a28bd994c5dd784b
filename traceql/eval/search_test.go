package eval_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/querycorpus"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store/storetest"
	"github.com/tracectl/tracectl/traceql/eval"
	"github.com/tracectl/tracectl/traceql/traceqltest"
)

var t0 = time.Unix(1754500000, 0)

func sampleTrace() []*model.Trace {
	return storetest.Build(storetest.TraceSpec{
		ID: "00000000000000000000000000000abc", Start: t0,
		Spans: []storetest.SpanSpec{
			{ID: "1", Service: "frontend", Name: "GET /", Kind: model.KindServer, Duration: 150 * time.Millisecond,
				Attrs: []model.Attribute{model.Int("http.status_code", 200), model.Str("http.method", "GET")}},
			{ID: "2", Parent: "1", Service: "api", Name: "handle", Kind: model.KindServer, Status: model.StatusError,
				Offset: 10 * time.Millisecond, Duration: 100 * time.Millisecond,
				Attrs: []model.Attribute{model.Int("http.status_code", 500), model.Double("ratio", 0.25),
					{Key: "tags", Value: model.ArrayValue(model.StringValue("a"), model.StringValue("b"))}},
				ResourceAttrs: []model.Attribute{model.Str("env", "prod")}},
			{ID: "3", Parent: "2", Service: "api", Name: "query", Kind: model.KindClient,
				Offset: 20 * time.Millisecond, Duration: 30 * time.Millisecond},
		},
	})
}

func search(t *testing.T, traces []*model.Trace, q string, opts eval.SearchOptions) *eval.SearchResult {
	t.Helper()
	res, err := eval.Search(context.Background(), storetest.New(traces), q, opts)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return res
}

// TestTempoJSON checks the exact /api/search JSON shape: string-encoded
// 64-bit numbers, trimmed trace ID, OTLP attribute values, the deprecated
// spanSet field, spanset attributes from by() and aggregates.
func TestTempoJSON(t *testing.T) {
	res := search(t, sampleTrace(),
		`{ span.http.status_code >= 500 || name = "query" } | by(resource.service.name) | count() > 1 | select(span.ratio, span.tags, resource.env, status, kind, duration)`,
		eval.SearchOptions{SpansPerSpanSet: 1})
	got, err := res.TempoJSON()
	if err != nil {
		t.Fatal(err)
	}
	start := t0.UnixNano()
	want := fmt.Sprintf(`{"traces":[{"traceID":"abc","rootServiceName":"frontend","rootTraceName":"GET /",`+
		`"startTimeUnixNano":"%d","durationMs":150,`+
		`"spanSet":{"spans":[{"spanID":"0000000000000002","name":"handle","startTimeUnixNano":"%d","durationNanos":"100000000",`+
		`"attributes":[{"key":"http.status_code","value":{"intValue":"500"}},{"key":"ratio","value":{"doubleValue":0.25}},`+
		`{"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"stringValue":"b"}]}}},`+
		`{"key":"env","value":{"stringValue":"prod"}},{"key":"status","value":{"stringValue":"error"}},`+
		`{"key":"kind","value":{"stringValue":"server"}},{"key":"duration","value":{"stringValue":"100ms"}}]}],`+
		`"matched":2,"attributes":[{"key":"by(resource.service.name)","value":{"stringValue":"api"}},{"key":"count()","value":{"intValue":"2"}}]},`+
		`"spanSets":[{"spans":[{"spanID":"0000000000000002","name":"handle","startTimeUnixNano":"%d","durationNanos":"100000000",`+
		`"attributes":[{"key":"http.status_code","value":{"intValue":"500"}},{"key":"ratio","value":{"doubleValue":0.25}},`+
		`{"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"stringValue":"b"}]}}},`+
		`{"key":"env","value":{"stringValue":"prod"}},{"key":"status","value":{"stringValue":"error"}},`+
		`{"key":"kind","value":{"stringValue":"server"}},{"key":"duration","value":{"stringValue":"100ms"}}]}],`+
		`"matched":2,"attributes":[{"key":"by(resource.service.name)","value":{"stringValue":"api"}},{"key":"count()","value":{"intValue":"2"}}]}],`+
		`"serviceStats":{"api":{"spanCount":2,"errorCount":1},"frontend":{"spanCount":1}}}],`+
		`"metrics":{"inspectedTraces":1,"inspectedSpans":"3"}}`,
		start, start+10e6, start+10e6)
	if diff := cmp.Diff(indent(t, want), indent(t, string(got))); diff != "" {
		t.Errorf("Tempo JSON (-want +got):\n%s", diff)
	}
}

func indent(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v in %s", err, s)
	}
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// TestResultAttributes checks which attributes come back on spans: the ones
// the filters reference (not name/duration/IDs/trace intrinsics) and the
// select()ed ones, only when the span has them.
func TestResultAttributes(t *testing.T) {
	res := search(t, sampleTrace(), `{ name != "x" && duration > 1ms && trace:rootService = "frontend" && .http.method = "GET" } | select(span.ratio, nestedSetParent)`,
		eval.SearchOptions{})
	if len(res.Traces) != 1 || len(res.Traces[0].SpanSets) != 1 {
		t.Fatalf("want one trace with one spanset, got %+v", res.Traces)
	}
	spans := res.Traces[0].SpanSets[0].Spans
	if len(spans) != 1 || spans[0].Name != "GET /" {
		t.Fatalf("want the root span, got %+v", spans)
	}
	want := []model.Attribute{model.Str("http.method", "GET"), model.Int("nestedSetParent", -1)}
	if diff := cmp.Diff(want, spans[0].Attributes); diff != "" {
		t.Errorf("attributes (-want +got):\n%s", diff)
	}
	if res.Traces[0].RootServiceName != "frontend" || res.Traces[0].Duration != 150*time.Millisecond {
		t.Errorf("trace fields: %+v", res.Traces[0])
	}
}

func TestNoRoot(t *testing.T) {
	tr := storetest.Build(storetest.TraceSpec{ID: "1", Start: t0, Spans: []storetest.SpanSpec{
		{ID: "5", Parent: "4", Service: "svc", Name: "orphan", Duration: time.Millisecond},
	}})
	res := search(t, tr, `{ }`, eval.SearchOptions{})
	if len(res.Traces) != 1 || res.Traces[0].RootServiceName != eval.RootSpanNotYetReceived || res.Traces[0].RootTraceName != "" {
		t.Fatalf("got %+v", res.Traces)
	}
}

func TestErrors(t *testing.T) {
	tr := sampleTrace()
	for _, tt := range []struct{ query, want string }{
		{`{ } | rate()`, "tracectl metrics"},
		{`{ } | count_over_time() by (name)`, "tracectl metrics"},
		{`({ .a } | count()) > 3`, "not yet supported"},
		{`{ span.http.status_code % 0 = 1 }`, "division by zero"},
		{`{ .a = `, "parse error"},
	} {
		_, err := eval.Search(context.Background(), storetest.New(tr), tt.query, eval.SearchOptions{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want error containing %q", tt.query, err, tt.want)
		}
	}
	_, err := eval.Search(context.Background(), storetest.New(tr), `{ } | rate()`, eval.SearchOptions{})
	if !errors.Is(err, eval.ErrMetricsQuery) {
		t.Errorf("metrics query error %v is not ErrMetricsQuery", err)
	}
}

// TestTopK checks ordering and limits over many traces against a full sort,
// including start-time ties broken by trace ID.
func TestTopK(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var specs []storetest.TraceSpec
	for i := 0; i < 300; i++ {
		start := t0.Add(time.Duration(rng.Intn(50)) * time.Second) // many ties
		specs = append(specs, storetest.TraceSpec{ID: fmt.Sprintf("%x", 1000+rng.Intn(1e9)), Start: start,
			Spans: []storetest.SpanSpec{{ID: "1", Service: "s", Name: "n", Duration: time.Millisecond,
				Attrs: []model.Attribute{model.Int("i", int64(i))}}}})
	}
	traces := storetest.Build(specs...)
	type key struct {
		start uint64
		id    model.TraceID
	}
	var all []key
	for _, tr := range traces {
		if v, _ := model.Find(tr.ResourceSpans[0].ScopeSpans[0].Spans[0].Attributes, "i"); v.Int%3 == 0 {
			s, _ := tr.TimeRange()
			all = append(all, key{s, tr.TraceID})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].start != all[j].start {
			return all[i].start > all[j].start
		}
		return model.CompareTraceIDs(all[i].id, all[j].id) < 0
	})
	for _, limit := range []int{1, 7, 20, 1000} {
		res := search(t, traces, `{ span.i % 3 = 0 }`, eval.SearchOptions{Limit: limit})
		n := min(limit, len(all))
		if len(res.Traces) != n {
			t.Fatalf("limit %d: got %d traces, want %d", limit, len(res.Traces), n)
		}
		for i := 0; i < n; i++ {
			if res.Traces[i].TraceID != all[i].id {
				t.Fatalf("limit %d: trace %d is %s, want %s", limit, i, res.Traces[i].TraceID, all[i].id)
			}
		}
		if res.Metrics.InspectedTraces != len(traces) {
			t.Errorf("inspected %d traces, want %d", res.Metrics.InspectedTraces, len(traces))
		}
	}
	// CountOnly counts every match, whatever the limit, and keeps none.
	for _, limit := range []int{0, 1, 20} {
		res := search(t, traces, `{ span.i % 3 = 0 }`, eval.SearchOptions{Limit: limit, CountOnly: true})
		if res.Metrics.MatchedTraces != len(all) || len(res.Traces) != 0 {
			t.Errorf("CountOnly, limit %d: %d matched, %d traces kept; want %d and 0", limit, res.Metrics.MatchedTraces, len(res.Traces), len(all))
		}
	}
}

// TestValidCorpusDoesNotPanic evaluates every query of
// traceql/testdata/valid.txt over a few fixtures: each either runs or fails
// with an ordinary error (metrics queries with ErrMetricsQuery).
func TestValidCorpusDoesNotPanic(t *testing.T) {
	root, err := fixtures.Dir()
	if err != nil {
		t.Fatal(err)
	}
	traces, err := traceqltest.LoadTraces([]string{
		filepath.Join(root, "jaeger/skills/sibling_errors.json"),
		filepath.Join(root, "jaeger/skills/n_plus_one_positive.json"),
		filepath.Join(root, "zipkin/v2/ascend.json"),
		"../testdata/search/structural.json",
	})
	if err != nil {
		t.Fatal(err)
	}
	traces = append(traces, sampleTrace()...)
	src := storetest.New(traces)
	for _, q := range readCorpus(t, "../testdata/valid.txt") {
		res, err := eval.Search(context.Background(), src, q, eval.SearchOptions{})
		switch {
		case err == nil:
			if _, err := res.TempoJSON(); err != nil {
				t.Errorf("%s: JSON: %v", q, err)
			}
		case strings.Contains(q, "rate()") || strings.Contains(q, "_over_time") || strings.Contains(q, "compare("):
			if !errors.Is(err, eval.ErrMetricsQuery) {
				t.Errorf("%s: metrics query gave %v", q, err)
			}
		default:
			t.Logf("%s: %v", q, err)
		}
	}
}

func readCorpus(t testing.TB, path string) []string {
	t.Helper()
	return querycorpus.Texts(t, path)
}
