package blocks

// data.parquet exists in two layouts that differ only in the generic
// attribute group (and in whether ServiceStats is optional):
//
//   - documented: the vParquet4 schema of Tempo's documentation
//     (docs/sources/tempo/operations/schema.md, "vParquet4 block schema
//     example"), which Tempo 2.5+ writes and reads. Attributes are
//     Key, IsArray, Value, ValueInt, ValueDouble, ValueBool,
//     ValueUnsupported. tracectl writes this layout (pqTrace); see
//     testdata/vparquet4-documented.schema and TestWrittenSchemaIsDocumented.
//   - legacy: the layout of the block in Tempo's own test data (an older
//     vParquet4 revision). Attributes are Key, ValueType, Value, ValueInt,
//     ValueDouble, ValueBool, ValueDropped. tracectl only reads it
//     (pqLegacyTrace); see TestTempoBlockSchemaIsLegacy.
//
// Everything below the trace level is shared: the nested types take the
// attribute type as a parameter. Column names, nesting, repetition,
// physical and logical types must not change: Tempo reads columns by path.

// pqTrace is one row of data.parquet in the documented layout: one trace.
type pqTrace struct {
	TraceID           []byte                    `parquet:""`
	TraceIDText       string                    `parquet:",snappy"`
	StartTimeUnixNano uint64                    `parquet:",delta,uncompressed"`
	EndTimeUnixNano   uint64                    `parquet:",delta,uncompressed"`
	DurationNano      uint64                    `parquet:",delta,uncompressed"`
	RootServiceName   string                    `parquet:",dict,uncompressed"`
	RootSpanName      string                    `parquet:",dict,uncompressed"`
	ServiceStats      map[string]pqServiceStats `parquet:",optional"`
	ResourceSpans     []pqResourceSpans         `parquet:"rs,list"`
}

// pqLegacyTrace is one row of data.parquet in the legacy layout (Tempo's
// test block): ServiceStats is required and attributes are pqLegacyAttribute.
type pqLegacyTrace struct {
	TraceID           []byte `parquet:""`
	TraceIDText       string `parquet:",snappy"`
	StartTimeUnixNano uint64 `parquet:",delta,uncompressed"`
	EndTimeUnixNano   uint64 `parquet:",delta,uncompressed"`
	DurationNano      uint64 `parquet:",delta,uncompressed"`
	RootServiceName   string `parquet:",dict,uncompressed"`
	RootSpanName      string `parquet:",dict,uncompressed"`
	ServiceStats      map[string]pqServiceStats
	ResourceSpans     []pqResourceSpansOf[pqLegacyAttribute] `parquet:"rs,list"`
}

// pqServiceStats is the value of the ServiceStats map.
type pqServiceStats struct {
	SpanCount  uint32 `parquet:",delta,uncompressed"`
	ErrorCount uint32 `parquet:",delta,uncompressed"`
}

// pqAttribute is one generic attribute in the documented layout. A scalar
// string, int, double or bool is the single element of its typed list with
// IsArray false; an array of one scalar type is that list with IsArray
// true (an empty array: IsArray true, every list empty). Anything else
// (bytes, key/value lists, mixed or nested arrays, empty values) is OTLP
// JSON AnyValue in ValueUnsupported with every list empty.
type pqAttribute struct {
	Key              string    `parquet:",snappy,dict"`
	IsArray          bool      `parquet:",snappy"`
	Value            []string  `parquet:",snappy,dict,list"`
	ValueInt         []int64   `parquet:",snappy,list"`
	ValueDouble      []float64 `parquet:",snappy,list"`
	ValueBool        []bool    `parquet:",snappy,list"`
	ValueUnsupported *string   `parquet:",snappy,optional"`
}

// pqLegacyAttribute is one generic attribute in the legacy layout.
// ValueType says which list holds the value (see legacyAttr*);
// ValueDropped holds values the typed lists cannot represent, as OTLP JSON
// AnyValue.
type pqLegacyAttribute struct {
	Key          string    `parquet:",snappy,dict"`
	ValueType    int32     `parquet:",snappy,delta"`
	Value        []string  `parquet:",snappy,dict,list"`
	ValueInt     []int64   `parquet:",snappy,list"`
	ValueDouble  []float64 `parquet:",snappy,list"`
	ValueBool    []bool    `parquet:",snappy,list"`
	ValueDropped *string   `parquet:",snappy,optional"`
}

// pqDedicated holds the spare string columns assigned by meta.dedicatedColumns.
type pqDedicated struct {
	String01 *string `parquet:",snappy,optional,dict"`
	String02 *string `parquet:",snappy,optional,dict"`
	String03 *string `parquet:",snappy,optional,dict"`
	String04 *string `parquet:",snappy,optional,dict"`
	String05 *string `parquet:",snappy,optional,dict"`
	String06 *string `parquet:",snappy,optional,dict"`
	String07 *string `parquet:",snappy,optional,dict"`
	String08 *string `parquet:",snappy,optional,dict"`
	String09 *string `parquet:",snappy,optional,dict"`
	String10 *string `parquet:",snappy,optional,dict"`
}

// slot returns the address of the n-th (0-based) spare column.
func (d *pqDedicated) slot(n int) **string {
	switch n {
	case 0:
		return &d.String01
	case 1:
		return &d.String02
	case 2:
		return &d.String03
	case 3:
		return &d.String04
	case 4:
		return &d.String05
	case 5:
		return &d.String06
	case 6:
		return &d.String07
	case 7:
		return &d.String08
	case 8:
		return &d.String09
	case 9:
		return &d.String10
	}
	return nil
}

const maxDedicated = 10

// Documented-layout names of the nested types (the writer's and the
// decoder's); the legacy reader instantiates them with pqLegacyAttribute.
type (
	pqResourceSpans = pqResourceSpansOf[pqAttribute]
	pqResource      = pqResourceOf[pqAttribute]
	pqScopeSpans    = pqScopeSpansOf[pqAttribute]
	pqScope         = pqScopeOf[pqAttribute]
	pqSpan          = pqSpanOf[pqAttribute]
	pqEvent         = pqEventOf[pqAttribute]
	pqLink          = pqLinkOf[pqAttribute]
)

type pqResourceOf[A any] struct {
	Attrs                  []A     `parquet:",list"`
	DroppedAttributesCount int32   `parquet:",snappy,delta"`
	ServiceName            string  `parquet:",snappy,dict"`
	Cluster                *string `parquet:",snappy,optional,dict"`
	Namespace              *string `parquet:",snappy,optional,dict"`
	Pod                    *string `parquet:",snappy,optional,dict"`
	Container              *string `parquet:",snappy,optional,dict"`
	K8sClusterName         *string `parquet:",snappy,optional,dict"`
	K8sNamespaceName       *string `parquet:",snappy,optional,dict"`
	K8sPodName             *string `parquet:",snappy,optional,dict"`
	K8sContainerName       *string `parquet:",snappy,optional,dict"`
	DedicatedAttributes    pqDedicated
}

type pqResourceSpansOf[A any] struct {
	Resource   pqResourceOf[A]
	ScopeSpans []pqScopeSpansOf[A] `parquet:"ss,list"`
}

type pqScopeOf[A any] struct {
	Name                   string `parquet:",snappy,dict"`
	Version                string `parquet:",snappy,dict"`
	Attrs                  []A    `parquet:",list"`
	DroppedAttributesCount int32  `parquet:",snappy,delta"`
}

type pqScopeSpansOf[A any] struct {
	Scope pqScopeOf[A]
	Spans []pqSpanOf[A] `parquet:",list"`
}

type pqSpanOf[A any] struct {
	SpanID                 []byte         `parquet:""`
	ParentSpanID           []byte         `parquet:""`
	ParentID               int32          `parquet:",delta,uncompressed"`
	NestedSetLeft          int32          `parquet:",delta,uncompressed"`
	NestedSetRight         int32          `parquet:",delta,uncompressed"`
	Name                   string         `parquet:",snappy,dict"`
	Kind                   int64          `parquet:",delta,uncompressed"`
	TraceState             string         `parquet:",snappy"`
	StartTimeUnixNano      uint64         `parquet:",delta,uncompressed"`
	DurationNano           uint64         `parquet:",delta,uncompressed"`
	StatusCode             int64          `parquet:",delta,uncompressed"`
	StatusMessage          string         `parquet:",snappy"`
	Attrs                  []A            `parquet:",list"`
	DroppedAttributesCount int32          `parquet:",snappy,delta"`
	Events                 []pqEventOf[A] `parquet:",list"`
	DroppedEventsCount     int32          `parquet:",snappy"`
	Links                  []pqLinkOf[A]  `parquet:",list"`
	DroppedLinksCount      int32          `parquet:",snappy"`
	HttpMethod             *string        `parquet:",snappy,optional,dict"`
	HttpUrl                *string        `parquet:",snappy,optional,dict"`
	HttpStatusCode         *int64         `parquet:",snappy,optional"`
	DedicatedAttributes    pqDedicated
}

type pqEventOf[A any] struct {
	TimeSinceStartNano     uint64 `parquet:",delta,uncompressed"`
	Name                   string `parquet:",snappy,dict"`
	Attrs                  []A    `parquet:",list"`
	DroppedAttributesCount int32  `parquet:",snappy,delta"`
}

type pqLinkOf[A any] struct {
	TraceID                []byte `parquet:""`
	SpanID                 []byte `parquet:""`
	TraceState             string `parquet:",snappy"`
	Attrs                  []A    `parquet:",list"`
	DroppedAttributesCount int32  `parquet:",snappy,delta"`
}
