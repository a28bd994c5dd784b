package main

import (
	"os"
	"testing"

	"github.com/tracectl/tracectl/internal/fixtures"
)

// TestQuerySpill: a search keeping more traces than stay in memory writes
// the rest to a file under TMPDIR and prints the same bytes in every
// output format; nothing is left in TMPDIR.
func TestQuerySpill(t *testing.T) {
	bucket := "file://" + t.TempDir()
	for _, f := range []string{"zipkin/v2", "jaeger/skills/sibling_errors.json"} {
		if code, _, stderr := run(t, "--bucket", bucket, "ingest", fixtures.Path(t, f)); code != exitOK {
			t.Fatalf("ingest %s: exit %d: %s", f, code, stderr)
		}
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, args := range [][]string{
		{"-o", "json"}, {"-o", "jsonl"}, {}, {"--spans"}, {"-o", "json", "--limit", "5"},
	} {
		q := append([]string{"--bucket", bucket, "query", "--limit", "1000", "{ } | select(span.http.status_code)"}, args...)
		querySpillAfter = 1 << 30
		code, want, stderr := run(t, q...)
		if code != exitOK || len(want) < 100 {
			t.Fatalf("%v in memory: exit %d, %d bytes: %s", args, code, len(want), stderr)
		}
		querySpillAfter = 2
		code, got, stderr := run(t, q...)
		querySpillAfter = 0
		if code != exitOK || got != want {
			t.Errorf("%v spilled: exit %d, stdout differs (%d bytes, want %d): %s", args, code, len(got), len(want), stderr)
		}
		if es, err := os.ReadDir(tmp); err != nil || len(es) != 0 {
			t.Errorf("%v: TMPDIR holds %v (%v) after the query", args, es, err)
		}
	}
}
