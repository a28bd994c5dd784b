package eval

import (
	"fmt"
	"math"
	"math/bits"
	"sort"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/traceql"
)

// aggregator accumulates one metrics function per series and interval.
type aggregator struct {
	fn     *traceql.MetricsFunc
	iv     intervals
	approx bool
	// exemplars is the most exemplars a series keeps (0: none).
	exemplars int
	byKey     map[string]*seriesAcc
	order     []*seriesAcc
}

// seriesAcc is the state of one by() group.
type seriesAcc struct {
	labels []model.Attribute
	count  []float64
	sum    []float64
	min    []float64
	max    []float64
	values []sampleList         // exact quantiles: every value, per interval
	pow2   []map[float64]uint64 // approx quantiles and histograms: bucket → count
	// psum, for histograms: bucket → sum of the raw integers counted
	// (nanoseconds for durations), exact whatever the order spans come in.
	psum []map[float64]sum128
	// nsSums: the values summed in psum are durations (nanoseconds).
	nsSums bool
	ex     [][]exemplarCand // up to exemplarsPerInterval per interval
}

// exemplarsPerInterval is how many exemplars an interval of a series keeps,
// as Tempo does.
const exemplarsPerInterval = 2

// exemplarCand is a span that may become an exemplar; rank orders the
// candidates pseudo-randomly but independently of the scan order.
type exemplarCand struct {
	rank    uint64
	traceID model.TraceID
	spanID  model.SpanID
	startNs uint64
	value   float64
}

// bucketed reports whether values go to power-of-two buckets.
func (a *aggregator) bucketed() bool {
	return a.fn.Op == traceql.MetricsHistogramOverTime || (a.fn.Op == traceql.MetricsQuantileOverTime && a.approx)
}

func newAggregator(fn *traceql.MetricsFunc, iv intervals, approx bool) *aggregator {
	return &aggregator{fn: fn, iv: iv, approx: approx, byKey: map[string]*seriesAcc{}}
}

func (a *aggregator) acc(labels []model.Attribute) *seriesAcc {
	k := labelsKey(labels)
	if s, ok := a.byKey[k]; ok {
		return s
	}
	n := a.iv.n
	s := &seriesAcc{labels: labels, count: make([]float64, n)}
	switch a.fn.Op {
	case traceql.MetricsMinOverTime, traceql.MetricsMaxOverTime, traceql.MetricsSumOverTime, traceql.MetricsAvgOverTime:
		s.sum, s.min, s.max = make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range s.min {
			s.min[i], s.max[i] = math.Inf(1), math.Inf(-1)
		}
	case traceql.MetricsQuantileOverTime:
		if a.approx {
			s.pow2 = make([]map[float64]uint64, n)
		} else {
			s.values = make([]sampleList, n)
		}
	case traceql.MetricsHistogramOverTime:
		s.pow2 = make([]map[float64]uint64, n)
		s.psum = make([]map[float64]sum128, n)
	}
	if a.exemplars > 0 {
		s.ex = make([][]exemplarCand, n)
	}
	a.byKey[k] = s
	a.order = append(a.order, s)
	return s
}

// addExemplar offers a span as an exemplar of interval slot: the
// exemplarsPerInterval candidates of lowest rank are kept.
func (s *seriesAcc) addExemplar(slot int, c exemplarCand) {
	s.ex[slot] = store.KeepFirst(s.ex[slot], exemplarsPerInterval, c, exemplarCand.before)
}

// before orders candidates by rank, then start and value: spans of one
// trace without an ID share their rank, and which of them is kept must
// not depend on the order they come in.
func (c exemplarCand) before(d exemplarCand) bool {
	if c.rank != d.rank {
		return c.rank < d.rank
	}
	if c.startNs != d.startNs {
		return c.startNs < d.startNs
	}
	return c.value < d.value
}

// add records one span; x is the measured value (nil for functions
// without an attribute).
func (a *aggregator) add(labels []model.Attribute, slot int, x *value) {
	a.addTo(a.acc(labels), slot, x)
}

// addTo records one span in series s.
func (a *aggregator) addTo(s *seriesAcc, slot int, x *value) {
	s.count[slot]++
	switch {
	case s.sum != nil:
		v := metricValue(x)
		s.sum[slot] += v
		s.min[slot] = math.Min(s.min[slot], v)
		s.max[slot] = math.Max(s.max[slot], v)
	case s.values != nil:
		s.values[slot].add(x)
	case s.pow2 != nil:
		if s.pow2[slot] == nil {
			s.pow2[slot] = map[float64]uint64{}
		}
		b := pow2Bucket(x)
		s.pow2[slot][b]++
		if s.psum != nil {
			if s.psum[slot] == nil {
				s.psum[slot] = map[float64]sum128{}
			}
			s.psum[slot][b] = s.psum[slot][b].add(uint64(x.i)) //nolint:gosec // bucketed values are at least 2
			s.nsSums = x.k == kDuration
		}
	}
}

// sum128 is an unsigned 128-bit sum: integer sums of durations do not
// depend on the order they are added in (float sums would), and do not
// overflow where 64 bits would.
type sum128 struct{ hi, lo uint64 }

func (s sum128) add(v uint64) sum128 {
	lo, carry := bits.Add64(s.lo, v, 0)
	return sum128{hi: s.hi + carry, lo: lo}
}

func (s sum128) float() float64 { return float64(s.hi)*0x1p64 + float64(s.lo) }

// pow2Bucket is Tempo's histogram bucket of an integer or duration of at
// least 2 (see approxValue): the next power of two at or above the raw
// integer (nanoseconds for durations), reported in the value's unit
// (seconds for durations).
func pow2Bucket(x *value) float64 {
	b := float64(uint64(1) << bits.Len64(uint64(x.i)-1))
	if x.k == kDuration {
		return b / 1e9
	}
	return b
}

// series renders the accumulated groups.
func (a *aggregator) series() []*Series {
	var out []*Series
	name := a.fn.Op.String()
	for _, s := range a.order {
		base := s.labels
		switch a.fn.Op {
		case traceql.MetricsQuantileOverTime:
			for _, q := range a.fn.Quantiles {
				ls := append(append([]model.Attribute(nil), base...), model.Double("p", q))
				qs := a.quantileSeries(s, ls, q)
				qs.Exemplars = a.exemplarsOf(s)
				out = appendSeries(out, qs)
			}
			continue
		case traceql.MetricsHistogramOverTime:
			out = append(out, a.histogramSeries(s, base, a.exemplarsOf(s))...)
			continue
		}
		if len(base) == 0 {
			base = []model.Attribute{model.Str("__name__", name)}
		}
		sr := &Series{Labels: base}
		for i := 0; i < a.iv.n; i++ {
			v := a.value(s, i)
			if math.IsNaN(v) {
				continue
			}
			sr.Samples = append(sr.Samples, Sample{TimestampMs: a.iv.timestampMs(i), Value: v})
		}
		sr.Exemplars = a.exemplarsOf(s)
		out = appendSeries(out, sr)
	}
	sortSeries(out)
	return out
}

func appendSeries(out []*Series, s *Series) []*Series {
	if len(s.Samples) == 0 {
		return out
	}
	return append(out, s)
}

// exemplarsOf returns a series' exemplars in time order, at most
// a.exemplars of them (spread over the intervals).
func (a *aggregator) exemplarsOf(s *seriesAcc) []Exemplar {
	if s.ex == nil {
		return nil
	}
	var all []Exemplar
	for i := range s.ex {
		cs := append([]exemplarCand(nil), s.ex[i]...)
		// Spans may start at the same instant: ties go by rank (and IDs),
		// never by the order the source returned the traces in.
		sort.Slice(cs, func(x, y int) bool {
			a, b := cs[x], cs[y]
			if a.startNs != b.startNs {
				return a.startNs < b.startNs
			}
			if a.rank != b.rank {
				return a.rank < b.rank
			}
			if c := model.CompareTraceIDs(a.traceID, b.traceID); c != 0 {
				return c < 0
			}
			return string(a.spanID[:]) < string(b.spanID[:])
		})
		for _, c := range cs {
			all = append(all, Exemplar{TraceID: c.traceID, SpanID: c.spanID,
				TimestampMs: int64(c.startNs / 1e6), Value: c.value}) //nolint:gosec // ns since 1970 fit
		}
	}
	if len(all) <= a.exemplars {
		return all
	}
	// Thin evenly over time.
	out := make([]Exemplar, 0, a.exemplars)
	for i := 0; i < a.exemplars; i++ {
		out = append(out, all[i*len(all)/a.exemplars])
	}
	return out
}

// value is the function's value of interval i (NaN when it has none).
func (a *aggregator) value(s *seriesAcc, i int) float64 {
	switch a.fn.Op {
	case traceql.MetricsRate:
		return s.count[i] / (float64(a.iv.step) / 1e9)
	case traceql.MetricsCountOverTime:
		return s.count[i]
	}
	if s.count[i] == 0 {
		return math.NaN()
	}
	switch a.fn.Op {
	case traceql.MetricsMinOverTime:
		return s.min[i]
	case traceql.MetricsMaxOverTime:
		return s.max[i]
	case traceql.MetricsSumOverTime:
		return s.sum[i]
	case traceql.MetricsAvgOverTime:
		return s.sum[i] / s.count[i]
	}
	return math.NaN()
}

func (a *aggregator) quantileSeries(s *seriesAcc, labels []model.Attribute, q float64) *Series {
	sr := &Series{Labels: labels}
	for i := 0; i < a.iv.n; i++ {
		var v float64
		if s.values != nil {
			if s.values[i].len() == 0 {
				continue
			}
			v = s.values[i].quantile(q)
		} else {
			if len(s.pow2[i]) == 0 {
				continue
			}
			v = log2Quantile(s.pow2[i], q)
		}
		sr.Samples = append(sr.Samples, Sample{TimestampMs: a.iv.timestampMs(i), Value: v})
	}
	return sr
}

// log2Quantile estimates the q-quantile from power-of-two buckets: find the
// bucket holding the q·total-th value and interpolate inside it on a log
// scale between its lower bound (half the upper bound) and upper bound.
func log2Quantile(buckets map[float64]uint64, q float64) float64 {
	bounds := make([]float64, 0, len(buckets))
	var total uint64
	for b, c := range buckets {
		bounds = append(bounds, b)
		total += c
	}
	sort.Float64s(bounds)
	target := q * float64(total)
	var cum float64
	for _, b := range bounds {
		c := float64(buckets[b])
		if cum+c >= target {
			frac := 0.0
			if c > 0 {
				frac = (target - cum) / c
			}
			return b / 2 * math.Pow(2, frac)
		}
		cum += c
	}
	return bounds[len(bounds)-1]
}

// histogramSeries renders a group's buckets, one series each with the
// count of every interval, the sum of the values counted (Sums, seconds for
// durations) and the group's exemplars that fall in the bucket.
func (a *aggregator) histogramSeries(s *seriesAcc, base []model.Attribute, ex []Exemplar) []*Series {
	byBucket := map[float64]*Series{}
	var bounds []float64
	unit := 1.0
	if s.nsSums {
		unit = 1e9
	}
	for i := 0; i < a.iv.n; i++ {
		// Map order varies: samples are appended per interval, in time order.
		for b, c := range s.pow2[i] {
			sr, ok := byBucket[b]
			if !ok {
				ls := append(append([]model.Attribute(nil), base...), model.Double("__bucket", b))
				sr = &Series{Labels: ls}
				byBucket[b] = sr
				bounds = append(bounds, b)
			}
			sr.Samples = append(sr.Samples, Sample{TimestampMs: a.iv.timestampMs(i), Value: float64(c)})
			sr.Sums = append(sr.Sums, s.psum[i][b].float()/unit)
		}
	}
	sort.Float64s(bounds)
	out := make([]*Series, 0, len(bounds))
	for _, b := range bounds {
		out = append(out, byBucket[b])
	}
	for _, e := range ex {
		// The bucket of a value is the least bound at or above it.
		if i := sort.SearchFloat64s(bounds, e.Value); i < len(bounds) {
			out[i].Exemplars = append(out[i].Exemplars, e)
		}
	}
	return out
}

// apply runs a second stage (topk, bottomk, value filter) on series.
func applySecondStage(op *traceql.SecondStageOp, in []*Series) ([]*Series, error) {
	switch op.Kind {
	case traceql.SecondStageTopK, traceql.SecondStageBottomK:
		return rankPerTimestamp(in, int(op.K), op.Kind == traceql.SecondStageTopK), nil
	}
	limit, err := constantValue(op.Value)
	if err != nil {
		return nil, err
	}
	var out []*Series
	for _, s := range in {
		ns := &Series{Labels: s.Labels, Exemplars: s.Exemplars}
		for i, p := range s.Samples {
			if compare(op.Op, floatV(p.Value), floatV(limit)) {
				ns.keep(s, i)
			}
		}
		if len(ns.Samples) > 0 {
			out = append(out, ns)
		}
	}
	return out, nil
}

// constantValue evaluates a second-stage filter operand: a number or a
// duration (in seconds), optionally negated.
func constantValue(x traceql.Expr) (float64, error) {
	switch v := x.(type) {
	case *traceql.Static:
		sv := fromStatic(v)
		if sv.isNumeric() {
			return metricValue(&sv), nil
		}
	case *traceql.UnaryExpr:
		if v.Op == traceql.OpSub {
			f, err := constantValue(v.Expr)
			return -f, err
		}
	}
	return 0, fmt.Errorf("metrics filter: %s is not a number", x)
}

// rankPerTimestamp keeps, at every timestamp, the k series with the
// largest (top) or smallest values; ties go to the smaller label set.
func rankPerTimestamp(in []*Series, k int, top bool) []*Series {
	type point struct {
		s   int
		v   float64
		key string
	}
	byTS := map[int64][]point{}
	keys := make([]string, len(in))
	for i, s := range in {
		keys[i] = labelsKey(s.Labels)
		for _, p := range s.Samples {
			byTS[p.TimestampMs] = append(byTS[p.TimestampMs], point{i, p.Value, keys[i]})
		}
	}
	kept := make([]map[int64]bool, len(in))
	for ts, ps := range byTS {
		sort.Slice(ps, func(i, j int) bool {
			if ps[i].v != ps[j].v {
				if top {
					return ps[i].v > ps[j].v
				}
				return ps[i].v < ps[j].v
			}
			return ps[i].key < ps[j].key
		})
		for _, p := range ps[:min(k, len(ps))] {
			if kept[p.s] == nil {
				kept[p.s] = map[int64]bool{}
			}
			kept[p.s][ts] = true
		}
	}
	var out []*Series
	for i, s := range in {
		ns := &Series{Labels: s.Labels, Exemplars: s.Exemplars}
		for j, p := range s.Samples {
			if kept[i][p.TimestampMs] {
				ns.keep(s, j)
			}
		}
		if len(ns.Samples) > 0 {
			out = append(out, ns)
		}
	}
	return out
}

// keep appends sample i of from (and its sum, when from has sums).
func (s *Series) keep(from *Series, i int) {
	s.Samples = append(s.Samples, from.Samples[i])
	if from.Sums != nil {
		s.Sums = append(s.Sums, from.Sums[i])
	}
}
