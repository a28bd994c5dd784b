package jaeger

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strings"
	"testing"
	"unsafe"

	jmodel "github.com/jaegertracing/jaeger-idl/model/v1"

	"github.com/tracectl/tracectl/internal/intern"
	"github.com/tracectl/tracectl/model"
)

// plainString gives what rawString gives, for the strings it takes, and
// one string for the same text twice.
func TestPlainString(t *testing.T) {
	tests := []struct {
		raw  string
		want bool // taken (else left to rawString)
	}{
		{`"GET"`, true},
		{`""`, true},
		{`"/api/users/{id}"`, true},
		{`"tab\tescaped"`, false},
		{`"caf\u00e9"`, false},
		{`"café"`, false},
		{`12`, false},
		{`null`, false},
		{` "GET"`, false},
		{`"`, false},
	}
	var strs intern.Table
	for _, tc := range tests {
		raw := json.RawMessage(tc.raw)
		got, ok := plainString(raw, &strs)
		if ok != tc.want {
			t.Errorf("%s: taken %v, want %v", tc.raw, ok, tc.want)
			continue
		}
		if !ok {
			continue
		}
		if want := rawString(raw); got != want {
			t.Errorf("%s: %q, rawString gives %q", tc.raw, got, want)
		}
		again, _ := plainString(json.RawMessage(tc.raw), &strs)
		if len(got) > 0 && unsafe.StringData(again) != unsafe.StringData(got) {
			t.Errorf("%s: the same text read twice is two strings", tc.raw)
		}
	}
	if _, ok := plainString(json.RawMessage(`"GET"`), nil); ok {
		t.Error("taken without a table")
	}
}

// referenceUIID is what uiTraceID and uiSpanID did before they tried hex
// first (a frozen copy of the old code): hash the text when it is not 1
// to max hex digits, is not empty and is at most 256 bytes long, else
// parse it with model.ParseTraceID or ParseSpanID (which TestParseIDs
// checks against their own old code); hashed says which.
func referenceUIID(s string, max int) (trace jmodel.TraceID, span jmodel.SpanID, hashed bool, err error) {
	hex := s != "" && len(s) <= max
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			hex = false
		}
	}
	hashed = s != "" && !hex && len(s) <= 256
	switch {
	case hashed && max == 32:
		h := fnv.New128a()
		h.Write([]byte(s))
		sum := h.Sum(nil)
		trace = jmodel.TraceID{High: binary.BigEndian.Uint64(sum[:8]), Low: binary.BigEndian.Uint64(sum[8:])}
	case hashed:
		h := fnv.New64a()
		h.Write([]byte(s))
		span = jmodel.SpanID(h.Sum64())
	case max == 32:
		var id model.TraceID
		if id, err = model.ParseTraceID(s); err == nil {
			trace = jmodel.TraceID{High: binary.BigEndian.Uint64(id[:8]), Low: binary.BigEndian.Uint64(id[8:])}
		}
	default:
		var id model.SpanID
		if id, err = model.ParseSpanID(s); err == nil {
			span = jmodel.SpanID(binary.BigEndian.Uint64(id[:]))
		}
	}
	return trace, span, hashed, err
}

func checkUIIDs(t *testing.T, s string) {
	wantT, _, wantTH, wantTErr := referenceUIID(s, 32)
	gotT, gotTH, gotTErr := uiTraceID(s)
	if gotT != wantT || gotTH != wantTH || fmt.Sprint(gotTErr) != fmt.Sprint(wantTErr) {
		t.Fatalf("uiTraceID(%q) = %v, %v, %v; want %v, %v, %v", s, gotT, gotTH, gotTErr, wantT, wantTH, wantTErr)
	}
	_, wantS, wantSH, wantSErr := referenceUIID(s, 16)
	gotS, gotSH, gotSErr := uiSpanID(s)
	if gotS != wantS || gotSH != wantSH || fmt.Sprint(gotSErr) != fmt.Sprint(wantSErr) {
		t.Fatalf("uiSpanID(%q) = %v, %v, %v; want %v, %v, %v", s, gotS, gotSH, gotSErr, wantS, wantSH, wantSErr)
	}
}

var uiIDCases = []string{"", "0", "1f", "ABCdef", "trace-123", "G", " 1f", "1f ", "0123456789abcdef", "0123456789abcdef0",
	"0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef0", strings.Repeat("f", 257), strings.Repeat("x", 257),
	strings.Repeat("x", 256), strings.Repeat("x", 255), "é"}

func TestUIIDs(t *testing.T) {
	for _, s := range uiIDCases {
		checkUIIDs(t, s)
	}
}

func FuzzUIIDs(f *testing.F) {
	for _, s := range uiIDCases {
		f.Add(s)
	}
	f.Fuzz(checkUIIDs)
}
