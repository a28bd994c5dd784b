package eval

import (
	"bytes"
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store/storetest"
)

// TestAppendTempoJSONMatchesEncoder holds the hand-written line to
// encoding/json of Tempo() on the results of searches over every fixture
// and generated trace (select()ed attributes of every type included), and
// on traces with hostile strings.
func TestAppendTempoJSONMatchesEncoder(t *testing.T) {
	src := storetest.New(filterCorpus(t))
	var results []*TraceResult
	for _, q := range []string{`{ }`, `{ status = error } | select(span.http.method, resource.service.name)`,
		`{ } | select(span.user.email, span.http.status_code, span.error)`, `{ kind = server } | by(resource.service.name)`,
		`{ } | count() > 3`, `{ duration > 1ms } | avg(duration) > 2ms`} {
		res, err := Search(context.Background(), src, q, SearchOptions{Limit: 1 << 20, SpansPerSpanSet: 3})
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if len(res.Traces) == 0 {
			t.Fatalf("%s: no results", q)
		}
		results = append(results, res.Traces...)
	}
	hostile := []string{"", "plain", "quote \" backslash \\ slash /", "<html> & 'x'", "\x00\x01\x1f\x7f", "tab\tnl\nret\rbs\bff\f",
		"\u2028\u2029", "ünïcödé ✓ 🚀", "bad \xff\xfe utf8 \xc3", "\xed\xa0\x80 surrogate"}
	for i, s := range hostile {
		results = append(results, &TraceResult{
			TraceID: model.TraceID{0, 0, byte(i)}, RootServiceName: s, RootTraceName: s, StartUnixNano: uint64(i),
			Duration:     time.Duration(i) * time.Millisecond,
			ServiceStats: sortedStats(ServiceStat{Service: s, ServiceStats: model.ServiceStats{SpanCount: uint32(i)}}, ServiceStat{Service: "z" + s, ServiceStats: model.ServiceStats{ErrorCount: 1}}),
			SpanSets: []*SpanSetResult{{Matched: i, Spans: []*SpanResult{{Name: s, Duration: time.Duration(i),
				Attributes: []model.Attribute{model.Str(s, s), model.Double("d", math.Copysign(1e-7, -1)), model.Int("i", -1)}}}}},
		})
	}
	for _, r := range results {
		want, err := marshalNoHTML(r.Tempo())
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		got, err := r.AppendTempoJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("trace %s:\n got %s\nwant %s", r.TraceID, got, want)
		}
	}
	// Doubles JSON numbers cannot hold are written as protojson writes
	// them, alone and in arrays.
	for _, tc := range []struct {
		v    model.Value
		want string
	}{
		{model.DoubleValue(math.NaN()), `{"doubleValue":"NaN"}`},
		{model.DoubleValue(math.Inf(1)), `{"doubleValue":"Infinity"}`},
		{model.DoubleValue(math.Inf(-1)), `{"doubleValue":"-Infinity"}`},
		{model.ArrayValue(model.DoubleValue(1.5), model.DoubleValue(math.NaN())), `{"arrayValue":{"values":[{"doubleValue":1.5},{"doubleValue":"NaN"}]}}`},
		{model.StringValue("<&>"), `{"stringValue":"<&>"}`},
	} {
		r := &TraceResult{SpanSets: []*SpanSetResult{{Spans: []*SpanResult{{Attributes: []model.Attribute{{Key: "x", Value: tc.v}}}}}}}
		got, err := r.AppendTempoJSON(nil)
		if err != nil {
			t.Fatalf("%v: %v", tc.v, err)
		}
		if want := `"attributes":[{"key":"x","value":` + tc.want + `}]`; !bytes.Contains(got, []byte(want)) {
			t.Errorf("%v: got %s, want it to hold %s", tc.v, got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\xff", "\u2028", "\x00", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := marshalNoHTML(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s want %s", s, got, want)
		}
	})
}

// sortedStats sorts stats by service name, as TraceResult keeps them.
func sortedStats(stats ...ServiceStat) []ServiceStat {
	slices.SortFunc(stats, func(a, b ServiceStat) int { return strings.Compare(a.Service, b.Service) })
	return stats
}
