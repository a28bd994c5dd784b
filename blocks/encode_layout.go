package blocks

import (
	"fmt"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go"
)

// The leaf columns of data.parquet that the encoder (encode.go) writes,
// looked up by path in traceSchema, and the nesting depth of each list.
//
// Every list of the schema is a required group with one repeated child and
// no optional group sits above a list, so inside a list element the
// repetition depth and the definition level are equal: the resource-spans
// element is at depth 1, a resource attribute or a scope-spans element at
// 2, a scope attribute or a span at 3, a span attribute, event or link at
// 4, an event or link attribute at 5. An attribute's typed value lists
// are one deeper; an optional leaf adds one definition level when present.
// newTraceLayout checks these depths against the schema.

// The depths of the list elements are leaves.go's depthRS, depthSS,
// depthSpan and depthEvent (events and links).

// attrCols are the seven leaves of one attribute list, in schema order.
type attrCols struct {
	key, isArray, str, ints, doubles, bools, unsupported int
	depth                                                int // of an attribute element
}

// traceLayout holds the column index of every leaf the encoder writes.
type traceLayout struct {
	numLeaves int

	traceID, traceIDText, start, end, duration, rootService, rootSpan int
	statsKey, statsSpans, statsErrors                                 int

	rsFirst      int // first leaf under rs; rs runs to the last leaf
	resAttrs     attrCols
	resDropped   int
	resService   int
	resStatic    [numResourceStatic]int
	resDedicated [maxDedicated]int

	ssFirst      int // first leaf under ss; ss runs to the last leaf
	scopeName    int
	scopeVersion int
	scopeAttrs   attrCols
	scopeDropped int

	spansFirst                                      int // first leaf under Spans; Spans run to the last leaf
	spanID, parentSpanID, parentID, nsLeft, nsRight int
	name, kind, traceState, spanStart, spanDur      int
	statusCode, statusMessage                       int
	spanAttrs                                       attrCols
	spanDropped                                     int
	eventTime, eventName                            int
	eventAttrs                                      attrCols
	eventDropped                                    int // last leaf of Events
	droppedEvents                                   int
	linkTraceID, linkSpanID, linkTraceState         int
	linkAttrs                                       attrCols
	linkDropped                                     int // last leaf of Links
	droppedLinks                                    int
	httpMethod, httpURL, httpStatus                 int
	spanDedicated                                   [maxDedicated]int
}

// docLayout is the layout of traceSchema (the documented layout), built
// on first use.
var docLayout = sync.OnceValue(func() *traceLayout { return newTraceLayout(traceSchema()) })

// newTraceLayout looks every leaf up in s; it panics if one is missing or
// sits at another depth than the encoder assumes (a schema change the
// encoder was not changed for).
func newTraceLayout(s *parquet.Schema) *traceLayout {
	l := &traceLayout{numLeaves: len(s.Columns())}
	leaf := func(path string, rep, def int) int {
		c, ok := s.Lookup(strings.Split(path, ".")...)
		if !ok {
			panic(fmt.Sprintf("blocks: schema has no leaf %s", path))
		}
		if c.MaxRepetitionLevel != rep || c.MaxDefinitionLevel != def {
			panic(fmt.Sprintf("blocks: leaf %s has levels %d/%d, encoder assumes %d/%d",
				path, c.MaxRepetitionLevel, c.MaxDefinitionLevel, rep, def))
		}
		return c.ColumnIndex
	}
	attrs := func(prefix string, depth int) attrCols {
		p := prefix + ".Attrs.list.element."
		return attrCols{
			key:         leaf(p+"Key", depth, depth),
			isArray:     leaf(p+"IsArray", depth, depth),
			str:         leaf(p+"Value.list.element", depth+1, depth+1),
			ints:        leaf(p+"ValueInt.list.element", depth+1, depth+1),
			doubles:     leaf(p+"ValueDouble.list.element", depth+1, depth+1),
			bools:       leaf(p+"ValueBool.list.element", depth+1, depth+1),
			unsupported: leaf(p+"ValueUnsupported", depth, depth+1),
			depth:       depth,
		}
	}
	l.traceID = leaf("TraceID", 0, 0)
	l.traceIDText = leaf("TraceIDText", 0, 0)
	l.start = leaf("StartTimeUnixNano", 0, 0)
	l.end = leaf("EndTimeUnixNano", 0, 0)
	l.duration = leaf("DurationNano", 0, 0)
	l.rootService = leaf("RootServiceName", 0, 0)
	l.rootSpan = leaf("RootSpanName", 0, 0)
	l.statsKey = leaf("ServiceStats.key_value.key", 1, 2)
	l.statsSpans = leaf("ServiceStats.key_value.value.SpanCount", 1, 2)
	l.statsErrors = leaf("ServiceStats.key_value.value.ErrorCount", 1, 2)

	const rs = "rs.list.element."
	const res = rs + "Resource"
	l.resAttrs = attrs(res, depthRS+1)
	l.rsFirst = l.resAttrs.key
	l.resDropped = leaf(res+".DroppedAttributesCount", depthRS, depthRS)
	l.resService = leaf(res+".ServiceName", depthRS, depthRS)
	for i, name := range [numResourceStatic]string{"Cluster", "Namespace", "Pod", "Container",
		"K8sClusterName", "K8sNamespaceName", "K8sPodName", "K8sContainerName"} {
		l.resStatic[i] = leaf(res+"."+name, depthRS, depthRS+1)
	}
	for i := range maxDedicated {
		l.resDedicated[i] = leaf(fmt.Sprintf("%s.DedicatedAttributes.String%02d", res, i+1), depthRS, depthRS+1)
	}

	const ss = rs + "ss.list.element."
	l.scopeName = leaf(ss+"Scope.Name", depthSS, depthSS)
	l.ssFirst = l.scopeName
	l.scopeVersion = leaf(ss+"Scope.Version", depthSS, depthSS)
	l.scopeAttrs = attrs(ss+"Scope", depthSS+1)
	l.scopeDropped = leaf(ss+"Scope.DroppedAttributesCount", depthSS, depthSS)

	const sp = ss + "Spans.list.element."
	d := depthSpan
	l.spanID = leaf(sp+"SpanID", d, d)
	l.spansFirst = l.spanID
	l.parentSpanID = leaf(sp+"ParentSpanID", d, d)
	l.parentID = leaf(sp+"ParentID", d, d)
	l.nsLeft = leaf(sp+"NestedSetLeft", d, d)
	l.nsRight = leaf(sp+"NestedSetRight", d, d)
	l.name = leaf(sp+"Name", d, d)
	l.kind = leaf(sp+"Kind", d, d)
	l.traceState = leaf(sp+"TraceState", d, d)
	l.spanStart = leaf(sp+"StartTimeUnixNano", d, d)
	l.spanDur = leaf(sp+"DurationNano", d, d)
	l.statusCode = leaf(sp+"StatusCode", d, d)
	l.statusMessage = leaf(sp+"StatusMessage", d, d)
	l.spanAttrs = attrs(sp[:len(sp)-1], depthSpan+1)
	l.spanDropped = leaf(sp+"DroppedAttributesCount", d, d)

	const ev = sp + "Events.list.element."
	n := depthEvent
	l.eventTime = leaf(ev+"TimeSinceStartNano", n, n)
	l.eventName = leaf(ev+"Name", n, n)
	l.eventAttrs = attrs(ev[:len(ev)-1], n+1)
	l.eventDropped = leaf(ev+"DroppedAttributesCount", n, n)
	l.droppedEvents = leaf(sp+"DroppedEventsCount", d, d)

	const lk = sp + "Links.list.element."
	l.linkTraceID = leaf(lk+"TraceID", n, n)
	l.linkSpanID = leaf(lk+"SpanID", n, n)
	l.linkTraceState = leaf(lk+"TraceState", n, n)
	l.linkAttrs = attrs(lk[:len(lk)-1], n+1)
	l.linkDropped = leaf(lk+"DroppedAttributesCount", n, n)
	l.droppedLinks = leaf(sp+"DroppedLinksCount", d, d)

	l.httpMethod = leaf(sp+"HttpMethod", d, d+1)
	l.httpURL = leaf(sp+"HttpUrl", d, d+1)
	l.httpStatus = leaf(sp+"HttpStatusCode", d, d+1)
	for i := range maxDedicated {
		l.spanDedicated[i] = leaf(fmt.Sprintf("%sDedicatedAttributes.String%02d", sp, i+1), d, d+1)
	}
	// rs, ss and Spans are each the last field of their parent: their
	// leaves run to the schema's last leaf.
	if l.spanDedicated[maxDedicated-1] != l.numLeaves-1 {
		panic("blocks: the span's last dedicated column is not the schema's last leaf")
	}
	return l
}
