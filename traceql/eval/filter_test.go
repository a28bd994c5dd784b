package eval

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/tracectl/tracectl/codec/input"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/gen"
	"github.com/tracectl/tracectl/internal/querycorpus"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/traceql"
)

// filterCorpus is every shared fixture trace plus generated traces with
// errors, PII attributes and slow outliers.
func filterCorpus(t testing.TB) []*model.Trace {
	t.Helper()
	ts, err := input.DecodeTraces(context.Background(), []string{fixtures.Path(t, "")}, input.Options{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	g := gen.New(gen.Options{Seed: 3, ErrorRate: 0.2, PIIRate: 0.3, SlowRate: 0.1})
	for range 300 {
		ts = append(ts, g.Trace())
	}
	return ts
}

// filterQueries are hand-picked cases on the corpus's real names.
var filterQueries = []string{
	`{ }`,
	`{ status = error }`, `{ status != error }`, `{ !(status = error) }`, `{ status = ok || status = unset }`,
	`{ kind = server }`, `{ kind != client && kind != server }`,
	`{ duration > 100ms }`, `{ duration <= 1ms }`, `{ 1s < duration }`, `{ traceDuration > 1s }`, `{ trace:duration < 2ms }`,
	`{ name = "HTTP GET" }`, `{ name =~ ".*order.*" }`, `{ name !~ "GET.*" }`, `{ statusMessage != "" }`,
	`{ resource.service.name = "frontend" }`, `{ resource.service.name != "frontend" }`, `{ resource.service.name =~ "f.*" }`,
	`{ resource.service.name = nil }`, `{ resource.service.name != nil }`, `{ resource.host.name != nil }`,
	`{ span.http.status_code >= 500 }`, `{ span.http.status_code = "500" }`, `{ span.http.status_code = 200.0 }`,
	`{ span.http.method = "GET" }`, `{ span.http.method = nil }`, `{ span.http.route = "/orders/{id}" }`,
	`{ span.error = true }`, `{ span.error }`, `{ !span.error }`, `{ !true }`, `{ !1 }`, `{ !(span.error) && status = error }`, `{ span.http.url =~ ".*api.*" }`,
	`{ instrumentation.version != nil }`, `{ instrumentation.foo = "bar" }`,
	`{ .http.method = "GET" }`, `{ .service.name = "frontend" }`, `{ .x = nil }`, `{ .user.email != nil }`,
	`{ event.name = "exception" }`, `{ event.exception.type != nil }`, `{ event.x = nil }`,
	`{ link.traceID != nil }`, `{ link.opentracing.ref_type = "follows_from" }`,
	`{ true }`, `{ false }`, `{ 1 = 1 }`, `{ nil }`,
	`{ status = error } && { kind = server }`, `{ status = error } || { duration > 1s }`,
	`{ resource.service.name = "frontend" } >> { status = error }`, `{ kind = server } > { kind = client }`,
	`{ kind = server } !>> { status = error }`, `{ status = error } &>> { kind = server }`, `{ } ~ { status = error }`,
	`{ status = error } | count() > 1`, `{ } | count() > 40`, `{ duration > 1ms } | avg(duration) > 10ms`,
	`{ } | max(duration) > 100ms`, `{ } | min(duration) < 1ms`, `{ } | 10ms > avg(duration)`, `{ } | avg(duration) > 0.5`,
	`{ status = error } | avg(duration) >= 1ms | count() > 1`, `{ kind = server } >> { } | max(duration) = 0`,
	`{ } | sum(duration) > 1s`, `{ } | avg(span.http.status_code) > 300`, `{ } | by(name) | max(duration) > 1ms`,
	`{ } | avg(traceDuration) > 1s`, `{ } | max(nestedSetLeft) > 3`, `{ } | max(childCount) > 2`,
	`{ status = error } | by(resource.service.name)`, `{ } | select(span.http.method)`, `{ status = error } | coalesce()`,
	`({ status = error } | count() > 1) && { kind = client }`, `{ status = error } | { kind = server }`,
	`{ span.http.status_code * 2 > 1000 }`, `{ -span.x < 0 }`,
	// Grouped spansets: a later stage works on each group alone.
	`{ } | by(resource.service.name) | { true } | count() = 1`, `{ } | by(name) | { kind = server } | count() < 2`,
	`{ } | by(resource.service.name) | { } !< { kind != server }`, `{ } | by(resource.service.name) | { kind = server } !> { }`,
	`{ } | by(resource.service.name) | { kind = server } && { kind = client }`, `{ } | by(resource.service.name) | { } > { }`,
}

// TestFilterIsSuperset checks FilterOf on every corpus and hand-picked
// query against the evaluator on every corpus trace: a trace the query
// matches always passes the filter, and with Filter.Exact exactly those
// do. It also checks that the filter's fields are what FieldsOf asks for
// (a source may read the filter's columns whatever the projection).
func TestFilterIsSuperset(t *testing.T) {
	traces := filterCorpus(t)
	queries := append(querycorpus.Texts(t, filepath.Join("..", "testdata", "valid.txt")), filterQueries...)
	var filters, exact, checked int
	for _, q := range queries {
		root, err := traceql.Parse(q)
		if err != nil || root.IsMetrics() || root.Pipeline == nil {
			continue
		}
		e, err := compile(root)
		if err != nil {
			continue
		}
		f := FilterOf(root)
		if f == nil {
			continue
		}
		filters++
		if f.Exact {
			exact++
		}
		for _, tr := range traces {
			sets, err := e.evalTrace(newTraceData(tr))
			if err != nil {
				continue
			}
			matched, passed := len(sets) > 0, f.Cond.Match(tr)
			checked++
			if matched && !passed {
				t.Fatalf("%s: trace %s matches but fails the filter", q, tr.TraceID)
			}
			if f.Exact && passed && !matched {
				t.Fatalf("%s: exact filter passes trace %s, which does not match", q, tr.TraceID)
			}
		}
	}
	t.Logf("%d queries, %d with a filter (%d exact), %d trace checks", len(queries), filters, exact, checked)
	if filters < 100 || exact < 40 {
		t.Fatalf("only %d filters (%d exact): the test is not exercising FilterOf", filters, exact)
	}
}

func TestFilterOfShape(t *testing.T) {
	for _, tc := range []struct {
		q      string
		filter bool
		exact  bool
	}{
		{`{ }`, true, true},
		{`{ status = error }`, true, true},
		{`{ !(status = error) }`, true, true},
		{`{ resource.service.name = "a" && span.x > 1 }`, true, true},
		{`{ traceDuration > 1s }`, true, true},
		{`{ .x = "a" }`, true, false},
		{`{ .x = nil }`, true, false}, // only: the trace has a span
		{`{ event.x = 1 }`, true, false},
		{`{ status = error } | count() > 1`, true, true},
		{`{ status = error } | by(name) | count() > 1`, true, false},
		{`{ } | avg(duration) > 1s`, true, true},
		{`{ } | 1s <= max(duration)`, true, true},
		{`{ status = error } | min(duration) < 1ms | count() > 2`, true, true},
		{`{ } | sum(duration) > 1s`, true, false},
		{`{ } | avg(span.x) > 1`, true, false},
		{`{ } | avg(traceDuration) > 1s`, true, false},
		{`{ } | max(nestedSetLeft) > 3`, true, false},
		{`{ } | min(duration * 2) > 1s`, false, false},
		{`{ } | avg(duration) > -1`, true, false},
		{`{ } | by(name) | avg(duration) > 1s`, true, false},
		{`{ } | coalesce() | 3 <= count()`, true, true},
		{`{ span.a = 1 } >> { status = error }`, true, true},
		{`{ span.a = 1 } >> { status = error } | count() > 1`, true, true},
		{`{ status = error } | by(name) | { kind = server }`, true, true},
		{`{ status = error } | by(name) | { kind = server } | count() > 1`, true, false},
		{`{ } | by(name) | { } !< { kind = server }`, true, false},
		{`{ } | by(name) | { } && { kind = server }`, true, false},
		{`{ } | by(name) | coalesce() | { } !< { kind = server }`, true, true},
		{`{ span.x * 2 > 1 }`, false, false},
		{`({ } | by(name)) && ({ })`, false, false},
		{`{ span:id = "00" }`, true, false}, // only: the trace has a span
		{`{ } | rate()`, true, false},
	} {
		root, err := traceql.Parse(tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.q, err)
		}
		f := FilterOf(root)
		if (f != nil) != tc.filter || (f != nil && f.Exact != tc.exact) {
			t.Errorf("FilterOf(%s) = %+v, want filter %v exact %v", tc.q, f, tc.filter, tc.exact)
		}
	}
	if f := FilterOf(mustParse(t, `{ resource.service.name = "a" }`)); f.Cond.Fields() != (store.Fields{ResourceAttributes: true}) {
		t.Errorf("fields of a resource filter: %+v", f.Cond.Fields())
	}
}

func mustParse(t *testing.T, q string) *traceql.RootExpr {
	t.Helper()
	root, err := traceql.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestStrAgreesWithTest: the string test the filter gives `=` and `!=`
// comparisons with a string (store.SpanCond.Str) answers as the test
// does for every string, on every field form, and no other comparison
// has one.
func TestStrAgreesWithTest(t *testing.T) {
	strs := []string{"x", "y", "", "X", "x ", "xx", "é", "GET"}
	for _, tc := range []struct {
		q       string
		withStr bool
	}{
		{`{ span.a = "x" }`, true}, {`{ "x" = span.a }`, true}, {`{ span.a != "x" }`, true}, {`{ "x" != span.a }`, true},
		{`{ name = "GET" }`, true}, {`{ statusMessage != "" }`, true}, {`{ .a = "x" }`, true},
		{`{ resource.a = "x" || resource.a = "y" }`, true}, {`{ event.a = "x" }`, true}, {`{ link.a != "x" }`, true},
		{`{ instrumentation.a = "é" }`, true}, {`{ span.a = "x" && name != "y" }`, true}, {`{ !(span.a = "x") }`, true},
		{`{ span.a = "x" } >> { span.b = "y" }`, true},
		{`{ span.a = 1 }`, false}, {`{ span.a =~ "x" }`, false}, {`{ span.a > "x" }`, false}, {`{ span.a = nil }`, false},
		{`{ span.a = true }`, false}, {`{ kind = server }`, false}, {`{ duration > 1ms }`, false},
	} {
		root, err := traceql.Parse(tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.q, err)
		}
		f := FilterOf(root)
		if f == nil {
			t.Fatalf("%s: no filter", tc.q)
		}
		withStr := 0
		f.Cond.Visit(func(c *store.SpanCond) {
			if c.Op != store.OpTest || c.Str == nil {
				return
			}
			withStr++
			for _, s := range strs {
				if got, want := c.Str(s), c.Test(model.StringValue(s), true); got != want {
					t.Errorf("%s, field %v: Str(%q) = %v, Test %v", tc.q, c.Field, s, got, want)
				}
				// The string range (Strs) holds every string Test passes.
				if r := c.Strs; r != nil && c.Test(model.StringValue(s), true) && (s < r.Lo || s > r.Hi) {
					t.Errorf("%s, field %v: Test(%q) passes outside [%q, %q]", tc.q, c.Field, s, r.Lo, r.Hi)
				}
			}
			if c.Strs != nil && c.Test(model.Value{}, false) {
				t.Errorf("%s, field %v: a string range on a test an absent value passes", tc.q, c.Field)
			}

		}, func(*store.SpansetExpr) {})
		if (withStr > 0) != tc.withStr {
			t.Errorf("%s: %d tests with a string test, want some: %v", tc.q, withStr, tc.withStr)
		}
	}
	// `=` has a string range, `!=` none.
	for q, want := range map[string]bool{`{ span.a = "x" }`: true, `{ name = "GET" }`: true, `{ span.a != "x" }`: false} {
		ranged := false
		FilterOf(mustParse(t, q)).Cond.Visit(func(c *store.SpanCond) { ranged = ranged || c.Strs != nil }, func(*store.SpansetExpr) {})
		if ranged != want {
			t.Errorf("%s: a string range: %v, want %v", q, ranged, want)
		}
	}
}

// TestIntsAgreeWithTest: the range of a duration comparison
// (store.SpanCond.Ints) holds exactly the ints its test passes, for
// every comparison either way round, at the literal, beside it and at
// the ends of int64; `!=`, and comparisons of other fields, have none.
func TestIntsAgreeWithTest(t *testing.T) {
	probes := func(n int64) []int64 {
		out := []int64{math.MinInt64, math.MinInt64 + 1, -1, 0, 1, math.MaxInt64 - 1, math.MaxInt64, n}
		if n > math.MinInt64 {
			out = append(out, n-1)
		}
		if n < math.MaxInt64 {
			out = append(out, n+1)
		}
		return out
	}
	for _, tc := range []struct {
		q      string
		n      int64 // the literal, in ns
		ranged bool
	}{
		{`{ duration > 100ms }`, 100e6, true}, {`{ duration >= 100ms }`, 100e6, true}, {`{ duration < 1s }`, 1e9, true},
		{`{ duration <= 1s }`, 1e9, true}, {`{ duration = 5 }`, 5, true}, {`{ 100ms < duration }`, 100e6, true},
		{`{ 1s >= duration }`, 1e9, true}, {`{ duration > 0 }`, 0, true}, {`{ duration < 0 }`, 0, true},
		{`{ duration > 9223372036854775807 }`, math.MaxInt64, true}, {`{ traceDuration > 1s }`, 1e9, true},
		{`{ duration != 1s }`, 1e9, false}, {`{ span.a > 1 }`, 1, false}, {`{ status = error }`, 2, false},
	} {
		f := FilterOf(mustParse(t, tc.q))
		if f == nil {
			t.Fatalf("%s: no filter", tc.q)
		}
		ranged := 0
		f.Cond.Visit(func(c *store.SpanCond) {
			if c.Op != store.OpTest || c.Ints == nil {
				return
			}
			ranged++
			for _, v := range probes(tc.n) {
				in := c.Ints.Lo <= v && v <= c.Ints.Hi
				if pass := c.Test(model.IntValue(v), true); pass != in {
					t.Errorf("%s: Test(%d) = %v, but the range [%d, %d] holds it: %v", tc.q, v, pass, c.Ints.Lo, c.Ints.Hi, in)
				}
			}
		}, func(*store.SpansetExpr) {})
		if (ranged > 0) != tc.ranged {
			t.Errorf("%s: %d tests with a range, want some: %v", tc.q, ranged, tc.ranged)
		}
	}
}
