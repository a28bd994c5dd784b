package eval

import (
	"math"
	"testing"

	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/traceql"
)

func TestCompare(t *testing.T) {
	arr := func(vs ...value) value { return value{k: kArray, arr: vs} }
	for _, tt := range []struct {
		name string
		op   traceql.Operator
		l, r value
		want bool
	}{
		{"nil = x", traceql.OpEq, nilValue, intV(1), false},
		{"nil != x", traceql.OpNeq, nilValue, intV(1), false},
		{"x != nil", traceql.OpNeq, strV("a"), nilValue, false},
		{"type mismatch =", traceql.OpEq, strV("1"), intV(1), false},
		{"type mismatch !=", traceql.OpNeq, strV("1"), intV(1), false},
		{"int = float", traceql.OpEq, intV(2), floatV(2.0), true},
		{"duration = int", traceql.OpEq, durV(1e6), intV(1e6), true},
		{"duration < float", traceql.OpLT, durV(5), floatV(5.5), true},
		{"NaN != NaN", traceql.OpNeq, floatV(math.NaN()), floatV(math.NaN()), true},
		{"NaN = NaN", traceql.OpEq, floatV(math.NaN()), floatV(math.NaN()), false},
		{"string order", traceql.OpLT, strV("abc"), strV("abd"), true},
		{"bool =", traceql.OpEq, boolV(true), boolV(true), true},
		{"bool <", traceql.OpLT, boolV(false), boolV(true), false},
		{"status =", traceql.OpEq, statusV(model.StatusError), statusV(model.StatusError), true},
		{"status != kind", traceql.OpNeq, statusV(model.StatusError), kindV(model.KindServer), false},
		{"kind !=", traceql.OpNeq, kindV(model.KindClient), kindV(model.KindServer), true},
		{"array any =", traceql.OpEq, arr(strV("a"), strV("b")), strV("b"), true},
		{"array none =", traceql.OpEq, arr(strV("a"), strV("b")), strV("c"), false},
		{"array != when no element equals", traceql.OpNeq, arr(strV("a"), strV("b")), strV("c"), true},
		{"array != when one equals", traceql.OpNeq, arr(strV("a"), strV("b")), strV("a"), false},
		{"array != other type", traceql.OpNeq, arr(strV("a")), intV(1), false},
		{"array >", traceql.OpGT, arr(intV(1), intV(5)), intV(4), true},
		{"array on the right mirrors", traceql.OpLT, intV(4), arr(intV(1), intV(5)), true},
		{"empty array !=", traceql.OpNeq, arr(), strV("a"), false},
		{"other type", traceql.OpEq, value{k: kOther}, value{k: kOther}, false},
	} {
		if got := compare(tt.op, tt.l, tt.r); got != tt.want {
			t.Errorf("%s: %v %s %v = %v, want %v", tt.name, tt.l, tt.op, tt.r, got, tt.want)
		}
	}
}

func TestArith(t *testing.T) {
	for _, tt := range []struct {
		name    string
		op      traceql.Operator
		l, r    value
		want    value
		wantErr bool
	}{
		{"int division truncates", traceql.OpDiv, intV(1), intV(2), intV(0), false},
		{"int pow is lhs^rhs", traceql.OpPow, intV(2), intV(3), intV(8), false},
		{"int / 0", traceql.OpDiv, intV(1), intV(0), nilValue, true},
		{"int % 0", traceql.OpMod, intV(1), intV(0), nilValue, true},
		{"overflow", traceql.OpMul, intV(math.MaxInt64), intV(2), nilValue, true},
		{"float / 0", traceql.OpDiv, floatV(1), intV(0), floatV(math.Inf(1)), false},
		{"duration / int stays duration", traceql.OpDiv, durV(3600e9), intV(2), durV(1800e9), false},
		{"duration + int", traceql.OpAdd, durV(100e6), intV(1), durV(100000001), false},
		{"string + int is nil", traceql.OpAdd, strV("a"), intV(1), nilValue, false},
		{"nil + int is nil", traceql.OpAdd, nilValue, intV(1), nilValue, false},
	} {
		got, err := arith(tt.op, tt.l, tt.r)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v", tt.name, err)
			continue
		}
		if err == nil && (got.k != tt.want.k || got.String() != tt.want.String()) {
			t.Errorf("%s: got %v (%d), want %v (%d)", tt.name, got, got.k, tt.want, tt.want.k)
		}
	}
}
