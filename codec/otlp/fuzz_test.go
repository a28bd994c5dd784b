package otlp

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/internal/codectest"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/model"
)

// fuzzCheck decodes data and asserts the decoder contract: errors are
// positioned DecodeErrors, and every emitted span has a non-zero trace ID.
func fuzzCheck(t *testing.T, dec codec.Decoder, data []byte) {
	defer boundInput(t, data)()
	err := dec("fuzz", bytes.NewReader(data), func(b codec.Batch) error {
		for i := range b {
			for j := range b[i].ScopeSpans {
				for k := range b[i].ScopeSpans[j].Spans {
					if b[i].ScopeSpans[j].Spans[k].TraceID.IsZero() {
						t.Fatalf("span with zero trace ID emitted")
					}
				}
			}
		}
		return nil
	})
	var de *codec.DecodeError
	if err != nil && (!errors.As(err, &de) || de.File != "fuzz") {
		t.Fatalf("error %v (%T) is not a DecodeError naming the input", err, err)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, tc := range jsonFixtures {
		data, err := os.ReadFile(fixtures.Path(f, tc.rel))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"AQIDBAUGBwgJCgsMDQ4PEA==","spanId":"AQIDBAUGBwg=","kind":"SPAN_KIND_CLIENT","links":[{"traceId":"","spanId":""}]}]}]}]}` + "\n" + `{"batches":[]}`))
	// Nesting bombs: in an attribute value, and as AnyValue lists.
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","attributes":[{"key":"a","value":` + codectest.Nested(100_000) + `}]}]}]}]}`))
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","attributes":[{"key":"a","value":` +
		strings.Repeat(`{"arrayValue":{"values":[`, 400) + strings.Repeat(`]}}`, 400) + `}]}]}]}]}`))
	f.Add([]byte(`{"resourceSpans":[{"instrumentationLibrarySpans":[{"instrumentationLibrary":{"name":"x"},"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","attributes":[{"key":"a","value":{"kvlistValue":{"values":[{"key":"b","value":{"arrayValue":{"values":[{"bytesValue":"AAE="}]}}}]}}}]}]}]}]}`))
	codectest.BoundFuzz(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, DecodeJSON, data)
		// Differential: the fast path must agree with the normaliser.
		fast, fastErr := decodeBatches(data, true)
		slow, slowErr := decodeBatches(data, false)
		switch {
		case slowErr == nil && fastErr != nil:
			t.Fatalf("fast path failed where the normaliser succeeded: %v", fastErr)
		case slowErr != nil && fastErr == nil:
			// Allowed: pdata is more lenient than the normaliser about
			// fields it ignores (unknown keys, repeated keys: last wins),
			// and the fast path still checks every trace ID.
		case slowErr != nil && fastErr.Error() != slowErr.Error():
			t.Fatalf("errors differ:\nfast: %v\nslow: %v", fastErr, slowErr)
		case slowErr == nil:
			if diff := cmp.Diff(slow, fast, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("fast and slow paths differ (-slow +fast):\n%s", diff)
			}
		}
		// Reference: pdata on each whole request. Where it reads the same
		// input (valid UTF-8, which pdata keeps as is; current key names;
		// no empty key, which pdata takes for the end of its object),
		// streaming must give the same traces.
		if fastErr != nil || !utf8.Valid(data) || bytes.Contains(data, []byte(`"batches"`)) || bytes.Contains(data, []byte(`"instrumentation`)) ||
			emptyKey.Match(data) {
			return
		}
		want, err := pdataTraces(data)
		if err != nil {
			return
		}
		got, _, err := streamTraces(data, true)
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		if !cmp.Equal(want, got, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()) {
			t.Fatalf("streamed traces differ from pdata's (-pdata +stream):\n%s", cmp.Diff(want, got, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()))
		}
	})
}

// emptyKey finds an empty key (or, rarely, a key ending in an escaped
// quote).
var emptyKey = regexp.MustCompile(`""\s*:`)

// decodeBatches decodes data with the fast path or only the normaliser.
func decodeBatches(data []byte, fast bool) ([]codec.Batch, error) {
	var out []codec.Batch
	err := decodeJSON("fuzz", bytes.NewReader(data), func(b codec.Batch) error {
		out = append(out, b)
		return nil
	}, fast)
	return out, err
}

func FuzzDecodeProto(f *testing.F) {
	data, err := os.ReadFile(fixtures.Path(f, "opentelemetry-proto/trace.protobuf-bin"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	// Protobuf twins of the JSON fixtures, made with our own encoder.
	for _, tc := range jsonFixtures[:8] {
		js, err := os.ReadFile(fixtures.Path(f, tc.rel))
		if err != nil {
			f.Fatal(err)
		}
		b := model.NewTraceBuilder()
		if err := DecodeJSON(tc.rel, bytes.NewReader(js), func(batch codec.Batch) error {
			for i := range batch {
				b.AddResourceSpans(&batch[i])
			}
			return nil
		}); err != nil {
			f.Fatal(err)
		}
		var pb bytes.Buffer
		if err := EncodeProto(&pb, b.Traces()); err != nil {
			f.Fatal(err)
		}
		f.Add(pb.Bytes())
	}
	f.Add(codectest.ProtoNested(100_000)) // a nesting bomb
	codectest.BoundFuzz(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, DecodeProto, data)
	})
}

// FuzzDecodeProtoMatchesPdata: the direct protobuf decoder accepts what
// pdata accepts, and decodes it to what pdata and FromPdata give.
func FuzzDecodeProtoMatchesPdata(f *testing.F) {
	fuzzProto(f, codectest.MaxFuzzInput, func(t *testing.T, data []byte) {
		if diff := diffPdata(data); diff != "" {
			t.Fatal(diff)
		}
	})
}

// fuzzProto fuzzes check with the protobuf inputs of protoInputs (those
// of at most maxSeed bytes) and protoEdgeCases as seeds, each input
// bounded by boundInput.
func fuzzProto(f *testing.F, maxSeed int, check func(t *testing.T, data []byte)) {
	for _, data := range protoInputs(f) {
		if len(data) <= maxSeed {
			f.Add(data)
		}
	}
	for _, tc := range protoEdgeCases() {
		f.Add(tc.in)
	}
	codectest.BoundFuzz(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		defer boundInput(t, data)()
		check(t, data)
	})
}

// boundInput skips an input past MaxFuzzInput and arms a timer that
// crashes the run, as hung, if the input is still being decoded ten
// seconds later (a hang is a bug too: the fuzzer keeps the input); the
// returned function disarms it.
func boundInput(t *testing.T, data []byte) (disarm func() bool) {
	if len(data) > codectest.MaxFuzzInput {
		t.Skip("input past MaxFuzzInput")
	}
	return time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("decode hung on %q", data)) }).Stop
}

func FuzzDecodeYAML(f *testing.F) {
	for _, tc := range yamlFixtures {
		data, err := os.ReadFile(fixtures.Path(f, tc.rel))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("resourceSpans:\n  - scopeSpans: " + codectest.Nested(5000) + "\n")) // a nesting bomb
	f.Add(codectest.YAMLAliasBomb())
	codectest.BoundFuzz(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, DecodeYAML, data)
	})
}

// FuzzDecodeProtoSplitMatchesWhole: decoded a span at a time (every
// resource spans split into groups, see spanGroups), a message is
// accepted or rejected as decoded whole, and builds the same traces with
// the same UTF-8 warnings.
func FuzzDecodeProtoSplitMatchesWhole(f *testing.F) {
	// Larger seeds, decoded a span at a time, stall the fuzz engine.
	fuzzProto(f, 64<<10, func(t *testing.T, data []byte) {
		decode := func(chunk int) ([]*model.Trace, string, error) {
			b := model.NewOrderedTraceBuilder()
			wr := &codec.WarnReader{Reader: bytes.NewReader(data)}
			err := ProtoDecoder(chunk)("f.pb", wr, func(batch codec.Batch) error {
				for i := range batch {
					b.AddResourceSpans(&batch[i])
				}
				return nil
			})
			return b.SortedTraces(), fmt.Sprint(wr.Warnings), err
		}
		whole, wholeWarn, wholeErr := decode(len(data) + 1)
		split, splitWarn, splitErr := decode(1)
		if (wholeErr == nil) != (splitErr == nil) {
			t.Fatalf("whole: %v\nsplit: %v", wholeErr, splitErr)
		}
		if wholeErr != nil {
			return
		}
		if diff := cmp.Diff(whole, split); diff != "" {
			t.Fatalf("traces differ (-whole +split):\n%s", diff)
		}
		if wholeWarn != splitWarn {
			t.Fatalf("warnings: whole %s, split %s", wholeWarn, splitWarn)
		}
	})
}

// FuzzDecodeProtoReadBackMatchesHeld: resource spans larger than the chunk
// passed over and read back from the input (codec.WarnReader.At), through
// windows small and large, give exactly the batches, warnings and error
// of the same fields held whole.
func FuzzDecodeProtoReadBackMatchesHeld(f *testing.F) {
	fuzzProto(f, 64<<10, func(t *testing.T, data []byte) {
		if diff := readBackDiff(data, []int{20, 23, windowBytes}, []int{1, 40, 300}); diff != "" {
			t.Fatal(diff)
		}
	})
}
