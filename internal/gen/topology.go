// Package gen generates realistic, reproducible traces for benchmarks and
// demos: a microservice topology behind a gateway, 5–60 spans per trace,
// HTTP, database, cache and messaging spans with OpenTelemetry semantic
// convention attributes, log-normal durations, a few error traces, slow
// outliers and PII-like attributes for redact. The same seed gives the same
// traces.
package gen

import (
	"fmt"
	"math/rand"
)

// service is one node of the topology.
type service struct {
	name     string
	lang     string
	ops      []operation
	calls    []int  // indexes of services it may call (always later ones: a DAG)
	db, kv   bool   // uses the database / the cache
	produces string // topic it publishes to, or ""
}

// operation is an endpoint of a service.
type operation struct {
	method, route string
	medianMs      float64 // median self duration
}

// named are the first services of every topology, in call order.
var named = []struct {
	name, lang string
	routes     []string
	db, kv     bool
	topic      string
}{
	{"gateway", "go", []string{"GET /api/products", "POST /api/orders", "GET /api/orders/{id}", "POST /api/login", "GET /api/cart"}, false, false, ""},
	{"auth", "java", []string{"POST /login", "GET /session"}, true, true, ""},
	{"users", "java", []string{"GET /users/{id}", "PUT /users/{id}"}, true, true, ""},
	{"orders", "go", []string{"POST /orders", "GET /orders/{id}"}, true, false, "orders"},
	{"cart", "dotnet", []string{"GET /cart", "POST /cart/items"}, false, true, ""},
	{"payments", "python", []string{"POST /charge", "POST /refund"}, true, false, "payments"},
	{"inventory", "go", []string{"GET /stock/{sku}", "POST /reserve"}, true, true, ""},
	{"search", "rust", []string{"GET /search"}, false, true, ""},
	{"recommendations", "python", []string{"GET /recommendations"}, false, true, ""},
	{"shipping", "java", []string{"POST /shipments", "GET /quote"}, true, false, ""},
	{"notifications", "nodejs", []string{"POST /notify"}, false, false, ""},
	{"catalog", "go", []string{"GET /products", "GET /products/{id}"}, true, true, ""},
}

// topology is the services and the infrastructure they share.
type topology struct {
	services []service
	consumer int // index of the service consuming every topic
}

// newTopology builds n services (at least 10): the named ones, then
// generic ones, each calling one to three later services (so the calls
// form a DAG).
func newTopology(rng *rand.Rand, n int) topology {
	n = max(n, 10)
	var t topology
	for i := 0; i < n; i++ {
		var s service
		if i < len(named) {
			d := named[i]
			s = service{name: d.name, lang: d.lang, db: d.db, kv: d.kv, produces: d.topic}
			for _, r := range d.routes {
				var m, p string
				if _, err := fmt.Sscanf(r, "%s %s", &m, &p); err != nil {
					panic(err)
				}
				s.ops = append(s.ops, operation{method: m, route: p, medianMs: 2 + rng.Float64()*20})
			}
		} else {
			s = service{name: fmt.Sprintf("svc-%02d", i), lang: "go", db: rng.Intn(3) == 0, kv: rng.Intn(3) == 0}
			for k := 0; k < 1+rng.Intn(3); k++ {
				s.ops = append(s.ops, operation{method: "GET", route: fmt.Sprintf("/v1/resource%d/{id}", k), medianMs: 1 + rng.Float64()*15})
			}
		}
		t.services = append(t.services, s)
	}
	for i := range t.services {
		if i == len(t.services)-1 {
			break
		}
		k := 1 + rng.Intn(3)
		for j := 0; j < k; j++ {
			callee := i + 1 + rng.Intn(len(t.services)-i-1)
			t.services[i].calls = appendUnique(t.services[i].calls, callee)
		}
	}
	for i, s := range t.services {
		if s.name == "notifications" {
			t.consumer = i
		}
	}
	if t.consumer == 0 {
		t.consumer = len(t.services) - 1
	}
	return t
}

func appendUnique(xs []int, x int) []int {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}
