package eval

import (
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/traceql"
)

// FieldsOf returns the parts of spans that evaluating root reads, so a
// source can decode only those columns (store.Request.Fields). Intrinsics
// other than event and link fields are always available, and so is
// resource.service.name as a string: where the query only compares it with
// a string, a non-string value (which a source may leave out) would compare
// false anyway, so the resource attributes are not needed for it — unless
// a search could return the value: the attributes a search's filters
// reference are returned on every result span (Tempo does so), so a span
// whose service.name is not a string could show it while matching through
// another condition (`||`, `!`, another filter). See
// stringComparedServiceNames.
func FieldsOf(root *traceql.RootExpr) store.Fields {
	var f store.Fields
	serviceOnly := stringComparedServiceNames(root)
	traceql.Inspect(root, func(n traceql.Node) bool {
		switch x := n.(type) {
		case *traceql.Attribute:
			switch x.Scope {
			case traceql.AttributeScopeSpan:
				f.SpanAttributes = true
			case traceql.AttributeScopeResource:
				if !serviceOnly[x] {
					f.ResourceAttributes = true
				}
			case traceql.AttributeScopeEvent:
				f.Events = true
			case traceql.AttributeScopeLink:
				f.Links = true
			case traceql.AttributeScopeInstrumentation:
				f.ScopeAttributes = true
			default: // unscoped: span, resource, event, link, instrumentation
				f = store.AllFields
			}
		case *traceql.MetricsFunc:
			if x.Op == traceql.MetricsCompare { // counts every attribute
				f.SpanAttributes, f.ResourceAttributes = true, true
			}
		case *traceql.Intrinsic:
			switch x.Intrinsic {
			case traceql.IntrinsicEventName, traceql.IntrinsicEventTimeSinceStart:
				f.Events = true
			case traceql.IntrinsicLinkTraceID, traceql.IntrinsicLinkSpanID:
				f.Links = true
			}
		}
		return true
	})
	return f
}

// stringComparedServiceNames returns the resource.service.name references
// that are an operand of a comparison or regex match with a string literal.
// A search returns the attributes its filters reference on every result
// span, so there the references count only when every result span must
// have passed such a comparison itself (its service.name is then a
// string): see stringServiceStage.
func stringComparedServiceNames(root *traceql.RootExpr) map[*traceql.Attribute]bool {
	out := map[*traceql.Attribute]bool{}
	if root.Pipeline != nil && !stringServiceStage(root.Pipeline) {
		return out
	}
	isService := func(e traceql.Expr) *traceql.Attribute {
		a, ok := e.(*traceql.Attribute)
		if ok && a.Scope == traceql.AttributeScopeResource && !a.Parent && a.Name == model.ServiceNameKey {
			return a
		}
		return nil
	}
	isString := func(e traceql.Expr) bool {
		s, ok := e.(*traceql.Static)
		return ok && s.Type == traceql.TypeString
	}
	traceql.Inspect(root, func(n traceql.Node) bool {
		b, ok := n.(*traceql.BinaryExpr)
		if !ok || !(b.Op.IsComparison() || b.Op.IsRegex()) {
			return true
		}
		if a := isService(b.LHS); a != nil && isString(b.RHS) {
			out[a] = true
		}
		if a := isService(b.RHS); a != nil && isString(b.LHS) {
			out[a] = true
		}
		return true
	})
	return out
}

// stringServiceStage reports whether every span a search stage returns has
// passed a comparison of resource.service.name with a string literal (true
// only when the value is a string): a filter whose expression requires one
// (through `&&` only), a spanset operator both of whose sides do, or a
// pipeline whose first stage does (later stages only narrow its spansets).
func stringServiceStage(s traceql.Stage) bool {
	switch x := s.(type) {
	case *traceql.Pipeline:
		return len(x.Stages) > 0 && stringServiceStage(x.Stages[0])
	case *traceql.SpansetOp:
		return stringServiceStage(x.LHS) && stringServiceStage(x.RHS)
	case *traceql.SpansetFilter:
		return x.Expr != nil && requiresStringService(x.Expr)
	}
	return false
}

// requiresStringService reports whether x can be true only for a span
// whose resource.service.name compares with a string literal.
func requiresStringService(x traceql.Expr) bool {
	b, ok := x.(*traceql.BinaryExpr)
	if !ok {
		return false
	}
	if b.Op == traceql.OpAnd {
		return requiresStringService(b.LHS) || requiresStringService(b.RHS)
	}
	if !b.Op.IsComparison() && !b.Op.IsRegex() {
		return false
	}
	for _, pair := range [][2]traceql.Expr{{b.LHS, b.RHS}, {b.RHS, b.LHS}} {
		a, ok1 := pair[0].(*traceql.Attribute)
		s, ok2 := pair[1].(*traceql.Static)
		if ok1 && ok2 && a.Scope == traceql.AttributeScopeResource && !a.Parent && a.Name == model.ServiceNameKey && s.Type == traceql.TypeString {
			return true
		}
	}
	return false
}
