package eval_test

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/traceql/eval"
)

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{1000004, "1000004"}, // was 1e+06: the JSON said 1000004
		{-42, "-42"},
		{1e15 + 1, "1000000000000001"},
		{1e21, "1e+21"},
		{0.1, "0.1"},
		{1.0 / 3, "0.3333333333333333"},
		{3.3e-05, "3.3e-05"},
		{17.179869184, "17.179869184"},
		{123456.789, "123456.789"},
		{math.Inf(1), "+Inf"},
		{math.Inf(-1), "-Inf"},
		{math.NaN(), "NaN"},
	} {
		got := eval.FormatValue(tc.in)
		if got != tc.want {
			t.Errorf("FormatValue(%v) = %q, want %q", tc.in, got, tc.want)
		}
		if f, err := strconv.ParseFloat(strings.TrimPrefix(got, "+"), 64); err != nil || (f != tc.in && !math.IsNaN(tc.in)) {
			t.Errorf("FormatValue(%v) = %q does not read back (%v, %v)", tc.in, got, f, err)
		}
	}
}

// TestMetricsTable: a column per step up to MaxStepColumns, exact values.
func TestMetricsTable(t *testing.T) {
	r := &eval.MetricsResult{Series: []*eval.Series{
		{Labels: []model.Attribute{model.Str("__name__", "count_over_time")},
			Samples: []eval.Sample{{TimestampMs: 60_000, Value: 1000004}, {TimestampMs: 120_000, Value: 0.5}}},
		{Labels: []model.Attribute{model.Double("__bucket", 3.3e-05)},
			Samples: []eval.Sample{{TimestampMs: 120_000, Value: 7}}},
	}}
	header, rows := eval.MetricsTable(r)
	got := strings.Join(header, "|") + "\n"
	for _, row := range rows {
		got += strings.Join(row, "|") + "\n"
	}
	want := "series|1970-01-01T00:01:00Z|1970-01-01T00:02:00Z\n" +
		`{__name__="count_over_time"}|1000004|0.5` + "\n" +
		`{__bucket="3.3e-05"}||7` + "\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	var many []eval.Sample
	for i := range eval.MaxStepColumns + 1 {
		many = append(many, eval.Sample{TimestampMs: int64(i) * 1000, Value: float64(i) * 250000})
	}
	_, rows = eval.MetricsTable(&eval.MetricsResult{Series: []*eval.Series{{Samples: many}}})
	if got, want := strings.Join(rows[0], "|"), "{}|9|0|1000000|2000000|2000000"; got != want {
		t.Errorf("summary row %q, want %q", got, want)
	}
}
