package eval

import (
	"testing"

	"github.com/tracectl/tracectl/traceql"
)

// TestImplementationTables fails when traceql's signature tables and the
// evaluator's implementations disagree (style rule 8).
func TestImplementationTables(t *testing.T) {
	for name, f := range traceql.Functions {
		switch f.Kind {
		case traceql.FunctionAggregate:
			if _, ok := aggregateImpls[name]; !ok {
				t.Errorf("aggregate %s is declared but not implemented", name)
			}
		case traceql.FunctionStage:
			if _, ok := stageImpls[name]; !ok {
				t.Errorf("stage %s is declared but not implemented", name)
			}
		case traceql.FunctionMetrics, traceql.FunctionSecondStage:
			if !metricsFunctions[name] {
				t.Errorf("metrics function %s is declared but not routed to the metrics error", name)
			}
		}
	}
	for name, op := range aggregateImpls {
		f := traceql.Functions[name]
		if f == nil || f.Kind != traceql.FunctionAggregate {
			t.Errorf("aggregate %s is implemented but not declared", name)
		}
		if op.String() != name {
			t.Errorf("aggregate %s maps to %s", name, op)
		}
	}
	for name := range stageImpls {
		if f := traceql.Functions[name]; f == nil || f.Kind != traceql.FunctionStage {
			t.Errorf("stage %s is implemented but not declared", name)
		}
	}
	for name := range metricsFunctions {
		if f := traceql.Functions[name]; f == nil || (f.Kind != traceql.FunctionMetrics && f.Kind != traceql.FunctionSecondStage) {
			t.Errorf("metrics function %s is listed but not declared", name)
		}
	}
	declared := map[traceql.IntrinsicField]bool{}
	for _, in := range traceql.Intrinsics {
		declared[in.Field] = true
		_, impl := intrinsicImpls[in.Field]
		_, skipped := unimplementedIntrinsics[in.Field]
		if impl == skipped {
			t.Errorf("intrinsic %s:%s/%s: implemented=%v, listed as unimplemented=%v", in.Scope, in.Local, in.Legacy, impl, skipped)
		}
	}
	for f := range intrinsicImpls {
		if !declared[f] {
			t.Errorf("intrinsic %d is implemented but not declared", f)
		}
	}
}
