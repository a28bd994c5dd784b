package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestJSONNoNull runs every command that writes JSON, on a small bucket and
// on cases where the answer is empty (nothing matched, nothing to do), and
// fails on any null in the output: scripts get [] for an empty list and
// {} for an empty object, never null. A value that may be absent is
// left out (omitempty), not null.
func TestJSONNoNull(t *testing.T) {
	dir := t.TempDir()
	bucket := "file://" + dir + "/bucket"
	empty := "file://" + dir + "/empty"
	must := func(args ...string) string { t.Helper(); return mustRun(t, args...) }
	twoBlocks(t, dir, bucket, 1500, true) // for compact to merge
	must("--bucket", empty, "ingest", dir+"/in1")
	must("--bucket", empty, "retain", "--older-than", "1h", "--compacted-retention", "0") // a tenant whose blocks are all gone
	files := map[string]string{
		"otelcol.yaml": "policies:\n  - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}\n  - {name: some, type: probabilistic, probabilistic: {sampling_percentage: 20}}\n",
		"all.yaml":     "policies:\n  - {name: all, type: always_sample}\n",
		"rules.yaml":   "rules:\n  - name: mask\n    redaction:\n      allow_all_keys: true\n      detectors: [all]\n  - name: nothing\n    attributes:\n      actions:\n        - {key: no.such.key, action: delete}\n",
		"none.yaml":    "rules:\n  - name: nothing\n    attributes:\n      actions:\n        - {key: no.such.key, action: delete}\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := func(name string) string { return filepath.Join(dir, name) }
	var found struct {
		Traces []struct {
			TraceID string `json:"traceID"`
		} `json:"traces"`
	}
	all := []string{"--start", "2026-01-01T00:00:00Z", "--end", "2026-01-02T00:00:00Z"}
	if err := json.Unmarshal([]byte(must(append([]string{"--bucket", bucket, "query", "{ }", "--limit", "1", "-o", "json"}, all...)...)), &found); err != nil || len(found.Traces) == 0 {
		t.Fatalf("no trace to look up: %v", err)
	}
	traceID := found.Traces[0].TraceID
	var blocks []struct {
		BlockID string `json:"blockID"`
	}
	if err := json.Unmarshal([]byte(must("--bucket", bucket, "blocks", "ls", "-o", "json")), &blocks); err != nil || len(blocks) == 0 {
		t.Fatalf("no block: %v", err)
	}
	b := []string{"--bucket", bucket}
	q := func(base []string, args ...string) []string {
		return append(append(append([]string{}, base...), args...), all...)
	}
	c := func(base []string, args ...string) []string { return append(append([]string{}, base...), args...) }
	eNoAllow := []string{"--bucket", empty}
	tests := []struct {
		name  string
		args  []string
		lines bool // JSON lines
	}{
		{name: "query", args: q(b, "query", "{ }", "-o", "json", "--spss", "2")},
		{name: "query nothing", args: q(b, "query", "{ name = \"no such span\" }", "-o", "json")},
		{name: "query by", args: q(b, "query", "{ } | by(resource.service.name) | select(span.http.route)", "-o", "json")},
		{name: "query jsonl", args: q(b, "query", "{ }", "-o", "jsonl"), lines: true},
		{name: "query empty tenant", args: q(eNoAllow, "query", "{ }", "-o", "json")},
		{name: "metrics", args: q(b, "metrics", "{ } | rate() by (resource.service.name)", "-o", "json", "--step", "1h")},
		{name: "metrics histogram", args: q(b, "metrics", "{ } | histogram_over_time(duration)", "-o", "json", "--instant")},
		{name: "metrics no exemplars", args: q(b, "metrics", "{ } | rate() with (exemplars=false)", "-o", "json", "--instant")},
		{name: "metrics nothing", args: q(b, "metrics", "{ name = \"no such span\" } | rate()", "-o", "json", "--instant")},
		{name: "metrics compare", args: q(b, "metrics", "{ } | compare({ status = error })", "-o", "json", "--instant")},
		{name: "metricsgen", args: q(b, "metricsgen", "-o", "json")},
		{name: "metricsgen nothing", args: q(eNoAllow, "metricsgen", "-o", "json")},
		{name: "blocks ls", args: c(b, "blocks", "ls", "-o", "json")},
		{name: "blocks ls empty", args: c(eNoAllow, "blocks", "ls", "-o", "json")},
		{name: "blocks inspect", args: c(b, "blocks", "inspect", blocks[0].BlockID, "-o", "json")},
		{name: "blocks verify", args: c(b, "blocks", "verify", "-o", "json")},
		{name: "blocks analyse", args: c(b, "blocks", "analyse", "-o", "json")},
		{name: "blocks analyse empty", args: c(eNoAllow, "blocks", "analyse", "-o", "json")},
		{name: "blocks verify empty", args: c(eNoAllow, "blocks", "verify", "--allow-empty", "-o", "json")},
		{name: "trace get", args: c(b, "trace", "get", traceID, "-o", "json")},
		{name: "trace get otlp-json", args: c(b, "trace", "get", traceID, "-o", "otlp-json")},
		{name: "trace get tempo-json", args: c(b, "trace", "get", traceID, "-o", "tempo-json")},
		{name: "redact scan", args: c(b, "redact", "scan", "-o", "json")},
		{name: "redact dry-run", args: c(b, "redact", "--rules", cfg("rules.yaml"), "--dry-run", "-o", "json")},
		{name: "redact nothing", args: c(b, "redact", "--rules", cfg("none.yaml"), "--dry-run", "-o", "json")},
		{name: "redact empty", args: c(eNoAllow, "redact", "--rules", cfg("none.yaml"), "-o", "json")},
		{name: "sample replay", args: q(b, "sample", "replay", "--collector-config", cfg("otelcol.yaml"), "-o", "json")},
		{name: "sample replay jsonl", args: q(b, "sample", "replay", "--collector-config", cfg("otelcol.yaml"), "-o", "jsonl"), lines: true},
		{name: "sample replay empty", args: c(eNoAllow, "sample", "replay", "--collector-config", cfg("otelcol.yaml"), "-o", "json")},
		{name: "sample explain", args: c(b, "sample", "explain", "--collector-config", cfg("otelcol.yaml"), "-o", "json", traceID)},
		{name: "sample diff", args: q(b, "sample", "diff", "--collector-config", cfg("otelcol.yaml"), "--collector-config", cfg("all.yaml"), "-o", "json")},
		{name: "sample diff same", args: q(b, "sample", "diff", "--collector-config", cfg("all.yaml"), "--collector-config", cfg("all.yaml"), "-o", "json")},
		{name: "sample diff jsonl", args: q(b, "sample", "diff", "--collector-config", cfg("otelcol.yaml"), "--collector-config", cfg("all.yaml"), "-o", "jsonl"), lines: true},
		{name: "version", args: []string{"version", "-o", "json"}},
		{name: "ingest", args: c(b, "ingest", dir+"/in1", "-o", "json")},
		{name: "compact dry-run", args: c(b, "compact", "--dry-run", "--window", "24h", "-o", "json")},
		{name: "compact", args: c(b, "compact", "--window", "24h", "--compacted-retention", "1h", "-o", "json")},
		{name: "compact nothing", args: c(b, "compact", "--window", "24h", "-o", "json")},
		{name: "retain dry-run", args: c(b, "retain", "--older-than", "1h", "--dry-run", "-o", "json")},
		{name: "retain nothing", args: c(b, "retain", "--older-than", "1000000h", "-o", "json")},
		{name: "retain", args: c(b, "retain", "--older-than", "1h", "--compacted-retention", "0", "-o", "json")},
		{name: "retain empty", args: c(eNoAllow, "retain", "--allow-empty", "--older-than", "1h", "-o", "json")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tc.args...)
			if code != exitOK && code != exitCheckFailed {
				t.Fatalf("%v: exit %d: %s", tc.args, code, stderr)
			}
			docs := []string{stdout}
			if tc.lines {
				docs = strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
			}
			for _, doc := range docs {
				if strings.TrimSpace(doc) == "" {
					continue
				}
				var v any
				d := json.NewDecoder(bytes.NewReader([]byte(doc)))
				d.UseNumber()
				if err := d.Decode(&v); err != nil {
					t.Fatalf("%v: not JSON: %v\n%s", tc.args, err, doc)
				}
				for _, p := range nullPaths(v, "$") {
					t.Errorf("%s: null at %s", tc.name, p)
				}
			}
		})
	}
}

// nullPaths lists the paths of the null values in v (arrays' elements by
// index, objects' members by key, in key order).
func nullPaths(v any, path string) []string {
	switch x := v.(type) {
	case nil:
		return []string{path}
	case []any:
		var out []string
		for i, e := range x {
			out = append(out, nullPaths(e, fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			out = append(out, nullPaths(x[k], path+"."+k)...)
		}
		return out
	}
	return nil
}
