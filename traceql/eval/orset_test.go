package eval

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store/storetest"
)

// TestOrSetEqualsChain: a long chain of `field = "literal"` ORs answered
// from a set gives exactly what comparing each alternative in turn gives,
// for string, array, numeric, boolean and absent values, intrinsics and
// unscoped attributes, and chains that do not qualify.
func TestOrSetEqualsChain(t *testing.T) {
	t0 := time.Unix(1754500000, 0)
	var specs []storetest.TraceSpec
	values := []model.Value{
		model.StringValue("v1"), model.StringValue("v7"), model.StringValue("zz"), model.IntValue(3), model.BoolValue(true),
		model.ArrayValue(model.StringValue("x"), model.StringValue("v5")), model.ArrayValue(model.StringValue("x")),
		model.ArrayValue(model.IntValue(1)), model.DoubleValue(1.5),
	}
	for i := 0; i < 12; i++ {
		var attrs []model.Attribute
		if i < len(values) {
			attrs = []model.Attribute{{Key: "k", Value: values[i]}}
		}
		specs = append(specs, storetest.TraceSpec{ID: fmt.Sprintf("%032x", i+1), Start: t0.Add(time.Duration(i) * time.Second),
			Spans: []storetest.SpanSpec{{ID: "1", Service: "svc", Name: fmt.Sprintf("v%d", i), Duration: time.Millisecond, Attrs: attrs}}})
	}
	traces := storetest.Build(specs...)
	chain := func(field string, n int) string {
		var alts []string
		for i := 0; i < n; i++ {
			alts = append(alts, fmt.Sprintf(`%s = "v%d"`, field, i))
		}
		return strings.Join(alts, " || ")
	}
	queries := []string{
		"{ " + chain("span.k", 10) + " }",
		"{ " + chain(".k", 10) + " }",
		"{ " + chain("name", 10) + " }",
		"{ (" + chain("span.k", 5) + ") || (" + chain("span.k", 9) + ") }",
		"{ !(" + chain("span.k", 10) + ") }",
		"{ " + chain("span.k", 10) + ` || span.k = 3 }`,                // a number: no set
		"{ " + chain("span.k", 10) + ` || name = "v11" }`,              // two fields: no set
		"{ " + chain("span.k", 10) + ` } | count() > 0`,                // in a pipeline
		"{ " + chain("span.k", 10) + ` && ` + chain("name", 12) + " }", // two chains
	}
	run := func(q string) *SearchResult {
		res, err := Search(context.Background(), storetest.New(traces), q, SearchOptions{Limit: 100})
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return res
	}
	defer func(m int) { orSetMin = m }(orSetMin)
	for _, q := range queries {
		orSetMin = 8
		withSet := run(q)
		orSetMin = 1 << 30
		want := run(q)
		if len(want.Traces) == 0 && !strings.Contains(q, "!(") {
			t.Errorf("%s: no trace matches: the case proves nothing", q)
		}
		if d := cmp.Diff(want.Traces, withSet.Traces); d != "" {
			t.Errorf("%s: with the set (-chain +set):\n%s", q, d)
		}
	}
}
