package blocks

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand"
	"testing"
	"time"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/traceql/eval"
)

// allKeys is s with store.Request.AttributeKeys dropped: every attribute.
type allKeys struct{ s *Store }

func (a allKeys) Traces(ctx context.Context, req store.Request) (store.TraceIterator, error) {
	req.AttributeKeys = nil
	return a.s.Traces(ctx, req)
}

func (a allKeys) CountTraces(ctx context.Context, req store.Request) (store.Count, error) {
	req.AttributeKeys = nil
	return a.s.CountTraces(ctx, req)
}

func (a allKeys) AggregateSpans(ctx context.Context, req store.Request, spec *store.AggregateSpec) (*store.Aggregate, error) {
	req.AttributeKeys = nil
	return a.s.AggregateSpans(ctx, req, spec)
}

const diffBase = uint64(1_700_000_000_000_000_000)

func diffStore(t *testing.T, s *Store) *Store {
	ctx := context.Background()
	rng := rand.New(rand.NewSource(7))
	ded := []DedicatedColumn{{Name: "db"}, {Scope: ScopeResource, Name: "region"}}
	pick := func(vs ...model.Value) model.Value { return vs[rng.Intn(len(vs))] }
	for blk := 0; blk < 2; blk++ {
		b := model.NewOrderedTraceBuilder()
		for tr := 0; tr < 120; tr++ {
			// traces 80..119 are split across both blocks
			if blk == 1 && tr < 80 {
				continue
			}
			id := tid(byte(tr), 0x77)
			for r := 0; r < 3; r++ {
				res := model.Resource{Attributes: []model.Attribute{
					model.Str("service.name", fmt.Sprintf("svc%d", (tr+r)%4)),
					{Key: "env", Value: pick(model.StringValue("prod"), model.StringValue("dev"), model.IntValue(3))},
					{Key: "region", Value: pick(model.StringValue("eu"), model.StringValue("us"))},
				}}
				if rng.Intn(3) == 0 {
					res.Attributes = append(res.Attributes, model.Str("host", fmt.Sprint("h", rng.Intn(3))))
				}
				sc := model.Scope{Name: "lib", Attributes: []model.Attribute{{Key: "lib.v", Value: pick(model.IntValue(1), model.IntValue(2))}}}
				for k := 0; k < 4; k++ {
					n := blk*100 + r*10 + k + 1
					sp := model.Span{TraceID: id, SpanID: sid(byte(tr), byte(n)), Name: pick(model.StringValue("a"), model.StringValue("b"), model.StringValue("c")).Str,
						Kind:              model.SpanKind(rng.Intn(4)),
						StartTimeUnixNano: diffBase + uint64(tr)*1e9 + uint64(rng.Intn(1000))*1e6,
						Status:            model.Status{Code: model.StatusCode(rng.Intn(3))}}
					sp.EndTimeUnixNano = sp.StartTimeUnixNano + uint64(rng.Intn(2000))*1e6
					if r+k > 0 || rng.Intn(4) == 0 {
						sp.ParentSpanID = sid(byte(tr), byte(blk*100+1))
					}
					sp.Attributes = []model.Attribute{
						{Key: "db", Value: pick(model.StringValue("pg"), model.StringValue("my"))},
						{Key: "k", Value: pick(model.IntValue(1), model.IntValue(500), model.DoubleValue(2.5), model.StringValue("x"), model.ArrayValue(model.IntValue(500), model.IntValue(1)))},
						{Key: "other", Value: pick(model.StringValue("o1"), model.BoolValue(true), model.IntValue(9))},
					}
					if rng.Intn(2) == 0 {
						sp.Attributes = append(sp.Attributes, model.Str("http.method", pick(model.StringValue("GET"), model.StringValue("POST")).Str))
					}
					if rng.Intn(3) == 0 {
						sp.Attributes = append(sp.Attributes, model.Str("env", "spanenv"))
					}
					if rng.Intn(2) == 0 {
						sp.Events = append(sp.Events, model.Event{TimeUnixNano: sp.StartTimeUnixNano + 1, Name: "ev",
							Attributes: []model.Attribute{model.Int("ek", int64(rng.Intn(3))), model.Str("eo", "z")}})
					}
					if rng.Intn(3) == 0 {
						ln := model.Link{TraceID: id, SpanID: sid(byte(tr), 1), Attributes: []model.Attribute{model.Int("lk", int64(rng.Intn(3)))}}
						if rng.Intn(2) == 0 {
							ln.Attributes = append(ln.Attributes, model.Str(model.RefTypeKey, "child_of"))
						}
						sp.Links = append(sp.Links, ln)
					}
					if k == 3 && r == 0 && tr%40 == 5 {
						// a span without an ID, in both blocks for split traces
						sp.SpanID = model.SpanID{}
						sp.StartTimeUnixNano = diffBase + uint64(tr)*1e9
						sp.EndTimeUnixNano = sp.StartTimeUnixNano + 5e6
						sp.Attributes = append(sp.Attributes, model.Int("noid", int64(blk)))
					}
					b.AddSpan(&res, "", &sc, "", sp)
				}
			}
		}
		if _, err := s.WriteBlock(ctx, b.Traces(), WriteOptions{DedicatedColumns: ded, RowGroupBytes: 20 << 10}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestAttributeKeysSameAnswers runs queries with the attribute keys the
// query names and with every attribute, and compares the outputs.
func TestAttributeKeysSameAnswers(t *testing.T) {
	t.Run("mem", func(t *testing.T) { diffQueries(t, diffStore(t, memStore(t)), diffSearches, diffMetrics, diffBase) })
	t.Run("file", func(t *testing.T) { diffQueries(t, diffStore(t, fileStore(t)), diffSearches, diffMetrics, diffBase) })
	t.Run("tempo", func(t *testing.T) {
		s := tempoStore(t)
		metas, err := s.Blocks(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		diffQueries(t, s, []string{
			`{ }`, `{ span.http.method = "GET" }`, `{ .instance != nil }`, `{ resource.ip != nil } | select(span.region)`,
			`{ span.http.url =~ ".*a.*" }`, `{ .host.name != nil }`, `{ resource.service.name != "x" }`,
			`{ } | by(span.version) | select(resource.opencensus.exporterversion)`, `{ span.sampler.param > 0 }`,
			`{ trace:rootService != "x" }`, `{ } >> { .starter != nil }`,
		}, []string{`{ } | rate() by (span.http.method)`, `{ } | count_over_time() by (resource.host.name)`},
			uint64(metas[0].StartTime.UnixNano()))
	})
}

var (
	diffSearches = []string{
		`{ }`,
		`{ span.db = "pg" }`,
		`{ span.k >= 500 }`,
		`{ span.k = 2.5 }`,
		`{ .k > 1 }`,
		`{ .env = "prod" }`,
		`{ .env = "spanenv" }`,
		`{ resource.env = 3 }`,
		`{ resource.region = "eu" }`,
		`{ resource.host != nil }`,
		`{ event.ek = 1 }`,
		`{ .ek = 2 }`,
		`{ link.lk = 1 }`,
		`{ .lk = 2 }`,
		`{ instrumentation.lib.v = 2 }`,
		`{ span.http.method = "GET" }`,
		`{ span.noid != nil }`,
		`{ status = error }`,
		`{ trace:rootService = "svc1" }`,
		`{ trace:rootName = "a" }`,
		`{ span.db = "pg" } >> { span.k = 500 }`,
		`{ span.db = "pg" } ~ { span.db = "my" }`,
		`{ } | by(resource.service.name) | count() > 2`,
		`{ } | by(.env) | select(span.db, resource.region)`,
		`{ span.k = 500 } | select(.other, event.eo)`,
		`{ } | avg(span.k) > 2`,
		`{ resource.service.name = "svc2" } | select(span.other)`,
		`{ span.other = true } && { resource.region = "us" }`,
		`{ span:childCount > 1 }`,
	}
	diffMetrics = []string{
		`{ } | rate() by (span.db)`,
		`{ } | count_over_time() by (resource.env)`,
		`{ span.k >= 500 } | rate() by (.env)`,
		`{ } | avg_over_time(span.k) by (resource.region)`,
		`{ span.db = "pg" } >> { } | rate() by (span.other)`,
		`{ } | quantile_over_time(duration, .9) by (event.ek)`,
		`{ } | count_over_time() by (link.lk)`,
		`{ } | compare({ status = error })`,
	}
)

func diffQueries(t *testing.T, s *Store, searches, metrics []string, base uint64) {
	ctx := context.Background()
	// same runs q through out with the query's keys and with every
	// attribute, and compares the outputs.
	same := func(q string, out func(src store.Source) (interface{ WriteTempoJSON(io.Writer) error }, error)) {
		text := func(src store.Source) string {
			r, err := out(src)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			var buf bytes.Buffer
			if err := r.WriteTempoJSON(&buf); err != nil {
				t.Fatal(err)
			}
			return buf.String()
		}
		got, want := text(s), text(allKeys{s})
		if got != want {
			t.Errorf("%s: output differs\n keys: %.600s\n all:  %.600s", q, got, want)
		}
		t.Logf("%s: %d bytes", q, len(got))
	}
	for _, q := range searches {
		same(q, func(src store.Source) (interface{ WriteTempoJSON(io.Writer) error }, error) {
			r, err := eval.Search(ctx, src, q, eval.SearchOptions{Limit: 1000, SpansPerSpanSet: 100})
			if err != nil {
				return nil, err
			}
			t.Cleanup(func() { r.Close() })
			return searchJSON{r}, nil
		})
	}
	opts := eval.MetricsOptions{Start: time.Unix(0, int64(base)-int64(time.Hour)), End: time.Unix(0, int64(base)+int64(3*time.Hour)), Step: 10 * time.Minute}
	for _, q := range metrics {
		same(q, func(src store.Source) (interface{ WriteTempoJSON(io.Writer) error }, error) {
			return eval.Metrics(ctx, src, q, opts)
		})
	}
}

// searchJSON writes a search result's Tempo JSON without its metrics.
type searchJSON struct{ r *eval.SearchResult }

func (j searchJSON) WriteTempoJSON(w io.Writer) error {
	return j.r.WriteTempoJSON(w, eval.TempoSearchMetrics{})
}
