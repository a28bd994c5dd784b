package spill

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tracectl/tracectl/codec/input"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/intern"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
)

var equal = cmp.Options{cmpopts.EquateEmpty(), cmpopts.EquateNaNs()}

// everyField is a trace that sets every field of the model, with every
// value type, nesting and edge values.
func everyField() *model.Trace {
	values := []model.Attribute{
		model.Str("str", "v"), model.Str("empty.str", ""), model.Int("int", math.MinInt64),
		model.Double("double", -3.25), model.Double("nan", math.NaN()), model.Double("inf", math.Inf(1)),
		model.Bool("true", true), model.Bool("false", false),
		{Key: "bytes", Value: model.BytesValue([]byte{0, 1, 0xff})},
		{Key: "empty", Value: model.Value{}},
		{Key: "arr", Value: model.ArrayValue(model.StringValue("a"), model.IntValue(7), model.ArrayValue(model.BoolValue(true)))},
		{Key: "arr.empty", Value: model.ArrayValue()},
		{Key: "map", Value: model.MapValue(model.Str("k", "v"), model.Attribute{Key: "inner", Value: model.MapValue(model.Int("i", 1))})},
		model.Str("long", string(bytes.Repeat([]byte("x"), 300))),
	}
	tid := model.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	return &model.Trace{TraceID: tid, ResourceSpans: []model.ResourceSpans{{
		Resource: model.Resource{Attributes: append([]model.Attribute{model.Str("service.name", "svc")}, values...), DroppedAttributesCount: 3},
		ScopeSpans: []model.ScopeSpans{{
			Scope: model.Scope{Name: "lib", Version: "1.2", Attributes: values, DroppedAttributesCount: 1},
			Spans: []model.Span{{
				TraceID: tid, SpanID: model.SpanID{1}, ParentSpanID: model.SpanID{2}, TraceState: "a=b",
				Name: "op", Kind: model.KindClient, StartTimeUnixNano: 1, EndTimeUnixNano: math.MaxUint64,
				Attributes: values, DroppedAttributesCount: 4,
				Events:             []model.Event{{TimeUnixNano: 5, Name: "exception", Attributes: values, DroppedAttributesCount: 2}},
				DroppedEventsCount: 6,
				Links:              []model.Link{{TraceID: model.TraceID{9}, SpanID: model.SpanID{8}, TraceState: "x=y", Attributes: values, DroppedAttributesCount: 7}},
				DroppedLinksCount:  8,
				Status:             model.Status{Code: model.StatusError, Message: "boom"},
				NestedSetLeft:      1, NestedSetRight: 2, ParentIndex: -1,
			}, {TraceID: tid, SpanID: model.SpanID{2}, Name: "root"}},
		}, {Scope: model.Scope{}}},
	}, {}}}
}

// TestRoundTrip writes traces to a spill file and reads them back equal:
// a trace setting every field, and every trace of the shared fixtures.
func TestRoundTrip(t *testing.T) {
	fixtureTraces, err := input.DecodeTraces(context.Background(), []string{fixtures.Root(t)}, input.Options{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(fixtureTraces) < 50 {
		t.Fatalf("only %d fixture traces", len(fixtureTraces))
	}
	for _, tc := range []struct {
		name   string
		traces []*model.Trace
	}{
		{"every field", []*model.Trace{everyField()}},
		{"fixtures", fixtureTraces},
		{"none", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "run")
			if err := Write(path, tc.traces); err != nil {
				t.Fatal(err)
			}
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := store.Collect(r)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.traces, got, equal); diff != "" {
				t.Fatalf("read back differs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCorruptFile reports a damaged spill file as an error naming it.
func TestCorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run")
	if err := Write(path, []*model.Trace{everyField(), everyField()}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for r.Next() {
	}
	if r.Err() == nil || !bytes.Contains([]byte(r.Err().Error()), []byte(path)) {
		t.Fatalf("truncated file: err %v, want an error naming %s", r.Err(), path)
	}
}

// TestFormatStable pins the encoding of everyField: spill files written by
// one build are read by the same build only, but a change of the record
// format should be deliberate (the hash was taken before model.Value moved
// bytes, arrays and maps behind a pointer, and must not have changed).
func TestFormatStable(t *testing.T) {
	const want = "b790e677bc6d02b3ee3a6b9570047c067873bbf05eed1e3a2fa2c08df75cabd1"
	rec := appendTrace(nil, everyField())
	if got := fmt.Sprintf("%x", sha256.Sum256(rec)); got != want {
		t.Errorf("record of everyField has sha256 %s, want %s", got, want)
	}
	var in intern.Table
	tr, err := decodeTrace(rec, &in)
	if err != nil {
		t.Fatal(err)
	}
	if again := appendTrace(nil, tr); !bytes.Equal(again, rec) {
		t.Error("decoded record encodes to other bytes")
	}
}

// FuzzDecode checks that no record makes the decoder panic or allocate
// without bound, that what it accepts encodes back to the same bytes, and
// that the spill reader's decoding (strings pointing into the record,
// attribute lists from a slab) accepts the same records and gives the same
// traces as the copying one.
func FuzzDecode(f *testing.F) {
	f.Add(appendTrace(nil, everyField()))
	f.Add(appendTrace(nil, &model.Trace{}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var in intern.Table
		tr, err := decodeTrace(data, &in)
		slab := model.AttrBlock{Size: slabAttrs}
		owned, oerr := decodeOwnedTrace(bytes.Clone(data), &slab)
		if (err == nil) != (oerr == nil) {
			t.Fatalf("copying decoder: %v, owning decoder: %v", err, oerr)
		}
		if err != nil {
			return
		}
		if diff := cmp.Diff(tr, owned, equal); diff != "" {
			t.Fatalf("owning decoder differs (-copying +owning):\n%s", diff)
		}
		again, err := decodeTrace(appendTrace(nil, tr), &in)
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if diff := cmp.Diff(tr, again, equal); diff != "" {
			t.Fatalf("re-encoded record differs:\n%s", diff)
		}
	})
}

// TestMergeDown: runs are merged adjacent, first ones first, as few at a
// time as leave fanIn, keeping their order.
func TestMergeDown(t *testing.T) {
	concat := func(rs []string) (string, error) { return "(" + strings.Join(rs, " ") + ")", nil }
	for _, tc := range []struct {
		n, fanIn int
		want     string
	}{
		{3, 4, "a b c"},
		{5, 4, "(a b) c d e"},
		{6, 3, "((a b c) d) e f"},
		{4, 1, "((a b) c) d"},
	} {
		var runs []string
		for i := range tc.n {
			runs = append(runs, string(rune('a'+i)))
		}
		got, err := MergeDown(runs, tc.fanIn, concat)
		if err != nil || strings.Join(got, " ") != tc.want {
			t.Errorf("%d runs, fan-in %d: %q (%v), want %q", tc.n, tc.fanIn, got, err, tc.want)
		}
	}
}
