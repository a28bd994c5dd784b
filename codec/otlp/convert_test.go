package otlp

import (
	"reflect"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracectl/tracectl/model"
)

// AppendNonEmpty keeps FromPdata's conversion and order but leaves out
// scopes without spans and resources left without scopes.
func TestAppendNonEmpty(t *testing.T) {
	td := ptrace.NewTraces()
	addSpan := func(ss ptrace.ScopeSpans, name string, id byte) {
		s := ss.Spans().AppendEmpty()
		s.SetName(name)
		s.SetTraceID(pcommon.TraceID{15: id})
		s.SetSpanID(pcommon.SpanID{7: id})
	}
	// a: an empty scope, then a scope with a span, then another empty one.
	a := td.ResourceSpans().AppendEmpty()
	a.Resource().Attributes().PutStr("service.name", "a")
	a.ScopeSpans().AppendEmpty().Scope().SetName("empty-1")
	sa := a.ScopeSpans().AppendEmpty()
	sa.Scope().SetName("kept")
	addSpan(sa, "a1", 1)
	a.ScopeSpans().AppendEmpty().Scope().SetName("empty-2")
	// b: no scopes; c: only an empty scope.
	td.ResourceSpans().AppendEmpty().Resource().Attributes().PutStr("service.name", "b")
	c := td.ResourceSpans().AppendEmpty()
	c.Resource().Attributes().PutStr("service.name", "c")
	c.ScopeSpans().AppendEmpty()
	// d: two spans in one scope.
	d := td.ResourceSpans().AppendEmpty()
	d.Resource().Attributes().PutStr("service.name", "d")
	sd := d.ScopeSpans().AppendEmpty()
	addSpan(sd, "d1", 2)
	addSpan(sd, "d2", 3)

	all := FromPdata(td)
	if len(all) != 4 || len(all[0].ScopeSpans) != 3 || len(all[1].ScopeSpans) != 0 || len(all[2].ScopeSpans) != 1 {
		t.Fatalf("FromPdata dropped something: %+v", all)
	}
	prev := model.ResourceSpans{Resource: model.Resource{Attributes: []model.Attribute{model.Str("service.name", "prev")}}}
	got := AppendNonEmpty([]model.ResourceSpans{prev}, td)
	wantA := all[0]
	wantA.ScopeSpans = all[0].ScopeSpans[1:2]
	want := []model.ResourceSpans{prev, wantA, all[3]}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("AppendNonEmpty =\n%+v\nwant\n%+v", got, want)
	}
	if out := AppendNonEmpty(nil, ptrace.NewTraces()); out != nil {
		t.Errorf("AppendNonEmpty(nil, empty) = %#v, want nil", out)
	}
}
