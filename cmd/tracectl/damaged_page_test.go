package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/blocks/column/columntest"
	"github.com/tracectl/tracectl/internal/fixtures"
)

// damagedPageBucket ingests the HotROD captures into three blocks (their
// end times one hour apart at most) and flips bytes inside the first page
// of the span names of the second block's data.parquet, its footer intact.
// It returns the bucket URL and the damaged block's ID.
func damagedPageBucket(t *testing.T) (bucket, bad string) {
	t.Helper()
	dir := t.TempDir()
	bucket = "file://" + dir
	skills := fixtures.Path(t, "jaeger/skills")
	if code, _, stderr := run(t, "--bucket", bucket, "ingest", "--skip-bad", "--max-block-traces", "2", skills); code != exitOK {
		t.Fatalf("ingest: exit %d: %s", code, stderr)
	}
	b, err := blocks.OpenBucket(context.Background(), bucket)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	metas, err := blocks.NewStore(b, defaultTenant).Blocks(context.Background())
	if err != nil || len(metas) != 3 {
		t.Fatalf("%d blocks, %v; want 3", len(metas), err)
	}
	bad = metas[1].BlockID.String()
	path := filepath.Join(dir, defaultTenant, bad, "data.parquet")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := columntest.FirstPage(data, 0, "rs.list.element.ss.list.element.Spans.list.element.Name")
	if err != nil {
		t.Fatal(err)
	}
	for i := (p.Payload[0] + p.Payload[1]) / 2; i < p.Payload[1]; i++ {
		data[i] ^= 0x5a
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return bucket, bad
}

// TestDamagedPage: damage inside a data page of one block (which the
// footer check cannot see) does not stop a command: it leaves the block
// out with a warning naming it and exits 1 (2 with --strict); compact
// merges the other blocks and leaves the damaged one live; blocks verify
// lists it.
func TestDamagedPage(t *testing.T) {
	metrics := []string{"metrics", "{ } | count_over_time() by (name)", "--start", "2025-08-01T00:00:00Z", "--end", "2026-08-20T00:00:00Z", "--instant", "-o", "prom"}
	for _, tc := range []struct {
		name   string
		args   []string
		want   int
		stdout string // a line the output must hold
	}{
		{"query", []string{"query", `{ name =~ ".+" }`}, exitCheckFailed, "frontend\tGET /dispatch"},
		{"query --strict", []string{"--strict", "query", `{ name =~ ".+" }`}, exitError, "frontend\tGET /dispatch"},
		{"metrics", metrics, exitCheckFailed, "count_over_time{"},
		{"metrics --strict", append([]string{"--strict"}, metrics...), exitError, "count_over_time{"},
		{"compact", []string{"compact", "--window", "1000000h"}, exitCheckFailed, "\toutput\t"},
		{"compact --strict", []string{"--strict", "compact", "--window", "1000000h"}, exitError, "\toutput\t"},
		{"verify", []string{"blocks", "verify"}, exitCheckFailed, "row group 0: column rs.list.element.ss.list.element.Spans.list.element.Name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bucket, bad := damagedPageBucket(t)
			code, stdout, stderr := run(t, append([]string{"--bucket", bucket}, tc.args...)...)
			if code != tc.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.want, stderr)
			}
			if !strings.Contains(stdout, tc.stdout) {
				t.Errorf("stdout does not hold %q:\n%s", tc.stdout, stdout)
			}
			if tc.name == "verify" {
				if !strings.Contains(stdout, bad) || !strings.Contains(stderr, "1 damaged") {
					t.Fatalf("verify does not list block %s:\n%s%s", bad, stdout, stderr)
				}
				return
			}
			warning := "tracectl: warning: damaged block left out: damaged block object " + defaultTenant + "/" + bad + "/data.parquet: row group 0: "
			if !strings.Contains(stderr, warning) {
				t.Fatalf("stderr does not warn %q:\n%s", warning, stderr)
			}
			if strings.Contains(tc.name, "--strict") && !strings.Contains(stderr, "1 damaged blocks left out (--strict)") {
				t.Fatalf("stderr does not say --strict failed the command:\n%s", stderr)
			}
			if !strings.HasPrefix(tc.name, "compact") {
				return
			}
			// The two sound blocks merged; the damaged one is live, and a
			// read leaves it out again.
			_, ls, _ := run(t, "--bucket", bucket, "blocks", "ls")
			if !strings.Contains(ls, bad) || strings.Count(ls, "\n") != 3 {
				t.Fatalf("after compact, want the output and the damaged block:\n%s", ls)
			}
			if code, _, stderr := run(t, "--bucket", bucket, "query", `{ name =~ ".+" }`); code != exitCheckFailed || !strings.Contains(stderr, warning) {
				t.Fatalf("query after compact: exit %d:\n%s", code, stderr)
			}
		})
	}
}
