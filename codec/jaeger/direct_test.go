package jaeger

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	jmodel "github.com/jaegertracing/jaeger-idl/model/v1"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/internal/codectest"
	"github.com/tracectl/tracectl/model"
)

// randomGroup builds a group of spans whose tags, logs and references mix
// everything the translator maps (kinds, every status tag in every type,
// scope tags, trace state, event names, process renames), repeated keys
// included. The same seed builds the same group.
func randomGroup(seed uint64) *group {
	rng := rand.New(rand.NewPCG(seed, 99))
	pick := rng.IntN
	keys := []string{tagSpanKind, tagError, tagStatusCode, tagStatusDesc, tagHTTPStatusMsg, keyHTTPStatusV0, keyHTTPStatusV1,
		tagTraceState, tagScopeName, tagScopeVersion, logEventName, processHostname, processHostName, processJaegerVers,
		exporterVersion, "service.name", "a", "b"}
	strs := []string{"", "client", "server", "producer", "consumer", "internal", "OK", "ok", "ERROR", "Error", "x", "200", "404", "500", "abc"}
	ints := []int64{0, 99, 100, 200, 398, 399, 404, 499, 500, 600, -1}
	tag := func() jmodel.KeyValue {
		key := keys[pick(len(keys))]
		switch pick(6) {
		case 0:
			return jmodel.Bool(key, pick(2) == 0)
		case 1:
			return jmodel.Int64(key, ints[pick(len(ints))])
		case 2:
			return jmodel.Float64(key, []float64{0, 1.5, math.Inf(-1)}[pick(3)])
		case 3:
			return jmodel.Binary(key, [][]byte{nil, {}, {1, 2}}[pick(3)])
		}
		return jmodel.String(key, strs[pick(len(strs))])
	}
	tags := func(n int) []jmodel.KeyValue {
		if n == 0 && pick(2) == 0 {
			return nil
		}
		out := []jmodel.KeyValue{}
		for range n {
			out = append(out, tag())
		}
		return out
	}
	var procs []*jmodel.Process
	for range 1 + pick(3) {
		var p *jmodel.Process
		if pick(6) > 0 {
			p = &jmodel.Process{ServiceName: []string{"", "svc", noServiceName}[pick(3)], Tags: tags(pick(5))}
		}
		procs = append(procs, p)
	}
	g := &group{}
	start := time.Unix(1700000000, 0).UTC()
	for range 1 + pick(6) {
		tid := jmodel.TraceID{Low: uint64(1 + pick(2))}
		s := &jmodel.Span{TraceID: tid, SpanID: jmodel.SpanID(1 + pick(5)), OperationName: "op",
			StartTime: start.Add(time.Duration(pick(1000)) * time.Microsecond), Duration: time.Duration(pick(1000)) * time.Microsecond,
			Tags: tags(pick(7))}
		for range pick(4) {
			ref := jmodel.SpanRef{TraceID: tid, SpanID: jmodel.SpanID(1 + pick(5)), RefType: jmodel.SpanRefType(pick(2))}
			if pick(4) == 0 {
				ref.TraceID = jmodel.TraceID{Low: 7}
			}
			s.References = append(s.References, ref)
		}
		for range pick(3) {
			s.Logs = append(s.Logs, jmodel.Log{Timestamp: start.Add(time.Duration(pick(1000)) * time.Microsecond), Fields: tags(pick(4))})
		}
		g.add(procs[pick(len(procs))], s)
	}
	return g
}

// direct gives what the translator gives, on random spans.
func TestDirectRandomAsTranslator(t *testing.T) {
	for seed := range uint64(5000) {
		got, ok := randomGroup(seed).direct()
		if !ok {
			t.Fatalf("seed %d: declined", seed)
		}
		want, err := randomGroup(seed).translate()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual([]model.ResourceSpans(want), got) {
			t.Fatalf("seed %d: differs (-translated +direct):\n%s", seed, cmp.Diff([]model.ResourceSpans(want), got))
		}
	}
}

// Whatever the input, direct and the translator emit the same batches and
// DecodeJSON fails as it did.
func FuzzDirectAsTranslator(f *testing.F) {
	addFixtures(f)
	f.Add([]byte(`{"data":[{"traceID":"1","spans":[{"spanID":"1","tags":[{"key":"error","type":"bool","value":true},{"key":"http.status_code","type":"int64","value":404},{"key":"span.kind","value":"client"}],"logs":[{"timestamp":5,"fields":[{"key":"event","value":"x"}]}],"references":[{"refType":"FOLLOWS_FROM","spanID":"2"}],"processID":"p"}],"processes":{"p":{"serviceName":"s","tags":[{"key":"hostname","value":"h"},{"key":"jaeger.version","value":"1"}]}}}]}`))
	codectest.BoundFuzz(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > codectest.MaxFuzzInput {
			t.Skip("input past MaxFuzzInput")
		}
		var got, want []codec.Batch
		_, gotErr := decodeJSON("fuzz.json", bytes.NewReader(in), func(b codec.Batch) error { got = append(got, b); return nil }, reference{})
		_, wantErr := decodeJSON("fuzz.json", bytes.NewReader(in), func(b codec.Batch) error { want = append(want, b); return nil }, reference{translated: true})
		if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Fatalf("error %v, translated %v", gotErr, wantErr)
		}
		// cmp, not reflect: NaN tag values are equal here.
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("batches differ (-translated +direct):\n%s", d)
		}
	})
}

// Batches do not share resource attributes, nor the bytes of binary ones,
// though their traces share processes: whoever takes a batch may change
// them (redact does, in place).
func TestBatchesOwnResources(t *testing.T) {
	in := strings.ReplaceAll(manyTraces(50, 3), `"serviceName":"back"}`, `"serviceName":"back","tags":[{"key":"b","type":"binary","value":"AQI="}]}`)
	var batches []codec.Batch
	if err := DecodeJSON("in.json", strings.NewReader(in), func(b codec.Batch) error { batches = append(batches, b); return nil }); err != nil {
		t.Fatal(err)
	}
	attrOwner, bytesOwner := map[*model.Attribute]int{}, map[*byte]int{}
	binary := 0
	for i, b := range batches {
		for _, rs := range b {
			for k := range rs.Resource.Attributes {
				a := &rs.Resource.Attributes[k]
				if j, ok := attrOwner[a]; ok && j != i {
					t.Fatalf("batches %d and %d share a resource's attributes", j, i)
				}
				attrOwner[a] = i
				if a.Value.Type == model.ValueBytes {
					binary++
					p := &a.Value.Bytes()[0]
					if j, ok := bytesOwner[p]; ok && j != i {
						t.Fatalf("batches %d and %d share the bytes of %q", j, i, a.Key)
					}
					bytesOwner[p] = i
				}
			}
		}
	}
	if len(batches) != 50 || binary != 50 {
		t.Fatalf("%d batches, %d binary attributes; want 50 of each", len(batches), binary)
	}
}
