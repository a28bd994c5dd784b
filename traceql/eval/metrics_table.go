package eval

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// MaxStepColumns is the most steps MetricsTable shows one column each;
// beyond it a row summarises the series (samples, min, avg, max, last).
const MaxStepColumns = 8

// MetricsTable lays r out as a table for people: a row per series, its
// labels (PromLabels) and then one column per step (RFC 3339 stamps) or,
// with more than MaxStepColumns steps, the sample count, min, avg, max and
// last value. Values are written by FormatValue.
func MetricsTable(r *MetricsResult) (header []string, rows [][]string) {
	seen := map[int64]bool{}
	var stamps []int64
	for _, s := range r.Series {
		for _, p := range s.Samples {
			if !seen[p.TimestampMs] {
				seen[p.TimestampMs] = true
				stamps = append(stamps, p.TimestampMs)
			}
		}
	}
	slices.Sort(stamps)
	header = []string{"series"}
	wide := len(stamps) <= MaxStepColumns
	if wide {
		for _, ts := range stamps {
			header = append(header, time.UnixMilli(ts).UTC().Format(time.RFC3339Nano))
		}
	} else {
		header = append(header, "samples", "min", "avg", "max", "last")
	}
	rows = make([][]string, 0, len(r.Series))
	for _, s := range r.Series {
		row := []string{PromLabels(s)}
		if wide {
			at := make(map[int64]float64, len(s.Samples))
			for _, p := range s.Samples {
				at[p.TimestampMs] = p.Value
			}
			for _, ts := range stamps {
				if v, ok := at[ts]; ok {
					row = append(row, FormatValue(v))
				} else {
					row = append(row, "")
				}
			}
		} else {
			lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
			for _, p := range s.Samples {
				lo, hi, sum = math.Min(lo, p.Value), math.Max(hi, p.Value), sum+p.Value
			}
			row = append(row, strconv.Itoa(len(s.Samples)), FormatValue(lo), FormatValue(sum/float64(len(s.Samples))),
				FormatValue(hi), FormatValue(s.Samples[len(s.Samples)-1].Value))
		}
		rows = append(rows, row)
	}
	return header, rows
}

// FormatValue writes a sample value for people: an integral value as an
// exact integer (1000004, never 1e+06), any other value in the fewest
// digits that read back as the same float64 (0.1, 3.3e-05, 17.179869184).
// Infinities are +Inf and -Inf.
func FormatValue(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case v == math.Trunc(v) && math.Abs(v) < 1e21:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
