package gen

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand"
	"time"

	"github.com/tracectl/tracectl/model"
)

// Options configure a Generator. Zero values take the defaults.
type Options struct {
	Seed     int64
	Services int       // 10–50 services (default 12)
	Start    time.Time // first trace start (default 2026-01-01T00:00:00Z)
	// TracesPerSecond spaces trace starts (exponential inter-arrival
	// times; default 50).
	TracesPerSecond float64
	ErrorRate       float64 // share of traces with a failing span (default 0.02)
	SlowRate        float64 // share of traces ten to fifty times slower (default 0.005)
	PIIRate         float64 // share of traces carrying PII-like attributes (default 0.01)
}

func (o *Options) defaults() {
	if o.Services == 0 {
		o.Services = 12
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if o.TracesPerSecond == 0 {
		o.TracesPerSecond = 50
	}
	if o.ErrorRate == 0 {
		o.ErrorRate = 0.02
	}
	if o.SlowRate == 0 {
		o.SlowRate = 0.005
	}
	if o.PIIRate == 0 {
		o.PIIRate = 0.01
	}
}

// Generator produces traces one at a time.
type Generator struct {
	opts Options
	rng  *rand.Rand
	topo topology
	next float64 // next trace start, Unix ns
	res  []model.Resource
	scp  []model.Scope
}

// New returns a generator for opts.
func New(opts Options) *Generator {
	opts.defaults()
	rng := rand.New(rand.NewSource(opts.Seed)) //nolint:gosec // reproducible data, not secrets
	g := &Generator{opts: opts, rng: rng, topo: newTopology(rng, opts.Services), next: float64(opts.Start.UnixNano())}
	for i, s := range g.topo.services {
		g.res = append(g.res, model.Resource{Attributes: []model.Attribute{
			model.Str("service.name", s.name),
			model.Str("service.version", fmt.Sprintf("1.%d.%d", rng.Intn(10), rng.Intn(30))),
			model.Str("deployment.environment", "production"),
			model.Str("telemetry.sdk.language", s.lang),
			model.Str("k8s.namespace.name", "shop"),
			model.Str("k8s.pod.name", fmt.Sprintf("%s-%x-%05x", s.name, rng.Intn(1<<24), i*7919%(1<<20))),
			model.Str("host.name", fmt.Sprintf("node-%d", rng.Intn(8))),
		}})
		g.scp = append(g.scp, model.Scope{Name: "io.opentelemetry." + s.lang, Version: "1.30.0"})
	}
	return g
}

// Services returns the service names of the topology.
func (g *Generator) Services() []string {
	out := make([]string, len(g.topo.services))
	for i, s := range g.topo.services {
		out[i] = s.name
	}
	return out
}

// traceState is the trace being built.
type traceState struct {
	hops   map[*pending]int // services between the gateway and a server span
	g      *Generator
	id     model.TraceID
	b      *model.TraceBuilder
	budget int     // spans still to create
	scale  float64 // duration factor (slow outliers)
	pii    bool
	spans  []*pending
}

// pending is a span whose children are still being placed.
type pending struct {
	span    model.Span
	service int
	depth   int
}

// Distinct returns the next n traces with distinct IDs, sorted by ID (as
// a block holds them).
func (g *Generator) Distinct(n int) []*model.Trace {
	seen := map[model.TraceID]bool{}
	out := make([]*model.Trace, 0, n)
	for len(out) < n {
		t := g.Trace()
		if !seen[t.TraceID] {
			seen[t.TraceID] = true
			out = append(out, t)
		}
	}
	model.SortTraces(out)
	return out
}

// Trace returns the next trace: 5–60 spans, its start after the previous
// trace's.
func (g *Generator) Trace() *model.Trace {
	g.next += g.rng.ExpFloat64() / g.opts.TracesPerSecond * 1e9
	ts := &traceState{g: g, b: model.NewTraceBuilder(), scale: 1, hops: map[*pending]int{}}
	binary.BigEndian.PutUint64(ts.id[:8], g.rng.Uint64())
	binary.BigEndian.PutUint64(ts.id[8:], g.rng.Uint64())
	// Span budgets skew small (most requests are simple), up to 60.
	ts.budget = 5 + int(56*math.Pow(g.rng.Float64(), 2))
	if g.rng.Float64() < g.opts.SlowRate {
		ts.scale = 10 + 40*g.rng.Float64()
	}
	ts.pii = g.rng.Float64() < g.opts.PIIRate
	root := ts.serve(0, model.SpanID{}, uint64(g.next), 0, 0)
	for len(ts.spans) < 5 { // small requests still do some work in-process
		ts.internal(root)
	}
	if g.rng.Float64() < g.opts.ErrorRate {
		ts.fail()
	}
	for _, p := range ts.spans {
		ts.b.AddSpan(&g.res[p.service], g.topo.services[p.service].name, &g.scp[p.service], "", p.span)
	}
	out := ts.b.Traces()
	return out[0]
}

// duration draws a log-normal duration (ns) around median ms.
func (ts *traceState) duration(medianMs float64) uint64 {
	d := medianMs * math.Exp(0.6*ts.g.rng.NormFloat64()) * ts.scale
	return uint64(d * 1e6)
}

func (ts *traceState) spanID() model.SpanID {
	var id model.SpanID
	binary.BigEndian.PutUint64(id[:], ts.g.rng.Uint64()|1)
	return id
}

func (ts *traceState) add(p *pending) *pending {
	p.span.TraceID = ts.id
	p.span.SpanID = ts.spanID()
	ts.spans = append(ts.spans, p)
	ts.budget--
	return p
}

// serve creates the SERVER span of service svc handling a request that
// starts at start (hops services away from the gateway), and everything it
// calls; it returns the span.
func (ts *traceState) serve(svc int, parent model.SpanID, start uint64, depth, hops int) *pending {
	g := ts.g
	s := &g.topo.services[svc]
	op := s.ops[g.rng.Intn(len(s.ops))]
	self := ts.duration(op.medianMs)
	p := ts.add(&pending{service: svc, depth: depth, span: model.Span{
		ParentSpanID: parent, Name: op.method + " " + op.route, Kind: model.KindServer,
		StartTimeUnixNano: start,
		Attributes: []model.Attribute{
			model.Str("http.request.method", op.method),
			model.Str("http.route", op.route),
			model.Str("url.path", ts.path(op.route)),
			model.Str("url.scheme", "http"),
			model.Str("server.address", s.name),
			model.Int("server.port", 8080),
			model.Str("network.protocol.version", "1.1"),
			model.Int("http.response.status_code", 200),
		},
	}})
	ts.hops[p] = hops
	if svc == 0 {
		p.span.Attributes = append(p.span.Attributes,
			model.Str("user_agent.original", userAgents[g.rng.Intn(len(userAgents))]),
			model.Str("client.address", fmt.Sprintf("10.%d.%d.%d", g.rng.Intn(256), g.rng.Intn(256), 1+g.rng.Intn(254))))
		if ts.pii {
			p.span.Attributes = append(p.span.Attributes,
				model.Str("user.email", fmt.Sprintf("user%d@example.com", g.rng.Intn(100000))),
				model.Str("url.query", fmt.Sprintf("email=user%d%%40example.com", g.rng.Intn(100000))))
		}
	}
	if ts.pii && s.name == "payments" {
		p.span.Attributes = append(p.span.Attributes, model.Str("payment.card_number", luhnCard(g.rng)))
	}
	// Children run one after the other inside the span.
	t := start + uint64(200_000+g.rng.Intn(300_000))
	for _, call := range ts.plan(svc, hops) {
		if ts.budget < spansOf(call) {
			continue
		}
		t = ts.child(p, call, t) + uint64(50_000+g.rng.Intn(200_000))
	}
	p.span.EndTimeUnixNano = t + self
	return p
}

// call kinds a span can make.
const (
	callHTTP = iota
	callDB
	callCache
	callProduce
)

type call struct{ kind, target int }

// plan picks the calls a service makes for one request (at most six
// services deep); serve makes those the span budget still allows.
func (ts *traceState) plan(svc, hops int) []call {
	g := ts.g
	s := &g.topo.services[svc]
	var out []call
	if s.kv && g.rng.Intn(2) == 0 {
		out = append(out, call{kind: callCache})
	}
	if s.db {
		n := 1 + g.rng.Intn(2)
		if g.rng.Intn(10) == 0 {
			n = 5 + g.rng.Intn(15) // the N+1 query pattern
		}
		for ; n > 0; n-- {
			out = append(out, call{kind: callDB})
		}
	}
	if svc == 0 { // the gateway routes each request to one or two services
		for n := 1 + g.rng.Intn(2); n > 0; n-- {
			out = append(out, call{kind: callHTTP, target: 1 + g.rng.Intn(len(g.topo.services)-1)})
		}
		return out
	}
	if hops < 6 {
		for _, c := range s.calls {
			if hops > 0 && g.rng.Intn(3) == 0 {
				continue
			}
			out = append(out, call{kind: callHTTP, target: c})
		}
	}
	if s.produces != "" {
		out = append(out, call{kind: callProduce})
	}
	return out
}

// spansOf is how many spans a call creates before its callee's own calls.
func spansOf(c call) int {
	if c.kind == callHTTP || c.kind == callProduce {
		return 2
	}
	return 1
}

// child creates the spans of one call made by parent at start and returns
// their end.
func (ts *traceState) child(parent *pending, c call, start uint64) uint64 {
	g := ts.g
	s := &g.topo.services[parent.service]
	switch c.kind {
	case callDB:
		op := dbOps[g.rng.Intn(len(dbOps))]
		p := ts.add(&pending{service: parent.service, depth: parent.depth + 1, span: model.Span{
			ParentSpanID: parent.span.SpanID, Name: op.op + " " + s.name, Kind: model.KindClient,
			StartTimeUnixNano: start,
			Attributes: []model.Attribute{
				model.Str("db.system", "postgresql"), model.Str("db.name", s.name),
				model.Str("db.operation", op.op), model.Str("db.statement", fmt.Sprintf(op.stmt, s.name)),
				model.Str("server.address", "postgres"), model.Int("server.port", 5432),
			},
		}})
		p.span.EndTimeUnixNano = start + ts.duration(op.medianMs)
		return p.span.EndTimeUnixNano
	case callCache:
		cmd := []string{"GET", "SET", "HGET", "EXPIRE"}[g.rng.Intn(4)]
		p := ts.add(&pending{service: parent.service, depth: parent.depth + 1, span: model.Span{
			ParentSpanID: parent.span.SpanID, Name: cmd, Kind: model.KindClient, StartTimeUnixNano: start,
			Attributes: []model.Attribute{
				model.Str("db.system", "redis"), model.Str("db.operation", cmd),
				model.Str("server.address", "redis"), model.Int("server.port", 6379),
			},
		}})
		p.span.EndTimeUnixNano = start + ts.duration(0.4)
		return p.span.EndTimeUnixNano
	case callProduce:
		prod := ts.add(&pending{service: parent.service, depth: parent.depth + 1, span: model.Span{
			ParentSpanID: parent.span.SpanID, Name: s.produces + " publish", Kind: model.KindProducer,
			StartTimeUnixNano: start,
			Attributes: []model.Attribute{
				model.Str("messaging.system", "kafka"), model.Str("messaging.destination.name", s.produces),
				model.Str("messaging.operation", "publish"), model.Str("server.address", "kafka"),
			},
		}})
		prod.span.EndTimeUnixNano = start + ts.duration(1)
		// The consumer runs later, outside the request.
		cs := prod.span.EndTimeUnixNano + uint64(1e6+g.rng.Intn(50e6))
		cons := ts.add(&pending{service: ts.g.topo.consumer, depth: parent.depth + 2, span: model.Span{
			ParentSpanID: prod.span.SpanID, Name: s.produces + " process", Kind: model.KindConsumer,
			StartTimeUnixNano: cs,
			Attributes: []model.Attribute{
				model.Str("messaging.system", "kafka"), model.Str("messaging.destination.name", s.produces),
				model.Str("messaging.operation", "process"), model.Str("messaging.consumer.group.name", "notifier"),
			},
		}})
		cons.span.EndTimeUnixNano = cs + ts.duration(3)
		return prod.span.EndTimeUnixNano
	}
	callee := &g.topo.services[c.target]
	op := callee.ops[g.rng.Intn(len(callee.ops))]
	cl := ts.add(&pending{service: parent.service, depth: parent.depth + 1, span: model.Span{
		ParentSpanID: parent.span.SpanID, Name: op.method, Kind: model.KindClient, StartTimeUnixNano: start,
		Attributes: []model.Attribute{
			model.Str("http.request.method", op.method),
			model.Str("url.full", "http://"+callee.name+":8080"+ts.path(op.route)),
			model.Str("server.address", callee.name), model.Int("server.port", 8080),
			model.Int("http.response.status_code", 200),
		},
	}})
	srv := ts.serve(c.target, cl.span.SpanID, start+uint64(100_000+g.rng.Intn(400_000)), parent.depth+2, ts.hops[parent]+1)
	cl.span.EndTimeUnixNano = srv.span.EndTimeUnixNano + uint64(100_000+g.rng.Intn(400_000))
	return cl.span.EndTimeUnixNano
}

// internal adds an INTERNAL span at the end of parent's time.
func (ts *traceState) internal(parent *pending) {
	names := []string{"validate request", "render response", "serialize"}
	p := ts.add(&pending{service: parent.service, depth: parent.depth + 1, span: model.Span{
		ParentSpanID: parent.span.SpanID, Name: names[ts.g.rng.Intn(len(names))], Kind: model.KindInternal,
		StartTimeUnixNano: parent.span.EndTimeUnixNano,
	}})
	p.span.EndTimeUnixNano = p.span.StartTimeUnixNano + ts.duration(0.3)
	parent.span.EndTimeUnixNano = p.span.EndTimeUnixNano + uint64(20_000)
}

// fail makes a random span fail (status error with an exception event)
// and the spans above it report HTTP 500 with some probability each.
func (ts *traceState) fail() {
	g := ts.g
	p := ts.spans[g.rng.Intn(len(ts.spans))]
	p.span.Status = model.Status{Code: model.StatusError, Message: "connection reset by peer"}
	p.span.Events = append(p.span.Events, model.Event{
		TimeUnixNano: p.span.EndTimeUnixNano, Name: "exception",
		Attributes: []model.Attribute{
			model.Str("exception.type", "IOException"),
			model.Str("exception.message", "connection reset by peer"),
		},
	})
	byID := map[model.SpanID]*pending{}
	for _, q := range ts.spans {
		byID[q.span.SpanID] = q
	}
	for q := byID[p.span.ParentSpanID]; q != nil && g.rng.Float64() < 0.8; q = byID[q.span.ParentSpanID] {
		q.span.Status = model.Status{Code: model.StatusError}
		for i := range q.span.Attributes {
			if q.span.Attributes[i].Key == "http.response.status_code" {
				q.span.Attributes[i].Value = model.IntValue(500)
			}
		}
	}
}

// path fills a route's {id} placeholders.
func (ts *traceState) path(route string) string {
	out := []byte{}
	for i := 0; i < len(route); i++ {
		if route[i] == '{' {
			for i < len(route) && route[i] != '}' {
				i++
			}
			out = fmt.Appendf(out, "%d", ts.g.rng.Intn(100000))
			continue
		}
		out = append(out, route[i])
	}
	return string(out)
}

var dbOps = []struct {
	op, stmt string
	medianMs float64
}{
	{"SELECT", "SELECT * FROM %s WHERE id = $1", 1.5},
	{"SELECT", "SELECT id, name FROM %s ORDER BY created_at DESC LIMIT 20", 4},
	{"INSERT", "INSERT INTO %s (id, payload) VALUES ($1, $2)", 2.5},
	{"UPDATE", "UPDATE %s SET updated_at = now() WHERE id = $1", 2},
}

var userAgents = []string{
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
	"okhttp/4.12.0",
}

// luhnCard returns a 16-digit number that passes the Luhn check.
func luhnCard(rng *rand.Rand) string {
	d := make([]int, 16)
	d[0] = 4
	for i := 1; i < 15; i++ {
		d[i] = rng.Intn(10)
	}
	sum := 0
	for i := 0; i < 15; i++ {
		v := d[14-i]
		if i%2 == 0 {
			if v *= 2; v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	d[15] = (10 - sum%10) % 10
	out := make([]byte, 16)
	for i, v := range d {
		out[i] = byte('0' + v)
	}
	return string(out)
}
