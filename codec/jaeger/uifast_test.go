package jaeger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/internal/fixtures"
)

// uiSpansOf returns the raw span objects of the UI-format traces in data
// ({"data": [...]}, a trace, or arrays of them).
func uiSpansOf(data []byte) [][]byte {
	var out [][]byte
	var walk func(raw json.RawMessage)
	walk = func(raw json.RawMessage) {
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) == nil {
			var spans []json.RawMessage
			if json.Unmarshal(obj["spans"], &spans) == nil {
				for _, s := range spans {
					out = append(out, s)
				}
			}
			walk(obj["data"])
			return
		}
		var arr []json.RawMessage
		if json.Unmarshal(raw, &arr) == nil {
			for _, e := range arr {
				walk(e)
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			break
		}
		walk(raw)
	}
	return out
}

// checkUI reads raw with the uiReader and with encoding/json; where the
// reader accepts, encoding/json must accept and give the same uiSpan.
func checkUI(tb testing.TB, raw []byte) bool {
	tb.Helper()
	var r uiReader
	var got, want uiSpan
	if !r.span(raw, &got) {
		return false
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		tb.Fatalf("uiReader read a span encoding/json rejects (%v): %s", err, raw)
	}
	if !reflect.DeepEqual(got, want) {
		tb.Fatalf("uiReader: %+v\nencoding/json: %+v\nspan: %s", got, want, raw)
	}
	return true
}

// Every UI span of the Jaeger fixtures that the reader reads, it reads as
// encoding/json does; and it reads nearly all of them.
func TestUIReaderFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtures.Root(t), "jaeger*", "*", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	total, read := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range uiSpansOf(data) {
			total++
			if checkUI(t, raw) {
				read++
			}
		}
	}
	t.Logf("%d of %d fixture spans read without encoding/json", read, total)
	if total == 0 || read*10 < total*9 {
		t.Errorf("read %d of %d spans, want at least 90%%", read, total)
	}
}

func TestUIReaderCases(t *testing.T) {
	for _, tc := range []struct {
		span   string
		accept bool
	}{
		{`{"traceID":"a","spanID":"b","flags":1,"operationName":"op","references":[{"refType":"CHILD_OF","traceID":"a","spanID":"c"}],"startTime":1.5e3,"duration":-2,"tags":[{"key":"k","type":"int64","value":3},{"key":"n","type":"string","value":null}],"logs":[{"timestamp":5,"fields":[]}],"processID":"p1","warnings":["x"],"process":{"serviceName":"s","tags":null,"extra":{}}}`, true},
		{`{"references":[],"tags":[],"logs":null,"process":null,"parentSpanID":null}`, true},
		{`{"traceID":"a","TraceID":"b"}`, false},
		{`{"traceid":"a"}`, false},
		{`{"spanID":"a","spanID":"b"}`, false},
		{`{"startTime":"123"}`, false},
		{`{"flags":4294967296}`, false},
		{`{"flags":1.0}`, false},
		{`{"operationName":null}`, false},
		{`{"tags":[{"key":"a","KEY":"b"}]}`, false},
		{`{"tr\u0061ceID":"a"}`, false},
	} {
		if got := checkUI(t, []byte(tc.span)); got != tc.accept {
			t.Errorf("%s: accepted %v, want %v", tc.span, got, tc.accept)
		}
	}
}

func FuzzUIReader(f *testing.F) {
	f.Add([]byte(`{"traceID":"a","spanID":"b","tags":[{"key":"k","type":"bool","value":true}],"logs":[{"timestamp":1,"fields":[{"key":"e","value":"x"}]}]}`))
	f.Add([]byte(`{"process":{"serviceName":"s","tags":[]},"references":[{"refType":"FOLLOWS_FROM"}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		// The decoder gives the reader values its tokenizer has checked.
		if !json.Valid(in) || !strings.HasPrefix(strings.TrimSpace(string(in)), "{") {
			return
		}
		checkUI(t, in)
	})
}

// The processes of a trace: a map of raw values, then each process, as
// encoding/json reads them.
func FuzzUIProcesses(f *testing.F) {
	f.Add([]byte(`{"p1":{"serviceName":"a","tags":[{"key":"k","type":"string","value":"v"}]},"p2":{"serviceName":"b"}}`))
	f.Add([]byte(`{"p1":{},"p1":{}}`))
	var many strings.Builder // past procIndexed
	many.WriteString("{")
	for i := range procIndexed + 4 {
		if i > 0 {
			many.WriteString(",")
		}
		fmt.Fprintf(&many, `"p%d":{"serviceName":"s%d"}`, i, i)
	}
	f.Add([]byte(many.String() + "}"))
	f.Add([]byte(many.String() + `,"p3":{}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		if !json.Valid(in) {
			return
		}
		var r uiReader
		var tab procTable
		if !tab.read(&r, in) {
			return
		}
		got := map[string]json.RawMessage{}
		for i, id := range tab.ids {
			got[id] = tab.raws[i]
			if tab.find(id) != i {
				t.Fatalf("%s: found at %d, not %d", id, tab.find(id), i)
			}
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal(in, &want); err != nil || !reflect.DeepEqual(got, want) || len(tab.ids) != len(want) {
			t.Fatalf("procTable.read(%s) = %v, encoding/json %v, %v", in, got, want, err)
		}
		for k, raw := range got {
			var gp, wp uiProcess
			if !r.processOf(raw, &gp) {
				continue
			}
			if err := json.Unmarshal(raw, &wp); err != nil || !reflect.DeepEqual(gp, wp) {
				t.Fatalf("process %s: %+v, encoding/json %+v, %v", k, gp, wp, err)
			}
		}
	})
}
