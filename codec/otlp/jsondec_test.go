package otlp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracectl/tracectl/codec/internal/codectest"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/intern"
	"github.com/tracectl/tracectl/model"
)

// jsonChunkResult is how the direct JSON decoder fared on a chunk next
// to the reference, pdata on the chunk's request and FromPdata.
type jsonChunkResult struct {
	declined bool   // the direct decoder declined
	pdataOK  bool   // pdata read the chunk
	diff     string // how they disagree; "" if they agree or it declined
}

// diffJSONChunk decodes c with the direct decoder, twice with the same
// decoder to catch state left over from the first pass, and with pdata.
// Where the decoder does not decline, pdata must read the chunk and
// FromPdata give the same model.
func diffJSONChunk(c *chunk) jsonChunkResult {
	spans := make([][]byte, len(c.spans))
	for i := range c.spans {
		spans[i] = c.spans[i].raw
	}
	var res jsonChunkResult
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(chunkRequest(c, spans))
	var want []model.ResourceSpans
	if err == nil {
		want = FromPdata(td)
		res.pdataOK = true
	}
	d := newJSONDecoder()
	for pass := range 2 {
		rs, ok := d.chunk(c)
		switch {
		case !ok:
			res.declined = true
			if pass == 1 {
				res.diff = "declined on the second pass only"
			}
			return res
		case !res.pdataOK:
			res.diff = fmt.Sprintf("pass %d: accepted what pdata refuses (%v)", pass, err)
			return res
		case reflect.DeepEqual(want, []model.ResourceSpans{rs}):
		default:
			if diff := cmp.Diff(want, []model.ResourceSpans{rs}, cmp.Comparer(strictValue)); diff != "" {
				res.diff = fmt.Sprintf("pass %d: decoded differently (-pdata +direct):\n%s", pass, diff)
				return res
			}
		}
	}
	return res
}

// testChunk is a chunk of the given spans under the given resource and
// scope members (JSON values; "" leaves a member out).
func testChunk(resource, scope string, spans ...string) *chunk {
	c := &chunk{rs: &rsState{}, ss: &ssState{}}
	if resource != "" {
		c.rs.members = append(c.rs.members, member{name: "resource", json: []byte(resource)})
	}
	if scope != "" {
		c.ss.members = append(c.ss.members, member{name: "scope", json: []byte(scope)})
	}
	for _, s := range spans {
		c.spans = append(c.spans, leaf{raw: json.RawMessage(s)})
	}
	return c
}

// requestChunks cuts OTLP/JSON requests (one or a stream, current or
// legacy key names) into chunks as the streamer would: the spans of each
// scope, chunkSpans at a time, under its resource's and scope's members.
// The members are taken as written, not normalised. It returns nil for
// input that is not such requests.
func requestChunks(data []byte) []*chunk {
	var out []*chunk
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		var req map[string]json.RawMessage
		if err := dec.Decode(&req); err == io.EOF {
			return out
		} else if err != nil {
			return nil
		}
		for _, rsRaw := range elements(req, mRequest, "resourceSpans") {
			rs := &rsState{}
			rsObj := object(rsRaw)
			rs.members = members(rsObj, mResourceSpans, "resource", "schemaUrl")
			for _, ssRaw := range elements(rsObj, mResourceSpans, "scopeSpans") {
				ssObj := object(ssRaw)
				ss := &ssState{rs: rs, members: members(ssObj, mScopeSpans, "scope", "schemaUrl")}
				spans := elements(ssObj, mScopeSpans, "spans")
				for len(spans) > 0 {
					c := &chunk{rs: rs, ss: ss}
					for _, sp := range spans[:min(len(spans), chunkSpans)] {
						c.spans = append(c.spans, leaf{raw: sp})
					}
					spans = spans[len(c.spans):]
					out = append(out, c)
				}
			}
		}
	}
}

// object reads a JSON object's members; nil if raw is not an object.
func object(raw json.RawMessage) map[string]json.RawMessage {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return nil
	}
	return obj
}

// elements reads the array under the member of obj that fieldOf names
// name; nil if there is none or it is not an array.
func elements(obj map[string]json.RawMessage, m msg, name string) []json.RawMessage {
	for key, raw := range obj {
		if n, _, _ := fieldOf(m, key); n == name {
			var arr []json.RawMessage
			if json.Unmarshal(raw, &arr) == nil {
				return arr
			}
		}
	}
	return nil
}

// members returns the members of obj that fieldOf names one of names,
// in the order of names.
func members(obj map[string]json.RawMessage, m msg, names ...string) []member {
	var out []member
	for _, name := range names {
		for key, raw := range obj {
			if n, _, _ := fieldOf(m, key); n == name {
				out = append(out, member{name: name, json: raw})
			}
		}
	}
	return out
}

// checkJSONChunks compares the direct decoder with pdata on every chunk
// of data, which must decline only the chunks pdata refuses or whose
// spans are not valid UTF-8. It returns how many chunks there were and
// how many it declined.
func checkJSONChunks(tb testing.TB, name string, data []byte) (chunks, declined int) {
	tb.Helper()
	for i, c := range requestChunks(data) {
		res := diffJSONChunk(c)
		if res.diff != "" {
			tb.Fatalf("%s: chunk %d: %s", name, i, res.diff)
		}
		if res.declined {
			declined++
			if res.pdataOK && validSpans(c) {
				tb.Errorf("%s: chunk %d: declined a chunk pdata reads", name, i)
			}
		}
		chunks++
	}
	return chunks, declined
}

func validSpans(c *chunk) bool {
	for _, l := range c.spans {
		if !json.Valid(l.raw) || !bytes.Equal(bytes.ToValidUTF8(l.raw, nil), l.raw) {
			return false
		}
	}
	return true
}

// TestDecodeJSONChunksMatchPdata: on every JSON fixture, the direct
// decoder gives what pdata and FromPdata give, and declines only what
// pdata refuses (base64 IDs, in Tempo's files).
func TestDecodeJSONChunksMatchPdata(t *testing.T) {
	root := fixtures.Root(t)
	total, declined, files := 0, 0, 0
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		n, d := checkJSONChunks(t, rel, data)
		total, declined = total+n, declined+d
		if n > 0 {
			files++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total < 30 {
		t.Fatalf("only %d chunks in %d files", total, files)
	}
	t.Logf("%d chunks in %d files, %d declined", total, files, declined)
}

const (
	edgeTraceID = `"0102030405060708090a0b0c0d0e0f10"`
	edgeSpan    = `"traceId":` + edgeTraceID + `,"spanId":"0102030405060708"`
)

// attrSpan is a span with one attribute whose value is v.
func attrSpan(v string) string {
	return `{` + edgeSpan + `,"attributes":[{"key":"k","value":` + v + `}]}`
}

type jsonEdgeCase struct {
	name     string
	c        *chunk
	declined bool // the direct decoder declines it
}

// jsonEdgeCases are unusual spans, resources and scopes, and whether
// the direct decoder declines them (pdata refuses them, or they are not
// valid UTF-8, or pdata would read past the span).
func jsonEdgeCases() []jsonEdgeCase {
	span := func(name, fields string, declined bool) jsonEdgeCase {
		return jsonEdgeCase{name, testChunk("", "", `{`+edgeSpan+fields+`}`), declined}
	}
	attr := func(name, v string, declined bool) jsonEdgeCase {
		return jsonEdgeCase{name, testChunk("", "", attrSpan(v)), declined}
	}
	return []jsonEdgeCase{
		span("plain", `,"name":"op"`, false),
		span("every field", `,"parentSpanId":"1112131415161718","traceState":"a=b","flags":257,"name":"op","kind":3,`+
			`"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":1700000000000000001,"droppedAttributesCount":1,`+
			`"events":[{"timeUnixNano":"5","name":"ev","attributes":[{"key":"a","value":{"intValue":1}}],"droppedAttributesCount":2}],"droppedEventsCount":3,`+
			`"links":[{"traceId":`+edgeTraceID+`,"spanId":"0807060504030201","traceState":"x","flags":1,"attributes":[{"key":"l","value":{"boolValue":true}}],"droppedAttributesCount":4}],"droppedLinksCount":5,`+
			`"status":{"code":2,"message":"boom"}`, false),
		span("snake_case keys", `,"parent_span_id":"1112131415161718","trace_state":"a=b","start_time_unix_nano":"1","end_time_unix_nano":"2",`+
			`"dropped_attributes_count":1,"dropped_events_count":2,"dropped_links_count":3,"events":[{"time_unix_nano":7,"dropped_attributes_count":1}],`+
			`"links":[{"trace_id":`+edgeTraceID+`,"span_id":"0807060504030201","trace_state":"t","dropped_attributes_count":9}]`, false),
		{"snake_case IDs", testChunk("", "", `{"trace_id":`+edgeTraceID+`,"span_id":"0102030405060708"}`), false},
		span("unknown keys", `,"x":{"a":[1,{"b":null}],"c":"\u0000"},"y":[true,false,null],"z":-1.5e3,"w":null,"droppedattributescount":5,"TraceId":"zz"`, false),
		span("empty objects", `,"status":{},"events":[{}],"links":[{}],"attributes":[{}]`, false),
		span("nulls", `,"name":null,"traceState":null,"status":null,"events":null,"links":null,"attributes":null`, false),
		span("null elements", `,"events":[null],"links":[null],"attributes":[null]`, false),
		span("null status code", `,"status":{"code":null}`, true),
		span("null kind", `,"kind":null`, true),
		span("null time", `,"startTimeUnixNano":null`, true),
		span("null count", `,"droppedAttributesCount":null`, true),
		span("null flags", `,"flags":null`, true),
		span("null trace ID", `,"traceId":null`, true),
		span("times as strings and numbers", `,"startTimeUnixNano":"18446744073709551615","endTimeUnixNano":9223372036854775807`, false),
		span("time past uint64", `,"startTimeUnixNano":18446744073709551616`, true),
		span("time string past uint64", `,"startTimeUnixNano":"18446744073709551616"`, true),
		span("negative time", `,"startTimeUnixNano":-1`, true),
		span("float time", `,"startTimeUnixNano":1.5`, true),
		span("float time, zero fraction", `,"startTimeUnixNano":1.0`, true),
		span("exponent time", `,"startTimeUnixNano":1e3`, true),
		span("time string with spaces", `,"startTimeUnixNano":" 1"`, true),
		span("unknown number past float32 starting with 0", `,"x":0.5e99`, true),
		span("unknown number past float32", `,"x":5e99,"y":-0.5e99,"z":[0.5]`, false),
		span("unknown big number", `,"x":123456789012345678901234567890`, false),
		span("time with leading zeros", `,"startTimeUnixNano":"0001","endTimeUnixNano":"00000000000000000000002"`, false),
		span("time upper-case exponent", `,"startTimeUnixNano":1E3`, true),
		span("time escaped", `,"startTimeUnixNano":"\u0031\u0032"`, false),
		span("kind name escaped", `,"kind":"SPAN_KIND_\u0053ERVER"`, false),
		span("count with plus", `,"droppedAttributesCount":"+1"`, true),
		span("kind number", `,"kind":5`, false),
		span("kind name", `,"kind":"SPAN_KIND_CONSUMER"`, false),
		span("kind name lower case", `,"kind":"span_kind_consumer"`, true),
		span("kind number as string", `,"kind":"2"`, true),
		span("kind out of range", `,"kind":7`, false),
		span("kind negative", `,"kind":-1`, false),
		span("kind past int32", `,"kind":2147483648`, true),
		span("kind float", `,"kind":2.5`, true),
		span("status names", `,"status":{"code":"STATUS_CODE_OK","message":"fine"}`, false),
		span("status code number out of range", `,"status":{"code":3}`, false),
		span("status code unknown name", `,"status":{"code":"ERROR"}`, true),
		span("status twice merges", `,"status":{"code":2,"message":"m"},"status":{"code":1}`, false),
		span("count past uint32", `,"droppedAttributesCount":4294967296`, true),
		span("count at uint32 max", `,"droppedEventsCount":4294967295,"droppedLinksCount":"4294967295"`, false),
		span("count wrapping in jsoniter", `,"droppedAttributesCount":8589934590`, false),
		span("count negative", `,"droppedAttributesCount":-1`, true),
		span("count negative string", `,"droppedAttributesCount":"-1"`, true),
		span("count as bool", `,"droppedAttributesCount":true`, true),
		span("flags string", `,"flags":"1"`, false),
		span("flags negative", `,"flags":-1`, true),
		span("name twice", `,"name":"a","name":"b"`, false),
		span("trace ID twice", `,"traceId":"ffffffffffffffffffffffffffffffff"`, false),
		span("empty trace ID after one", `,"traceId":""`, false),
		span("empty IDs", `,"spanId":"","parentSpanId":""`, false),
		{"empty trace ID", testChunk("", "", `{"traceId":"","spanId":"0102030405060708"}`), false},
		span("upper-case hex", `,"parentSpanId":"ABCDEF0123456789"`, false),
		span("base64 span ID", `,"spanId":"AQIDBAUGBwg="`, true),
		{"base64 trace ID", testChunk("", "", `{"traceId":"AQIDBAUGBwgJCgsMDQ4PEA==","spanId":"0102030405060708"}`), true},
		span("span ID too short", `,"spanId":"01020304050607"`, true),
		span("span ID too long", `,"spanId":"010203040506070809"`, true),
		span("span ID not hex", `,"spanId":"010203040506070g"`, true),
		span("escaped hex ID", `,"spanId":"\u0030102030405060708"`, true),
		span("span ID a number", `,"spanId":1`, true),
		span("link span ID too short", `,"links":[{"spanId":"01"}]`, true),
		span("attributes twice append", `,"attributes":[{"key":"a","value":{"intValue":1}}],"attributes":[{"key":"b","value":{"intValue":2}}]`, false),
		span("events and links twice append", `,"events":[{"name":"a"}],"links":[{"traceState":"a"}],"events":[{"name":"b"}],"links":[{"traceState":"b"}]`, false),
		span("duplicate attribute keys", `,"attributes":[{"key":"a","value":{"intValue":1}},{"key":"a","value":{"intValue":2}}]`, false),
		span("escaped strings", `,"name":"a\"b\\c\/d\n\t\r\b\f\u00e9\u20ac\ud83d\ude00","traceState":"\u0000"`, false),
		span("escaped key", `,"n\u0061me":"op","\u0074raceState":"x"`, false),
		span("lone high surrogate", `,"name":"\ud800"`, false),
		span("lone high surrogate then escape", `,"name":"\ud800\n"`, false),
		span("high surrogate then letter escape", `,"name":"\ud800\u0041"`, false),
		span("lone low surrogate", `,"name":"\udc00x"`, false),
		span("two high surrogates", `,"name":"\ud800\ud800"`, false),
		span("non-ASCII", `,"name":"héllo wörld 日本"`, false),
		span("invalid UTF-8", ",\"name\":\"a\xffb\"", true),
		span("invalid UTF-8 in an unknown key", ",\"x\xff\":1", true),
		span("empty key", `,"":1`, true),
		span("empty key in an attribute", `,"attributes":[{"":1,"key":"a"}]`, true),
		span("empty key in an unknown object", `,"x":{"":1}`, false),
		span("whitespace", " , \"name\" : \"op\" \n\t,\r\"kind\" : 1 ", false),
		{"null", testChunk("", "", `null`), false},
		{"a number", testChunk("", "", `1`), true},
		{"an array", testChunk("", "", `[]`), true},
		{"empty span", testChunk("", "", `{}`), false},
		{"several spans", testChunk("", "", `{`+edgeSpan+`,"name":"a"}`, `{"traceId":"","name":"b"}`, `{`+edgeSpan+`,"kind":"SPAN_KIND_SERVER"}`), false},
		{"one bad span of several", testChunk("", "", `{`+edgeSpan+`}`, `{`+edgeSpan+`,"kind":"x"}`), true},
		attr("string", `{"stringValue":"s"}`, false),
		attr("empty string", `{"stringValue":""}`, false),
		attr("null string", `{"stringValue":null}`, false),
		attr("string as number", `{"stringValue":1}`, true),
		attr("bool", `{"boolValue":true}`, false),
		attr("bool false", `{"boolValue":false}`, false),
		attr("bool null", `{"boolValue":null}`, true),
		attr("bool as string", `{"boolValue":"true"}`, true),
		attr("int", `{"intValue":-42}`, false),
		attr("int string", `{"intValue":"-9223372036854775808"}`, false),
		attr("int max", `{"intValue":9223372036854775807}`, false),
		attr("int min number", `{"intValue":-9223372036854775808}`, false),
		attr("int past int64", `{"intValue":9223372036854775808}`, true),
		attr("int string past int64", `{"intValue":"9223372036854775808"}`, true),
		attr("int string with plus", `{"intValue":"+5"}`, false),
		attr("int string negative zero", `{"intValue":"-0"}`, false),
		attr("int string escaped", `{"intValue":"\u0037"}`, false),
		attr("int upper-case exponent", `{"intValue":1E2}`, true),
		attr("bytes escaped", `{"bytesValue":"AA\u003d\u003d"}`, true),
		attr("double string escaped", `{"doubleValue":"1\u002e5"}`, false),
		attr("int float", `{"intValue":1.5}`, true),
		attr("int float string", `{"intValue":"1.5"}`, true),
		attr("int exponent", `{"intValue":1e2}`, true),
		attr("int negative zero", `{"intValue":-0}`, false),
		attr("int null", `{"intValue":null}`, true),
		attr("double", `{"doubleValue":3.25}`, false),
		attr("double integer", `{"doubleValue":3}`, false),
		attr("double exponent", `{"doubleValue":-1.5e-7}`, false),
		attr("double many digits", `{"doubleValue":0.1000000000000000055511151231257827}`, false),
		attr("double long mantissa", `{"doubleValue":123456789012345678901234567890.5}`, false),
		attr("double tiny", `{"doubleValue":5e-324}`, false),
		attr("double huge", `{"doubleValue":1.7976931348623157e308}`, false),
		attr("double past float64", `{"doubleValue":1e400}`, true),
		attr("double string", `{"doubleValue":"2.5"}`, false),
		attr("double NaN", `{"doubleValue":"NaN"}`, false),
		attr("double Infinity", `{"doubleValue":"Infinity"}`, false),
		attr("double -Inf", `{"doubleValue":"-Inf"}`, false),
		attr("double hex string", `{"doubleValue":"0x1p-2"}`, false),
		attr("double bad string", `{"doubleValue":"x"}`, true),
		attr("double null", `{"doubleValue":null}`, true),
		attr("bytes", `{"bytesValue":"AAEC/w=="}`, false),
		attr("bytes empty", `{"bytesValue":""}`, false),
		attr("bytes unpadded", `{"bytesValue":"AAE"}`, true),
		attr("bytes URL alphabet", `{"bytesValue":"-_8="}`, true),
		attr("bytes with an escaped newline", `{"bytesValue":"AA\nE="}`, true),
		attr("bytes null", `{"bytesValue":null}`, true),
		attr("bytes number", `{"bytesValue":1}`, true),
		attr("array", `{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"1"},{},null,{"arrayValue":{}},{"kvlistValue":{"values":[{"key":"x"}]}}]}}`, false),
		attr("empty array", `{"arrayValue":{}}`, false),
		attr("array with no values", `{"arrayValue":{"values":[]}}`, false),
		attr("array null", `{"arrayValue":null}`, false),
		attr("array values null", `{"arrayValue":{"values":null}}`, false),
		attr("array values twice", `{"arrayValue":{"values":[{"intValue":1}],"values":[{"intValue":2}]}}`, false),
		attr("array as list", `{"arrayValue":[1]}`, true),
		attr("kvlist", `{"kvlistValue":{"values":[{"key":"a","value":{"doubleValue":1}},{"key":"b","value":{"kvlistValue":{}}}]}}`, false),
		attr("empty kvlist", `{"kvlistValue":{}}`, false),
		attr("kvlist values twice", `{"kvlistValue":{"values":[{"key":"a"}],"values":[{"key":"b"}]}}`, false),
		attr("snake_case values", `{"kvlist_value":{"values":[{"key":"a","value":{"string_value":"s"}},{"key":"b","value":{"int_value":"1"}},{"key":"c","value":{"double_value":1}},{"key":"d","value":{"bool_value":true}},{"key":"e","value":{"bytes_value":"AA=="}},{"key":"f","value":{"array_value":{}}}]}}`, false),
		attr("strindex", `{"stringValue":"s","stringValueStrindex":3}`, false),
		attr("strindex snake_case", `{"string_value_strindex":"3"}`, false),
		attr("strindex bad", `{"stringValueStrindex":"x"}`, true),
		attr("empty value", `{}`, false),
		attr("null value", `null`, false),
		attr("two types, last wins", `{"intValue":1,"stringValue":"s"}`, false),
		attr("unknown member in value", `{"fooValue":1,"intValue":2}`, false),
		{"value twice merges", testChunk("", "", `{`+edgeSpan+`,"attributes":[{"key":"k","value":{"intValue":1},"value":{}},{"key":"j","value":{"intValue":1},"value":{"boolValue":false}}]}`), false},
		{"key strindex", testChunk("", "", `{`+edgeSpan+`,"attributes":[{"key":"k","keyStrindex":1},{"key_strindex":"2"}]}`), false},
		{"key null", testChunk("", "", `{`+edgeSpan+`,"attributes":[{"key":null,"value":{"intValue":1}}]}`), false},
		{"key a number", testChunk("", "", `{`+edgeSpan+`,"attributes":[{"key":1}]}`), true},
		{"deep arrays", testChunk("", "", attrSpan(strings.Repeat(`{"arrayValue":{"values":[`, 200)+strings.Repeat(`]}}`, 200))), false},
		{"resource", testChunk(`{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}],"droppedAttributesCount":2}`, "", `{`+edgeSpan+`}`), false},
		{"resource snake_case", testChunk(`{"dropped_attributes_count":"2","entity_refs":[{"schema_url":"u","type":"t","id_keys":["a"],"description_keys":["b",null]}]}`, "", `{`+edgeSpan+`}`), false},
		{"resource entity refs", testChunk(`{"entityRefs":[{"schemaUrl":"u","type":"t","idKeys":["a"],"descriptionKeys":["b"],"x":1},null]}`, "", `{`+edgeSpan+`}`), false},
		{"resource entity ref type a number", testChunk(`{"entityRefs":[{"type":1}]}`, "", `{`+edgeSpan+`}`), true},
		{"resource null", testChunk(`null`, "", `{`+edgeSpan+`}`), false},
		{"resource empty", testChunk(`{}`, `{}`, `{`+edgeSpan+`}`), false},
		{"resource a list", testChunk(`[]`, "", `{`+edgeSpan+`}`), true},
		{"scope", testChunk("", `{"name":"lib","version":"1.0","attributes":[{"key":"a","value":{"stringValue":"b"}}],"droppedAttributesCount":1,"x":[]}`, `{`+edgeSpan+`}`), false},
		{"scope snake_case", testChunk("", `{"dropped_attributes_count":"7"}`, `{`+edgeSpan+`}`), false},
		{"scope name a number", testChunk("", `{"name":1}`, `{`+edgeSpan+`}`), true},
		{"resource and scope twice merge", &chunk{
			rs: &rsState{members: []member{
				{"resource", []byte(`{"attributes":[{"key":"a","value":{"intValue":1}}],"droppedAttributesCount":1}`)},
				{"schemaUrl", []byte(`"u"`)},
				{"resource", []byte(`{"attributes":[{"key":"b","value":{"intValue":2}}]}`)},
			}},
			ss: &ssState{members: []member{
				{"scope", []byte(`{"name":"n","attributes":[{"key":"a","value":{"intValue":1}}]}`)},
				{"schemaUrl", []byte(`null`)},
				{"scope", []byte(`{"version":"v","attributes":[{"key":"b","value":{"intValue":2}}]}`)},
			}},
			spans: []leaf{{raw: json.RawMessage(`{` + edgeSpan + `}`)}},
		}, false},
		{"schema URL a number", &chunk{rs: &rsState{members: []member{{"schemaUrl", []byte(`1`)}}}, ss: &ssState{},
			spans: []leaf{{raw: json.RawMessage(`{` + edgeSpan + `}`)}}}, true},
	}
}

// TestDecodeJSONChunkEdgeCases: on unusual input the direct decoder
// gives what pdata gives, or declines where it should.
func TestDecodeJSONChunkEdgeCases(t *testing.T) {
	for _, tc := range jsonEdgeCases() {
		t.Run(tc.name, func(t *testing.T) {
			res := diffJSONChunk(tc.c)
			if res.diff != "" {
				t.Fatal(res.diff)
			}
			if res.declined != tc.declined {
				t.Errorf("declined = %v, want %v (pdata reads it: %v)", res.declined, tc.declined, res.pdataOK)
			}
		})
	}
}

// FuzzDecodeJSONChunksMatchPdata: on arbitrary OTLP/JSON requests, the
// direct decoder gives for each chunk what pdata and FromPdata give, or
// declines.
func FuzzDecodeJSONChunksMatchPdata(f *testing.F) {
	for _, tc := range jsonFixtures {
		data, err := os.ReadFile(fixtures.Path(f, tc.rel))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, tc := range jsonEdgeCases() {
		spans := make([][]byte, len(tc.c.spans))
		for i, l := range tc.c.spans {
			spans[i] = l.raw
		}
		f.Add(chunkRequest(tc.c, spans))
	}
	codectest.BoundFuzz(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		defer boundInput(t, data)()
		for i, c := range requestChunks(data) {
			if res := diffJSONChunk(c); res.diff != "" {
				t.Fatalf("chunk %d: %s", i, res.diff)
			}
		}
	})
}

// The decoded spans share no memory with the input, which the streamer
// reuses.
func TestDecodeJSONChunkCopies(t *testing.T) {
	long := strings.Repeat("x", intern.MaxLen+1)
	in := `{` + edgeSpan + `,"name":"name","traceState":"st\u00e9","attributes":[` +
		`{"key":"b","value":{"bytesValue":"Ynl0ZXM="}},{"key":"long","value":{"stringValue":"` + long + `"}}]}`
	c := testChunk(`{"attributes":[{"key":"r","value":{"stringValue":"res"}}]}`, `{"name":"scope"}`, in)
	got, ok := newJSONDecoder().chunk(c)
	if !ok {
		t.Fatal("declined")
	}
	ref := FromPdata(mustPdata(t, c))
	for _, b := range [][]byte{c.spans[0].raw, c.rs.members[0].json, c.ss.members[0].json} {
		clear(b)
	}
	if diff := cmp.Diff(ref, []model.ResourceSpans{got}, cmp.Comparer(strictValue)); diff != "" {
		t.Errorf("decoded spans changed with the input (-want +got):\n%s", diff)
	}
}

func mustPdata(t *testing.T, c *chunk) ptrace.Traces {
	t.Helper()
	spans := make([][]byte, len(c.spans))
	for i := range c.spans {
		spans[i] = c.spans[i].raw
	}
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(chunkRequest(c, spans))
	if err != nil {
		t.Fatal(err)
	}
	return td
}
