package eval

import (
	"sort"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/traceql"
)

// RequiredServices returns service names one of which every trace the
// query matches must have on some span's resource (store.Request.Services),
// or nil when the query implies no such set. It looks at the first stage
// of the pipeline (later stages only narrow spansets) and follows `&&`,
// `||` and the structural operators: both sides of `&&` and of a
// structural operator must match, the right side of a negated one.
func RequiredServices(root *traceql.RootExpr) []string {
	if root == nil || root.Pipeline == nil {
		return nil
	}
	set, ok := stageServices(root.Pipeline)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

type serviceSet map[string]bool

// servicesAnd returns the smaller of two requirements that both hold.
func servicesAnd(a serviceSet, aok bool, b serviceSet, bok bool) (serviceSet, bool) {
	switch {
	case aok && bok:
		if len(b) < len(a) {
			return b, true
		}
		return a, true
	case aok:
		return a, true
	}
	return b, bok
}

// servicesOr returns the requirement of one of two alternatives.
func servicesOr(a serviceSet, aok bool, b serviceSet, bok bool) (serviceSet, bool) {
	if !aok || !bok {
		return nil, false
	}
	out := serviceSet{}
	for s := range a {
		out[s] = true
	}
	for s := range b {
		out[s] = true
	}
	return out, true
}

func stageServices(s traceql.Stage) (serviceSet, bool) {
	switch x := s.(type) {
	case *traceql.Pipeline:
		if len(x.Stages) == 0 {
			return nil, false
		}
		return stageServices(x.Stages[0])
	case *traceql.SpansetFilter:
		return exprServices(x.Expr)
	case *traceql.SpansetOp:
		l, lok := stageServices(x.LHS)
		r, rok := stageServices(x.RHS)
		switch x.Op {
		case traceql.OpSpansetAnd:
			return servicesAnd(l, lok, r, rok)
		case traceql.OpSpansetOr:
			return servicesOr(l, lok, r, rok)
		case traceql.OpNotChild, traceql.OpNotParent, traceql.OpNotDescendant, traceql.OpNotAncestor, traceql.OpNotSibling:
			return r, rok
		}
		if x.Op.IsStructural() {
			return servicesAnd(l, lok, r, rok)
		}
	}
	return nil, false
}

func exprServices(e traceql.Expr) (serviceSet, bool) {
	b, ok := e.(*traceql.BinaryExpr)
	if !ok {
		return nil, false
	}
	switch b.Op {
	case traceql.OpAnd:
		l, lok := exprServices(b.LHS)
		r, rok := exprServices(b.RHS)
		return servicesAnd(l, lok, r, rok)
	case traceql.OpOr:
		l, lok := exprServices(b.LHS)
		r, rok := exprServices(b.RHS)
		return servicesOr(l, lok, r, rok)
	case traceql.OpEq:
		attr, lit := b.LHS, b.RHS
		if _, isAttr := attr.(*traceql.Attribute); !isAttr {
			attr, lit = lit, attr
		}
		a, ok1 := attr.(*traceql.Attribute)
		s, ok2 := lit.(*traceql.Static)
		if ok1 && ok2 && a.Scope == traceql.AttributeScopeResource && !a.Parent && a.Name == model.ServiceNameKey &&
			s.Type == traceql.TypeString && s.Str != "" {
			return serviceSet{s.Str: true}, true
		}
	}
	return nil, false
}
