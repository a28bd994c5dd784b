package metricsgen

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Graph is the service dependency graph over the time range.
type Graph struct {
	Start time.Time   `json:"start,omitzero"` // zero (left out): no bound and no edge
	End   time.Time   `json:"end,omitzero"`
	Nodes []GraphNode `json:"nodes"`
	Edges []GraphEdge `json:"edges"`
}

// GraphNode is a service. Requests and Failed count the edges it served;
// Virtual nodes are peers seen only from the other side (user, databases,
// uninstrumented services).
type GraphNode struct {
	Name      string  `json:"name"`
	Virtual   bool    `json:"virtual"`
	Requests  uint64  `json:"requests"`
	Failed    uint64  `json:"failed"`
	RPS       float64 `json:"rps"`
	ErrorRate float64 `json:"errorRate"`
}

// GraphEdge is a client→server pair with its request count.
type GraphEdge struct {
	Client         string  `json:"client"`
	Server         string  `json:"server"`
	ConnectionType string  `json:"connectionType,omitempty"`
	Requests       uint64  `json:"requests"`
	Failed         uint64  `json:"failed"`
	ErrorRate      float64 `json:"errorRate"`
	// AvgServerSeconds is the mean request time seen by the server.
	AvgServerSeconds float64 `json:"avgServerSeconds"`
}

type edgeKey struct{ client, server, conn string }

type edgeAcc struct {
	requests, failed uint64
	serverNs         uint64
}

// graphAcc collects edges for the graph while the metrics are recorded.
type graphAcc struct {
	real  map[string]bool
	edges int
	acc   map[edgeKey]*edgeAcc
}

func newGraphAcc() *graphAcc {
	return &graphAcc{real: map[string]bool{}, acc: map[edgeKey]*edgeAcc{}}
}

func (a *graphAcc) service(name string) { a.real[name] = true }

func (a *graphAcc) add(e Edge, _ uint64) {
	a.edges++
	k := edgeKey{e.Client, e.Server, e.ConnectionType}
	x := a.acc[k]
	if x == nil {
		x = &edgeAcc{}
		a.acc[k] = x
	}
	x.requests++
	if e.Failed {
		x.failed++
	}
	x.serverNs += e.ServerNs
}

func ratio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (a *graphAcc) finish(start, end time.Time) *Graph {
	g := &Graph{Start: start, End: end, Nodes: []GraphNode{}, Edges: []GraphEdge{}}
	secs := end.Sub(start).Seconds()
	nodes := map[string]*GraphNode{}
	node := func(name string) *GraphNode {
		n := nodes[name]
		if n == nil {
			n = &GraphNode{Name: name, Virtual: !a.real[name]}
			nodes[name] = n
		}
		return n
	}
	for name := range a.real {
		node(name)
	}
	for k, x := range a.acc {
		g.Edges = append(g.Edges, GraphEdge{
			Client: k.client, Server: k.server, ConnectionType: k.conn,
			Requests: x.requests, Failed: x.failed, ErrorRate: ratio(x.failed, x.requests),
			AvgServerSeconds: float64(x.serverNs) / 1e9 / float64(x.requests),
		})
		node(k.client)
		s := node(k.server)
		s.Requests += x.requests
		s.Failed += x.failed
	}
	for _, n := range nodes {
		if secs > 0 {
			n.RPS = float64(n.Requests) / secs
		}
		n.ErrorRate = ratio(n.Failed, n.Requests)
		g.Nodes = append(g.Nodes, *n)
	}
	sort.Slice(g.Nodes, func(i, j int) bool { return g.Nodes[i].Name < g.Nodes[j].Name })
	sort.Slice(g.Edges, func(i, j int) bool {
		a, b := g.Edges[i], g.Edges[j]
		if a.Client != b.Client {
			return a.Client < b.Client
		}
		if a.Server != b.Server {
			return a.Server < b.Server
		}
		return a.ConnectionType < b.ConnectionType
	})
	return g
}

func pct(f float64) string { return strconv.FormatFloat(100*f, 'f', 1, 64) + "%" }

func rps(f float64) string { return strconv.FormatFloat(f, 'f', 3, 64) + "/s" }

// WriteDOT renders the graph for Graphviz: nodes show requests per second
// and error rate (red when any request failed), edge labels the calls.
func (g *Graph) WriteDOT(w io.Writer) error {
	var b strings.Builder
	b.WriteString("digraph services {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n")
	for _, n := range g.Nodes {
		attrs := fmt.Sprintf("label=%s", strconv.Quote(fmt.Sprintf("%s\n%s, %s errors", n.Name, rps(n.RPS), pct(n.ErrorRate))))
		if n.Virtual {
			attrs += ", style=\"rounded,dashed\""
		}
		if n.Failed > 0 {
			attrs += ", color=red"
		}
		fmt.Fprintf(&b, "  %s [%s];\n", strconv.Quote(n.Name), attrs)
	}
	for _, e := range g.Edges {
		label := fmt.Sprintf("%d calls", e.Requests)
		if e.Failed > 0 {
			label += fmt.Sprintf(", %d failed", e.Failed)
		}
		if e.ConnectionType != "" {
			label += " (" + e.ConnectionType + ")"
		}
		attrs := "label=" + strconv.Quote(label)
		if e.Failed > 0 {
			attrs += ", color=red"
		}
		fmt.Fprintf(&b, "  %s -> %s [%s];\n", strconv.Quote(e.Client), strconv.Quote(e.Server), attrs)
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMermaid renders the graph as a Mermaid flowchart.
func (g *Graph) WriteMermaid(w io.Writer) error {
	ids := map[string]string{}
	for i, n := range g.Nodes {
		ids[n.Name] = "n" + strconv.Itoa(i)
	}
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	for _, n := range g.Nodes {
		text := mermaidText(fmt.Sprintf("%s<br/>%s, %s errors", n.Name, rps(n.RPS), pct(n.ErrorRate)))
		if n.Virtual {
			fmt.Fprintf(&b, "  %s([\"%s\"])\n", ids[n.Name], text)
		} else {
			fmt.Fprintf(&b, "  %s[\"%s\"]\n", ids[n.Name], text)
		}
	}
	for _, e := range g.Edges {
		label := fmt.Sprintf("%d calls", e.Requests)
		if e.Failed > 0 {
			label += fmt.Sprintf(", %d failed", e.Failed)
		}
		if e.ConnectionType != "" {
			label += " " + e.ConnectionType
		}
		fmt.Fprintf(&b, "  %s -->|\"%s\"| %s\n", ids[e.Client], mermaidText(label), ids[e.Server])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mermaidText escapes double quotes, which end a Mermaid label.
func mermaidText(s string) string { return strings.ReplaceAll(s, `"`, "#quot;") }
