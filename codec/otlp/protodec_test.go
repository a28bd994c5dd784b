package otlp

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/internal/codectest"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/intern"
	"github.com/tracectl/tracectl/model"
)

// pdataChunk is how DecodeProto decoded a chunk before protoDecoder:
// pdata's ProtoUnmarshaler, then FromPdata. Tests keep it as the
// reference.
func pdataChunk(data []byte) ([]model.ResourceSpans, error) {
	td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(data)
	if err != nil {
		return nil, err
	}
	return FromPdata(td), nil
}

// strictValue compares values as reflect.DeepEqual would (a nil payload
// differs from an empty one) except that doubles compare bit for bit, so
// NaN equals NaN. It stands in for Value.Equal, which cmp would use.
func strictValue(a, b model.Value) bool {
	if a.Type != b.Type || a.Str != b.Str || a.Int != b.Int || a.Bool != b.Bool ||
		math.Float64bits(a.Double) != math.Float64bits(b.Double) {
		return false
	}
	ab, bb := a.Bytes(), b.Bytes()
	aa, ba := a.Array(), b.Array()
	am, bm := a.Map(), b.Map()
	if (ab == nil) != (bb == nil) || !bytes.Equal(ab, bb) ||
		(aa == nil) != (ba == nil) || len(aa) != len(ba) ||
		(am == nil) != (bm == nil) || len(am) != len(bm) {
		return false
	}
	for i := range aa {
		if !strictValue(aa[i], ba[i]) {
			return false
		}
	}
	for i := range am {
		if am[i].Key != bm[i].Key || !strictValue(am[i].Value, bm[i].Value) {
			return false
		}
	}
	return true
}

// diffPdata decodes data with a fresh protoDecoder and with pdata and
// FromPdata, and describes how they differ ("" if they agree): whether
// they accept it, whether both blame nesting depth, and what they decode.
// It decodes a second time with the same decoder, to catch state left
// over from the first.
func diffPdata(data []byte) string {
	want, wantErr := pdataChunk(data)
	d := newProtoDecoder()
	for pass := range 2 {
		got, err := d.traces(data)
		switch {
		case (err == nil) != (wantErr == nil):
			return fmt.Sprintf("pass %d: error %v, pdata's %v", pass, err, wantErr)
		case err != nil:
			if errors.Is(err, errRecursionDepth) != strings.Contains(wantErr.Error(), "exceeded max recursion depth") {
				return fmt.Sprintf("pass %d: error %v, pdata's %v", pass, err, wantErr)
			}
		case reflect.DeepEqual(want, got):
			// The same (and fast); cmp is for NaNs and for saying how not.
		default:
			if diff := cmp.Diff(want, got, cmp.Comparer(strictValue)); diff != "" {
				return fmt.Sprintf("pass %d: decoded differently (-pdata +direct):\n%s", pass, diff)
			}
		}
	}
	return ""
}

// protoInputs returns every OTLP protobuf input the tests have, by name:
// the protobuf fixture; each JSON and YAML fixture pdata or tracectl
// reads, marshaled by pdata's ProtoMarshaler; and nesting bombs around
// pdata's recursion limit.
func protoInputs(tb testing.TB) map[string][]byte {
	tb.Helper()
	in := map[string][]byte{}
	root := fixtures.Root(tb)
	marshal := func(td ptrace.Traces) []byte {
		b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		switch filepath.Ext(path) {
		case ".protobuf-bin":
			in[rel] = data
		case ".json", ".yaml":
			if td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(data); err == nil && td.SpanCount() > 0 {
				in[rel+" (pdata JSON)"] = marshal(td)
			}
			dec := DecodeJSON
			if filepath.Ext(path) == ".yaml" {
				dec = DecodeYAML
			}
			td := ptrace.NewTraces()
			if err := dec(rel, bytes.NewReader(data), func(b codec.Batch) error {
				for i := range b {
					AppendResourceSpans(td, &b[i])
				}
				return nil
			}); err == nil && td.SpanCount() > 0 {
				in[rel+" (tracectl)"] = marshal(td)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	for _, depth := range []int{1, 32, 33, 34, 48, 49, 50, 51, 100} {
		in[fmt.Sprintf("ProtoNested(%d)", depth)] = codectest.ProtoNested(depth)
	}
	return in
}

// TestDecodeProtoMatchesPdata: on every fixture, the direct decoder
// gives what pdata and FromPdata give.
func TestDecodeProtoMatchesPdata(t *testing.T) {
	in := protoInputs(t)
	if len(in) < 40 {
		t.Fatalf("only %d protobuf inputs", len(in))
	}
	for name, data := range in {
		if diff := diffPdata(data); diff != "" {
			t.Errorf("%s: %s", name, diff)
		}
	}
}

// pb builds protobuf messages for the edge cases.
type pb []byte

func (m pb) bytes(num int, v []byte) pb {
	return protowire.AppendBytes(protowire.AppendTag(m, protowire.Number(num), protowire.BytesType), v)
}
func (m pb) str(num int, s string) pb { return m.bytes(num, []byte(s)) }
func (m pb) varint(num int, v uint64) pb {
	return protowire.AppendVarint(protowire.AppendTag(m, protowire.Number(num), protowire.VarintType), v)
}
func (m pb) fixed64(num int, v uint64) pb {
	return protowire.AppendFixed64(protowire.AppendTag(m, protowire.Number(num), protowire.Fixed64Type), v)
}
func (m pb) fixed32(num int, v uint32) pb {
	return protowire.AppendFixed32(protowire.AppendTag(m, protowire.Number(num), protowire.Fixed32Type), v)
}
func (m pb) raw(b ...byte) pb { return append(m, b...) }

// rawTag appends a tag with any field number and wire type, even ones
// protowire would not write.
func (m pb) rawTag(num uint64, typ int) pb { return protowire.AppendVarint(m, num<<3|uint64(typ)) }

var tid = bytes.Repeat([]byte{1}, 16)

// spanReq wraps span fields in a request.
func spanReq(span pb) []byte {
	return pb(nil).bytes(1, pb(nil).bytes(2, pb(nil).bytes(2, span)))
}

// attrReq is a request with one span whose attribute has value v.
func attrReq(v pb) []byte {
	return spanReq(pb(nil).bytes(1, tid).bytes(9, pb(nil).str(1, "k").bytes(2, v)))
}

// protoEdgeCases are malformed and unusual messages, and whether pdata
// accepts them.
func protoEdgeCases() []protoEdgeCase {
	span := pb(nil).bytes(1, tid).str(5, "op")
	span = span[:len(span):len(span)] // each case appends its own copy
	return []protoEdgeCase{
		{"plain", spanReq(span), true},
		{"trace ID of 15 bytes", spanReq(pb(nil).bytes(1, tid[:15])), false},
		{"trace ID of 17 bytes", spanReq(pb(nil).bytes(1, append(tid, 1))), false},
		{"empty trace ID after one", spanReq(span.bytes(1, nil)), true},
		{"span ID of 9 bytes", spanReq(span.bytes(2, make([]byte, 9))), false},
		{"parent span ID of 8", spanReq(span.bytes(4, []byte("12345678"))), true},
		{"link span ID of 7 bytes", spanReq(span.bytes(13, pb(nil).bytes(2, make([]byte, 7)))), false},
		{"link flags varint", spanReq(span.bytes(13, pb(nil).varint(6, 1))), false},
		{"link flags fixed32", spanReq(span.bytes(13, pb(nil).fixed32(6, 1).str(3, "ts").bytes(4, pb(nil).str(1, "a")))), true},
		{"kind as bytes", spanReq(span.str(6, "x")), false},
		{"kind past int32", spanReq(span.varint(6, 1<<40|3)), true},
		{"name twice", spanReq(span.str(5, "second")), true},
		{"start as varint", spanReq(span.varint(7, 1)), false},
		{"start truncated", spanReq(span.raw(7<<3|1).raw(1, 2, 3)), false},
		{"flags as fixed64", spanReq(span.fixed64(16, 1)), false},
		{"flags", spanReq(span.fixed32(16, 1)), true},
		{"status twice", spanReq(span.bytes(15, pb(nil).varint(3, 2).str(2, "m")).bytes(15, pb(nil).varint(3, 1))), true},
		{"status code as bytes", spanReq(span.bytes(15, pb(nil).str(3, "x"))), false},
		{"status field 1 skipped", spanReq(span.bytes(15, pb(nil).varint(1, 7))), true},
		{"dropped counts past uint32", spanReq(span.varint(10, 1<<33|5).varint(12, 1<<32).varint(14, math.MaxUint64)), true},
		{"events and links", spanReq(span.bytes(11, pb(nil).fixed64(1, 9).str(2, "ev").bytes(3, pb(nil).str(1, "a")).varint(4, 2)).bytes(11, nil).bytes(13, pb(nil).bytes(1, tid).bytes(2, []byte("abcdefgh")))), true},
		{"event time as fixed32", spanReq(span.bytes(11, pb(nil).fixed32(1, 9))), false},
		{"unknown fields of each type", spanReq(span.varint(99, 1).fixed64(98, 1).fixed32(97, 1).str(96, "x")), true},
		{"wire type 6", spanReq(span.rawTag(99, 6)), false},
		{"wire type 7", spanReq(span.rawTag(99, 7).raw(0)), false},
		{"empty group at the end", spanReq(span.rawTag(99, 3).rawTag(99, 4)), false}, // pdata wants more after the end tag
		{"empty group", spanReq(span.rawTag(99, 3).rawTag(99, 4).str(5, "after")), true},
		{"nested groups", spanReq(span.rawTag(99, 3).rawTag(98, 3).rawTag(98, 4).rawTag(99, 4).str(5, "after")), true},
		{"group mismatched end", spanReq(span.rawTag(99, 3).rawTag(7, 4).varint(6, 1)), true},
		{"group with a varint", spanReq(span.rawTag(99, 3).varint(1, 1).rawTag(99, 4)), false},
		{"group with a varint, end tag known", spanReq(span.rawTag(99, 3).varint(1, 1).rawTag(6, 4)), false},
		{"group with a varint, then the end", spanReq(span.rawTag(99, 3).varint(1, 1)), true},
		{"unclosed group", spanReq(span.rawTag(99, 3)), false},
		{"end group alone", spanReq(span.rawTag(99, 4)), false},
		{"field 0", spanReq(span.rawTag(0, 0).raw(0)), false},
		{"field 2^31", spanReq(span.rawTag(1<<31, 0).raw(0)), false},
		{"field 2^32+5 is name", spanReq(span.rawTag(1<<32|5, 2).raw(1, 'n')), true},
		{"field 2^32+6 is kind, as bytes", spanReq(span.rawTag(1<<32|6, 2).raw(0)), false},
		{"10-byte varint", spanReq(span.raw(6<<3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)), true},
		{"11-byte varint", spanReq(span.raw(6<<3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)), false},
		{"truncated varint", spanReq(span.raw(6<<3, 0xff)), false},
		{"length past the end", spanReq(span.raw(5<<3|2, 5, 'a')), false},
		{"huge length", spanReq(span.raw(5<<3|2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)), false},
		{"resource twice", pb(nil).bytes(1, pb(nil).bytes(1, pb(nil).bytes(1, pb(nil).str(1, "a")).varint(2, 3)).bytes(1, pb(nil).bytes(1, pb(nil).str(1, "b"))).bytes(2, pb(nil).bytes(2, span))), true},
		{"resource entity refs", pb(nil).bytes(1, pb(nil).bytes(1, pb(nil).bytes(3, pb(nil).str(1, "u").str(2, "t").str(3, "k").str(4, "d").varint(5, 1))).bytes(2, pb(nil).bytes(2, span))), true},
		{"entity ref type as varint", pb(nil).bytes(1, pb(nil).bytes(1, pb(nil).bytes(3, pb(nil).varint(2, 1)))), false},
		{"scope twice", pb(nil).bytes(1, pb(nil).bytes(2, pb(nil).bytes(1, pb(nil).str(1, "n").bytes(3, pb(nil).str(1, "a"))).bytes(1, pb(nil).str(2, "v").varint(4, 1)).bytes(2, span))), true},
		{"scope version as varint", pb(nil).bytes(1, pb(nil).bytes(2, pb(nil).bytes(1, pb(nil).varint(2, 1)))), false},
		{"schema URLs", pb(nil).bytes(1, pb(nil).str(3, "u").bytes(2, pb(nil).str(3, "u").bytes(2, span))), true},
		{"schema URL as varint", pb(nil).bytes(1, pb(nil).varint(3, 1)), false},
		{"empty scopes and resources", pb(nil).bytes(1, nil).bytes(1, pb(nil).bytes(2, nil)), true},
		{"deprecated scope spans only", pb(nil).bytes(1, pb(nil).bytes(1000, pb(nil).bytes(2, span))), true},
		{"deprecated scope spans beside new", pb(nil).bytes(1, pb(nil).bytes(1000, pb(nil).bytes(2, span)).bytes(2, pb(nil).bytes(2, span))), true},
		{"deprecated scope spans, bad span", pb(nil).bytes(1, pb(nil).bytes(1000, pb(nil).bytes(2, pb(nil).bytes(1, tid[:3])))), false},
		{"resource spans as varint", pb(nil).varint(1, 1), false},
		{"unknown top-level field", pb(nil).varint(2, 1).bytes(1, pb(nil).bytes(2, pb(nil).bytes(2, span))), true},
		{"string value", attrReq(pb(nil).str(1, "s")), true},
		{"string then int", attrReq(pb(nil).str(1, "s").varint(3, 7)), true},
		{"bool, double", attrReq(pb(nil).varint(2, 2).fixed64(4, math.Float64bits(math.NaN()))), true},
		{"double as varint", attrReq(pb(nil).varint(4, 1)), false},
		{"int as fixed64", attrReq(pb(nil).fixed64(3, 1)), false},
		{"empty bytes", attrReq(pb(nil).bytes(7, nil)), true},
		{"bytes", attrReq(pb(nil).bytes(7, []byte{0, 1})), true},
		{"empty array", attrReq(pb(nil).bytes(5, nil)), true},
		{"empty kvlist", attrReq(pb(nil).bytes(6, nil)), true},
		{"array of everything", attrReq(pb(nil).bytes(5, pb(nil).bytes(1, nil).bytes(1, pb(nil).str(1, "x")).bytes(1, pb(nil).bytes(5, nil)).bytes(1, pb(nil).bytes(6, pb(nil).bytes(1, pb(nil).str(1, "k")))).varint(2, 1))), true},
		{"array element as varint", attrReq(pb(nil).bytes(5, pb(nil).varint(1, 1))), false},
		{"kvlist entry as varint", attrReq(pb(nil).bytes(6, pb(nil).varint(1, 1))), false},
		{"array twice", attrReq(pb(nil).bytes(5, pb(nil).bytes(1, pb(nil).str(1, "a"))).bytes(5, pb(nil).bytes(1, pb(nil).str(1, "b")))), true},
		{"strindex", attrReq(pb(nil).str(1, "s").varint(8, 3)), true},
		{"strindex as bytes", attrReq(pb(nil).str(8, "s")), false},
		{"no value", spanReq(pb(nil).bytes(1, tid).bytes(9, pb(nil).str(1, "k"))), true},
		{"value twice, second empty", spanReq(pb(nil).bytes(1, tid).bytes(9, pb(nil).str(1, "k").bytes(2, pb(nil).str(1, "s")).bytes(2, nil))), true},
		{"key strindex", spanReq(pb(nil).bytes(1, tid).bytes(9, pb(nil).str(1, "k").varint(3, 1))), true},
		{"key strindex as bytes", spanReq(pb(nil).bytes(1, tid).bytes(9, pb(nil).str(3, "k"))), false},
		{"key as varint", spanReq(pb(nil).bytes(1, tid).bytes(9, pb(nil).varint(1, 1))), false},
		{"duplicate keys", spanReq(pb(nil).bytes(1, tid).bytes(9, pb(nil).str(1, "k")).bytes(9, pb(nil).str(1, "k").bytes(2, pb(nil).varint(3, 1)))), true},
		{"invalid UTF-8", spanReq(pb(nil).bytes(1, tid).str(5, "a\xffb")), true},
	}
}

type protoEdgeCase struct {
	name string
	in   []byte
	ok   bool
}

// TestDecodeProtoEdgeCases: malformed and unusual messages are accepted
// or rejected as pdata accepts or rejects them, and decode the same.
func TestDecodeProtoEdgeCases(t *testing.T) {
	for _, tc := range protoEdgeCases() {
		t.Run(tc.name, func(t *testing.T) {
			if diff := diffPdata(tc.in); diff != "" {
				t.Fatal(diff)
			}
			if _, err := newProtoDecoder().traces(tc.in); (err == nil) != tc.ok {
				t.Errorf("err = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

// Errors say where in the message they are; the nesting-depth error
// reads as it did when pdata decoded.
func TestDecodeProtoErrorWording(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{codectest.ProtoNested(50), "f.pb: invalid OTLP protobuf: attribute values nested deeper than the OpenTelemetry Collector accepts " +
			"(100 nested AnyValue, ArrayValue, KeyValueList and KeyValue messages: about 50 nested arrays or 33 nested maps): proto: exceeded max recursion depth"},
		{spanReq(pb(nil).bytes(1, tid[:15])), "f.pb: $.resourceSpans[0].scopeSpans[0].spans[0]: invalid OTLP protobuf: trace ID of 15 bytes, want 16"},
		{attrReq(pb(nil).varint(4, 1)), "f.pb: $.resourceSpans[0].scopeSpans[0].spans[0].attributes[0]: invalid OTLP protobuf: field 4 has wire type 0, want 1"},
		{pb(nil).bytes(1, pb(nil).bytes(2, pb(nil).bytes(1, pb(nil).varint(2, 1)))), "f.pb: $.resourceSpans[0].scopeSpans[0].scope: invalid OTLP protobuf: field 2 has wire type 0, want 2"},
	} {
		err := DecodeProto("f.pb", bytes.NewReader(tc.in), func(codec.Batch) error { return nil })
		if err == nil || err.Error() != tc.want {
			t.Errorf("err = %v\nwant  %s", err, tc.want)
		}
	}
	if err := DecodeProto("ok.pb", bytes.NewReader(codectest.ProtoNested(49)), func(codec.Batch) error { return nil }); err != nil {
		t.Errorf("49 nested arrays: %v", err)
	}

	// Decoded a resource at a time, the path still counts from the
	// start of the message.
	good := pb(nil).bytes(1, pb(nil).bytes(2, pb(nil).bytes(2, pb(nil).bytes(1, tid))))
	bad := pb(nil).bytes(1, pb(nil).bytes(2, pb(nil).bytes(2, pb(nil).bytes(1, tid).bytes(13, pb(nil).bytes(2, []byte{1})))))
	in := append(bytes.Repeat(good, 5), bad...)
	for _, chunk := range []int{len(in), 1} {
		err := ProtoDecoder(chunk)("f.pb", bytes.NewReader(in), func(codec.Batch) error { return nil })
		want := "f.pb: $.resourceSpans[5].scopeSpans[0].spans[0].links[0]: invalid OTLP protobuf: span ID of 1 byte, want 8"
		if err == nil || err.Error() != want {
			t.Errorf("chunk %d: err = %v\nwant  %s", chunk, err, want)
		}
	}
}

// The decoded spans share no memory with the input, which may be reused.
func TestDecodeProtoCopies(t *testing.T) {
	in := spanReq(pb(nil).bytes(1, tid).str(5, "name").str(3, "state").
		bytes(9, pb(nil).str(1, "key").bytes(2, pb(nil).bytes(7, []byte("bytes")))).
		bytes(9, pb(nil).str(1, "long").bytes(2, pb(nil).str(1, strings.Repeat("x", intern.MaxLen+1)))))
	got, err := newProtoDecoder().traces(in)
	if err != nil {
		t.Fatal(err)
	}
	want, err := pdataChunk(bytes.Clone(in))
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		in[i] = 0
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(strictValue)); diff != "" {
		t.Errorf("decoded spans changed with the input (-want +got):\n%s", diff)
	}
}
