package eval

import (
	"math"
	"strconv"
	"time"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/traceql"
)

// kind is the run-time type of a value.
type kind uint8

const (
	kNil kind = iota // absent attribute
	kInt
	kFloat
	kDuration // int64 nanoseconds in i
	kString
	kBool
	kStatus // model.StatusCode in i
	kKind   // model.SpanKind in i
	kArray  // elements in arr
	kOther  // present but not comparable (bytes, maps, empty values)
)

// value is a TraceQL run-time value.
type value struct {
	k   kind
	i   int64
	f   float64
	s   string
	b   bool
	arr []value
}

var nilValue = value{}

func intV(i int64) value               { return value{k: kInt, i: i} }
func floatV(f float64) value           { return value{k: kFloat, f: f} }
func durV(d int64) value               { return value{k: kDuration, i: d} }
func strV(s string) value              { return value{k: kString, s: s} }
func boolV(b bool) value               { return value{k: kBool, b: b} }
func statusV(c model.StatusCode) value { return value{k: kStatus, i: int64(c)} }
func kindV(k model.SpanKind) value     { return value{k: kKind, i: int64(k)} }

func (v value) isNumeric() bool { return v.k == kInt || v.k == kFloat || v.k == kDuration }

func (v value) float() float64 {
	if v.k == kFloat {
		return v.f
	}
	return float64(v.i)
}

func (v value) isTrue() bool { return v.k == kBool && v.b }

// fromModel converts an attribute value.
func fromModel(m model.Value) value {
	switch m.Type {
	case model.ValueString:
		return strV(m.Str)
	case model.ValueInt:
		return intV(m.Int)
	case model.ValueDouble:
		return floatV(m.Double)
	case model.ValueBool:
		return boolV(m.Bool)
	case model.ValueArray:
		arr := make([]value, len(m.Array()))
		for i, e := range m.Array() {
			arr[i] = fromModel(e)
			if arr[i].k == kArray {
				arr[i] = value{k: kOther}
			}
		}
		return value{k: kArray, arr: arr}
	}
	return value{k: kOther}
}

// fromStatic converts a literal.
func fromStatic(s *traceql.Static) value {
	switch s.Type {
	case traceql.TypeInt:
		return intV(s.Int)
	case traceql.TypeFloat:
		return floatV(s.Float)
	case traceql.TypeString:
		return strV(s.Str)
	case traceql.TypeBool:
		return boolV(s.Bool)
	case traceql.TypeDuration:
		return durV(int64(s.Dur))
	case traceql.TypeStatus:
		return statusV(s.Status)
	case traceql.TypeKind:
		return kindV(s.Kind)
	}
	return nilValue
}

// String renders the value as Tempo shows it in result attributes:
// durations as Go durations, status and kind as their names, nil as "nil".
func (v value) String() string {
	switch v.k {
	case kInt:
		return strconv.FormatInt(v.i, 10)
	case kFloat:
		return strconv.FormatFloat(v.f, 'g', -1, 64)
	case kDuration:
		return time.Duration(v.i).String()
	case kString:
		return v.s
	case kBool:
		return strconv.FormatBool(v.b)
	case kStatus:
		return model.StatusCode(v.i).String()
	case kKind:
		return model.SpanKind(v.i).String()
	case kArray:
		s := "["
		for i, e := range v.arr {
			if i > 0 {
				s += ", "
			}
			s += e.String()
		}
		return s + "]"
	case kOther:
		return "<unsupported>"
	}
	return "nil"
}

// key is a grouping key: equal values (by type and content) have equal keys.
// Numbers of different types group apart, as in Tempo's by().
func (v value) key() string {
	return string(rune('a'+v.k)) + v.String()
}

// comparable reports whether two scalar values can be compared: same type,
// or both numeric.
func comparable(l, r value) bool {
	if l.isNumeric() && r.isNumeric() {
		return true
	}
	return l.k == r.k && l.k != kNil && l.k != kArray && l.k != kOther
}

// compareScalar applies a comparison operator to two non-array values. A nil
// operand or a type mismatch gives false for every operator.
func compareScalar(op traceql.Operator, l, r value) bool {
	if !comparable(l, r) {
		return false
	}
	var c int
	switch {
	case l.isNumeric():
		if l.k != kFloat && r.k != kFloat {
			c = cmpOrdered(l.i, r.i)
		} else {
			lf, rf := l.float(), r.float()
			if math.IsNaN(lf) || math.IsNaN(rf) {
				return op == traceql.OpNeq
			}
			c = cmpOrdered(lf, rf)
		}
	case l.k == kString:
		c = cmpOrdered(l.s, r.s)
	case l.k == kBool:
		if op != traceql.OpEq && op != traceql.OpNeq {
			return false
		}
		if l.b == r.b {
			c = 0
		} else {
			c = 1
		}
	case l.k == kStatus, l.k == kKind:
		if op != traceql.OpEq && op != traceql.OpNeq {
			return false
		}
		c = cmpOrdered(l.i, r.i)
	default:
		return false
	}
	return holds(op, c)
}

// holds reports whether comparison operator op holds between two values
// that compare as c (negative, zero, positive); false for other operators.
func holds(op traceql.Operator, c int) bool {
	switch op {
	case traceql.OpEq:
		return c == 0
	case traceql.OpNeq:
		return c != 0
	case traceql.OpLT:
		return c < 0
	case traceql.OpLTE:
		return c <= 0
	case traceql.OpGT:
		return c > 0
	case traceql.OpGTE:
		return c >= 0
	}
	return false
}

func cmpOrdered[T int64 | float64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compare applies a comparison operator with array semantics: an array
// operand matches `=` `<` `<=` `>` `>=` when any element does, and `!=` when
// no element equals the other side (at least one element must be of a
// comparable type, otherwise the result is false like any type mismatch).
func compare(op traceql.Operator, l, r value) bool {
	if l.k != kArray && r.k != kArray {
		return compareScalar(op, l, r)
	}
	if r.k == kArray && l.k != kArray {
		// Put the array on the left; mirror ordering operators.
		l, r = r, l
		op = op.Mirror()
	}
	if r.k == kArray {
		// array vs array (attribute compared with attribute): any pair.
		for _, e := range r.arr {
			if compare(op, l, e) {
				return true
			}
		}
		return false
	}
	if op == traceql.OpNeq {
		any := false
		for _, e := range l.arr {
			if !comparable(e, r) {
				continue
			}
			any = true
			if compareScalar(traceql.OpEq, e, r) {
				return false
			}
		}
		return any
	}
	for _, e := range l.arr {
		if compareScalar(op, e, r) {
			return true
		}
	}
	return false
}

// arith applies an arithmetic operator. Non-numeric operands give nil. Int
// and duration arithmetic is exact and reports overflow and division by zero
// as errors; a duration operand makes the result a duration unless a float
// is involved.
func arith(op traceql.Operator, l, r value) (value, error) {
	if !l.isNumeric() || !r.isNumeric() {
		return nilValue, nil
	}
	if l.k != kFloat && r.k != kFloat {
		v, err := traceql.IntArith(op, l.i, r.i)
		if err != nil {
			return nilValue, err
		}
		if l.k == kDuration || r.k == kDuration {
			return durV(v), nil
		}
		return intV(v), nil
	}
	lf, rf := l.float(), r.float()
	var f float64
	switch op {
	case traceql.OpAdd:
		f = lf + rf
	case traceql.OpSub:
		f = lf - rf
	case traceql.OpMul:
		f = lf * rf
	case traceql.OpDiv:
		f = lf / rf
	case traceql.OpMod:
		f = math.Mod(lf, rf)
	case traceql.OpPow:
		f = math.Pow(lf, rf)
	}
	return floatV(f), nil
}
