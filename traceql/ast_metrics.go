package traceql

// MetricsFuncOp names a metrics function.
type MetricsFuncOp int

// Metrics functions.
const (
	MetricsRate MetricsFuncOp = iota
	MetricsCountOverTime
	MetricsMinOverTime
	MetricsMaxOverTime
	MetricsSumOverTime
	MetricsAvgOverTime
	MetricsQuantileOverTime
	MetricsHistogramOverTime
	MetricsCompare
)

var metricsFuncText = [...]string{
	"rate", "count_over_time", "min_over_time", "max_over_time", "sum_over_time", "avg_over_time",
	"quantile_over_time", "histogram_over_time", "compare",
}

func (m MetricsFuncOp) String() string { return metricsFuncText[m] }

// MetricsFunc is a metrics function call with its `by (...)` list.
type MetricsFunc struct {
	Op MetricsFuncOp
	// Attr is the measured attribute or intrinsic (nil for rate, count_over_time, compare).
	Attr Expr
	// Quantiles of quantile_over_time, each in [0,1].
	Quantiles []float64
	// Filter, TopN, Start and End are compare()'s arguments; NArgs records how
	// many were written (1, 2 or 4) so printing is faithful.
	Filter     *SpansetFilter
	NArgs      int
	TopN       int64
	Start, End int64
	By         []Expr // attributes or intrinsics
	PosRange
}

// MetricsPipeline is `pipeline | metricsFunc`.
type MetricsPipeline struct {
	Pipeline *Pipeline
	Func     *MetricsFunc
	PosRange
}

// MetricsSecondStage applies `topk(k)`, `bottomk(k)` and value filters to a
// metrics expression, left to right.
type MetricsSecondStage struct {
	Expr Expr // *MetricsPipeline or a metrics BinaryExpr
	Ops  []*SecondStageOp
	PosRange
}

// SecondStageKind is the kind of a second-stage element.
type SecondStageKind int

// Second-stage kinds.
const (
	SecondStageTopK SecondStageKind = iota
	SecondStageBottomK
	SecondStageFilter
)

// SecondStageOp is `topk(K)`, `bottomk(K)` or a filter `Op Value`.
type SecondStageOp struct {
	Kind  SecondStageKind
	K     int64
	Op    Operator // filters only
	Value Expr     // filters only: numeric constant expression
	PosRange
}

func (*MetricsPipeline) expr()    {}
func (*MetricsSecondStage) expr() {}
func (*MetricsFunc) expr()        {}
func (*SecondStageOp) expr()      {}
