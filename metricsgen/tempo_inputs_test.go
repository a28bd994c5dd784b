package metricsgen

import "testing"

// TestTempoServiceGraphInputs checks, edge by edge, what Tempo's own
// service-graph test traces are described to contain (PROVENANCE.md beside
// them): virtual nodes for a client with peer.service and for a consumer
// without producer, messaging and database edges, failed requests, and
// the unmatched server span of the expired-edges trace.
func TestTempoServiceGraphInputs(t *testing.T) {
	const dir = "tempo/servicegraphs/"
	value := func(res *Result, family string, labels ...string) float64 {
		t.Helper()
		return series(t, res, family, labels...).Points[0].Value
	}

	res := generate(t, loadTraces(t, dir+"trace-with-virtual-nodes.json"), Options{ServiceGraph: true, VirtualNodeLabel: true})
	if v := value(res, "traces_service_graph_request", "client", "mythical-requester", "server", "external-payments-platform", "connection_type", "virtual_node", "virtual_node", "server"); v != 1 {
		t.Errorf("client span with peer.service: %v edges", v)
	}
	if v := value(res, "traces_service_graph_request", "client", "user", "server", "internal-consumer", "connection_type", "virtual_node", "virtual_node", "client"); v != 1 {
		t.Errorf("consumer without producer: %v edges", v)
	}

	res = generate(t, loadTraces(t, dir+"trace-with-queue-database.json"), Options{ServiceGraph: true})
	if v := value(res, "traces_service_graph_request", "client", "mythical-requester", "server", "mythical-recorder", "connection_type", "messaging_system"); v != 1 {
		t.Errorf("producer → consumer: %v edges", v)
	}
	if v := value(res, "traces_service_graph_request", "client", "mythical-server", "server", "postgres", "connection_type", "database"); v != 1 {
		t.Errorf("db.name client span: %v edges", v)
	}
	if p := series(t, res, "traces_service_graph_request_messaging_system_seconds", "server", "mythical-recorder").Points[0]; p.Count != 1 {
		t.Errorf("messaging latency: %d observations", p.Count)
	}

	res = generate(t, loadTraces(t, dir+"trace-with-failed-requests.json"), Options{ServiceGraph: true})
	var failed float64
	for _, s := range res.Family("traces_service_graph_request_failed").Series {
		failed += s.Points[0].Value
	}
	if failed != 2 {
		t.Errorf("%v failed edges, want 2 (requester→server failed on both sides, server→postgres)", failed)
	}

	res = generate(t, loadTraces(t, dir+"trace-with-expired-edges.json"), Options{ServiceGraph: true})
	if res.Stats.Unpaired != 1 {
		t.Errorf("unpaired server spans = %d, want 1", res.Stats.Unpaired)
	}
	if v := value(res, "traces_service_graph_request", "client", "mythical-server", "server", "mythical-requester"); v != 1 {
		t.Errorf("matched pair: %v edges", v)
	}
}
