package eval

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tracectl/tracectl/internal/ui"
	"github.com/tracectl/tracectl/model"
)

// TestWriteTempoJSON holds WriteTempoJSON to what the indenting encoder
// (ui.JSON) writes for TempoResponse, byte for byte: on values at the
// edges of encoding/json's float formats, labels that need escaping,
// series without samples or labels, exemplars, no series, and on random
// results.
func TestWriteTempoJSON(t *testing.T) {
	tid := model.TraceID{1, 2, 3}
	sid := model.SpanID{4, 5}
	cases := map[string]*MetricsResult{
		"no series":   {},
		"counts only": {Metrics: SearchMetrics{InspectedTraces: 3, InspectedSpans: 70}},
		"edge values": {Series: []*Series{{
			Labels: []model.Attribute{model.Str("resource.service.name", `a"<b>&c\u2028`)},
			Samples: []Sample{{0, 0}, {1, math.Copysign(0, -1)}, {2, 1e-6}, {3, 9.99e-7}, {4, 1e21}, {5, 9.99e20},
				{-6, -1e-7}, {7, 123.456}, {8, 1.0 / 3}, {9, math.MaxFloat64}, {10, math.SmallestNonzeroFloat64}, {11, -2.5e-300}},
		}}},
		"labels of every type, exemplars": {Series: []*Series{
			{Labels: []model.Attribute{model.Int("n", -3), model.Double("d", 0.5), model.Bool("b", true), model.Str("s", "")},
				Samples:   []Sample{{1767225600000, 2}},
				Exemplars: []Exemplar{{TraceID: tid, SpanID: sid, TimestampMs: 1767225600001, Value: 0.25}}},
			{Samples: []Sample{{1, 1}}},
			{Labels: []model.Attribute{model.Str("x", "no samples")}},
			{Labels: []model.Attribute{model.Str("y", "samples: []")}, Samples: []Sample{{2, 3}}},
		}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20; i++ {
		r := &MetricsResult{Metrics: SearchMetrics{InspectedTraces: rng.IntN(3), InspectedSpans: rng.IntN(3)}}
		for n := rng.IntN(5); n > 0; n-- {
			s := &Series{Labels: []model.Attribute{model.Str("service", string(rune('a'+rng.IntN(26))))}}
			for m := rng.IntN(50); m > 0; m-- {
				v := []float64{rng.Float64(), rng.NormFloat64() * 1e9, float64(rng.IntN(1000)), rng.ExpFloat64() * 1e-8, math.Ldexp(rng.Float64(), rng.IntN(200)-100)}[rng.IntN(5)]
				s.Samples = append(s.Samples, Sample{TimestampMs: rng.Int64N(1 << 42), Value: v})
			}
			r.Series = append(r.Series, s)
		}
		cases["random "+string(rune('a'+i))] = r
	}
	for name, r := range cases {
		var want, got bytes.Buffer
		if err := ui.JSON(&want, r.TempoResponse()); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := r.WriteTempoJSON(&got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(want.Bytes(), got.Bytes()) {
			t.Errorf("%s: WriteTempoJSON differs from the encoder's\ngot:\n%s\nwant:\n%s", name, got.Bytes(), want.Bytes())
		}
	}
}

// TestWriteTempoJSONRefusesNaN: a value encoding/json cannot write is an
// error, as it was through the encoder.
func TestWriteTempoJSONRefusesNaN(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		r := &MetricsResult{Series: []*Series{{Samples: []Sample{{1, 1}, {2, v}}}}}
		var b bytes.Buffer
		if err := r.WriteTempoJSON(&b); err == nil {
			t.Errorf("value %v: no error", v)
		}
		if err := ui.JSON(&b, r.TempoResponse()); err == nil {
			t.Errorf("value %v: the encoder took it", v)
		}
	}
}
