package otlp

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracectl/tracectl/codec"
)

// TestDecodeProtoChunks: a message decoded a few fields at a time emits
// the same resource spans, in the same order, as decoded whole; errors and
// the UTF-8 warning name the resource by its index in the whole message.
func TestDecodeProtoChunks(t *testing.T) {
	td := ptrace.NewTraces()
	for i := range 200 {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", fmt.Sprintf("svc-%d", i%7))
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName("lib")
		for j := range 1 + i%5 {
			sp := ss.Spans().AppendEmpty()
			sp.SetTraceID(pcommon.TraceID{byte(i), byte(i >> 8), 1})
			sp.SetSpanID(pcommon.SpanID{byte(j + 1), byte(i), byte(i >> 8)})
			sp.SetName(fmt.Sprintf("op-%d", j))
			sp.SetStartTimestamp(pcommon.Timestamp(1e18 + i*1000 + j))
			sp.SetEndTimestamp(pcommon.Timestamp(1e18 + i*1000 + j + 500))
			sp.Attributes().PutInt("n", int64(i*j))
			sp.Attributes().PutStr("http.route", strings.Repeat("/x", j))
		}
	}
	td.ResourceSpans().At(150).ScopeSpans().At(0).Spans().At(0).SetName("bad \xff name")
	td.ResourceSpans().At(170).ScopeSpans().At(0).Spans().At(0).SetName("also \xfe bad")
	pb, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	decode := func(chunk int) (codec.Batch, int) {
		t.Helper()
		var all codec.Batch
		batches := 0
		wr := &codec.WarnReader{Reader: bytes.NewReader(pb)}
		if err := ProtoDecoder(chunk)("f.pb", wr, func(b codec.Batch) error {
			all = append(all, b...)
			batches++
			return nil
		}); err != nil {
			t.Fatalf("chunk %d: %v", chunk, err)
		}
		if len(wr.Warnings) != 1 || !strings.Contains(wr.Warnings[0].Error(), "$.resourceSpans[150].scopeSpans[0].spans[0].name: 2 bytes of invalid UTF-8") {
			t.Errorf("chunk %d: warnings %v, want one for both bad bytes naming resource 150", chunk, wr.Warnings)
		}
		return all, batches
	}
	whole, n := decode(len(pb))
	if n != 1 || len(whole) != td.ResourceSpans().Len() {
		t.Fatalf("whole: %d batches of %d resources, want 1 of %d", n, len(whole), td.ResourceSpans().Len())
	}
	for _, chunk := range []int{1, 4 << 10} {
		got, n := decode(chunk)
		if n < 2 {
			t.Errorf("chunk %d: %d batches, want several", chunk, n)
		}
		if diff := cmp.Diff(whole, got); diff != "" {
			t.Errorf("chunk %d: differs from the whole message:\n%s", chunk, diff)
		}
	}

	// A bad span in resource 120 is named as such, whatever the chunking.
	td.ResourceSpans().At(120).ScopeSpans().At(0).Spans().At(0).SetTraceID(pcommon.TraceID{})
	pb, err = (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	for _, chunk := range []int{len(pb), 1, 4 << 10} {
		err := ProtoDecoder(chunk)("f.pb", bytes.NewReader(pb), func(codec.Batch) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "$.resourceSpans[120].scopeSpans[0].spans[0].traceId") {
			t.Errorf("chunk %d: err = %v, want the path of resource 120", chunk, err)
		}
	}

	// The message is read as it is decoded: the first batch goes out
	// before the input is read to its end (memory follows the chunk, not
	// the file), and a file cut in its last field emits what came before
	// it, then names the cut field's offset.
	td.ResourceSpans().At(120).ScopeSpans().At(0).Spans().At(0).SetTraceID(pcommon.TraceID{120, 0, 1})
	if pb, err = (&ptrace.ProtoMarshaler{}).MarshalTraces(td); err != nil {
		t.Fatal(err)
	}
	decode4k := ProtoDecoder(4 << 10)
	in := &countingReader{r: bytes.NewReader(pb)}
	readAtFirst := -1
	_ = decode4k("f.pb", in, func(codec.Batch) error {
		if readAtFirst < 0 {
			readAtFirst = in.n
		}
		return nil
	})
	if readAtFirst < 0 || readAtFirst > len(pb)/4 {
		t.Errorf("first batch emitted after %d of %d bytes were read, want early", readAtFirst, len(pb))
	}
	fr := fieldReader{r: bufio.NewReader(bytes.NewReader(pb))}
	lastField := int64(0) // the offset of the last top-level field
	for {
		off := fr.off
		h, err := fr.header()
		if err != nil {
			break
		}
		lastField = off
		if _, err := fr.payload(nil, h); err != nil {
			t.Fatal(err)
		}
	}
	emitted := 0
	err = decode4k("f.pb", bytes.NewReader(pb[:len(pb)-1]), func(b codec.Batch) error { emitted += len(b); return nil })
	want := fmt.Sprintf("f.pb: byte %d: invalid OTLP protobuf: field 1: length", lastField)
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "bytes left; truncated?)") || emitted == 0 {
		t.Errorf("cut file: %v after %d resources emitted, want %q… after some", err, emitted, want)
	}
}

// countingReader counts the bytes read through it, handing out at most
// 1 KiB per read.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p[:min(len(p), 1<<10)]) // as a pipe would, a little at a time
	c.n += n
	return n, err
}

func TestRebasePath(t *testing.T) {
	for _, tc := range []struct {
		path string
		base int
		want string
	}{
		{"$.resourceSpans[3].scopeSpans[0].spans[1].name", 10, "$.resourceSpans[13].scopeSpans[0].spans[1].name"},
		{"$.resourceSpans[0]", 0, "$.resourceSpans[0]"},
		{"$.other[1]", 5, "$.other[1]"},
		{"$.resourceSpans[x]", 5, "$.resourceSpans[x]"},
	} {
		if got := rebasePath(tc.path, tc.base); got != tc.want {
			t.Errorf("rebasePath(%q, %d) = %q, want %q", tc.path, tc.base, got, tc.want)
		}
	}
}
