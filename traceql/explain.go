package traceql

import (
	"fmt"
	"strings"
)

// Explain parses and validates query and returns its canonical form followed
// by an indented dump of the AST, for `tracectl query --explain` and
// `tracectl traceql fmt`. A syntax error returns "" and the *ParseError; a
// query that parses but fails validation returns the dump *and* the error, so
// users can see how their query was read. Use Caret to point at an error.
func Explain(query string) (string, error) {
	root, err := ParseOnly(query)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(root.String())
	b.WriteString("\n\n")
	Dump(&b, query, root)
	return b.String(), Validate(root, query)
}

// Dump writes one line per node, indented by depth, with the node's position.
func Dump(b *strings.Builder, query string, n Node) {
	depth := 0
	Walk(dumper{b: b, query: query, depth: &depth}, n)
}

type dumper struct {
	b     *strings.Builder
	query string
	depth *int
}

func (d dumper) Visit(n Node) Visitor {
	if n == nil {
		*d.depth--
		return nil
	}
	pr := n.PositionRange()
	l1, c1 := LineCol(d.query, pr.Start)
	l2, c2 := LineCol(d.query, pr.End)
	fmt.Fprintf(d.b, "%s%s  [%d:%d-%d:%d]\n", strings.Repeat("  ", *d.depth), describeNode(n), l1, c1, l2, c2)
	*d.depth++
	return d
}

func describeNode(n Node) string {
	switch x := n.(type) {
	case *RootExpr:
		switch {
		case x.Metrics != nil:
			return "RootExpr (metrics)"
		case x.Scalar != nil:
			return "RootExpr (scalar pipeline comparison)"
		}
		return "RootExpr (search)"
	case *Pipeline:
		return fmt.Sprintf("Pipeline (%d stages)", len(x.Stages))
	case *SpansetFilter:
		if x.Expr == nil {
			return "SpansetFilter { } (matches every span)"
		}
		return "SpansetFilter"
	case *SpansetOp:
		return "SpansetOp " + x.Op.String()
	case *ScalarFilter:
		return "ScalarFilter " + x.Op.String()
	case *GroupOp:
		return "GroupOp by"
	case *CoalesceOp:
		return "CoalesceOp coalesce"
	case *SelectOp:
		return "SelectOp select"
	case *Aggregate:
		return "Aggregate " + x.Op.String()
	case *ScalarPipeline:
		return "ScalarPipeline"
	case *BinaryExpr:
		return "BinaryExpr " + x.Op.String()
	case *UnaryExpr:
		return "UnaryExpr " + x.Op.String()
	case *Attribute:
		scope := x.Scope.String()
		if scope == "" {
			scope = "unscoped"
		}
		if x.Parent {
			scope = "parent " + scope
		}
		return fmt.Sprintf("Attribute scope=%s name=%q", scope, x.Name)
	case *Intrinsic:
		info := x.Intrinsic.Info()
		return fmt.Sprintf("Intrinsic %s (%s)", x, info.Type)
	case *Static:
		return fmt.Sprintf("Static %s %s", staticValueType(x.Type), x)
	case *Hints:
		return "Hints"
	case *Hint:
		return "Hint " + x.Name
	case *MetricsPipeline:
		return "MetricsPipeline"
	case *MetricsFunc:
		s := "MetricsFunc " + x.Op.String()
		if len(x.Quantiles) > 0 {
			s += fmt.Sprintf(" quantiles=%v", x.Quantiles)
		}
		if x.Op == MetricsCompare && x.NArgs > 1 {
			s += fmt.Sprintf(" topN=%d", x.TopN)
			if x.NArgs == 4 {
				s += fmt.Sprintf(" start=%d end=%d", x.Start, x.End)
			}
		}
		if len(x.By) > 0 {
			s += fmt.Sprintf(" by=%d", len(x.By))
		}
		return s
	case *MetricsSecondStage:
		return "MetricsSecondStage"
	case *SecondStageOp:
		return "SecondStageOp " + x.String()
	}
	return fmt.Sprintf("%T", n)
}
