package traceql

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tracectl/tracectl/model"
)

// Parse parses and validates a TraceQL query. It returns a *ParseError for
// syntax errors, and a *ValidationError or *UnsupportedError (or an
// ErrorList of them, first one printed) for well-formed but invalid queries;
// in the latter case the parsed tree is returned as well.
func Parse(query string) (*RootExpr, error) {
	root, err := ParseOnly(query)
	if err != nil {
		return nil, err
	}
	if err := Validate(root, query); err != nil {
		return root, err
	}
	return root, nil
}

// ParseOnly parses query without validating types and structure.
func ParseOnly(query string) (root *RootExpr, err error) {
	if len(query) > MaxQueryBytes {
		return nil, fmt.Errorf("%w: %d bytes, more than the %d a query may have", ErrQueryTooLarge, len(query), MaxQueryBytes)
	}
	p := &parser{lex: newLexer(query), query: query}
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(*ParseError)
			if !ok {
				panic(r)
			}
			root, err = nil, pe
		}
	}()
	p.next()
	return p.parseRoot(), nil
}

// kind classifies what a parsed operand is, which decides which operators may
// follow it (`>` is structural between spansets, a comparison between scalars).
type kind uint8

const (
	kSpanset    kind = iota // spanset expression or wrapped pipeline (see canS/canP)
	kAgg                    // scalar expression containing an aggregate
	kNum                    // numeric constant expression
	kStage                  // scalar filter, by(), coalesce(), select()
	kScalarPipe             // (pipeline | aggregate) and arithmetic on those
	kScalarCmp              // comparison of scalar pipelines
	kMetrics                // metrics pipeline or metrics math
)

type operand struct {
	node Node
	k    kind
	// canS: usable as a plain spanset expression / pipeline stage.
	// canP: usable as an operand next to a parenthesised pipeline.
	canS, canP bool
	first      item // first token, for error messages
	start      Pos
}

type parser struct {
	lex     *lexer
	query   string
	tok     item
	lastEnd Pos // end of the previously consumed token
	// operandExp is the "expected" text for a missing operand after an operator.
	operandExp string
	depth      int // nesting of parentheses and unary operators
}

// MaxQueryBytes bounds a query's size: evaluation cost grows with it
// (a query listing 20,000 alternatives is about 500 KB).
const MaxQueryBytes = 128 << 10

// ErrQueryTooLarge is the error for a query over MaxQueryBytes.
var ErrQueryTooLarge = errors.New("query too large")

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 500

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.failMsg(PosRange{p.tok.pos, p.tok.pos + 1}, "query is nested too deeply")
	}
}

func (p *parser) leave() { p.depth-- }

func (p *parser) next() {
	if p.tok.typ != itemEOF || p.lastEnd == 0 {
		p.lastEnd = p.tok.pos + Pos(len(p.tok.text))
	}
	p.tok = p.lex.nextItem()
	if p.tok.typ == itemError {
		panic(&ParseError{
			PosRange: PosRange{p.tok.pos, p.tok.pos + 1},
			Query:    p.query,
			Msg:      p.tok.text,
		})
	}
}

func (p *parser) failAt(it item, expected string) {
	panic(&ParseError{
		PosRange:   PosRange{it.pos, it.pos + Pos(max(len(it.text), 1))},
		Query:      p.query,
		Unexpected: describe(it),
		Expected:   expected,
	})
}

func (p *parser) failMsg(pr PosRange, msg string) {
	panic(&ParseError{PosRange: pr, Query: p.query, Msg: msg})
}

func (p *parser) expect(t ItemType, expected string) item {
	if p.tok.typ != t {
		p.failAt(p.tok, expected)
	}
	it := p.tok
	p.next()
	return it
}

func (p *parser) rng(start Pos) PosRange { return PosRange{start, p.lastEnd} }

// describe renders a token for "unexpected X".
func describe(it item) string {
	switch it.typ {
	case itemEOF:
		return "end of input"
	case itemIdentifier:
		return "identifier " + strconv.Quote(it.text)
	case itemString:
		return "string " + it.text
	case itemInteger, itemFloat:
		return "number " + it.text
	case itemDuration:
		return "duration " + it.text
	case itemAttrName:
		return "attribute name " + strconv.Quote(it.text)
	}
	return strconv.Quote(it.text)
}

const (
	expStage    = "spanset filter, aggregate, by(), coalesce() or select()"
	expFieldVal = "attribute, intrinsic or literal"
	expAfterAgg = "comparison operator"
)

func (p *parser) parseRoot() *RootExpr {
	start := p.tok.pos
	root := &RootExpr{}
	o := p.parsePipeline(false)
	switch o.k {
	case kSpanset, kStage:
		if pl, ok := o.node.(*Pipeline); ok {
			root.Pipeline = pl
		} else {
			root.Pipeline = &Pipeline{Stages: []Stage{o.node.(Stage)}, PosRange: o.node.PositionRange()}
		}
	case kScalarCmp:
		root.Scalar = o.node.(*ScalarFilter)
	case kMetrics:
		root.Metrics = o.node.(Expr)
	case kAgg, kScalarPipe:
		p.failAt(p.tok, expAfterAgg)
	default:
		p.failAt(o.first, expStage)
	}
	if p.tok.typ == itemWith {
		root.Hints = p.parseHints()
		if p.tok.typ != itemEOF {
			p.failAt(p.tok, "end of input (hints end the query)")
		}
	}
	if p.tok.typ != itemEOF {
		p.failAt(p.tok, p.expectedAfter(o))
	}
	root.PosRange = p.rng(start)
	return root
}

func (p *parser) expectedAfter(o operand) string {
	switch o.k {
	case kMetrics:
		return "end of input, \"|\", \"with\" or metrics operator"
	case kScalarCmp:
		return "end of input or \"with\""
	}
	return "end of input, \"|\", \"with\" or spanset operator"
}

// parsePipeline parses `stage { | stage }`, including a trailing metrics
// function. In parentheses a trailing bare aggregate makes a scalar pipeline.
func (p *parser) parsePipeline(inParens bool) operand {
	start := p.tok.pos
	first := p.parseTop(0)
	if _, ok := first.node.(*CoalesceOp); ok {
		p.failAt(first.first, expStage+" (coalesce() cannot start a pipeline)")
	}
	if first.k == kMetrics {
		return p.parseSecondStages(first)
	}
	if p.tok.typ != itemPipe {
		return first
	}
	stages := []operand{first}
	for p.tok.typ == itemPipe {
		pipe := p.tok
		last := stages[len(stages)-1]
		switch {
		case last.k == kAgg:
			p.failAt(pipe, expAfterAgg)
		case (last.k == kSpanset && last.canS) || last.k == kStage:
		case len(stages) == 1:
			p.failAt(pipe, p.expectedAfter(last))
		default:
			p.failAt(last.first, expStage)
		}
		p.next()
		if isMetricsFunc(p.tok.typ) {
			pl := p.buildPipeline(stages, start)
			fn := p.parseMetricsFunc()
			mp := &MetricsPipeline{Pipeline: pl, Func: fn, PosRange: p.rng(start)}
			return p.parseSecondStages(operand{node: mp, k: kMetrics, first: first.first, start: start})
		}
		if p.tok.typ == itemTopK || p.tok.typ == itemBottomK {
			p.failAt(p.tok, expStage+" or metrics function")
		}
		st := p.parseTop(0)
		stages = append(stages, st)
	}
	last := stages[len(stages)-1]
	switch {
	case last.k == kAgg:
		agg, ok := last.node.(*Aggregate)
		if !inParens || !ok || p.tok.typ != itemRParen {
			p.failAt(p.tok, expAfterAgg)
		}
		pl := p.buildPipeline(stages[:len(stages)-1], start)
		sp := &ScalarPipeline{Pipeline: pl, Agg: agg, PosRange: p.rng(start)}
		return operand{node: sp, k: kScalarPipe, first: first.first, start: start}
	case (last.k == kSpanset && last.canS) || last.k == kStage:
	default:
		p.failAt(last.first, expStage)
	}
	pl := p.buildPipeline(stages, start)
	return operand{node: pl, k: kSpanset, canP: true, first: first.first, start: start}
}

func (p *parser) buildPipeline(stages []operand, start Pos) *Pipeline {
	pl := &Pipeline{Stages: make([]Stage, len(stages))}
	for i, s := range stages {
		pl.Stages[i] = s.node.(Stage)
	}
	end := stages[len(stages)-1].node.PositionRange().End
	pl.PosRange = PosRange{start, end}
	return pl
}

// parseSecondStages parses `| topk(k)`, `| bottomk(k)` and filters
// (`> 10`, with or without a leading "|") after a metrics expression.
func (p *parser) parseSecondStages(o operand) operand {
	for {
		var st *SecondStageOp
		start := p.tok.pos
		switch {
		case p.tok.typ == itemPipe:
			p.next()
			switch {
			case p.tok.typ == itemTopK || p.tok.typ == itemBottomK:
				k := SecondStageTopK
				if p.tok.typ == itemBottomK {
					k = SecondStageBottomK
				}
				p.next()
				p.expect(itemLParen, "\"(\"")
				it := p.expect(itemInteger, "integer")
				n := p.parseInt(it)
				p.expect(itemRParen, "\")\"")
				st = &SecondStageOp{Kind: k, K: n}
			case cmpOp(p.tok.typ) != OpNone:
				st = p.parseMetricsFilter()
			default:
				p.failAt(p.tok, "topk, bottomk or comparison operator")
			}
		case cmpOp(p.tok.typ) != OpNone:
			st = p.parseMetricsFilter()
		default:
			return o
		}
		st.PosRange = p.rng(start)
		mss, ok := o.node.(*MetricsSecondStage)
		if !ok {
			mss = &MetricsSecondStage{Expr: o.node.(Expr)}
		}
		mss.Ops = append(mss.Ops, st)
		mss.PosRange = PosRange{o.start, p.lastEnd}
		o.node = mss
	}
}

func (p *parser) parseMetricsFilter() *SecondStageOp {
	op := cmpOp(p.tok.typ)
	p.next()
	p.operandExp = "number"
	v := p.parseTop(3)
	if v.k != kNum {
		p.failAt(v.first, "number")
	}
	return &SecondStageOp{Kind: SecondStageFilter, Op: op, Value: v.node.(Expr)}
}

func cmpOp(t ItemType) Operator {
	switch t {
	case itemEq:
		return OpEq
	case itemNeq:
		return OpNeq
	case itemLT:
		return OpLT
	case itemLTE:
		return OpLTE
	case itemGT:
		return OpGT
	case itemGTE:
		return OpGTE
	}
	return OpNone
}

func arithOp(t ItemType) Operator {
	switch t {
	case itemAdd:
		return OpAdd
	case itemSub:
		return OpSub
	case itemMul:
		return OpMul
	case itemDiv:
		return OpDiv
	case itemMod:
		return OpMod
	case itemPow:
		return OpPow
	}
	return OpNone
}

func spansetOp(t ItemType) Operator {
	switch t {
	case itemAnd:
		return OpSpansetAnd
	case itemOr:
		return OpSpansetOr
	case itemGT:
		return OpChild
	case itemLT:
		return OpParent
	case itemDesc:
		return OpDescendant
	case itemAnc:
		return OpAncestor
	case itemTilde:
		return OpSibling
	case itemNotChild:
		return OpNotChild
	case itemNotParent:
		return OpNotParent
	case itemNotDesc:
		return OpNotDescendant
	case itemNotAnc:
		return OpNotAncestor
	case itemNotRegex:
		return OpNotSibling
	case itemUnionChild:
		return OpUnionChild
	case itemUnionParent:
		return OpUnionParent
	case itemUnionDesc:
		return OpUnionDescendant
	case itemUnionAnc:
		return OpUnionAncestor
	case itemUnionSibling:
		return OpUnionSibling
	}
	return OpNone
}

func fieldOp(t ItemType) Operator {
	switch t {
	case itemAnd:
		return OpAnd
	case itemOr:
		return OpOr
	case itemRegex:
		return OpRegex
	case itemNotRegex:
		return OpNotRegex
	}
	if o := cmpOp(t); o != OpNone {
		return o
	}
	return arithOp(t)
}

// topOp maps the current token to an operator applicable after lhs.
func (p *parser) topOp(lhs operand) Operator {
	switch lhs.k {
	case kSpanset:
		return spansetOp(p.tok.typ)
	case kAgg, kNum, kScalarPipe:
		if o := cmpOp(p.tok.typ); o != OpNone {
			return o
		}
		return arithOp(p.tok.typ)
	case kMetrics:
		if o := cmpOp(p.tok.typ); o != OpNone {
			return o
		}
		switch o := arithOp(p.tok.typ); o {
		case OpAdd, OpSub, OpMul, OpDiv:
			return o
		}
	}
	return OpNone
}

// parseTop is precedence climbing over everything outside braces: spanset
// operators, scalar filters, scalar pipelines and metrics math.
func (p *parser) parseTop(minPrec int) operand {
	lhs := p.parseTopPrimary()
	for {
		op := p.topOp(lhs)
		if op == OpNone {
			return lhs
		}
		prec := op.precedence()
		if prec < minPrec {
			return lhs
		}
		opTok := p.tok
		p.next()
		next := prec + 1
		if op.rightAssoc() {
			next = prec
		}
		switch {
		case op >= OpSpansetAnd:
			p.operandExp = "spanset filter or \"(\""
		case lhs.k == kMetrics:
			p.operandExp = "number or parenthesised metrics query"
		case lhs.k == kScalarPipe:
			p.operandExp = "number or parenthesised scalar pipeline"
		default:
			p.operandExp = "number or aggregate"
		}
		rhs := p.parseTop(next)
		lhs = p.combine(lhs, op, opTok, rhs)
	}
}

func (p *parser) combine(lhs operand, op Operator, opTok item, rhs operand) operand {
	pr := PosRange{lhs.start, p.lastEnd}
	out := operand{first: lhs.first, start: lhs.start}
	if op >= OpSpansetAnd {
		if rhs.k != kSpanset {
			p.failAt(rhs.first, "spanset filter")
		}
		out.canS = lhs.canS && rhs.canS
		out.canP = lhs.canP && rhs.canP
		if !out.canS && !out.canP {
			p.failAt(rhs.first, "parenthesised pipeline (a wrapped pipeline combines only with another)")
		}
		out.k = kSpanset
		out.node = &SpansetOp{Op: op, LHS: lhs.node.(Stage), RHS: rhs.node.(Stage), PosRange: pr}
		return out
	}
	bin := func() Node {
		return &BinaryExpr{Op: op, LHS: lhs.node.(Expr), RHS: rhs.node.(Expr), PosRange: pr}
	}
	isCmp := op.IsComparison()
	switch lhs.k {
	case kAgg, kNum:
		switch {
		case rhs.k == kMetrics && lhs.k == kNum && !isCmp && op <= OpDiv:
			p.checkNoDuration(lhs)
			out.k, out.node = kMetrics, bin()
		case rhs.k != kAgg && rhs.k != kNum:
			p.failAt(rhs.first, "number or aggregate")
		case isCmp && lhs.k == kNum && rhs.k == kNum:
			p.failAt(opTok, "arithmetic operator (a scalar filter needs an aggregate)")
		case isCmp:
			out.k = kStage
			out.node = &ScalarFilter{Op: op, LHS: lhs.node.(Expr), RHS: rhs.node.(Expr), PosRange: pr}
		case lhs.k == kNum && rhs.k == kNum:
			out.k, out.node = kNum, bin()
		default:
			out.k, out.node = kAgg, bin()
		}
	case kScalarPipe:
		switch {
		case isCmp && (rhs.k == kScalarPipe || rhs.k == kNum):
			out.k = kScalarCmp
			out.node = &ScalarFilter{Op: op, LHS: lhs.node.(Expr), RHS: rhs.node.(Expr), PosRange: pr}
		case !isCmp && rhs.k == kScalarPipe:
			out.k, out.node = kScalarPipe, bin()
		default:
			p.failAt(rhs.first, "parenthesised scalar pipeline")
		}
	case kMetrics:
		switch {
		case isCmp && rhs.k == kNum:
			st := &SecondStageOp{Kind: SecondStageFilter, Op: op, Value: rhs.node.(Expr),
				PosRange: PosRange{opTok.pos, p.lastEnd}}
			mss, ok := lhs.node.(*MetricsSecondStage)
			if !ok {
				mss = &MetricsSecondStage{Expr: lhs.node.(Expr)}
			}
			mss.Ops = append(mss.Ops, st)
			mss.PosRange = pr
			out.k, out.node = kMetrics, mss
		case !isCmp && rhs.k == kMetrics:
			out.k, out.node = kMetrics, bin()
		case !isCmp && rhs.k == kNum:
			p.checkNoDuration(rhs)
			out.k, out.node = kMetrics, bin()
		case isCmp:
			p.failAt(rhs.first, "number")
		default:
			p.failAt(rhs.first, "parenthesised metrics query or number")
		}
	default:
		p.failAt(opTok, p.expectedAfter(lhs))
	}
	return out
}

// checkNoDuration rejects durations in metrics math scalars.
func (p *parser) checkNoDuration(o operand) {
	Inspect(o.node, func(n Node) bool {
		if s, ok := n.(*Static); ok && s.Type == TypeDuration {
			p.failMsg(s.PosRange, "durations are not allowed in metrics math, expected integer or float")
		}
		return true
	})
}

func (p *parser) parseTopPrimary() operand {
	p.enter()
	defer p.leave()
	first := p.tok
	// operandExp describes the expected right operand for an error right
	// after a binary operator; it applies to this token only.
	exp := p.operandExp
	p.operandExp = ""
	start := first.pos
	o := operand{first: first, start: start}
	switch first.typ {
	case itemLBrace:
		o.node, o.k, o.canS = p.parseSpansetFilter(), kSpanset, true
	case itemLParen:
		p.next()
		inner := p.parsePipeline(true)
		p.expect(itemRParen, "\")\" or operator")
		inner.first, inner.start = first, start
		switch inner.k {
		case kSpanset:
			inner.canP = true
		case kStage:
			inner.node = &Pipeline{Stages: []Stage{inner.node.(Stage)}, PosRange: inner.node.PositionRange()}
			inner.k, inner.canS, inner.canP = kSpanset, false, true
		}
		return inner
	case itemCount, itemAvg, itemMin, itemMax, itemSum:
		o.node, o.k = p.parseAggregate(), kAgg
	case itemInteger, itemFloat, itemDuration, itemMinInt, itemMaxInt:
		o.node, o.k = p.parseStatic(), kNum
	case itemSub:
		p.next()
		// Outside braces unary minus binds tightest (it only negates numbers).
		x := p.parseTopPrimary()
		if x.k != kNum {
			p.failAt(x.first, "number")
		}
		o.node, o.k = &UnaryExpr{Op: OpSub, Expr: x.node.(Expr), PosRange: p.rng(start)}, kNum
	case itemBy:
		p.next()
		p.expect(itemLParen, "\"(\"")
		e := p.parseField(0)
		p.expect(itemRParen, "\")\" or operator")
		o.node, o.k = &GroupOp{By: e, PosRange: p.rng(start)}, kStage
	case itemCoalesce:
		p.next()
		p.expect(itemLParen, "\"(\"")
		p.expect(itemRParen, "\")\"")
		o.node, o.k = &CoalesceOp{PosRange: p.rng(start)}, kStage
	case itemSelect:
		p.next()
		p.expect(itemLParen, "\"(\"")
		s := &SelectOp{}
		for {
			s.Attrs = append(s.Attrs, p.parseAttrOrIntrinsic())
			if p.tok.typ != itemComma {
				break
			}
			p.next()
		}
		p.expect(itemRParen, "\",\" or \")\"")
		s.PosRange = p.rng(start)
		o.node, o.k = s, kStage
	default:
		if exp != "" {
			p.failAt(first, exp)
		}
		if isMetricsFunc(first.typ) {
			p.failAt(first, expStage+" (a metrics function must follow \"|\")")
		}
		p.failAt(first, expStage)
	}
	return o
}

func (p *parser) parseSpansetFilter() *SpansetFilter {
	start := p.tok.pos
	p.expect(itemLBrace, "\"{\"")
	f := &SpansetFilter{}
	if p.tok.typ != itemRBrace {
		f.Expr = p.parseField(0)
	}
	p.expect(itemRBrace, "\"}\" or operator")
	f.PosRange = p.rng(start)
	return f
}

func (p *parser) parseAggregate() *Aggregate {
	start := p.tok.pos
	a := &Aggregate{}
	switch p.tok.typ {
	case itemCount:
		a.Op = AggregateCount
	case itemAvg:
		a.Op = AggregateAvg
	case itemMin:
		a.Op = AggregateMin
	case itemMax:
		a.Op = AggregateMax
	case itemSum:
		a.Op = AggregateSum
	}
	p.next()
	p.expect(itemLParen, "\"(\"")
	if a.Op == AggregateCount {
		p.expect(itemRParen, "\")\" (count() takes no argument)")
	} else {
		a.Expr = p.parseField(0)
		p.expect(itemRParen, "\")\" or operator")
	}
	a.PosRange = p.rng(start)
	return a
}

// parseField is precedence climbing for field expressions (inside braces and
// function arguments).
func (p *parser) parseField(minPrec int) Expr {
	lhs := p.parseFieldUnary()
	for {
		op := fieldOp(p.tok.typ)
		if op == OpNone {
			return lhs
		}
		prec := op.precedence()
		if prec < minPrec {
			return lhs
		}
		p.next()
		next := prec + 1
		if op.rightAssoc() {
			next = prec
		}
		rhs := p.parseField(next)
		lhs = &BinaryExpr{Op: op, LHS: lhs, RHS: rhs,
			PosRange: PosRange{lhs.PositionRange().Start, rhs.PositionRange().End}}
	}
}

func (p *parser) parseFieldUnary() Expr {
	p.enter()
	defer p.leave()
	start := p.tok.pos
	switch p.tok.typ {
	case itemSub, itemNot:
		op := OpSub
		if p.tok.typ == itemNot {
			op = OpNot
		}
		p.next()
		x := p.parseField(precUnary)
		return &UnaryExpr{Op: op, Expr: x, PosRange: p.rng(start)}
	case itemLParen:
		p.next()
		e := p.parseField(0)
		p.expect(itemRParen, "\")\" or operator")
		return e
	case itemAttrScope, itemScopedIntrinsic:
		return p.parseAttrOrIntrinsic()
	}
	if _, ok := intrinsicByLegacy[p.tok.text]; ok && p.tok.typ.IsKeyword() {
		return p.parseAttrOrIntrinsic()
	}
	if s := p.tryStatic(); s != nil {
		return s
	}
	p.failAt(p.tok, expFieldVal)
	return nil
}

// parseAttrOrIntrinsic parses `span.x`, `.x`, `parent.resource.x`, `span:id`, `duration`.
func (p *parser) parseAttrOrIntrinsic() Expr {
	start := p.tok.pos
	it := p.tok
	switch it.typ {
	case itemAttrScope:
		a := &Attribute{}
		p.next()
		scope := it.text
		if scope == "parent." {
			a.Parent = true
			scope = "."
			if p.tok.typ == itemAttrScope {
				scope = p.tok.text
				p.next()
			}
		}
		switch scope {
		case ".":
			a.Scope = AttributeScopeNone
		case "span.":
			a.Scope = AttributeScopeSpan
		case "resource.":
			a.Scope = AttributeScopeResource
		case "event.":
			a.Scope = AttributeScopeEvent
		case "link.":
			a.Scope = AttributeScopeLink
		case "instrumentation.":
			a.Scope = AttributeScopeInstrumentation
		}
		name := p.expect(itemAttrName, "attribute name")
		a.Name = decodeAttrName(name.text)
		a.PosRange = p.rng(start)
		return a
	case itemScopedIntrinsic:
		info := intrinsicByScoped[it.text]
		if info == nil {
			scope, _, _ := strings.Cut(it.text, ":")
			p.failMsg(PosRange{it.pos, it.pos + Pos(len(it.text))},
				"unknown intrinsic "+strconv.Quote(it.text)+", expected one of "+scopedNames(scope))
		}
		p.next()
		return &Intrinsic{Scope: info.Scope, Intrinsic: info.Field, PosRange: p.rng(start)}
	}
	if info, ok := intrinsicByLegacy[it.text]; ok && it.typ.IsKeyword() {
		p.next()
		return &Intrinsic{Scope: IntrinsicScopeNone, Intrinsic: info.Field, PosRange: p.rng(start)}
	}
	p.failAt(it, "attribute or intrinsic")
	return nil
}

func scopedNames(scope string) string {
	var names []string
	for _, in := range Intrinsics {
		if in.Local != "" && in.Scope.String() == scope {
			names = append(names, scope+":"+in.Local)
		}
	}
	return strings.Join(names, ", ")
}

// tryStatic parses a literal at the current token, or returns nil.
func (p *parser) tryStatic() *Static {
	switch p.tok.typ {
	case itemString, itemInteger, itemFloat, itemDuration, itemTrue, itemFalse, itemNil,
		itemStatusOk, itemStatusError, itemStatusUnset, itemKindUnspecified, itemKindInternal,
		itemKindServer, itemKindClient, itemKindProducer, itemKindConsumer, itemMinInt, itemMaxInt:
		return p.parseStatic()
	}
	return nil
}

func (p *parser) parseStatic() *Static {
	it := p.tok
	s := &Static{}
	switch it.typ {
	case itemString:
		v, err := strconv.Unquote(it.text)
		if err != nil {
			p.failMsg(PosRange{it.pos, it.pos + Pos(len(it.text))}, "invalid string literal "+it.text)
		}
		s.Type, s.Str = TypeString, v
	case itemInteger:
		s.Type, s.Int = TypeInt, p.parseInt(it)
	case itemFloat:
		f, err := strconv.ParseFloat(it.text, 64)
		if err != nil || math.IsInf(f, 0) {
			p.failMsg(PosRange{it.pos, it.pos + Pos(len(it.text))}, "invalid number "+strconv.Quote(it.text))
		}
		s.Type, s.Float = TypeFloat, f
	case itemDuration:
		d, err := parseDuration(it.text)
		if err != nil {
			p.failMsg(PosRange{it.pos, it.pos + Pos(len(it.text))}, "invalid duration "+strconv.Quote(it.text))
		}
		s.Type, s.Dur = TypeDuration, d
	case itemTrue, itemFalse:
		s.Type, s.Bool = TypeBool, it.typ == itemTrue
	case itemNil:
		s.Type = TypeNil
	case itemStatusOk:
		s.Type, s.Status = TypeStatus, model.StatusOK
	case itemStatusError:
		s.Type, s.Status = TypeStatus, model.StatusError
	case itemStatusUnset:
		s.Type, s.Status = TypeStatus, model.StatusUnset
	case itemKindUnspecified:
		s.Type, s.Kind = TypeKind, model.KindUnspecified
	case itemKindInternal:
		s.Type, s.Kind = TypeKind, model.KindInternal
	case itemKindServer:
		s.Type, s.Kind = TypeKind, model.KindServer
	case itemKindClient:
		s.Type, s.Kind = TypeKind, model.KindClient
	case itemKindProducer:
		s.Type, s.Kind = TypeKind, model.KindProducer
	case itemKindConsumer:
		s.Type, s.Kind = TypeKind, model.KindConsumer
	case itemMinInt:
		s.Type, s.Int = TypeInt, math.MinInt64
	case itemMaxInt:
		s.Type, s.Int = TypeInt, math.MaxInt64
	default:
		p.failAt(it, expFieldVal)
	}
	p.next()
	s.PosRange = PosRange{it.pos, it.pos + Pos(len(it.text))}
	return s
}

func (p *parser) parseInt(it item) int64 {
	n, err := strconv.ParseInt(it.text, 10, 64)
	if err != nil {
		p.failMsg(PosRange{it.pos, it.pos + Pos(len(it.text))}, "invalid integer "+strconv.Quote(it.text))
	}
	return n
}

func isMetricsFunc(t ItemType) bool { return t >= itemRate && t <= itemCompare }

func (p *parser) parseMetricsFunc() *MetricsFunc {
	start := p.tok.pos
	f := &MetricsFunc{}
	typ := p.tok.typ
	f.Op = MetricsFuncOp(typ - itemRate)
	p.next()
	p.expect(itemLParen, "\"(\"")
	switch f.Op {
	case MetricsRate, MetricsCountOverTime:
	case MetricsQuantileOverTime:
		f.Attr = p.parseAttrOrIntrinsic()
		p.expect(itemComma, "\",\" and a quantile")
		for {
			f.Quantiles = append(f.Quantiles, p.parseQuantile())
			if p.tok.typ != itemComma {
				break
			}
			p.next()
		}
	case MetricsCompare:
		if p.tok.typ != itemLBrace {
			p.failAt(p.tok, "spanset filter")
		}
		f.Filter = p.parseSpansetFilter()
		f.NArgs = 1
		if p.tok.typ == itemComma {
			p.next()
			f.TopN = p.parseInt(p.expect(itemInteger, "integer"))
			f.NArgs = 2
			if p.tok.typ == itemComma {
				p.next()
				f.Start = p.parseInt(p.expect(itemInteger, "integer"))
				p.expect(itemComma, "\",\" and an end time")
				f.End = p.parseInt(p.expect(itemInteger, "integer"))
				f.NArgs = 4
			}
		}
	default:
		f.Attr = p.parseAttrOrIntrinsic()
	}
	p.expect(itemRParen, "\")\"")
	if p.tok.typ == itemBy && f.Op != MetricsCompare {
		p.next()
		p.expect(itemLParen, "\"(\"")
		for {
			f.By = append(f.By, p.parseAttrOrIntrinsic())
			if p.tok.typ != itemComma {
				break
			}
			p.next()
		}
		p.expect(itemRParen, "\",\" or \")\"")
	}
	f.PosRange = p.rng(start)
	return f
}

func (p *parser) parseQuantile() float64 {
	neg := false
	if p.tok.typ == itemSub {
		neg = true
		p.next()
	}
	var v float64
	switch p.tok.typ {
	case itemInteger:
		v = float64(p.parseInt(p.tok))
	case itemFloat:
		v = p.parseStatic().Float
		if neg {
			v = -v
		}
		return v
	default:
		p.failAt(p.tok, "quantile (number)")
	}
	p.next()
	if neg {
		v = -v
	}
	return v
}

func (p *parser) parseHints() *Hints {
	start := p.tok.pos
	p.next() // with
	p.expect(itemLParen, "\"(\"")
	h := &Hints{}
	for {
		hs := p.tok.pos
		if p.tok.typ != itemIdentifier && !p.tok.typ.IsKeyword() {
			p.failAt(p.tok, "hint name")
		}
		name := p.tok.text
		p.next()
		p.expect(itemEq, "\"=\"")
		var v Expr
		vs := p.tok.pos
		if p.tok.typ == itemSub {
			p.next()
			if p.tok.typ != itemInteger && p.tok.typ != itemFloat && p.tok.typ != itemDuration {
				p.failAt(p.tok, "number")
			}
			v = &UnaryExpr{Op: OpSub, Expr: p.parseStatic(), PosRange: p.rng(vs)}
		} else if s := p.tryStatic(); s != nil {
			v = s
		} else {
			p.failAt(p.tok, "literal")
		}
		h.Hints = append(h.Hints, &Hint{Name: name, Value: v, PosRange: p.rng(hs)})
		if p.tok.typ != itemComma {
			break
		}
		p.next()
	}
	p.expect(itemRParen, "\",\" or \")\"")
	h.PosRange = p.rng(start)
	return h
}

// parseDuration parses Prometheus durations first (`1d12h`, `1y`, `1w`),
// then Go's (`1.5s`, `1us`, `1h15m30.5s`), as Tempo does.
func parseDuration(s string) (time.Duration, error) {
	if d, ok := parsePromDuration(s); ok {
		return d, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, errors.New("negative duration")
	}
	return d, nil
}

var promUnits = []struct {
	unit string
	d    time.Duration
}{
	{"y", 365 * 24 * time.Hour}, {"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}, {"h", time.Hour},
	{"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond},
}

func parsePromDuration(s string) (time.Duration, bool) {
	var total time.Duration
	next := 0
	if s == "" {
		return 0, false
	}
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, false
		}
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil {
			return 0, false
		}
		s = s[i:]
		j := 0
		for j < len(s) && s[j] >= 'a' && s[j] <= 'z' {
			j++
		}
		u := s[:j]
		s = s[j:]
		found := false
		for k := next; k < len(promUnits); k++ {
			if promUnits[k].unit == u {
				if n > int64(math.MaxInt64/promUnits[k].d) {
					return 0, false
				}
				add := time.Duration(n) * promUnits[k].d
				if total > math.MaxInt64-add {
					return 0, false
				}
				total += add
				next = k + 1
				found = true
				break
			}
		}
		if !found {
			return 0, false
		}
	}
	return total, true
}
