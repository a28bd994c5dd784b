package eval

import (
	"math"
	"regexp"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/traceql"
)

// FilterOf returns the condition every trace matching root satisfies, for a
// source to skip data with (store.Request.Filter), or nil when the query
// allows no useful filter. The filter is a superset of the query: the
// engine still evaluates the query on every trace it gets. Field tests
// call this package's own comparison code, so a source evaluates them
// with the engine's semantics.
//
// A query whose evaluation can fail on some data (integer arithmetic on
// attributes, spanset operators on grouped spansets) gets no filter, so
// that skipping data never hides an error the full scan would report.
func FilterOf(root *traceql.RootExpr) *store.Filter {
	if root == nil || mayFailOnData(root) {
		return nil
	}
	c := &filterCompiler{}
	var cond *store.TraceCond
	exact := false
	switch {
	case root.Pipeline != nil && !root.IsMetrics():
		st := c.pipeline(root.Pipeline, pstate{spans: spanTrue, trace: store.True, set: allSpans})
		cond = andTrace(st.trace, anySpan(st.spans))
		if st.set != nil {
			cond, exact = spansetCond(st.set), true
		}
	case root.IsMetrics():
		var alts []*store.TraceCond
		traceql.Inspect(root.Metrics, func(n traceql.Node) bool {
			mp, ok := n.(*traceql.MetricsPipeline)
			if !ok {
				return true
			}
			st := c.pipeline(mp.Pipeline, pstate{spans: spanTrue, trace: store.True, set: allSpans})
			alts = append(alts, andTrace(st.trace, anySpan(st.spans)))
			return false
		})
		cond = orTrace(alts...)
	default:
		return nil
	}
	if c.failed || cond == nil || cond.Op == store.OpTrue {
		return nil
	}
	return &store.Filter{Cond: cond.Simplified(), Exact: exact}
}

// spansetCond is the trace condition that set selects a span.
func spansetCond(set *store.SpansetExpr) *store.TraceCond {
	if set.Op == store.SpansFilter {
		return anySpan(set.Cond)
	}
	return &store.TraceCond{Op: store.OpSpanset, Spans: set}
}

// mayFailOnData reports whether evaluating root's pipelines can return an
// error that depends on the data: arithmetic with a non-literal operand
// (overflow, division by zero), negation of a non-literal, or a spanset
// operator whose operand groups spansets with by(). (Arithmetic between
// metrics pipelines works on series and cannot fail on data.)
func mayFailOnData(root *traceql.RootExpr) bool {
	var pipes []traceql.Node
	if root.Pipeline != nil {
		pipes = append(pipes, root.Pipeline)
	}
	if root.Metrics != nil {
		traceql.Inspect(root.Metrics, func(n traceql.Node) bool {
			mp, ok := n.(*traceql.MetricsPipeline)
			if !ok {
				return true
			}
			pipes = append(pipes, mp.Pipeline)
			if mp.Func != nil && mp.Func.Filter != nil {
				pipes = append(pipes, mp.Func.Filter)
			}
			return false
		})
	}
	fail := false
	for _, p := range pipes {
		traceql.Inspect(p, func(n traceql.Node) bool {
			switch x := n.(type) {
			case *traceql.BinaryExpr:
				if x.Op.IsArithmetic() && (!isStatic(x.LHS) || !isStatic(x.RHS)) {
					fail = true
				}
			case *traceql.UnaryExpr:
				if x.Op == traceql.OpSub && !isStatic(x.Expr) {
					fail = true
				}
			case *traceql.SpansetOp:
				for _, side := range []traceql.Stage{x.LHS, x.RHS} {
					traceql.Inspect(side, func(m traceql.Node) bool {
						if _, ok := m.(*traceql.GroupOp); ok {
							fail = true
						}
						return !fail
					})
				}
			}
			return !fail
		})
	}
	return fail
}

func isStatic(x traceql.Expr) bool {
	_, ok := x.(*traceql.Static)
	return ok
}

// filterCompiler translates a query into store conditions.
type filterCompiler struct {
	failed  bool // a regex did not compile: no filter (the engine reports it)
	inexact bool // some test is only a superset of the query's
}

// pstate is what holds after a pipeline stage: every span of the
// resulting spansets passes spans, and the trace passes trace. set, when
// not nil, is exactly the union of the resulting spansets' spans: a trace
// gives a non-empty result exactly when set selects a span.
type pstate struct {
	spans *store.SpanCond
	trace *store.TraceCond
	set   *store.SpansetExpr
	// grouped says by() may have split the spans into several spansets
	// (set is then only their union).
	grouped bool
}

var spanTrue = &store.SpanCond{Op: store.OpTrue}

// allSpans is the set every pipeline starts from.
var allSpans = &store.SpansetExpr{Op: store.SpansFilter}

func (c *filterCompiler) pipeline(p *traceql.Pipeline, in pstate) pstate {
	for _, st := range p.Stages {
		in = c.stage(st, in)
	}
	return in
}

func (c *filterCompiler) stage(st traceql.Stage, in pstate) pstate {
	switch x := st.(type) {
	case *traceql.Pipeline:
		return c.pipeline(x, in)
	case *traceql.SpansetFilter:
		if x.Expr == nil {
			return in
		}
		cond, exact := c.spanCond(x.Expr)
		// A filter keeps the groups by() made, so a later count() or
		// avg() still sees each group alone, not the union set holds.
		out := pstate{spans: andSpan(in.spans, cond), trace: in.trace, grouped: in.grouped}
		if exact && in.set != nil && in.set.Op == store.SpansFilter {
			out.set = &store.SpansetExpr{Op: store.SpansFilter, Cond: andSpan(in.set.Cond, cond)}
		}
		return out
	case *traceql.SpansetOp:
		l, r := c.stage(x.LHS, in), c.stage(x.RHS, in)
		both := andTrace(l.trace, anySpan(l.spans), r.trace, anySpan(r.spans))
		var out pstate
		switch {
		case x.Op == traceql.OpSpansetAnd:
			out = pstate{spans: orSpan(l.spans, r.spans), trace: both}
		case x.Op == traceql.OpSpansetOr:
			out = pstate{spans: orSpan(l.spans, r.spans), trace: andTrace(in.trace, orTrace(
				andTrace(l.trace, anySpan(l.spans)), andTrace(r.trace, anySpan(r.spans))))}
		case isNegatedStructural(x.Op):
			out = pstate{spans: r.spans, trace: andTrace(in.trace, r.trace)}
		case isUnionStructural(x.Op):
			out = pstate{spans: orSpan(l.spans, r.spans), trace: both}
		case x.Op.IsStructural():
			out = pstate{spans: r.spans, trace: both}
		default:
			return pstate{spans: spanTrue, trace: store.True}
		}
		// On grouped input the operator combines each group's spans with
		// the same group's only: the operator applied to the union (the
		// sets) can select spans no group does (&&, structural) or none
		// where a group does (negated structural), so no set then.
		out.grouped = in.grouped
		if l.set != nil && r.set != nil && !in.grouped {
			out.set = &store.SpansetExpr{L: l.set, R: r.set}
			switch x.Op {
			case traceql.OpSpansetAnd:
				out.set.Op = store.SpansAnd
			case traceql.OpSpansetOr:
				out.set.Op = store.SpansOr
			default:
				out.set.Op = store.SpansRelation
				out.set.Rel, out.set.Mode = relationOf(x.Op)
			}
		}
		return out
	case *traceql.GroupOp:
		// Regroups spansets: the result is non-empty exactly when the
		// input is.
		in.grouped = true
		return in
	case *traceql.CoalesceOp:
		in.grouped = false // one spanset again
		return in
	case *traceql.SelectOp:
		return in
	case *traceql.ScalarFilter:
		out := pstate{spans: in.spans, trace: in.trace} // drops spansets
		if in.set != nil && !in.grouped {
			if test := countTest(x); test != nil {
				out.set = &store.SpansetExpr{Op: store.SpansCount, L: in.set, Count: test}
			} else if test := durationsTest(x); test != nil {
				out.set = &store.SpansetExpr{Op: store.SpansDurations, L: in.set, Durations: test}
			}
		}
		return out
	}
	return pstate{spans: spanTrue, trace: store.True}
}

// countTest returns the test of a scalar filter comparing count() with a
// literal, on the span count, or nil for any other scalar filter.
func countTest(x *traceql.ScalarFilter) func(int64) bool {
	agg, lit, mirrored := aggregateAndLiteral(x)
	if !x.Op.IsComparison() || agg == nil || agg.Op != traceql.AggregateCount {
		return nil
	}
	op, v := x.Op, fromStatic(lit)
	if mirrored {
		return func(n int64) bool { return compare(op, v, intV(n)) }
	}
	return func(n int64) bool { return compare(op, intV(n), v) }
}

// durationsTest returns the test of a scalar filter comparing avg(),
// min() or max() of duration with a literal, on the durations of the
// spanset's spans in their order, or nil for any other scalar filter. It
// computes the aggregate and compares as the pipeline does
// (aggregateDurations, compare), so it is exact. sum() is left out: its
// integer sum can overflow, an error the pipeline reports and a filter
// would hide.
func durationsTest(x *traceql.ScalarFilter) func([]int64) bool {
	agg, lit, mirrored := aggregateAndLiteral(x)
	if !x.Op.IsComparison() || agg == nil || agg.Op == traceql.AggregateCount || agg.Op == traceql.AggregateSum {
		return nil
	}
	if in, ok := agg.Expr.(*traceql.Intrinsic); !ok || in.Intrinsic != traceql.IntrinsicDuration {
		return nil
	}
	op, litV := x.Op, fromStatic(lit)
	return func(ds []int64) bool {
		v, ok := aggregateDurations(agg.Op, ds)
		if !ok {
			return false
		}
		if mirrored {
			return compare(op, litV, v)
		}
		return compare(op, v, litV)
	}
}

// aggregateAndLiteral splits `aggregate op literal` (or its mirror form,
// mirrored) into its parts; agg is nil for any other shape.
func aggregateAndLiteral(x *traceql.ScalarFilter) (agg *traceql.Aggregate, lit *traceql.Static, mirrored bool) {
	if a, ok := x.LHS.(*traceql.Aggregate); ok {
		if s, ok := x.RHS.(*traceql.Static); ok {
			return a, s, false
		}
	}
	if a, ok := x.RHS.(*traceql.Aggregate); ok {
		if s, ok := x.LHS.(*traceql.Static); ok {
			return a, s, true
		}
	}
	return nil, nil, false
}

func isNegatedStructural(op traceql.Operator) bool {
	switch op {
	case traceql.OpNotChild, traceql.OpNotParent, traceql.OpNotDescendant, traceql.OpNotAncestor, traceql.OpNotSibling:
		return true
	}
	return false
}

func isUnionStructural(op traceql.Operator) bool {
	switch op {
	case traceql.OpUnionChild, traceql.OpUnionParent, traceql.OpUnionDescendant, traceql.OpUnionAncestor, traceql.OpUnionSibling:
		return true
	}
	return false
}

// spanCond translates a spanset filter expression. exact says the
// condition is true of a span exactly when the expression is; otherwise it
// is true at least then (nil: true of every span).
func (c *filterCompiler) spanCond(x traceql.Expr) (*store.SpanCond, bool) {
	switch x := x.(type) {
	case *traceql.BinaryExpr:
		switch x.Op {
		case traceql.OpAnd:
			l, le := c.spanCond(x.LHS)
			r, re := c.spanCond(x.RHS)
			return andSpan(l, r), le && re
		case traceql.OpOr:
			l, le := c.spanCond(x.LHS)
			r, re := c.spanCond(x.RHS)
			return orSpan(l, r), le && re
		}
		if x.Op.IsComparison() || x.Op.IsRegex() {
			return c.comparison(x)
		}
	case *traceql.UnaryExpr:
		if x.Op == traceql.OpNot {
			switch y := x.Expr.(type) {
			case *traceql.Attribute, *traceql.Intrinsic:
				// ! of a non-boolean is nil, which matches nothing.
				return c.fieldTest(y, store.TypesOf(model.ValueBool), func(v value) bool { return v.k == kBool && !v.b })
			case *traceql.Static:
				if y.Type == traceql.TypeBool && !y.Bool {
					return nil, true
				}
				return &store.SpanCond{Op: store.OpOr}, true
			}
			// Comparisons and logic always give a boolean: ! negates it.
			inner, exact := c.spanCond(x.Expr)
			if !exact {
				return nil, false
			}
			if inner == nil {
				return &store.SpanCond{Op: store.OpOr}, true // not true: no span
			}
			return &store.SpanCond{Op: store.OpNot, Args: []*store.SpanCond{inner}}, true
		}
	case *traceql.Static:
		if x.Type == traceql.TypeBool && x.Bool {
			return nil, true
		}
		if x.Type == traceql.TypeBool || x.Type == traceql.TypeNil || x.Type == traceql.TypeInt ||
			x.Type == traceql.TypeFloat || x.Type == traceql.TypeString || x.Type == traceql.TypeDuration ||
			x.Type == traceql.TypeStatus || x.Type == traceql.TypeKind {
			return &store.SpanCond{Op: store.OpOr}, true // a non-true literal matches no span
		}
	case *traceql.Attribute, *traceql.Intrinsic:
		// A bare field matches when it is the boolean true.
		return c.fieldTest(x, store.TypesOf(model.ValueBool), func(v value) bool { return v.isTrue() })
	}
	c.inexact = true
	return nil, false
}

// comparison translates `field op literal` (either way round).
func (c *filterCompiler) comparison(x *traceql.BinaryExpr) (*store.SpanCond, bool) {
	field, lit, fieldLeft := x.LHS, x.RHS, true
	if _, ok := x.LHS.(*traceql.Static); ok {
		field, lit, fieldLeft = x.RHS, x.LHS, false
	}
	s, ok := lit.(*traceql.Static)
	if !ok {
		c.inexact = true
		return nil, false
	}
	if _, ok := field.(*traceql.Static); ok {
		c.inexact = true // literal vs literal: folded by validation normally
		return nil, false
	}
	if (x.Op == traceql.OpEq || x.Op == traceql.OpNeq) && s.Type == traceql.TypeNil {
		want := x.Op == traceql.OpEq
		return c.fieldTest(field, presenceOnly, func(v value) bool { return (v.k == kNil) == want })
	}
	if x.Op.IsRegex() {
		if !fieldLeft || s.Type != traceql.TypeString {
			c.inexact = true
			return nil, false
		}
		re, err := regexp.Compile("^(?s:" + s.Str + ")$")
		if err != nil {
			c.failed = true
			return nil, false
		}
		neg := x.Op == traceql.OpNotRegex
		return c.fieldTest(field, store.TypesOf(model.ValueString), func(v value) bool { return matchRegex(re, neg, v) })
	}
	sv := fromStatic(s)
	op := x.Op
	types := comparedTypes(sv)
	if !fieldLeft {
		op = op.Mirror()
	}
	if in, ok := field.(*traceql.Intrinsic); ok {
		if kind, _ := intrinsicField(in.Intrinsic); kind == store.FieldSpanDuration || kind == store.FieldTraceDuration {
			if test := durationTest(op, sv); test != nil {
				return &store.SpanCond{Op: store.OpTest, Field: store.Field{Kind: kind}, Test: test, Ints: intRange(op, sv.i)}, true
			}
		}
	}
	if pred := intComparison(op, sv); pred != nil {
		return c.fieldTest(field, types, pred)
	}
	var cond *store.SpanCond
	var exact bool
	if fieldLeft {
		cond, exact = c.fieldTest(field, types, func(v value) bool { return compare(op, v, sv) })
	} else {
		cond, exact = c.fieldTest(field, types, func(v value) bool { return compare(op.Mirror(), sv, v) })
	}
	if sv.k == kString && (op == traceql.OpEq || op == traceql.OpNeq) {
		lit, eq := sv.s, op == traceql.OpEq
		setStr(cond, func(s string) bool { return (s == lit) == eq })
		if eq {
			setStrs(cond, &store.StrRange{Lo: lit, Hi: lit})
		}
	}
	return cond, exact
}

// setStr sets the string test str on the tests of c (store.SpanCond.Str)
// whose field's string values are compared as they are: attributes, span
// names and status messages.
func setStr(c *store.SpanCond, str func(string) bool) {
	if c == nil {
		return
	}
	switch c.Op {
	case store.OpTest:
		switch c.Field.Kind {
		case store.FieldSpanName, store.FieldSpanStatusMessage, store.FieldSpanAttr, store.FieldResourceAttr,
			store.FieldScopeAttr, store.FieldEventAttr, store.FieldLinkAttr:
			c.Str = str
		}
	case store.OpOr:
		for _, a := range c.Args {
			setStr(a, str)
		}
	}
}

// setStrs sets the string range r on the tests of c whose Str is set
// (see setStr) and whose value, when absent, fails them: store.SpanCond.Strs.
func setStrs(c *store.SpanCond, r *store.StrRange) {
	if c == nil {
		return
	}
	switch c.Op {
	case store.OpTest:
		if c.Str != nil && !c.Test(model.Value{}, false) {
			c.Strs = r
		}
	case store.OpOr:
		for _, a := range c.Args {
			setStrs(a, r)
		}
	}
}

// durationTest returns the test of `duration op lit` (or traceDuration)
// for an int or duration literal: the field is always a duration, which
// compare orders against either as two int64s; nil for other literals
// and operators.
func durationTest(op traceql.Operator, lit value) func(model.Value, bool) bool {
	if lit.k != kInt && lit.k != kDuration || !op.IsComparison() {
		return nil
	}
	n := lit.i
	return func(v model.Value, _ bool) bool { return holds(op, cmpOrdered(v.Int, n)) }
}

// intRange returns the ints v for which `v op n` holds, as a range (nil
// for !=): store.SpanCond.Ints of a duration test.
func intRange(op traceql.Operator, n int64) *store.IntRange {
	switch op {
	case traceql.OpEq:
		return &store.IntRange{Lo: n, Hi: n}
	case traceql.OpGT:
		if n == math.MaxInt64 {
			return &store.IntRange{Lo: 1, Hi: 0}
		}
		return &store.IntRange{Lo: n + 1, Hi: math.MaxInt64}
	case traceql.OpGTE:
		return &store.IntRange{Lo: n, Hi: math.MaxInt64}
	case traceql.OpLT:
		if n == math.MinInt64 {
			return &store.IntRange{Lo: 1, Hi: 0}
		}
		return &store.IntRange{Lo: math.MinInt64, Hi: n - 1}
	case traceql.OpLTE:
		return &store.IntRange{Lo: math.MinInt64, Hi: n}
	}
	return nil
}

// intComparison returns `v op lit` for an int or duration literal, which
// compares a value of the literal's kind (durations, counts: the usual
// case, millions of times in a scan) as two int64s and leaves every other
// value to compare; nil for other literals and operators.
func intComparison(op traceql.Operator, lit value) func(value) bool {
	if lit.k != kInt && lit.k != kDuration || !op.IsComparison() {
		return nil
	}
	k, n := lit.k, lit.i
	return func(v value) bool {
		if v.k == k {
			return holds(op, cmpOrdered(v.i, n))
		}
		return compare(op, v, lit)
	}
}

// presenceOnly: a test that only asks whether an attribute is there.
var presenceOnly = store.TypesOf(model.ValueEmpty)

// comparedTypes returns the attribute value types a comparison with
// literal lit tells apart (store.SpanCond.Types): values of other types,
// and array elements of other types, are not comparable with it (see
// compare), so they answer as an unsupported value does. Zero when
// unsure.
func comparedTypes(lit value) store.ValueTypes {
	switch lit.k {
	case kString:
		return store.TypesOf(model.ValueString)
	case kInt, kFloat, kDuration:
		return store.TypesOf(model.ValueInt, model.ValueDouble)
	case kBool:
		return store.TypesOf(model.ValueBool)
	}
	return 0
}

// fieldTest builds the test of one field with pred on its engine value;
// types are the attribute value types pred tells apart
// (store.SpanCond.Types).
func (c *filterCompiler) fieldTest(x traceql.Expr, types store.ValueTypes, pred func(value) bool) (*store.SpanCond, bool) {
	switch f := x.(type) {
	case *traceql.Intrinsic:
		kind, conv := intrinsicField(f.Intrinsic)
		if kind == 0 {
			c.inexact = true
			return nil, false
		}
		return &store.SpanCond{Op: store.OpTest, Field: store.Field{Kind: kind},
			Test: func(v model.Value, _ bool) bool { return pred(conv(v)) }}, true
	case *traceql.Attribute:
		if f.Parent {
			c.inexact = true
			return nil, false
		}
		test := func(v model.Value, ok bool) bool {
			if !ok {
				return pred(nilValue)
			}
			return pred(fromModel(v))
		}
		attr := func(k store.FieldKind) *store.SpanCond {
			return &store.SpanCond{Op: store.OpTest, Field: store.Field{Kind: k, Name: f.Name}, Test: test, Types: types}
		}
		switch f.Scope {
		case traceql.AttributeScopeSpan:
			return attr(store.FieldSpanAttr), true
		case traceql.AttributeScopeResource:
			return attr(store.FieldResourceAttr), true
		case traceql.AttributeScopeInstrumentation:
			return attr(store.FieldScopeAttr), true
		}
		// Event, link and unscoped attributes depend on the event and link
		// a filter is evaluated on: the condition is only a superset, and
		// none at all when an absent value passes.
		c.inexact = true
		if test(model.Value{}, false) {
			return nil, false
		}
		switch f.Scope {
		case traceql.AttributeScopeEvent:
			return attr(store.FieldEventAttr), false
		case traceql.AttributeScopeLink:
			return attr(store.FieldLinkAttr), false
		case traceql.AttributeScopeNone:
			return orSpan(attr(store.FieldSpanAttr), attr(store.FieldResourceAttr), attr(store.FieldEventAttr),
				attr(store.FieldLinkAttr), attr(store.FieldScopeAttr)), false
		}
	}
	c.inexact = true
	return nil, false
}

// intrinsicField maps an intrinsic to a store field and converts the
// store's value back to the engine's; kind 0 when there is none.
func intrinsicField(in traceql.IntrinsicField) (store.FieldKind, func(model.Value) value) {
	switch in {
	case traceql.IntrinsicName:
		return store.FieldSpanName, func(v model.Value) value { return strV(v.Str) }
	case traceql.IntrinsicStatusMessage:
		return store.FieldSpanStatusMessage, func(v model.Value) value { return strV(v.Str) }
	case traceql.IntrinsicStatus:
		return store.FieldSpanStatus, func(v model.Value) value { return statusV(model.StatusCode(v.Int)) }
	case traceql.IntrinsicKind:
		return store.FieldSpanKind, func(v model.Value) value { return kindV(model.SpanKind(v.Int)) }
	case traceql.IntrinsicDuration:
		return store.FieldSpanDuration, func(v model.Value) value { return durV(v.Int) }
	case traceql.IntrinsicTraceDuration:
		return store.FieldTraceDuration, func(v model.Value) value { return durV(v.Int) }
	}
	return 0, nil
}

func andSpan(cs ...*store.SpanCond) *store.SpanCond {
	var args []*store.SpanCond
	for _, c := range cs {
		if c != nil && c.Op != store.OpTrue {
			args = append(args, c)
		}
	}
	switch len(args) {
	case 0:
		return spanTrue
	case 1:
		return args[0]
	}
	return &store.SpanCond{Op: store.OpAnd, Args: args}
}

func orSpan(cs ...*store.SpanCond) *store.SpanCond {
	var args []*store.SpanCond
	for _, c := range cs {
		if c == nil || c.Op == store.OpTrue {
			return spanTrue
		}
		args = append(args, c)
	}
	if len(args) == 1 {
		return args[0]
	}
	return &store.SpanCond{Op: store.OpOr, Args: args}
}

func anySpan(s *store.SpanCond) *store.TraceCond {
	if s == nil {
		s = spanTrue
	}
	return &store.TraceCond{Op: store.OpAny, Span: s}
}

func andTrace(cs ...*store.TraceCond) *store.TraceCond {
	var args []*store.TraceCond
	for _, c := range cs {
		if c != nil && c.Op != store.OpTrue {
			args = append(args, c)
		}
	}
	switch len(args) {
	case 0:
		return store.True
	case 1:
		return args[0]
	}
	return &store.TraceCond{Op: store.OpAnd, Args: args}
}

func orTrace(cs ...*store.TraceCond) *store.TraceCond {
	var args []*store.TraceCond
	for _, c := range cs {
		if c == nil || c.Op == store.OpTrue {
			return store.True
		}
		args = append(args, c)
	}
	if len(args) == 1 {
		return args[0]
	}
	return &store.TraceCond{Op: store.OpOr, Args: args}
}
