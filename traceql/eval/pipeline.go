package eval

import (
	"fmt"

	"github.com/tracectl/tracectl/traceql"
)

// evalTrace runs the query's pipeline on one trace and returns the
// non-empty spansets it leaves.
func (e *evaluator) evalTrace(td *traceData) ([]*spanset, error) {
	if len(td.spans) == 0 {
		return nil, nil
	}
	in := []*spanset{{spans: td.spans}}
	return e.pipeline(e.root.Pipeline, in, td)
}

func (e *evaluator) pipeline(p *traceql.Pipeline, in []*spanset, td *traceData) ([]*spanset, error) {
	for _, st := range p.Stages {
		var err error
		if in, err = e.stage(st, in, td); err != nil {
			return nil, err
		}
		if len(in) == 0 {
			return nil, nil
		}
	}
	return in, nil
}

func (e *evaluator) stage(st traceql.Stage, in []*spanset, td *traceData) ([]*spanset, error) {
	var out []*spanset
	switch x := st.(type) {
	case *traceql.Pipeline:
		return e.pipeline(x, in, td)
	case *traceql.SpansetFilter:
		for _, ss := range in {
			if x.Expr == nil {
				out = append(out, ss)
				continue
			}
			var spans = make([]*span, 0, len(ss.spans))
			for _, sp := range ss.spans {
				ok, err := e.matchSpan(x.Expr, td, sp)
				if err != nil {
					return nil, err
				}
				if ok {
					spans = append(spans, sp)
				}
			}
			if len(spans) > 0 {
				out = append(out, ss.withSpans(spans))
			}
		}
	case *traceql.SpansetOp:
		for _, ss := range in {
			l, err := e.stage(x.LHS, []*spanset{ss}, td)
			if err != nil {
				return nil, err
			}
			r, err := e.stage(x.RHS, []*spanset{ss}, td)
			if err != nil {
				return nil, err
			}
			if len(l) > 1 || len(r) > 1 {
				return nil, ErrMultipleSpansets
			}
			if res := spansetOp(x.Op, l, r); res != nil {
				out = append(out, res)
			}
		}
	case *traceql.ScalarFilter:
		for _, ss := range in {
			lv, ok, err := e.scalar(x.LHS, td, ss)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			rv, ok, err := e.scalar(x.RHS, td, ss)
			if err != nil {
				return nil, err
			}
			if !ok || !compare(x.Op, lv, rv) {
				continue
			}
			if a, isAgg := x.LHS.(*traceql.Aggregate); isAgg {
				ss = ss.withAttr(a.String(), lv)
			}
			out = append(out, ss)
		}
	case *traceql.GroupOp:
		name := "by(" + x.By.String() + ")"
		for _, ss := range in {
			var order []string
			groups := map[string]*spanset{}
			for _, sp := range ss.spans {
				v, err := e.firstValue(x.By, td, sp)
				if err != nil {
					return nil, err
				}
				k := v.key()
				g := groups[k]
				if g == nil {
					g = ss.withAttr(name, v)
					g.spans = nil
					groups[k] = g
					order = append(order, k)
				}
				g.spans = append(g.spans, sp)
			}
			for _, k := range order {
				out = append(out, groups[k])
			}
		}
	case *traceql.CoalesceOp:
		merged := &spanset{}
		for _, ss := range in {
			merged.spans = union(merged.spans, ss.spans)
			merged.selects = mergeSelects(merged.selects, ss.selects)
		}
		if len(merged.spans) > 0 {
			out = append(out, merged)
		}
	case *traceql.SelectOp:
		var sel []selectAttr
		for _, a := range x.Attrs {
			sel = append(sel, selectAttr{key: selectKey(a), expr: a})
		}
		for _, ss := range in {
			c := *ss
			c.selects = mergeSelects(ss.selects, sel)
			out = append(out, &c)
		}
	default:
		return nil, fmt.Errorf("unexpected pipeline stage %s", st)
	}
	return out, nil
}

// spansetOp combines the (at most one) spanset of each side.
func spansetOp(op traceql.Operator, l, r []*spanset) *spanset {
	var ls, rs *spanset
	if len(l) == 1 {
		ls = l[0]
	}
	if len(r) == 1 {
		rs = r[0]
	}
	merge := func(spans []*span) *spanset {
		if len(spans) == 0 {
			return nil
		}
		out := &spanset{spans: spans}
		for _, s := range []*spanset{ls, rs} {
			if s != nil {
				out.attrs = mergeAttrs(out.attrs, s.attrs)
				out.selects = mergeSelects(out.selects, s.selects)
			}
		}
		return out
	}
	spans := func(s *spanset) []*span {
		if s == nil {
			return nil
		}
		return s.spans
	}
	switch op {
	case traceql.OpSpansetAnd:
		if ls == nil || rs == nil {
			return nil
		}
		return merge(union(ls.spans, rs.spans))
	case traceql.OpSpansetOr:
		return merge(union(spans(ls), spans(rs)))
	}
	if !op.IsStructural() {
		return nil
	}
	return merge(structural(op, spans(ls), spans(rs)))
}

// scalar evaluates one side of a scalar filter over a spanset: aggregates,
// literals and arithmetic on them. ok is false when an aggregate had no
// values (the spanset is dropped).
func (e *evaluator) scalar(x traceql.Expr, td *traceData, ss *spanset) (value, bool, error) {
	switch x := x.(type) {
	case *traceql.Aggregate:
		return e.aggregate(x, td, ss)
	case *traceql.Static:
		return fromStatic(x), true, nil
	case *traceql.UnaryExpr:
		v, ok, err := e.scalar(x.Expr, td, ss)
		if err != nil || !ok {
			return nilValue, ok, err
		}
		v, err = unary(x.Op, v)
		return v, v.k != kNil, err
	case *traceql.BinaryExpr:
		l, ok, err := e.scalar(x.LHS, td, ss)
		if err != nil || !ok {
			return nilValue, ok, err
		}
		r, ok, err := e.scalar(x.RHS, td, ss)
		if err != nil || !ok {
			return nilValue, ok, err
		}
		v, err := arith(x.Op, l, r)
		return v, v.k != kNil, err
	}
	return nilValue, false, fmt.Errorf("%s is not a scalar expression", x)
}
