package traceql

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestErrorPositions pins line/col and message of parse, validation and
// unsupported errors so they cannot regress.
func TestErrorPositions(t *testing.T) {
	tests := []struct {
		query     string
		line, col int
		substr    string
	}{
		{`{ .a = }`, 1, 8, `unexpected "}", expected attribute, intrinsic or literal`},
		{`{ .a = 1`, 1, 9, "unexpected end of input"},
		{`{ Status = error }`, 1, 3, `unexpected identifier "Status"`},
		{`{ status = ERROR }`, 1, 12, `unexpected identifier "ERROR"`},
		{`{ .a == 1 }`, 1, 7, `unexpected "="`},
		{`{ .a = 'x' }`, 1, 8, "unexpected character '''"},
		{`{ duration > 1.5d }`, 1, 14, `invalid duration "1.5d"`},
		{`{ .a = 0x10 }`, 1, 8, "invalid duration"},
		{`{ .a = 99999999999999999999 }`, 1, 8, "invalid integer"},
		{`{ trace:status = error }`, 1, 3, `unknown intrinsic "trace:status"`},
		{`{ foo = 1 }`, 1, 3, `identifier "foo"`},
		{`{ . = 1 }`, 1, 4, "expected attribute name"},
		{`({ .a } | { .b }) && { .c }`, 1, 22, "parenthesised pipeline"},
		{`{ } | count()`, 1, 14, "expected comparison operator"},
		{`{ } | topk(3)`, 1, 7, `unexpected "topk"`},
		{`{ } | rate() | topk(-1)`, 1, 21, `unexpected "-", expected integer`},
		{`({ } | rate()) % 2`, 1, 16, `unexpected "%"`},
		{`({ } | rate()) * 2s`, 1, 18, "durations are not allowed"},
		{`coalesce()`, 1, 1, "coalesce() cannot start a pipeline"},
		{"{\n  .a = 1 &&\n  .b = \n}", 4, 1, `unexpected "}"`},
		{"{ .a = 1 }\n| count(\n.a) > 1", 3, 1, `unexpected ".", expected ")"`},
		{"{ .名前 = 1 } | { é }", 1, 17, "unexpected character 'é'"},
		{`{ .a = 1 } /* open`, 1, 12, "unterminated comment"},
		{"{ " + strings.Repeat("(", 600) + ".a", 1, 502, "nested too deeply"},
		{strings.Repeat("(", 600), 1, 501, "nested too deeply"},
		{"{ " + strings.Repeat("!", 600) + ".a }", 1, 502, "nested too deeply"},
		{`{ } with (a=1) | count() > 1`, 1, 16, "hints end the query"},
		// validation errors
		{`{ status > ok }`, 1, 3, "operator > is not valid for status"},
		{`{ .a = 1 && status = 2 }`, 1, 13, "cannot compare status with int"},
		{`{ 1 + 1 }`, 1, 3, "must be a boolean expression"},
		{`{ .a =~ .b }`, 1, 9, "string literal"},
		{`{ span:status = nil }`, 1, 3, "can never be nil"},
		{`{ } | sum(3) > 1`, 1, 11, "references the span"},
		{"{ } | rate() |\n  topk(0)", 1, 14, "topk(0) needs k >= 1"},
		{`{ } | rate() by (.a, .b, .c, .d, .e, .f)`, 1, 38, "at most 5"},
		// unsupported
		{`{ parent.x = 1 }`, 1, 3, "parent not yet supported"},
		{`({ .a } | count()) > 3`, 1, 1, "not yet supported"},
		{`{ } | count() * 2 > 3`, 1, 7, "not yet supported"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.query)
		if err == nil {
			t.Errorf("%q: no error", tt.query)
			continue
		}
		pr, ok := ErrorPosition(err)
		if !ok {
			t.Errorf("%q: error has no position: %v", tt.query, err)
			continue
		}
		line, col := LineCol(tt.query, pr.Start)
		if line != tt.line || col != tt.col || !strings.Contains(err.Error(), tt.substr) {
			t.Errorf("%q: got %d:%d %q, want %d:%d containing %q", tt.query, line, col, err, tt.line, tt.col, tt.substr)
		}
		if want := "line " + strconv.Itoa(tt.line) + ", col " + strconv.Itoa(tt.col); !strings.Contains(err.Error(), want) {
			t.Errorf("%q: message %q lacks %q", tt.query, err, want)
		}
	}
}

func TestErrorClasses(t *testing.T) {
	_, err := Parse(`{ .a = }`)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Unexpected != `"}"` || pe.Expected == "" {
		t.Fatalf("want *ParseError with unexpected/expected, got %#v", err)
	}
	if got := err.Error(); got != `parse error at line 1, col 8: unexpected "}", expected attribute, intrinsic or literal` {
		t.Errorf("message: %s", got)
	}
	_, err = Parse(`{ status > ok && kind > server }`)
	var ve *ValidationError
	var l ErrorList
	if !errors.As(err, &ve) || !errors.As(err, &l) || len(l) != 2 {
		t.Fatalf("want ErrorList of 2 *ValidationError, got %v", err)
	}
	if !strings.HasSuffix(err.Error(), "(and 1 more errors)") {
		t.Errorf("list message: %s", err)
	}
	_, err = Parse(`{ parent.x = 1 }`)
	var ue *UnsupportedError
	if !errors.As(err, &ue) || errors.As(err, &ve) || errors.As(err, &pe) {
		t.Fatalf("want only *UnsupportedError, got %v", err)
	}
	// ParseOnly does not validate.
	if _, err := ParseOnly(`{ status > ok }`); err != nil {
		t.Fatalf("ParseOnly validated: %v", err)
	}
}

func TestCaret(t *testing.T) {
	q := "{ .a = 1 &&\n\t.b = }"
	_, err := Parse(q)
	got := Caret(q, err)
	want := "\t.b = }\n\t     ^"
	if got != want {
		t.Errorf("Caret:\n%s\nwant:\n%s", got, want)
	}
	if Caret(q, errors.New("plain")) != "" {
		t.Error("Caret of an unpositioned error should be empty")
	}
	q = "{ .名前 = }"
	_, err = Parse(q)
	if got, want := Caret(q, err), "{ .名前 = }\n        ^"; got != want {
		t.Errorf("Caret (runes):\n%q\nwant\n%q", got, want)
	}
}

func TestPrecedence(t *testing.T) {
	// Each pair must parse to the same AST: the second spells out Tempo's
	// grouping with parentheses.
	pairs := [][2]string{
		{`{ .a = 1 || .b = 2 && .c = 3 }`, `{ (.a = 1 || .b = 2) && .c = 3 }`},
		{`{ !.a = true }`, `{ (!.a) = true }`},
		{`{ -.a * 2 = 1 }`, `{ -(.a * 2) = 1 }`},
		{`{ -.a + 2 = 1 }`, `{ (-.a) + 2 = 1 }`},
		{`{ .a + .b * .c ^ .d ^ .e = 1 }`, `{ .a + (.b * (.c ^ (.d ^ .e))) = 1 }`},
		{`{ .a - .b - .c = 1 }`, `{ (.a - .b) - .c = 1 }`},
		{`{ .a = 1 && .b =~ "x" || .c }`, `{ ((.a = 1) && (.b =~ "x")) || .c }`},
		{`{ .a } > { .b } && { .c }`, `({ .a } > { .b }) && { .c }`},
		{`{ .a } >> { .b } >> { .c }`, `({ .a } >> { .b }) >> { .c }`},
		{`{ .a } && { .b } || { .c }`, `({ .a } && { .b }) || { .c }`},
		{`{ .a } | { .b } && { .c }`, `{ .a } | ({ .b } && { .c })`},
		{`{ } | count() > 1 + 2 * 3`, `{ } | count() > (1 + (2 * 3))`},
		{`({ } | rate()) + ({ } | rate()) * 2`, `({ } | rate()) + (({ } | rate()) * 2)`},
		{`-1 * ({ } | rate())`, `(-1) * ({ } | rate())`},
	}
	for _, p := range pairs {
		a, err := ParseOnly(p[0])
		if err != nil {
			t.Fatalf("%s: %v", p[0], err)
		}
		b, err := ParseOnly(p[1])
		if err != nil {
			t.Fatalf("%s: %v", p[1], err)
		}
		if d := cmp.Diff(a, b, ignorePos); d != "" {
			t.Errorf("%s vs %s:\n%s", p[0], p[1], d)
		}
	}
}

func TestIntPow(t *testing.T) {
	tests := []struct {
		base, exp, want int64
		err             bool
	}{
		{2, 3, 8, false}, // Tempo computes 3^2 = 9 here
		{3, 2, 9, false},
		{2, 0, 1, false},
		{0, 0, 1, false},
		{-2, 3, -8, false},
		{10, 18, 1e18, false},
		{2, 62, 1 << 62, false},
		{2, 63, 0, true},
		{-2, 63, math.MinInt64, false},
		{10, 19, 0, true},
		{1, -5, 1, false},
		{-1, -3, -1, false},
		{2, -1, 0, false},
		{0, -1, 0, true},
	}
	for _, tt := range tests {
		got, err := IntPow(tt.base, tt.exp)
		if (err != nil) != tt.err || (!tt.err && got != tt.want) {
			t.Errorf("IntPow(%d, %d) = %d, %v; want %d, err=%v", tt.base, tt.exp, got, err, tt.want, tt.err)
		}
	}
	root, err := Parse(`{ 2 ^ 3 ^ 2 = 512 }`)
	if err != nil {
		t.Fatal(err)
	}
	cmpExpr := root.Pipeline.Stages[0].(*SpansetFilter).Expr.(*BinaryExpr)
	v, err := EvalConstant(cmpExpr.LHS)
	if err != nil || v.Int != 512 {
		t.Errorf("2 ^ 3 ^ 2 = %v, %v; want 512 (right-associative, base^exponent)", v, err)
	}
}

func TestEvalConstant(t *testing.T) {
	tests := map[string]string{
		"1 + 2 * 3":  "7",
		"7 / 2":      "3",
		"7 % 4":      "3",
		"1.5 * 2":    "3.0",
		"2.0 ^ 3":    "8.0",
		"1h / 2":     "30m",
		"100ms + 1":  "100.000001ms",
		"-(2 - 5)":   "3",
		"10 / 4.0":   "2.5",
		"1 - 2":      "(-1)",
		"maxInt - 1": "9223372036854775806",
		"minInt + 1": "(-9223372036854775807)",
	}
	for in, want := range tests {
		root, err := ParseOnly("{ " + in + " = 0 }")
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		e := root.Pipeline.Stages[0].(*SpansetFilter).Expr.(*BinaryExpr).LHS
		v, err := EvalConstant(e)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got := v.String(); got != want {
			t.Errorf("%s = %s, want %s", in, got, want)
		}
	}
}

// TestIntLimits: minInt and maxInt are numbers outside braces too (a
// scalar filter, metrics arithmetic), as inside, so that a query the
// printer wrote (it prints math.MinInt64 as minInt) parses again.
func TestIntLimits(t *testing.T) {
	for _, q := range []string{
		"{ } | count() > minInt",
		"{ } | count() < maxInt",
		"{ } | avg(duration) > minInt + 1",
		"({ } | rate()) * maxInt",
	} {
		root, err := ParseOnly(q)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		again, err := ParseOnly(root.String())
		if err != nil {
			t.Errorf("%s printed as %s: %v", q, root.String(), err)
			continue
		}
		if again.String() != root.String() {
			t.Errorf("%s: printed %s, then %s", q, root.String(), again.String())
		}
	}
}

func TestWalkInspect(t *testing.T) {
	root, err := Parse(`{ span.a = 1 && duration > 1s } >> { .b } | by(resource.c) | count() > 2 with (most_recent=true)`)
	if err != nil {
		t.Fatal(err)
	}
	var attrs []string
	var count int
	Inspect(root, func(n Node) bool {
		count++
		switch x := n.(type) {
		case *Attribute:
			attrs = append(attrs, x.String())
		case *GroupOp:
			return false // skip children
		}
		return true
	})
	if got := strings.Join(attrs, ","); got != "span.a,.b" {
		t.Errorf("attributes = %s", got)
	}
	if count < 12 {
		t.Errorf("visited %d nodes", count)
	}
	// Every node's range lies inside the query.
	q := `{ } | rate() by (resource.service.name) | topk(5) > 10`
	root, _ = Parse(q)
	Inspect(root, func(n Node) bool {
		pr := n.PositionRange()
		if pr.Start < 0 || pr.End > Pos(len(q)) || pr.Start > pr.End {
			t.Errorf("%T %q has range %v", n, n, pr)
		}
		return true
	})
}

func TestExplain(t *testing.T) {
	out, err := Explain(`{status=error}|by(resource.service.name)|count()>1`)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"{ status = error } | by(resource.service.name) | count() > 1\n",
		"RootExpr (search)",
		"    SpansetFilter",
		`Attribute scope=resource name="service.name"`,
		"ScalarFilter >",
		"Aggregate count",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Explain output lacks %q:\n%s", want, out)
		}
	}
	if out, err := Explain(`{ .a = }`); err == nil || out != "" {
		t.Error("Explain of a bad query should fail")
	}
	out, err = Explain(`{ status > ok }`)
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.Contains(out, "BinaryExpr >") {
		t.Errorf("Explain of an invalid query should dump and fail: %q %v", out, err)
	}
}

func TestFunctionsTable(t *testing.T) {
	for i := MetricsRate; i <= MetricsCompare; i++ {
		if Functions[i.String()] == nil {
			t.Errorf("metrics function %s has no signature", i)
		}
	}
	for i := AggregateCount; i <= AggregateSum; i++ {
		if Functions[i.String()] == nil {
			t.Errorf("aggregate %s has no signature", i)
		}
	}
	for name, f := range Functions {
		if f.Name != name {
			t.Errorf("%s: name %s", name, f.Name)
		}
		if kw, ok := keywords[name]; !ok || !kw.IsKeyword() {
			t.Errorf("%s is not a keyword", name)
		}
	}
	for _, in := range Intrinsics {
		if in.Field.Info() == nil {
			t.Errorf("intrinsic %d missing", in.Field)
		}
	}
}

// TestQuerySizeLimit: a query over MaxQueryBytes is refused before it is
// parsed; one just under it parses.
func TestQuerySizeLimit(t *testing.T) {
	alt := `span.k = "v" || `
	big := "{ " + strings.Repeat(alt, MaxQueryBytes/len(alt)+1) + `span.k = "v" }`
	if _, err := Parse(big); !errors.Is(err, ErrQueryTooLarge) {
		t.Errorf("%d bytes: err = %v, want ErrQueryTooLarge", len(big), err)
	}
	ok := "{ " + strings.Repeat(alt, (MaxQueryBytes-100)/len(alt)) + `span.k = "v" }`
	if _, err := Parse(ok); err != nil {
		t.Errorf("%d bytes: %v", len(ok), err)
	}
}
