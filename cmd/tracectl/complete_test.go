package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/internal/fixtures"
)

// TestCompletion asks the shell-completion entry point (what the scripts
// of `tracectl completion` call) for flag values, tenants and block IDs,
// and uses a unique block ID prefix.
func TestCompletion(t *testing.T) {
	bucket := "file://" + t.TempDir()
	for _, f := range []string{"zipkin/v2/yelp.json", "opentelemetry-proto/trace.json"} {
		if code, _, stderr := run(t, "--bucket", bucket, "ingest", fixtures.Path(t, f)); code != exitOK {
			t.Fatalf("ingest: %s", stderr)
		}
	}
	_, ls, _ := run(t, "--bucket", bucket, "blocks", "ls", "-o", "json")
	var ids []string
	for _, line := range strings.Split(ls, "\n") {
		if i := strings.Index(line, `"blockID": "`); i >= 0 {
			ids = append(ids, line[i+12:i+48])
		}
	}
	if len(ids) != 2 {
		t.Fatalf("block IDs %v", ids)
	}
	complete := func(args ...string) []string {
		_, out, _ := run(t, append([]string{"--bucket", bucket, "__complete"}, args...)...)
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if !strings.HasPrefix(l, ":") {
				got = append(got, l)
			}
		}
		return got
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"query", "-o", ""}, []string{"table", "json", "jsonl"}},
		{[]string{"metrics", "--output", ""}, []string{"table", "json", "prom", "openmetrics"}},
		{[]string{"blocks", "ls", "--progress", ""}, []string{"auto", "always", "never"}},
		{[]string{"ingest", "--format", ""}, []string{"otlp-json", "otlp-proto", "otlp-yaml", "jaeger-json", "zipkin-v1", "zipkin-v2"}},
		{[]string{"metricsgen", "--naming", ""}, []string{"tempo", "otel"}},
		{[]string{"metricsgen", "--duration-unit", ""}, []string{"ms", "s"}},
		{[]string{"query", "--tenant", ""}, []string{"single-tenant"}},
		{[]string{"blocks", "inspect", ids[0][:2]}, []string{ids[0]}},
	} {
		got := complete(tc.args...)
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("%v: %v lacks %q", tc.args, got, w)
			}
		}
	}
	// A unique prefix names the block; a wrong one is an error.
	if code, out, stderr := run(t, "--bucket", bucket, "blocks", "inspect", ids[1][:8]); code != exitOK || !strings.Contains(out, ids[1]) {
		t.Fatalf("inspect by prefix: exit %d %s %s", code, out, stderr)
	}
	if code, _, stderr := run(t, "--bucket", bucket, "blocks", "inspect", "zz"); code != exitError || !strings.Contains(stderr, `block ID "zz"`) {
		t.Fatalf("inspect zz: exit %d %s", code, stderr)
	}
}

func TestResolveBlockID(t *testing.T) {
	ids := []string{"0a1b2c3d-0000-4000-8000-000000000001", "0a1b9999-0000-4000-8000-000000000002", "ffff0000-0000-4000-8000-000000000003"}
	for _, tc := range []struct{ arg, want, err string }{
		{"ffff", ids[2], ""},
		{"0a1b2", ids[0], ""},
		{"0A1B2", ids[0], ""},
		{"0a1b", "", "2 blocks start so"},
		{"9", "", "no block"},
		{"", "", "no block"},
		{ids[1], ids[1], ""},
	} {
		got, err := resolveBlockID(tc.arg, ids)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %v, want error with %q", tc.arg, err, tc.err)
			}
			continue
		}
		if err != nil || got.String() != tc.want {
			t.Errorf("%q: %v %v, want %s", tc.arg, got, err, tc.want)
		}
	}
}

// TestTraceGetPrefix: trace get takes a unique prefix of a 32-digit trace
// ID when no trace has the ID as typed (a 64-bit ID still wins).
func TestTraceGetPrefix(t *testing.T) {
	bucket := "file://" + t.TempDir()
	for _, f := range []string{"zipkin/v2", "opentelemetry-proto/trace.json"} {
		if code, _, stderr := run(t, "--bucket", bucket, "ingest", "--skip-bad", fixtures.Path(t, f)); code != exitOK {
			t.Fatalf("ingest %s: %s", f, stderr)
		}
	}
	for _, tc := range []struct {
		arg    string
		code   int
		stdout string
		stderr string
	}{
		{"5b8eff", exitOK, "5b8efff798038103d269b633813fc60c", ""},     // unique prefix
		{"a03ee8fff1dcd9b9", exitOK, "routing", ""},                    // a 64-bit ID, as before
		{"0000000000000000", exitError, "", "several traces start so"}, // every 64-bit ID
		{"5b8e", exitCheckFailed, "", "not found"},                     // too short to search
		{"abcdef", exitCheckFailed, "", "trace 00000000000000000000000000abcdef not found"},
	} {
		code, out, stderr := run(t, "--bucket", bucket, "trace", "get", tc.arg, "-o", "otlp-json")
		if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("trace get %s: exit %d, stdout %.80q, stderr %q", tc.arg, code, out, stderr)
		}
	}
}

// TestCompleting: value completions are registered for cobra's completion
// requests, wherever the persistent flags put them, and for nothing else.
func TestCompleting(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"__complete", "query", "-o", ""}, true},
		{[]string{"--bucket", "mem://", "__completeNoDesc", "ingest", "--format", ""}, true},
		{[]string{"query", "--limit", "20", "{ }"}, false},
		{[]string{"completion", "bash"}, false},
		{nil, false},
	} {
		if got := completing(tc.args); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.args, got, tc.want)
		}
	}
}
