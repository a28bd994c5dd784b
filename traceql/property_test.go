package traceql

import (
	"math"
	"math/rand"
	"testing"
	"time"

	"github.com/tracectl/tracectl/model"
)

// astGen builds random well-formed ASTs. TestPrintRoundTripProperty prints
// each one and checks that parsing the text gives the same tree back, which
// exercises every precedence/parenthesisation rule of the printer.
type astGen struct {
	r *rand.Rand
}

func (g *astGen) pick(n int) int { return g.r.Intn(n) }

var genNames = []string{"a", "b", "http.method", "a b", `x"y`, `back\slash`, "5xx", "a.b.c", "ü", "a-b", "a+1", "count", "x:y", "{}", "t\tab"}

func (g *astGen) attribute() Expr {
	a := &Attribute{Scope: AttributeScope(g.pick(6)), Name: genNames[g.pick(len(genNames))]}
	if g.pick(8) == 0 {
		a.Parent = true
		a.Scope = []AttributeScope{AttributeScopeNone, AttributeScopeSpan, AttributeScopeResource}[g.pick(3)]
	}
	return a
}

func (g *astGen) intrinsic() Expr {
	in := Intrinsics[g.pick(len(Intrinsics))]
	i := &Intrinsic{Intrinsic: in.Field}
	if in.Local != "" && (in.Legacy == "" || g.pick(2) == 0) {
		i.Scope = in.Scope
	}
	return i
}

func (g *astGen) static(numOnly, noDur bool) *Static {
	n := 3
	if noDur {
		n = 2
	}
	if !numOnly {
		n = 12
	}
	switch g.pick(n) {
	case 0:
		return &Static{Type: TypeInt, Int: g.r.Int63n(1 << uint(g.pick(62)+1))}
	case 1:
		return &Static{Type: TypeFloat, Float: []float64{0, 0.5, 1.25, 1e-7, 3e20, 123456.789}[g.pick(6)]}
	case 2:
		return &Static{Type: TypeDuration, Dur: []time.Duration{1, time.Microsecond, 1500 * time.Millisecond, 90 * time.Minute, 36 * time.Hour, 4530500 * time.Millisecond}[g.pick(6)]}
	case 3:
		return &Static{Type: TypeString, Str: []string{"", "x", "a\"b", "tab\t", "\x00\xff", "유니코드"}[g.pick(6)]}
	case 4:
		return &Static{Type: TypeBool, Bool: g.pick(2) == 0}
	case 5:
		return &Static{Type: TypeNil}
	case 6:
		return &Static{Type: TypeStatus, Status: model.StatusCode(g.pick(3))}
	case 7:
		return &Static{Type: TypeKind, Kind: model.SpanKind(g.pick(6))}
	case 8:
		return &Static{Type: TypeInt, Int: math.MinInt64}
	}
	return &Static{Type: TypeInt, Int: math.MaxInt64}
}

var fieldOps = []Operator{OpAnd, OpOr, OpEq, OpNeq, OpLT, OpLTE, OpGT, OpGTE, OpRegex, OpNotRegex, OpAdd, OpSub, OpMul, OpDiv, OpMod, OpPow}

func (g *astGen) field(depth int) Expr {
	if depth <= 0 || g.pick(3) == 0 {
		switch g.pick(3) {
		case 0:
			return g.attribute()
		case 1:
			return g.intrinsic()
		}
		return g.static(false, false)
	}
	switch g.pick(5) {
	case 0:
		op := OpSub
		if g.pick(2) == 0 {
			op = OpNot
		}
		return &UnaryExpr{Op: op, Expr: g.field(depth - 1)}
	}
	return &BinaryExpr{Op: fieldOps[g.pick(len(fieldOps))], LHS: g.field(depth - 1), RHS: g.field(depth - 1)}
}

var arithOps = []Operator{OpAdd, OpSub, OpMul, OpDiv, OpMod, OpPow}

// num is a numeric constant expression for contexts outside braces.
func (g *astGen) num(depth int, noDur bool, ops []Operator) Expr {
	if depth <= 0 || g.pick(2) == 0 {
		return g.static(true, noDur)
	}
	if g.pick(4) == 0 {
		return &UnaryExpr{Op: OpSub, Expr: g.num(depth-1, noDur, ops)}
	}
	return &BinaryExpr{Op: ops[g.pick(len(ops))], LHS: g.num(depth-1, noDur, ops), RHS: g.num(depth-1, noDur, ops)}
}

func (g *astGen) aggregate() *Aggregate {
	a := &Aggregate{Op: AggregateOp(g.pick(5))}
	if a.Op != AggregateCount {
		a.Expr = g.field(2)
	}
	return a
}

// aggExpr is a scalar expression containing at least one aggregate.
func (g *astGen) aggExpr(depth int) Expr {
	if depth <= 0 || g.pick(2) == 0 {
		return g.aggregate()
	}
	op := arithOps[g.pick(len(arithOps))]
	switch g.pick(3) {
	case 0:
		return &BinaryExpr{Op: op, LHS: g.aggExpr(depth - 1), RHS: g.num(1, false, arithOps)}
	case 1:
		return &BinaryExpr{Op: op, LHS: g.num(1, false, arithOps), RHS: g.aggExpr(depth - 1)}
	}
	return &BinaryExpr{Op: op, LHS: g.aggExpr(depth - 1), RHS: g.aggExpr(depth - 1)}
}

var cmpOps = []Operator{OpEq, OpNeq, OpLT, OpLTE, OpGT, OpGTE}

func (g *astGen) scalarFilter() *ScalarFilter {
	op := cmpOps[g.pick(len(cmpOps))]
	switch g.pick(3) {
	case 0:
		return &ScalarFilter{Op: op, LHS: g.num(2, false, arithOps), RHS: g.aggExpr(2)}
	case 1:
		return &ScalarFilter{Op: op, LHS: g.aggExpr(2), RHS: g.aggExpr(2)}
	}
	return &ScalarFilter{Op: op, LHS: g.aggExpr(2), RHS: g.num(2, false, arithOps)}
}

var setOps = []Operator{OpSpansetAnd, OpSpansetOr, OpChild, OpParent, OpDescendant, OpAncestor, OpSibling,
	OpNotChild, OpNotParent, OpNotDescendant, OpNotAncestor, OpNotSibling, OpUnionChild, OpUnionParent,
	OpUnionDescendant, OpUnionAncestor, OpUnionSibling}

func (g *astGen) filter() *SpansetFilter {
	if g.pick(4) == 0 {
		return &SpansetFilter{}
	}
	return &SpansetFilter{Expr: g.field(3)}
}

// spanset builds a spanset expression; with wrapped, leaves may be wrapped pipelines.
func (g *astGen) spanset(depth int, wrapped bool) Stage {
	if depth <= 0 || g.pick(3) == 0 {
		if wrapped && g.pick(2) == 0 {
			return g.pipeline(2, true)
		}
		return g.filter()
	}
	return &SpansetOp{Op: setOps[g.pick(len(setOps))], LHS: g.spanset(depth-1, wrapped), RHS: g.spanset(depth-1, wrapped)}
}

func (g *astGen) stage(first bool) Stage {
	switch g.pick(6) {
	case 0:
		return g.scalarFilter()
	case 1:
		return &GroupOp{By: g.field(2)}
	case 2:
		if !first {
			return &CoalesceOp{}
		}
	case 3:
		s := &SelectOp{}
		for i := 0; i <= g.pick(3); i++ {
			if g.pick(2) == 0 {
				s.Attrs = append(s.Attrs, g.attribute())
			} else {
				s.Attrs = append(s.Attrs, g.intrinsic())
			}
		}
		return s
	}
	return g.spanset(2, false)
}

// pipeline builds a pipeline; a wrapped one must not collapse to a single
// spanset expression when re-parsed, so it gets at least two stages or a
// non-spanset single stage.
func (g *astGen) pipeline(maxStages int, wrapped bool) *Pipeline {
	n := 1 + g.pick(maxStages)
	p := &Pipeline{}
	for i := 0; i < n; i++ {
		p.Stages = append(p.Stages, g.stage(i == 0))
	}
	if wrapped && len(p.Stages) == 1 {
		switch p.Stages[0].(type) {
		case *SpansetFilter, *SpansetOp:
			p.Stages = append(p.Stages, g.scalarFilter())
		}
	}
	return p
}

func (g *astGen) metricsFunc() *MetricsFunc {
	f := &MetricsFunc{Op: MetricsFuncOp(g.pick(9))}
	switch f.Op {
	case MetricsRate, MetricsCountOverTime:
	case MetricsQuantileOverTime:
		f.Attr = g.attribute()
		for i := 0; i <= g.pick(3); i++ {
			f.Quantiles = append(f.Quantiles, []float64{0, 0.5, 0.99, 1, -0.5, 2}[g.pick(6)])
		}
	case MetricsCompare:
		f.Filter = g.filter()
		f.NArgs = []int{1, 2, 4}[g.pick(3)]
		if f.NArgs >= 2 {
			f.TopN = int64(g.pick(2000))
		}
		if f.NArgs == 4 {
			f.Start, f.End = int64(g.pick(1000)), int64(g.pick(1000))
		}
		return f
	default:
		if g.pick(2) == 0 {
			f.Attr = g.attribute()
		} else {
			f.Attr = g.intrinsic()
		}
	}
	for i := 0; i < g.pick(4); i++ {
		f.By = append(f.By, g.attribute())
	}
	return f
}

func (g *astGen) metrics(depth int) Expr {
	var e Expr
	if depth <= 0 || g.pick(2) == 0 {
		e = &MetricsPipeline{Pipeline: g.pipeline(2, false), Func: g.metricsFunc()}
	} else {
		ops := []Operator{OpAdd, OpSub, OpMul, OpDiv}
		op := ops[g.pick(4)]
		switch g.pick(3) {
		case 0:
			e = &BinaryExpr{Op: op, LHS: g.metrics(depth - 1), RHS: g.num(1, true, ops)}
		case 1:
			e = &BinaryExpr{Op: op, LHS: g.num(1, true, ops), RHS: g.metrics(depth - 1)}
		default:
			e = &BinaryExpr{Op: op, LHS: g.metrics(depth - 1), RHS: g.metrics(depth - 1)}
		}
	}
	if g.pick(3) == 0 {
		mss := &MetricsSecondStage{Expr: e}
		for i := 0; i <= g.pick(3); i++ {
			switch g.pick(3) {
			case 0:
				mss.Ops = append(mss.Ops, &SecondStageOp{Kind: SecondStageTopK, K: int64(g.pick(10))})
			case 1:
				mss.Ops = append(mss.Ops, &SecondStageOp{Kind: SecondStageBottomK, K: int64(g.pick(10))})
			default:
				mss.Ops = append(mss.Ops, &SecondStageOp{Kind: SecondStageFilter, Op: cmpOps[g.pick(6)], Value: g.num(2, false, arithOps)})
			}
		}
		e = mss
	}
	return e
}

func (g *astGen) scalarPipe(depth int) Expr {
	if depth <= 0 || g.pick(2) == 0 {
		return &ScalarPipeline{Pipeline: g.pipeline(2, false), Agg: g.aggregate()}
	}
	return &BinaryExpr{Op: arithOps[g.pick(6)], LHS: g.scalarPipe(depth - 1), RHS: g.scalarPipe(depth - 1)}
}

func (g *astGen) root() *RootExpr {
	r := &RootExpr{}
	switch g.pick(4) {
	case 0:
		switch s := g.spanset(3, true).(type) {
		case *Pipeline:
			r.Pipeline = s // a lone wrapped pipeline is the pipeline itself
		default:
			r.Pipeline = &Pipeline{Stages: []Stage{s}}
		}
	case 1:
		r.Metrics = g.metrics(2)
	case 2:
		rhs := g.num(1, false, arithOps)
		if g.pick(2) == 0 {
			rhs = g.scalarPipe(1)
		}
		r.Scalar = &ScalarFilter{Op: cmpOps[g.pick(6)], LHS: g.scalarPipe(1), RHS: rhs}
	default:
		r.Pipeline = g.pipeline(4, false)
	}
	if g.pick(4) == 0 {
		r.Hints = &Hints{Hints: []*Hint{{Name: "most_recent", Value: g.static(false, false)}, {Name: "with", Value: &UnaryExpr{Op: OpSub, Expr: g.static(true, false)}}}}
	}
	return r
}

func TestPrintRoundTripProperty(t *testing.T) {
	g := &astGen{r: rand.New(rand.NewSource(1))}
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := 0; i < n; i++ {
		root := g.root()
		text := root.String()
		parsed, err := ParseOnly(text)
		if err != nil {
			t.Fatalf("case %d: generated AST prints as %q which does not parse: %v", i, text, err)
		}
		checkRoundTrip(t, text, parsed)
		if diff := cmpDiff(root, parsed); diff != "" {
			t.Fatalf("case %d: %q re-parses to a different AST (-generated +parsed):\n%s", i, text, diff)
		}
	}
}
