package traceql

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tracectl/tracectl/model"
)

// The printer emits canonical TraceQL: single spaces around binary operators,
// `{ expr }` filters, parentheses only where precedence or the grammar needs
// them. Parsing the output gives back an equal tree.

func (r *RootExpr) String() string {
	var s string
	switch {
	case r.Pipeline != nil:
		s = r.Pipeline.pipelineString()
	case r.Scalar != nil:
		s = r.Scalar.String()
	case r.Metrics != nil:
		s = r.Metrics.String()
	}
	if r.Hints != nil {
		s += " " + r.Hints.String()
	}
	return s
}

// String prints a pipeline as a stage: wrapped in parentheses.
func (p *Pipeline) String() string { return "(" + p.pipelineString() + ")" }

func (p *Pipeline) pipelineString() string {
	parts := make([]string, len(p.Stages))
	for i, s := range p.Stages {
		parts[i] = s.String()
	}
	return strings.Join(parts, " | ")
}

func (f *SpansetFilter) String() string {
	if f.Expr == nil {
		return "{ }"
	}
	return "{ " + f.Expr.String() + " }"
}

func (o *SpansetOp) String() string { return o.print(needsWrapped(o)) }

// needsWrapped reports whether a spanset-operator tree has a wrapped pipeline
// among its operands; then every operand must be printed in parentheses.
func needsWrapped(s Stage) bool {
	switch x := s.(type) {
	case *Pipeline:
		return true
	case *SpansetOp:
		return needsWrapped(x.LHS) || needsWrapped(x.RHS)
	}
	return false
}

func (o *SpansetOp) print(wrapped bool) string {
	return spansetOperand(o.LHS, o.Op, false, wrapped) + " " + o.Op.String() + " " +
		spansetOperand(o.RHS, o.Op, true, wrapped)
}

func spansetOperand(s Stage, parentOp Operator, right, wrapped bool) string {
	parentPrec := parentOp.precedence()
	switch x := s.(type) {
	case *SpansetOp:
		str := x.print(wrapped)
		if p := x.Op.precedence(); p < parentPrec || (p == parentPrec && right) ||
			(p == parentPrec && p == 1 && x.Op != parentOp) {
			return "(" + str + ")"
		}
		return str
	case *Pipeline:
		return x.String()
	}
	if wrapped {
		return "(" + s.String() + ")"
	}
	return s.String()
}

func (f *ScalarFilter) String() string {
	prec := f.Op.precedence()
	return exprOperand(f.LHS, f.Op, prec, false) + " " + f.Op.String() + " " + exprOperand(f.RHS, f.Op, prec, true)
}

func (g *GroupOp) String() string { return "by(" + g.By.String() + ")" }

func (*CoalesceOp) String() string { return "coalesce()" }

func (s *SelectOp) String() string { return "select(" + joinExprs(s.Attrs) + ")" }

func joinExprs(es []Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.String()
	}
	return strings.Join(parts, ", ")
}

func (a *Aggregate) String() string {
	if a.Expr == nil {
		return a.Op.String() + "()"
	}
	return a.Op.String() + "(" + a.Expr.String() + ")"
}

func (s *ScalarPipeline) String() string {
	return "(" + s.Pipeline.pipelineString() + " | " + s.Agg.String() + ")"
}

func (b *BinaryExpr) String() string {
	prec := b.Op.precedence()
	return exprOperand(b.LHS, b.Op, prec, false) + " " + b.Op.String() + " " + exprOperand(b.RHS, b.Op, prec, true)
}

// unaryLevel is the precedence level a unary operator sits at: unary minus
// shares `+ -`, `!` sits between `+ -` and `* / %`.
func unaryLevel(op Operator) int {
	if op == OpNot {
		return 4
	}
	return 3
}

func exprOperand(e Expr, parent Operator, prec int, right bool) string {
	switch x := e.(type) {
	case *BinaryExpr:
		cp := x.Op.precedence()
		if cp < prec || (cp == prec && right != parent.rightAssoc()) {
			return "(" + x.String() + ")"
		}
		// Not needed for the parser, but keeps the canonical form readable:
		// `&&` and `||` share a precedence in TraceQL (unlike C), so a mix is
		// parenthesised, and so are comparisons of comparisons.
		if cp == prec && (cp == 2 || x.Op != parent) {
			return "(" + x.String() + ")"
		}
	case *UnaryExpr:
		if prec > unaryLevel(x.Op) {
			return "(" + x.String() + ")"
		}
	case *MetricsPipeline, *MetricsSecondStage:
		return "(" + x.String() + ")"
	}
	return e.String()
}

func (u *UnaryExpr) String() string {
	// A binary operand is always parenthesised: inside braces `-x * 2` means
	// -(x*2), outside braces (metrics scalars) it means (-x)*2.
	if b, ok := u.Expr.(*BinaryExpr); ok {
		return u.Op.String() + "(" + b.String() + ")"
	}
	return u.Op.String() + u.Expr.String()
}

func (a *Attribute) String() string {
	var b strings.Builder
	if a.Parent {
		b.WriteString("parent.")
	}
	if a.Scope != AttributeScopeNone {
		b.WriteString(a.Scope.String())
		b.WriteByte('.')
	} else if !a.Parent {
		b.WriteByte('.')
	}
	b.WriteString(quoteAttrName(a.Name, a.Scope == AttributeScopeNone && !a.Parent))
	return b.String()
}

// quoteAttrName returns name as written after a scope prefix, quoting it when
// it contains characters that would end or change it.
func quoteAttrName(name string, unscoped bool) string {
	need := name == "" || strings.ContainsAny(name, "\" \t\r\n{}()=~!<>&|^,")
	if unscoped && !need && name[0] >= '0' && name[0] <= '9' {
		need = true // `.5xx` would lex as a number
	}
	if !need {
		return name
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(name); i++ {
		if name[i] == '"' || name[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(name[i])
	}
	b.WriteByte('"')
	return b.String()
}

func (i *Intrinsic) String() string {
	info := i.Intrinsic.Info()
	if i.Scope == IntrinsicScopeNone {
		return info.Legacy
	}
	return info.Scope.String() + ":" + info.Local
}

var statusText = map[model.StatusCode]string{model.StatusUnset: "unset", model.StatusOK: "ok", model.StatusError: "error"}

var kindText = map[model.SpanKind]string{
	model.KindUnspecified: "unspecified", model.KindInternal: "internal", model.KindServer: "server",
	model.KindClient: "client", model.KindProducer: "producer", model.KindConsumer: "consumer",
}

func (s *Static) String() string {
	switch s.Type {
	case TypeNil:
		return "nil"
	case TypeInt:
		if s.Int == math.MinInt64 {
			return "minInt" // -9223372036854775808 has no literal form
		}
		if s.Int < 0 {
			return "(" + strconv.FormatInt(s.Int, 10) + ")"
		}
		return strconv.FormatInt(s.Int, 10)
	case TypeFloat:
		return formatFloat(s.Float)
	case TypeString:
		return strconv.Quote(s.Str)
	case TypeBool:
		return strconv.FormatBool(s.Bool)
	case TypeDuration:
		return formatDuration(s.Dur)
	case TypeStatus:
		return statusText[s.Status]
	case TypeKind:
		return kindText[s.Kind]
	}
	return "?"
}

func formatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEIN") {
		s += ".0"
	}
	if f < 0 {
		return "(" + s + ")"
	}
	return s
}

// formatDuration prints d in Go's compound form with zero tails trimmed
// (`90m` → `1h30m`, `1500ms` → `1.5s`) and "us" for microseconds.
func formatDuration(d time.Duration) string {
	if d < 0 {
		return "(" + d.String() + ")"
	}
	s := d.String()
	s = strings.Replace(s, "µs", "us", 1)
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func (h *Hints) String() string {
	parts := make([]string, len(h.Hints))
	for i, x := range h.Hints {
		parts[i] = x.String()
	}
	return "with(" + strings.Join(parts, ", ") + ")"
}

func (h *Hint) String() string { return h.Name + "=" + h.Value.String() }

func (m *MetricsFunc) String() string {
	var b strings.Builder
	b.WriteString(m.Op.String())
	b.WriteByte('(')
	switch m.Op {
	case MetricsQuantileOverTime:
		b.WriteString(m.Attr.String())
		for _, q := range m.Quantiles {
			b.WriteString(", ")
			if q < 0 {
				b.WriteString("-" + formatFloat(-q))
			} else {
				b.WriteString(formatFloat(q))
			}
		}
	case MetricsCompare:
		b.WriteString(m.Filter.String())
		if m.NArgs >= 2 {
			fmt.Fprintf(&b, ", %d", m.TopN)
		}
		if m.NArgs >= 4 {
			fmt.Fprintf(&b, ", %d, %d", m.Start, m.End)
		}
	default:
		if m.Attr != nil {
			b.WriteString(m.Attr.String())
		}
	}
	b.WriteByte(')')
	if len(m.By) > 0 {
		b.WriteString(" by (" + joinExprs(m.By) + ")")
	}
	return b.String()
}

func (m *MetricsPipeline) String() string {
	return m.Pipeline.pipelineString() + " | " + m.Func.String()
}

func (m *MetricsSecondStage) String() string {
	var b strings.Builder
	b.WriteString(m.Expr.String())
	for _, op := range m.Ops {
		if op.Kind == SecondStageFilter {
			b.WriteByte(' ')
		} else {
			b.WriteString(" | ")
		}
		b.WriteString(op.String())
	}
	return b.String()
}

func (s *SecondStageOp) String() string {
	switch s.Kind {
	case SecondStageTopK:
		return "topk(" + strconv.FormatInt(s.K, 10) + ")"
	case SecondStageBottomK:
		return "bottomk(" + strconv.FormatInt(s.K, 10) + ")"
	}
	return s.Op.String() + " " + exprOperand(s.Value, s.Op, s.Op.precedence(), true)
}
