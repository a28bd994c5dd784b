package metricsgen

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tracectl/tracectl/model"
)

// Metric types.
const (
	Counter   = "counter"
	Histogram = "histogram"
)

// Label is one name="value" pair of a series.
type Label struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Exemplar points a sample at the span that last contributed to it.
type Exemplar struct {
	TraceID model.TraceID
	SpanID  model.SpanID
	// Value is the observed value (duration in the family's unit; 1 for a
	// counter increment).
	Value float64
	// TimeUnixNano is the span's end time.
	TimeUnixNano uint64
}

// Point is a series' cumulative value at one time.
type Point struct {
	// Time is the sample timestamp; zero means none.
	Time time.Time
	// Value is a counter's total.
	Value float64
	// Count, Sum and Buckets (cumulative, one per bound; +Inf is Count)
	// are a histogram's.
	Count   uint64
	Sum     float64
	Buckets []uint64
	// Exemplars: one for a counter, len(Bounds)+1 for a histogram (the
	// last for +Inf); nil entries have none. Only spans of this point's
	// step are used.
	Exemplars []*Exemplar
}

// Series is a label set and its points in time order.
type Series struct {
	Labels []Label
	Points []Point
}

// Label returns the value of the label name ("" if absent).
func (s *Series) Label(name string) string {
	for _, l := range s.Labels {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

// Family is one metric: its name without sample suffixes (a counter's
// samples add _total, a histogram's _bucket, _sum and _count).
type Family struct {
	Name   string
	Type   string
	Help   string
	Unit   string
	Bounds []float64
	Series []*Series
}

// delta is what one step added to a series.
type delta struct {
	value   float64
	count   uint64
	sumNs   uint64   // durations are summed as integers, so the order of spans does not matter
	buckets []uint64 // per bucket, not cumulative, len(bounds)+1
	ex      []*Exemplar
}

type seriesAcc struct {
	labels []Label
	steps  map[int64]*delta
	// last is the delta of lastStep, the step recorded last: spans of
	// one series mostly fall in the same step.
	last     *delta
	lastStep int64
}

// familyAcc accumulates one family while spans stream in.
type familyAcc struct {
	Family
	series map[string]*seriesAcc
	// divisor converts nanoseconds to the histogram's unit.
	divisor float64
}

func newFamily(name, typ, help, unit string, bounds []float64) *familyAcc {
	return &familyAcc{
		Family:  Family{Name: name, Type: typ, Help: help, Unit: unit, Bounds: bounds},
		series:  map[string]*seriesAcc{},
		divisor: 1e9,
	}
}

// appendKey appends the series key of labels to buf: names and values
// joined with bytes that cannot occur in label names. Keys are built in a
// reused buffer and looked up as string(buf), which does not allocate.
func appendKey(buf []byte, labels []Label) []byte {
	for _, l := range labels {
		buf = append(buf, l.Name...)
		buf = append(buf, 0)
		buf = append(buf, l.Value...)
		buf = append(buf, 1)
	}
	return buf
}

// seriesOf returns the series of key (labels), adding it when new.
func (f *familyAcc) seriesOf(key []byte, labels []Label) *seriesAcc {
	s := f.series[string(key)]
	if s == nil {
		s = &seriesAcc{labels: slices.Clone(labels), steps: map[int64]*delta{}}
		f.series[string(key)] = s
	}
	return s
}

// delta returns what step adds to series s, adding it when new.
func (f *familyAcc) delta(s *seriesAcc, step int64) *delta {
	if s.last != nil && s.lastStep == step {
		return s.last
	}
	d := s.steps[step]
	if d == nil {
		d = &delta{}
		if f.Type == Histogram {
			d.buckets = make([]uint64, len(f.Bounds)+1)
			d.ex = make([]*Exemplar, len(f.Bounds)+1)
		} else {
			d.ex = make([]*Exemplar, 1)
		}
		s.steps[step] = d
	}
	s.last, s.lastStep = d, step
	return d
}

// add counts v on a counter's series s.
func (f *familyAcc) add(s *seriesAcc, step int64, v float64, ex *Exemplar) {
	d := f.delta(s, step)
	d.value += v
	keepLatest(&d.ex[0], ex, ex.Value)
}

// observe records a duration of ns nanoseconds in a histogram's series s;
// the exemplar gets the value in the histogram's unit.
func (f *familyAcc) observe(s *seriesAcc, step int64, ns uint64, ex *Exemplar) {
	d := f.delta(s, step)
	v := float64(ns) / f.divisor
	// Upper bounds are inclusive: v == bound falls in that bound's bucket.
	i := sort.SearchFloat64s(f.Bounds, v)
	d.buckets[i]++
	d.count++
	d.sumNs += ns
	keepLatest(&d.ex[i], ex, v)
}

// keepLatest keeps the exemplar of the span that ended last (the first one
// on ties), so the choice does not depend on trace order; the kept copy
// gets value. Exemplars go by pointer: a 40-byte struct passed by value
// is spilled field by field and copied whole, and the copy waits for the
// narrow stores (a store-forwarding stall that took half of observe).
func keepLatest(slot **Exemplar, ex *Exemplar, value float64) {
	if ex.TraceID.IsZero() {
		return
	}
	cur := *slot
	switch {
	case cur == nil:
		e := *ex
		e.Value = value
		*slot = &e
	case ex.TimeUnixNano > cur.TimeUnixNano || (ex.TimeUnixNano == cur.TimeUnixNano && exemplarLess(ex, cur)):
		*cur = *ex // the slot's own copy: nothing else points at it before finish
		cur.Value = value
	}
}

func exemplarLess(a, b *Exemplar) bool {
	if c := model.CompareTraceIDs(a.TraceID, b.TraceID); c != 0 {
		return c < 0
	}
	return string(a.SpanID[:]) < string(b.SpanID[:])
}

// timeline says how steps become timestamps.
type timeline struct {
	at       time.Time
	step     time.Duration
	lastStep int64
}

// stepOf returns the step a span ending at endNs falls into: the first
// step boundary at or after its end (boundaries are multiples of step since
// the Unix epoch). Without a step everything is step 0.
func (tl *timeline) stepOf(endNs uint64) int64 {
	if tl.step <= 0 {
		return 0
	}
	s := int64(tl.step)
	idx := (int64(endNs) + s - 1) / s
	if idx > tl.lastStep {
		tl.lastStep = idx
	}
	return idx
}

func (tl *timeline) timeOf(step int64) time.Time {
	if tl.step <= 0 {
		return tl.at
	}
	return time.Unix(0, step*int64(tl.step)).UTC()
}

// idleSteps is how long a series keeps being sampled after its last change
// (at least ten steps and ten minutes), so rate() over the usual windows
// sees the flat tail; a longer idle gap has no samples until the step
// before the next change.
func (tl *timeline) idleSteps() int64 {
	n := int64((10*time.Minute + tl.step - 1) / tl.step)
	return max(n, 10)
}

// emitSteps lists the steps a series is sampled at: every step with a
// change, idleSteps after each, and the step before each change.
func (tl *timeline) emitSteps(changed []int64) []int64 {
	if tl.step <= 0 {
		return changed[:1]
	}
	h := tl.idleSteps()
	var out []int64
	for i, st := range changed {
		from := st
		if i > 0 {
			from = max(st-1, out[len(out)-1]+1)
		}
		to := st + h
		if i+1 < len(changed) {
			to = min(to, changed[i+1]-1)
		}
		to = min(to, tl.lastStep)
		for s := from; s <= to; s++ {
			out = append(out, s)
		}
	}
	return out
}

// finish turns the accumulated deltas into cumulative points, series
// sorted by label values.
func (f *familyAcc) finish(tl *timeline) *Family {
	out := f.Family
	out.Series = make([]*Series, 0, len(f.series))
	for _, s := range f.series {
		changed := make([]int64, 0, len(s.steps))
		for st := range s.steps {
			changed = append(changed, st)
		}
		slices.Sort(changed)
		ser := &Series{Labels: s.labels}
		var cum Point
		var cumNs uint64
		if f.Type == Histogram {
			cum.Buckets = make([]uint64, len(f.Bounds))
		}
		for _, st := range tl.emitSteps(changed) {
			d := s.steps[st]
			p := Point{Time: tl.timeOf(st)}
			if d != nil {
				cum.Value += d.value
				cum.Count += d.count
				cumNs += d.sumNs
				cum.Sum = float64(cumNs) / f.divisor
				var run uint64
				for i := range cum.Buckets {
					run += d.buckets[i]
					cum.Buckets[i] += run
				}
				p.Exemplars = d.ex
			}
			p.Value, p.Count, p.Sum = cum.Value, cum.Count, cum.Sum
			if cum.Buckets != nil {
				p.Buckets = slices.Clone(cum.Buckets)
			}
			ser.Points = append(ser.Points, p)
		}
		out.Series = append(out.Series, ser)
	}
	sort.Slice(out.Series, func(i, j int) bool {
		return compareLabels(out.Series[i].Labels, out.Series[j].Labels) < 0
	})
	return &out
}

func compareLabels(a, b []Label) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := strings.Compare(a[i].Name, b[i].Name); c != 0 {
			return c
		}
		if c := strings.Compare(a[i].Value, b[i].Value); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}
