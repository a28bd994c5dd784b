package eval

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"slices"
	"sort"
	"time"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/traceql"
)

// Defaults of SearchOptions, as in Tempo.
const (
	DefaultLimit           = 20
	DefaultSpansPerSpanSet = 3
)

// RootSpanNotYetReceived is the root service name Tempo reports for a trace
// without a root span.
const RootSpanNotYetReceived = "<root span not yet received>"

// SearchOptions controls Search.
type SearchOptions struct {
	// Limit is the number of traces returned (default 20).
	Limit int
	// SpansPerSpanSet is the number of spans shown per spanset (default 3);
	// Matched still counts all of them.
	SpansPerSpanSet int
	// Start and End bound the traces searched (zero = unbounded): a trace
	// is searched when its [start, end] overlaps [Start, End].
	Start, End time.Time
	// Now is the clock used when only Start is set (End defaults to now).
	// Nil means time.Now.
	Now func() time.Time
	// CountOnly evaluates every trace and only counts the matches
	// (Metrics.MatchedTraces); Traces stays empty.
	CountOnly bool
	// SpillDir, when set, bounds the memory of searches that keep many
	// traces (a Limit above SpillAfter): past SpillAfter results, the
	// next ones are written to a temporary file in SpillDir and read back
	// one at a time by SearchResult.Each. Empty: all stay in memory.
	SpillDir string
	// SpillAfter is the number of results kept in memory before spilling
	// (default DefaultSpillAfter).
	SpillAfter int
}

// SearchResult is the answer to a search.
type SearchResult struct {
	// Traces are the matching traces, most recent start first (ties by
	// trace ID), at most Limit of them; nil when some were spilled
	// (SearchOptions.SpillDir): Each reads every result either way.
	Traces  []*TraceResult
	Metrics SearchMetrics
	// spilled, when not nil, are the results in rank order, some in file.
	spilled []resultRef
	file    *resultFile
}

// Len is the number of traces found.
func (r *SearchResult) Len() int {
	if r.file != nil {
		return len(r.spilled)
	}
	return len(r.Traces)
}

// Each calls f with every trace found, in rank order, reading spilled
// ones back one at a time; it stops at f's first error.
func (r *SearchResult) Each(f func(*TraceResult) error) error {
	rd := r.reader()
	for i := range r.Len() {
		t, err := rd.result(i)
		if err != nil {
			return err
		}
		if err := f(t); err != nil {
			return err
		}
	}
	return nil
}

// Close removes the file of spilled results, if any.
func (r *SearchResult) Close() error {
	if r.file == nil {
		return nil
	}
	err := r.file.close()
	r.file, r.spilled = nil, nil
	return err
}

// SearchMetrics counts the work a search did.
type SearchMetrics struct {
	InspectedTraces int
	InspectedSpans  int
	// MatchedTraces counts the traces that matched. It is exact with
	// CountOnly; otherwise traces that could not rank in the top Limit are
	// not evaluated, and which those are depends on the order the source
	// streams traces in.
	MatchedTraces int
}

// TraceResult is one matching trace.
type TraceResult struct {
	TraceID         model.TraceID
	RootServiceName string // RootSpanNotYetReceived when the trace has no root
	RootTraceName   string
	StartUnixNano   uint64
	Duration        time.Duration
	// ServiceStats are the trace's span and error counts per service,
	// sorted by service name (a slice, not a map: a search may keep
	// hundreds of thousands of results).
	ServiceStats []ServiceStat
	SpanSets     []*SpanSetResult
}

// ServiceStat is one service's span and error counts in a trace.
type ServiceStat = model.ServiceStat

// SpanSetResult is one spanset of a matching trace.
type SpanSetResult struct {
	// Spans are the first SpansPerSpanSet spans by start time (then span ID).
	Spans []*SpanResult
	// Matched is the number of spans in the spanset before truncation.
	Matched int
	// Attributes are the spanset's by() and aggregate values.
	Attributes []model.Attribute
}

// SpanResult is one span of a spanset.
type SpanResult struct {
	SpanID        model.SpanID
	Name          string
	StartUnixNano uint64
	Duration      time.Duration
	// Attributes are the attributes the query references and select()
	// asks for, when the span has them.
	Attributes []model.Attribute
}

// Search parses query and evaluates it over src.
func Search(ctx context.Context, src store.Source, query string, opts SearchOptions) (*SearchResult, error) {
	root, err := traceql.Parse(query)
	if err != nil {
		return nil, err
	}
	return SearchExpr(ctx, src, root, opts)
}

// SearchExpr evaluates a parsed and validated query over src. It streams
// the source and keeps only the best Limit traces.
func SearchExpr(ctx context.Context, src store.Source, root *traceql.RootExpr, opts SearchOptions) (*SearchResult, error) {
	if root.IsMetrics() {
		return nil, ErrMetricsQuery
	}
	if root.Pipeline == nil {
		return nil, errors.New("comparing scalar pipelines is not supported")
	}
	opts = opts.withDefaults()
	e, err := compile(root)
	if err != nil {
		return nil, err
	}
	req := searchRequest(root, opts)
	if c, ok := src.(store.Counter); ok && opts.CountOnly && req.Filter != nil && req.Filter.Exact {
		// The filter is the query: the source counts without building traces.
		n, err := c.CountTraces(ctx, req)
		if err != nil {
			return nil, err
		}
		return &SearchResult{Traces: []*TraceResult{}, Metrics: SearchMetrics{MatchedTraces: n.Traces,
			InspectedTraces: n.InspectedTraces, InspectedSpans: n.InspectedSpans}}, nil
	}
	it, err := src.Traces(ctx, req)
	if err != nil {
		return nil, err
	}
	defer it.Close()

	res := &SearchResult{}
	k := newResultKeeper(opts)
	var tb traceBuffer // nothing below keeps a traceData past its trace
	for it.Next() {
		if err := ctx.Err(); err != nil {
			return nil, k.close(err)
		}
		t := it.At()
		res.Metrics.InspectedTraces++
		res.Metrics.InspectedSpans += t.SpanCount()
		td := tb.load(t)
		if !req.Overlaps(td.start, td.end) {
			continue // the source ignored the range: re-check
		}
		if !opts.CountOnly && !k.admits(td.start, t.TraceID) {
			continue // could not enter the top Limit
		}
		sets, err := e.evalTrace(td)
		if err != nil {
			return nil, k.close(err)
		}
		if len(sets) == 0 {
			continue
		}
		res.Metrics.MatchedTraces++
		if opts.CountOnly {
			continue
		}
		tr := e.traceResult(td, sets, opts.SpansPerSpanSet, k.memory())
		worst, full, err := k.keep(resultRef{start: td.start, id: t.TraceID, tr: tr})
		if err != nil {
			return nil, k.close(err)
		}
		if full {
			req.Newest.Raise(worst) // traces starting earlier cannot enter
		}
	}
	if err := it.Err(); err != nil {
		return nil, k.close(err)
	}
	if err := k.finish(res); err != nil {
		return nil, k.close(err)
	}
	return res, nil
}

// withDefaults fills in the options left zero.
func (opts SearchOptions) withDefaults() SearchOptions {
	if opts.Limit <= 0 {
		opts.Limit = DefaultLimit
	}
	if opts.SpansPerSpanSet <= 0 {
		opts.SpansPerSpanSet = DefaultSpansPerSpanSet
	}
	if !opts.Start.IsZero() && opts.End.IsZero() {
		now := time.Now
		if opts.Now != nil {
			now = opts.Now
		}
		opts.End = now()
	}
	if opts.SpillAfter <= 0 {
		opts.SpillAfter = DefaultSpillAfter
	}
	return opts
}

// searchRequest is what a search asks of its source: the fields and
// attributes root reads, the filter it pushes down, and, unless it only
// counts, that only the newest Limit traces matter.
func searchRequest(root *traceql.RootExpr, opts SearchOptions) store.Request {
	fields := FieldsOf(root)
	// Results are ranked by start time, so the source may stream traces in
	// any order (which bounds a block store's memory).
	// Results copy what they keep of a trace: the source may reuse it.
	req := store.Request{Start: opts.Start, End: opts.End, Fields: &fields, AttributeKeys: AttributeKeysOf(root),
		Unordered: true, Reuse: true, Filter: FilterOf(root)}
	if !opts.CountOnly {
		req.Newest, req.NewestCount = &store.Threshold{}, opts.Limit
	}
	return req
}

// traceResult builds the result of a matching trace: in mem when it is
// not nil (the result is then valid until mem's next use: a result that is
// spilled at once), else in fresh memory.
func (e *evaluator) traceResult(td *traceData, sets []*spanset, spss int, mem *resultMemory) *TraceResult {
	var tr *TraceResult
	if mem != nil {
		mem.reset(len(sets), spanResults(sets, spss))
		mem.t = TraceResult{}
		tr = &mem.t
		mem.stats = td.t.AppendServiceStats(mem.stats[:0])
		tr.ServiceStats = mem.stats
	} else {
		tr = &TraceResult{
			// One allocation: a service per resource at most.
			ServiceStats: slices.Clip(td.t.AppendServiceStats(make([]model.ServiceStat, 0, len(td.t.ResourceSpans)))),
		}
	}
	tr.TraceID = td.t.TraceID
	tr.RootServiceName, tr.RootTraceName = td.rootService, td.rootName
	tr.StartUnixNano, tr.Duration = td.start, time.Duration(td.end-td.start)
	if !td.hasRoot {
		tr.RootServiceName = RootSpanNotYetReceived
	}
	for _, ss := range sets {
		sr := mem.newSpanSet()
		sr.Matched = len(ss.spans)
		for _, a := range ss.attrs {
			sr.Attributes = append(sr.Attributes, model.Attribute{Key: a.name, Value: toModel(a.v)})
		}
		spans := firstSpans(ss.spans, spss)
		sr.Spans = mem.spanList(len(spans))
		for _, sp := range spans {
			sr.Spans = append(sr.Spans, e.spanResult(td, sp, ss.selects, mem.newSpan()))
		}
		if mem == nil {
			tr.SpanSets = append(tr.SpanSets, sr)
		}
	}
	if mem != nil && len(sets) > 0 {
		tr.SpanSets = mem.setPtrs
	}
	slices.SortStableFunc(tr.SpanSets, func(x, y *SpanSetResult) int {
		a, b := x.Spans[0], y.Spans[0]
		if a.StartUnixNano != b.StartUnixNano {
			return cmp.Compare(a.StartUnixNano, b.StartUnixNano)
		}
		return bytes.Compare(a.SpanID[:], b.SpanID[:])
	})
	return tr
}

// spanResults is how many span results traceResult builds for sets.
func spanResults(sets []*spanset, spss int) int {
	n := 0
	for _, ss := range sets {
		n += min(len(ss.spans), max(spss, 0))
	}
	return n
}

// firstSpans returns the first k of spans in spanLess order, sorted (a
// new slice: spans is not changed). With k much below len(spans) it
// keeps only the k best while it goes, instead of sorting them all.
func firstSpans(spans []*span, k int) []*span {
	if k <= 0 {
		return nil
	}
	if k >= len(spans) {
		out := append([]*span(nil), spans...)
		sort.Slice(out, func(i, j int) bool { return spanLess(out[i], out[j]) })
		return out
	}
	out := make([]*span, 0, k)
	for _, sp := range spans {
		if len(out) == k && !spanLess(sp, out[k-1]) {
			continue
		}
		if len(out) < k {
			out = append(out, nil)
		}
		i := len(out) - 1
		for ; i > 0 && spanLess(sp, out[i-1]); i-- {
			out[i] = out[i-1]
		}
		out[i] = sp
	}
	return out
}

// spanLess orders spans by start time, then span ID, so results do not
// depend on the order a source stores spans in.
func spanLess(a, b *span) bool {
	as, bs := a.ref.Span.StartTimeUnixNano, b.ref.Span.StartTimeUnixNano
	if as != bs {
		return as < bs
	}
	ai, bi := a.ref.Span.SpanID, b.ref.Span.SpanID
	if ai != bi {
		return string(ai[:]) < string(bi[:])
	}
	return a.ref.Span.Kind < b.ref.Span.Kind
}

// spanResult builds the result of one span of a spanset in r.
func (e *evaluator) spanResult(td *traceData, sp *span, selects []selectAttr, r *SpanResult) *SpanResult {
	s := sp.ref.Span
	*r = SpanResult{
		SpanID:        s.SpanID,
		Name:          s.Name,
		StartUnixNano: s.StartTimeUnixNano,
		Duration:      time.Duration(s.Duration()),
	}
	if len(e.outAttrs) == 0 && len(selects) == 0 {
		return r
	}
	seen := map[string]bool{}
	add := func(list []selectAttr) {
		for _, a := range list {
			if seen[a.key] {
				continue
			}
			v, err := e.firstValue(a.expr, td, sp)
			if err != nil || v.k == kNil {
				continue
			}
			seen[a.key] = true
			r.Attributes = append(r.Attributes, model.Attribute{Key: a.key, Value: toModel(v)})
		}
	}
	add(e.outAttrs)
	add(selects)
	return r
}
