package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// Memory bounds of the hostile-input runs: each tracectl child runs with
// GOMEMLIMIT=hostileMemLimit under an address-space cap of
// hostileAddressCap (ulimit -v), and its peak RSS must stay under
// hostilePeakRSS.
const (
	hostileMemLimit   = "256MiB"
	hostileAddressCap = 4 << 30
	hostilePeakRSS    = 400 << 20
)

// hostileFile is one input of the hostile corpus: made in the test, never
// committed.
type hostileFile struct {
	name string
	make func(path string) error
	// full: only in the long form (TRACECTL_TEST_FAULTS=full): big files.
	full bool
	// msg matches what the error for this file says.
	msg string
}

// writeFile writes what data returns (made only then: the test binary
// also runs as each tracectl child, which must not build the corpus).
func writeFile(data func() string) func(string) error {
	return func(path string) error { return os.WriteFile(path, []byte(data()), 0o600) }
}

// gzipSpaces writes a .gz JSON array holding n spaces: 2 GiB are 2 MB
// compressed.
func gzipSpaces(n int64) func(string) error {
	return gzipRepeat(`{"resourceSpans":[`, ' ', n, `]}`)
}

// gzipRepeat writes a .gz file of head, n times c, and tail.
func gzipRepeat(head string, c byte, n int64, tail string) func(string) error {
	return repeat(true, head, c, n, tail)
}

// repeat writes a file of head, n times c, and tail, gzipped or not,
// without holding it in memory: the children's peak RSS is measured with
// the test process's (see cappedRun).
func repeat(gz bool, head string, c byte, n int64, tail string) func(string) error {
	return func(path string) error {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		var zw io.WriteCloser = nopCloser{f}
		if gz {
			if zw, err = gzip.NewWriterLevel(f, gzip.BestCompression); err != nil {
				return err
			}
		}
		zw.Write([]byte(head))
		chunk := bytes.Repeat([]byte{c}, 1<<20)
		for ; n > 0; n -= int64(len(chunk)) {
			if _, err := zw.Write(chunk[:min(int64(len(chunk)), n)]); err != nil {
				return err
			}
		}
		zw.Write([]byte(tail))
		if err := zw.Close(); err != nil {
			return err
		}
		return f.Close()
	}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// yamlAliasBomb stands for 10^8 nodes in 400 bytes.
func yamlAliasBomb() string {
	var b strings.Builder
	b.WriteString("resourceSpans: []\nx:\n  l0: &l0 [x,x,x,x,x,x,x,x,x,x]\n")
	for i := 1; i < 8; i++ {
		fmt.Fprintf(&b, "  l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), 10), ","))
	}
	return b.String()
}

const hostileSpan = `{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"good","startTimeUnixNano":"1767225600000000000","endTimeUnixNano":"1767225601000000000"}`

var hostileCorpus = []hostileFile{
	{name: "bomb.json.gz", make: gzipSpaces(256 << 20), msg: "bytes of whitespace in a row"},
	{name: "bomb-2GiB.json.gz", make: gzipSpaces(2 << 30), full: true, msg: "bytes of whitespace in a row"},
	// One span name of 1 GiB (256 MiB) in 1 MB (256 KB).
	{name: "string-bomb.json.gz", make: gzipRepeat(`{"resourceSpans":[{"scopeSpans":[{"spans":[`+strings.TrimSuffix(hostileSpan, `"name":"good","startTimeUnixNano":"1767225600000000000","endTimeUnixNano":"1767225601000000000"}`)+`"name":"`,
		'a', 256<<20, `"}]}]}]}`), msg: `a string longer than|a compression bomb\?`},
	{name: "string-bomb-1GiB.json.gz", make: gzipRepeat(`{"resourceSpans":[{"scopeSpans":[{"spans":[`+strings.TrimSuffix(hostileSpan, `"name":"good","startTimeUnixNano":"1767225600000000000","endTimeUnixNano":"1767225601000000000"}`)+`"name":"`,
		'a', 1<<30, `"}]}]}]}`), full: true, msg: `a string longer than|a compression bomb\?`},
	{name: "long-string.json", make: repeat(false, `{"resourceSpans":[{"scopeSpans":[{"spans":[`+strings.TrimSuffix(hostileSpan, "}")+
		`,"attributes":[{"key":"a","value":{"stringValue":"`, 'x', 80<<20, `"}}]}]}]}]}`),
		msg: "a string longer than 16777216 bytes"},
	{name: "nested.json", make: writeFile(func() string {
		return `{"resourceSpans":[{"scopeSpans":[{"spans":[` + strings.TrimSuffix(hostileSpan, "}") +
			`,"extra":` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `}]}]}]}`
	}),
		msg: "nested deeper than 1000 levels"},
	{name: "nested-zipkin.json", make: writeFile(func() string {
		return `[{"traceId":"1","id":"1","tags":{"a":` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `}}]`
	}),
		msg: "nested deeper than 1000 levels"},
	{name: "alias-bomb.yaml", make: writeFile(func() string { return yamlAliasBomb() }), msg: "an alias bomb"},
	{name: "spaces.json", make: repeat(false, `{"resourceSpans":[`, ' ', 8<<20, `]}`), msg: "bytes of whitespace in a row"},
	{name: "newlines-jaeger.json", make: repeat(false, `{"data":[{"traceID":"1","spans":[`, '\n', 8<<20, `]}]}`), msg: "bytes of whitespace in a row"},
}

// tracectlPath is the test binary standing for tracectl (testscript.Main
// put it on PATH).
func tracectlPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("tracectl")
	if err != nil {
		t.Fatalf("tracectl on PATH (testscript.Main): %v", err)
	}
	return p
}

// cappedRun runs tracectl with args under the memory bounds; it returns
// stderr, the exit code and the peak RSS in bytes (-1 off Linux). Linux reports the
// larger of the child's peak and the test process's (the child starts as
// a copy of it), so the test keeps its own memory small.
func cappedRun(t *testing.T, args ...string) (string, int, int64) {
	t.Helper()
	sh := fmt.Sprintf(`ulimit -v %d && exec "$0" "$@"`, hostileAddressCap>>10)
	cmd := exec.Command("sh", append([]string{"-c", sh, tracectlPath(t)}, args...)...)
	cmd.Env = append(os.Environ(), "GOMEMLIMIT="+hostileMemLimit, "TMPDIR="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stderr.String(), code, childPeakRSS(cmd.ProcessState)
}

// TestHostileCorpusMemory ingests the hostile corpus (a gzip bomb, a
// nesting bomb, a YAML alias bomb, runs of whitespace; with
// TRACECTL_TEST_FAULTS=full also a 2 GiB gzip bomb and a 200 MB OTLP JSON file)
// in tracectl processes under a soft memory limit and an address-space
// cap: each hostile file alone fails with exit 2 and a message naming the
// file and what is wrong; all of them with --skip-bad next to a good file
// ingest the good file (exit 0), each within the peak RSS bound.
func TestHostileCorpusMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("runs tracectl processes")
	}
	if runtime.GOOS == "windows" {
		t.Skip("needs sh and ulimit -v")
	}
	full := os.Getenv("TRACECTL_TEST_FAULTS") == "full"
	dir := t.TempDir()
	var bad []string
	for _, h := range hostileCorpus {
		if h.full && !full {
			continue
		}
		p := filepath.Join(dir, h.name)
		if err := h.make(p); err != nil {
			t.Fatal(err)
		}
		bad = append(bad, p)
		t.Run(h.name, func(t *testing.T) {
			bucket := "file://" + t.TempDir()
			stderr, code, rss := cappedRun(t, "--bucket", bucket, "ingest", p)
			t.Logf("exit %d, peak RSS %d MiB: %s", code, rss>>20, strings.TrimSpace(stderr))
			if code != 2 || !strings.Contains(stderr, h.name) || !regexp.MustCompile(h.msg).MatchString(stderr) {
				t.Errorf("exit %d, stderr %q; want exit 2 and an error naming %s: %q", code, stderr, h.name, h.msg)
			}
			if rss > hostilePeakRSS {
				t.Errorf("peak RSS %d MiB, over %d MiB", rss>>20, hostilePeakRSS>>20)
			}
		})
	}

	good := filepath.Join(dir, "good.json")
	if err := writeFile(func() string { return `{"resourceSpans":[{"scopeSpans":[{"spans":[` + hostileSpan + `]}]}]}` })(good); err != nil {
		t.Fatal(err)
	}
	inputs := append([]string{good}, bad...)
	if full {
		// A 200 MB OTLP JSON file: streamed, so memory does not grow
		// with it.
		const n = 330_000
		big := filepath.Join(dir, "big")
		if _, code, _ := cappedRun(t, "gen", "--json", "--spans", strconv.Itoa(n), "--file-spans", strconv.Itoa(n), "--out", big); code != 0 {
			t.Fatalf("gen: exit %d", code)
		}
		ents, err := os.ReadDir(big)
		if err != nil || len(ents) != 1 {
			t.Fatalf("gen wrote %v (%v)", ents, err)
		}
		fi, _ := ents[0].Info()
		t.Logf("%s: %d MB", ents[0].Name(), fi.Size()>>20)
		inputs = append(inputs, filepath.Join(big, ents[0].Name()))
	}
	bucket := "file://" + t.TempDir()
	stderr, code, rss := cappedRun(t, append([]string{"--bucket", bucket, "ingest", "--skip-bad"}, inputs...)...)
	t.Logf("--skip-bad: exit %d, peak RSS %d MiB", code, rss>>20)
	if code != 0 {
		t.Fatalf("--skip-bad: exit %d: %s", code, stderr)
	}
	for _, p := range bad {
		if !strings.Contains(stderr, "skipped bad file: "+p) {
			t.Errorf("--skip-bad: %s not named as skipped: %s", p, stderr)
		}
	}
	if rss > hostilePeakRSS {
		t.Errorf("--skip-bad: peak RSS %d MiB, over %d MiB", rss>>20, hostilePeakRSS>>20)
	}
	out, err := exec.Command(tracectlPath(t), "--bucket", bucket, "query", "--count", "--spss", "0", "{ }").Output()
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || n < 1 || (!full && n != 1) {
		t.Errorf("query --count after --skip-bad: %q, want the good file's trace", out)
	}
}
