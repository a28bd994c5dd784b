package zipkin

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/internal/codectest"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/model"
)

// v2Span3 makes a span of trace t, ID id, with a tag of n bytes.
func v2Span3(t, id, n int) string {
	return fmt.Sprintf(`{"traceId":"%x","id":"%x","name":"op","timestamp":%d,"duration":5,"localEndpoint":{"serviceName":"s%d"},"tags":{"big":"%s"}}`,
		t, id, 1000+id, id%3, strings.Repeat("x", n))
}

// manySpans is n spans, one per line, in an array.
func manySpans(n, tagBytes int) string {
	var b strings.Builder
	b.WriteString("[\n")
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(v2Span3(i/5+1, i+1, tagBytes))
	}
	b.WriteString("\n]")
	return b.String()
}

// The stream reads what the encoding/json walk reads, and fails where and
// as it fails, whether it reads a file itself or hands it over.
func TestFastStreamAsWalk(t *testing.T) {
	const (
		a = `{"traceId":"1","id":"2","timestamp":1000,"localEndpoint":{"serviceName":"s"}}`
		b = `{"traceId":"1","id":"3","parentId":"2","timestamp":1001,"localEndpoint":{"serviceName":"t"}}`
		// declined by fastV2 (a link tag), valid JSON: read by v2Span.
		declined = `{"traceId":"1","id":"4","timestamp":1002,"tags":{"otlp.link.0":"0102030405060708090a0b0c0d0e0f10|1112131415161718||{}|0"}}`
		// no time, placed by its parent a
		untimed = `{"traceId":"1","id":"5","parentId":"2","localEndpoint":{"serviceName":"s"}}`
		orphan  = `{"traceId":"1","id":"6","parentId":"9"}`
	)
	deep := strings.Repeat("[", codec.MaxJSONDepth+1) + strings.Repeat("]", codec.MaxJSONDepth+1)
	for _, tc := range []struct {
		name, in   string
		handedOver bool
	}{
		{"array", "[" + a + "," + b + "]", false},
		{"white space", " \n[ " + a + " ,\n\t" + b + " ]\n ", false},
		{"objects one after another", a + "\n" + b + "\n", false},
		{"arrays one after another", "[" + a + "] [" + b + "]", false},
		{"object then array", a + "[" + b + "]", false},
		{"arrays of arrays", "[[" + a + "],[],[" + b + "," + declined + "]]", false},
		{"empty arrays", "[] [[]] [[],[]]", false},
		{"declined span", "[" + a + "," + declined + "," + b + "]", false},
		{"untimed span", "[" + a + "," + untimed + "]", false},
		{"span that cannot be placed", "[" + a + "," + orphan + "]", false},
		{"v1 span", "[" + a + "," + v1a + "]", false},
		{"bad trace ID", "[" + a + `,{"traceId":"xyz","id":"2"}]`, false},
		{"every special tag", "[" + `{"traceId":"1","id":"2","timestamp":1,"tags":{"w3c.tracestate":"a=b","span.kind":"internal","otel.status_code":"Ok","otel.status_description":"d","error":"true"}}` + "]", false},
		{"spans past a chunk", manySpans(2500, 10), false},
		{"spans past a read", manySpans(40, 5000), false},
		{"span past a read", manySpans(3, 200_000), false},

		{"empty", "", true},
		{"white space only", " \n ", true},
		{"null element", "[" + a + ",null," + b + "]", true},
		{"null first", "[null," + a + "]", true},
		{"top-level null", "null [" + a + "]", true},
		{"scalar element", "[" + a + ",1]", true},
		{"scalar", `"x"`, true},
		{"trailing comma", "[" + a + ",]", true},
		{"double comma", "[" + a + ",," + b + "]", true},
		{"missing comma", "[" + a + " " + b + "]", true},
		{"digit after an element", "[" + a + "0]", true},
		{"fraction after an element", "[[" + a + "].5]", true},
		{"missing comma in nested array", "[[" + a + "] [" + b + "]]", true},
		{"syntax error in span", "[\n" + a + ",\n {\"traceId\" \"1\"}]", true},
		{"syntax error after chunks", manySpans(1200, 10) + `,{"id":}]`, true},
		{"unclosed span", "[" + a + `,{"traceId":"1"`, true},
		{"unclosed array", "[" + a + "," + b, true},
		{"unclosed nested", "[[" + a + "]," + "[" + b, true},
		{"unclosed after comma", "[" + a + ",", true},
		{"unbalanced", "[" + a + `,{"traceId":"1","id":"2"]]`, true},
		{"closing bracket", "]", true},
		{"too deep", deep, true},
		{"too deep in a span", "[" + a + `,{"traceId":"1","id":"2","tags":` + strings.Repeat("[", codec.MaxJSONDepth) + "]", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			compareDecoders(t, "in.json", []byte(tc.in))
			_, _, handedOver, _ := DecodeV2Counted("in.json", strings.NewReader(tc.in), func(codec.Batch) error { return nil })
			if handedOver != tc.handedOver {
				t.Errorf("handed over = %v, want %v", handedOver, tc.handedOver)
			}
		})
	}
}

// The stream reads every valid fixture itself, and fastV2 reads nearly
// every span of them.
func TestFastStreamFixtures(t *testing.T) {
	for _, tc := range v2Fixtures {
		data, err := os.ReadFile(fixtures.Path(t, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		fast, translated, handedOver, err := DecodeV2Counted(tc.file, bytes.NewReader(data), func(codec.Batch) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		if handedOver || fast+translated != tc.spans {
			t.Errorf("%s: %d spans read, %d translated, handed over %v; want %d spans, not handed over", tc.file, fast, translated, handedOver, tc.spans)
		}
	}
}

// An error found past many spans names the right line (the array's
// "[" and 3000 spans take 3001 lines, "]" the next), as the walk does.
func TestFastStreamErrorLine(t *testing.T) {
	for _, tc := range []struct{ in, line string }{
		{manySpans(3000, 10) + "\n,}", "in.json:3003:"},
		{strings.TrimSuffix(manySpans(3000, 10), "\n]") + ",\n{]", "in.json:3002:"},
	} {
		compareDecoders(t, "in.json", []byte(tc.in))
		_, err := codectest.DecodeString(DecodeV2, tc.in)
		codectest.WantDecodeError(t, err, []string{tc.line})
	}
}

// DecodeV2 and the walk agree on any input: same batches, same error at
// the same JSON path. Its line:col, and the text of a syntax error, may
// differ: the walk's depend on how much of the input its tokenizer had
// read when it met the error (an error at the last byte read reads as
// "unexpected end", white space after it is not skipped), and the stream
// has read more by the time it hands over.
func FuzzDecodeV2AsWalk(f *testing.F) {
	fuzzSeeds(f)
	for _, s := range []string{"[[{}],[]]", "[{}, null]", `{"traceId":"1","id":"2"} [{"traceId":"1","id":"3"},]`} {
		f.Add([]byte(s))
	}
	codectest.BoundFuzz(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > codectest.MaxFuzzInput {
			t.Skip("input past MaxFuzzInput")
		}
		compareDecodersSyntax(t, "fuzz.json", in)
	})
}

// Batches do not share resource attribute lists: whoever takes a batch
// may change them (redact does, in place).
func TestBatchesOwnResources(t *testing.T) {
	var batches []codec.Batch
	oneService := strings.NewReplacer(`"s1"`, `"s0"`, `"s2"`, `"s0"`).Replace(manySpans(2500, 10))
	if err := DecodeV2("in.json", strings.NewReader(oneService), func(b codec.Batch) error { batches = append(batches, b); return nil }); err != nil {
		t.Fatal(err)
	}
	owner := map[*model.Attribute]int{}
	for i, b := range batches {
		for _, rs := range b {
			if len(rs.Resource.Attributes) == 0 {
				continue
			}
			p := &rs.Resource.Attributes[0]
			if j, ok := owner[p]; ok && j != i {
				t.Fatalf("batches %d and %d share a resource's attributes", j, i)
			}
			owner[p] = i
		}
	}
	if len(batches) < 3 {
		t.Fatalf("%d batches, want 3", len(batches))
	}
}
