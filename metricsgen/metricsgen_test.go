package metricsgen

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tracectl/tracectl/internal/promtext"
)

var t0 = time.Unix(1800000000, 0).UTC() // a whole minute

func series(t *testing.T, res *Result, family string, labels ...string) *Series {
	t.Helper()
	f := res.Family(family)
	if f == nil {
		t.Fatalf("no family %s", family)
	}
next:
	for _, s := range f.Series {
		for i := 0; i < len(labels); i += 2 {
			if s.Label(labels[i]) != labels[i+1] {
				continue next
			}
		}
		return s
	}
	t.Fatalf("%s: no series with %v", family, labels)
	return nil
}

func TestSpanMetricsCounts(t *testing.T) {
	res := generate(t, synthTraces(t0, 3, 6), Options{SpanMetrics: true})
	s := series(t, res, "traces_spanmetrics_calls", "service", "orders", "status_code", "STATUS_CODE_ERROR")
	if got := s.Points[0].Value; got != 3 {
		t.Errorf("orders errors = %v, want 3 (one per minute)", got)
	}
	s = series(t, res, "traces_spanmetrics_calls", "service", "orders", "status_code", "STATUS_CODE_UNSET")
	if got := s.Points[0].Value; got != 15 {
		t.Errorf("orders ok calls = %v, want 15", got)
	}
	h := series(t, res, "traces_spanmetrics_latency", "service", "users")
	p := h.Points[0]
	// 20ms lands in (0.016, 0.032]: bucket index 4 (le=0.032) and above.
	want := []uint64{0, 0, 0, 0, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18}
	if diff := cmp.Diff(want, p.Buckets); diff != "" || p.Count != 18 || math.Abs(p.Sum-0.36) > 1e-9 {
		t.Errorf("users histogram count %d sum %v buckets diff:\n%s", p.Count, p.Sum, diff)
	}
	if res.Stats.Spans != 90 || res.Stats.Traces != 18 {
		t.Errorf("stats %+v", res.Stats)
	}
}

func TestStepsAreCumulativeWithIdleTail(t *testing.T) {
	res := generate(t, synthTraces(t0, 3, 6), Options{SpanMetrics: true, Step: time.Minute, End: t0.Add(20 * time.Minute)})
	s := series(t, res, "traces_spanmetrics_calls", "service", "api", "span_name", "GET /checkout")
	var got []string
	for _, p := range s.Points {
		got = append(got, p.Time.Sub(t0).String()+"="+promtext.Float(p.Value))
	}
	// Spans end within each minute, so they count at the next whole minute;
	// the total then stays flat for ten idle steps and stops.
	want := []string{"1m0s=6", "2m0s=12", "3m0s=18"}
	for m := 4; m <= 13; m++ {
		want = append(want, (time.Duration(m)*time.Minute).String()+"=18")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("points (-want +got):\n%s", diff)
	}
	if s.Points[3].Exemplars != nil || s.Points[2].Exemplars[0] == nil {
		t.Error("exemplars: want one on a step with spans, none on an idle step")
	}
}

// TestEndIsNowStopsAtLastSpan: an End that is only when the command ran
// (--since, --start without --end) bounds the spans, but the samples and
// the graph's duration stop at the last span, as without End; an End
// asked for samples up to it.
func TestEndIsNowStopsAtLastSpan(t *testing.T) {
	traces := synthTraces(t0, 3, 6)
	points := func(o Options) []string {
		res := generate(t, traces, o)
		var got []string
		for _, p := range series(t, res, "traces_spanmetrics_calls", "service", "api", "span_name", "GET /checkout").Points {
			got = append(got, p.Time.Sub(t0).String())
		}
		return got
	}
	open := points(Options{SpanMetrics: true, Step: time.Minute})
	now := points(Options{SpanMetrics: true, Step: time.Minute, End: t0.Add(24 * time.Hour), EndIsNow: true})
	if diff := cmp.Diff(open, now); diff != "" {
		t.Errorf("EndIsNow: steps differ from no End (-open +now):\n%s", diff)
	}
	if asked := points(Options{SpanMetrics: true, Step: time.Minute, End: t0.Add(30 * time.Minute)}); len(asked) <= len(open) {
		t.Errorf("an End asked for: %d steps, want more than the %d up to the last span", len(asked), len(open))
	}
	rps := func(o Options) float64 {
		for _, n := range generate(t, traces, o).Graph.Nodes {
			if n.Name == "orders" {
				return n.RPS
			}
		}
		t.Fatal("no orders node")
		return 0
	}
	if a, b := rps(Options{ServiceGraph: true}), rps(Options{ServiceGraph: true, End: t0.Add(24 * time.Hour), EndIsNow: true}); a != b {
		t.Errorf("graph rps %v with EndIsNow, %v without End", b, a)
	}
}

func TestEmitSteps(t *testing.T) {
	tl := &timeline{step: time.Minute, lastStep: 100}
	got := tl.emitSteps([]int64{1, 3, 40, 95})
	var want []int64
	for s := int64(1); s <= 13; s++ { // 1, 3, then ten idle steps after 3
		want = append(want, s)
	}
	for s := int64(39); s <= 50; s++ { // the step before 40, 40, ten idle
		want = append(want, s)
	}
	for s := int64(94); s <= 100; s++ { // cut at the last step
		want = append(want, s)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("emitSteps (-want +got):\n%s", diff)
	}
}

func TestTimeRangeBySpanEnd(t *testing.T) {
	all := synthTraces(t0, 3, 6)
	// The second minute only: traces starting at 60s..110s.
	res := generate(t, all, Options{Start: t0.Add(time.Minute), End: t0.Add(2*time.Minute - time.Nanosecond)})
	s := series(t, res, "traces_spanmetrics_calls", "service", "api", "span_name", "GET /checkout")
	if s.Points[0].Value != 6 {
		t.Errorf("calls in the second minute = %v, want 6", s.Points[0].Value)
	}
	e := series(t, res, "traces_service_graph_request", "client", "api", "server", "orders")
	if e.Points[0].Value != 6 {
		t.Errorf("edges in the second minute = %v, want 6", e.Points[0].Value)
	}
}

func TestServiceGraphSynthetic(t *testing.T) {
	res := generate(t, synthTraces(t0, 3, 6), Options{ServiceGraph: true})
	if v := series(t, res, "traces_service_graph_request", "client", "api", "server", "orders").Points[0].Value; v != 18 {
		t.Errorf("api→orders = %v, want 18", v)
	}
	if v := series(t, res, "traces_service_graph_request_failed", "client", "api", "server", "orders").Points[0].Value; v != 3 {
		t.Errorf("api→orders failed = %v, want 3", v)
	}
	if v := series(t, res, "traces_service_graph_request", "client", "user", "server", "api").Points[0].Value; v != 18 {
		t.Errorf("user→api = %v, want 18", v)
	}
	p := series(t, res, "traces_service_graph_request_server_seconds", "client", "api", "server", "users").Points[0]
	if p.Count != 18 || math.Abs(p.Sum-18*0.02) > 1e-9 {
		t.Errorf("server latency count %d sum %v", p.Count, p.Sum)
	}
	g := res.Graph
	var orders GraphNode
	for _, n := range g.Nodes {
		if n.Name == "orders" {
			orders = n
		}
	}
	window := (170*time.Second + 100*time.Millisecond).Seconds()
	if orders.Requests != 18 || orders.Failed != 3 || math.Abs(orders.RPS-18/window) > 1e-9 || math.Abs(orders.ErrorRate-1.0/6) > 1e-9 {
		t.Errorf("orders node %+v", orders)
	}
	if !slices.ContainsFunc(g.Nodes, func(n GraphNode) bool { return n.Name == "user" && n.Virtual }) {
		t.Error("no virtual user node")
	}
}

func TestMaxSeriesOverflow(t *testing.T) {
	traces := loadTraces(t, demoFiles...)
	full := generate(t, traces, Options{SpanMetrics: true})
	capped := generate(t, traces, Options{SpanMetrics: true, MaxSeries: 5})
	sum := func(r *Result) (total float64, n int) {
		for _, s := range r.Family("traces_spanmetrics_calls").Series {
			total += s.Points[0].Value
			n++
		}
		return
	}
	ft, fn := sum(full)
	ct, cn := sum(capped)
	if ft != ct {
		t.Errorf("capped total %v, full %v: overflow lost spans", ct, ft)
	}
	if fn <= 6 || cn != 6 {
		t.Errorf("series: full %d, capped %d (want 5 + overflow)", fn, cn)
	}
	series(t, capped, "traces_spanmetrics_latency", OverflowLabel, "true")
	if len(capped.Warnings) != 1 || !strings.Contains(capped.Warnings[0], `label "span_name" exploded`) {
		t.Errorf("warnings %q", capped.Warnings)
	}
	if len(full.Warnings) != 0 {
		t.Errorf("uncapped warnings %q", full.Warnings)
	}
}

func TestParseBuckets(t *testing.T) {
	got, err := ParseBuckets("2ms, 0.01,1s,1.4s")
	if err != nil || !slices.Equal(got, []float64{0.002, 0.01, 1, 1.4}) {
		t.Errorf("ParseBuckets = %v, %v", got, err)
	}
	o := Options{Naming: NamingOTel, Buckets: got}
	if b := o.spanBounds(); !slices.Equal(b, []float64{2, 10, 1000, 1400}) {
		t.Errorf("otel bounds in ms = %v", b)
	}
	for in, want := range map[string]string{"": "empty", "1s,1s": "increase", "10ms,x": `bucket "x"`} {
		if _, err := ParseBuckets(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseBuckets(%q) = %v, want %q", in, err, want)
		}
	}
}

func TestDimensionLabelsClash(t *testing.T) {
	for _, o := range []Options{
		{SpanMetrics: true, Dimensions: []Dimension{{Name: "span.name"}}},
		{SpanMetrics: true, Dimensions: []Dimension{{Name: "http.method"}, {Name: "http_method"}}},
		{ServiceGraph: true, GraphDimensions: []string{"failed"}},
	} {
		if _, err := NewGenerator(o); err == nil || !strings.Contains(err.Error(), "already taken") {
			t.Errorf("%+v: err %v", o, err)
		}
	}
}

// TestRowOfRemembersByMemory: rowOf gives the row row gives, whether the
// label strings are the remembered ones or equal strings elsewhere in
// memory, and counts every observation of a refused label set.
func TestRowOfRemembersByMemory(t *testing.T) {
	lim := newLimiter("test", 2)
	sr := newSeriesRows(lim, newFamily("calls", Counter, "", "", nil))
	set := func(svc, name string) []Label { return []Label{{"service", svc}, {"span_name", name}} }
	a := set("checkout", "GET /cart")
	first := sr.rowOf(a)
	for i, labels := range [][]Label{a, set(strings.Clone("checkout"), strings.Clone("GET /cart"))} {
		if got := sr.rowOf(labels); got != first {
			t.Fatalf("label set %d: another row for the same labels", i)
		}
	}
	if b := sr.rowOf(set("cart", "GET /cart")); b == first || b == sr.overflow {
		t.Fatal("a second label set did not get its own row")
	}
	c := set("payments", "POST /pay")
	for range 3 {
		if got := sr.rowOf(c); got != sr.overflow {
			t.Fatal("a third label set was admitted past --max-series 2")
		}
	}
	if lim.refused != 3 {
		t.Fatalf("%d refused observations counted, want 3", lim.refused)
	}
	if got, want := sr.rowOf(a), sr.row(appendKey(nil, a), a); got != want || got != first {
		t.Fatal("rowOf and row disagree")
	}
}

// TestNoExemplars: with Options.NoExemplars the families are those of the
// same run with exemplars, every point without one; the OpenMetrics text
// of a run with them carries exemplars.
func TestNoExemplars(t *testing.T) {
	for _, opts := range []Options{
		{Step: time.Minute, End: t0.Add(10 * time.Minute)},
		{Events: true},
	} {
		with := generate(t, synthTraces(t0, 3, 6), opts)
		opts.NoExemplars = true
		without := generate(t, synthTraces(t0, 3, 6), opts)
		kept := 0
		for _, f := range with.Families {
			for _, s := range f.Series {
				for i := range s.Points {
					for _, e := range s.Points[i].Exemplars {
						if e != nil {
							kept++
						}
					}
					if s.Points[i].Exemplars != nil {
						s.Points[i].Exemplars = make([]*Exemplar, len(s.Points[i].Exemplars))
					}
				}
			}
		}
		if kept == 0 {
			t.Fatalf("%+v: no exemplar to leave out", opts)
		}
		if diff := cmp.Diff(with.Families, without.Families); diff != "" {
			t.Errorf("%+v: families without exemplars differ beyond them:\n%s", opts, diff)
		}
	}
}
