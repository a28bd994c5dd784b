package input

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/model"
)

// Every fixture with a known format is sniffed as that format, from its
// whole head and from heads cut at awkward places.
func TestSniffFixtures(t *testing.T) {
	for _, tc := range fixtureCases {
		t.Run(tc.rel, func(t *testing.T) {
			data, err := os.ReadFile(fixtures.Path(t, tc.rel))
			if err != nil {
				t.Fatal(err)
			}
			if len(data) > SniffLen {
				data = data[:SniffLen]
			}
			got, err := Sniff(data)
			if tc.format == "" {
				if !errors.Is(err, ErrUnknownFormat) {
					t.Errorf("Sniff = %q, %v; want ErrUnknownFormat", got, err)
				}
				return
			}
			if err != nil || got != tc.format {
				t.Fatalf("Sniff = %q, %v; want %s", got, err, tc.format)
			}
			// A head cut inside a token still sniffs the same once it
			// holds the keys that decide.
			if len(data) > 4096 {
				if got, err := Sniff(data[:4093]); err != nil || got != tc.format {
					t.Errorf("Sniff(cut head) = %q, %v; want %s", got, err, tc.format)
				}
			}
		})
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name, head string
		want       codec.Format
		wantErr    string
	}{
		{"otlp", `{"resourceSpans":[`, codec.FormatOTLPJSON, ""},
		{"otlp snake case", ` {"resource_spans":[`, codec.FormatOTLPJSON, ""},
		{"otlp BOM", "\xEF\xBB\xBF{\"resourceSpans\":[]}", codec.FormatOTLPJSON, ""},
		{"tempo batches", `{"batches":[{"resource":{},"scopeSpans":[`, codec.FormatOTLPJSON, ""},
		{"jaeger batches", `{"batches":[{"spans":[],"process":{}}]}`, codec.FormatJaegerJSON, ""},
		{"jaeger data", `{"data":[{"traceID":"1","spans":[`, codec.FormatJaegerJSON, ""},
		{"jaeger bare trace", `{"traceID":"1","spans":[],"processes":{}}`, codec.FormatJaegerJSON, ""},
		{"jaeger api_v2", `{"batch":{"spans":[{"trace_id":"AAA="}]`, codec.FormatJaegerJSON, ""},
		{"zipkin v2 array", `[{"traceId":"1","id":"2","localEndpoint":{}}]`, codec.FormatZipkinV2, ""},
		{"zipkin v2 object", `{"traceId":"1","id":"2","kind":"CLIENT"}`, codec.FormatZipkinV2, ""},
		{"zipkin v2 plain", `[{"traceId":"1","id":"2","name":"x"}]`, codec.FormatZipkinV2, ""},
		{"zipkin v2 empty", `[]`, codec.FormatZipkinV2, ""},
		{"zipkin v1 array", `[{"traceId":"1","id":"2","binaryAnnotations":[]}]`, codec.FormatZipkinV1, ""},
		{"zipkin v1 annotations", `[{"traceId":"1","annotations":[{"value":"cs","endpoint":{}}]}]`, codec.FormatZipkinV1, ""},
		{"zipkin v1 nested", `[[{"traceId":"1","id":"2","annotations":[{"endpoint":{"serviceName":"a"`, codec.FormatZipkinV1, ""},
		{"zipkin v1 object", `{"traceId":"1","binaryAnnotations":[{"key":"lc"}]}`, codec.FormatZipkinV1, ""},
		{"cut in string", `{"resourceSpans":[{"resource":{"attributes":[{"key":"serv`, codec.FormatOTLPJSON, ""},
		{"yaml", "# c\nresourceSpans:\n  - resource: {}\n", codec.FormatOTLPYAML, ""},
		{"proto", "\x0a\x05\x0a\x03abc", codec.FormatOTLPProto, ""},
		{"empty", " \n ", "", "empty input"},
		{"json other", `{"foo":1}`, "", "JSON object with keys foo is not a known trace format"},
		{"json scalar", `"x"`, "", "unknown or unsupported format: text starting"},
		{"bad json", `{x`, "", "invalid JSON"},
		{"thrift", "\x0c\x00\x01\x0b\x00", "", "Jaeger Thrift"},
		{"csv", "a,b,c\n1,2,3\n", "", "CSV"},
		{"text", "hello\n", "", "not JSON, OTLP YAML or OTLP protobuf"},
		{"protobuf text", "resource_spans: [\n", "", "protobuf text"},
		{"gzip", "\x1f\x8b\x08", "", "gzip data"},
		{"binary", "\x00\x01\x02\xff", "", "binary data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Sniff([]byte(tc.head))
			if tc.wantErr != "" {
				if !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("Sniff = %q, %v; want error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("Sniff = %q, %v; want %s", got, err, tc.want)
			}
		})
	}
}

// decodeAll decodes paths and returns the traces built from every batch.
func decodeAll(t *testing.T, paths []string, opts Options) ([]*model.Trace, Report, error) {
	t.Helper()
	b := model.NewTraceBuilder()
	rep, err := Decode(context.Background(), paths, opts, func(file string, batch codec.Batch) error {
		for i := range batch {
			b.AddResourceSpans(&batch[i])
		}
		return nil
	})
	return b.Traces(), rep, err
}

// gzip and zstd copies, with and without telling extensions, and stdin
// decode exactly like the plain file.
func TestCompressionAndStdin(t *testing.T) {
	for _, rel := range []string{"tempo/servicegraphs/trace-with-failed-requests.json", "opentelemetry-proto/trace.protobuf-bin", "crisp/15.json"} {
		t.Run(rel, func(t *testing.T) {
			src := fixtures.Path(t, rel)
			data, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			want, rep, err := decodeAll(t, []string{src}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			// The digest is of the bytes as stored, compressed or not.
			if got := rep.Files[0].Digest; got != xxhash.Sum64(data) {
				t.Errorf("digest %x, want the XXH64 of the file, %x", got, xxhash.Sum64(data))
			}
			dir := t.TempDir()
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			zw.Write(data)
			zw.Close()
			zs, _ := zstd.NewWriter(nil)
			zst := zs.EncodeAll(data, nil)
			zs.Close()
			files := map[string][]byte{"a.json.gz": gz.Bytes(), "b.zst": zst, "c.dat": gz.Bytes()}
			for name, b := range files {
				if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for name, b := range files {
				got, rep, err := decodeAll(t, []string{filepath.Join(dir, name)}, Options{})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s differs from the plain file:\n%s", name, diff)
				}
				if rep.Files[0].Compression == "" {
					t.Errorf("%s: compression not reported", name)
				}
				if got := rep.Files[0].Digest; got != xxhash.Sum64(b) {
					t.Errorf("%s: digest %x, want the XXH64 of its compressed bytes, %x", name, got, xxhash.Sum64(b))
				}
			}
			got, rep, err := decodeAll(t, []string{"-"}, Options{Stdin: bytes.NewReader(gz.Bytes())})
			if err != nil {
				t.Fatalf("stdin: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("stdin differs from the plain file:\n%s", diff)
			}
			if rep.Files[0].File != StdinName {
				t.Errorf("stdin reported as %q", rep.Files[0].File)
			}
			if got := rep.Files[0].Digest; got != xxhash.Sum64(gz.Bytes()) {
				t.Errorf("stdin: digest %x, want the XXH64 of what was read, %x", got, xxhash.Sum64(gz.Bytes()))
			}
		})
	}
}

// A file cut in the middle is an error naming the file and the position,
// plain or compressed, never a silent success. (Streaming decoders may have
// emitted the batches before the cut; the error tells the caller.)
func TestTruncated(t *testing.T) {
	tests := []struct {
		rel  string
		want string // error text after the file name
	}{
		{"tempo/servicegraphs/trace-with-failed-requests.json", ":660:29: $.resourceSpans[7].scopeSpans[0].scope: unexpected end of input (truncated?)"},
		{"opentelemetry-proto/trace.protobuf-bin", ": byte 0: invalid OTLP protobuf: field 1: length 211 runs past the end of the input"},
		{"crisp/15.json", ":131:17: $.data[0].spans[4]: unexpected end of input"},
		{"zipkin/v2/yelp.json", ":180:14: $[8]: unexpected end of input"},
		{"opentelemetry-collector/zipkin_v1_single_batch.json", ":71:13: $[2]: unexpected end of input"},
	}
	for _, tc := range tests {
		t.Run(tc.rel, func(t *testing.T) {
			data, err := os.ReadFile(fixtures.Path(t, tc.rel))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			cut := filepath.Join(dir, "cut")
			os.WriteFile(cut, data[:len(data)/2], 0o644)
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			zw.Write(data)
			zw.Close()
			cutgz := filepath.Join(dir, "cut.gz")
			os.WriteFile(cutgz, gz.Bytes()[:gz.Len()*3/4], 0o644)

			_, err = Decode(context.Background(), []string{cut}, Options{}, func(string, codec.Batch) error { return nil })
			var de *codec.DecodeError
			if !errors.As(err, &de) || !strings.HasPrefix(err.Error(), cut+tc.want) {
				t.Errorf("err = %v\nwant  %s%s", err, cut, tc.want)
			}
			_, err = Decode(context.Background(), []string{cutgz}, Options{}, func(string, codec.Batch) error { return nil })
			if !errors.As(err, &de) || de.File != cutgz {
				t.Errorf("gzip cut: err = %v, want a DecodeError naming %s", err, cutgz)
			}
		})
	}
}

// SkipBad records bad files and goes on; without it the first bad file
// stops Decode. An explicit file of unknown format is bad, not skipped.
func TestSkipBad(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(fixtures.Path(t, "opentelemetry-proto/trace.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "1-good.json"), good, 0o644)
	os.WriteFile(filepath.Join(dir, "2-bad.json"), []byte(`{"resourceSpans":[{]}`), 0o644)
	os.WriteFile(filepath.Join(dir, "3-good.json"), good, 0o644)
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("# notes\n"), 0o644)
	os.WriteFile(filepath.Join(dir, ".hidden.json"), []byte(`{`), 0o644)
	os.Mkdir(filepath.Join(dir, ".git"), 0o755)
	os.WriteFile(filepath.Join(dir, ".git", "x.json"), []byte(`{`), 0o644)

	_, rep, err := decodeAll(t, []string{dir}, Options{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Files) != 2 || len(rep.Bad) != 1 || len(rep.Skipped) != 1 {
		t.Fatalf("report = %+v", rep)
	}
	wantBad := filepath.Join(dir, "2-bad.json") + ":1:20: invalid JSON: invalid character ']' at start of value"
	if rep.Bad[0].Err.Error() != wantBad {
		t.Errorf("bad = %v\nwant  %s", rep.Bad[0].Err, wantBad)
	}
	if rep.Skipped[0].File != filepath.Join(dir, "README.md") {
		t.Errorf("skipped = %+v", rep.Skipped)
	}
	if rep.Spans[codec.FormatOTLPJSON] != 2 || rep.Batches[codec.FormatOTLPJSON] != 2 {
		t.Errorf("counts = %v %v", rep.Spans, rep.Batches)
	}

	_, rep, err = decodeAll(t, []string{dir}, Options{})
	if err == nil || err.Error() != wantBad || len(rep.Files) != 1 {
		t.Errorf("without SkipBad: err = %v, files = %d", err, len(rep.Files))
	}
	_, _, err = decodeAll(t, []string{filepath.Join(dir, "README.md")}, Options{})
	if !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("explicit unknown file: err = %v", err)
	}
	_, _, err = decodeAll(t, []string{filepath.Join(dir, "missing.json")}, Options{})
	var de *codec.DecodeError
	if !errors.As(err, &de) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
	// A forced format skips sniffing.
	_, _, err = decodeAll(t, []string{filepath.Join(dir, "1-good.json")}, Options{Format: codec.FormatOTLPProto})
	if err == nil || !strings.Contains(err.Error(), "invalid OTLP protobuf") {
		t.Errorf("forced format: err = %v", err)
	}
}

// An error from emit and a cancelled context stop Decode and come back
// unchanged, never as a bad file.
func TestEmitErrorAndCancel(t *testing.T) {
	dir := fixtures.Path(t, "tempo")
	stop := errors.New("stop")
	rep, err := Decode(context.Background(), []string{dir}, Options{SkipBad: true}, func(string, codec.Batch) error { return stop })
	if err != stop || len(rep.Bad) != 0 {
		t.Errorf("err = %v, bad = %v; want stop", err, rep.Bad)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Decode(ctx, []string{dir}, Options{SkipBad: true}, func(string, codec.Batch) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// A UTF-8 byte order mark is dropped before sniffing and decoding.
func TestBOM(t *testing.T) {
	data, err := os.ReadFile(fixtures.Path(t, "crisp/15.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, rep, err := decodeAll(t, []string{"-"}, Options{Stdin: bytes.NewReader(append([]byte("\xEF\xBB\xBF"), data...))})
	if err != nil || rep.Spans[codec.FormatJaegerJSON] != 7 {
		t.Fatalf("err = %v, spans = %v", err, rep.Spans)
	}
}

// Decoding files ahead on several workers emits exactly what one worker
// does, in the same order, reports the same files, and stops emitting at
// the first emit error.
func TestWorkersKeepInputOrder(t *testing.T) {
	type emitted struct {
		file  string
		spans int
	}
	run := func(workers, stopAfter int, ahead int64) ([]emitted, Report, error) {
		var got []emitted
		stop := errors.New("stop")
		rep, err := Decode(context.Background(), []string{fixtures.Root(t)}, Options{SkipBad: true, Workers: workers, AheadBytes: ahead},
			func(file string, b codec.Batch) error {
				if stopAfter > 0 && len(got) == stopAfter {
					return stop
				}
				got = append(got, emitted{file, b.SpanCount()})
				return nil
			})
		return got, rep, err
	}
	want, wantRep, err := run(1, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(wantRep.Files) < 50 || len(want) < 50 {
		t.Fatalf("only %d files / %d batches decoded", len(wantRep.Files), len(want))
	}
	for _, workers := range []int{2, 4, 16} {
		// Spans decoded ahead: one batch per file, a few spans, any number.
		for _, ahead := range []int64{0, 5, 1 << 40} {
			got, rep, err := run(workers, 0, ahead)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(emitted{})); diff != "" {
				t.Fatalf("%d workers, %d ahead: batches differ (-1 worker +%d):\n%s", workers, ahead, workers, diff)
			}
			if len(rep.Files) != len(wantRep.Files) || len(rep.Bad) != len(wantRep.Bad) || len(rep.Skipped) != len(wantRep.Skipped) {
				t.Fatalf("%d workers, %d ahead: report %d/%d/%d files/bad/skipped, want %d/%d/%d", workers, ahead,
					len(rep.Files), len(rep.Bad), len(rep.Skipped), len(wantRep.Files), len(wantRep.Bad), len(wantRep.Skipped))
			}
			got, _, err = run(workers, 10, ahead)
			if err == nil || err.Error() != "stop" || len(got) != 10 {
				t.Fatalf("%d workers, %d ahead, emit error after 10 batches: err %v, %d batches emitted", workers, ahead, err, len(got))
			}
		}
	}
}

// countingDecoder emits one single-span batch per line of its input and
// counts the batches handed over (emit returned) per input name.
type countingDecoder struct {
	mu   sync.Mutex
	sent map[string]int
	more chan struct{} // signalled after each batch handed over
}

func (c *countingDecoder) decode(name string, r io.Reader, emit codec.EmitFunc) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	for _, line := range strings.Fields(string(data)) {
		b := codec.Batch{{Resource: model.Resource{Attributes: []model.Attribute{model.Str("line", line)}},
			ScopeSpans: []model.ScopeSpans{{Spans: []model.Span{{Name: line}}}}}}
		if err := emit(b); err != nil {
			return err
		}
		c.mu.Lock()
		c.sent[name]++
		c.mu.Unlock()
		select {
		case c.more <- struct{}{}:
		default:
		}
	}
	return nil
}

func (c *countingDecoder) count(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent[name]
}

// A file behind the one being emitted is decoded ahead while the batches
// it queued weigh at most AheadBytes (one batch always), and waits past
// that; the batches still come out in input order. With AheadBytes 0 it
// queues one batch.
func TestDecodeAheadBound(t *testing.T) {
	dir := t.TempDir()
	first, second := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(first, []byte("a0"), 0o644)
	var lines []string
	for i := range 40 {
		lines = append(lines, fmt.Sprintf("b%d", i))
	}
	os.WriteFile(second, []byte(strings.Join(lines, " ")), 0o644)
	for _, tc := range []struct {
		ahead int64 // in spans (no Weigh)
		queue int   // batches the second file hands over while the first is held
	}{
		{0, 1},
		{1, 1},
		{7, 7},
		{1000, 40},
	} {
		dec := &countingDecoder{sent: map[string]int{}, more: make(chan struct{}, 1)}
		release := make(chan struct{})
		var got []string
		errc := make(chan error, 1)
		go func() {
			_, err := Decode(context.Background(), []string{first, second}, Options{
				Format: codec.FormatOTLPJSON, Workers: 2, AheadBytes: tc.ahead,
				Decoders: map[codec.Format]codec.Decoder{codec.FormatOTLPJSON: dec.decode},
			}, func(_ string, b codec.Batch) error {
				if len(got) == 0 {
					<-release // hold the first file's first batch
				}
				got = append(got, b[0].ScopeSpans[0].Spans[0].Name)
				return nil
			})
			errc <- err
		}()
		deadline := time.After(10 * time.Second)
		for dec.count(second) < tc.queue {
			select {
			case <-dec.more:
			case <-deadline:
				t.Fatalf("ahead %d: the second file handed over %d batches, want %d", tc.ahead, dec.count(second), tc.queue)
			}
		}
		time.Sleep(50 * time.Millisecond) // room to go past the bound, if it did not hold
		if n := dec.count(second); n != tc.queue {
			t.Errorf("ahead %d: the second file handed over %d batches while the first was held, want %d", tc.ahead, n, tc.queue)
		}
		close(release)
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if want := append([]string{"a0"}, lines...); !slices.Equal(got, want) {
			t.Errorf("ahead %d: emitted %v, want %v", tc.ahead, got, want)
		}
	}
}

// After emit fails, Decode calls it no more, whatever is queued, and
// returns that first error.
func TestDecodeAheadStopsAtEmitError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lines")
	var lines []string
	for i := range 40 {
		lines = append(lines, fmt.Sprintf("l%d", i))
	}
	os.WriteFile(path, []byte(strings.Join(lines, " ")), 0o644)
	for _, ahead := range []int64{0, 1000} {
		for range 20 {
			dec := &countingDecoder{sent: map[string]int{}, more: make(chan struct{}, 1)}
			calls := 0
			_, err := Decode(context.Background(), []string{path}, Options{
				Format: codec.FormatOTLPJSON, AheadBytes: ahead,
				Decoders: map[codec.Format]codec.Decoder{codec.FormatOTLPJSON: dec.decode},
			}, func(string, codec.Batch) error {
				calls++
				// Let the decoder queue what it may before failing.
				for dec.count(path) < min(int(ahead), 39) {
					<-dec.more
				}
				return fmt.Errorf("call %d", calls)
			})
			if calls != 1 || err == nil || err.Error() != "call 1" {
				t.Fatalf("ahead %d: emit called %d times, Decode returned %v; want once, call 1", ahead, calls, err)
			}
		}
	}
}

// Cancelling the context while files are decoded ahead stops Decode with
// the context's error, every decoder returned.
func TestDecodeAheadCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	_, err := Decode(ctx, []string{fixtures.Root(t)}, Options{SkipBad: true, Workers: 4, AheadBytes: 1 << 40},
		func(string, codec.Batch) error {
			if n++; n == 20 {
				cancel()
			}
			return nil
		})
	if !errors.Is(err, context.Canceled) || n != 20 {
		t.Errorf("err = %v after %d batches, want context.Canceled after 20", err, n)
	}
}

// TestTimesPast2262: a span time past what Unix nanoseconds in an int64
// hold is an error naming the file and the field, in every JSON format (it
// would be stored as 1969).
func TestTimesPast2262(t *testing.T) {
	dir := t.TempDir()
	files := map[string]struct{ body, want string }{
		"zipkin.json": {`[{"traceId":"0102030405060708090a0b0c0d0e0f10","id":"0102030405060708","name":"a","timestamp":9300000000000000,"duration":5,"localEndpoint":{"serviceName":"s"}}]`,
			"$[0].timestamp: 9300000000000000 out of range"},
		"otlp.json": {`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","startTimeUnixNano":"1","endTimeUnixNano":"9300000000000000000"}]}]}]}`,
			"endTimeUnixNano: bad time 9300000000000000000: after 2262-04-11T23:47:16Z"},
		// Jaeger: microseconds that overflow as nanoseconds.
		"jaeger.json": {`{"data":[{"traceID":"0102030405060708090a0b0c0d0e0f10","spans":[{"traceID":"0102030405060708090a0b0c0d0e0f10","spanID":"0102030405060708","operationName":"a","startTime":9300000000000000,"duration":1,"processID":"p1"}],"processes":{"p1":{"serviceName":"s"}}}]}`,
			"$.data[0].spans[0].startTime: startTime 9300000000000000 out of range"},
	}
	for name, f := range files {
		body := f.body
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Decode(context.Background(), []string{path}, Options{}, func(string, codec.Batch) error { return nil })
		var de *codec.DecodeError
		if !errors.As(err, &de) || de.File != path || !strings.Contains(err.Error(), f.want) {
			t.Errorf("%s: err = %v, want a decode error naming the file and %q", name, err, f.want)
		}
	}
}

// TestInputLimits: an input past --max-input-bytes once decompressed, or a
// compressed one that expands more than MaxExpansion times, is an error
// for that file only (with SkipBad the others are decoded).
func TestInputLimits(t *testing.T) {
	dir := t.TempDir()
	// Strings of 1 KiB: whitespace runs past 1 MiB and strings past 64
	// MiB are refused sooner (jsonpos.MaxSpace, MaxString).
	spaces := func(n int) []byte {
		s := `"` + strings.Repeat("a", 1<<10) + `",`
		return append(append([]byte(`{"resourceSpans":[{"x":[`), bytes.Repeat([]byte(s), n/len(s))...), []byte(`""]}]}`)...)
	}
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, spaces(2<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(spaces(80 << 20)); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	bomb := filepath.Join(dir, "bomb.json.gz")
	if err := os.WriteFile(bomb, gz.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.json")
	if err := os.WriteFile(good, []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708"}]}]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path  string
		limit int64
		want  string
	}{
		{big, 1 << 20, "more than 1048576 bytes (--max-input-bytes)"},
		{bomb, 0, "over 200 times: a compression bomb?"},
	} {
		_, err := Decode(context.Background(), []string{tc.path}, Options{MaxInputBytes: tc.limit}, func(string, codec.Batch) error { return nil })
		var de *codec.DecodeError
		if !errors.Is(err, ErrInputTooLarge) || !errors.As(err, &de) || de.File != tc.path || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want ErrInputTooLarge naming the file and %q", tc.path, err, tc.want)
		}
		// Only that: not the position (past the limit) or JSON path the
		// decoder was at when its read failed.
		if want := tc.path + ": input too large: "; err != nil && !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: err = %v, want it to start %q", tc.path, err, want)
		}
	}
	spans := 0
	rep, err := Decode(context.Background(), []string{bomb, good}, Options{SkipBad: true}, func(_ string, b codec.Batch) error {
		spans += b.SpanCount()
		return nil
	})
	if err != nil || spans != 1 || len(rep.Bad) != 1 || rep.Bad[0].File != bomb {
		t.Errorf("skip bad: %d spans, bad %v, err %v; want the good file's span and the bomb in Bad", spans, rep.Bad, err)
	}
}

// A decoder is given a way to read its input again at an offset (At) only
// for an uncompressed regular file, and At reads what the stream gave at
// the same offsets, after a byte order mark too.
func TestReadBackAt(t *testing.T) {
	data := []byte("0123456789abcdefghijklmnopqrstuvwxyz")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	dir := t.TempDir()
	files := map[string][]byte{"plain": data, "bom": append([]byte("\xEF\xBB\xBF"), data...), "gz": gz.Bytes()}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		path   string
		stdin  []byte
		wantAt bool
	}{
		{path: filepath.Join(dir, "plain"), wantAt: true},
		{path: filepath.Join(dir, "bom"), wantAt: true},
		{path: filepath.Join(dir, "gz")},
		{path: "-", stdin: data},
	} {
		hadAt := false
		dec := func(name string, r io.Reader, emit codec.EmitFunc) error {
			got, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			if !bytes.Equal(got, data) {
				t.Errorf("%s: stream %q, want %q", tc.path, got, data)
			}
			wr := r.(*codec.WarnReader)
			if hadAt = wr.At != nil; !hadAt {
				return nil
			}
			back := make([]byte, 5)
			for _, off := range []int{0, 10, len(data) - 5} {
				if _, err := wr.At.ReadAt(back, int64(off)); err != nil || !bytes.Equal(back, data[off:off+5]) {
					t.Errorf("%s: At at %d: %q, %v; want %q", tc.path, off, back, err, data[off:off+5])
				}
			}
			return nil
		}
		opts := Options{Format: codec.FormatOTLPProto, Decoders: map[codec.Format]codec.Decoder{codec.FormatOTLPProto: dec}}
		if tc.stdin != nil {
			opts.Stdin = bytes.NewReader(tc.stdin)
		}
		if _, _, err := decodeAll(t, []string{tc.path}, opts); err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if hadAt != tc.wantAt {
			t.Errorf("%s: At given %v, want %v", tc.path, hadAt, tc.wantAt)
		}
	}
}

// In a directory walk a symbolic link to a file is an input like the file;
// one to a directory is skipped and named (not followed: links may loop);
// one to nothing is an error naming it.
func TestWalkLinks(t *testing.T) {
	src := fixtures.Path(t, "opentelemetry-proto/trace.protobuf-bin")
	want, _, err := decodeAll(t, []string{src}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, target := range map[string]string{"a.pb": src, "sub": t.TempDir()} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	got, rep, err := decodeAll(t, []string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("linked file differs from the file:\n%s", diff)
	}
	if len(rep.Files) != 1 || len(rep.Skipped) != 1 || rep.Skipped[0].File != filepath.Join(dir, "sub") ||
		!strings.Contains(rep.Skipped[0].Err.Error(), "symbolic link to a directory") {
		t.Errorf("files %v, skipped %v; want the file, and the directory link skipped", rep.Files, rep.Skipped)
	}
	dangling := filepath.Join(dir, "gone.pb")
	if err := os.Symlink(filepath.Join(dir, "missing"), dangling); err != nil {
		t.Fatal(err)
	}
	if _, _, err := decodeAll(t, []string{dir}, Options{}); err == nil || !strings.Contains(err.Error(), dangling) {
		t.Errorf("dangling link: err = %v, want one naming %s", err, dangling)
	}
}
