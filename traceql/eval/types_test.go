package eval

import (
	"fmt"
	"math"
	"testing"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/traceql"
)

// TestAttrTypesContract holds every attribute test the compiler marks
// with store.SpanCond.Types to that field's promise, on values of every
// type: a value of another type answers as the empty value does, an
// array answers the same without its elements of other types, and
// (unless booleans are among the types) a one-element array answers as
// its element. Readers
// skip the other types' columns on that promise.
func TestAttrTypesContract(t *testing.T) {
	scalars := []model.Value{
		model.StringValue("GET"), model.StringValue(""), model.StringValue("500"), model.StringValue("true"),
		model.IntValue(500), model.IntValue(0), model.IntValue(-1), model.IntValue(math.MaxInt64),
		model.DoubleValue(500), model.DoubleValue(0.5), model.DoubleValue(math.NaN()), model.DoubleValue(math.Inf(-1)),
		model.BoolValue(true), model.BoolValue(false),
		model.BytesValue([]byte("GET")), model.MapValue(model.Str("k", "GET")), {},
	}
	values := append([]model.Value(nil), scalars...)
	for i := range scalars {
		for j := range scalars {
			values = append(values, model.ArrayValue(scalars[i], scalars[j]))
		}
		values = append(values, model.ArrayValue(scalars[i]))
	}
	values = append(values, model.ArrayValue())
	var queries []string
	for _, op := range []string{"=", "!=", "<", "<=", ">", ">="} {
		for _, lit := range []string{`"GET"`, `""`, `"500"`, `500`, `0.5`, `-1`, `500ms`, `true`, `false`} {
			queries = append(queries, fmt.Sprintf("{ span.x %s %s }", op, lit), fmt.Sprintf("{ %s %s resource.x }", lit, op))
		}
	}
	queries = append(queries, `{ span.x = nil }`, `{ span.x != nil }`, `{ span.x =~ "G.*" }`, `{ span.x !~ "G.*" }`,
		`{ span.x =~ "" }`, `{ span.x !~ ".*" }`, `{ span.x }`, `{ !span.x }`, `{ span.x = "GET" || span.x = 500 }`,
		`{ span.x = "GET" || span.x = nil }`)
	marked := 0
	for _, q := range queries {
		root, err := traceql.Parse(q)
		if err != nil {
			continue // e.g. < on a boolean
		}
		f := FilterOf(root)
		if f == nil {
			t.Fatalf("%s: no filter", q)
		}
		for _, c := range attrTests(f.Cond) {
			if c.Types == 0 {
				continue
			}
			marked++
			empty := c.Test(model.Value{}, true)
			for _, v := range values {
				want := c.Test(v, true)
				if got := c.Test(keepTypes(v, c.Types), true); got != want {
					t.Errorf("%s: %v: answer %v, %v with only types %b", q, v, want, got, c.Types)
				}
				if !hasType(v, c.Types) && want != empty {
					t.Errorf("%s: %v (no value of types %b): answer %v, the empty value's %v", q, v, c.Types, want, empty)
				}
				if one := model.ArrayValue(v); v.Type != model.ValueArray && !c.Types.Has(model.ValueBool) && c.Test(one, true) != want {
					t.Errorf("%s: [%v] answers %v, %v alone %v", q, v, c.Test(one, true), v, want)
				}
			}
		}
	}
	if marked < len(queries)/2 {
		t.Fatalf("only %d tests carry types", marked)
	}
}

// keepTypes returns v as a reader that reads only types returns it: a
// scalar of another type is empty; an array keeps its elements of types.
func keepTypes(v model.Value, types store.ValueTypes) model.Value {
	if v.Type == model.ValueArray {
		var keep []model.Value
		for _, e := range v.Array() {
			if types.Has(e.Type) {
				keep = append(keep, e)
			}
		}
		return model.ArrayValue(keep...)
	}
	if !types.Has(v.Type) {
		return model.Value{}
	}
	return v
}

// hasType reports whether v, or an element of it, is of one of types.
func hasType(v model.Value, types store.ValueTypes) bool {
	if v.Type == model.ValueArray {
		for _, e := range v.Array() {
			if types.Has(e.Type) {
				return true
			}
		}
		return false
	}
	return types.Has(v.Type)
}

// attrTests returns the attribute tests of a trace condition, with its
// span conditions simplified (alternatives of one field merged).
func attrTests(c *store.TraceCond) []*store.SpanCond {
	var out []*store.SpanCond
	var span func(*store.SpanCond)
	span = func(s *store.SpanCond) {
		if s == nil {
			return
		}
		if s.Op == store.OpTest && s.Field.Name != "" {
			out = append(out, s)
		}
		for _, a := range s.Args {
			span(a)
		}
	}
	var set func(*store.SpansetExpr)
	set = func(e *store.SpansetExpr) {
		if e == nil {
			return
		}
		if e.Cond != nil {
			span(e.Cond.Simplified())
		}
		set(e.L)
		set(e.R)
	}
	var trace func(*store.TraceCond)
	trace = func(c *store.TraceCond) {
		if c == nil {
			return
		}
		if c.Span != nil {
			span(c.Span.Simplified())
		}
		set(c.Spans)
		for _, a := range c.Args {
			trace(a)
		}
	}
	trace(c)
	return out
}
