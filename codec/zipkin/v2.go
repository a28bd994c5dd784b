package zipkin

import (
	"encoding/json"
	"errors"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/translator/zipkin/zipkinv2"
	zipkinmodel "github.com/openzipkin/zipkin-go/model"

	"github.com/tracectl/tracectl/codec/internal/jsonpos"
	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/model"
)

// v2Translator keeps tag values as strings, as the Collector's Zipkin
// receiver does by default (parse_string_tags: false).
var v2Translator = zipkinv2.ToTranslator{ParseStringTags: false}

// v2Probe reads the fields the checks below need.
type v2Probe struct {
	TraceID           json.RawMessage `json:"traceId"`
	ID                json.RawMessage `json:"id"`
	ParentID          json.RawMessage `json:"parentId"`
	Timestamp         json.RawMessage `json:"timestamp"`
	Duration          json.RawMessage `json:"duration"`
	BinaryAnnotations json.RawMessage `json:"binaryAnnotations"`
	Annotations       []struct {
		Endpoint json.RawMessage `json:"endpoint"`
	} `json:"annotations"`
}

func v2Span(raw json.RawMessage) ([]model.ResourceSpans, error) {
	var probe v2Probe
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, err
	}
	if isV1(&probe) {
		return nil, errors.New("this is a Zipkin v1 span (it has binaryAnnotations or annotation endpoints); decode it as zipkin-v1")
	}
	if err := checkMicros(".timestamp", probe.Timestamp); err != nil {
		return nil, err
	}
	if err := checkMicros(".duration", probe.Duration); err != nil {
		return nil, err
	}
	var zs zipkinmodel.SpanModel
	err := json.Unmarshal(raw, &zs)
	var pe *net.ParseError
	if errors.As(err, &pe) {
		// zipkin-go rejects IPv4 octets with leading zeros ("52.0.0.04"),
		// which Zipkin itself accepts: fix them and try again.
		var fixed json.RawMessage
		if fixed, err = fixEndpointIPs(raw); err == nil {
			zs = zipkinmodel.SpanModel{}
			err = json.Unmarshal(fixed, &zs)
		}
	}
	if err != nil {
		return nil, blameID(&probe, err)
	}
	if zs.TraceID.Empty() {
		return nil, jsonpos.FieldErr(".traceId", "missing or zero trace ID")
	}
	td, err := v2Translator.ToTraces([]*zipkinmodel.SpanModel{&zs})
	if err != nil {
		return nil, err
	}
	rss := otlp.AppendNonEmpty(nil, td)
	sortAttrs(rss)
	if code, ok := zs.Tags["otel.status_code"]; ok {
		fixStatus(rss, code, zs.Tags["otel.status_description"])
	}
	return rss, nil
}

// fixEndpointIPs rewrites IPv4 addresses with leading zeros in the span's
// endpoints and reports addresses that cannot be read at all.
func fixEndpointIPs(raw json.RawMessage) (json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	for _, key := range []string{"localEndpoint", "remoteEndpoint"} {
		if jsonKind(obj[key]) != '{' {
			continue
		}
		var ep map[string]json.RawMessage
		if err := json.Unmarshal(obj[key], &ep); err != nil {
			return nil, err
		}
		for _, f := range []string{"ipv4", "ipv6"} {
			v, ok := ep[f]
			if !ok || jsonKind(v) == 'n' {
				continue
			}
			var s string
			if json.Unmarshal(v, &s) != nil {
				return nil, jsonpos.FieldErr("."+key+"."+f, "want a string, got %s", abbrev(v))
			}
			if s == "" || net.ParseIP(s) != nil {
				continue
			}
			fixedIP, ok := fixIPv4(s)
			if !ok {
				return nil, jsonpos.FieldErr("."+key+"."+f, "invalid IP address %q", s)
			}
			ep[f], _ = json.Marshal(fixedIP)
		}
		obj[key], _ = json.Marshal(ep)
	}
	return json.Marshal(obj)
}

// fixIPv4 drops leading zeros from the octets of a dotted-quad address.
func fixIPv4(s string) (string, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return "", false
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 8)
		if err != nil || p == "" || len(p) > 3 {
			return "", false
		}
		parts[i] = strconv.FormatUint(n, 10)
	}
	out := strings.Join(parts, ".")
	return out, net.ParseIP(out) != nil
}

// sortAttrs orders attributes by key. The v2 translator fills them from Go
// maps (tags, resource keys), so its order changes from run to run; sorted
// output keeps decoding (and the blocks written from it) repeatable.
func sortAttrs(rss []model.ResourceSpans) {
	byKey := func(a, b model.Attribute) int { return strings.Compare(a.Key, b.Key) }
	for i := range rss {
		slices.SortStableFunc(rss[i].Resource.Attributes, byKey)
		for j := range rss[i].ScopeSpans {
			for k := range rss[i].ScopeSpans[j].Spans {
				s := &rss[i].ScopeSpans[j].Spans[k]
				slices.SortStableFunc(s.Attributes, byKey)
				for e := range s.Events {
					slices.SortStableFunc(s.Events[e].Attributes, byKey)
				}
				for l := range s.Links {
					slices.SortStableFunc(s.Links[l].Attributes, byKey)
				}
			}
		}
	}
}

// maxMicros is the largest microsecond count whose nanoseconds fit an
// int64 (year 2262).
const maxMicros = math.MaxInt64 / 1000 / 2

// checkMicros rejects a microsecond time or duration too large to become
// nanoseconds (the translators would silently overflow). Type errors are
// left to the decoders.
func checkMicros(path string, raw json.RawMessage) error {
	if jsonKind(raw) != '0' {
		return nil
	}
	if f, err := strconv.ParseFloat(string(raw), 64); err == nil && f > maxMicros {
		return jsonpos.FieldErr(path, "%s out of range", raw)
	}
	return nil
}

func isV1(p *v2Probe) bool {
	if jsonKind(p.BinaryAnnotations) == '[' {
		return true
	}
	for _, a := range p.Annotations {
		if k := jsonKind(a.Endpoint); k != 0 && k != 'n' {
			return true
		}
	}
	return false
}

// blameID names the ID field zipkin-go rejected.
func blameID(p *v2Probe, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return err
	}
	var ne *strconv.NumError
	if errors.Is(err, zipkinmodel.ErrValidTraceIDRequired) || errors.Is(err, zipkinmodel.ErrValidIDRequired) || errors.As(err, &ne) {
		for _, f := range []struct {
			name string
			raw  json.RawMessage
			max  int
		}{{".traceId", p.TraceID, 32}, {".id", p.ID, 16}, {".parentId", p.ParentID, 16}} {
			if f.name == ".parentId" && (len(f.raw) == 0 || jsonKind(f.raw) == 'n') {
				continue
			}
			var s string
			if json.Unmarshal(f.raw, &s) != nil || !model.IsHexID(s, f.max) || (f.name != ".parentId" && isZeroHex(s)) {
				return jsonpos.FieldErr(f.name, "want 1 to %d hex digits, not all zero, got %s", f.max, abbrev(f.raw))
			}
		}
	}
	return err
}

func isZeroHex(s string) bool {
	for _, c := range []byte(s) {
		if c != '0' {
			return false
		}
	}
	return true
}

func abbrev(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "nothing"
	}
	s := string(raw)
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return s
}
