package metricsgen

import (
	"fmt"

	"github.com/tracectl/tracectl/model"
)

// Connection types (the connection_type label).
const (
	ConnNone      = ""
	ConnMessaging = "messaging_system"
	ConnDatabase  = "database"
	ConnVirtual   = "virtual_node"
)

// side is one span of an edge.
type side struct {
	service string
	span    *model.Span
	dims    []Label
}

// edge is a request between two services, built while a trace is read.
type edge struct {
	client, server *side // nil, or the sides below (or a virtual side)
	cside, sside   side
	connType       string
	failed         bool
	// peer is the first virtual-node peer attribute on the client span.
	peer string
	// rootServer: the server span has no parent (a caller that is not traced).
	rootServer bool
	virtual    string // "client" or "server" for virtual nodes
	serverNs   uint64
	clientNs   uint64
}

// Edge is a completed edge as the graph sees it.
type Edge struct {
	Client, Server, ConnectionType string
	Failed                         bool
	// ServerNs and ClientNs are the two sides' request times.
	ServerNs, ClientNs uint64
}

// serviceGraph pairs client and server spans into edges and records them.
type serviceGraph struct {
	o         *Options
	tl        *timeline
	tempo     bool
	total     *familyAcc
	failed    *familyAcc
	server    *familyAcc
	client    *familyAcc
	messaging *familyAcc
	lim       *limiter
	rows      *seriesRows // total, failed, server, client, messaging by label set
	onEdge    func(Edge, uint64)
	// Unpaired counts server spans whose client never showed up and
	// whose parent is set (dropped, as the Collector does on expiry).
	unpaired int
	scratch  []Label
	// Reused from trace to trace: the half edges waiting for their other
	// side (empty between traces), the order they came in, and the edges.
	pending map[model.SpanID]*edge
	order   []model.SpanID
	edges   []edge
}

func newServiceGraph(o *Options, tl *timeline, onEdge func(Edge, uint64)) (*serviceGraph, error) {
	g := &serviceGraph{o: o, tl: tl, tempo: o.Naming != NamingOTel, lim: newLimiter("service graph", o.MaxSeries), onEdge: onEdge}
	b := o.GraphBuckets
	g.total = newFamily("traces_service_graph_request", Counter, "Requests between two services.", "", nil)
	g.failed = newFamily("traces_service_graph_request_failed", Counter, "Failed requests between two services.", "", nil)
	g.server = newFamily("traces_service_graph_request_server_seconds", Histogram, "Request time seen by the server.", "seconds", b)
	g.client = newFamily("traces_service_graph_request_client_seconds", Histogram, "Request time seen by the client.", "seconds", b)
	g.messaging = newFamily("traces_service_graph_request_messaging_system_seconds", Histogram, "Time between a producer span's end and its consumer span's start.", "seconds", b)
	g.rows = newSeriesRows(g.lim, g.total, g.failed, g.server, g.client, g.messaging)
	seen := map[string]string{"client": "", "server": "", "connection_type": "", "failed": "", "virtual_node": ""}
	for _, d := range o.GraphDimensions {
		names := []string{"client_" + LabelName(d), "server_" + LabelName(d)}
		if g.tempo {
			names = []string{LabelName(d)}
		}
		for _, n := range names {
			if prev, ok := seen[n]; ok {
				return nil, fmt.Errorf("graph dimension %q: label %q is already taken%s", d, n, by(prev))
			}
			seen[n] = d
		}
	}
	return g, nil
}

func by(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf(" by %q", s)
}

// trace finds the edges of one trace. Spans are paired in file order, as
// the Collector pairs them in arrival order: a client span waits under its
// span ID, a server span under its parent's; the first pair completes the
// edge. What is still waiting at the end of the trace expires.
func (g *serviceGraph) trace(t *model.Trace, inRange func(uint64) bool) {
	if g.pending == nil {
		g.pending = map[model.SpanID]*edge{}
	}
	pending := g.pending
	order := g.order[:0]
	// Each span starts at most one edge: with room for every span, edges
	// never moves while pointers into it are held.
	n := 0
	for i := range t.ResourceSpans {
		for j := range t.ResourceSpans[i].ScopeSpans {
			n += len(t.ResourceSpans[i].ScopeSpans[j].Spans)
		}
	}
	if cap(g.edges) < n {
		g.edges = make([]edge, 0, n)
	}
	edges := g.edges[:0]
	get := func(k model.SpanID) *edge {
		e := pending[k]
		if e == nil {
			edges = append(edges, edge{})
			e = &edges[len(edges)-1]
			pending[k] = e
			order = append(order, k)
		}
		return e
	}
	t.Spans(func(r model.SpanRef) bool {
		svc := r.Resource.ServiceName()
		sp := r.Span
		if svc == "" {
			return true
		}
		switch sp.Kind {
		case model.KindClient, model.KindProducer:
			e := get(sp.SpanID)
			e.cside = side{service: svc, span: sp, dims: g.dims("client", r)}
			e.client = &e.cside
			e.clientNs = sp.Duration()
			e.failed = e.failed || sp.Status.Code == model.StatusError
			if sp.Kind == model.KindProducer {
				e.connType = ConnMessaging
			}
			for _, k := range g.o.PeerAttributes {
				if v, ok := model.Find(sp.Attributes, k); ok {
					e.peer = attrString(v)
					break
				}
			}
			for _, k := range g.o.DatabaseAttributes {
				if db, ok := lookup(k, r.Resource.Attributes, sp.Attributes); ok {
					e.connType = ConnDatabase
					e.sside = side{service: db}
					e.server = &e.sside
					e.serverNs = e.clientNs
					break
				}
			}
			if e.server != nil {
				g.complete(e, inRange)
				delete(pending, sp.SpanID)
			}
		case model.KindServer, model.KindConsumer:
			e := get(sp.ParentSpanID)
			e.sside = side{service: svc, span: sp, dims: g.dims("server", r)}
			e.server = &e.sside
			e.serverNs = sp.Duration()
			e.failed = e.failed || sp.Status.Code == model.StatusError
			e.rootServer = sp.ParentSpanID.IsZero()
			if sp.Kind == model.KindConsumer {
				e.connType = ConnMessaging
			}
			if e.client != nil {
				g.complete(e, inRange)
				delete(pending, sp.ParentSpanID)
			}
		}
		return true
	})
	for _, k := range order {
		e := pending[k]
		if e == nil {
			continue
		}
		delete(pending, k)
		g.expire(e, inRange)
	}
	g.order = order
	clear(edges) // drop the span pointers
}

// expire turns a half edge into a virtual-node edge: a root server span
// gets the client "user", a client span gets its peer attribute (or
// "unknown") as server. A server span with a parent that is not a client
// span of this trace is dropped.
func (g *serviceGraph) expire(e *edge, inRange func(uint64) bool) {
	switch {
	case e.client == nil && e.rootServer:
		e.cside = side{service: "user"}
		e.client = &e.cside
		e.virtual = "client"
	case e.server == nil && e.client != nil:
		srv := e.peer
		if srv == "" {
			srv = "unknown"
		}
		e.sside = side{service: srv}
		e.server = &e.sside
		e.virtual = "server"
	default:
		g.unpaired++
		return
	}
	e.connType = ConnVirtual
	g.complete(e, inRange)
}

// dims returns the side's dimension labels; resource attributes first, as
// the Collector's service graph looks them up.
func (g *serviceGraph) dims(kind string, r model.SpanRef) []Label {
	var out []Label
	for _, d := range g.o.GraphDimensions {
		v, ok := lookup(d, r.Resource.Attributes, r.Span.Attributes)
		if !ok {
			continue
		}
		name := LabelName(d)
		if !g.tempo {
			name = kind + "_" + name
		}
		out = append(out, Label{name, v})
	}
	return out
}

// complete records a paired edge whose time (the later span end) is in range.
func (g *serviceGraph) complete(e *edge, inRange func(uint64) bool) {
	var end uint64
	var ex Exemplar // zero (none kept) with Options.NoExemplars
	for _, s := range []*side{e.client, e.server} {
		if s != nil && s.span != nil && s.span.EndTimeUnixNano >= end {
			end = s.span.EndTimeUnixNano
			if !g.o.NoExemplars {
				ex = Exemplar{TraceID: s.span.TraceID, SpanID: s.span.SpanID, TimeUnixNano: end}
			}
		}
	}
	if !inRange(end) {
		return
	}
	step := g.tl.stepOf(end)
	lb := append(g.scratch[:0], Label{"client", e.client.service}, Label{"server", e.server.service})
	if e.connType != ConnNone {
		lb = append(lb, Label{"connection_type", e.connType})
	}
	if !g.tempo {
		lb = append(lb, Label{"failed", fmt.Sprint(e.failed)})
	}
	lb = appendDims(lb, e.client.dims)
	lb = appendDims(lb, e.server.dims)
	if g.o.VirtualNodeLabel && e.virtual != "" {
		lb = append(lb, Label{"virtual_node", e.virtual})
	}
	g.scratch = lb
	row := g.rows.rowOf(lb)
	ex.Value = 1
	g.rows.add(row, 0, step, 1, &ex)
	if e.failed {
		g.rows.add(row, 1, step, 1, &ex)
	}
	g.rows.observe(row, 2, step, e.serverNs, &ex)
	g.rows.observe(row, 3, step, e.clientNs, &ex)
	if e.connType == ConnMessaging && e.client.span != nil && e.server.span != nil {
		var gap uint64
		if s, c := e.server.span.StartTimeUnixNano, e.client.span.EndTimeUnixNano; s > c {
			gap = s - c
		}
		g.rows.observe(row, 4, step, gap, &ex)
	}
	if g.onEdge != nil {
		g.onEdge(Edge{Client: e.client.service, Server: e.server.service, ConnectionType: e.connType,
			Failed: e.failed, ServerNs: e.serverNs, ClientNs: e.clientNs}, end)
	}
}

// appendDims adds dimension labels; with Tempo's unprefixed names a label
// already set (by the client side) is kept.
func appendDims(lb, dims []Label) []Label {
next:
	for _, d := range dims {
		for _, l := range lb {
			if l.Name == d.Name {
				continue next
			}
		}
		lb = append(lb, d)
	}
	return lb
}

func (g *serviceGraph) families(tl *timeline) []*Family {
	out := []*Family{g.total.finish(tl), g.failed.finish(tl), g.server.finish(tl), g.client.finish(tl)}
	if len(g.messaging.series) > 0 {
		out = append(out, g.messaging.finish(tl))
	}
	return out
}
