package input

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/internal/codectest"
)

// hostileDepth is how deep the nesting bombs nest: 200 KB of brackets,
// which cost 4.4 GB before the depth limit.
const hostileDepth = 100_000

const otlpSpan = `{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708"`

// hostileInputs are inputs crafted to exhaust a decoder, or to slip wrong
// data past it; each must fail alone with a message that names the file,
// the position and what is wrong. testdata/hostile.golden holds the
// messages (go test -run Hostile -update rewrites it).
var hostileInputs = []struct {
	name string
	data func() []byte
}{
	{"otlp-json-nested-unknown-field.json", func() []byte {
		return []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[` + otlpSpan + `,"extra":` + codectest.Nested(hostileDepth) + `}]}]}]}`)
	}},
	{"otlp-json-nested-top.json", func() []byte { return []byte(`{"x":` + codectest.Nested(hostileDepth) + `,"resourceSpans":[]}`) }},
	{"otlp-json-nested-anyvalue.json", func() []byte {
		const d = 400 // 1200 levels: deeper than the limit, shallower than encoding/json's
		return []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[` + otlpSpan + `,"attributes":[{"key":"a","value":` +
			strings.Repeat(`{"arrayValue":{"values":[`, d) + strings.Repeat(`]}}`, d) + `}]}]}]}]}`)
	}},
	{"jaeger-nested.json", func() []byte {
		return []byte(`{"data":[{"traceID":"1","spans":[{"spanID":"1","tags":[{"key":"a","value":` + codectest.Nested(hostileDepth) + `}]}]}]}`)
	}},
	{"zipkin-v2-nested.json", func() []byte {
		return []byte(`[{"traceId":"1","id":"1","tags":{"a":` + codectest.Nested(hostileDepth) + `}}]`)
	}},
	{"zipkin-v1-nested.json", func() []byte {
		return []byte("[\n" + `{"traceId":"0000000000000001","id":"0000000000000001","binaryAnnotations":[{"key":"a","value":` + codectest.Nested(hostileDepth) + `}]}]`)
	}},
	{"otlp-yaml-nested.yaml", func() []byte {
		return []byte("resourceSpans:\n  - scopeSpans: " + codectest.Nested(5000) + "\n")
	}},
	{"otlp-yaml-alias-bomb.yaml", codectest.YAMLAliasBomb},
	{"otlp-proto-nested.pb", func() []byte { return codectest.ProtoNested(hostileDepth) }},
	// 2 MiB of spaces: encoding/json rescans a run of whitespace on every
	// read, so 64 MiB took two minutes.
	{"otlp-json-whitespace.json", func() []byte {
		return []byte(`{"resourceSpans":[` + strings.Repeat(" ", 2<<20) + `]}`)
	}},
	{"jaeger-whitespace.json", func() []byte {
		return []byte(`{"data":[{"traceID":"1","spans":[` + strings.Repeat("\n", 2<<20) + `]}]}`)
	}},
}

// TestHostileInputs decodes each hostile input alone (its message goes to
// the golden file), then all of them with SkipBad beside a good file: each
// is reported bad and the good file is still decoded.
func TestHostileInputs(t *testing.T) {
	dir := t.TempDir()
	var got strings.Builder
	var paths []string
	for _, tc := range hostileInputs {
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, tc.data(), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
		_, err := Decode(context.Background(), []string{path}, Options{}, func(string, codec.Batch) error { return nil })
		var de *codec.DecodeError
		if !errors.As(err, &de) || de.File != path {
			t.Errorf("%s: err = %v, want a DecodeError naming the file", tc.name, err)
			continue
		}
		fmt.Fprintf(&got, "%s\n\t%s\n", tc.name, strings.TrimPrefix(err.Error(), dir+string(filepath.Separator)))
	}
	codectest.Golden(t, "hostile", got.String())

	good := filepath.Join(dir, "good.json")
	if err := os.WriteFile(good, []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[`+otlpSpan+`}]}]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	spans := 0
	rep, err := Decode(context.Background(), append(paths, good), Options{SkipBad: true}, func(_ string, b codec.Batch) error {
		spans += b.SpanCount()
		return nil
	})
	if err != nil || spans != 1 || len(rep.Bad) != len(hostileInputs) || len(rep.Files) != 1 || rep.Files[0].File != good {
		t.Errorf("SkipBad: %d spans, %d bad, files %+v, err %v; want the good file's span and every hostile input bad", spans, len(rep.Bad), rep.Files, err)
	}
}
