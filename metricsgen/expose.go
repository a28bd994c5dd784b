package metricsgen

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tracectl/tracectl/internal/promtext"
)

// Format is a text exposition format.
type Format string

// Exposition formats.
const (
	// FormatProm is the Prometheus text format (0.0.4): what promtool
	// check metrics reads. Timestamps, when set, are in milliseconds.
	FormatProm Format = "prom"
	// FormatOpenMetrics is OpenMetrics 1.0 text with exemplars, ending in
	// "# EOF": what promtool tsdb create-blocks-from openmetrics backfills.
	FormatOpenMetrics Format = "openmetrics"
)

// WriteText writes the families of res in format f. Families without
// series are left out.
func WriteText(w io.Writer, res *Result, f Format) error {
	pw := promtext.NewWriter(w, f == FormatOpenMetrics)
	for _, fam := range res.Families {
		if len(fam.Series) > 0 {
			family(pw, fam)
		}
	}
	return pw.Close()
}

func family(e *promtext.Writer, f *Family) {
	name := f.Name
	if f.Type == Counter && !e.OpenMetrics() {
		name += "_total" // the classic format names a counter by its sample
	}
	e.Family(name, f.Type, f.Help, f.Unit)
	for _, s := range f.Series {
		labels := formatLabels(s.Labels)
		for _, p := range s.Points {
			if f.Type == Counter {
				e.Sample(f.Name+"_total", labels, "", promtext.Float(p.Value), p.Time, exemplarAt(p.Exemplars, 0))
				continue
			}
			for i, bound := range f.Bounds {
				e.Sample(f.Name+"_bucket", labels, `le="`+promtext.Float(bound)+`"`, strconv.FormatUint(p.Buckets[i], 10), p.Time, exemplarAt(p.Exemplars, i))
			}
			e.Sample(f.Name+"_bucket", labels, `le="+Inf"`, strconv.FormatUint(p.Count, 10), p.Time, exemplarAt(p.Exemplars, len(f.Bounds)))
			e.Sample(f.Name+"_sum", labels, "", promtext.Float(p.Sum), p.Time, nil)
			e.Sample(f.Name+"_count", labels, "", strconv.FormatUint(p.Count, 10), p.Time, nil)
		}
	}
}

func exemplarAt(ex []*Exemplar, i int) *promtext.Exemplar {
	if i >= len(ex) || ex[i] == nil {
		return nil
	}
	e := ex[i]
	return &promtext.Exemplar{TraceID: e.TraceID.String(), SpanID: e.SpanID.String(), Value: e.Value,
		Time: time.Unix(0, int64(e.TimeUnixNano))} //nolint:gosec // ns since 1970 fit
}

func formatLabels(labels []Label) string {
	var b strings.Builder
	for i, l := range labels {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l.Name)
		b.WriteString(`="`)
		b.WriteString(promtext.EscapeLabel(l.Value))
		b.WriteByte('"')
	}
	return b.String()
}
