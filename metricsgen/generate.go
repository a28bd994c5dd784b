package metricsgen

import (
	"context"
	"fmt"
	"time"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// Result is what Generate produced.
type Result struct {
	// Families in output order: span metrics, then the service graph.
	Families []*Family
	// Graph is the service dependency graph (nil without the service graph).
	Graph *Graph
	// Warnings are for people (stderr): overflowed series.
	Warnings []string
	Stats    Stats
}

// Stats counts what was read.
type Stats struct {
	Traces int `json:"traces"`
	// Spans counts spans whose end is in the time range.
	Spans int `json:"spans"`
	// NoService counts spans skipped because their resource has no
	// service.name (the Collector skips them too).
	NoService int `json:"noService"`
	// Edges counts recorded service-graph edges, virtual ones included.
	Edges int `json:"edges"`
	// Unpaired counts server spans whose parent is set but is not a client
	// span of the trace (dropped).
	Unpaired int `json:"unpaired"`
}

// Family returns the family called name, or nil.
func (r *Result) Family(name string) *Family {
	for _, f := range r.Families {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Generate reads the traces of src in opts' time range and aggregates
// them. A span counts when its end time is in [Start, End]; an edge when the
// later end of its two spans is.
func Generate(ctx context.Context, src store.Source, opts Options) (*Result, error) {
	opts.Defaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	g, err := newGenerator(&opts)
	if err != nil {
		return nil, err
	}
	it, err := src.Traces(ctx, opts.request())
	if err != nil {
		return nil, err
	}
	if bi, ok := it.(store.BatchIterator); ok && parallelWorkers(&opts) > 1 {
		err = generateParallel(ctx, g, bi, parallelWorkers(&opts))
	} else {
		for it.Next() {
			if err = ctx.Err(); err != nil {
				break
			}
			g.Add(it.At())
		}
	}
	if err == nil {
		err = it.Err()
	}
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return g.Result(), nil
}

// request asks the source for what the options read: attributes only when
// a dimension, peer or database attribute can be looked up in them, and
// then only those keys; events only for the events counter. Order does not
// matter, except for which label sets --max-series admits first, so the
// scan is unordered without it.
func (o *Options) request() store.Request {
	keys := []string{}
	for _, d := range append(append([]Dimension{}, o.Dimensions...), o.EventDimensions...) {
		keys = append(keys, d.Name)
	}
	keys = append(keys, o.GraphDimensions...)
	keys = append(keys, o.PeerAttributes...)
	keys = append(keys, o.DatabaseAttributes...)
	sg := o.ServiceGraph && (len(o.PeerAttributes) > 0 || len(o.DatabaseAttributes) > 0 || len(o.GraphDimensions) > 0)
	sm := o.SpanMetrics && (len(o.Dimensions) > 0 || (o.Events && len(o.EventDimensions) > 0))
	dbOrDims := o.ServiceGraph && (len(o.DatabaseAttributes) > 0 || len(o.GraphDimensions) > 0)
	return store.Request{
		Start: o.Start, End: o.End,
		Fields: &store.Fields{
			SpanAttributes:     sg || sm,
			ResourceAttributes: sm || dbOrDims,
			Events:             o.SpanMetrics && o.Events,
			// Neither generator looks at nested sets, status messages,
			// scopes or dropped counts.
			Minimal: true,
		},
		AttributeKeys: keys,
		Unordered:     o.MaxSeries == 0,
		// The generator keeps strings and numbers of a trace, never the
		// trace: the source may reuse its memory.
		Reuse: true,
	}
}

// Generator aggregates traces one at a time; Generate drives it over a
// source. Use NewGenerator to feed traces from elsewhere.
type Generator struct {
	o      *Options
	tl     *timeline
	sm     *spanMetrics
	sg     *serviceGraph
	graph  *graphAcc
	stats  Stats
	lo, hi uint64 // first span start, last span end (in range)
}

// NewGenerator checks opts (after Defaults) and returns an empty generator.
func NewGenerator(opts Options) (*Generator, error) {
	opts.Defaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	return newGenerator(&opts)
}

func newGenerator(o *Options) (*Generator, error) {
	g := &Generator{o: o, tl: &timeline{at: o.At, step: o.Step}}
	if o.Step > 0 && !o.End.IsZero() && !o.EndIsNow {
		// Sample up to --end, not just to the last span.
		g.tl.stepOf(uint64(o.End.UnixNano()))
	}
	var err error
	if o.SpanMetrics {
		if g.sm, err = newSpanMetrics(o); err != nil {
			return nil, err
		}
	}
	if o.ServiceGraph {
		g.graph = newGraphAcc()
		if g.sg, err = newServiceGraph(o, g.tl, g.graph.add); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// inRange reports whether a span ending at ns is in the time range.
func (g *Generator) inRange(ns uint64) bool {
	if !g.o.Start.IsZero() && int64(ns) < g.o.Start.UnixNano() {
		return false
	}
	if !g.o.End.IsZero() && int64(ns) > g.o.End.UnixNano() {
		return false
	}
	return true
}

// Add aggregates one trace.
func (g *Generator) Add(t *model.Trace) {
	g.stats.Traces++
	t.Spans(func(r model.SpanRef) bool {
		sp := r.Span
		if !g.inRange(sp.EndTimeUnixNano) {
			return true
		}
		g.stats.Spans++
		if g.lo == 0 || sp.StartTimeUnixNano < g.lo {
			g.lo = sp.StartTimeUnixNano
		}
		g.hi = max(g.hi, sp.EndTimeUnixNano)
		svc := r.Resource.ServiceName()
		if svc == "" {
			g.stats.NoService++
			return true
		}
		if g.graph != nil {
			g.graph.service(svc)
		}
		if g.sm != nil {
			g.sm.span(svc, r.Resource, sp, g.tl.stepOf(sp.EndTimeUnixNano))
		}
		return true
	})
	if g.sg != nil {
		g.sg.trace(t, g.inRange)
	}
}

// Result finishes the aggregation.
func (g *Generator) Result() *Result {
	res := &Result{Stats: g.stats}
	if g.sm != nil {
		res.Families = append(res.Families, g.sm.families(g.tl)...)
		for _, l := range []*limiter{g.sm.lim, g.sm.eventLim} {
			if w := l.warning(); w != "" {
				res.Warnings = append(res.Warnings, w)
			}
		}
	}
	if g.sg != nil {
		res.Families = append(res.Families, g.sg.families(g.tl)...)
		if w := g.sg.lim.warning(); w != "" {
			res.Warnings = append(res.Warnings, w)
		}
		res.Stats.Unpaired = g.sg.unpaired
		res.Stats.Edges = g.graph.edges
		start, end := g.o.Start, g.o.End
		if g.o.EndIsNow {
			end = time.Time{}
		}
		if start.IsZero() && g.lo > 0 {
			start = time.Unix(0, int64(g.lo)).UTC()
		}
		if end.IsZero() && g.hi > 0 {
			end = time.Unix(0, int64(g.hi)).UTC()
		}
		res.Graph = g.graph.finish(start, end)
	}
	return res
}

// String summarises the stats for a stderr line.
func (s Stats) String() string {
	return fmt.Sprintf("%d traces, %d spans (%d without service.name), %d edges, %d unpaired server spans",
		s.Traces, s.Spans, s.NoService, s.Edges, s.Unpaired)
}
