package intern

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// spanStrings is what a decoder interns for n spans of a generated
// trace file: 13 attribute keys and their types in order, values of low
// and high cardinality, and a trace ID every dozen spans.
func spanStrings(n int) [][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	keys := []string{"otel.scope.name", "otel.scope.version", "http.request.method", "http.route", "url.path", "url.scheme", "server.address", "server.port", "network.protocol.version", "http.response.status_code", "user_agent.original", "client.address", "span.kind"}
	types := []string{"string", "string", "string", "string", "string", "string", "string", "int64", "string", "int64", "string", "string", "string"}
	var out [][]byte
	trace := ""
	for i := range n {
		if i%12 == 0 {
			trace = fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
		}
		out = append(out, []byte(trace), []byte(fmt.Sprintf("op-%d", rng.IntN(40))))
		for k, key := range keys {
			out = append(out, []byte(key), []byte(types[k]))
			var v string
			switch k {
			case 11:
				v = fmt.Sprintf("10.%d.%d.%d", rng.IntN(256), rng.IntN(256), rng.IntN(256))
			case 10:
				v = fmt.Sprintf("Mozilla/5.0 (agent %d)", rng.IntN(60))
			case 3, 4:
				v = fmt.Sprintf("/api/v1/resource-%d", rng.IntN(30))
			default:
				v = fmt.Sprintf("value-%d-%d", k, rng.IntN(8))
			}
			out = append(out, []byte(v))
		}
	}
	return out
}

func BenchmarkTable(b *testing.B) {
	in := spanStrings(20000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var t Table
		for _, s := range in {
			t.String(s)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(in)), "ns/string")
}
