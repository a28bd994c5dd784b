package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/internal/ui"
)

// TestBrokenPipe: when the reader of stdout has gone (`| head`), the write
// fails with EPIPE and the command stops with exit 0 and nothing on
// stderr, for a command that writes much and one that writes little.
// (testdata/script/pipe.txtar does the same through a real shell pipe on
// fd 1, where Go would otherwise kill the process with SIGPIPE.)
func TestBrokenPipe(t *testing.T) {
	dir := t.TempDir()
	bucket := "file://" + dir + "/bucket"
	if code, _, stderr := run(t, "gen", "--out", dir+"/in", "--spans", "3000"); code != exitOK {
		t.Fatalf("gen: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, "--bucket", bucket, "ingest", dir+"/in"); code != exitOK {
		t.Fatalf("ingest: exit %d: %s", code, stderr)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"query", []string{"--bucket", bucket, "query", "{ }", "--limit", "1000", "-o", "jsonl", "--start", "2026-01-01T00:00:00Z", "--end", "2026-01-02T00:00:00Z"}},
		{"blocks ls", []string{"--bucket", bucket, "blocks", "ls", "-o", "json"}},
		{"version", []string{"version"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			r.Close() // the reader has gone before the first write
			defer w.Close()
			var stderr bytes.Buffer
			code := Main(tc.args, &ui.IO{In: strings.NewReader(""), Out: w, Err: &stderr})
			if code != exitOK || stderr.Len() > 0 {
				t.Errorf("exit %d, stderr %q; want 0 and nothing", code, stderr.String())
			}
		})
	}
}
