package blocks

// The parquet row types below mirror, field for field and in file order, the
// schema of data.parquet in a block written by Grafana Tempo in the
// vParquet4 format (see testdata and TestSchemaMatchesTempo). Column names,
// nesting, repetition, physical and logical types must not change: Tempo
// reads columns by path.

// pqTrace is one row of data.parquet: one trace.
type pqTrace struct {
	TraceID           []byte `parquet:""`
	TraceIDText       string `parquet:",snappy"`
	StartTimeUnixNano uint64 `parquet:",delta,uncompressed"`
	EndTimeUnixNano   uint64 `parquet:",delta,uncompressed"`
	DurationNano      uint64 `parquet:",delta,uncompressed"`
	RootServiceName   string `parquet:",dict,uncompressed"`
	RootSpanName      string `parquet:",dict,uncompressed"`
	ServiceStats      map[string]pqServiceStats
	ResourceSpans     []pqResourceSpans `parquet:"rs,list"`
}

// pqServiceStats is the value of the ServiceStats map.
type pqServiceStats struct {
	SpanCount  uint32 `parquet:",delta,uncompressed"`
	ErrorCount uint32 `parquet:",delta,uncompressed"`
}

// pqAttribute is one generic attribute. ValueType says which list holds the
// value (see attrType*); ValueDropped holds values the typed lists cannot
// represent, as OTLP JSON AnyValue.
type pqAttribute struct {
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

type pqResource struct {
	Attrs                  []pqAttribute `parquet:",list"`
	DroppedAttributesCount int32         `parquet:",snappy,delta"`
	ServiceName            string        `parquet:",snappy,dict"`
	Cluster                *string       `parquet:",snappy,optional,dict"`
	Namespace              *string       `parquet:",snappy,optional,dict"`
	Pod                    *string       `parquet:",snappy,optional,dict"`
	Container              *string       `parquet:",snappy,optional,dict"`
	K8sClusterName         *string       `parquet:",snappy,optional,dict"`
	K8sNamespaceName       *string       `parquet:",snappy,optional,dict"`
	K8sPodName             *string       `parquet:",snappy,optional,dict"`
	K8sContainerName       *string       `parquet:",snappy,optional,dict"`
	DedicatedAttributes    pqDedicated
}

type pqResourceSpans struct {
	Resource   pqResource
	ScopeSpans []pqScopeSpans `parquet:"ss,list"`
}

type pqScope struct {
	Name                   string        `parquet:",snappy,dict"`
	Version                string        `parquet:",snappy,dict"`
	Attrs                  []pqAttribute `parquet:",list"`
	DroppedAttributesCount int32         `parquet:",snappy,delta"`
}

type pqScopeSpans struct {
	Scope pqScope
	Spans []pqSpan `parquet:",list"`
}

type pqSpan struct {
	SpanID                 []byte        `parquet:""`
	ParentSpanID           []byte        `parquet:""`
	ParentID               int32         `parquet:",delta,uncompressed"`
	NestedSetLeft          int32         `parquet:",delta,uncompressed"`
	NestedSetRight         int32         `parquet:",delta,uncompressed"`
	Name                   string        `parquet:",snappy,dict"`
	Kind                   int64         `parquet:",delta,uncompressed"`
	TraceState             string        `parquet:",snappy"`
	StartTimeUnixNano      uint64        `parquet:",delta,uncompressed"`
	DurationNano           uint64        `parquet:",delta,uncompressed"`
	StatusCode             int64         `parquet:",delta,uncompressed"`
	StatusMessage          string        `parquet:",snappy"`
	Attrs                  []pqAttribute `parquet:",list"`
	DroppedAttributesCount int32         `parquet:",snappy,delta"`
	Events                 []pqEvent     `parquet:",list"`
	DroppedEventsCount     int32         `parquet:",snappy"`
	Links                  []pqLink      `parquet:",list"`
	DroppedLinksCount      int32         `parquet:",snappy"`
	HttpMethod             *string       `parquet:",snappy,optional,dict"`
	HttpUrl                *string       `parquet:",snappy,optional,dict"`
	HttpStatusCode         *int64        `parquet:",snappy,optional"`
	DedicatedAttributes    pqDedicated
}

type pqEvent struct {
	TimeSinceStartNano     uint64        `parquet:",delta,uncompressed"`
	Name                   string        `parquet:",snappy,dict"`
	Attrs                  []pqAttribute `parquet:",list"`
	DroppedAttributesCount int32         `parquet:",snappy,delta"`
}

type pqLink struct {
	TraceID                []byte        `parquet:""`
	SpanID                 []byte        `parquet:""`
	TraceState             string        `parquet:",snappy"`
	Attrs                  []pqAttribute `parquet:",list"`
	DroppedAttributesCount int32         `parquet:",snappy,delta"`
}
