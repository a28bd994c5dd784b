package traceql

import (
	"time"

	"github.com/tracectl/tracectl/model"
)

// Node is any AST node. String returns canonical TraceQL that parses back to
// an equal tree (positions aside).
type Node interface {
	String() string
	PositionRange() PosRange
}

// Expr is a value-producing node: field expressions inside spanset filters,
// scalar (aggregate) expressions in pipelines, and metrics math.
type Expr interface {
	Node
	expr()
}

// Stage is one element of a spanset pipeline.
type Stage interface {
	Node
	stage()
}

// RootExpr is a whole query. Exactly one of Pipeline, Scalar and Metrics is set.
type RootExpr struct {
	// Pipeline is a search query: spanset stages joined by "|".
	Pipeline *Pipeline
	// Scalar is a comparison of scalar pipelines, `({ .a } | count()) > 3`
	// (valid syntax, reported as not yet supported by validation).
	Scalar *ScalarFilter
	// Metrics is a metrics query: MetricsPipeline, MetricsSecondStage or a
	// BinaryExpr of those and numeric scalars.
	Metrics Expr
	// Hints are the optional `with(...)` query hints.
	Hints *Hints
	PosRange
}

// IsMetrics reports whether the query produces time series.
func (r *RootExpr) IsMetrics() bool { return r.Metrics != nil }

// Pipeline is a sequence of stages separated by "|". As a Stage it is a
// parenthesised ("wrapped") pipeline used as an operand of a spanset operator.
type Pipeline struct {
	Stages []Stage
	PosRange
}

// SpansetFilter is `{ expr }`; Expr is nil for `{ }`.
type SpansetFilter struct {
	Expr Expr
	PosRange
}

// SpansetOp combines two spanset expressions with `&&`, `||` or a structural operator.
type SpansetOp struct {
	Op       Operator
	LHS, RHS Stage
	PosRange
}

// ScalarFilter is `aggExpr op number` (and the other scalar comparisons). As
// RootExpr.Scalar its operands are ScalarPipelines.
type ScalarFilter struct {
	Op       Operator
	LHS, RHS Expr
	PosRange
}

// GroupOp is `by(expr)`.
type GroupOp struct {
	By Expr
	PosRange
}

// CoalesceOp is `coalesce()`.
type CoalesceOp struct {
	PosRange
}

// SelectOp is `select(attr, ...)`; each element is an *Attribute or *Intrinsic.
type SelectOp struct {
	Attrs []Expr
	PosRange
}

// Aggregate is `count()`, `avg(x)`, `min(x)`, `max(x)` or `sum(x)`; Expr is nil for count.
type Aggregate struct {
	Op   AggregateOp
	Expr Expr
	PosRange
}

// ScalarPipeline is `(pipeline | aggregate)`, an operand of a root scalar filter.
type ScalarPipeline struct {
	Pipeline *Pipeline
	Agg      *Aggregate
	PosRange
}

// BinaryExpr is `LHS op RHS` for arithmetic, comparison, regex and boolean operators.
type BinaryExpr struct {
	Op       Operator
	LHS, RHS Expr
	PosRange
}

// UnaryExpr is `-x` or `!x`.
type UnaryExpr struct {
	Op   Operator // OpSub or OpNot
	Expr Expr
	PosRange
}

// Attribute is a custom attribute reference such as `span.http.method` or `.foo`.
type Attribute struct {
	Scope  AttributeScope
	Parent bool // parent.x, parent.span.x, parent.resource.x
	Name   string
	PosRange
}

// Intrinsic is a built-in span/trace field. Scope is ScopeNone for the legacy
// unscoped spelling (`duration`), which is kept distinct from `span:duration`
// because metrics label names use the text as written.
type Intrinsic struct {
	Scope     IntrinsicScope
	Intrinsic IntrinsicField
	PosRange
}

// StaticType is the type of a literal.
type StaticType int

// Literal types.
const (
	TypeNil StaticType = iota
	TypeInt
	TypeFloat
	TypeString
	TypeBool
	TypeDuration
	TypeStatus
	TypeKind
)

// Static is a literal value. Only the field matching Type is meaningful.
type Static struct {
	Type   StaticType
	Int    int64
	Float  float64
	Str    string
	Bool   bool
	Dur    time.Duration
	Status model.StatusCode
	Kind   model.SpanKind
	PosRange
}

// Hints is `with(name=value, ...)`.
type Hints struct {
	Hints []*Hint
	PosRange
}

// Hint is one `name=value` pair; Value is a Static or a negated numeric Static.
type Hint struct {
	Name  string
	Value Expr
	PosRange
}

func (*Pipeline) stage()      {}
func (*SpansetFilter) stage() {}
func (*SpansetOp) stage()     {}
func (*ScalarFilter) stage()  {}
func (*GroupOp) stage()       {}
func (*CoalesceOp) stage()    {}
func (*SelectOp) stage()      {}

func (*Aggregate) expr()      {}
func (*ScalarPipeline) expr() {}
func (*BinaryExpr) expr()     {}
func (*UnaryExpr) expr()      {}
func (*Attribute) expr()      {}
func (*Intrinsic) expr()      {}
func (*Static) expr()         {}

// Operator is a binary or unary operator.
type Operator int

// Operators. Spanset operators follow the field operators.
const (
	OpNone Operator = iota
	OpAnd
	OpOr
	OpEq
	OpNeq
	OpLT
	OpLTE
	OpGT
	OpGTE
	OpRegex
	OpNotRegex
	OpAdd
	OpSub
	OpMul
	OpDiv
	OpMod
	OpPow
	OpNot
	// Spanset operators.
	OpSpansetAnd
	OpSpansetOr
	OpChild
	OpParent
	OpDescendant
	OpAncestor
	OpSibling
	OpNotChild
	OpNotParent
	OpNotDescendant
	OpNotAncestor
	OpNotSibling
	OpUnionChild
	OpUnionParent
	OpUnionDescendant
	OpUnionAncestor
	OpUnionSibling
)

var opText = map[Operator]string{
	OpAnd: "&&", OpOr: "||", OpEq: "=", OpNeq: "!=", OpLT: "<", OpLTE: "<=", OpGT: ">", OpGTE: ">=",
	OpRegex: "=~", OpNotRegex: "!~", OpAdd: "+", OpSub: "-", OpMul: "*", OpDiv: "/", OpMod: "%",
	OpPow: "^", OpNot: "!",
	OpSpansetAnd: "&&", OpSpansetOr: "||", OpChild: ">", OpParent: "<", OpDescendant: ">>",
	OpAncestor: "<<", OpSibling: "~", OpNotChild: "!>", OpNotParent: "!<", OpNotDescendant: "!>>",
	OpNotAncestor: "!<<", OpNotSibling: "!~", OpUnionChild: "&>", OpUnionParent: "&<",
	OpUnionDescendant: "&>>", OpUnionAncestor: "&<<", OpUnionSibling: "&~",
}

func (o Operator) String() string { return opText[o] }

// IsComparison reports whether o is = != < <= > >=.
func (o Operator) IsComparison() bool { return o >= OpEq && o <= OpGTE }

// Mirror returns the comparison that holds with the operands swapped
// (a < b is b > a); other operators are their own mirror.
func (o Operator) Mirror() Operator {
	switch o {
	case OpLT:
		return OpGT
	case OpLTE:
		return OpGTE
	case OpGT:
		return OpLT
	case OpGTE:
		return OpLTE
	}
	return o
}

// IsArithmetic reports whether o is + - * / % ^.
func (o Operator) IsArithmetic() bool { return o >= OpAdd && o <= OpPow }

// IsBoolean reports whether o is && or || on values.
func (o Operator) IsBoolean() bool { return o == OpAnd || o == OpOr }

// IsRegex reports whether o is =~ or !~ on values.
func (o Operator) IsRegex() bool { return o == OpRegex || o == OpNotRegex }

// IsStructural reports whether o is one of the 15 structural spanset operators.
func (o Operator) IsStructural() bool { return o >= OpChild && o <= OpUnionSibling }

// precedence of binary operators, higher binds tighter (Tempo's table).
func (o Operator) precedence() int {
	switch o {
	case OpAnd, OpOr, OpSpansetAnd, OpSpansetOr:
		return 1
	case OpAdd, OpSub:
		return 3
	case OpMul, OpDiv, OpMod:
		return 5
	case OpPow:
		return 6
	}
	return 2 // comparisons, regex, structural
}

// precUnary is the binding power of unary operands: `-x * 2` is `-(x*2)`,
// `!x = true` is `(!x) = true` (Tempo's yacc precedences).
const precUnary = 5

func (o Operator) rightAssoc() bool { return o == OpPow }

// AggregateOp names a pipeline aggregate.
type AggregateOp int

// Aggregates.
const (
	AggregateCount AggregateOp = iota
	AggregateAvg
	AggregateMin
	AggregateMax
	AggregateSum
)

var aggText = [...]string{"count", "avg", "min", "max", "sum"}

func (a AggregateOp) String() string { return aggText[a] }

// AttributeScope is the scope prefix of a custom attribute.
type AttributeScope int

// Attribute scopes.
const (
	AttributeScopeNone AttributeScope = iota // .x
	AttributeScopeSpan
	AttributeScopeResource
	AttributeScopeEvent
	AttributeScopeLink
	AttributeScopeInstrumentation
)

var attrScopeText = [...]string{"", "span", "resource", "event", "link", "instrumentation"}

func (s AttributeScope) String() string { return attrScopeText[s] }

// IntrinsicScope is the scope of a scoped intrinsic (`span:`), or none for legacy names.
type IntrinsicScope int

// Intrinsic scopes.
const (
	IntrinsicScopeNone IntrinsicScope = iota
	IntrinsicScopeSpan
	IntrinsicScopeTrace
	IntrinsicScopeEvent
	IntrinsicScopeLink
	IntrinsicScopeInstrumentation
)

var intrScopeText = [...]string{"", "span", "trace", "event", "link", "instrumentation"}

func (s IntrinsicScope) String() string { return intrScopeText[s] }

// Walk and Inspect.

// Visitor is called by Walk for every node; if it returns a non-nil visitor,
// Walk visits the node's children with it and then calls Visit(nil).
type Visitor interface {
	Visit(n Node) Visitor
}

// Walk traverses the tree rooted at n depth-first.
func Walk(v Visitor, n Node) {
	if isNilNode(n) {
		return
	}
	if v = v.Visit(n); v == nil {
		return
	}
	for _, c := range Children(n) {
		Walk(v, c)
	}
	v.Visit(nil)
}

type inspector func(Node) bool

func (f inspector) Visit(n Node) Visitor {
	if n != nil && f(n) {
		return f
	}
	return nil
}

// Inspect calls f for every node in depth-first order; if f returns false the
// node's children are skipped.
func Inspect(n Node, f func(Node) bool) { Walk(inspector(f), n) }

func isNilNode(n Node) bool {
	switch x := n.(type) {
	case nil:
		return true
	case *RootExpr:
		return x == nil
	case *Pipeline:
		return x == nil
	case *Aggregate:
		return x == nil
	case *Hints:
		return x == nil
	case *ScalarFilter:
		return x == nil
	}
	return false
}

// Children returns the direct children of n in source order.
func Children(n Node) []Node {
	var out []Node
	add := func(c Node) {
		if !isNilNode(c) {
			out = append(out, c)
		}
	}
	switch x := n.(type) {
	case *RootExpr:
		if x.Pipeline != nil {
			add(x.Pipeline)
		}
		if x.Scalar != nil {
			add(x.Scalar)
		}
		if x.Metrics != nil {
			add(x.Metrics)
		}
		if x.Hints != nil {
			add(x.Hints)
		}
	case *Pipeline:
		for _, s := range x.Stages {
			add(s)
		}
	case *SpansetFilter:
		if x.Expr != nil {
			add(x.Expr)
		}
	case *SpansetOp:
		add(x.LHS)
		add(x.RHS)
	case *ScalarFilter:
		add(x.LHS)
		add(x.RHS)
	case *GroupOp:
		add(x.By)
	case *SelectOp:
		for _, a := range x.Attrs {
			add(a)
		}
	case *Aggregate:
		if x.Expr != nil {
			add(x.Expr)
		}
	case *ScalarPipeline:
		add(x.Pipeline)
		add(x.Agg)
	case *BinaryExpr:
		add(x.LHS)
		add(x.RHS)
	case *UnaryExpr:
		add(x.Expr)
	case *Hints:
		for _, h := range x.Hints {
			add(h)
		}
	case *Hint:
		add(x.Value)
	case *MetricsPipeline:
		add(x.Pipeline)
		add(x.Func)
	case *MetricsSecondStage:
		add(x.Expr)
		for _, s := range x.Ops {
			add(s)
		}
	case *MetricsFunc:
		if x.Attr != nil {
			add(x.Attr)
		}
		if x.Filter != nil {
			add(x.Filter)
		}
		for _, b := range x.By {
			add(b)
		}
	}
	return out
}
