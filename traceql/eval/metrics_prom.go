package eval

import (
	"strconv"
	"strings"

	"github.com/tracectl/tracectl/internal/promtext"
)

// PromText renders r in the Prometheus text exposition format as gauge
// samples of metric name: the last sample of every series, or all of them
// with their timestamps. Label names are made valid (resource.service.name
// becomes resource_service_name; __name__ is the metric name itself and
// __bucket becomes bucket).
func PromText(r *MetricsResult, name string, allSteps bool) string {
	name = promName(name)
	var b strings.Builder
	b.WriteString("# HELP " + name + " TraceQL metrics function " + name + ".\n")
	b.WriteString("# TYPE " + name + " gauge\n")
	for _, s := range r.Series {
		var labels []string
		for _, l := range s.Labels {
			if l.Key == "__name__" {
				continue
			}
			key := promName(strings.TrimPrefix(l.Key, "__"))
			labels = append(labels, key+`="`+promtext.EscapeLabel(fromModel(l.Value).String())+`"`)
		}
		series := name
		if len(labels) > 0 {
			series += "{" + strings.Join(labels, ",") + "}"
		}
		samples := s.Samples
		if !allSteps && len(samples) > 0 {
			samples = samples[len(samples)-1:]
		}
		for _, p := range samples {
			b.WriteString(series + " " + promtext.Float(p.Value))
			if allSteps {
				b.WriteString(" " + strconv.FormatInt(p.TimestampMs, 10))
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// promName replaces characters Prometheus names do not allow by '_'.
func promName(s string) string {
	var b strings.Builder
	for i, r := range s {
		ok := r == '_' || r == ':' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')
		if ok {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}
