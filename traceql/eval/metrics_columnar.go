package eval

import (
	"context"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/traceql"
)

// A metrics pipeline of the shape `{ exact span filter } | rate() by (...)`
// (or count_over_time) counts spans per group and interval, which a source
// implementing store.SpanAggregator can do on its own without building
// traces. aggregatePlan recognises that shape; the source's groups then
// fill the pipeline's aggregator exactly as the spans would have one by
// one (same labels, counts and lowest-rank exemplars).

// aggregatePlan is a pipeline the source can aggregate.
type aggregatePlan struct {
	spec *store.AggregateSpec
	// label converts group value i to the engine's value (as groupLabels
	// sees it).
	label []func(model.Value) value
}

// planAggregate returns the plan of mp for agg, or nil when it has
// another shape.
func planAggregate(root *traceql.RootExpr, mp *traceql.MetricsPipeline, agg *aggregator, iv intervals, exemplars int) *aggregatePlan {
	fn := mp.Func
	durations := false
	switch fn.Op {
	case traceql.MetricsRate, traceql.MetricsCountOverTime:
		if fn.Attr != nil {
			return nil
		}
	case traceql.MetricsMinOverTime, traceql.MetricsMaxOverTime, traceql.MetricsSumOverTime, traceql.MetricsAvgOverTime,
		traceql.MetricsQuantileOverTime, traceql.MetricsHistogramOverTime:
		in, ok := fn.Attr.(*traceql.Intrinsic)
		if !ok || in.Intrinsic != traceql.IntrinsicDuration {
			return nil // the span's duration only
		}
		durations = true
	default:
		return nil
	}
	if mayFailOnData(root) {
		return nil
	}
	if len(mp.Pipeline.Stages) != 1 {
		return nil
	}
	sf, ok := mp.Pipeline.Stages[0].(*traceql.SpansetFilter)
	if !ok {
		return nil
	}
	spec := &store.AggregateSpec{Slots: iv.n, Slot: func(ns uint64) int { return iv.slot(int64(ns)) }} //nolint:gosec // ns since 1970 fit
	if sf.Expr != nil {
		c := &filterCompiler{}
		cond, exact := c.spanCond(sf.Expr)
		if !exact || c.inexact || c.failed {
			return nil
		}
		spec.Spans = cond.Simplified()
	}
	if durations && agg.bucketed() {
		// Tempo's buckets drop durations below 2 ns: such spans count
		// nowhere, exemplars included.
		atLeast2 := &store.SpanCond{Op: store.OpTest, Field: store.Field{Kind: store.FieldSpanDuration},
			Test: func(v model.Value, _ bool) bool { return approxValue(durV(v.Int)) }}
		spec.Spans = andSpan(spec.Spans, atLeast2)
	}
	spec.Durations = durations
	p := &aggregatePlan{spec: spec}
	for _, b := range fn.By {
		f, conv, ok := groupField(b)
		if !ok {
			return nil
		}
		spec.GroupBy = append(spec.GroupBy, f)
		p.label = append(p.label, conv)
	}
	if exemplars > 0 {
		spec.Exemplars, spec.RankTrace, spec.RankSpan = exemplarsPerInterval, traceRank, spanRankFrom
	}
	return p
}

// groupField maps a by() expression to a store field a source can read per
// span, with the conversion of its values to the engine's.
func groupField(x traceql.Expr) (store.Field, func(model.Value) value, bool) {
	switch b := x.(type) {
	case *traceql.Attribute:
		if b.Parent {
			return store.Field{}, nil, false
		}
		var k store.FieldKind
		switch b.Scope {
		case traceql.AttributeScopeSpan:
			k = store.FieldSpanAttr
		case traceql.AttributeScopeResource:
			k = store.FieldResourceAttr
		case traceql.AttributeScopeInstrumentation:
			k = store.FieldScopeAttr
		default:
			return store.Field{}, nil, false
		}
		return store.Field{Kind: k, Name: b.Name}, fromModel, true
	case *traceql.Intrinsic:
		switch b.Intrinsic {
		case traceql.IntrinsicName, traceql.IntrinsicStatus, traceql.IntrinsicStatusMessage,
			traceql.IntrinsicKind, traceql.IntrinsicDuration:
			k, conv := intrinsicField(b.Intrinsic)
			return store.Field{Kind: k}, conv, true
		}
	}
	return store.Field{}, nil, false
}

// aggregateInto asks src for the plan's groups and adds them to agg.
func aggregateInto(ctx context.Context, src store.SpanAggregator, req store.Request, mp *traceql.MetricsPipeline,
	p *aggregatePlan, agg *aggregator) (*store.Aggregate, error) {
	res, err := src.AggregateSpans(ctx, req, p.spec)
	if err != nil {
		return nil, err
	}
	for _, g := range res.Groups {
		var labels []model.Attribute
		for i, b := range mp.Func.By {
			if !g.Present[i] {
				continue
			}
			v := p.label[i](g.Values[i])
			if v.k == kNil {
				continue
			}
			labels = append(labels, model.Attribute{Key: b.String(), Value: labelValue(v)})
		}
		if len(labels) == 0 && len(mp.Func.By) > 0 {
			labels = append(labels, model.Str(mp.Func.By[0].String(), "nil"))
		}
		s := agg.acc(labels)
		if p.spec.Durations {
			for slot := range g.Durations {
				g.Durations[slot].Each(func(d uint64) {
					x := durV(int64(d)) //nolint:gosec // durations fit
					agg.addTo(s, slot, &x)
				})
				// The aggregator has its own copy now: let the collector
				// take this one while the next groups are copied (10M
				// spans' durations are 40 MB in each).
				g.Durations[slot] = store.Durations{}
			}
		} else {
			for slot, n := range g.Count {
				s.count[slot] += float64(n)
			}
		}
		if agg.exemplars > 0 {
			for slot, ex := range g.Exemplars {
				for _, e := range ex {
					s.addExemplar(slot, exemplarCand{rank: e.Rank, traceID: e.TraceID, spanID: e.SpanID,
						startNs: e.StartUnixNano, value: float64(e.DurationNano) / 1e9})
				}
			}
		}
	}
	return res, nil
}
