package eval

import (
	"io"
	"sort"
	"strings"
	"time"

	"github.com/tracectl/tracectl/internal/promtext"
	"github.com/tracectl/tracectl/model"
)

// ExpositionOptions controls WriteExposition.
type ExpositionOptions struct {
	// Name is the metric (family) name: the metrics function.
	Name string
	// OpenMetrics writes OpenMetrics 1.0 text (every sample with its
	// timestamp in seconds, exemplars on histogram buckets, "# EOF")
	// instead of the Prometheus text format.
	OpenMetrics bool
	// AllSteps writes every sample with its timestamp (milliseconds) in
	// the Prometheus text format; without it only the last sample of a
	// series is written, without a timestamp. OpenMetrics always writes
	// every sample.
	AllSteps bool
}

// PromText renders r in the Prometheus text format (see WriteExposition).
func PromText(r *MetricsResult, name string, allSteps bool) string {
	var b strings.Builder
	_ = WriteExposition(&b, r, ExpositionOptions{Name: name, AllSteps: allSteps})
	return b.String()
}

// WriteExposition writes r as Prometheus or OpenMetrics text. Label names
// are made valid (resource.service.name becomes resource_service_name;
// __name__ is the metric name itself). Every function is a gauge, except
// histogram_over_time, which is written as a histogram: per group and
// step, cumulative _bucket{le="…"} samples (the __bucket label is the
// upper bound) ending in le="+Inf", then _sum and _count (OpenMetrics: a
// gaugehistogram with _gcount and _gsum, since the counts are per interval
// and go down as well as up). OpenMetrics allows exemplars on counters and
// histogram buckets only, so only histograms carry them.
func WriteExposition(w io.Writer, r *MetricsResult, o ExpositionOptions) error {
	name := promName(o.Name)
	pw := promtext.NewWriter(w, o.OpenMetrics)
	if o.Name == "histogram_over_time" && isHistogram(r) {
		writeHistograms(pw, r, name, o)
	} else {
		writeGauges(pw, r, name, o)
	}
	return pw.Close()
}

func writeGauges(pw *promtext.Writer, r *MetricsResult, name string, o ExpositionOptions) {
	pw.Family(name, "gauge", "TraceQL metrics function "+name+".", "")
	for _, s := range r.Series {
		labels := promLabels(s.Labels)
		samples := s.Samples
		if !o.AllSteps && !o.OpenMetrics && len(samples) > 0 {
			samples = samples[len(samples)-1:]
		}
		for _, p := range samples {
			var ts time.Time
			if o.AllSteps || o.OpenMetrics {
				ts = time.UnixMilli(p.TimestampMs)
			}
			pw.Sample(name, labels, "", promtext.Float(p.Value), ts, nil)
		}
	}
}

// isHistogram reports whether every series of r is a histogram bucket.
func isHistogram(r *MetricsResult) bool {
	for _, s := range r.Series {
		if _, ok := bucketOf(s); !ok {
			return false
		}
	}
	return true
}

// bucketOf returns the __bucket bound of a series.
func bucketOf(s *Series) (float64, bool) {
	for _, l := range s.Labels {
		if l.Key == "__bucket" {
			switch l.Value.Type {
			case model.ValueDouble:
				return l.Value.Double, true
			case model.ValueInt:
				return float64(l.Value.Int), true
			}
		}
	}
	return 0, false
}

// histGroup is the bucket series of one label set (labels without
// __bucket).
type histGroup struct {
	labels  string
	bounds  []float64
	buckets map[float64]*Series
}

func writeHistograms(pw *promtext.Writer, r *MetricsResult, name string, o ExpositionOptions) {
	typ, count, sum := "histogram", "_count", "_sum"
	if o.OpenMetrics {
		typ, count, sum = "gaugehistogram", "_gcount", "_gsum"
	}
	pw.Family(name, typ, "TraceQL metrics function "+name+": spans per bucket and interval.", "")
	var groups []*histGroup
	byLabels := map[string]*histGroup{}
	for _, s := range r.Series {
		b, _ := bucketOf(s)
		var rest []model.Attribute
		for _, l := range s.Labels {
			if l.Key != "__bucket" {
				rest = append(rest, l)
			}
		}
		labels := promLabels(rest)
		g := byLabels[labels]
		if g == nil {
			g = &histGroup{labels: labels, buckets: map[float64]*Series{}}
			byLabels[labels] = g
			groups = append(groups, g)
		}
		if _, dup := g.buckets[b]; !dup {
			g.bounds = append(g.bounds, b)
		}
		g.buckets[b] = s
	}
	for _, g := range groups {
		sort.Float64s(g.bounds)
		var stamps []int64
		seen := map[int64]bool{}
		hasSums := true
		for _, s := range g.buckets {
			hasSums = hasSums && len(s.Sums) == len(s.Samples)
			for _, p := range s.Samples {
				if !seen[p.TimestampMs] {
					seen[p.TimestampMs] = true
					stamps = append(stamps, p.TimestampMs)
				}
			}
		}
		sort.Slice(stamps, func(i, j int) bool { return stamps[i] < stamps[j] })
		if !o.AllSteps && !o.OpenMetrics && len(stamps) > 0 {
			stamps = stamps[len(stamps)-1:]
		}
		for _, t := range stamps {
			var ts time.Time
			if o.AllSteps || o.OpenMetrics {
				ts = time.UnixMilli(t)
			}
			cum, total := 0.0, 0.0
			for _, b := range g.bounds {
				s := g.buckets[b]
				if i := sampleAt(s, t); i >= 0 {
					cum += s.Samples[i].Value
					if hasSums {
						total += s.Sums[i]
					}
				}
				pw.Sample(name+"_bucket", g.labels, `le="`+promtext.Float(b)+`"`, promtext.Float(cum), ts, exemplarIn(s, t))
			}
			pw.Sample(name+"_bucket", g.labels, `le="+Inf"`, promtext.Float(cum), ts, nil)
			if hasSums {
				pw.Sample(name+sum, g.labels, "", promtext.Float(total), ts, nil)
			}
			pw.Sample(name+count, g.labels, "", promtext.Float(cum), ts, nil)
		}
	}
}

// sampleAt is the index of s's sample stamped t, or -1.
func sampleAt(s *Series, t int64) int {
	i := sort.Search(len(s.Samples), func(i int) bool { return s.Samples[i].TimestampMs >= t })
	if i < len(s.Samples) && s.Samples[i].TimestampMs == t {
		return i
	}
	return -1
}

// exemplarIn returns the first exemplar of s in the interval stamped t: a
// span started after s's previous sample and at or before t.
func exemplarIn(s *Series, t int64) *promtext.Exemplar {
	i := sampleAt(s, t)
	if i < 0 {
		return nil
	}
	lo := int64(-1 << 63)
	if i > 0 {
		lo = s.Samples[i-1].TimestampMs
	}
	for _, e := range s.Exemplars {
		if e.TimestampMs > lo && e.TimestampMs <= t {
			return &promtext.Exemplar{TraceID: e.TraceID.String(), SpanID: e.SpanID.String(),
				Value: e.Value, Time: time.UnixMilli(e.TimestampMs)}
		}
	}
	return nil
}

// promLabels renders labels as name="value" pairs with valid names,
// leaving out __name__ (the metric name itself); __bucket becomes bucket.
func promLabels(ls []model.Attribute) string {
	var labels []string
	for _, l := range ls {
		if l.Key == "__name__" {
			continue
		}
		key := promName(strings.TrimPrefix(l.Key, "__"))
		labels = append(labels, key+`="`+promtext.EscapeLabel(fromModel(l.Value).String())+`"`)
	}
	return strings.Join(labels, ",")
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
