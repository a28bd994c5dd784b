package eval

import (
	"slices"
	"testing"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/traceql"
)

func TestFieldsOf(t *testing.T) {
	var (
		none     = store.Fields{}
		span     = store.Fields{SpanAttributes: true}
		resource = store.Fields{ResourceAttributes: true}
		events   = store.Fields{Events: true}
		links    = store.Fields{Links: true}
		scope    = store.Fields{ScopeAttributes: true}
	)
	for _, tc := range []struct {
		q    string
		want store.Fields
	}{
		{`{ }`, none},
		{`{ duration > 1s && status = error && name =~ "GET.*" && kind = server }`, none},
		{`{ trace:rootService = "a" } >> { span:childCount > 2 }`, none},
		{`{ instrumentation:name = "x" }`, none},
		{`{ resource.service.name = "frontend" }`, none},
		{`{ "frontend" < resource.service.name }`, none},
		// True for an empty service.name, which a source may leave out.
		{`{ "frontend" != resource.service.name }`, resource},
		{`{ resource.service.name = "" }`, resource},
		{`{ resource.service.name !~ "c.*" }`, resource},
		{`{ resource.service.name =~ ".*" }`, resource},
		{`{ resource.service.name =~ "c.*" }`, none},
		{`{ resource.service.name < "b" }`, resource},
		{`{ resource.service.name =~ "front.*" } >> { resource.service.name = "cart" }`, none},
		{`{ resource.service.name = 3 }`, resource},
		// A search returns the attributes its filters reference: a span
		// whose service.name is not a string can match these and show it.
		{`{ resource.service.name = "a" || status = error }`, resource},
		{`{ !(resource.service.name = "a") }`, resource},
		{`{ resource.service.name = "a" } >> { status = error }`, resource},
		{`{ resource.service.name = "a" } || { name = "x" }`, resource},
		{`{ status = error && resource.service.name = "a" } | { resource.service.name > "b" || kind = server }`, none},
		{`{ resource.service.name = "a" } | { resource.service.name != "b" }`, resource},
		{`({ resource.service.name = "a" } | count() > 1) && ({ resource.service.name = "b" })`, none},
		// Metrics return no spans.
		{`{ resource.service.name = "a" || status = error } | rate()`, none},
		{`{ trace:rootName = "x" } | rate()`, store.Fields{RootLinks: true}},
		{`{ trace:rootName = "x" && link:spanID = "01" } | rate()`, links},
		{`{ } | by(resource.service.name)`, resource},
		{`{ resource.service.name = "a" } | select(resource.service.name)`, resource},
		{`{ resource.k8s.pod.name = "p" }`, resource},
		{`{ span.http.method = "GET" }`, span},
		{`{ } | avg(span.http.response_content_length) > 10`, span},
		{`{ } | select(span.db.statement)`, span},
		{`{ event:name = "exception" }`, events},
		{`{ event.exception.type = "E" }`, events},
		{`{ link:traceID = "0102" }`, links},
		{`{ link.foo = 1 }`, links},
		{`{ instrumentation.foo = "x" }`, scope},
		{`{ .foo = "x" }`, store.AllFields},
		{`{ span.a = 1 } && { event:name = "x" }`, store.Fields{SpanAttributes: true, Events: true}},
	} {
		root, err := traceql.Parse(tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.q, err)
		}
		if !root.IsMetrics() && !tc.want.Links {
			tc.want.RootLinks = true // a search names each result's root, which links can rule out
		}
		tc.want.Minimal = minimalSuffices(root) // TestMinimalSuffices
		if got := FieldsOf(root); got != tc.want {
			t.Errorf("FieldsOf(%s) = %+v, want %+v", tc.q, got, tc.want)
		}
	}
}

func TestMinimalSuffices(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want bool
	}{
		{`{ }`, true},
		{`{ duration > 1s && status = error && name =~ "GET.*" && kind = server }`, true},
		{`{ span:id = "01" && span:parentID = "02" && trace:id = "03" }`, true},
		{`{ trace:rootService = "a" && trace:rootName = "b" && traceDuration > 1s }`, true},
		{`{ span.a = 1 } && { resource.b = 2 } || { event:name = "x" }`, true},
		{`{ } | select(span.db.statement, name, status)`, true},
		{`{ } | count() > 2`, true},
		{`{ } | rate() by (resource.service.name, kind)`, true},
		{`{ status = error } | compare({ status = error })`, true},
		{`{ } >> { }`, false},
		{`{ } ~ { }`, false},
		{`{ .a = 1 } | { } !< { }`, false},
		{`{ } &>> { } | rate()`, false},
		{`{ span:childCount > 2 }`, false},
		{`{ statusMessage = "x" }`, true},
		{`{ } | select(span:statusMessage)`, true},
		{`{ instrumentation:name = "x" }`, false},
		{`{ } | rate() by (instrumentation:version)`, false},
		{`{ nestedSetLeft > 1 }`, false},
		{`{ nestedSetParent = -1 }`, false},
	} {
		root, err := traceql.Parse(tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.q, err)
		}
		if got := minimalSuffices(root); got != tc.want {
			t.Errorf("minimalSuffices(%s) = %v, want %v", tc.q, got, tc.want)
		}
	}
}

func TestAttributeKeysOf(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want []string // besides the link ref type, always there
	}{
		{`{ }`, nil},
		{`{ duration > 1s && status = error && trace:rootService = "a" }`, nil},
		{`{ span.http.response.status_code >= 500 }`, []string{"http.response.status_code"}},
		{`{ .a = 1 } >> { resource.b = "x" || event.c = 2 || link.d = 3 || instrumentation.e = 4 }`, []string{"a", "b", "c", "d", "e"}},
		{`{ span.a = 1 && resource.a = 2 } && { .a = 3 }`, []string{"a"}},
		{`{ } | by(resource.service.name) | select(span.db.statement)`, []string{"service.name", "db.statement"}},
		{`{ } | avg(span.size) > 10`, []string{"size"}},
		{`{ } | rate() by (span.route)`, []string{"route"}},
	} {
		root, err := traceql.Parse(tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.q, err)
		}
		want := append([]string{model.RefTypeKey}, tc.want...)
		if got := AttributeKeysOf(root); !slices.Equal(got, want) {
			t.Errorf("%s: keys %q, want %q", tc.q, got, want)
		}
	}
	// compare() counts every attribute of the spans it is given.
	root, err := traceql.Parse(`{ } | compare({ status = error })`)
	if err != nil {
		t.Fatal(err)
	}
	if got := AttributeKeysOf(root); got != nil {
		t.Errorf("compare(): keys %q, want every key (nil)", got)
	}
}
