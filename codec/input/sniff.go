package input

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/tracectl/tracectl/codec"
)

// SniffLen is how many bytes of a (decompressed) input Sniff is given.
const SniffLen = 64 << 10

// ErrUnknownFormat is wrapped by Sniff's errors: the input is not in a
// format tracectl can decode.
var ErrUnknownFormat = errors.New("unknown or unsupported format")

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Sniff tells the format of an input from its first bytes (after
// decompression; SniffLen bytes are enough). head may end in the middle of
// a JSON token. It recognises OTLP JSON (resourceSpans, Tempo's batches),
// OTLP protobuf, OTLP YAML, Jaeger JSON (UI/query API, bare trace, api_v2
// proto-JSON batch) and Zipkin v1/v2 JSON (array, array of arrays or a
// single span object). Other inputs give an error wrapping
// ErrUnknownFormat that says what the input looks like.
func Sniff(head []byte) (codec.Format, error) {
	head = bytes.TrimPrefix(head, utf8BOM)
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 {
		return "", fmt.Errorf("%w: empty input", ErrUnknownFormat)
	}
	switch trimmed[0] {
	case '{', '[':
		return sniffJSON(trimmed)
	}
	if f, ok := sniffText(head); ok {
		return f, nil
	}
	if isOTLPProto(head) {
		return codec.FormatOTLPProto, nil
	}
	return "", fmt.Errorf("%w: %s", ErrUnknownFormat, describeBinary(head))
}

// sniffText recognises OTLP YAML: a top-level resourceSpans key whose
// value is a block (or an empty flow list). Protobuf text, which YAML
// would also accept, writes "resource_spans: [" or "resource_spans {".
func sniffText(head []byte) (codec.Format, bool) {
	if !isText(head) {
		return "", false
	}
	for _, line := range strings.Split(string(head), "\n") {
		line = strings.TrimRight(line, "\r \t")
		for _, key := range []string{"resourceSpans:", "resource_spans:"} {
			if rest, ok := strings.CutPrefix(line, key); ok {
				rest = strings.TrimSpace(rest)
				if rest == "" || rest == "[]" || strings.HasPrefix(rest, "#") {
					return codec.FormatOTLPYAML, true
				}
			}
		}
	}
	return "", false
}

// isText reports whether head is UTF-8 without control characters other
// than tab, newline and carriage return.
func isText(head []byte) bool {
	head = head[:utf8ValidPrefix(head)]
	if !utf8.Valid(head) {
		return false
	}
	for _, c := range head {
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
			return false
		}
	}
	return true
}

// utf8ValidPrefix trims a rune cut at the end of head.
func utf8ValidPrefix(b []byte) int {
	n := len(b)
	for i := 0; i < utf8.UTFMax && n > 0; i++ {
		if utf8.Valid(b[:n]) {
			return n
		}
		n--
	}
	return len(b)
}

// describeBinary says what an input that is not a known format looks like.
func describeBinary(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return "gzip data (decompress first)"
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return "zstd data (decompress first)"
	case bytes.HasPrefix(head, []byte("PAR1")):
		return "a Parquet file (read Tempo blocks with the blocks commands, not ingest)"
	case len(head) >= 3 && head[0] == 0x0c && head[1] == 0x00 && head[2] == 0x01:
		return "looks like Jaeger Thrift (binary Batch), which is not supported; convert it to Jaeger JSON or OTLP"
	}
	if isText(head) {
		text := string(head)
		lines := strings.SplitN(text, "\n", 3)
		first := strings.TrimRight(lines[0], "\r")
		switch {
		case strings.Contains(text, "# proto-message:") || strings.Contains("\n"+text, "\nresource_spans: [") || strings.Contains("\n"+text, "\nresource_spans {"):
			return "looks like protobuf text format, which is not supported; encode it to binary with protoc (--encode=opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest)"
		case len(lines) >= 2 && !strings.HasPrefix(first, "#") && strings.Count(first, ",") >= 2 &&
			strings.Count(first, ",") == strings.Count(strings.TrimRight(lines[1], "\r"), ","):
			return fmt.Sprintf("looks like CSV (header %q), which is not a supported trace format", clip(first, 80))
		}
		return fmt.Sprintf("text starting %q is not JSON, OTLP YAML or OTLP protobuf", clip(first, 40))
	}
	return "binary data that is not an OTLP protobuf message"
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// isOTLPProto checks the start of a protobuf message: ExportTraceServiceRequest
// and TracesData both start with field 1 (resource_spans, length-delimited),
// and a ResourceSpans starts with field 1, 2 or 3 (resource, scope_spans,
// schema_url), all length-delimited.
func isOTLPProto(head []byte) bool {
	if len(head) < 2 || head[0] != 0x0a {
		return false
	}
	l, n := binary.Uvarint(head[1:])
	if n <= 0 || l >= 1<<31 {
		return false
	}
	if l == 0 {
		return true
	}
	if 1+n >= len(head) {
		return false
	}
	switch head[1+n] {
	case 0x0a, 0x12, 0x1a:
		return true
	}
	return false
}

// sniffJSON walks the tokens of a JSON head and records every key by its
// container path (".data[].spans", "[].localEndpoint"), then decides.
func sniffJSON(head []byte) (codec.Format, error) {
	keys, synErr, err := jsonKeys(head)
	if err != nil {
		return "", fmt.Errorf("%w: invalid JSON: %v", ErrUnknownFormat, err)
	}
	has := func(ps ...string) bool {
		for _, p := range ps {
			if keys[p] {
				return true
			}
		}
		return false
	}
	if head[0] == '{' {
		switch {
		case has(".resourceSpans", ".resource_spans"):
			return codec.FormatOTLPJSON, nil
		case has(".batches"):
			if has(".batches[].spans", ".batches[].process") {
				return codec.FormatJaegerJSON, nil
			}
			return codec.FormatOTLPJSON, nil
		case has(".data") && has(".data[].traceID", ".data[].spans", ".data[].processes", ".data.traceID", ".data.spans", ".data.processes"):
			return codec.FormatJaegerJSON, nil
		case has(".batch") && has(".batch.spans", ".batch.process"):
			return codec.FormatJaegerJSON, nil
		case has(".spans") && has(".process"):
			return codec.FormatJaegerJSON, nil // a bare api_v2 Batch
		case has(".traceID") && has(".spans"):
			return codec.FormatJaegerJSON, nil
		case has(".traceId"):
			return zipkinVersion(keys, ""), nil
		}
	} else {
		switch {
		case has("[].traceId"):
			return zipkinVersion(keys, "[]"), nil
		case has("[][].traceId"):
			return zipkinVersion(keys, "[][]"), nil
		case len(keys) == 0 && isEmptyArray(head):
			return codec.FormatZipkinV2, nil
		}
	}
	if synErr != nil {
		return "", fmt.Errorf("%w: invalid JSON: %v", ErrUnknownFormat, synErr)
	}
	return "", fmt.Errorf("%w: JSON %s with keys %s is not a known trace format", ErrUnknownFormat, map[bool]string{true: "object", false: "array"}[head[0] == '{'], topKeys(keys))
}

// zipkinVersion tells Zipkin v1 from v2 by keys only one of them has:
// v1 has binaryAnnotations and annotations with an endpoint; v2 has
// local/remoteEndpoint, kind, shared and tags. Neither: v2.
func zipkinVersion(keys map[string]bool, p string) codec.Format {
	if keys[p+".binaryAnnotations"] || keys[p+".annotations[].endpoint"] {
		return codec.FormatZipkinV1
	}
	return codec.FormatZipkinV2
}

func isEmptyArray(head []byte) bool {
	return bytes.Equal(bytes.TrimSpace(head), []byte("[]"))
}

// topKeys lists up to 8 keys of the outermost level, for error messages.
func topKeys(keys map[string]bool) string {
	var ks []string
	for k := range keys {
		k = strings.TrimPrefix(k, "[]")
		k = strings.TrimPrefix(k, "[]")
		if strings.Count(k, ".") == 1 && !strings.Contains(k, "[") {
			ks = append(ks, strings.TrimPrefix(k, "."))
		}
	}
	sort.Strings(ks)
	if len(ks) == 0 {
		return "(none)"
	}
	if len(ks) > 8 {
		ks = append(ks[:8], "...")
	}
	return strings.Join(ks, ", ")
}

// maxKeyDepth bounds the container depth at which keys are recorded.
const maxKeyDepth = 5

type sniffFrame struct {
	obj       bool
	path      string
	key       string
	expectKey bool
}

// jsonKeys records the keys in head by path. A head cut anywhere is fine:
// the walk stops at the first error after at least one token, returning a
// syntax error (not a cut) as synErr. Only an error on the first token is
// returned as err.
func jsonKeys(head []byte) (keys map[string]bool, synErr, err error) {
	keys = map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(head))
	dec.UseNumber()
	var stack []sniffFrame
	for n := 0; ; n++ {
		tok, err := dec.Token()
		if err != nil {
			if n == 0 {
				return nil, nil, err
			}
			// A cut head gives EOF; a syntax error is real, but decide
			// on what was seen: the decoder reports it with its position.
			var se *json.SyntaxError
			if errors.As(err, &se) {
				return keys, err, nil
			}
			return keys, nil, nil
		}
		if len(stack) == 0 {
			if d, ok := tok.(json.Delim); ok {
				stack = append(stack, sniffFrame{obj: d == '{', expectKey: d == '{'})
				continue
			}
			return nil, nil, fmt.Errorf("top-level %v is not an object or array", tok)
		}
		f := &stack[len(stack)-1]
		if f.obj && f.expectKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = pop(stack)
				continue
			}
			k, _ := tok.(string)
			f.key, f.expectKey = k, false
			if len(stack) <= maxKeyDepth {
				keys[f.path+"."+k] = true
			}
			continue
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '}', ']':
				stack = pop(stack)
			default:
				// Paths stop growing past maxKeyDepth (no key is recorded
				// there), so a head of nested brackets costs linear, not
				// quadratic, memory.
				child := f.path
				if len(stack) < maxKeyDepth {
					child += "[]"
					if f.obj {
						child = f.path + "." + f.key
					}
				}
				stack = append(stack, sniffFrame{obj: d == '{', path: child, expectKey: d == '{'})
			}
			continue
		}
		if f.obj {
			f.expectKey = true
		}
	}
}

func pop(stack []sniffFrame) []sniffFrame {
	stack = stack[:len(stack)-1]
	if len(stack) > 0 && stack[len(stack)-1].obj {
		stack[len(stack)-1].expectKey = true
	}
	return stack
}
