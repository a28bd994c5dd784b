package zipkin

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	zipkinmodel "github.com/openzipkin/zipkin-go/model"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// tagClass is what the v2 translator makes of a tag, by its key.
type tagClass uint8

const (
	// tagAttribute: a span attribute (some special keys are taken out
	// by fastV2.build depending on the span).
	tagAttribute tagClass = iota
	// tagResource: a resource attribute, or nothing for a span without
	// a service name.
	tagResource
	// tagScope: read into the instrumentation scope, never an attribute.
	tagScope
	// tagDecline: fastV2 leaves spans with this tag to the translator.
	tagDecline
)

type tagInfo struct {
	tag   string // the tag's key
	attr  string // the attribute's key: tag, or the name the translator gives it
	class tagClass
}

// maxTagClasses bounds the classes remembered, per decoder and in all,
// and maxTagKey the length of a key that is classed: a file with a new
// tag key in every span, or with huge keys, would otherwise grow them
// without end. Other keys are left to the translator.
const (
	maxTagClasses = 10000
	maxTagKey     = 256
)

var (
	tagClasses     sync.Map // key → tagInfo
	tagClassesSize atomic.Int64
)

// classify returns the class of tag key k. The resource keys are the
// translator's list of resource semantic conventions, and its feature
// gates can move keys: rather than keep a copy of that list, classify asks
// the translator, once per key, what it makes of a span with only that
// tag, and remembers the answer. ok is false for a key past the bounds.
func classify(k string) (tagInfo, bool) {
	if v, ok := tagClasses.Load(k); ok {
		return v.(tagInfo), true
	}
	if len(k) > maxTagKey || tagClassesSize.Load() >= maxTagClasses {
		return tagInfo{}, false
	}
	info := tagInfo{tag: k, attr: k, class: knownClass(k)}
	if info.class == tagAttribute && !isSpecial(k) {
		info.class, info.attr = probeClass(k)
	}
	if _, loaded := tagClasses.LoadOrStore(k, info); !loaded {
		tagClassesSize.Add(1)
	}
	return info, true
}

// knownClass classes the keys fastV2.build reads itself.
func knownClass(k string) tagClass {
	switch k {
	case tagScopeName, tagScopeVersion, tagLibName, tagLibVersion:
		return tagScope
	case tagNameSource:
		return tagDecline
	}
	if strings.HasPrefix(k, tagLinkPrefix) {
		return tagDecline
	}
	return tagAttribute
}

// isSpecial reports keys that are span attributes unless build takes
// them out.
func isSpecial(k string) bool {
	switch k {
	case tagTraceState, tagStatusCode, tagStatusDesc, tagError, tagSpanKind:
		return true
	}
	return false
}

// probeClass translates a span of service "svc" with the one tag k="v" and
// classes k by where "v" ends up, and under which key (the translator's
// feature gates rename some: http.status_code, faas.id).
func probeClass(k string) (tagClass, string) {
	const svc, val = "svc", "v"
	zs := &zipkinmodel.SpanModel{
		SpanContext:   zipkinmodel.SpanContext{TraceID: zipkinmodel.TraceID{Low: 1}, ID: 1},
		Timestamp:     time.Unix(0, 1000),
		LocalEndpoint: &zipkinmodel.Endpoint{ServiceName: svc},
		Tags:          map[string]string{k: val},
	}
	td, err := v2Translator.ToTraces([]*zipkinmodel.SpanModel{zs})
	if err != nil || td.ResourceSpans().Len() != 1 {
		return tagDecline, k
	}
	rs := td.ResourceSpans().At(0)
	if rs.ScopeSpans().Len() != 1 || rs.ScopeSpans().At(0).Spans().Len() != 1 {
		return tagDecline, k
	}
	ss := rs.ScopeSpans().At(0)
	s := ss.Spans().At(0)
	if ss.Scope().Name() != "" || ss.Scope().Version() != "" || s.TraceState().AsRaw() != "" ||
		s.Kind() != ptrace.SpanKindUnspecified || s.Status().Code() != ptrace.StatusCodeUnset ||
		s.Status().Message() != "" || s.Links().Len() != 0 {
		return tagDecline, k
	}
	res, attrs := rs.Resource().Attributes().AsRaw(), s.Attributes().AsRaw()
	if len(attrs) == 1 && len(res) == 1 && res["service.name"] == svc {
		for key, v := range attrs {
			if v == val {
				return tagAttribute, key
			}
		}
	}
	if len(attrs) == 0 && k == "service.name" && len(res) == 1 && res[k] == val {
		return tagResource, k
	}
	if len(attrs) == 0 && len(res) == 2 && res["service.name"] == svc {
		for key, v := range res {
			if key != "service.name" && v == val {
				return tagResource, key
			}
		}
	}
	return tagDecline, k
}
