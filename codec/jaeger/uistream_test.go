package jaeger

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/internal/codectest"
	"github.com/tracectl/tracectl/internal/fixtures"
)

// uiTrace is a trace of one span per service, IDs from id, with a tag of
// n bytes.
func uiTrace(id, n int) string {
	return fmt.Sprintf(`{"traceID":"%x","spans":[{"traceID":"%x","spanID":"1","operationName":"a","startTime":%d,"duration":5,"processID":"p1","tags":[{"key":"big","type":"string","value":"%s"}]},`+
		`{"traceID":"%x","spanID":"2","references":[{"refType":"CHILD_OF","traceID":"%x","spanID":"1"}],"operationName":"b","startTime":%d,"duration":2,"processID":"p2"}],`+
		`"processes":{"p1":{"serviceName":"front","tags":[{"key":"host.name","type":"string","value":"h"}]},"p2":{"serviceName":"back"}},"warnings":null}`,
		id, id, 1000+id, strings.Repeat("x", n), id, id, 1001+id)
}

// manyTraces is a query-API response of n traces, one per line.
func manyTraces(n, tagBytes int) string {
	var b strings.Builder
	b.WriteString("{\"data\":[\n")
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(uiTrace(i+1, tagBytes))
	}
	b.WriteString("\n],\"total\":0,\"limit\":0,\"offset\":0,\"errors\":null}")
	return b.String()
}

// The stream reads what the encoding/json walk reads, and fails where and
// as it fails, whether it reads a file itself or hands it over.
func TestUIStreamAsWalk(t *testing.T) {
	t1, t2 := uiTrace(1, 3), uiTrace(2, 3)
	deep := strings.Repeat("[", codec.MaxJSONDepth+1) + strings.Repeat("]", codec.MaxJSONDepth+1)
	for _, tc := range []struct {
		name, in   string
		handedOver bool
	}{
		{"response", `{"data":[` + t1 + "," + t2 + `],"total":0,"limit":0,"offset":0,"errors":null}`, false},
		{"white space", " \n{ \"data\" :\t[ " + t1 + " ,\n" + t2 + " ] }\n ", false},
		{"members before data", `{"total":2,"limit":{"a":[1]},"data":[` + t1 + `]}`, false},
		{"responses one after another", `{"data":[` + t1 + "]}\n" + `{"data":[` + t2 + "]}\n", false},
		{"data twice", `{"data":[` + t1 + `],"data":[` + t2 + `]}`, false},
		{"data in capitals", `{"DATA":[` + t1 + `]}`, false},
		{"empty data", `{"data":[]}`, false},
		{"empty object", `{}`, false},
		{"errors after empty data", `{"data":[],"errors":[{"code":500,"msg":"boom"}]}`, false},
		{"errors before empty data", `{"errors":[{"code":500,"msg":"boom"}],"data":[]}`, false},
		{"trace key spellings", `{"data":[{"TraceID":"7","spans":[{"spanID":"1","processID":"p"}],"Processes":{"p":{"serviceName":"s"}}},{"trace_id":"8","SPANS":[{"spanID":"1"}],"processes":{"p":{}}}]}`, false},
		{"spans twice", `{"data":[{"traceID":"7","spans":[{"spanID":"1","processID":"p"}],"spans":[{"spanID":"2","processID":"p"}],"processes":{"p":{}}}]}`, false},
		{"null spans", `{"data":[{"traceID":"7","spans":null}]}`, false},
		{"scalar span", `{"data":[{"traceID":"7","spans":[1]}]}`, false},
		{"missing process", `{"data":[` + t1 + `,{"traceID":"7","spans":[{"spanID":"1","processID":"p9"}],"processes":{"p":{}}}]}`, false},
		{"hashed IDs", `{"data":[{"traceID":"trace-1","spans":[{"spanID":"span-1","processID":"p"}],"processes":{"p":{}}}]}`, false},
		{"escaped strings", `{"data":[{"traceID":"7","spans":[{"spanID":"1","operationName":"a\"b\u00e9\n","processID":"p"}],"processes":{"p":{"serviceName":"\u0073"}}}]}`, false},
		{"traces past a chunk", manyTraces(300, 300), false},
		{"trace past a read", manyTraces(2, 200_000), false},
		{"trace past the read-ahead", manyTraces(2, traceAhead+200_000), false},

		{"empty", "", true},
		{"white space only", " \n ", true},
		{"top-level array", "[" + t1 + "]", true},
		{"bare trace", t1, false},
		{"bare traces after a response", `{"data":[` + t1 + "]}" + t2 + t1, false},
		{"bare trace with data", `{"traceID":"7","spans":[{"spanID":"1","processID":"p"}],"processes":{"p":{}},"data":[` + t1 + `]}`, false},
		{"bare batch", `{"spans":[{"traceId":"AAAAAAAAAAAAAAAAAAAAAQ==","spanId":"AAAAAAAAAAI="}],"process":{"serviceName":"s"}}`, false},
		{"spans not an array", `{"traceID":"1","spans":{}}`, true},
		{"wrapped trace", `{"data":` + t1 + `}`, true},
		{"null data", `{"data":null,"errors":[{"code":404,"msg":"trace not found"}]}`, true},
		{"batch", `{"batch":{"spans":[{"trace_id":"AAAAAAAAAAE=","span_id":"AAAAAAAAAAI="}],"process":{"service_name":"s"}}}`, true},
		{"null element", `{"data":[` + t1 + `,null]}`, true},
		{"scalar element", `{"data":[1,` + t1 + `]}`, true},
		{"trailing comma", `{"data":[` + t1 + `,]}`, true},
		{"missing comma", `{"data":[` + t1 + " " + t2 + `]}`, true},
		{"missing comma between members", `{"data":[` + t1 + `] "total":0}`, true},
		{"number without comma", `{"total":1 2,"data":[]}`, true},
		{"trailing comma in object", `{"data":[` + t1 + `],}`, true},
		{"escaped key", `{"d\u0061ta":[` + t1 + `]}`, true},
		{"control character in a span key", "{\"data\":[{\"traceID\":\"1\",\"spans\":[{\"spanID\":\"1\",\"k\x01\":1}]}]}", true},
		{"span read in place, then one left to encoding/json", `{"data":[{"traceID":"7","spans":[{"spanID":"1","processID":"p"},{"spanID":"2","processID":"p","Flags":1}],"processes":{"p":{}}}]}`, false},
		{"escaped key in trace", `{"data":[{"trace\u0049D":"7","spans":[]}]}`, true},
		{"syntax error in a trace", "{\"data\":[\n" + t1 + ",\n{\"traceID\" \"1\"}]}", true},
		{"syntax error in a span", "{\"data\": [\n  {\"traceID\": \"abc\",\n   \"spans\": [{\"spanID\": \"1\",, }]}]}", true},
		{"syntax error after chunks", strings.TrimSuffix(manyTraces(300, 300), `,"total":0,"limit":0,"offset":0,"errors":null}`) + `,"total":}`, true},
		{"unclosed trace", `{"data":[` + t1 + `,{"traceID":"1"`, true},
		{"unclosed data", `{"data":[` + t1, true},
		{"unclosed object", `{"data":[` + t1 + `]`, true},
		{"unclosed after comma", `{"data":[` + t1 + `,`, true},
		{"unbalanced", `{"data":[` + t1 + `,{"traceID":"1"]]}`, true},
		{"garbage after", `{"data":[` + t1 + `]} x`, true},
		{"closing brace", `{"data":[` + t1 + `]}}`, true},
		{"too deep", deep, true},
		{"too deep in a trace", `{"data":[{"traceID":"1","spans":[{"spanID":"1","tags":` + strings.Repeat("[", codec.MaxJSONDepth) + `]}]}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			compareUIDecoders(t, "in.json", []byte(tc.in), codectest.SameErrorAtPath)
			s, _ := decodeJSON("in.json", strings.NewReader(tc.in), func(codec.Batch) error { return nil }, reference{})
			if s.handedOver != tc.handedOver {
				t.Errorf("handed over = %v, want %v", s.handedOver, tc.handedOver)
			}
		})
	}
}

// The stream reads every fixture in UI JSON alone, and gives what the walk
// gives for the others.
func TestUIStreamFixtures(t *testing.T) {
	walked := map[string]bool{ // api_v2 JSON, and a trace wrapped as {"data": trace}
		"elastic-apm-server/jaeger-proto-json/batch_0.json": true,
		"elastic-apm-server/jaeger-proto-json/batch_1.json": true,
		"jaeger-ui/single-trace/flamegraph_testTrace.json":  true,
	}
	for _, tc := range jaegerFixtures {
		data, err := os.ReadFile(fixtures.Path(t, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		compareUIDecoders(t, tc.file, data, exactErr)
		s, err := decodeJSON(tc.file, bytes.NewReader(data), func(codec.Batch) error { return nil }, reference{})
		if err != nil || s.handedOver != walked[tc.file] {
			t.Errorf("%s: handed over %v, error %v", tc.file, s.handedOver, err)
		}
	}
}

// An error found past many traces names the right line, as the walk does.
func TestUIStreamErrorLine(t *testing.T) {
	in := strings.TrimSuffix(manyTraces(3000, 10), "\n],\"total\":0,\"limit\":0,\"offset\":0,\"errors\":null}") + ",\n{]}"
	compareUIDecoders(t, "in.json", []byte(in), exactErr)
	_, err := codectest.DecodeString(DecodeJSON, in)
	codectest.WantDecodeError(t, err, []string{"in.json:3002:"})
}

// DecodeJSON and the walk agree on any input: same batches, same error at
// the same JSON path. Its line:col, and the text of a syntax error, may
// differ: the walk's depend on how much of the input its tokenizer had
// read when it met the error, and the stream has read more by the time it
// hands over.
func FuzzDecodeJSONAsWalk(f *testing.F) {
	addFixtures(f)
	for _, s := range []string{manyTraces(2, 3), `{"total":1,"data":[{"traceID":"1","spans":[{"spanID":"1"}],"processes":{"p":{}}}],"errors":null}`, `{"data":[]} {"data":[{}]}`} {
		f.Add([]byte(s))
	}
	codectest.BoundFuzz(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > codectest.MaxFuzzInput {
			t.Skip("input past MaxFuzzInput")
		}
		compareUIDecoders(t, "fuzz.json", in, codectest.SameErrorAtPath)
	})
}

func exactErr(got, want error) bool { return got.Error() == want.Error() }

// compareUIDecoders decodes data with the stream and with the walk alone
// and fails unless they emit the same batches and the same error.
func compareUIDecoders(tb testing.TB, name string, data []byte, sameErr func(got, want error) bool) {
	tb.Helper()
	var got, want []codec.Batch
	_, gotErr := decodeJSON(name, bytes.NewReader(data), func(b codec.Batch) error { got = append(got, b); return nil }, reference{})
	_, wantErr := decodeJSON(name, bytes.NewReader(data), func(b codec.Batch) error { want = append(want, b); return nil }, reference{walk: true})
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && !sameErr(gotErr, wantErr) {
		tb.Fatalf("%s: error %v, walk's %v", name, gotErr, wantErr)
	}
	if d := cmp.Diff(want, got); d != "" {
		tb.Fatalf("%s: batches differ (-walk +stream):\n%s", name, d)
	}
}
