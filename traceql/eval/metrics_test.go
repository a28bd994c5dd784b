package eval_test

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/store/storetest"
	"github.com/tracectl/tracectl/traceql/eval"
	"github.com/tracectl/tracectl/traceql/traceqltest"
)

// metricsFixture is the HotROD captures: traces, their spans and the range
// (1s before the first span start to 1s after the last).
func metricsFixture(t *testing.T) (store.Source, []model.SpanRef, time.Time, time.Time) {
	t.Helper()
	root, err := fixtures.Dir()
	if err != nil {
		t.Fatal(err)
	}
	paths, err := filepath.Glob(filepath.Join(root, "jaeger/skills/*[^t].json")) // not *.manifest.json
	if err != nil || len(paths) < 5 {
		t.Fatalf("fixtures: %v %v", paths, err)
	}
	traces, err := traceqltest.LoadTraces(paths)
	if err != nil {
		t.Fatal(err)
	}
	src := storetest.New(traces)
	it, err := src.Traces(context.Background(), store.Request{})
	if err != nil {
		t.Fatal(err)
	}
	all, err := store.Collect(it)
	if err != nil {
		t.Fatal(err)
	}
	var spans []model.SpanRef
	lo, hi := uint64(math.MaxUint64), uint64(0)
	for _, tr := range all {
		tr.Spans(func(r model.SpanRef) bool {
			spans = append(spans, r)
			lo, hi = min(lo, r.Span.StartTimeUnixNano), max(hi, r.Span.StartTimeUnixNano)
			return true
		})
	}
	return src, spans, time.Unix(0, int64(lo)).Add(-time.Second), time.Unix(0, int64(hi)).Add(time.Second)
}

// bruteSlot is the interval of a span start t (ns) by the documented rule:
// right edges first, first+step, ...; interval (edge-step, edge].
func bruteSlot(t, first, step int64) int64 {
	return (t - first + step - 1) / step
}

type seriesKey struct {
	service string
	ts      int64
}

// TestMetricsAgainstBruteForce evaluates metrics queries over the HotROD
// captures and checks every sample against a direct computation over the
// same spans.
func TestMetricsAgainstBruteForce(t *testing.T) {
	src, spans, start, end := metricsFixture(t)
	step := (end.Sub(start) / 50).Truncate(time.Millisecond) // the captures are days apart
	first := start.UnixNano() / int64(step) * int64(step)
	group := map[seriesKey][]float64{} // durations in seconds by service and stamp
	errors := map[int64]float64{}
	for _, r := range spans {
		ts := first + bruteSlot(int64(r.Span.StartTimeUnixNano), first, int64(step))*int64(step)
		k := seriesKey{r.Resource.ServiceName(), ts / 1e6}
		group[k] = append(group[k], float64(r.Span.Duration())/1e9)
		if r.Span.Status.Code == model.StatusError {
			errors[ts/1e6]++
		}
	}
	run := func(q string) *eval.MetricsResult {
		t.Helper()
		res, err := eval.Metrics(context.Background(), src, q, eval.MetricsOptions{Start: start, End: end, Step: step})
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if len(res.Series) == 0 {
			t.Fatalf("%s: no series", q)
		}
		return res
	}
	type agg func(vs []float64) float64
	sum := func(vs []float64) (s float64) {
		for _, v := range vs {
			s += v
		}
		return s
	}
	quantile := func(q float64) agg {
		return func(vs []float64) float64 {
			s := append([]float64(nil), vs...)
			sort.Float64s(s)
			r := q * float64(len(s)-1)
			lo := int(r)
			hi := min(lo+1, len(s)-1)
			return s[lo] + (s[hi]-s[lo])*(r-float64(lo))
		}
	}
	cases := []struct {
		q    string
		f    agg
		fill bool // empty intervals are 0 rather than absent
	}{
		{`{ } | count_over_time() by (resource.service.name)`, func(vs []float64) float64 { return float64(len(vs)) }, true},
		{`{ } | rate() by (resource.service.name)`, func(vs []float64) float64 { return float64(len(vs)) / step.Seconds() }, true},
		{`{ } | sum_over_time(duration) by (resource.service.name)`, sum, false},
		{`{ } | avg_over_time(duration) by (resource.service.name)`, func(vs []float64) float64 { return sum(vs) / float64(len(vs)) }, false},
		{`{ } | min_over_time(duration) by (resource.service.name)`, func(vs []float64) float64 { s := append([]float64(nil), vs...); sort.Float64s(s); return s[0] }, false},
		{`{ } | max_over_time(duration) by (resource.service.name)`, func(vs []float64) float64 { s := append([]float64(nil), vs...); sort.Float64s(s); return s[len(s)-1] }, false},
		{`{ } | quantile_over_time(duration, .9) by (resource.service.name)`, quantile(0.9), false},
	}
	for _, tc := range cases {
		res := run(tc.q)
		samples := 0
		for _, s := range res.Series {
			svc := s.Labels[0].Value.Str
			if s.Labels[0].Key != "resource.service.name" {
				t.Fatalf("%s: labels %v", tc.q, s.Labels)
			}
			for _, p := range s.Samples {
				vs := group[seriesKey{svc, p.TimestampMs}]
				var want float64
				switch {
				case len(vs) > 0:
					want = tc.f(vs)
				case tc.fill:
					want = 0
				default:
					t.Errorf("%s: %s at %d: sample %v for an empty interval", tc.q, svc, p.TimestampMs, p.Value)
					continue
				}
				if math.Abs(p.Value-want) > 1e-9*math.Max(1, math.Abs(want)) {
					t.Errorf("%s: %s at %d = %v, want %v", tc.q, svc, p.TimestampMs, p.Value, want)
				}
				samples++
			}
		}
		// Every non-empty (service, interval) has its sample.
		want := 0
		for range group {
			want++
		}
		if !tc.fill && samples != want {
			t.Errorf("%s: %d samples, want %d", tc.q, samples, want)
		}
	}
	// Without by(): one series named after the function.
	res := run(`{ status = error } | count_over_time()`)
	if len(res.Series) != 1 || res.Series[0].Labels[0].Key != "__name__" || res.Series[0].Labels[0].Value.Str != "count_over_time" {
		t.Fatalf("unlabelled series: %+v", res.Series)
	}
	var total float64
	for _, p := range res.Series[0].Samples {
		if p.Value != errors[p.TimestampMs] {
			t.Errorf("errors at %d = %v, want %v", p.TimestampMs, p.Value, errors[p.TimestampMs])
		}
		total += p.Value
	}
	if total == 0 {
		t.Error("no error spans counted")
	}
	// Instant: one sample per series holding the whole range.
	inst, err := eval.Metrics(context.Background(), src, `{ } | count_over_time()`, eval.MetricsOptions{Start: start, End: end, Instant: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(inst.Series) != 1 || len(inst.Series[0].Samples) != 1 || inst.Series[0].Samples[0].Value != float64(len(spans)) {
		t.Errorf("instant count: %+v, want one sample of %d", inst.Series, len(spans))
	}
}

// TestMetricsSecondStage checks topk/bottomk per timestamp and value
// filters against the unfiltered series.
func TestMetricsSecondStage(t *testing.T) {
	src, _, start, end := metricsFixture(t)
	opts := eval.MetricsOptions{Start: start, End: end, Step: (end.Sub(start) / 20).Truncate(time.Millisecond)}
	all, err := eval.Metrics(context.Background(), src, `{ } | count_over_time() by (resource.service.name)`, opts)
	if err != nil {
		t.Fatal(err)
	}
	at := map[int64][]float64{}
	for _, s := range all.Series {
		for _, p := range s.Samples {
			at[p.TimestampMs] = append(at[p.TimestampMs], p.Value)
		}
	}
	top, err := eval.Metrics(context.Background(), src, `{ } | count_over_time() by (resource.service.name) | topk(2)`, opts)
	if err != nil {
		t.Fatal(err)
	}
	kept := map[int64][]float64{}
	for _, s := range top.Series {
		for _, p := range s.Samples {
			kept[p.TimestampMs] = append(kept[p.TimestampMs], p.Value)
		}
	}
	for ts, vs := range at {
		sort.Sort(sort.Reverse(sort.Float64Slice(vs)))
		got := kept[ts]
		sort.Sort(sort.Reverse(sort.Float64Slice(got)))
		want := vs[:min(2, len(vs))]
		if len(got) != len(want) {
			t.Errorf("topk(2) at %d: %v, want %v", ts, got, want)
			continue
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("topk(2) at %d: %v, want %v", ts, got, want)
			}
		}
	}
	filtered, err := eval.Metrics(context.Background(), src, `{ } | count_over_time() by (resource.service.name) | > 5`, opts)
	if err != nil {
		t.Fatal(err)
	}
	n, want := 0, 0
	for _, s := range filtered.Series {
		for _, p := range s.Samples {
			if p.Value <= 5 {
				t.Errorf("filter > 5 kept %v", p.Value)
			}
			n++
		}
	}
	for _, vs := range at {
		for _, v := range vs {
			if v > 5 {
				want++
			}
		}
	}
	if n != want || n == 0 {
		t.Errorf("filter > 5 kept %d points, want %d", n, want)
	}
}

// TestMetricsCorpus runs every metrics query of traceql/testdata/valid.txt:
// each gives series or says what is not yet supported.
func TestMetricsCorpus(t *testing.T) {
	src, _, start, end := metricsFixture(t)
	ran := 0
	for _, q := range readCorpus(t, "../testdata/valid.txt") {
		if !strings.Contains(q, "rate()") && !strings.Contains(q, "_over_time") && !strings.Contains(q, "compare(") {
			continue
		}
		res, err := eval.Metrics(context.Background(), src, q, eval.MetricsOptions{Start: start, End: end, Step: time.Hour})
		if err != nil {
			if !strings.Contains(err.Error(), "not yet supported") {
				t.Errorf("%s: %v", q, err)
			}
			continue
		}
		if _, err := json.Marshal(res.TempoResponse()); err != nil {
			t.Errorf("%s: JSON: %v", q, err)
		}
		ran++
	}
	if ran < 20 {
		t.Errorf("only %d metrics queries ran", ran)
	}
}

// TestMetricsExemplars checks that exemplars are real spans of their
// series (service label, duration value), at most two per interval and at
// most with(exemplars=N) per series.
func TestMetricsExemplars(t *testing.T) {
	src, spans, start, end := metricsFixture(t)
	type key struct {
		trace model.TraceID
		span  model.SpanID
	}
	byID := map[key]model.SpanRef{}
	for _, r := range spans {
		byID[key{r.Span.TraceID, r.Span.SpanID}] = r
	}
	step := (end.Sub(start) / 50).Truncate(time.Millisecond)
	for _, tc := range []struct {
		q   string
		max int
	}{
		{`{ } | rate() by (resource.service.name)`, eval.DefaultExemplars},
		{`{ } | quantile_over_time(duration, .9) by (resource.service.name) with (exemplars=3)`, 3},
		{`{ } | count_over_time() by (resource.service.name) with (exemplars=0)`, 0},
	} {
		res, err := eval.Metrics(context.Background(), src, tc.q, eval.MetricsOptions{Start: start, End: end, Step: step})
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, s := range res.Series {
			if len(s.Exemplars) > tc.max {
				t.Errorf("%s: %d exemplars, want at most %d", tc.q, len(s.Exemplars), tc.max)
			}
			perTS := map[int64]int{}
			for _, e := range s.Exemplars {
				r, ok := byID[key{e.TraceID, e.SpanID}]
				if !ok {
					t.Fatalf("%s: exemplar %s/%s is not a span of the source", tc.q, e.TraceID, e.SpanID)
				}
				if svc := r.Resource.ServiceName(); svc != s.Labels[0].Value.Str {
					t.Errorf("%s: exemplar of %s in the series of %s", tc.q, svc, s.Labels[0].Value.Str)
				}
				if want := float64(r.Span.Duration()) / 1e9; e.Value != want {
					t.Errorf("%s: exemplar value %v, want the span's duration %v", tc.q, e.Value, want)
				}
				perTS[int64(r.Span.StartTimeUnixNano)/int64(step)]++
			}
			for _, n := range perTS {
				if n > 2 {
					t.Errorf("%s: %d exemplars in one interval", tc.q, n)
				}
			}
			total += len(s.Exemplars)
		}
		if (total == 0) != (tc.max == 0) {
			t.Errorf("%s: %d exemplars in all", tc.q, total)
		}
	}
}

// TestMetricsNoExemplars: with MetricsOptions.NoExemplars the series and
// samples are those of the same query with exemplars, and no series has
// any; a bad with(exemplars=…) hint is still an error.
func TestMetricsNoExemplars(t *testing.T) {
	src, _, start, end := metricsFixture(t)
	step := (end.Sub(start) / 50).Truncate(time.Millisecond)
	for _, q := range []string{
		`{ } | rate() by (resource.service.name)`,
		`{ } | quantile_over_time(duration, .9) by (resource.service.name) with (exemplars=3)`,
		`{ } | histogram_over_time(duration)`,
	} {
		opts := eval.MetricsOptions{Start: start, End: end, Step: step}
		with, err := eval.Metrics(context.Background(), src, q, opts)
		if err != nil {
			t.Fatal(err)
		}
		opts.NoExemplars = true
		without, err := eval.Metrics(context.Background(), src, q, opts)
		if err != nil {
			t.Fatal(err)
		}
		shown := 0
		for _, s := range with.Series {
			shown += len(s.Exemplars)
			s.Exemplars = nil
		}
		if shown == 0 {
			t.Fatalf("%s: no exemplars to leave out", q)
		}
		if !reflect.DeepEqual(with, without) {
			t.Errorf("%s: the answer without exemplars differs beyond them", q)
		}
	}
	_, err := eval.Metrics(context.Background(), src, `{ } | rate() with (exemplars=-1)`,
		eval.MetricsOptions{Start: start, End: end, Step: step, NoExemplars: true})
	if err == nil {
		t.Error("a bad exemplars hint passed with NoExemplars")
	}
}

// TestMetricsExemplarsOrder checks that exemplars of spans that start at
// the same instant come in the same order whatever order the source
// returns the traces in.
func TestMetricsExemplarsOrder(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	var traces []*model.Trace
	for _, id := range []string{"a1", "b2", "c3", "d4"} {
		traces = append(traces, storetest.TraceSpec{ID: id, Start: t0, Spans: []storetest.SpanSpec{
			{ID: id, Service: "s", Name: "op", Duration: time.Duration(len(traces)+1) * time.Millisecond},
		}}.Build())
	}
	var want []eval.Exemplar
	for i := range traces {
		order := append(append([]*model.Trace(nil), traces[i:]...), traces[:i]...)
		res, err := eval.Metrics(context.Background(), storetest.New(order), `{ } | rate()`,
			eval.MetricsOptions{Start: t0.Add(-time.Minute), End: t0.Add(time.Minute), Instant: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Series) != 1 || len(res.Series[0].Exemplars) != 2 {
			t.Fatalf("series %+v: want one with two exemplars", res.Series)
		}
		if got := res.Series[0].Exemplars; i == 0 {
			want = got
		} else if got[0] != want[0] || got[1] != want[1] {
			t.Errorf("rotation %d: exemplars %+v, want %+v", i, got, want)
		}
	}
}

// TestMetricsMath checks arithmetic between metrics pipelines and numbers
// against the operands evaluated on their own.
func TestMetricsMath(t *testing.T) {
	src, _, start, end := metricsFixture(t)
	opts := eval.MetricsOptions{Start: start, End: end, Step: (end.Sub(start) / 20).Truncate(time.Millisecond)}
	run := func(q string) map[string]map[int64]float64 {
		t.Helper()
		res, err := eval.Metrics(context.Background(), src, q, opts)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out := map[string]map[int64]float64{}
		for _, s := range res.Series {
			k := eval.PromLabels(s)
			out[k] = map[int64]float64{}
			for _, p := range s.Samples {
				out[k][p.TimestampMs] = p.Value
			}
		}
		return out
	}
	total := run(`{ } | count_over_time()`)[`{__name__="count_over_time"}`]
	errs := run(`{ status = error } | count_over_time()`)[`{__name__="count_over_time"}`]
	bySvc := run(`{ } | count_over_time() by (resource.service.name)`)
	errBySvc := run(`{ status = error } | count_over_time() by (resource.service.name)`)
	if len(total) == 0 || len(errs) == 0 || len(bySvc) < 3 || len(errBySvc) == 0 {
		t.Fatalf("operands: %d %d %d %d", len(total), len(errs), len(bySvc), len(errBySvc))
	}
	check := func(q string, want map[string]map[int64]float64) {
		t.Helper()
		got := run(q)
		if len(got) != len(want) {
			t.Errorf("%s: %d series, want %d", q, len(got), len(want))
		}
		for k, ws := range want {
			gs := got[k]
			if len(gs) != len(ws) {
				t.Errorf("%s: %s has %d samples, want %d", q, k, len(gs), len(ws))
			}
			for ts, w := range ws {
				if g, ok := gs[ts]; !ok || math.Abs(g-w) > 1e-12 {
					t.Errorf("%s: %s at %d = %v (present %v), want %v", q, k, ts, g, ok, w)
				}
			}
		}
	}
	// Unlabelled / unlabelled: the error ratio; 0/0 intervals have no sample.
	ratio := map[int64]float64{}
	for ts, n := range total {
		if n > 0 {
			ratio[ts] = errs[ts] / n
		}
	}
	check(`({ status = error } | count_over_time()) / ({ } | count_over_time())`,
		map[string]map[int64]float64{`{__name__="count_over_time"}`: ratio})
	// Series and constants (folded).
	scaled, share, diff := map[string]map[int64]float64{}, map[string]map[int64]float64{}, map[string]map[int64]float64{}
	for k, s := range bySvc {
		scaled[k], share[k] = map[int64]float64{}, map[int64]float64{}
		for ts, v := range s {
			scaled[k][ts] = v*6 + 1
			if total[ts] > 0 {
				share[k][ts] = v / total[ts]
			}
		}
		if len(share[k]) == 0 {
			delete(share, k)
		}
		if e, ok := errBySvc[k]; ok {
			diff[k] = map[int64]float64{}
			for ts, v := range e {
				diff[k][ts] = s[ts] - v
			}
		}
	}
	check(`({ } | count_over_time() by (resource.service.name)) * (2 * 3) + 1`, scaled)
	// Labelled / unlabelled: every service's share of all spans.
	check(`({ } | count_over_time() by (resource.service.name)) / ({ } | count_over_time())`, share)
	// Labelled - labelled: matched by label set; services without errors drop out.
	check(`({ } | count_over_time() by (resource.service.name)) - ({ status = error } | count_over_time() by (resource.service.name))`, diff)
}

// TestMetricsCompare checks compare() against counts over the same spans:
// group totals, per-value counts of the selection and baseline, and the
// topN cut.
func TestMetricsCompare(t *testing.T) {
	src, spans, start, end := metricsFixture(t)
	opts := eval.MetricsOptions{Start: start, End: end, Instant: true}
	errBySvc, okBySvc := map[string]float64{}, map[string]float64{}
	var errs, oks float64
	for _, r := range spans {
		svc := r.Resource.ServiceName()
		if r.Span.Status.Code == model.StatusError {
			errs++
			errBySvc[svc]++
		} else {
			oks++
			okBySvc[svc]++
		}
	}
	value := func(res *eval.MetricsResult, labels string) (float64, bool) {
		for _, s := range res.Series {
			if eval.PromLabels(s) == labels {
				return s.Samples[0].Value, true
			}
		}
		return 0, false
	}
	res, err := eval.Metrics(context.Background(), src, `{ } | compare({ status = error }, 1000)`, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		labels string
		want   float64
	}{
		{`{__meta_type="selection_total", name="nil"}`, errs},
		{`{__meta_type="baseline_total", name="nil"}`, oks},
		{`{__meta_type="selection", status="error"}`, errs},
	} {
		if got, ok := value(res, tc.labels); !ok || got != tc.want {
			t.Errorf("%s = %v (present %v), want %v", tc.labels, got, ok, tc.want)
		}
	}
	for svc, n := range errBySvc {
		l := `{__meta_type="selection", resource.service.name="` + svc + `"}`
		if got, _ := value(res, l); got != n {
			t.Errorf("%s = %v, want %v", l, got, n)
		}
	}
	for svc, n := range okBySvc {
		l := `{__meta_type="baseline", resource.service.name="` + svc + `"}`
		if got, _ := value(res, l); got != n {
			t.Errorf("%s = %v, want %v", l, got, n)
		}
	}
	// topN = 2: two values per attribute, the rest counted as too many.
	res, err = eval.Metrics(context.Background(), src, `{ } | compare({ status = error }, 2)`, opts)
	if err != nil {
		t.Fatal(err)
	}
	var kept float64
	n := 0
	for _, s := range res.Series {
		l := eval.PromLabels(s)
		if strings.HasPrefix(l, `{__meta_type="baseline", resource.service.name=`) {
			kept += s.Samples[0].Value
			n++
		}
	}
	cut, ok := value(res, `{__meta_type="baseline", __meta_error="__too_many_values__", resource.service.name="nil"}`)
	if n != 2 || !ok || kept+cut != oks {
		t.Errorf("topN 2: %d service series holding %v, %v cut (present %v); want 2 holding all %v with the cut", n, kept, cut, ok, oks)
	}
}

// TestMetricsNilLabels: nil group values are left out of the label set;
// when every value is nil the first label is kept with value "nil".
func TestMetricsNilLabels(t *testing.T) {
	src, spans, start, end := metricsFixture(t)
	opts := eval.MetricsOptions{Start: start, End: end, Instant: true}
	for _, tc := range []struct {
		q    string
		want map[string]float64
	}{
		{`{ } | count_over_time() by (span.nope)`, map[string]float64{`{span.nope="nil"}`: float64(len(spans))}},
		{`{ resource.service.name = "mysql" } | count_over_time() by (span.nope, resource.service.name)`,
			map[string]float64{`{resource.service.name="mysql"}`: 0}},
	} {
		res, err := eval.Metrics(context.Background(), src, tc.q, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Series) != len(tc.want) {
			t.Fatalf("%s: %d series, want %d", tc.q, len(res.Series), len(tc.want))
		}
		for _, s := range res.Series {
			w, ok := tc.want[eval.PromLabels(s)]
			if !ok || (w > 0 && s.Samples[0].Value != w) {
				t.Errorf("%s: series %s = %v, want one of %v", tc.q, eval.PromLabels(s), s.Samples[0].Value, tc.want)
			}
		}
	}
}

// TestPromTextEscaping: label values are escaped with the exposition
// format's only three escapes (a tab or é stays as it is, where Go quoting
// would write \t and be rejected by Prometheus), label names are made
// valid, values use +Inf/NaN spelling.
func TestPromTextEscaping(t *testing.T) {
	r := &eval.MetricsResult{Series: []*eval.Series{{
		Labels:  []model.Attribute{model.Str("resource.service.name", "a\"b\\c\nd\te é"), model.Str("__name__", "x")},
		Samples: []eval.Sample{{TimestampMs: 1000, Value: math.Inf(1)}, {TimestampMs: 2000, Value: 2.5}},
	}}}
	want := "# HELP rate TraceQL metrics function rate.\n# TYPE rate gauge\n" +
		"rate{resource_service_name=\"a\\\"b\\\\c\\nd\te é\"} 2.5\n"
	if got := eval.PromText(r, "rate", false); got != want {
		t.Errorf("last sample:\n got %q\nwant %q", got, want)
	}
	wantAll := "# HELP rate TraceQL metrics function rate.\n# TYPE rate gauge\n" +
		"rate{resource_service_name=\"a\\\"b\\\\c\\nd\te é\"} +Inf 1000\n" +
		"rate{resource_service_name=\"a\\\"b\\\\c\\nd\te é\"} 2.5 2000\n"
	if got := eval.PromText(r, "rate", true); got != wantAll {
		t.Errorf("all steps:\n got %q\nwant %q", got, wantAll)
	}
}

// TestMetricsHistogramBucketOrder: histogram_over_time's buckets (and any
// numeric label) come in numeric order within a group, not as text
// ("1.07, 17.2, 2.1, 3.3e-05" was the order before).
func TestMetricsHistogramBucketOrder(t *testing.T) {
	src, _, start, end := metricsFixture(t)
	for _, q := range []string{
		`{ } | histogram_over_time(duration)`,
		`{ } | histogram_over_time(duration) by (resource.service.name)`,
	} {
		res, err := eval.Metrics(context.Background(), src, q, eval.MetricsOptions{Start: start, End: end, Instant: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Series) < 5 {
			t.Fatalf("%s: %d series, want several buckets", q, len(res.Series))
		}
		prevGroup, prev := "", math.Inf(-1)
		for _, s := range res.Series {
			group, bucket := "", math.NaN()
			for _, l := range s.Labels {
				if l.Key == "__bucket" {
					bucket = l.Value.Double
				} else {
					group += l.Key + "=" + l.Value.AsString() + ","
				}
			}
			if group != prevGroup {
				if group < prevGroup {
					t.Errorf("%s: group %s after %s", q, group, prevGroup)
				}
				prevGroup, prev = group, math.Inf(-1)
			}
			if !(bucket > prev) {
				t.Errorf("%s: %s: bucket %g after %g", q, group, bucket, prev)
			}
			prev = bucket
		}
	}
}
