package store

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tracectl/tracectl/model"
)

// Simplified returns c with nested ORs and ANDs flattened and, under each
// OR, the tests of one field merged into one test that passes when any of
// them does. A source then reads each field once however many alternatives
// a query lists (`{ .a = "x" || .a = "y" || ... }`), and evaluates the
// merged test once per distinct value. The result matches exactly the
// spans c matches. c is not changed.
func (c *SpanCond) Simplified() *SpanCond {
	if c == nil {
		return nil
	}
	switch c.Op {
	case OpAnd, OpOr:
		args := flatten(c.Op, c.Args, func(x *SpanCond) (LogicOp, []*SpanCond) { return x.Op, x.Args }, (*SpanCond).Simplified)
		if c.Op == OpOr {
			args = mergeTests(args)
		}
		if len(args) == 1 {
			return args[0]
		}
		return &SpanCond{Op: c.Op, Args: args}
	case OpNot:
		return &SpanCond{Op: OpNot, Args: []*SpanCond{c.Args[0].Simplified()}}
	}
	return c
}

// mergeTests replaces the OpTest conditions of one field among the
// alternatives of an OR by one, where the first of them was.
func mergeTests(args []*SpanCond) []*SpanCond {
	byField := map[Field][]func(v model.Value, ok bool) bool{}
	types := map[Field]ValueTypes{}
	strs := map[Field][]func(string) bool{} // while every test of the field has a Str
	for _, a := range args {
		if a.Op == OpTest {
			if s, seen := strs[a.Field]; a.Str != nil && (!seen || s != nil) {
				strs[a.Field] = append(s, a.Str)
			} else {
				strs[a.Field] = nil
			}
			if t, seen := types[a.Field]; seen {
				types[a.Field] = t.union(a.Types)
			} else {
				types[a.Field] = a.Types
			}
			byField[a.Field] = append(byField[a.Field], a.Test)
		}
	}
	out := args[:0:0]
	done := map[Field]bool{}
	for _, a := range args {
		if a.Op != OpTest || len(byField[a.Field]) == 1 {
			out = append(out, a)
			continue
		}
		if done[a.Field] {
			continue
		}
		done[a.Field] = true
		out = append(out, &SpanCond{Op: OpTest, Field: a.Field, Test: anyOf(byField[a.Field]), Types: types[a.Field],
			Str: anyStr(strs[a.Field])})
	}
	return out
}

// anyStr returns a string test that passes when one of strs does; nil
// when strs is, or when they are more than memoAbove: anyOf remembers
// Test's answer per string there, which a dictionary met in every row
// group then costs once, where strs would be called for each.
func anyStr(strs []func(string) bool) func(string) bool {
	if strs == nil || len(strs) > memoAbove {
		return nil
	}
	return func(s string) bool {
		for _, f := range strs {
			if f(s) {
				return true
			}
		}
		return false
	}
}

// memoAbove is the number of alternatives from which anyOf remembers its
// answer per string value, and memoMax how many values it remembers.
const (
	memoAbove = 16
	memoMax   = 1 << 16
)

// anyOf returns a test that passes when one of tests does. With many
// tests, string values' answers are remembered (tests are pure; sources
// call them from several goroutines), so that a value met in every row
// group's dictionary is tested once.
func anyOf(tests []func(model.Value, bool) bool) func(model.Value, bool) bool {
	anyTest := func(v model.Value, ok bool) bool {
		for _, t := range tests {
			if t(v, ok) {
				return true
			}
		}
		return false
	}
	if len(tests) <= memoAbove {
		return anyTest
	}
	var memo sync.Map // string → bool
	var size atomic.Int64
	return func(v model.Value, ok bool) bool {
		if !ok || v.Type != model.ValueString {
			return anyTest(v, ok)
		}
		if r, hit := memo.Load(v.Str); hit {
			return r.(bool)
		}
		r := anyTest(v, ok)
		if size.Add(1) <= memoMax {
			memo.Store(strings.Clone(v.Str), r)
		}
		return r
	}
}

// Simplified returns c with its span conditions simplified (see
// SpanCond.Simplified) and nested ORs and ANDs flattened. c is not changed.
func (c *TraceCond) Simplified() *TraceCond {
	if c == nil {
		return nil
	}
	switch c.Op {
	case OpAnd, OpOr:
		args := flatten(c.Op, c.Args, func(x *TraceCond) (LogicOp, []*TraceCond) { return x.Op, x.Args }, (*TraceCond).Simplified)
		if len(args) == 1 {
			return args[0]
		}
		return &TraceCond{Op: c.Op, Args: args}
	case OpAny:
		return &TraceCond{Op: OpAny, Span: c.Span.Simplified()}
	case OpSpanset:
		return &TraceCond{Op: OpSpanset, Spans: c.Spans.simplified()}
	}
	return c
}

func (e *SpansetExpr) simplified() *SpansetExpr {
	if e == nil {
		return nil
	}
	out := *e
	out.Cond = e.Cond.Simplified()
	out.L, out.R = e.L.simplified(), e.R.simplified()
	return &out
}

// flatten returns the operands of an op (AND or OR) whose operands are
// args, with nested ops of the same kind spliced in and every operand
// simplified.
func flatten[C any](op LogicOp, args []C, parts func(C) (LogicOp, []C), simplify func(C) C) []C {
	var out []C
	var collect func(x C)
	collect = func(x C) {
		if xop, xargs := parts(x); xop == op {
			for _, a := range xargs {
				collect(a)
			}
			return
		}
		out = append(out, simplify(x))
	}
	for _, a := range args {
		collect(a)
	}
	return out
}
