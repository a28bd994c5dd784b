package eval

import (
	"sort"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/traceql"
)

// compare({filter}, topN, start, end) splits the spans of its pipeline into
// a selection (the filter holds, and the span starts inside [start, end]
// when given) and a baseline, and counts, per interval, every attribute
// value of each group: series {__meta_type="selection"|"baseline",
// <attribute>=<value>}, plus per attribute the count of spans that have it,
// {__meta_type="selection_total"|"baseline_total", <attribute>=nil}. Only
// the topN values of an attribute (by count over the whole range) are
// kept; an attribute with more gets a series
// {__meta_type=..., __meta_error="__too_many_values__", <attribute>=nil}
// counting the spans of the values left out.

// defaultCompareTopN is compare()'s topN when not given.
const defaultCompareTopN = 10

// compareAgg accumulates a compare() pipeline.
type compareAgg struct {
	fn *traceql.MetricsFunc
	iv intervals
	// counts[group][attribute][value] per interval; value "" with
	// isTotal is the attribute's total.
	groups [2]map[string]map[string]*compareCounts
}

// compareCounts are the per-interval counts of one attribute value.
type compareCounts struct {
	value model.Value
	n     []float64
	sum   float64
}

var compareGroups = [2]string{"baseline", "selection"}

func newCompareAgg(fn *traceql.MetricsFunc, iv intervals) *compareAgg {
	a := &compareAgg{fn: fn, iv: iv}
	for i := range a.groups {
		a.groups[i] = map[string]map[string]*compareCounts{}
	}
	return a
}

// add counts one attribute value of a span in group g.
func (a *compareAgg) add(g int, key string, v model.Value, slot int) {
	byVal := a.groups[g][key]
	if byVal == nil {
		byVal = map[string]*compareCounts{}
		a.groups[g][key] = byVal
	}
	vk := labelsKey([]model.Attribute{{Key: "", Value: v}})
	c := byVal[vk]
	if c == nil {
		c = &compareCounts{value: v, n: make([]float64, a.iv.n)}
		byVal[vk] = c
	}
	c.n[slot]++
	c.sum++
}

// observeCompare classifies the spans of the pipeline's spansets and counts
// their attributes.
func (e *evaluator) observeCompare(plan *traceql.MetricsPipeline, td *traceData, agg *compareAgg) error {
	fn := plan.Func
	return e.eachMetricSpan(plan.Pipeline, td, agg.iv, func(sp *span, slot int) error {
		start := int64(sp.ref.Span.StartTimeUnixNano) //nolint:gosec // ns since 1970 fit
		g := 0
		if fn.Filter != nil {
			ok := true
			if fn.Filter.Expr != nil {
				var err error
				if ok, err = e.matchSpan(fn.Filter.Expr, td, sp); err != nil {
					return err
				}
			}
			inWindow := fn.Start == 0 && fn.End == 0 || (start >= fn.Start && start <= fn.End)
			if ok && inWindow {
				g = 1
			}
		}
		for _, kv := range compareAttributes(sp) {
			agg.add(g, kv.Key, kv.Value, slot)
		}
		return nil
	})
}

// compareAttributes are the labels compare() counts for a span: its
// intrinsic name, status and kind, then its span and resource attributes
// under their scoped names.
func compareAttributes(sp *span) []model.Attribute {
	s := sp.ref.Span
	out := []model.Attribute{
		model.Str("name", s.Name),
		model.Str("status", s.Status.Code.String()),
		model.Str("kind", s.Kind.String()),
	}
	for _, a := range s.Attributes {
		out = append(out, model.Attribute{Key: "span." + a.Key, Value: labelValue(fromModel(a.Value))})
	}
	for _, a := range sp.ref.Resource.Attributes {
		out = append(out, model.Attribute{Key: "resource." + a.Key, Value: labelValue(fromModel(a.Value))})
	}
	return out
}

// series renders the counts: value series (top N per attribute), totals
// and too-many-values series.
func (a *compareAgg) series() []*Series {
	topN := int(a.fn.TopN)
	if topN <= 0 {
		topN = defaultCompareTopN
	}
	var out []*Series
	for g, byKey := range a.groups {
		group := compareGroups[g]
		for key, byVal := range byKey {
			vals := make([]*compareCounts, 0, len(byVal))
			for _, c := range byVal {
				vals = append(vals, c)
			}
			sort.Slice(vals, func(i, j int) bool {
				if vals[i].sum != vals[j].sum {
					return vals[i].sum > vals[j].sum
				}
				return labelsKey([]model.Attribute{{Value: vals[i].value}}) < labelsKey([]model.Attribute{{Value: vals[j].value}})
			})
			total := make([]float64, a.iv.n)
			cut := make([]float64, a.iv.n)
			for i, c := range vals {
				for s, n := range c.n {
					total[s] += n
					if i >= topN {
						cut[s] += n
					}
				}
				if i < topN {
					out = appendSeries(out, a.counts([]model.Attribute{
						model.Str("__meta_type", group), {Key: key, Value: c.value},
					}, c.n))
				}
			}
			out = appendSeries(out, a.counts([]model.Attribute{
				model.Str("__meta_type", group+"_total"), model.Str(key, "nil"),
			}, total))
			if len(vals) > topN {
				out = appendSeries(out, a.counts([]model.Attribute{
					model.Str("__meta_type", group), model.Str("__meta_error", "__too_many_values__"), model.Str(key, "nil"),
				}, cut))
			}
		}
	}
	sortSeries(out)
	return out
}

// counts is a series of the non-zero counts of ns.
func (a *compareAgg) counts(labels []model.Attribute, ns []float64) *Series {
	s := &Series{Labels: labels}
	for i, n := range ns {
		if n > 0 {
			s.Samples = append(s.Samples, Sample{TimestampMs: a.iv.timestampMs(i), Value: n})
		}
	}
	return s
}
