package traceql

import "testing"

var benchQueries = map[string]string{
	"filter":     `{ resource.service.name = "api" && span.http.status_code >= 500 }`,
	"structural": `{ resource.service.name = "frontend" } >> { span:status = error && duration > 1s }`,
	"pipeline":   `{ status = error } | by(resource.service.name) | count() > 1`,
	"metrics":    `{ span:kind = server } | quantile_over_time(duration, 0.5, 0.99) by (resource.service.name) | topk(10)`,
	"math":       `({ status = error } | rate() by (resource.service.name)) / ({ } | rate() by (resource.service.name)) * 100`,
}

func BenchmarkParse(b *testing.B) {
	for name, q := range benchQueries {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkString(b *testing.B) {
	root, err := Parse(benchQueries["math"])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = root.String()
	}
}
