package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/internal/fixtures"
)

// TestIngestSkippedFiles: files a directory walk cannot read (Nezha's CSV
// and JSON side files, a Jaeger Thrift file) are listed on stderr and make
// the exit status 1, with whatever could be read ingested; --skip-bad
// accepts them (exit 0) and says so. A bad trace file stops the ingest
// (exit 2) unless --skip-bad.
func TestIngestSkippedFiles(t *testing.T) {
	nezha := fixtures.Path(t, "nezha/trainticket")
	thrift := fixtures.Path(t, "elastic-apm-server/jaeger-thrift")
	yelp := fixtures.Path(t, "zipkin/v2/yelp.json")
	bad := fixtures.Path(t, "opentelemetry-collector/zipkin_v1_error_batch.json")
	tests := []struct {
		name      string
		args      []string
		want      int
		stderr    []string // substrings, in this order
		blocks    int      // blocks in the bucket afterwards
		notStderr string
	}{
		{"only unreadable files", []string{"ingest", nezha}, exitCheckFailed, []string{
			"ingest: skipped " + nezha + "/2023-01-29-fault_list.json: unknown or unsupported format: JSON object with keys",
			"ingest: skipped " + nezha + "/construct_2023-01-29_08_50_trace.csv: unknown or unsupported format: looks like CSV",
			"ingested 0 files: 0 traces, 0 spans",
			"; 5 files skipped\n",
			"tracectl: 5 of 5 files skipped (named above), nothing was ingested; --skip-bad accepts skipped files\n",
		}, 0, ""},
		{"thrift beside a trace file", []string{"ingest", thrift, yelp}, exitCheckFailed, []string{
			"ingest: skipped " + thrift + "/span.thrift: unknown or unsupported format: looks like Jaeger Thrift",
			"ingested 1 files: 1 traces, 16 spans",
			"tracectl: 1 of 2 files skipped (named above), the others were ingested",
		}, 1, ""},
		{"skip-bad accepts them", []string{"ingest", "--skip-bad", thrift, nezha, yelp}, exitOK, []string{
			"ingest: skipped " + thrift + "/span.thrift: ",
			"ingest: skipped " + nezha + "/root_cause_ts.json: ",
			"ingested 1 files: 1 traces, 16 spans",
			"; 6 files skipped (--skip-bad)\n",
		}, 1, "tracectl:"},
		{"skip-bad -o json", []string{"ingest", "--skip-bad", "-o", "json", thrift, yelp}, exitOK, []string{
			"ingest: skipped " + thrift + "/span.thrift: ",
		}, 1, "tracectl:"},
		{"-o json without skip-bad", []string{"ingest", "-o", "json", thrift, yelp}, exitCheckFailed, []string{
			"ingest: skipped " + thrift + "/span.thrift: ",
			"tracectl: 1 of 2 files skipped",
		}, 1, ""},
		{"bad file stops", []string{"ingest", bad, yelp}, exitError, []string{
			"zipkin_v1_error_batch.json:36:3: $[1].parentId",
		}, 0, "ingested"},
		{"bad file with skip-bad", []string{"ingest", "--skip-bad", bad, thrift, yelp}, exitOK, []string{
			"ingest: skipped " + thrift + "/span.thrift: ",
			"ingest: skipped bad file: " + bad + ":36:3: $[1].parentId",
			"; 2 files skipped (--skip-bad)\n",
		}, 1, "tracectl:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bucket := "file://" + t.TempDir()
			code, _, stderr := run(t, append([]string{"--bucket", bucket}, tc.args...)...)
			if code != tc.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.want, stderr)
			}
			rest := stderr
			for _, s := range tc.stderr {
				i := strings.Index(rest, s)
				if i < 0 {
					t.Fatalf("stderr lacks %q (in order); stderr:\n%s", s, stderr)
				}
				rest = rest[i+len(s):]
			}
			if tc.notStderr != "" && strings.Contains(stderr, tc.notStderr) {
				t.Errorf("stderr has %q:\n%s", tc.notStderr, stderr)
			}
			_, out, _ := run(t, "--bucket", bucket, "blocks", "ls")
			if n := strings.Count(out, "\n") - 1; max(n, 0) != tc.blocks {
				t.Errorf("%d blocks in the bucket, want %d:\n%s", n, tc.blocks, out)
			}
		})
	}
}

// TestIngestUntimedZipkinSpan: a Zipkin span that nothing in its file
// places in time is bad input (exit 2, nothing written), never a span at
// 1970; --skip-bad drops its file and ingests the rest (exit 0).
func TestIngestUntimedZipkinSpan(t *testing.T) {
	dir := t.TempDir()
	lonely := filepath.Join(dir, "lonely.json")
	if err := os.WriteFile(lonely, []byte(`[{"traceId":"0b01","id":"b2","parentId":"ff","name":"orphan","localEndpoint":{"serviceName":"api"}}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	yelp := fixtures.Path(t, "zipkin/v2/yelp.json")
	bucket := "file://" + t.TempDir()
	code, _, stderr := run(t, "--bucket", bucket, "ingest", yelp, lonely)
	if code != exitError || !strings.Contains(stderr, "lonely.json:1:2: $[0].timestamp: missing") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if _, out, _ := run(t, "--bucket", bucket, "blocks", "ls"); strings.Count(out, "\n") > 1 {
		t.Fatalf("blocks written:\n%s", out)
	}
	code, _, stderr = run(t, "--bucket", bucket, "ingest", "--skip-bad", yelp, lonely)
	if code != exitOK || !strings.Contains(stderr, "ingest: skipped bad file: "+lonely+":1:2: $[0].timestamp") {
		t.Fatalf("--skip-bad: exit %d, stderr:\n%s", code, stderr)
	}
}

// TestIngestPeakMemory: the summary line and -o json state the peak
// memory of the ingest.
func TestIngestPeakMemory(t *testing.T) {
	if peakRSS() == 0 {
		t.Skip("the system does not report peak memory")
	}
	yelp := fixtures.Path(t, "zipkin/v2/yelp.json")
	code, _, stderr := run(t, "--bucket", "file://"+t.TempDir(), "ingest", yelp)
	if code != exitOK || !regexp.MustCompile(`blocks in \S+, peak memory \d+(\.\d)? MiB\n$`).MatchString(stderr) {
		t.Errorf("ingest: exit %d, summary %q; want the peak memory in MiB", code, stderr)
	}
	code, out, stderr := run(t, "--bucket", "file://"+t.TempDir(), "ingest", "-o", "json", yelp)
	var rep struct {
		PeakRSSBytes int64 `json:"peakRSSBytes"`
	}
	if err := json.Unmarshal([]byte(out), &rep); code != exitOK || err != nil || rep.PeakRSSBytes < 1<<20 {
		t.Errorf("ingest -o json: exit %d, %v, peakRSSBytes %d: %s", code, err, rep.PeakRSSBytes, stderr)
	}
}
