package eval

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/traceql"
)

// MetricsOptions controls Metrics.
type MetricsOptions struct {
	// Start and End bound the spans counted, by span start time:
	// Start < start <= End. End zero means now; Start zero means End-1h.
	Start, End time.Time
	// Step is the interval width of a range query; zero picks DefaultStep.
	Step time.Duration
	// Instant evaluates one interval [Start, End] stamped at End.
	Instant bool
	// Approx estimates quantiles from power-of-two buckets, as Tempo does
	// (values below 2 and float attributes dropped). By default quantiles
	// are exact.
	Approx bool
	// Now is the clock for a zero End (nil: time.Now).
	Now func() time.Time
	// NoExemplars leaves exemplars out, for an output that does not show
	// them (a with(exemplars=…) hint is still checked).
	NoExemplars bool
}

// MetricsResult is the answer to a metrics query.
type MetricsResult struct {
	Series []*Series
	// Start, End and Step are the aligned range the samples cover.
	Start, End time.Time
	Step       time.Duration
	Metrics    SearchMetrics
}

// Series is one time series.
type Series struct {
	Labels    []model.Attribute
	Samples   []Sample
	Exemplars []Exemplar
	// Sums, on the bucket series of histogram_over_time, is the sum of the
	// values each sample counted (seconds for durations), one per sample:
	// the _sum of -o prom's histograms. Arithmetic between series drops it.
	Sums []float64
}

// Exemplar is a real span behind a series: its IDs, start time and value
// (the measured attribute, or the span's duration in seconds for rate and
// count_over_time).
type Exemplar struct {
	TraceID     model.TraceID
	SpanID      model.SpanID
	TimestampMs int64
	Value       float64
}

// DefaultExemplars is how many exemplars a series carries unless the query
// says otherwise with(exemplars=N), as in Tempo.
const DefaultExemplars = 100

// Sample is one point of a series.
type Sample struct {
	TimestampMs int64
	Value       float64
}

// MaxIntervals is the most intervals a range query may have.
const MaxIntervals = 100_000

// DefaultStep is the step Tempo picks for a range: about range/240 rounded
// down to 1h, 5m, 1m, 15s, 5s or 1s (at least 1s); ranges under a minute
// use multiples of 50ms. A range of more than MaxIntervals hours (11
// years: the default range of stored data holding a span stamped 1970)
// gets range/240 rounded down to whole hours instead of an error.
func DefaultStep(rng time.Duration) time.Duration {
	raw := rng / 240
	if rng < time.Minute {
		return max(50*time.Millisecond, raw/(50*time.Millisecond)*(50*time.Millisecond))
	}
	if raw >= time.Hour && rng/time.Hour+2 > MaxIntervals { // (+2: the intervals cut by the range's ends)
		return raw.Truncate(time.Hour)
	}
	for _, s := range []time.Duration{time.Hour, 5 * time.Minute, time.Minute, 15 * time.Second, 5 * time.Second} {
		if raw >= s {
			return s
		}
	}
	return time.Second
}

// intervals maps span start times to sample slots.
type intervals struct {
	start, end int64 // query bounds (ns): start < t <= end counts
	first      int64 // right edge of interval 0 (ns)
	step       int64
	n          int
	instant    bool
}

// newIntervals aligns a range query: the first right edge is the start
// rounded down to the step (an extra leading interval), the last is the end
// rounded up; interval i is (first+(i-1)·step, first+i·step].
func newIntervals(start, end time.Time, step time.Duration, instant bool) intervals {
	s, e := start.UnixNano(), end.UnixNano()
	if instant {
		return intervals{start: s, end: e, first: e, step: max(e-s, 1), n: 1, instant: true}
	}
	st := int64(step)
	first := floorDiv(s, st) * st
	last := -floorDiv(-e, st) * st
	return intervals{start: s, end: e, first: first, step: st, n: int((last-first)/st) + 1}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// slot returns the interval of a span starting at t, or -1.
func (iv intervals) slot(t int64) int {
	if iv.instant {
		if t < iv.start || t > iv.end {
			return -1
		}
		return 0
	}
	if t <= iv.start || t > iv.end {
		return -1
	}
	i := int(-floorDiv(-(t - iv.first), iv.step)) // ceil((t-first)/step)
	if i < 0 || i >= iv.n {
		return -1
	}
	return i
}

// timestampMs is the stamp of interval i: its right edge.
func (iv intervals) timestampMs(i int) int64 {
	return (iv.first + int64(i)*iv.step) / int64(time.Millisecond)
}

// ErrNotMetricsQuery is returned by Metrics for search queries.
var ErrNotMetricsQuery = errors.New("not a metrics query: add a metrics function such as `| rate()`")

// Metrics parses query and evaluates it over src.
func Metrics(ctx context.Context, src store.Source, query string, opts MetricsOptions) (*MetricsResult, error) {
	root, err := traceql.Parse(query)
	if err != nil {
		return nil, err
	}
	return MetricsExpr(ctx, src, root, opts)
}

// MetricsExpr evaluates a parsed metrics query over src.
func MetricsExpr(ctx context.Context, src store.Source, root *traceql.RootExpr, opts MetricsOptions) (*MetricsResult, error) {
	if !root.IsMetrics() {
		return nil, ErrNotMetricsQuery
	}
	if opts.End.IsZero() {
		now := time.Now
		if opts.Now != nil {
			now = opts.Now
		}
		opts.End = now()
	}
	if opts.Start.IsZero() {
		opts.Start = opts.End.Add(-time.Hour)
	}
	if !opts.End.After(opts.Start) {
		return nil, fmt.Errorf("end %s is not after start %s", opts.End.Format(time.RFC3339Nano), opts.Start.Format(time.RFC3339Nano))
	}
	if opts.Step <= 0 {
		opts.Step = DefaultStep(opts.End.Sub(opts.Start))
	}
	iv := newIntervals(opts.Start, opts.End, opts.Step, opts.Instant)
	if iv.n > MaxIntervals {
		return nil, fmt.Errorf("%d intervals: use a larger --step", iv.n)
	}
	plans, err := planMetrics(root.Metrics)
	if err != nil {
		return nil, err
	}
	e, err := compile(root)
	if err != nil {
		return nil, err
	}
	exemplars, err := exemplarHint(root)
	if err != nil {
		return nil, err
	}
	if opts.NoExemplars {
		exemplars = 0
	}
	aggs := map[*traceql.MetricsPipeline]seriesSource{}
	for _, mp := range plans {
		if mp.Func.Op == traceql.MetricsCompare {
			aggs[mp] = newCompareAgg(mp.Func, iv)
		} else {
			agg := newAggregator(mp.Func, iv, opts.Approx)
			agg.exemplars = exemplars
			aggs[mp] = agg
		}
	}
	fields := FieldsOf(root)
	// Aggregators copy what they keep of a span (values, IDs, labels):
	// the source may reuse a trace's memory.
	req := store.Request{Start: opts.Start, End: opts.End, Fields: &fields, AttributeKeys: AttributeKeysOf(root),
		Unordered: true, Reuse: true, Filter: FilterOf(root)}
	res := &MetricsResult{Step: opts.Step}
	done, err := aggregateAll(ctx, src, req, root, plans, aggs, iv, exemplars, res)
	if err != nil {
		return nil, err
	}
	if !done {
		if err := e.scanMetrics(ctx, src, req, plans, aggs, res); err != nil {
			return nil, err
		}
	}
	v, err := evalMetrics(root.Metrics, aggs)
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	if err != nil {
		return nil, err
	}
	if v.series == nil && v.isScalar {
		return nil, errors.New("the query has no metrics pipeline")
	}
	res.Series = v.series
	res.Start = time.Unix(0, iv.first)
	res.End = time.Unix(0, iv.first+int64(iv.n-1)*iv.step)
	if opts.Instant {
		res.Start, res.End = opts.Start, opts.End
	}
	return res, nil
}

// seriesSource is an aggregator that renders series.
type seriesSource interface{ series() []*Series }

// planMetrics returns the metrics pipelines of a metrics expression (one,
// or several combined by arithmetic), rejecting what is not supported.
func planMetrics(x traceql.Expr) ([]*traceql.MetricsPipeline, error) {
	var out []*traceql.MetricsPipeline
	var err error
	traceql.Inspect(x, func(n traceql.Node) bool {
		mp, ok := n.(*traceql.MetricsPipeline)
		if !ok {
			return true
		}
		out = append(out, mp)
		return false
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, ErrNotMetricsQuery
	}
	return out, nil
}

// observeTrace feeds every span of the pipeline's spansets on a trace
// (each once) to the aggregator.
func (e *evaluator) observeTrace(plan *traceql.MetricsPipeline, td *traceData, agg *aggregator) error {
	return e.eachMetricSpan(plan.Pipeline, td, agg.iv, func(sp *span, slot int) error {
		labels, err := e.groupLabels(plan.Func, td, sp)
		if err != nil {
			return err
		}
		x := nilValue
		if plan.Func.Attr != nil {
			if x, err = e.firstValue(plan.Func.Attr, td, sp); err != nil {
				return err
			}
			if !x.isNumeric() {
				return nil // no value to aggregate
			}
			if agg.bucketed() && !approxValue(x) {
				return nil // Tempo's buckets drop floats and values below 2
			}
		}
		agg.add(labels, slot, &x)
		if agg.exemplars > 0 {
			v := float64(sp.ref.Span.Duration()) / 1e9
			if plan.Func.Attr != nil {
				v = metricValue(&x)
			}
			agg.acc(labels).addExemplar(slot, exemplarCand{
				rank: spanRank(sp.ref.Span.TraceID, sp.ref.Span.SpanID), traceID: sp.ref.Span.TraceID,
				spanID: sp.ref.Span.SpanID, startNs: sp.ref.Span.StartTimeUnixNano, value: v,
			})
		}
		return nil
	})
}

// eachMetricSpan evaluates the pipeline p on td and calls f once for every
// span of the resulting spansets that starts inside an interval of iv.
func (e *evaluator) eachMetricSpan(p *traceql.Pipeline, td *traceData, iv intervals, f func(sp *span, slot int) error) error {
	if len(td.spans) == 0 {
		return nil
	}
	sets, err := e.pipeline(p, []*spanset{{spans: td.spans}}, td)
	if err != nil {
		return err
	}
	seen := map[int]bool{}
	for _, ss := range sets {
		for _, sp := range ss.spans {
			if seen[sp.idx] {
				continue
			}
			seen[sp.idx] = true
			slot := iv.slot(int64(sp.ref.Span.StartTimeUnixNano)) //nolint:gosec // ns since 1970 fit
			if slot < 0 {
				continue
			}
			if err := f(sp, slot); err != nil {
				return err
			}
		}
	}
	return nil
}

// exemplarHint reads with(exemplars=N): N >= 0 exemplars per series,
// true for the default (DefaultExemplars), false for none.
func exemplarHint(root *traceql.RootExpr) (int, error) {
	if root.Hints == nil {
		return DefaultExemplars, nil
	}
	for _, h := range root.Hints.Hints {
		if h.Name != "exemplars" {
			continue
		}
		s, ok := h.Value.(*traceql.Static)
		switch {
		case ok && s.Type == traceql.TypeBool && s.Bool:
			return DefaultExemplars, nil
		case ok && s.Type == traceql.TypeBool:
			return 0, nil
		case ok && s.Type == traceql.TypeInt && s.Int >= 0:
			return int(min(s.Int, 10_000)), nil
		}
		return 0, fmt.Errorf("with(exemplars=%s): want true, false or a non-negative integer", h.Value)
	}
	return DefaultExemplars, nil
}

// spanRank is a pseudo-random rank of a span (FNV-1a of its IDs), so the
// exemplars chosen do not depend on the order spans are read in. It is
// traceRank and spanRankFrom in one: FNV-1a reads the trace ID's bytes,
// then the span ID's.
func spanRank(t model.TraceID, s model.SpanID) uint64 {
	return spanRankFrom(traceRank(t), s)
}

// FNV-1a's 64-bit parameters (hash/fnv's).
const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// traceRank is FNV-1a over the trace ID: spanRank's state before the span.
func traceRank(t model.TraceID) uint64 { return fnv64a(fnvOffset64, t[:]) }

// spanRankFrom continues traceRank's hash with the span ID.
func spanRankFrom(trace uint64, s model.SpanID) uint64 { return fnv64a(trace, s[:]) }

func fnv64a(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime64
	}
	return h
}

// metricValue is a numeric value as a metric: durations in seconds. It
// and the aggregator take values by pointer: a value (72 bytes) passed on
// by value is copied from its spilled fields, and that copy waits for the
// stores (a store-forwarding stall that took a third of addTo).
func metricValue(x *value) float64 {
	if x.k == kDuration {
		return float64(x.i) / 1e9
	}
	return x.float()
}

// approxValue reports whether Tempo's bucketing keeps x: integers and
// durations of at least 2 (nanoseconds for durations), no floats.
func approxValue(x value) bool {
	return (x.k == kInt || x.k == kDuration) && x.i >= 2
}

// groupLabels returns the by() labels of a span: attribute text = value,
// nil values left out, and if every value is nil the first label as "nil".
func (e *evaluator) groupLabels(fn *traceql.MetricsFunc, td *traceData, sp *span) ([]model.Attribute, error) {
	if len(fn.By) == 0 {
		return nil, nil
	}
	var out []model.Attribute
	for _, b := range fn.By {
		v, err := e.firstValue(b, td, sp)
		if err != nil {
			return nil, err
		}
		if v.k == kNil {
			continue
		}
		out = append(out, model.Attribute{Key: b.String(), Value: labelValue(v)})
	}
	if len(out) == 0 {
		out = append(out, model.Str(fn.By[0].String(), "nil"))
	}
	return out, nil
}

// labelValue converts a group value: durations as seconds, status and kind
// as their names.
func labelValue(v value) model.Value {
	switch v.k {
	case kDuration:
		return model.DoubleValue(float64(v.i) / 1e9)
	case kStatus, kKind:
		return model.StringValue(v.String())
	}
	return toModel(v)
}

// labelsKey is a map key for a label set.
func labelsKey(ls []model.Attribute) string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l.Key)
		b.WriteByte(0)
		b.WriteString(strconv.Itoa(int(l.Value.Type)))
		b.WriteByte(0)
		b.WriteString(fromModel(l.Value).String())
		b.WriteByte(0)
	}
	return b.String()
}

// sortSeries orders series by their labels, for deterministic output
// (compareLabels: numbers such as histogram buckets in numeric order).
func sortSeries(ss []*Series) {
	sort.SliceStable(ss, func(i, j int) bool { return compareLabels(ss[i].Labels, ss[j].Labels) < 0 })
}

// compareLabels orders label sets label by label: by key, then by value
// type, then by value — numerically for ints and doubles (so a __bucket of
// 2.1 comes before 17.2, and 3.3e-05 before both), as text otherwise. A set
// that is a prefix of the other comes first.
func compareLabels(a, b []model.Attribute) int {
	for i := range min(len(a), len(b)) {
		if c := strings.Compare(a[i].Key, b[i].Key); c != 0 {
			return c
		}
		va, vb := a[i].Value, b[i].Value
		if va.Type != vb.Type {
			return cmp.Compare(va.Type, vb.Type)
		}
		var c int
		switch va.Type {
		case model.ValueInt:
			c = cmp.Compare(va.Int, vb.Int)
		case model.ValueDouble:
			c = cmp.Compare(va.Double, vb.Double)
		default:
			c = strings.Compare(fromModel(va).String(), fromModel(vb).String())
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// scanMetrics feeds every trace of src to the pipelines' aggregators.
func (e *evaluator) scanMetrics(ctx context.Context, src store.Source, req store.Request, plans []*traceql.MetricsPipeline,
	aggs map[*traceql.MetricsPipeline]seriesSource, res *MetricsResult) error {
	it, err := src.Traces(ctx, req)
	if err != nil {
		return err
	}
	defer it.Close()
	var tb traceBuffer // nothing below keeps a traceData past its trace
	for it.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		td := tb.load(it.At())
		res.Metrics.InspectedTraces++
		res.Metrics.InspectedSpans += len(td.spans)
		for _, mp := range plans {
			var err error
			switch agg := aggs[mp].(type) {
			case *aggregator:
				err = e.observeTrace(mp, td, agg)
			case *compareAgg:
				err = e.observeCompare(mp, td, agg)
			}
			if err != nil {
				return err
			}
		}
	}
	return it.Err()
}

// aggregateAll lets src aggregate every pipeline when it can
// (store.SpanAggregator) and every pipeline has a shape it can aggregate;
// done is false otherwise, and nothing was aggregated.
func aggregateAll(ctx context.Context, src store.Source, req store.Request, root *traceql.RootExpr, plans []*traceql.MetricsPipeline,
	aggs map[*traceql.MetricsPipeline]seriesSource, iv intervals, exemplars int, res *MetricsResult) (done bool, err error) {
	sa, ok := src.(store.SpanAggregator)
	if !ok {
		return false, nil
	}
	ap := make([]*aggregatePlan, len(plans))
	for i, mp := range plans {
		if _, isAgg := aggs[mp].(*aggregator); !isAgg {
			return false, nil
		}
		if ap[i] = planAggregate(root, mp, aggs[mp].(*aggregator), iv, exemplars); ap[i] == nil {
			return false, nil
		}
	}
	for i, mp := range plans {
		a, err := aggregateInto(ctx, sa, req, mp, ap[i], aggs[mp].(*aggregator))
		if err != nil {
			return false, err
		}
		res.Metrics.InspectedTraces = max(res.Metrics.InspectedTraces, a.InspectedTraces)
		res.Metrics.InspectedSpans = max(res.Metrics.InspectedSpans, a.InspectedSpans)
	}
	return true, nil
}
