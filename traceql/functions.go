package traceql

// This file is the signature table shared with the evaluator: every intrinsic,
// pipeline function and metrics function with its argument and result types.
// The evaluator implements the same names; a test there keeps the two equal.

// ValueType is a static value type used in signatures and validation.
type ValueType int

// Value types.
const (
	ValueUnknown  ValueType = iota // attribute: known only at run time
	ValueInt                       // int64
	ValueFloat                     // float64
	ValueNumeric                   // int, float or duration, not known which
	ValueDuration                  // int64 nanoseconds
	ValueString
	ValueBool
	ValueStatus
	ValueKind
	ValueNil
	ValueSpanset    // a spanset (pipeline stage input/output)
	ValueSeries     // a metrics time series set
	ValueAttribute  // argument must be an attribute or intrinsic reference
	ValueFieldExpr  // argument is any field expression referencing the span
	ValueSpanFilter // argument is a `{ ... }` spanset filter
)

var valueTypeText = [...]string{
	"attribute value", "int", "float", "number", "duration", "string", "bool", "status", "kind", "nil",
	"spanset", "series", "attribute", "field expression", "spanset filter",
}

func (t ValueType) String() string { return valueTypeText[t] }

func (t ValueType) isNumeric() bool {
	return t == ValueInt || t == ValueFloat || t == ValueDuration || t == ValueNumeric
}

// IntrinsicField is a built-in span or trace field.
type IntrinsicField int

// Intrinsic fields.
const (
	IntrinsicNone IntrinsicField = iota
	IntrinsicName
	IntrinsicStatus
	IntrinsicStatusMessage
	IntrinsicKind
	IntrinsicDuration
	IntrinsicSpanID
	IntrinsicParentID
	IntrinsicChildCount
	IntrinsicTraceID
	IntrinsicTraceDuration
	IntrinsicTraceRootName
	IntrinsicTraceRootService
	IntrinsicEventName
	IntrinsicEventTimeSinceStart
	IntrinsicLinkTraceID
	IntrinsicLinkSpanID
	IntrinsicInstrumentationName
	IntrinsicInstrumentationVersion
	IntrinsicNestedSetLeft
	IntrinsicNestedSetRight
	IntrinsicNestedSetParent
	IntrinsicParent
)

// IntrinsicInfo describes one intrinsic: its scoped spelling, its legacy
// unscoped spelling (empty if none) and its type.
type IntrinsicInfo struct {
	Field  IntrinsicField
	Scope  IntrinsicScope // scope of the scoped spelling; IntrinsicScopeNone if legacy-only
	Local  string         // name after the colon
	Legacy string         // unscoped keyword, "" if none
	Type   ValueType
}

// Intrinsics is the table of every intrinsic the language knows.
var Intrinsics = []IntrinsicInfo{
	{IntrinsicName, IntrinsicScopeSpan, "name", "name", ValueString},
	{IntrinsicStatus, IntrinsicScopeSpan, "status", "status", ValueStatus},
	{IntrinsicStatusMessage, IntrinsicScopeSpan, "statusMessage", "statusMessage", ValueString},
	{IntrinsicKind, IntrinsicScopeSpan, "kind", "kind", ValueKind},
	{IntrinsicDuration, IntrinsicScopeSpan, "duration", "duration", ValueDuration},
	{IntrinsicSpanID, IntrinsicScopeSpan, "id", "", ValueString},
	{IntrinsicParentID, IntrinsicScopeSpan, "parentID", "", ValueString},
	{IntrinsicChildCount, IntrinsicScopeSpan, "childCount", "", ValueInt},
	{IntrinsicTraceID, IntrinsicScopeTrace, "id", "", ValueString},
	{IntrinsicTraceDuration, IntrinsicScopeTrace, "duration", "traceDuration", ValueDuration},
	{IntrinsicTraceRootName, IntrinsicScopeTrace, "rootName", "rootName", ValueString},
	{IntrinsicTraceRootService, IntrinsicScopeTrace, "rootService", "rootServiceName", ValueString},
	{IntrinsicEventName, IntrinsicScopeEvent, "name", "", ValueString},
	{IntrinsicEventTimeSinceStart, IntrinsicScopeEvent, "timeSinceStart", "", ValueDuration},
	{IntrinsicLinkTraceID, IntrinsicScopeLink, "traceID", "", ValueString},
	{IntrinsicLinkSpanID, IntrinsicScopeLink, "spanID", "", ValueString},
	{IntrinsicInstrumentationName, IntrinsicScopeInstrumentation, "name", "", ValueString},
	{IntrinsicInstrumentationVersion, IntrinsicScopeInstrumentation, "version", "", ValueString},
	{IntrinsicNestedSetLeft, IntrinsicScopeNone, "", "nestedSetLeft", ValueInt},
	{IntrinsicNestedSetRight, IntrinsicScopeNone, "", "nestedSetRight", ValueInt},
	{IntrinsicNestedSetParent, IntrinsicScopeNone, "", "nestedSetParent", ValueInt},
	{IntrinsicParent, IntrinsicScopeNone, "", "parent", ValueUnknown},
}

var (
	intrinsicByField  = map[IntrinsicField]*IntrinsicInfo{}
	intrinsicByScoped = map[string]*IntrinsicInfo{} // "span:name"
	intrinsicByLegacy = map[string]*IntrinsicInfo{} // "name"
)

func init() {
	for i := range Intrinsics {
		in := &Intrinsics[i]
		intrinsicByField[in.Field] = in
		if in.Local != "" {
			intrinsicByScoped[in.Scope.String()+":"+in.Local] = in
		}
		if in.Legacy != "" {
			intrinsicByLegacy[in.Legacy] = in
		}
	}
}

// Info returns the table entry of f.
func (f IntrinsicField) Info() *IntrinsicInfo { return intrinsicByField[f] }

// FunctionKind says where a function may appear.
type FunctionKind int

// Function kinds.
const (
	FunctionAggregate   FunctionKind = iota // pipeline aggregate: count() avg() ...
	FunctionStage                           // pipeline stage: by() coalesce() select()
	FunctionMetrics                         // first-stage metrics function: rate() ...
	FunctionSecondStage                     // metrics second stage: topk() bottomk()
)

// Function is the signature of a TraceQL function.
type Function struct {
	Name string
	Kind FunctionKind
	// ArgTypes lists the positional arguments; Variadic repeats the last one
	// (at least once). MinArgs is the number of required arguments.
	ArgTypes   []ValueType
	MinArgs    int
	Variadic   bool
	ReturnType ValueType
	// MaxBy is the longest `by (...)` list a metrics function accepts.
	MaxBy int
}

// Functions is the signature table, keyed by name.
var Functions = map[string]*Function{
	"count": {Name: "count", Kind: FunctionAggregate, ReturnType: ValueInt},
	"avg":   {Name: "avg", Kind: FunctionAggregate, ArgTypes: []ValueType{ValueFieldExpr}, MinArgs: 1, ReturnType: ValueNumeric},
	"min":   {Name: "min", Kind: FunctionAggregate, ArgTypes: []ValueType{ValueFieldExpr}, MinArgs: 1, ReturnType: ValueNumeric},
	"max":   {Name: "max", Kind: FunctionAggregate, ArgTypes: []ValueType{ValueFieldExpr}, MinArgs: 1, ReturnType: ValueNumeric},
	"sum":   {Name: "sum", Kind: FunctionAggregate, ArgTypes: []ValueType{ValueFieldExpr}, MinArgs: 1, ReturnType: ValueNumeric},

	"by":       {Name: "by", Kind: FunctionStage, ArgTypes: []ValueType{ValueFieldExpr}, MinArgs: 1, ReturnType: ValueSpanset},
	"coalesce": {Name: "coalesce", Kind: FunctionStage, ReturnType: ValueSpanset},
	"select":   {Name: "select", Kind: FunctionStage, ArgTypes: []ValueType{ValueAttribute}, MinArgs: 1, Variadic: true, ReturnType: ValueSpanset},

	"rate":                {Name: "rate", Kind: FunctionMetrics, ReturnType: ValueSeries, MaxBy: 5},
	"count_over_time":     {Name: "count_over_time", Kind: FunctionMetrics, ReturnType: ValueSeries, MaxBy: 5},
	"min_over_time":       {Name: "min_over_time", Kind: FunctionMetrics, ArgTypes: []ValueType{ValueAttribute}, MinArgs: 1, ReturnType: ValueSeries, MaxBy: 5},
	"max_over_time":       {Name: "max_over_time", Kind: FunctionMetrics, ArgTypes: []ValueType{ValueAttribute}, MinArgs: 1, ReturnType: ValueSeries, MaxBy: 5},
	"sum_over_time":       {Name: "sum_over_time", Kind: FunctionMetrics, ArgTypes: []ValueType{ValueAttribute}, MinArgs: 1, ReturnType: ValueSeries, MaxBy: 5},
	"avg_over_time":       {Name: "avg_over_time", Kind: FunctionMetrics, ArgTypes: []ValueType{ValueAttribute}, MinArgs: 1, ReturnType: ValueSeries, MaxBy: 5},
	"quantile_over_time":  {Name: "quantile_over_time", Kind: FunctionMetrics, ArgTypes: []ValueType{ValueAttribute, ValueFloat}, MinArgs: 2, Variadic: true, ReturnType: ValueSeries, MaxBy: 4},
	"histogram_over_time": {Name: "histogram_over_time", Kind: FunctionMetrics, ArgTypes: []ValueType{ValueAttribute}, MinArgs: 1, ReturnType: ValueSeries, MaxBy: 4},
	"compare":             {Name: "compare", Kind: FunctionMetrics, ArgTypes: []ValueType{ValueSpanFilter, ValueInt, ValueInt, ValueInt}, MinArgs: 1, ReturnType: ValueSeries},

	"topk":    {Name: "topk", Kind: FunctionSecondStage, ArgTypes: []ValueType{ValueInt}, MinArgs: 1, ReturnType: ValueSeries},
	"bottomk": {Name: "bottomk", Kind: FunctionSecondStage, ArgTypes: []ValueType{ValueInt}, MinArgs: 1, ReturnType: ValueSeries},
}

// Hint names Tempo defines, with the value type each is read as. Hints are
// looked up by type at run time; unknown names and wrong types are ignored.
var KnownHints = map[string]ValueType{
	"sample": ValueUnknown, "span_sample": ValueFloat, "trace_sample": ValueFloat,
	"exemplars": ValueBool, "most_recent": ValueBool, "extrapolate": ValueBool,
	"job_size": ValueInt, "time_overlap_cutoff": ValueFloat, "concurrent_blocks": ValueInt,
	"debug": ValueBool, "info": ValueBool, "debug_return_in": ValueDuration, "debug_std_dev": ValueFloat,
	"debug_data_factor": ValueFloat, "skip_ast_transformations": ValueString, "spanonly_fetch": ValueBool,
}
