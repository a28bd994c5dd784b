package otlp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/model"
)

// pdataTraces is the reference decoder: pdata on each whole request, as
// DecodeJSON did before it streamed, and as the Collector reads a request.
func pdataTraces(data []byte) ([]*model.Trace, error) {
	b := model.NewOrderedTraceBuilder()
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(raw)
		if err != nil {
			return nil, err
		}
		for _, rs := range FromPdata(td) {
			b.AddResourceSpans(&rs)
		}
	}
	return b.Traces(), nil
}

// streamTraces decodes data with DecodeJSON (fast or normaliser only) and
// builds the traces as ingest does.
func streamTraces(data []byte, fast bool) ([]*model.Trace, []int, error) {
	b := model.NewOrderedTraceBuilder()
	var sizes []int
	err := decodeJSON("in.json", bytes.NewReader(data), func(batch codec.Batch) error {
		n := 0
		for i := range batch {
			b.AddResourceSpans(&batch[i])
			for _, ss := range batch[i].ScopeSpans {
				n += len(ss.Spans)
			}
		}
		sizes = append(sizes, n)
		return nil
	}, fast)
	if err != nil {
		return nil, sizes, err
	}
	return b.Traces(), sizes, nil
}

// bigRequest writes one request of rss resources × sss scopes × spans
// spans, member order shuffled by shape: resource and scope before or
// after their spans, snake_case and legacy keys, unknown keys.
func bigRequest(rss, sss, spans int, shape string) []byte {
	var b strings.Builder
	b.WriteString(`{"extra":[1,{"a":2}],"resourceSpans":[`)
	id := 0
	for r := range rss {
		if r > 0 {
			b.WriteString(",")
		}
		res := fmt.Sprintf(`"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc%d"}}],"droppedAttributesCount":%d}`, r, r)
		b.WriteString("{")
		if shape != "late" {
			b.WriteString(res + ",")
		}
		ssKey := "scopeSpans"
		if shape == "legacy" {
			ssKey = "instrumentationLibrarySpans"
		}
		fmt.Fprintf(&b, `"%s":[`, ssKey)
		for s := range sss {
			if s > 0 {
				b.WriteString(",")
			}
			scope := fmt.Sprintf(`"scope":{"name":"lib%d","version":"1"}`, s)
			if shape == "legacy" {
				scope = fmt.Sprintf(`"instrumentationLibrary":{"name":"lib%d","version":"1"}`, s)
			}
			b.WriteString("{")
			if shape != "late" {
				b.WriteString(scope + ",")
			}
			b.WriteString(`"spans":[`)
			for k := range spans {
				if k > 0 {
					b.WriteString(",\n")
				}
				id++
				fmt.Fprintf(&b, `{"traceId":"%032x","spanId":"%016x","name":"op%d","kind":%d,"startTimeUnixNano":"%d","endTimeUnixNano":"%d","attributes":[{"key":"k","value":{"intValue":"%d"}}],"unknown":{"x":[1]}}`,
					id%97+1, id, k%5, k%6, 1000+id, 2000+id, id)
			}
			b.WriteString("]")
			if shape == "late" {
				b.WriteString("," + scope)
			}
			b.WriteString(`,"schemaUrl":"s"}`)
		}
		b.WriteString("]")
		if shape == "late" {
			b.WriteString("," + res)
		}
		b.WriteString("}")
	}
	b.WriteString("]}\n")
	return []byte(b.String())
}

var batchesKey = regexp.MustCompile(`^(\s*\{\s*)"batches"`)

// The streaming decoder gives the traces pdata gives for the whole
// request: on every fixture, and on requests of many chunks in every
// member order.
func TestStreamMatchesPdata(t *testing.T) {
	inputs := map[string][]byte{}
	for _, tc := range jsonFixtures {
		data, err := os.ReadFile(fixtures.Path(t, tc.rel))
		if err != nil {
			t.Fatal(err)
		}
		inputs[tc.rel] = data
	}
	for _, shape := range []string{"", "late", "legacy"} {
		inputs["big-"+shape] = bigRequest(3, 2, 1700, shape)
	}
	for name, data := range inputs {
		// pdata reads neither legacy keys nor Tempo's batches: give it the
		// current names.
		ref := strings.NewReplacer(`"instrumentationLibrarySpans"`, `"scopeSpans"`, `"instrumentationLibrary"`, `"scope"`).Replace(string(data))
		ref = batchesKey.ReplaceAllString(ref, `$1"resourceSpans"`)
		want, err := pdataTraces([]byte(ref))
		if err != nil {
			// Base64 IDs: pdata wants hex; compare with the normaliser.
			want, _, err = streamTraces(data, false)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		for _, fast := range []bool{true, false} {
			got, _, err := streamTraces(data, fast)
			if err != nil {
				t.Fatalf("%s (fast %v): %v", name, fast, err)
			}
			if msg := firstTraceDiff(want, got); msg != "" {
				t.Errorf("%s (fast %v): streamed traces differ from pdata's: %s", name, fast, msg)
			}
		}
	}
}

// firstTraceDiff describes the first trace that differs ("" if none);
// cmp.Diff of whole inputs of 10,000 spans takes minutes.
func firstTraceDiff(want, got []*model.Trace) string {
	if len(want) != len(got) {
		return fmt.Sprintf("%d traces, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(want[i], got[i]) {
			return fmt.Sprintf("trace %s (-pdata +stream):\n%s", want[i].TraceID, cmp.Diff(want[i], got[i], cmpopts.EquateEmpty()))
		}
	}
	return ""
}

// A large request is decoded and emitted in chunks: batches of about
// chunkSpans spans, and the bytes kept for positions stay small.
func TestStreamChunks(t *testing.T) {
	data := bigRequest(2, 1, 2500, "")
	var sizes []int
	var pr *posReader
	maxBuf := 0
	err := DecodeJSON("in.json", bytes.NewReader(data), func(b codec.Batch) error {
		n := 0
		for _, rs := range b {
			for _, ss := range rs.ScopeSpans {
				n += len(ss.Spans)
			}
		}
		sizes = append(sizes, n)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// 2500 spans of the first resource in chunks, then the second's.
	if fmt.Sprint(sizes) != "[1000 1000 1500 1000 500]" {
		t.Errorf("batch sizes = %v", sizes)
	}
	// The bytes the main reader keeps for positions.
	s := newStreamer("in.json", &posReader{r: bytes.NewReader(data), line: 1, col: 1}, func(codec.Batch) error {
		maxBuf = max(maxBuf, len(pr.buf))
		return nil
	}, true)
	pr = s.sn.pr
	if err := s.run(); err != nil {
		t.Fatal(err)
	}
	if maxBuf > 256<<10 {
		t.Errorf("kept %d bytes of a %d-byte input", maxBuf, len(data))
	}
	// An error late in the request still has its line and path.
	bad := bytes.Replace(data, []byte(`"spanId":"00000000000009c4"`), []byte(`"spanId":7`), 1)
	err = DecodeJSON("in.json", bytes.NewReader(bad), func(codec.Batch) error { return nil })
	want := `in.json:2500:56: $.resourceSpans[0].scopeSpans[0].spans[2499].spanId: want a hex string, got a number`
	var de *codec.DecodeError
	if !errors.As(err, &de) || err.Error() != want {
		t.Errorf("err = %v\nwant  %s", err, want)
	}
}
