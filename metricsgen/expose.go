package metricsgen

import (
	"bufio"
	"fmt"
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
	bw := bufio.NewWriter(w)
	ew := &expoWriter{w: bw, om: f == FormatOpenMetrics}
	for _, fam := range res.Families {
		if len(fam.Series) > 0 {
			ew.family(fam)
		}
	}
	if ew.om {
		bw.WriteString("# EOF\n")
	}
	return bw.Flush()
}

type expoWriter struct {
	w  *bufio.Writer
	om bool
}

func (e *expoWriter) family(f *Family) {
	name := f.Name
	if f.Type == Counter && !e.om {
		name += "_total" // the classic format names a counter by its sample
	}
	fmt.Fprintf(e.w, "# HELP %s %s\n", name, promtext.EscapeHelp(f.Help))
	fmt.Fprintf(e.w, "# TYPE %s %s\n", name, f.Type)
	if e.om && f.Unit != "" {
		fmt.Fprintf(e.w, "# UNIT %s %s\n", name, f.Unit)
	}
	for _, s := range f.Series {
		labels := formatLabels(s.Labels)
		for _, p := range s.Points {
			ts := e.timestamp(p.Time)
			if f.Type == Counter {
				e.sample(f.Name+"_total", labels, "", promtext.Float(p.Value), ts, exemplarAt(p.Exemplars, 0))
				continue
			}
			for i, bound := range f.Bounds {
				e.sample(f.Name+"_bucket", labels, `le="`+promtext.Float(bound)+`"`, strconv.FormatUint(p.Buckets[i], 10), ts, exemplarAt(p.Exemplars, i))
			}
			e.sample(f.Name+"_bucket", labels, `le="+Inf"`, strconv.FormatUint(p.Count, 10), ts, exemplarAt(p.Exemplars, len(f.Bounds)))
			e.sample(f.Name+"_sum", labels, "", promtext.Float(p.Sum), ts, nil)
			e.sample(f.Name+"_count", labels, "", strconv.FormatUint(p.Count, 10), ts, nil)
		}
	}
}

func exemplarAt(ex []*Exemplar, i int) *Exemplar {
	if i < len(ex) {
		return ex[i]
	}
	return nil
}

func (e *expoWriter) sample(name, labels, extra, value, ts string, ex *Exemplar) {
	w := e.w
	w.WriteString(name)
	if labels != "" || extra != "" {
		w.WriteByte('{')
		w.WriteString(labels)
		if labels != "" && extra != "" {
			w.WriteByte(',')
		}
		w.WriteString(extra)
		w.WriteByte('}')
	}
	w.WriteByte(' ')
	w.WriteString(value)
	if ts != "" {
		w.WriteByte(' ')
		w.WriteString(ts)
	}
	if e.om && ex != nil {
		fmt.Fprintf(w, ` # {trace_id="%s",span_id="%s"} %s %s`, ex.TraceID, ex.SpanID, promtext.Float(ex.Value), omTime(time.Unix(0, int64(ex.TimeUnixNano))))
	}
	w.WriteByte('\n')
}

// timestamp renders a sample time: milliseconds in the classic format,
// seconds with a fraction in OpenMetrics.
func (e *expoWriter) timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if e.om {
		return omTime(t)
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

func omTime(t time.Time) string {
	ns := t.UnixNano()
	sec, frac := ns/1e9, ns%1e9
	if frac == 0 {
		return strconv.FormatInt(sec, 10)
	}
	return strings.TrimRight(fmt.Sprintf("%d.%09d", sec, frac), "0")
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
