package otlp

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/internal/codectest"
)

// TestWrongTypes: a value of the wrong JSON type anywhere in a request is
// an error at its line:col with its JSON path and what was wanted (pdata
// said "file:1:1: invalid OTLP request: ReadString: expects \" or n").
// One case per field kind; the messages are in testdata/wrong-types.golden
// (go test -run WrongTypes -update rewrites it).
func TestWrongTypes(t *testing.T) {
	span := func(fields string) string {
		return `{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"scope":{"name":"s"},"spans":[` + "\n" +
			`{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708"},` + "\n" +
			`{"traceId":"0102030405060708090a0b0c0d0e0f10"` + fields + "}]}]}]}"
	}
	attr := func(value string) string { return span(`,"attributes":[{"key":"a","value":` + value + `}]`) }
	cases := []struct{ name, in string }{
		{"span ID number", span(`,"spanId":5`)},
		{"trace ID null", `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":null}]}]}]}`},
		{"parent ID object", span(`,"parentSpanId":{}`)},
		{"link span ID bool", span(`,"links":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":true}]`)},
		{"name number", span(`,"name":5`)},
		{"trace state array", span(`,"traceState":[]`)},
		{"kind numeric string", span(`,"kind":"2"`)},
		{"flags negative", span(`,"flags":-1`)},
		{"time null", span(`,"startTimeUnixNano":null`)},
		{"attributes object", span(`,"attributes":{}`)},
		{"attribute not object", span(`,"attributes":["a"]`)},
		{"attribute key number", span(`,"attributes":[{"key":1}]`)},
		{"value array", attr(`[]`)},
		{"boolValue string", attr(`{"boolValue":"true"}`)},
		{"boolValue null", attr(`{"boolValue":null}`)},
		{"doubleValue word", attr(`{"doubleValue":"fast"}`)},
		{"bytesValue not base64", attr(`{"bytesValue":"!!"}`)},
		{"arrayValue array", attr(`{"arrayValue":[]}`)},
		{"kvlist values object", attr(`{"kvlistValue":{"values":{}}}`)},
		{"nested value wrong", attr(`{"arrayValue":{"values":[{"intValue":true}]}}`)},
		{"events string", span(`,"events":"e"`)},
		{"event name number", span(`,"events":[{"name":1}]`)},
		{"status string", span(`,"status":"ERROR"`)},
		{"status message number", span(`,"status":{"message":5}`)},
		{"dropped count float", span(`,"droppedAttributesCount":1.5`)},
		{"resource array", `{"resourceSpans":[{"resource":[],"scopeSpans":[]}]}`},
		{"resource attributes number", `{"resourceSpans":[{"resource":{"attributes":1}}]}`},
		{"scope name number", `{"resourceSpans":[{"scopeSpans":[{"scope":{"name":1}}]}]}`},
		{"schemaUrl number", `{"resourceSpans":[{"schemaUrl":1}]}`},
		{"scopeSpans object", `{"resourceSpans":[{"scopeSpans":{}}]}`},
		{"resourceSpans string", `{"resourceSpans":"x"}`},
		{"resourceSpans element number", `{"resourceSpans":[1]}`},
		{"spans object", `{"resourceSpans":[{"scopeSpans":[{"spans":{}}]}]}`},
		{"snake case key", span(`,"parent_span_id":5`)},
		{"repeated resource after spans", `{"resourceSpans":[{"resource":{},"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10"}]}],"resource":{}}]}`},
	}
	var got strings.Builder
	for _, tc := range cases {
		err := DecodeJSON("f.json", strings.NewReader(tc.in), func(codec.Batch) error { return nil })
		var de *codec.DecodeError
		if !errors.As(err, &de) || de.Line == 0 || de.Path == "" {
			t.Errorf("%s: err = %v, want a DecodeError with line:col and path", tc.name, err)
		}
		fmt.Fprintf(&got, "%s\n\t%v\n", tc.name, err)
	}
	codectest.Golden(t, "wrong-types", got.String())
}
