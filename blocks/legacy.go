package blocks

import (
	"fmt"
	"sync"

	"github.com/parquet-go/parquet-go"

	"github.com/tracectl/tracectl/model"
)

// layout is the attribute layout of a data.parquet (see schema.go).
type layout int

const (
	layoutDocumented layout = iota // IsArray / ValueUnsupported: what we write
	layoutLegacy                   // ValueType / ValueDropped: Tempo's test block
)

func (l layout) String() string {
	if l == layoutLegacy {
		return "legacy"
	}
	return "documented"
}

// Schemas of the two layouts: traceSchema is written, both are read.
// They are built on first use, not at start: reflecting over the row
// types allocates some 300 KB, which every command (--version included)
// paid for, and the legacy one is needed only for Tempo's older blocks.
var (
	traceSchema = sync.OnceValue(func() *parquet.Schema {
		return parquet.NewSchema("Trace", parquet.SchemaOf(new(pqTrace)))
	})
	legacyTraceSchema = sync.OnceValue(func() *parquet.Schema {
		return parquet.NewSchema("Trace", parquet.SchemaOf(new(pqLegacyTrace)))
	})
)

// resourceAttrPath is the path of the resource attribute group; its leaf
// names tell the layouts apart.
var resourceAttrPath = []string{"rs", "list", "element", "Resource", "Attrs", "list", "element"}

// detectLayout tells the layout of a file from its schema: a resource
// attribute group with IsArray and ValueUnsupported is documented, one
// with ValueType and ValueDropped is legacy; anything else is an error.
func detectLayout(s *parquet.Schema) (layout, error) {
	has := func(leaf string) bool {
		_, ok := s.Lookup(append(resourceAttrPath[:len(resourceAttrPath):len(resourceAttrPath)], leaf)...)
		return ok
	}
	switch {
	case has("IsArray") && has("ValueUnsupported") && !has("ValueType"):
		return layoutDocumented, nil
	case has("ValueType") && has("ValueDropped") && !has("IsArray"):
		return layoutLegacy, nil
	}
	return 0, fmt.Errorf("unknown vParquet4 attribute layout (neither IsArray/ValueUnsupported nor ValueType/ValueDropped)")
}

// ValueType codes of the legacy attribute layout. Tempo's test block uses
// 1 (string) and 4 (bool), matching the order of the typed lists
// Value/ValueInt/ValueDouble/ValueBool. The other codes were tracectl's own
// convention while it wrote this layout (before it wrote the documented
// one); they are still read: 0 = empty value, 5 = ValueDropped holds an
// OTLP JSON AnyValue, 6..9 = homogeneous arrays in the typed list (an empty
// array is 6 with no values).
const (
	legacyAttrEmpty       int32 = 0
	legacyAttrString      int32 = 1
	legacyAttrInt         int32 = 2
	legacyAttrDouble      int32 = 3
	legacyAttrBool        int32 = 4
	legacyAttrDropped     int32 = 5
	legacyAttrStringArray int32 = 6
	legacyAttrIntArray    int32 = 7
	legacyAttrDoubleArray int32 = 8
	legacyAttrBoolArray   int32 = 9
)

// decodeLegacyValue decodes a legacy-layout attribute value.
func decodeLegacyValue(p *pqLegacyAttribute) (model.Value, error) {
	switch p.ValueType {
	case legacyAttrString:
		if len(p.Value) == 1 {
			return model.StringValue(p.Value[0]), nil
		}
	case legacyAttrInt:
		if len(p.ValueInt) == 1 {
			return model.IntValue(p.ValueInt[0]), nil
		}
	case legacyAttrDouble:
		if len(p.ValueDouble) == 1 {
			return model.DoubleValue(p.ValueDouble[0]), nil
		}
	case legacyAttrBool:
		if len(p.ValueBool) == 1 {
			return model.BoolValue(p.ValueBool[0]), nil
		}
	case legacyAttrStringArray, legacyAttrIntArray, legacyAttrDoubleArray, legacyAttrBoolArray:
		return typedArray(p.Value, p.ValueInt, p.ValueDouble, p.ValueBool), nil
	case legacyAttrEmpty:
		if p.ValueDropped == nil && len(p.Value)+len(p.ValueInt)+len(p.ValueDouble)+len(p.ValueBool) == 0 {
			return model.Value{}, nil
		}
	}
	if p.ValueDropped != nil {
		return unmarshalAnyValue(*p.ValueDropped)
	}
	// Unknown code or list length: keep what the lists hold.
	switch n := len(p.Value) + len(p.ValueInt) + len(p.ValueDouble) + len(p.ValueBool); {
	case n == 1 && len(p.Value) == 1:
		return model.StringValue(p.Value[0]), nil
	case n == 1 && len(p.ValueInt) == 1:
		return model.IntValue(p.ValueInt[0]), nil
	case n == 1 && len(p.ValueDouble) == 1:
		return model.DoubleValue(p.ValueDouble[0]), nil
	case n == 1 && len(p.ValueBool) == 1:
		return model.BoolValue(p.ValueBool[0]), nil
	case n == 0:
		return model.Value{}, nil
	}
	return typedArray(p.Value, p.ValueInt, p.ValueDouble, p.ValueBool), nil
}

// fromLegacyRow converts a legacy-layout row into the documented layout:
// every attribute is decoded as legacy and re-encoded as documented (which
// round-trips every model value); all other fields are copied.
func fromLegacyRow(l *pqLegacyTrace) (pqTrace, error) {
	rs, err := mapAttrs(l.ResourceSpans, func(ls []pqLegacyAttribute) ([]pqAttribute, error) {
		out := make([]pqAttribute, len(ls))
		for i := range ls {
			v, err := decodeLegacyValue(&ls[i])
			if err != nil {
				return nil, fmt.Errorf("trace %x: attribute %q: %w", l.TraceID, ls[i].Key, err)
			}
			out[i] = encodeAttr(&model.Attribute{Key: ls[i].Key, Value: v})
		}
		return out, nil
	})
	if err != nil {
		return pqTrace{}, err
	}
	return pqTrace{
		TraceID:           l.TraceID,
		TraceIDText:       l.TraceIDText,
		StartTimeUnixNano: l.StartTimeUnixNano,
		EndTimeUnixNano:   l.EndTimeUnixNano,
		DurationNano:      l.DurationNano,
		RootServiceName:   l.RootServiceName,
		RootSpanName:      l.RootSpanName,
		ServiceStats:      l.ServiceStats,
		ResourceSpans:     rs,
	}, nil
}

// mapAttrs copies a row's resource spans, converting every non-empty
// attribute list (resource, scope, span, event, link) with f.
func mapAttrs[S, D any](in []pqResourceSpansOf[S], f func([]S) ([]D, error)) ([]pqResourceSpansOf[D], error) {
	var err error
	conv := func(s []S) []D {
		if len(s) == 0 || err != nil {
			return nil
		}
		var d []D
		d, err = f(s)
		return d
	}
	out := make([]pqResourceSpansOf[D], len(in))
	for i := range in {
		lrs, rs := &in[i], &out[i]
		lr := &lrs.Resource
		rs.Resource = pqResourceOf[D]{
			Attrs:                  conv(lr.Attrs),
			DroppedAttributesCount: lr.DroppedAttributesCount,
			ServiceName:            lr.ServiceName,
			Cluster:                lr.Cluster,
			Namespace:              lr.Namespace,
			Pod:                    lr.Pod,
			Container:              lr.Container,
			K8sClusterName:         lr.K8sClusterName,
			K8sNamespaceName:       lr.K8sNamespaceName,
			K8sPodName:             lr.K8sPodName,
			K8sContainerName:       lr.K8sContainerName,
			DedicatedAttributes:    lr.DedicatedAttributes,
		}
		rs.ScopeSpans = make([]pqScopeSpansOf[D], len(lrs.ScopeSpans))
		for j := range lrs.ScopeSpans {
			lss, ss := &lrs.ScopeSpans[j], &rs.ScopeSpans[j]
			ss.Scope = pqScopeOf[D]{
				Name:                   lss.Scope.Name,
				Version:                lss.Scope.Version,
				Attrs:                  conv(lss.Scope.Attrs),
				DroppedAttributesCount: lss.Scope.DroppedAttributesCount,
			}
			ss.Spans = make([]pqSpanOf[D], len(lss.Spans))
			for k := range lss.Spans {
				ls, s := &lss.Spans[k], &ss.Spans[k]
				*s = pqSpanOf[D]{
					SpanID:                 ls.SpanID,
					ParentSpanID:           ls.ParentSpanID,
					ParentID:               ls.ParentID,
					NestedSetLeft:          ls.NestedSetLeft,
					NestedSetRight:         ls.NestedSetRight,
					Name:                   ls.Name,
					Kind:                   ls.Kind,
					TraceState:             ls.TraceState,
					StartTimeUnixNano:      ls.StartTimeUnixNano,
					DurationNano:           ls.DurationNano,
					StatusCode:             ls.StatusCode,
					StatusMessage:          ls.StatusMessage,
					Attrs:                  conv(ls.Attrs),
					DroppedAttributesCount: ls.DroppedAttributesCount,
					DroppedEventsCount:     ls.DroppedEventsCount,
					DroppedLinksCount:      ls.DroppedLinksCount,
					HttpMethod:             ls.HttpMethod,
					HttpUrl:                ls.HttpUrl,
					HttpStatusCode:         ls.HttpStatusCode,
					DedicatedAttributes:    ls.DedicatedAttributes,
				}
				if len(ls.Events) > 0 {
					s.Events = make([]pqEventOf[D], len(ls.Events))
					for e := range ls.Events {
						le := &ls.Events[e]
						s.Events[e] = pqEventOf[D]{
							TimeSinceStartNano:     le.TimeSinceStartNano,
							Name:                   le.Name,
							Attrs:                  conv(le.Attrs),
							DroppedAttributesCount: le.DroppedAttributesCount,
						}
					}
				}
				if len(ls.Links) > 0 {
					s.Links = make([]pqLinkOf[D], len(ls.Links))
					for n := range ls.Links {
						ll := &ls.Links[n]
						s.Links[n] = pqLinkOf[D]{
							TraceID:                ll.TraceID,
							SpanID:                 ll.SpanID,
							TraceState:             ll.TraceState,
							Attrs:                  conv(ll.Attrs),
							DroppedAttributesCount: ll.DroppedAttributesCount,
						}
					}
				}
			}
		}
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}
