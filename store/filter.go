package store

import (
	"context"

	"github.com/tracectl/tracectl/model"
)

// Filter is a condition on traces, given to a source as a hint
// (Request.Filter): a source may leave out traces that fail it, and skip
// reading data that cannot pass it. Readers re-check their query on what
// they get, so a source that ignores the filter is still correct; a filter
// must therefore never be stricter than the reader's query (a reader
// builds it as a superset of what it wants). Trace.Match is the reference
// semantics that a source's own evaluation must agree with.
type Filter struct {
	Cond *TraceCond
	// Exact says that the reader's query matches a trace exactly when the
	// trace passes Cond, so a source able to evaluate Cond may count
	// matches without building traces.
	Exact bool
}

// LogicOp combines conditions.
type LogicOp uint8

// Operators of TraceCond and SpanCond.
const (
	OpTrue     LogicOp = iota // every trace / span (no test)
	OpAnd                     // all of Args (an empty And is true)
	OpOr                      // any of Args (an empty Or is false)
	OpNot                     // not Args[0] (SpanCond only)
	OpAny                     // some span of the trace passes Span (TraceCond only)
	OpTest                    // the value of Field passes Test (SpanCond only)
	OpSpanset                 // Spans selects some span of the trace (TraceCond only)
	OpTraceIDs                // the trace's ID is in IDs (TraceCond only)
)

// TraceCond is a condition on a whole trace.
type TraceCond struct {
	Op    LogicOp
	Args  []*TraceCond
	Span  *SpanCond              // for OpAny
	Spans *SpansetExpr           // for OpSpanset
	IDs   map[model.TraceID]bool // for OpTraceIDs
}

// SpanCond is a condition on one span, with its resource and scope.
type SpanCond struct {
	Op    LogicOp
	Args  []*SpanCond
	Field Field
	// Test decides OpTest on the field's value; ok is false when the span
	// has no such value (attributes only). It must be a pure function of
	// its arguments: sources may call it once per distinct value.
	Test func(v model.Value, ok bool) bool
	// Types, when not zero, are the attribute value types Test tells
	// apart: a present value of another type gets the answer of
	// Test(model.Value{}, true), and leaving out an array's elements of
	// other types does not change its answer; unless Types holds
	// ValueBool, an array of one element also answers as that element.
	// A source may then read only values of these types (and need not
	// tell one-element arrays from scalars). Zero: every type matters.
	Types ValueTypes
	// Str, when not nil, is Test's answer for a present string value:
	// Str(s) == Test(model.StringValue(s), true) for every s. A source
	// may call it instead of Test on a string dictionary, whose every
	// value it tests (`= "lit"` is a comparison of two strings, where
	// Test goes through the query's values). Like Test, it keeps nothing
	// of s.
	Str func(s string) bool
	// Ints, when not nil, holds every int value Test passes: Test(v, true)
	// is false for an int v outside [Ints.Lo, Ints.Hi]. A source may skip
	// the spans whose values, by their statistics, all lie outside it.
	// Compilers set it on span duration tests.
	Ints *IntRange
	// Strs, when not nil, holds every string Test passes: a present
	// string value outside [Strs.Lo, Strs.Hi] fails, and so does an
	// absent one. A source may skip the spans whose strings, by their
	// statistics, all lie outside it. Compilers set it on `= "lit"`.
	Strs *StrRange
}

// StrRange is the strings from Lo to Hi, both included.
type StrRange struct{ Lo, Hi string }

// IntRange is the ints from Lo to Hi, both included; none when Lo > Hi.
type IntRange struct{ Lo, Hi int64 }

// Overlaps reports whether r holds an int from lo to hi.
func (r IntRange) Overlaps(lo, hi int64) bool { return r.Lo <= hi && lo <= r.Hi && r.Lo <= r.Hi }

// ValueTypes is a set of model.ValueType (bit 1<<type).
type ValueTypes uint16

// TypesOf returns the set of ts.
func TypesOf(ts ...model.ValueType) ValueTypes {
	var s ValueTypes
	for _, t := range ts {
		s |= 1 << t
	}
	return s
}

// Has reports whether s holds t; the zero set (every type) holds all.
func (s ValueTypes) Has(t model.ValueType) bool { return s == 0 || s&(1<<t) != 0 }

// union returns the types either set tells apart (zero when one is zero).
func (s ValueTypes) union(o ValueTypes) ValueTypes {
	if s == 0 || o == 0 {
		return 0
	}
	return s | o
}

// FieldKind says what a Field reads.
type FieldKind uint8

// Fields a SpanCond can test, with the model.Value type Test receives.
const (
	FieldSpanName          FieldKind = iota + 1 // string
	FieldSpanStatus                             // int: model.StatusCode
	FieldSpanStatusMessage                      // string
	FieldSpanKind                               // int: model.SpanKind
	FieldSpanDuration                           // int: nanoseconds, Span.Duration
	FieldTraceDuration                          // int: nanoseconds, end − start of Trace.TimeRange
	// Attributes: the value of the first attribute named Name in the
	// span's (resource's, scope's) attribute list, in the order a source
	// returns them; ok false when there is none.
	FieldSpanAttr
	FieldResourceAttr
	FieldScopeAttr
	// Event and link attributes: the span passes when some event (link) of
	// it has an attribute named Name whose value passes Test; Test is
	// never called with ok false.
	FieldEventAttr
	FieldLinkAttr
)

// Field names what a SpanCond tests.
type Field struct {
	Kind FieldKind
	Name string // attribute name
}

// True is the condition every trace passes.
var True = &TraceCond{Op: OpTrue}

// Match reports whether t passes the condition.
func (c *TraceCond) Match(t *model.Trace) bool {
	switch c.Op {
	case OpTrue:
		return true
	case OpAnd:
		for _, a := range c.Args {
			if !a.Match(t) {
				return false
			}
		}
		return true
	case OpOr:
		for _, a := range c.Args {
			if a.Match(t) {
				return true
			}
		}
		return false
	case OpAny:
		found := false
		t.Spans(func(r model.SpanRef) bool {
			found = c.Span.Match(t, r)
			return !found
		})
		return found
	case OpSpanset:
		return anyTrue(c.Spans.Select(t))
	case OpTraceIDs:
		return c.IDs[t.TraceID]
	}
	return false
}

// Match reports whether span r of trace t passes the condition.
func (c *SpanCond) Match(t *model.Trace, r model.SpanRef) bool {
	switch c.Op {
	case OpTrue:
		return true
	case OpAnd:
		for _, a := range c.Args {
			if !a.Match(t, r) {
				return false
			}
		}
		return true
	case OpOr:
		for _, a := range c.Args {
			if a.Match(t, r) {
				return true
			}
		}
		return false
	case OpNot:
		return !c.Args[0].Match(t, r)
	case OpTest:
		return c.test(t, r)
	}
	return false
}

func (c *SpanCond) test(t *model.Trace, r model.SpanRef) bool {
	s := r.Span
	switch c.Field.Kind {
	case FieldEventAttr:
		for i := range s.Events {
			if v, ok := model.Find(s.Events[i].Attributes, c.Field.Name); ok && c.Test(v, true) {
				return true
			}
		}
		return false
	case FieldLinkAttr:
		for i := range s.Links {
			if v, ok := model.Find(s.Links[i].Attributes, c.Field.Name); ok && c.Test(v, true) {
				return true
			}
		}
		return false
	}
	v, ok := FieldValue(t, r, c.Field)
	return c.Test(v, ok)
}

// Visit calls span with every span condition in c (the arguments of
// And, Or and Not included) and spanset with every spanset expression.
func (c *TraceCond) Visit(span func(*SpanCond), spanset func(*SpansetExpr)) {
	var walk func(s *SpanCond)
	walk = func(s *SpanCond) {
		if s == nil {
			return
		}
		span(s)
		for _, a := range s.Args {
			walk(a)
		}
	}
	var set func(e *SpansetExpr)
	set = func(e *SpansetExpr) {
		if e == nil {
			return
		}
		spanset(e)
		walk(e.Cond)
		set(e.L)
		set(e.R)
	}
	walk(c.Span)
	set(c.Spans)
	for _, a := range c.Args {
		a.Visit(span, spanset)
	}
}

// Fields returns the parts of spans a source needs to evaluate c.
func (c *TraceCond) Fields() Fields {
	var f Fields
	c.Visit(func(s *SpanCond) {
		switch s.Field.Kind {
		case FieldSpanAttr:
			f.SpanAttributes = true
		case FieldResourceAttr:
			f.ResourceAttributes = true
		case FieldScopeAttr:
			f.ScopeAttributes = true
		case FieldEventAttr:
			f.Events = true
		case FieldLinkAttr:
			f.Links = true
		}
	}, func(*SpansetExpr) {})
	return f
}

// Counter is implemented by sources that can count the traces passing an
// exact filter without building them.
type Counter interface {
	// CountTraces counts the traces of req (time range as for Traces)
	// that pass req.Filter.Cond, which must be set; each trace counts once
	// however many blocks hold parts of it. A trace is in the time range
	// when its Trace.TimeRange overlaps it.
	CountTraces(ctx context.Context, req Request) (Count, error)
}

// Count is the answer of Counter.
type Count struct {
	Traces int // traces passing the filter
	// InspectedTraces and InspectedSpans count what was looked at: traces
	// in the time range and their spans.
	InspectedTraces, InspectedSpans int
}

// Add adds o's counts to c.
func (c *Count) Add(o Count) {
	c.Traces += o.Traces
	c.InspectedTraces += o.InspectedTraces
	c.InspectedSpans += o.InspectedSpans
}
