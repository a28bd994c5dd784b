package otlp

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/model"
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
		// A chunk of 1 byte splits every resource spans into groups.
		if diff := cmp.Diff(joinSplit(whole), joinSplit(got)); diff != "" {
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

func TestShiftPath(t *testing.T) {
	for _, tc := range []struct {
		path         string
		rs, ss, span int
		want         string
	}{
		{"$.resourceSpans[3].scopeSpans[0].spans[1].name", 10, 0, 0, "$.resourceSpans[13].scopeSpans[0].spans[1].name"},
		{"$.resourceSpans[0].scopeSpans[0].spans[1].links[2]", 4, 2, 100, "$.resourceSpans[4].scopeSpans[2].spans[101].links[2]"},
		{"$.resourceSpans[0].scopeSpans[0].scope.name", 1, 3, 7, "$.resourceSpans[1].scopeSpans[3].scope.name"},
		{"$.resourceSpans[0].resource.attributes[2]", 5, 3, 7, "$.resourceSpans[5].resource.attributes[2]"},
		{"$.resourceSpans[0]", 0, 0, 0, "$.resourceSpans[0]"},
		{"$.other[1]", 5, 1, 1, "$.other[1]"},
		{"$.resourceSpans[x]", 5, 0, 0, "$.resourceSpans[x]"},
	} {
		if got := shiftPath(tc.path, tc.rs, tc.ss, tc.span); got != tc.want {
			t.Errorf("shiftPath(%q, %d, %d, %d) = %q, want %q", tc.path, tc.rs, tc.ss, tc.span, got, tc.want)
		}
	}
}

// TestDecodeProtoSplitsLargeResource: a resource spans larger than the
// chunk is decoded a group of spans at a time, each group a batch of its
// own, and gives the traces, warnings and errors of the whole decode.
func TestDecodeProtoSplitsLargeResource(t *testing.T) {
	td, big := largeResourceTraces(300, 300, 300)
	big.Resource().Attributes().PutInt("n", 7)
	pb, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	decode := func(chunk int, in []byte) (*model.TraceBuilder, []*model.Trace, int, []*codec.DecodeError, error) {
		b := model.NewTraceBuilder()
		batches := 0
		wr := &codec.WarnReader{Reader: bytes.NewReader(in)}
		err := ProtoDecoder(chunk)("f.pb", wr, func(batch codec.Batch) error {
			batches++
			for i := range batch {
				b.AddResourceSpans(&batch[i])
			}
			return nil
		})
		return b, b.Traces(), batches, wr.Warnings, err
	}
	_, whole, n, wholeWarn, err := decode(len(pb), pb)
	if err != nil || n != 1 {
		t.Fatalf("whole: %d batches, %v", n, err)
	}
	_, split, n, splitWarn, err := decode(4<<10, pb)
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Errorf("split: %d batches, want the big resource in many", n)
	}
	if diff := cmp.Diff(whole, split); diff != "" {
		t.Errorf("traces differ (-whole +split):\n%s", diff)
	}
	if fmt.Sprint(wholeWarn) != fmt.Sprint(splitWarn) || len(wholeWarn) != 1 {
		t.Errorf("warnings: whole %v, split %v", wholeWarn, splitWarn)
	}

	// A bad span deep in the big resource is named by its place in it.
	big.ScopeSpans().At(2).Spans().At(250).SetTraceID(pcommon.TraceID{})
	if pb, err = (&ptrace.ProtoMarshaler{}).MarshalTraces(td); err != nil {
		t.Fatal(err)
	}
	want := "f.pb: $.resourceSpans[1].scopeSpans[2].spans[250].traceId: trace ID is empty or all zeros"
	for _, chunk := range []int{len(pb), 4 << 10, 1} {
		if _, _, _, _, err := decode(chunk, pb); err == nil || err.Error() != want {
			t.Errorf("chunk %d: err = %v\nwant  %s", chunk, err, want)
		}
	}
}

// largeResourceTraces is a small resource spans followed by a large one,
// big: invalid UTF-8 in its resource, a scope without spans, then scopes
// of the given numbers of spans.
func largeResourceTraces(scopeSpans ...int) (td ptrace.Traces, big ptrace.ResourceSpans) {
	td = ptrace.NewTraces()
	small := td.ResourceSpans().AppendEmpty()
	small.Resource().Attributes().PutStr("service.name", "before")
	sp := small.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetTraceID(pcommon.TraceID{9, 9})
	sp.SetSpanID(pcommon.SpanID{9})
	big = td.ResourceSpans().AppendEmpty()
	big.Resource().Attributes().PutStr("service.name", "big \xff one")
	big.ScopeSpans().AppendEmpty() // a scope without spans stays
	for j, n := range scopeSpans {
		ss := big.ScopeSpans().AppendEmpty()
		ss.Scope().SetName(fmt.Sprintf("lib-%d \xfe", j))
		for k := range n {
			sp := ss.Spans().AppendEmpty()
			sp.SetTraceID(pcommon.TraceID{byte(k % 17), 1})
			sp.SetSpanID(pcommon.SpanID{byte(j + 1), byte(k), byte(k >> 8)})
			sp.SetName(fmt.Sprintf("op-%d", k%5))
			sp.SetStartTimestamp(pcommon.Timestamp(1e18 + k))
			sp.SetEndTimestamp(pcommon.Timestamp(1e18 + k + 500))
			sp.Attributes().PutStr("http.route", strings.Repeat("/x", k%7))
		}
	}
	return td, big
}

// largeResourceProto is largeResourceTraces(1500, 5, 700) as protobuf.
func largeResourceProto(t *testing.T) []byte {
	t.Helper()
	td, _ := largeResourceTraces(1500, 5, 700)
	in, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// joinSplit joins consecutive entries of the same resource, and their
// consecutive entries of the same scope, as a resource spans decoded in
// groups comes in several.
func joinSplit(b codec.Batch) codec.Batch {
	var out codec.Batch
	for _, rs := range b {
		if n := len(out); n > 0 && cmp.Equal(out[n-1].Resource, rs.Resource) {
			last := &out[n-1]
			for _, ss := range rs.ScopeSpans {
				if m := len(last.ScopeSpans); m > 0 && cmp.Equal(last.ScopeSpans[m-1].Scope, ss.Scope) {
					last.ScopeSpans[m-1].Spans = append(last.ScopeSpans[m-1].Spans, ss.Spans...)
				} else {
					last.ScopeSpans = append(last.ScopeSpans, ss)
				}
			}
			continue
		}
		// Appends go to copies, not to b's slices.
		rs.ScopeSpans = slices.Clone(rs.ScopeSpans)
		for i := range rs.ScopeSpans {
			rs.ScopeSpans[i].Spans = slices.Clip(rs.ScopeSpans[i].Spans)
		}
		out = append(out, rs)
	}
	return out
}

// TestDecodeProtoReadsBackLargeResource: a resource spans larger than the
// chunk, from an input that can be read again at an offset, is passed
// over and read back a group of spans at a time, never whole; the batches,
// warnings and errors are exactly those of the field held whole, with
// the resource and scopes before or after their spans, a field between
// spans, and a scope smaller than the chunk.
func TestDecodeProtoReadsBackLargeResource(t *testing.T) {
	td, big := largeResourceTraces(1500, 5, 700)
	pdataOrder, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	// The same message with every resource and scope before its spans,
	// and the third scope's name between its spans.
	reordered := reorderProto(t, pdataOrder)

	const chunk = 4 << 10
	decode := func(in []byte, at io.ReaderAt) readBackResult { return decodeReadBack(in, chunk, at, true) }
	check := func(name string, in []byte) {
		t.Helper()
		held := decode(in, nil)
		at := &maxReaderAt{r: bytes.NewReader(in)}
		if diff := quickDiff(held, decode(in, at)); diff != "" {
			t.Errorf("%s: read back differs from held (-held +back):\n%s", name, diff)
		}
		if at.max == 0 || at.max > windowBytes {
			t.Errorf("%s: largest read back %d bytes, want some, none over %d (the input is %d)", name, at.max, windowBytes, len(in))
		}
		if diff := quickDiff(held, decodeReadBack(in, chunk, nil, false)); diff != "" {
			t.Errorf("%s: spooled differs from held (-held +spooled):\n%s", name, diff)
		}
	}
	check("pdata order", pdataOrder)
	check("reordered", reordered)
	if held := decode(reordered, nil); len(held.Batches) < 20 || held.Err != "" || !strings.Contains(held.Warn, "invalid UTF-8") {
		t.Errorf("reordered: %d batches, %q, %q; want many, no error, a warning", len(held.Batches), held.Err, held.Warn)
	}

	// A bad span deep in the big resource, and a file cut inside it.
	big.ScopeSpans().At(3).Spans().At(650).SetTraceID(pcommon.TraceID{})
	bad, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	check("bad span", bad)
	if got := decode(bad, &maxReaderAt{r: bytes.NewReader(bad)}).Err; !strings.Contains(got, "$.resourceSpans[1].scopeSpans[3].spans[650].traceId") {
		t.Errorf("bad span: %q", got)
	}
	cut := pdataOrder[:len(pdataOrder)-100]
	if got := decode(cut, &maxReaderAt{r: bytes.NewReader(cut)}); got.Err == "" || got.Err != decode(cut, nil).Err {
		t.Errorf("cut: %q, want the error of the held decode", got.Err)
	}
	// An input that changed under the decoder is an error naming where.
	if got := decode(pdataOrder, &maxReaderAt{r: bytes.NewReader(pdataOrder[:len(pdataOrder)/2])}).Err; !strings.Contains(got, "reading back a large resource spans: the input ended early") {
		t.Errorf("changed input: %q", got)
	}
}

// maxReaderAt records the largest read.
type maxReaderAt struct {
	r   io.ReaderAt
	max int
}

func (m *maxReaderAt) ReadAt(p []byte, off int64) (int, error) {
	m.max = max(m.max, len(p))
	return m.r.ReadAt(p, off)
}

// reorderProto rewrites a TracesData so that each resource spans has its
// resource first, each scope spans its scope first, and the last scope
// spans has its scope between its first span and the others.
func reorderProto(t *testing.T, in []byte) []byte {
	t.Helper()
	var out []byte
	top, ok := cutMessage(in, 1, false)
	if !ok {
		t.Fatal("no resource spans")
	}
	for _, rs := range top.parts {
		res, ok := cutMessage(rs, 2, false)
		if !ok {
			t.Fatal("no scope spans")
		}
		msg := slices.Clone(res.head)
		for j, ss := range res.parts {
			scope, _ := cutMessage(ss, 2, true)
			var body []byte
			if j == len(res.parts)-1 && len(scope.parts) > 1 {
				body = append(append(append(body, scope.parts[0]...), scope.head...), slices.Concat(scope.parts[1:]...)...)
			} else {
				body = append(slices.Clone(scope.head), slices.Concat(scope.parts...)...)
			}
			msg = protowire.AppendBytes(protowire.AppendTag(msg, 2, protowire.BytesType), body)
		}
		out = protowire.AppendBytes(protowire.AppendTag(out, 1, protowire.BytesType), msg)
	}
	return out
}

// readBackResult is what a decode gave.
type readBackResult struct {
	Batches []codec.Batch
	Warn    string
	Err     string
}

// decodeReadBack decodes in chunk bytes at a time, its large resource
// spans read back from at when set, else held (hold) or spooled.
func decodeReadBack(in []byte, chunk int, at io.ReaderAt, hold bool) readBackResult {
	defer func(h bool) { holdLargeFields = h }(holdLargeFields)
	holdLargeFields = hold && at == nil
	var res readBackResult
	wr := &codec.WarnReader{Reader: bytes.NewReader(in), At: at}
	err := ProtoDecoder(chunk)("f.pb", wr, func(b codec.Batch) error {
		res.Batches = append(res.Batches, b)
		return nil
	})
	res.Warn = fmt.Sprint(wr.Warnings)
	if err != nil {
		res.Err = err.Error()
	}
	return res
}

// quickDiff is cmp.Diff, skipped when reflect.DeepEqual already finds a
// and b equal (go-cmp's walk of large batches is slow).
func quickDiff(a, b readBackResult) string {
	if reflect.DeepEqual(a, b) {
		return ""
	}
	return cmp.Diff(a, b)
}

// readBackDiff decodes data with each chunk, held, read back from the
// input through each window size, and spooled (through the first), and
// describes the first difference ("" if none).
func readBackDiff(data []byte, windows, chunks []int) string {
	defer func(w int) { windowBytes = w }(windowBytes)
	for _, chunk := range chunks {
		held := decodeReadBack(data, chunk, nil, true)
		for i, w := range windows {
			windowBytes = w
			if diff := quickDiff(held, decodeReadBack(data, chunk, bytes.NewReader(data), false)); diff != "" {
				return fmt.Sprintf("window %d, chunk %d (-held +read back):\n%s", w, chunk, diff)
			}
			if i > 0 {
				continue
			}
			if diff := quickDiff(held, decodeReadBack(data, chunk, nil, false)); diff != "" {
				return fmt.Sprintf("window %d, chunk %d (-held +spooled):\n%s", w, chunk, diff)
			}
		}
	}
	return ""
}

// TestReadBackEdgeCases: messages that are malformed, use groups or odd
// encodings inside a large resource spans or scope spans, or put a bad
// field after one, decode read back exactly as held, through windows of
// every size from 20 to 47 bytes (a window ends in every part of a span's
// tag, length and bytes) and larger ones.
func TestReadBackEdgeCases(t *testing.T) {
	span := pb(nil).bytes(1, tid).str(5, "op2").bytes(2, []byte("12345678"))
	spans := func(n int) pb {
		var m pb
		for range n {
			m = m.bytes(2, span)
		}
		return m
	}
	scope := pb(nil).bytes(1, pb(nil).str(1, "lib"))
	res := pb(nil).bytes(1, pb(nil).bytes(1, pb(nil).str(1, "k").bytes(2, pb(nil).str(1, "v"))))
	rs := func(body pb) pb { return pb(nil).bytes(1, body) }
	scopeLen := protowire.AppendVarint(nil, uint64(len(scope.raw(spans(4)...))))
	for name, data := range map[string][]byte{
		"plain":                 rs(res.bytes(2, scope.raw(spans(5)...)).bytes(2, spans(3))),
		"group in resource":     rs(res.rawTag(7, 3).varint(1, 1).rawTag(7, 4).bytes(2, scope.raw(spans(5)...))),
		"group in scope":        rs(res.bytes(2, scope.raw(spans(3)...).rawTag(9, 3).rawTag(9, 4).raw(spans(3)...))),
		"unclosed group":        rs(res.bytes(2, scope.raw(spans(3)...).rawTag(9, 3))),
		"end group in scope":    rs(res.bytes(2, scope.raw(spans(5)...).rawTag(7, 4))),
		"field 0 in resource":   rs(res.bytes(2, scope.raw(spans(5)...)).rawTag(0, 0).raw(0)),
		"field 0 in scope":      rs(res.bytes(2, scope.raw(spans(5)...).rawTag(0, 0).raw(0))),
		"field 2^32+2 in scope": rs(res.bytes(2, scope.raw(spans(3)...).rawTag(1<<32|2, 2).raw(0).raw(spans(2)...))),
		"overlong tag":          rs(res.raw(0x92, 0x80, 0x00).raw(scopeLen...).raw(scope.raw(spans(4)...)...)),
		"overlong span length":  rs(res.bytes(2, scope.raw(0x12, 0x80|byte(len(span)), 0x80, 0x80, 0x00).raw(span...).raw(spans(3)...))),
		"span field varint":     rs(res.bytes(2, scope.raw(spans(3)...).varint(2, 5).raw(spans(3)...))),
		"span field fixed":      rs(res.bytes(2, scope.raw(spans(3)...).fixed64(2, 5).fixed32(2, 1).raw(spans(3)...))),
		"scope field varint":    rs(res.varint(2, 5).bytes(2, scope.raw(spans(3)...))),
		"11-byte varint":        rs(res.bytes(2, scope.raw(spans(3)...).raw(0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01))),
		"length past end":       rs(res.bytes(2, scope.raw(spans(3)...).raw(0x12, 0x7f, 1))),
		"fixed past end":        rs(res.bytes(2, scope.raw(spans(3)...).raw(0x19, 1, 2, 3))),
		"wire type 6":           rs(res.bytes(2, scope.raw(spans(3)...).rawTag(5, 6))),
		"no scopes":             rs(res.varint(9, 1).str(3, "schema")),
		"scope without spans":   rs(res.bytes(2, scope.str(3, "u")).bytes(2, spans(4))),
		"bad span":              rs(res.bytes(2, scope.raw(spans(3)...).bytes(2, pb(nil).bytes(1, tid[:3])).raw(spans(3)...))),
		"two large":             append(rs(res.bytes(2, spans(4))), rs(res.bytes(2, scope.raw(spans(4)...)))...),
		"cut inside":            rs(res.bytes(2, scope.raw(spans(5)...)))[:60],
		"bad tag after":         append(rs(res.bytes(2, scope.raw(spans(2)...).bytes(2, pb(nil).bytes(1, tid[:3])))), 0x37, 0),
		"cut tag after":         append(rs(res.bytes(2, scope.raw(spans(4)...))), 0x8a),
		"cut field after":       append(rs(res.bytes(2, scope.raw(spans(4)...))), 0x0a, 0x40, 1, 2),
		"bad UTF-8":             rs(res.bytes(2, pb(nil).bytes(1, pb(nil).str(1, "l\xff")).raw(spans(3)...).bytes(2, pb(nil).bytes(1, tid).str(5, "x\xfe")))),
	} {
		windows := []int{64, 90, windowBytes}
		for w := 20; w < 48; w++ {
			windows = append(windows, w)
		}
		if diff := readBackDiff(data, windows, []int{1, 7, 30, 300}); diff != "" {
			t.Errorf("%s: %s", name, diff)
		}
	}
}

// TestSpoolLargeResource: a large resource spans of an input that cannot
// be read again goes through a temporary file, removed from its folder
// from the start, and decodes as held; without a usable temporary folder
// it is held.
func TestSpoolLargeResource(t *testing.T) {
	in := largeResourceProto(t)
	const chunk = 4 << 10
	held := decodeReadBack(in, chunk, nil, true)

	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	spooled := false
	wr := &codec.WarnReader{Reader: bytes.NewReader(in)}
	var got readBackResult
	err := ProtoDecoder(chunk)("f.pb", wr, func(b codec.Batch) error {
		got.Batches = append(got.Batches, b)
		fds, _ := os.ReadDir("/proc/self/fd")
		for _, fd := range fds {
			if target, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil &&
				strings.HasPrefix(target, tmp) && strings.HasSuffix(target, "(deleted)") {
				spooled = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got.Warn = fmt.Sprint(wr.Warnings)
	if diff := quickDiff(held, got); diff != "" {
		t.Errorf("spooled differs from held (-held +spooled):\n%s", diff)
	}
	if !spooled {
		t.Error("no removed temporary file was open while decoding")
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("left in the temporary folder: %v", left)
	}

	t.Setenv("TMPDIR", filepath.Join(tmp, "missing"))
	if diff := quickDiff(held, decodeReadBack(in, chunk, nil, false)); diff != "" {
		t.Errorf("without a temporary folder, differs from held:\n%s", diff)
	}
}
