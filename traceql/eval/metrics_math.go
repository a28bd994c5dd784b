package eval

import (
	"fmt"
	"math"

	"github.com/tracectl/tracectl/traceql"
)

// metricsValue is the value of a metrics (sub)expression: series, or a
// number for constant operands.
type metricsValue struct {
	series   []*Series
	scalar   float64
	isScalar bool
}

// evalMetrics evaluates a metrics expression once its pipelines have been
// aggregated: pipelines give their series, second stages filter them, and
// arithmetic combines series with series (matched by label set, an
// unlabelled side applying to every series of the other) or numbers.
func evalMetrics(x traceql.Expr, aggs map[*traceql.MetricsPipeline]seriesSource) (metricsValue, error) {
	switch x := x.(type) {
	case *traceql.MetricsPipeline:
		return metricsValue{series: aggs[x].series()}, nil
	case *traceql.MetricsSecondStage:
		v, err := evalMetrics(x.Expr, aggs)
		if err != nil {
			return v, err
		}
		for _, op := range x.Ops {
			if v.series, err = applySecondStage(op, v.series); err != nil {
				return v, err
			}
		}
		return v, nil
	case *traceql.BinaryExpr:
		l, err := evalMetrics(x.LHS, aggs)
		if err != nil {
			return l, err
		}
		r, err := evalMetrics(x.RHS, aggs)
		if err != nil {
			return r, err
		}
		return combine(x.Op, l, r)
	case *traceql.Static, *traceql.UnaryExpr:
		f, err := constantValue(x)
		return metricsValue{scalar: f, isScalar: true}, err
	}
	return metricsValue{}, fmt.Errorf("%s is not supported in metrics arithmetic", x)
}

// seriesArith applies + - * / to two numbers; division by zero is NaN.
func seriesArith(op traceql.Operator, a, b float64) (float64, error) {
	switch op {
	case traceql.OpAdd:
		return a + b, nil
	case traceql.OpSub:
		return a - b, nil
	case traceql.OpMul:
		return a * b, nil
	case traceql.OpDiv:
		if b == 0 {
			return math.NaN(), nil
		}
		return a / b, nil
	}
	return 0, fmt.Errorf("operator %s is not supported between metrics", op)
}

// combine applies op to two metrics values. Samples exist where both sides
// have one; NaN results are dropped, and then series left empty.
func combine(op traceql.Operator, l, r metricsValue) (metricsValue, error) {
	if l.isScalar && r.isScalar {
		f, err := seriesArith(op, l.scalar, r.scalar)
		return metricsValue{scalar: f, isScalar: true}, err
	}
	if l.isScalar || r.isScalar {
		series, k := r.series, l.scalar
		if r.isScalar {
			series, k = l.series, r.scalar
		}
		var out []*Series
		for _, s := range series {
			ns := &Series{Labels: s.Labels, Exemplars: s.Exemplars}
			for _, p := range s.Samples {
				a, b := p.Value, k
				if l.isScalar {
					a, b = k, p.Value
				}
				v, err := seriesArith(op, a, b)
				if err != nil {
					return metricsValue{}, err
				}
				if !math.IsNaN(v) {
					ns.Samples = append(ns.Samples, Sample{TimestampMs: p.TimestampMs, Value: v})
				}
			}
			out = appendSeries(out, ns)
		}
		return metricsValue{series: out}, nil
	}
	// Series with series: by identical label sets; a side made of one
	// unlabelled series (no by()) applies to every series of the other.
	rByKey := map[string]*Series{}
	for _, s := range r.series {
		rByKey[matchKey(s)] = s
	}
	var rAll, lAll *Series
	if len(r.series) == 1 && unlabelled(r.series[0]) {
		rAll = r.series[0]
	}
	if len(l.series) == 1 && unlabelled(l.series[0]) {
		lAll = l.series[0]
	}
	var out []*Series
	pair := func(ls, rs *Series, labels *Series) error {
		at := map[int64]float64{}
		for _, p := range rs.Samples {
			at[p.TimestampMs] = p.Value
		}
		ns := &Series{Labels: labels.Labels, Exemplars: labels.Exemplars}
		for _, p := range ls.Samples {
			b, ok := at[p.TimestampMs]
			if !ok {
				continue
			}
			v, err := seriesArith(op, p.Value, b)
			if err != nil {
				return err
			}
			if !math.IsNaN(v) {
				ns.Samples = append(ns.Samples, Sample{TimestampMs: p.TimestampMs, Value: v})
			}
		}
		out = appendSeries(out, ns)
		return nil
	}
	switch {
	case rAll != nil && (lAll == nil || len(l.series) > 1):
		for _, ls := range l.series {
			if err := pair(ls, rAll, ls); err != nil {
				return metricsValue{}, err
			}
		}
	case lAll != nil && rAll == nil:
		for _, rs := range r.series {
			if err := pair(lAll, rs, rs); err != nil {
				return metricsValue{}, err
			}
		}
	default:
		for _, ls := range l.series {
			if rs, ok := rByKey[matchKey(ls)]; ok {
				if err := pair(ls, rs, ls); err != nil {
					return metricsValue{}, err
				}
			}
		}
	}
	sortSeries(out)
	return metricsValue{series: out}, nil
}

// unlabelled reports whether a series has no labels but its name.
func unlabelled(s *Series) bool {
	for _, l := range s.Labels {
		if l.Key != "__name__" {
			return false
		}
	}
	return true
}

// matchKey is the label set two series are matched on (the function
// name of unlabelled series is not part of it).
func matchKey(s *Series) string {
	if unlabelled(s) {
		return ""
	}
	return labelsKey(s.Labels)
}
