package eval

import (
	"encoding/hex"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/traceql"
)

// This file holds the implementations matching traceql's signature tables
// (traceql.Intrinsics, traceql.Functions); TestImplementationTables keeps
// them in step.

// intrinsicImpls evaluates each intrinsic on a span. `parent` has no
// implementation: validation rejects it as not yet supported.
var intrinsicImpls = map[traceql.IntrinsicField]func(c *spanCtx) value{
	traceql.IntrinsicName:          func(c *spanCtx) value { return strV(c.sp.ref.Span.Name) },
	traceql.IntrinsicStatus:        func(c *spanCtx) value { return statusV(c.sp.ref.Span.Status.Code) },
	traceql.IntrinsicStatusMessage: func(c *spanCtx) value { return strV(c.sp.ref.Span.Status.Message) },
	traceql.IntrinsicKind:          func(c *spanCtx) value { return kindV(c.sp.ref.Span.Kind) },
	traceql.IntrinsicDuration:      func(c *spanCtx) value { return durV(int64(c.sp.ref.Span.Duration())) },
	traceql.IntrinsicSpanID:        func(c *spanCtx) value { return strV(c.sp.ref.Span.SpanID.String()) },
	traceql.IntrinsicParentID:      func(c *spanCtx) value { return strV(c.sp.ref.Span.ParentSpanID.String()) },
	traceql.IntrinsicChildCount:    func(c *spanCtx) value { return intV(c.td.childCountOf(c.sp)) },
	traceql.IntrinsicTraceID:       func(c *spanCtx) value { return strV(c.td.t.TraceID.String()) },
	traceql.IntrinsicTraceDuration: func(c *spanCtx) value { return durV(int64(c.td.end - c.td.start)) },
	traceql.IntrinsicTraceRootName: func(c *spanCtx) value { return strV(c.td.rootName) },
	traceql.IntrinsicTraceRootService: func(c *spanCtx) value {
		return strV(c.td.rootService)
	},
	traceql.IntrinsicEventName: func(c *spanCtx) value {
		if c.ev == nil {
			return nilValue
		}
		return strV(c.ev.Name)
	},
	traceql.IntrinsicEventTimeSinceStart: func(c *spanCtx) value {
		if c.ev == nil {
			return nilValue
		}
		return durV(int64(c.ev.TimeUnixNano) - int64(c.sp.ref.Span.StartTimeUnixNano))
	},
	traceql.IntrinsicLinkTraceID: func(c *spanCtx) value {
		if c.ln == nil {
			return nilValue
		}
		return strV(hex.EncodeToString(c.ln.TraceID[:]))
	},
	traceql.IntrinsicLinkSpanID: func(c *spanCtx) value {
		if c.ln == nil {
			return nilValue
		}
		return strV(c.ln.SpanID.String())
	},
	traceql.IntrinsicInstrumentationName:    func(c *spanCtx) value { return strV(c.sp.ref.Scope.Name) },
	traceql.IntrinsicInstrumentationVersion: func(c *spanCtx) value { return strV(c.sp.ref.Scope.Version) },
	traceql.IntrinsicNestedSetLeft:          func(c *spanCtx) value { return intV(int64(c.sp.left())) },
	traceql.IntrinsicNestedSetRight:         func(c *spanCtx) value { return intV(int64(c.sp.right())) },
	traceql.IntrinsicNestedSetParent:        func(c *spanCtx) value { return intV(int64(c.sp.parent())) },
}

// unimplementedIntrinsics are declared by traceql but rejected by
// validation, so the evaluator never sees them.
var unimplementedIntrinsics = map[traceql.IntrinsicField]string{
	traceql.IntrinsicParent: "parent is rejected by validation (not yet supported)",
}

// aggregateImpls are the pipeline aggregates, keyed by function name.
var aggregateImpls = map[string]traceql.AggregateOp{
	"count": traceql.AggregateCount,
	"avg":   traceql.AggregateAvg,
	"min":   traceql.AggregateMin,
	"max":   traceql.AggregateMax,
	"sum":   traceql.AggregateSum,
}

// stageImpls are the pipeline stage functions, keyed by name; the value is
// the AST node type evaluated by evalStage.
var stageImpls = map[string]traceql.Stage{
	"by":       &traceql.GroupOp{},
	"coalesce": &traceql.CoalesceOp{},
	"select":   &traceql.SelectOp{},
}

// metricsFunctions are evaluated by the metrics engine; Search rejects them
// with ErrMetricsQuery.
var metricsFunctions = map[string]bool{
	"rate": true, "count_over_time": true, "min_over_time": true, "max_over_time": true,
	"sum_over_time": true, "avg_over_time": true, "quantile_over_time": true,
	"histogram_over_time": true, "compare": true, "topk": true, "bottomk": true,
}

// aggregate computes an aggregate over a spanset. Spans where the value is
// nil (or not numeric) are skipped; ok is false when every span was skipped.
func (e *evaluator) aggregate(a *traceql.Aggregate, td *traceData, ss *spanset) (value, bool, error) {
	if a.Op == traceql.AggregateCount {
		return intV(int64(len(ss.spans))), true, nil
	}
	acc := accumulator{op: a.Op}
	for _, sp := range ss.spans {
		v, err := e.firstValue(a.Expr, td, sp)
		if err != nil {
			return nilValue, false, err
		}
		if err := acc.add(v); err != nil {
			return nilValue, false, err
		}
	}
	v, ok := acc.result()
	return v, ok, nil
}

// aggregateDurations is aggregate over spans of these durations, in this
// order (for the filter a source evaluates, durationsTest).
func aggregateDurations(op traceql.AggregateOp, ds []int64) (value, bool) {
	acc := accumulator{op: op}
	for _, d := range ds {
		if err := acc.add(durV(d)); err != nil {
			return nilValue, false // sum overflowed: durationsTest does not take sum
		}
	}
	return acc.result()
}

// accumulator computes avg, min, max or sum of the values added: avg of
// ints is a float, of durations a duration; sum/min/max keep the type
// (ints and durations mixed give a duration, any float a float). Values
// that are not numeric are skipped.
type accumulator struct {
	op    traceql.AggregateOp
	acc   value
	n     int
	mixed bool // a value was not a duration
	sumF  float64
}

func (a *accumulator) add(v value) error {
	if !v.isNumeric() {
		return nil
	}
	if v.k != kDuration {
		a.mixed = true
	}
	a.sumF += v.float()
	if a.n == 0 {
		a.acc = v
		a.n++
		return nil
	}
	a.n++
	switch a.op {
	case traceql.AggregateMin:
		if compareScalar(traceql.OpLT, v, a.acc) {
			a.acc = v
		}
	case traceql.AggregateMax:
		if compareScalar(traceql.OpGT, v, a.acc) {
			a.acc = v
		}
	case traceql.AggregateSum:
		var err error
		if a.acc, err = arith(traceql.OpAdd, a.acc, v); err != nil {
			return err
		}
	}
	return nil
}

// result is the aggregate; ok is false when no value was added.
func (a *accumulator) result() (value, bool) {
	if a.n == 0 {
		return nilValue, false
	}
	if a.op == traceql.AggregateAvg {
		avg := a.sumF / float64(a.n)
		if !a.mixed {
			return durV(int64(avg)), true
		}
		return floatV(avg), true
	}
	return a.acc, true
}

// toModel converts a value for output attributes: durations, statuses and
// kinds as strings (as Tempo renders them), nil as the string "nil".
func toModel(v value) model.Value {
	switch v.k {
	case kInt:
		return model.IntValue(v.i)
	case kFloat:
		return model.DoubleValue(v.f)
	case kString:
		return model.StringValue(v.s)
	case kBool:
		return model.BoolValue(v.b)
	case kArray:
		arr := make([]model.Value, len(v.arr))
		for i, e := range v.arr {
			arr[i] = toModel(e)
		}
		return model.ArrayValue(arr...)
	}
	return model.StringValue(v.String())
}
