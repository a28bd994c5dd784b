package blocks

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/tracectl/tracectl/model"
)

// Well-known attributes with static columns. The value leaves the generic
// Attrs only when it has the column's type (string; int for
// http.status_code); the first such occurrence wins.
const (
	keyHTTPMethod     = "http.method"
	keyHTTPURL        = "http.url"
	keyHTTPStatusCode = "http.status_code"
)

// resourceStatic lists the optional static resource columns in schema order
// (service.name has its own required column and comes before these).
// numResourceStatic is the number of optional static resource columns.
const numResourceStatic = 8

var resourceStatic = [numResourceStatic]string{
	"cluster", "namespace", "pod", "container",
	"k8s.cluster.name", "k8s.namespace.name", "k8s.pod.name", "k8s.container.name",
}

func resourceStaticSlot(r *pqResource, i int) **string {
	switch i {
	case 0:
		return &r.Cluster
	case 1:
		return &r.Namespace
	case 2:
		return &r.Pod
	case 3:
		return &r.Container
	case 4:
		return &r.K8sClusterName
	case 5:
		return &r.K8sNamespaceName
	case 6:
		return &r.K8sPodName
	case 7:
		return &r.K8sContainerName
	}
	return nil
}

// codec converts between model traces and parquet rows for one block's
// dedicated-column assignment.
type codec struct {
	resSlots, spanSlots map[string]int
	resNames, spanNames [maxDedicated]string
}

func newCodec(cols []DedicatedColumn) *codec {
	c := &codec{}
	c.resSlots, c.spanSlots = dedicatedSlots(cols)
	for k, i := range c.resSlots {
		c.resNames[i] = k
	}
	for k, i := range c.spanSlots {
		c.spanNames[i] = k
	}
	return c
}

// traceIDText is the hex trace ID with leading zeros trimmed, as Tempo
// stores it.
func traceIDText(id model.TraceID) string {
	return strings.TrimLeft(hex.EncodeToString(id[:]), "0")
}

// rebatch returns t with duplicate spans dropped, adjacent identical
// resources and scopes merged and nested sets computed. Identical entries
// that are not adjacent stay apart, so the spans keep their order (the
// order the Collector's tail_sampling policies walk them in); vParquet4
// allows any number of resource-spans entries with the same resource.
func rebatch(t *model.Trace) *model.Trace {
	t = withTraceID(t)
	b := model.NewOrderedTraceBuilder()
	b.AddTrace(t)
	out := b.Traces()
	if len(out) != 1 {
		return t
	}
	out[0].TraceID = t.TraceID
	return out[0]
}

// withTraceID returns t, or a copy of it whose spans all carry t.TraceID
// (the builder groups spans by their own TraceID).
func withTraceID(t *model.Trace) *model.Trace {
	same := true
	t.Spans(func(r model.SpanRef) bool {
		same = r.Span.TraceID == t.TraceID
		return same
	})
	if same {
		return t
	}
	c := *t
	c.ResourceSpans = append([]model.ResourceSpans(nil), t.ResourceSpans...)
	for i := range c.ResourceSpans {
		rs := &c.ResourceSpans[i]
		rs.ScopeSpans = append([]model.ScopeSpans(nil), rs.ScopeSpans...)
		for j := range rs.ScopeSpans {
			ss := &rs.ScopeSpans[j]
			ss.Spans = append([]model.Span(nil), ss.Spans...)
			for k := range ss.Spans {
				ss.Spans[k].TraceID = t.TraceID
			}
		}
	}
	return &c
}

// encodeAttr encodes a in the documented layout (see pqAttribute).
func encodeAttr(a *model.Attribute) pqAttribute {
	p := pqAttribute{Key: a.Key}
	v := &a.Value
	switch v.Type {
	case model.ValueString:
		p.Value = []string{v.Str}
	case model.ValueInt:
		p.ValueInt = []int64{v.Int}
	case model.ValueDouble:
		p.ValueDouble = []float64{v.Double}
	case model.ValueBool:
		p.ValueBool = []bool{v.Bool}
	case model.ValueArray:
		if encodeArray(v.Array(), &p) {
			break
		}
		fallthrough
	default: // empty, bytes, kvlist, mixed or nested array
		s := marshalAnyValue(*v)
		p.ValueUnsupported = &s
	}
	return p
}

// encodeArray stores an array of one scalar type (or an empty array) in
// the typed list with IsArray set; it reports false for mixed or nested
// arrays, leaving p unchanged.
func encodeArray(vs []model.Value, p *pqAttribute) bool {
	if len(vs) == 0 {
		p.IsArray = true
		return true
	}
	t := vs[0].Type
	for i := range vs {
		if vs[i].Type != t {
			return false
		}
	}
	switch t {
	case model.ValueString:
		for i := range vs {
			p.Value = append(p.Value, vs[i].Str)
		}
	case model.ValueInt:
		for i := range vs {
			p.ValueInt = append(p.ValueInt, vs[i].Int)
		}
	case model.ValueDouble:
		for i := range vs {
			p.ValueDouble = append(p.ValueDouble, vs[i].Double)
		}
	case model.ValueBool:
		for i := range vs {
			p.ValueBool = append(p.ValueBool, vs[i].Bool)
		}
	default:
		return false
	}
	p.IsArray = true
	return true
}

// fromRow converts a row back into a model trace. Attribute order: the
// generic Attrs in file order, then the static columns in schema order,
// then the dedicated columns in meta order (see canonical order in doc.go).
func (c *codec) fromRow(row *pqTrace) (*model.Trace, error) {
	id, ok := model.TraceIDFromBytes(row.TraceID)
	if !ok {
		return nil, fmt.Errorf("trace ID %x longer than 16 bytes", row.TraceID)
	}
	t := &model.Trace{TraceID: id, ResourceSpans: make([]model.ResourceSpans, len(row.ResourceSpans))}
	for i := range row.ResourceSpans {
		prs := &row.ResourceSpans[i]
		rs := &t.ResourceSpans[i]
		if err := c.decodeResource(&prs.Resource, &rs.Resource); err != nil {
			return nil, fmt.Errorf("trace %s: resource %d: %w", id, i, err)
		}
		rs.ScopeSpans = make([]model.ScopeSpans, len(prs.ScopeSpans))
		for j := range prs.ScopeSpans {
			pss := &prs.ScopeSpans[j]
			ss := &rs.ScopeSpans[j]
			attrs, err := decodeAttrs(pss.Scope.Attrs)
			if err != nil {
				return nil, fmt.Errorf("trace %s: scope: %w", id, err)
			}
			ss.Scope = model.Scope{
				Name:                   pss.Scope.Name,
				Version:                pss.Scope.Version,
				Attributes:             attrs,
				DroppedAttributesCount: uint32(pss.Scope.DroppedAttributesCount),
			}
			ss.Spans = make([]model.Span, len(pss.Spans))
			for k := range pss.Spans {
				if err := c.decodeSpan(&pss.Spans[k], &ss.Spans[k], id); err != nil {
					return nil, fmt.Errorf("trace %s: span %d: %w", id, k, err)
				}
			}
		}
	}
	return t, nil
}

func (c *codec) decodeResource(p *pqResource, r *model.Resource) error {
	attrs, err := decodeAttrs(p.Attrs)
	if err != nil {
		return err
	}
	if p.ServiceName != "" {
		attrs = append(attrs, model.Str(model.ServiceNameKey, p.ServiceName))
	}
	for si, key := range resourceStatic {
		if v := *resourceStaticSlot(p, si); v != nil {
			attrs = append(attrs, model.Str(key, *v))
		}
	}
	for i := 0; i < maxDedicated; i++ {
		if v := *p.DedicatedAttributes.slot(i); v != nil && c.resNames[i] != "" {
			attrs = append(attrs, model.Str(c.resNames[i], *v))
		}
	}
	r.Attributes = attrs
	r.DroppedAttributesCount = uint32(p.DroppedAttributesCount)
	return nil
}

func (c *codec) decodeSpan(p *pqSpan, s *model.Span, traceID model.TraceID) error {
	var ok bool
	if s.SpanID, ok = model.SpanIDFromBytes(p.SpanID); !ok {
		return fmt.Errorf("span ID %x longer than 8 bytes", p.SpanID)
	}
	if s.ParentSpanID, ok = model.SpanIDFromBytes(p.ParentSpanID); !ok {
		return fmt.Errorf("parent span ID %x longer than 8 bytes", p.ParentSpanID)
	}
	s.TraceID = traceID
	s.ParentIndex = p.ParentID
	s.NestedSetLeft = p.NestedSetLeft
	s.NestedSetRight = p.NestedSetRight
	s.Name = p.Name
	s.Kind = model.SpanKind(p.Kind)
	s.TraceState = p.TraceState
	s.StartTimeUnixNano = p.StartTimeUnixNano
	s.EndTimeUnixNano = p.StartTimeUnixNano + p.DurationNano
	s.Status = model.Status{Code: model.StatusCode(p.StatusCode), Message: p.StatusMessage}
	attrs, err := decodeAttrs(p.Attrs)
	if err != nil {
		return err
	}
	if p.HttpMethod != nil {
		attrs = append(attrs, model.Str(keyHTTPMethod, *p.HttpMethod))
	}
	if p.HttpUrl != nil {
		attrs = append(attrs, model.Str(keyHTTPURL, *p.HttpUrl))
	}
	if p.HttpStatusCode != nil {
		attrs = append(attrs, model.Int(keyHTTPStatusCode, *p.HttpStatusCode))
	}
	for i := 0; i < maxDedicated; i++ {
		if v := *p.DedicatedAttributes.slot(i); v != nil && c.spanNames[i] != "" {
			attrs = append(attrs, model.Str(c.spanNames[i], *v))
		}
	}
	s.Attributes = attrs
	s.DroppedAttributesCount = uint32(p.DroppedAttributesCount)
	if len(p.Events) > 0 {
		s.Events = make([]model.Event, len(p.Events))
		for i := range p.Events {
			e := &p.Events[i]
			ea, err := decodeAttrs(e.Attrs)
			if err != nil {
				return fmt.Errorf("event %d: %w", i, err)
			}
			s.Events[i] = model.Event{
				TimeUnixNano:           p.StartTimeUnixNano + e.TimeSinceStartNano,
				Name:                   e.Name,
				Attributes:             ea,
				DroppedAttributesCount: uint32(e.DroppedAttributesCount),
			}
		}
	}
	s.DroppedEventsCount = uint32(p.DroppedEventsCount)
	if len(p.Links) > 0 {
		s.Links = make([]model.Link, len(p.Links))
		for i := range p.Links {
			l := &p.Links[i]
			la, err := decodeAttrs(l.Attrs)
			if err != nil {
				return fmt.Errorf("link %d: %w", i, err)
			}
			tid, ok1 := model.TraceIDFromBytes(l.TraceID)
			sid, ok2 := model.SpanIDFromBytes(l.SpanID)
			if !ok1 || !ok2 {
				return fmt.Errorf("link %d: ID too long", i)
			}
			s.Links[i] = model.Link{
				TraceID:                tid,
				SpanID:                 sid,
				TraceState:             l.TraceState,
				Attributes:             la,
				DroppedAttributesCount: uint32(l.DroppedAttributesCount),
			}
		}
	}
	s.DroppedLinksCount = uint32(p.DroppedLinksCount)
	return nil
}

func decodeAttrs(ps []pqAttribute) ([]model.Attribute, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	out := make([]model.Attribute, len(ps))
	for i := range ps {
		v, err := decodeValue(&ps[i])
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", ps[i].Key, err)
		}
		out[i] = model.Attribute{Key: ps[i].Key, Value: v}
	}
	return out, nil
}

// decodeValue decodes a documented-layout attribute value.
func decodeValue(p *pqAttribute) (model.Value, error) {
	if p.ValueUnsupported != nil {
		return unmarshalAnyValue(*p.ValueUnsupported)
	}
	n := len(p.Value) + len(p.ValueInt) + len(p.ValueDouble) + len(p.ValueBool)
	if p.IsArray || n > 1 {
		// n > 1 without IsArray is not written by anyone we know; keep
		// every value rather than drop some.
		return typedArray(p.Value, p.ValueInt, p.ValueDouble, p.ValueBool), nil
	}
	switch {
	case len(p.Value) == 1:
		return model.StringValue(p.Value[0]), nil
	case len(p.ValueInt) == 1:
		return model.IntValue(p.ValueInt[0]), nil
	case len(p.ValueDouble) == 1:
		return model.DoubleValue(p.ValueDouble[0]), nil
	case len(p.ValueBool) == 1:
		return model.BoolValue(p.ValueBool[0]), nil
	}
	return model.Value{}, nil
}

// typedArray is the array value of the typed lists, in list order.
func typedArray(strs []string, ints []int64, doubles []float64, bools []bool) model.Value {
	var arr []model.Value
	for _, s := range strs {
		arr = append(arr, model.StringValue(s))
	}
	for _, i := range ints {
		arr = append(arr, model.IntValue(i))
	}
	for _, d := range doubles {
		arr = append(arr, model.DoubleValue(d))
	}
	for _, b := range bools {
		arr = append(arr, model.BoolValue(b))
	}
	return model.ArrayValue(arr...)
}
