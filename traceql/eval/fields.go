package eval

import (
	"regexp"
	"slices"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/traceql"
)

// FieldsOf returns the parts of spans that evaluating root reads, so a
// source can decode only those columns (store.Request.Fields). Intrinsics
// other than event and link fields are always available, and so is
// resource.service.name as a non-empty string: where the query only
// compares it with a string in a way that is false for the empty string, a
// non-string or empty value (which a source may leave out) would compare
// false anyway, so the resource attributes are not needed for it — unless
// a search could return the value: the attributes a search's filters
// reference are returned on every result span (Tempo does so), so a span
// whose service.name is not a string could show it while matching through
// another condition (`||`, `!`, another filter). See
// stringComparedServiceNames. Links that only tell roots (a search's
// root span and service, trace:rootName) are RootLinks, and the parts
// no query but a structural one, childCount or the instrumentation and
// nested-set intrinsics reads are left out (Minimal, see minimalSuffices).
func FieldsOf(root *traceql.RootExpr) store.Fields {
	var f store.Fields
	var rootLinks bool
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
			case traceql.IntrinsicTraceRootName, traceql.IntrinsicTraceRootService:
				rootLinks = true // the root is the parentless span without a child_of link
			}
		}
		return true
	})
	if !root.IsMetrics() {
		rootLinks = true // search results name the root span and service
	}
	f.RootLinks = rootLinks && !f.Links
	f.Minimal = minimalSuffices(root)
	return f
}

// AttributeKeysOf returns the attribute keys evaluating root looks up,
// whatever their scope, so a source can leave other attributes out
// (store.Request.AttributeKeys): search results carry only the attributes
// the query references (SpanResult.Attributes). The links' ref type that
// tells a trace's root is among them. Nil when the query reads every
// attribute (compare()).
func AttributeKeysOf(root *traceql.RootExpr) []string {
	keys := []string{model.RefTypeKey}
	all := false
	traceql.Inspect(root, func(n traceql.Node) bool {
		switch x := n.(type) {
		case *traceql.Attribute:
			if !slices.Contains(keys, x.Name) {
				keys = append(keys, x.Name)
			}
		case *traceql.MetricsFunc:
			all = all || x.Op == traceql.MetricsCompare
		}
		return true
	})
	if all {
		return nil
	}
	return keys
}

// minimalSuffices reports whether evaluating root reads none of the parts
// of spans a minimal projection leaves out (store.Fields.Minimal):
// nested-set numbers and parent indexes (structural operators, childCount,
// the nested-set intrinsics) and scope names and versions. Dropped counts
// are never read.
func minimalSuffices(root *traceql.RootExpr) bool {
	ok := true
	traceql.Inspect(root, func(n traceql.Node) bool {
		switch x := n.(type) {
		case *traceql.SpansetOp:
			if x.Op.IsStructural() {
				ok = false
			}
		case *traceql.Intrinsic:
			switch x.Intrinsic {
			case traceql.IntrinsicChildCount,
				traceql.IntrinsicInstrumentationName, traceql.IntrinsicInstrumentationVersion,
				traceql.IntrinsicNestedSetLeft, traceql.IntrinsicNestedSetRight,
				traceql.IntrinsicNestedSetParent, traceql.IntrinsicParent:
				ok = false
			}
		}
		return ok
	})
	return ok
}

// stringComparedServiceNames returns the resource.service.name references
// whose value does not matter unless it is a non-empty string: operands
// of a comparison or regex match with a string literal that is false for
// the empty string (a source may leave out an empty service.name as well
// as a non-string one; the block reader keeps only a non-empty string in
// its service name column). A search returns the attributes its filters
// reference on every result span, so there the references count only when
// every result span must have passed such a comparison itself (its
// service.name is then a non-empty string): see stringServiceStage.
func stringComparedServiceNames(root *traceql.RootExpr) map[*traceql.Attribute]bool {
	out := map[*traceql.Attribute]bool{}
	if root.Pipeline != nil && !stringServiceStage(root.Pipeline) {
		return out
	}
	traceql.Inspect(root, func(n traceql.Node) bool {
		if b, ok := n.(*traceql.BinaryExpr); ok {
			if a := serviceComparison(b); a != nil {
				out[a] = true
			}
		}
		return true
	})
	return out
}

// serviceComparison returns the resource.service.name operand of b when b
// compares it with a string literal and is false for an empty string (and
// so true only for a non-empty string); otherwise nil.
func serviceComparison(b *traceql.BinaryExpr) *traceql.Attribute {
	if !b.Op.IsComparison() && !b.Op.IsRegex() {
		return nil
	}
	for i, pair := range [][2]traceql.Expr{{b.LHS, b.RHS}, {b.RHS, b.LHS}} {
		a, ok1 := pair[0].(*traceql.Attribute)
		s, ok2 := pair[1].(*traceql.Static)
		if !ok1 || !ok2 || a.Scope != traceql.AttributeScopeResource || a.Parent || a.Name != model.ServiceNameKey || s.Type != traceql.TypeString {
			continue
		}
		var trueForEmpty bool
		switch {
		case b.Op.IsRegex():
			if i == 1 { // the pattern must be on the right
				return nil
			}
			re, err := regexp.Compile("^(?s:" + s.Str + ")$")
			if err != nil {
				return nil
			}
			trueForEmpty = re.MatchString("") != (b.Op == traceql.OpNotRegex)
		case i == 0:
			trueForEmpty = compareScalar(b.Op, strV(""), strV(s.Str))
		default:
			trueForEmpty = compareScalar(b.Op, strV(s.Str), strV(""))
		}
		if trueForEmpty {
			return nil
		}
		return a
	}
	return nil
}

// stringServiceStage reports whether every span a search stage returns has
// passed a comparison of resource.service.name with a string literal that
// is true only for a non-empty string (serviceComparison): a filter whose
// expression requires one (through `&&` only), a spanset operator both of
// whose sides do, or a pipeline whose first stage does (later stages only
// narrow its spansets).
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
// whose resource.service.name is a non-empty string.
func requiresStringService(x traceql.Expr) bool {
	b, ok := x.(*traceql.BinaryExpr)
	if !ok {
		return false
	}
	if b.Op == traceql.OpAnd {
		return requiresStringService(b.LHS) || requiresStringService(b.RHS)
	}
	return serviceComparison(b) != nil
}
