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
// false anyway, so the resource attributes are not needed for it.
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
func stringComparedServiceNames(root *traceql.RootExpr) map[*traceql.Attribute]bool {
	out := map[*traceql.Attribute]bool{}
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
