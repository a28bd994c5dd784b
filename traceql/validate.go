package traceql

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"regexp"
	"time"
)

// Validate checks types and structure of a parsed query. It returns nil, one
// *ValidationError / *UnsupportedError, or an ErrorList of them in source order.
func Validate(root *RootExpr, query string) error {
	v := &validator{query: query}
	v.root(root)
	return v.errs.Err()
}

type validator struct {
	query string
	errs  ErrorList
}

func (v *validator) invalid(n Node, format string, args ...any) {
	v.errs = append(v.errs, &ValidationError{PosRange: n.PositionRange(), Query: v.query, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) unsupported(n Node, feature string) {
	v.errs = append(v.errs, &UnsupportedError{PosRange: n.PositionRange(), Query: v.query, Feature: feature})
}

func (v *validator) root(r *RootExpr) {
	switch {
	case r.Pipeline != nil:
		v.pipeline(r.Pipeline)
	case r.Scalar != nil:
		v.scalarPipe(r.Scalar.LHS)
		v.scalarPipe(r.Scalar.RHS)
		v.unsupported(r.Scalar, "comparing scalar pipelines")
	case r.Metrics != nil:
		v.metrics(r.Metrics)
	}
}

func (v *validator) scalarPipe(e Expr) {
	switch x := e.(type) {
	case *ScalarPipeline:
		v.pipeline(x.Pipeline)
		v.aggregate(x.Agg)
	case *BinaryExpr:
		v.scalarPipe(x.LHS)
		v.scalarPipe(x.RHS)
	default:
		v.constant(e)
	}
}

func (v *validator) pipeline(p *Pipeline) {
	for _, s := range p.Stages {
		v.stage(s)
	}
}

func (v *validator) stage(s Stage) {
	switch x := s.(type) {
	case *Pipeline:
		v.pipeline(x)
	case *SpansetFilter:
		v.filter(x)
	case *SpansetOp:
		v.stage(x.LHS)
		v.stage(x.RHS)
	case *ScalarFilter:
		v.scalarFilter(x)
	case *GroupOp:
		v.fieldType(x.By)
		if !referencesSpan(x.By) {
			v.invalid(x.By, "by() needs an expression that references the span, found %s", x.By)
		}
	case *SelectOp:
		for _, a := range x.Attrs {
			v.fieldType(a)
		}
	}
}

func (v *validator) filter(f *SpansetFilter) {
	if f.Expr == nil {
		return
	}
	if t := v.fieldType(f.Expr); t != ValueBool && t != ValueUnknown {
		v.invalid(f.Expr, "spanset filter must be a boolean expression, found %s", t)
	}
}

// scalarFilter checks `aggregate op number`. Only an aggregate compared with a
// constant is executable; anything else is "not yet supported".
func (v *validator) scalarFilter(f *ScalarFilter) {
	v.scalarExpr(f.LHS)
	v.scalarExpr(f.RHS)
	_, lAgg := f.LHS.(*Aggregate)
	_, rAgg := f.RHS.(*Aggregate)
	switch {
	case lAgg && isConstant(f.RHS), rAgg && isConstant(f.LHS):
	default:
		v.unsupported(f, "scalar filter other than \"aggregate op number\"")
	}
}

func (v *validator) scalarExpr(e Expr) {
	switch x := e.(type) {
	case *Aggregate:
		v.aggregate(x)
	case *BinaryExpr:
		if isConstant(x) {
			v.constant(x)
			return
		}
		v.scalarExpr(x.LHS)
		v.scalarExpr(x.RHS)
	default:
		v.constant(e)
	}
}

func (v *validator) aggregate(a *Aggregate) {
	if a.Expr == nil {
		return
	}
	t := v.fieldType(a.Expr)
	if !t.isNumeric() && t != ValueUnknown {
		v.invalid(a.Expr, "%s() needs a numeric expression, found %s", a.Op, t)
	}
	if !referencesSpan(a.Expr) {
		v.invalid(a.Expr, "%s() needs an expression that references the span, found %s", a.Op, a.Expr)
	}
}

func (v *validator) constant(e Expr) {
	if _, err := EvalConstant(e); err != nil {
		v.invalid(e, "%v", err)
	}
}

func isConstant(e Expr) bool {
	switch x := e.(type) {
	case *Static:
		return true
	case *UnaryExpr:
		return isConstant(x.Expr)
	case *BinaryExpr:
		return isConstant(x.LHS) && isConstant(x.RHS)
	}
	return false
}

func referencesSpan(e Expr) bool {
	found := false
	Inspect(e, func(n Node) bool {
		switch n.(type) {
		case *Attribute, *Intrinsic:
			found = true
		}
		return !found
	})
	return found
}

// fieldType infers the static type of a field expression, reporting misuse.
func (v *validator) fieldType(e Expr) ValueType {
	switch x := e.(type) {
	case *Static:
		return staticValueType(x.Type)
	case *Attribute:
		if x.Parent {
			v.unsupported(x, "parent")
		}
		return ValueUnknown
	case *Intrinsic:
		if x.Intrinsic == IntrinsicParent {
			v.unsupported(x, "parent")
		}
		return x.Intrinsic.Info().Type
	case *UnaryExpr:
		t := v.fieldType(x.Expr)
		if x.Op == OpNot {
			if t != ValueBool && t != ValueUnknown {
				v.invalid(x, "operator ! needs a boolean, found %s", t)
			}
			return ValueBool
		}
		if !t.isNumeric() && t != ValueUnknown {
			v.invalid(x, "unary - needs a number, found %s", t)
			return ValueNumeric
		}
		if t == ValueUnknown {
			return ValueNumeric
		}
		return t
	case *BinaryExpr:
		return v.binaryType(x)
	}
	v.invalid(e, "unexpected %s in field expression", e)
	return ValueUnknown
}

func staticValueType(t StaticType) ValueType {
	switch t {
	case TypeInt:
		return ValueInt
	case TypeFloat:
		return ValueFloat
	case TypeString:
		return ValueString
	case TypeBool:
		return ValueBool
	case TypeDuration:
		return ValueDuration
	case TypeStatus:
		return ValueStatus
	case TypeKind:
		return ValueKind
	}
	return ValueNil
}

func (v *validator) binaryType(b *BinaryExpr) ValueType {
	lt := v.fieldType(b.LHS)
	rt := v.fieldType(b.RHS)
	op := b.Op
	switch {
	case op.IsArithmetic():
		for _, t := range []ValueType{lt, rt} {
			if !t.isNumeric() && t != ValueUnknown {
				v.invalid(b, "operator %s is not valid for %s", op, t)
				return ValueNumeric
			}
		}
		if isConstant(b) {
			if _, err := EvalConstant(b); err != nil {
				v.invalid(b, "%v", err)
			}
		}
		switch {
		case lt == ValueUnknown && rt == ValueUnknown:
			return ValueNumeric
		case lt == ValueUnknown:
			return rt
		case rt == ValueUnknown:
			return lt
		case lt == ValueDuration || rt == ValueDuration:
			return ValueDuration
		case lt == ValueInt && rt == ValueInt:
			return ValueInt
		case lt == ValueNumeric || rt == ValueNumeric:
			return ValueNumeric
		}
		return ValueFloat
	case op.IsBoolean():
		for _, t := range []ValueType{lt, rt} {
			if t != ValueBool && t != ValueUnknown {
				v.invalid(b, "operator %s needs booleans, found %s", op, t)
				break
			}
		}
		return ValueBool
	case op.IsRegex():
		if lt != ValueString && lt != ValueUnknown {
			v.invalid(b, "operator %s needs a string on the left, found %s", op, lt)
		}
		s, ok := b.RHS.(*Static)
		if !ok || s.Type != TypeString {
			v.invalid(b.RHS, "operator %s needs a string literal on the right", op)
		} else if _, err := regexp.Compile("^(?s:" + s.Str + ")$"); err != nil {
			v.invalid(b.RHS, "invalid regular expression: %v", err)
		}
		return ValueBool
	}
	// comparison
	if lt == ValueNil || rt == ValueNil {
		if op != OpEq && op != OpNeq {
			v.invalid(b, "operator %s is not valid for nil", op)
		}
		for _, side := range []Expr{b.LHS, b.RHS} {
			if neverNil(side) {
				v.invalid(side, "%s can never be nil", side)
			}
		}
		return ValueBool
	}
	t := lt
	switch {
	case lt == ValueUnknown:
		t = rt
	case rt == ValueUnknown:
	case lt == rt, lt.isNumeric() && rt.isNumeric():
	default:
		v.invalid(b, "cannot compare %s with %s", lt, rt)
		return ValueBool
	}
	switch t {
	case ValueStatus, ValueKind, ValueBool:
		if op != OpEq && op != OpNeq {
			v.invalid(b, "operator %s is not valid for %s", op, t)
		}
	}
	return ValueBool
}

// neverNil reports whether e always has a value: intrinsics, and
// resource.service.name, which every resource carries (Tempo rejects
// `= nil` on both).
func neverNil(e Expr) bool {
	switch x := e.(type) {
	case *Intrinsic:
		return x.Intrinsic != IntrinsicParent
	case *Attribute:
		return !x.Parent && x.Scope == AttributeScopeResource && x.Name == "service.name"
	}
	return false
}

func (v *validator) metrics(e Expr) {
	if isConstant(e) {
		v.constant(e)
		return
	}
	switch x := e.(type) {
	case *MetricsPipeline:
		v.pipeline(x.Pipeline)
		v.metricsFunc(x.Func)
	case *MetricsSecondStage:
		v.metrics(x.Expr)
		if containsCompare(x.Expr) {
			v.invalid(x.Ops[0], "%s is not allowed after compare()", x.Ops[0])
		}
		for _, op := range x.Ops {
			switch op.Kind {
			case SecondStageTopK, SecondStageBottomK:
				if op.K < 1 {
					v.invalid(op, "%s needs k >= 1", op)
				}
			default:
				v.constant(op.Value)
			}
		}
	case *BinaryExpr:
		v.metrics(x.LHS)
		v.metrics(x.RHS)
	default:
		v.constant(e)
	}
}

func containsCompare(e Expr) bool {
	found := false
	Inspect(e, func(n Node) bool {
		if f, ok := n.(*MetricsFunc); ok && f.Op == MetricsCompare {
			found = true
		}
		return !found
	})
	return found
}

func (v *validator) metricsFunc(f *MetricsFunc) {
	sig := Functions[f.Op.String()]
	if len(f.By) > sig.MaxBy && f.Op != MetricsCompare {
		v.invalid(f.By[sig.MaxBy], "%s() accepts at most %d by() attributes", f.Op, sig.MaxBy)
	}
	for _, b := range f.By {
		v.fieldType(b)
	}
	if f.Attr != nil {
		t := v.fieldType(f.Attr)
		if !t.isNumeric() && t != ValueUnknown {
			v.invalid(f.Attr, "%s() needs a numeric attribute, found %s", f.Op, t)
		}
	}
	for _, q := range f.Quantiles {
		if q < 0 || q > 1 || math.IsNaN(q) {
			v.invalid(f, "quantile %g is outside [0, 1]", q)
		}
	}
	if f.Filter != nil {
		v.filter(f.Filter)
		if f.NArgs >= 2 && (f.TopN < 1 || f.TopN > 1000) {
			v.invalid(f, "compare() topN must be between 1 and 1000, found %d", f.TopN)
		}
		if f.NArgs == 4 && f.End < f.Start {
			v.invalid(f, "compare() end must not be before start")
		}
	}
}

// EvalConstant folds a constant numeric expression (literals, unary minus and
// + - * / % ^). Integer arithmetic stays integer and fails on overflow and on
// division by zero; integer `^` is base^exponent (Tempo computes
// exponent^base). Durations behave as int64 nanoseconds and stay durations.
func EvalConstant(e Expr) (*Static, error) {
	switch x := e.(type) {
	case *Static:
		return x, nil
	case *UnaryExpr:
		v, err := EvalConstant(x.Expr)
		if err != nil {
			return nil, err
		}
		if x.Op != OpSub {
			return nil, errors.New("operator ! needs a boolean")
		}
		switch v.Type {
		case TypeInt, TypeDuration:
			if v.Int == math.MinInt64 || int64(v.Dur) == math.MinInt64 {
				return nil, errors.New("integer overflow")
			}
			return &Static{Type: v.Type, Int: -v.Int, Dur: -v.Dur}, nil
		case TypeFloat:
			return &Static{Type: TypeFloat, Float: -v.Float}, nil
		}
		return nil, fmt.Errorf("unary - needs a number, found %s", v)
	case *BinaryExpr:
		l, err := EvalConstant(x.LHS)
		if err != nil {
			return nil, err
		}
		r, err := EvalConstant(x.RHS)
		if err != nil {
			return nil, err
		}
		return foldArith(x.Op, l, r)
	}
	return nil, fmt.Errorf("%s is not a constant", e)
}

func numParts(s *Static) (i int64, f float64, isInt, ok bool) {
	switch s.Type {
	case TypeInt:
		return s.Int, float64(s.Int), true, true
	case TypeDuration:
		return int64(s.Dur), float64(s.Dur), true, true
	case TypeFloat:
		return 0, s.Float, false, true
	}
	return 0, 0, false, false
}

func foldArith(op Operator, l, r *Static) (*Static, error) {
	li, lf, lInt, lok := numParts(l)
	ri, rf, rInt, rok := numParts(r)
	if !lok || !rok || !op.IsArithmetic() {
		return nil, fmt.Errorf("operator %s is not valid for %s and %s", op, l, r)
	}
	if lInt && rInt {
		v, err := IntArith(op, li, ri)
		if err != nil {
			return nil, err
		}
		if l.Type == TypeDuration || r.Type == TypeDuration {
			return &Static{Type: TypeDuration, Dur: time.Duration(v)}, nil
		}
		return &Static{Type: TypeInt, Int: v}, nil
	}
	var v float64
	switch op {
	case OpAdd:
		v = lf + rf
	case OpSub:
		v = lf - rf
	case OpMul:
		v = lf * rf
	case OpDiv:
		v = lf / rf
	case OpMod:
		v = math.Mod(lf, rf)
	case OpPow:
		v = math.Pow(lf, rf)
	}
	return &Static{Type: TypeFloat, Float: v}, nil
}

// IntArith applies an arithmetic operator to two int64 values, reporting
// overflow and division by zero. OpPow is l^r; a negative exponent gives the
// truncated integer result (0 unless |l| is 1).
func IntArith(op Operator, l, r int64) (int64, error) {
	errOverflow := errors.New("integer overflow")
	switch op {
	case OpAdd:
		s := l + r
		if (l > 0 && r > 0 && s < 0) || (l < 0 && r < 0 && s >= 0) {
			return 0, errOverflow
		}
		return s, nil
	case OpSub:
		s := l - r
		if (l >= 0 && r < 0 && s < 0) || (l < 0 && r > 0 && s >= 0) {
			return 0, errOverflow
		}
		return s, nil
	case OpMul:
		return mulInt(l, r)
	case OpDiv, OpMod:
		if r == 0 {
			return 0, errors.New("integer division by zero")
		}
		if l == math.MinInt64 && r == -1 {
			if op == OpMod {
				return 0, nil
			}
			return 0, errOverflow
		}
		if op == OpDiv {
			return l / r, nil
		}
		return l % r, nil
	case OpPow:
		return IntPow(l, r)
	}
	return 0, fmt.Errorf("operator %s is not arithmetic", op)
}

func mulInt(l, r int64) (int64, error) {
	if l == 0 || r == 0 {
		return 0, nil
	}
	neg := (l < 0) != (r < 0)
	ul, ur := absU(l), absU(r)
	hi, lo := bits.Mul64(ul, ur)
	if hi != 0 || (!neg && lo > math.MaxInt64) || (neg && lo > 1<<63) {
		return 0, errors.New("integer overflow")
	}
	if neg {
		return int64(-lo), nil //nolint:gosec // range checked above
	}
	return int64(lo), nil
}

func absU(x int64) uint64 {
	if x < 0 {
		return uint64(-(x + 1)) + 1
	}
	return uint64(x)
}

// IntPow returns base^exp for integers (base raised to exp), with overflow
// detection. Negative exponents: 1^n = 1, (-1)^n = ±1, 0^n is a division by
// zero, anything else truncates to 0.
func IntPow(base, exp int64) (int64, error) {
	if exp < 0 {
		switch base {
		case 1:
			return 1, nil
		case -1:
			if exp%2 == 0 {
				return 1, nil
			}
			return -1, nil
		case 0:
			return 0, errors.New("integer division by zero")
		}
		return 0, nil
	}
	result := int64(1)
	b := base
	for exp > 0 {
		var err error
		if exp&1 == 1 {
			if result, err = mulInt(result, b); err != nil {
				return 0, err
			}
		}
		exp >>= 1
		if exp > 0 {
			if b, err = mulInt(b, b); err != nil {
				return 0, err
			}
		}
	}
	return result, nil
}
