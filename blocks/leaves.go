package blocks

import (
	"fmt"

	"github.com/parquet-go/parquet-go"

	"github.com/tracectl/tracectl/blocks/column"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

// The leaf columns of data.parquet that the column readers use, resolved
// by path against each file's own schema (a file written by another
// vParquet4 writer may order its columns differently or lack optional
// ones). Element depths (the number of repeated ancestors): trace 0,
// resource spans 1, scope spans 2, spans 3, span events and links 4;
// attributes sit one level below their owner and attribute value lists one
// level below the attribute.

// traceTimesKey is the footer key-value entry by which tracectl marks the
// files whose trace-level StartTimeUnixNano, EndTimeUnixNano and
// DurationNano it computed from the row's spans exactly as
// model.Trace.TimeRange does (traceTimesSpanRange), so that readers may
// use those columns instead of the span columns. Files of other writers
// lack it and are read from their spans.
const (
	traceTimesKey       = "tracectl.traceTimes"
	traceTimesSpanRange = "span-range-v1"
)

// Depths of the nested elements.
const (
	depthRS    = 1
	depthSS    = 2
	depthSpan  = 3
	depthEvent = 4 // also links
)

func path(parts ...[]string) []string {
	var p []string
	for _, x := range parts {
		p = append(p, x...)
	}
	return p
}

var (
	pathRS       = []string{"rs", "list", "element"}
	pathResource = path(pathRS, []string{"Resource"})
	pathSS       = path(pathRS, []string{"ss", "list", "element"})
	pathScope    = path(pathSS, []string{"Scope"})
	pathSpan     = path(pathSS, []string{"Spans", "list", "element"})
	pathEvent    = path(pathSpan, []string{"Events", "list", "element"})
	pathLink     = path(pathSpan, []string{"Links", "list", "element"})
)

// leaf is a resolved column; ok is false when the file has no such column.
// minimalLeft marks a column a minimal projection leaves out
// (isMinimalLeft).
type leaf struct {
	column.Leaf
	ok          bool
	minimalLeft bool
}

func lookupLeaf(s *parquet.Schema, p []string) leaf {
	l, ok := column.Lookup(s, p...)
	return leaf{l, ok, isMinimalLeft(logicalPath(p))}
}

// attrLeaves are the columns of one generic attribute group (resource,
// scope, span, event or link Attrs) in either layout.
type attrLeaves struct {
	key, isArray, valueType   leaf
	str, ints, doubles, bools leaf
	unsupported               leaf // ValueUnsupported, or ValueDropped in the legacy layout
	depth                     int  // depth of the attribute element
}

// ofTypes leaves out (ok false) the value columns of the documented
// layout that hold no value of the given types (zero: every type), and
// IsArray unless booleans are asked (see store.SpanCond.Types):
// ValueUnsupported stays unless only presence is asked, since it holds
// arrays and maps of any type.
func (a attrLeaves) ofTypes(types store.ValueTypes) attrLeaves {
	if types == 0 {
		return a
	}
	for _, c := range []struct {
		l *leaf
		t model.ValueType
	}{{&a.str, model.ValueString}, {&a.ints, model.ValueInt}, {&a.doubles, model.ValueDouble}, {&a.bools, model.ValueBool}} {
		if !types.Has(c.t) {
			c.l.ok = false
		}
	}
	if !types.Has(model.ValueBool) {
		// A one-element array answers as its element, and longer ones
		// are arrays whatever IsArray says.
		a.isArray.ok = false
	}
	if types == store.TypesOf(model.ValueEmpty) {
		a.unsupported.ok = false
	}
	return a
}

func lookupAttrs(s *parquet.Schema, owner []string, l layout) attrLeaves {
	base := path(owner, []string{"Attrs", "list", "element"})
	list := func(name string) leaf { return lookupLeaf(s, path(base, []string{name, "list", "element"})) }
	a := attrLeaves{
		key:     lookupLeaf(s, path(base, []string{"Key"})),
		str:     list("Value"),
		ints:    list("ValueInt"),
		doubles: list("ValueDouble"),
		bools:   list("ValueBool"),
	}
	if l == layoutLegacy {
		a.valueType = lookupLeaf(s, path(base, []string{"ValueType"}))
		a.unsupported = lookupLeaf(s, path(base, []string{"ValueDropped"}))
	} else {
		a.isArray = lookupLeaf(s, path(base, []string{"IsArray"}))
		a.unsupported = lookupLeaf(s, path(base, []string{"ValueUnsupported"}))
	}
	a.depth = int(a.key.MaxRep)
	return a
}

// fileLeaves are the columns of one file the readers know.
type fileLeaves struct {
	traceID, traceStart, traceEnd, traceDuration leaf

	serviceName, resDropped leaf
	resStatic               [numResourceStatic]leaf
	resDedicated            [maxDedicated]leaf
	resAttrs                attrLeaves

	scopeName, scopeVersion, scopeDropped leaf
	scopeAttrs                            attrLeaves

	spanID, parentSpanID, parentID, nestedLeft, nestedRight leaf
	name, kind, traceState, start, duration                 leaf
	statusCode, statusMessage                               leaf
	spanDropped, eventsDropped, linksDropped                leaf
	httpMethod, httpURL, httpStatus                         leaf
	spanDedicated                                           [maxDedicated]leaf
	spanAttrs                                               attrLeaves

	eventTime, eventName, eventDropped leaf
	eventAttrs                         attrLeaves

	linkTraceID, linkSpanID, linkTraceState, linkDropped leaf
	linkAttrs                                            attrLeaves
}

var resourceStaticColumns = [numResourceStatic]string{
	"Cluster", "Namespace", "Pod", "Container",
	"K8sClusterName", "K8sNamespaceName", "K8sPodName", "K8sContainerName",
}

func dedicatedColumn(i int) string { return fmt.Sprintf("String%02d", i+1) }

// resolveLeaves looks every known column up in s. The columns that give a
// trace its structure must exist and sit at their depth.
func resolveLeaves(s *parquet.Schema, l layout) (*fileLeaves, error) {
	at := func(base []string, name ...string) leaf { return lookupLeaf(s, path(base, name)) }
	f := &fileLeaves{
		traceID:    at(nil, "TraceID"),
		traceStart: at(nil, "StartTimeUnixNano"),
		traceEnd:   at(nil, "EndTimeUnixNano"),

		traceDuration: at(nil, "DurationNano"),

		serviceName: at(pathResource, "ServiceName"),
		resDropped:  at(pathResource, "DroppedAttributesCount"),
		resAttrs:    lookupAttrs(s, pathResource, l),

		scopeName:    at(pathScope, "Name"),
		scopeVersion: at(pathScope, "Version"),
		scopeDropped: at(pathScope, "DroppedAttributesCount"),
		scopeAttrs:   lookupAttrs(s, pathScope, l),

		spanID:        at(pathSpan, "SpanID"),
		parentSpanID:  at(pathSpan, "ParentSpanID"),
		parentID:      at(pathSpan, "ParentID"),
		nestedLeft:    at(pathSpan, "NestedSetLeft"),
		nestedRight:   at(pathSpan, "NestedSetRight"),
		name:          at(pathSpan, "Name"),
		kind:          at(pathSpan, "Kind"),
		traceState:    at(pathSpan, "TraceState"),
		start:         at(pathSpan, "StartTimeUnixNano"),
		duration:      at(pathSpan, "DurationNano"),
		statusCode:    at(pathSpan, "StatusCode"),
		statusMessage: at(pathSpan, "StatusMessage"),
		spanDropped:   at(pathSpan, "DroppedAttributesCount"),
		eventsDropped: at(pathSpan, "DroppedEventsCount"),
		linksDropped:  at(pathSpan, "DroppedLinksCount"),
		httpMethod:    at(pathSpan, "HttpMethod"),
		httpURL:       at(pathSpan, "HttpUrl"),
		httpStatus:    at(pathSpan, "HttpStatusCode"),
		spanAttrs:     lookupAttrs(s, pathSpan, l),

		eventTime:    at(pathEvent, "TimeSinceStartNano"),
		eventName:    at(pathEvent, "Name"),
		eventDropped: at(pathEvent, "DroppedAttributesCount"),
		eventAttrs:   lookupAttrs(s, pathEvent, l),

		linkTraceID:    at(pathLink, "TraceID"),
		linkSpanID:     at(pathLink, "SpanID"),
		linkTraceState: at(pathLink, "TraceState"),
		linkDropped:    at(pathLink, "DroppedAttributesCount"),
		linkAttrs:      lookupAttrs(s, pathLink, l),
	}
	for i, name := range resourceStaticColumns {
		f.resStatic[i] = at(pathResource, name)
	}
	for i := range maxDedicated {
		f.resDedicated[i] = at(pathResource, "DedicatedAttributes", dedicatedColumn(i))
		f.spanDedicated[i] = at(pathSpan, "DedicatedAttributes", dedicatedColumn(i))
	}
	need := []struct {
		name  string
		l     leaf
		depth int
	}{
		{"TraceID", f.traceID, 0},
		{"span StartTimeUnixNano", f.start, depthSpan},
		{"Resource ServiceName", f.serviceName, depthRS},
		{"Scope Name", f.scopeName, depthSS},
	}
	for _, n := range need {
		if !n.l.ok || int(n.l.MaxRep) != n.depth {
			return nil, fmt.Errorf("%w: column %s missing or not at depth %d", column.ErrCorrupt, n.name, n.depth)
		}
	}
	return f, nil
}

// chunkEmpty reports whether leaf l holds no value in row group g: its
// statistics count every entry as null (an empty list or absent value).
func (p *pfile) chunkEmpty(g int, l leaf) bool {
	m := p.file.Metadata().RowGroups[g].Columns[l.Index].MetaData
	return m.NumValues > 0 && m.Statistics.NullCount == m.NumValues
}

// chunkAllFalse reports whether boolean leaf l is false or null in every
// entry of row group g, from its statistics: the largest value is false
// (nulls, such as the IsArray entry of a span without attributes, are
// not counted in it and read as false).
func (p *pfile) chunkAllFalse(g int, l leaf) bool {
	st := p.file.Metadata().RowGroups[g].Columns[l.Index].MetaData.Statistics
	hi := st.MaxValue
	if len(hi) == 0 {
		hi = st.Max
	}
	return len(hi) == 1 && hi[0] == 0
}

// readable returns the attribute leaves worth reading in row group g:
// value columns without any value and an IsArray that is never true are
// left out (ok false), which reads them as absent and false.
func (p *pfile) readable(g int, a attrLeaves) attrLeaves {
	for _, l := range []*leaf{&a.str, &a.ints, &a.doubles, &a.bools, &a.unsupported} {
		if l.ok && p.chunkEmpty(g, *l) {
			l.ok = false
		}
	}
	if a.isArray.ok && p.chunkAllFalse(g, a.isArray) {
		a.isArray.ok = false
	}
	return a
}
