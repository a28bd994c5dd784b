package metricsgen

import (
	"strconv"
	"strings"

	"github.com/tracectl/tracectl/model"
)

// LabelName turns an attribute key into a Prometheus label name the way the
// Collector's Prometheus exporter does: every character other than a
// letter, digit or underscore becomes '_', and a leading digit gets "key_".
func LabelName(key string) string {
	var b strings.Builder
	for i, r := range key {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_':
			b.WriteRune(r)
		case r >= '0' && r <= '9':
			if i == 0 {
				b.WriteString("key_")
			}
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// kindName is the OTLP enum name of a span kind (SPAN_KIND_SERVER).
func kindName(k model.SpanKind) string {
	switch k {
	case model.KindInternal:
		return "SPAN_KIND_INTERNAL"
	case model.KindServer:
		return "SPAN_KIND_SERVER"
	case model.KindClient:
		return "SPAN_KIND_CLIENT"
	case model.KindProducer:
		return "SPAN_KIND_PRODUCER"
	case model.KindConsumer:
		return "SPAN_KIND_CONSUMER"
	}
	return "SPAN_KIND_UNSPECIFIED"
}

// statusName is the OTLP enum name of a status code (STATUS_CODE_ERROR).
func statusName(c model.StatusCode) string {
	switch c {
	case model.StatusOK:
		return "STATUS_CODE_OK"
	case model.StatusError:
		return "STATUS_CODE_ERROR"
	}
	return "STATUS_CODE_UNSET"
}

// attrString renders a value as the Collector's pcommon AsString does
// (doubles without exponent, bytes in base64, lists and maps as JSON).
func attrString(v model.Value) string {
	if v.Type == model.ValueDouble {
		return strconv.FormatFloat(v.Double, 'f', -1, 64)
	}
	return v.AsString()
}

// lookup finds key in the first attribute list, then in the second.
func lookup(key string, first, second []model.Attribute) (string, bool) {
	if v, ok := model.Find(first, key); ok {
		return attrString(v), true
	}
	if v, ok := model.Find(second, key); ok {
		return attrString(v), true
	}
	return "", false
}
