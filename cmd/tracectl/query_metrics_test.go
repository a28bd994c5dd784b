package main

import (
	"encoding/json"
	"strconv"
	"testing"
)

// TestQueryJSONBlockMetrics checks the block counts of query -o json's
// metrics (Tempo's totalBlocks, totalBlockBytes, inspectedBytes): the
// blocks whose time range meets the search window, among those the
// search's listing found (TestListed in package blocks checks that a block
// written after a listing is not among them).
func TestQueryJSONBlockMetrics(t *testing.T) {
	dir := t.TempDir()
	bucket := "file://" + dir + "/bucket"
	must := func(args ...string) string { t.Helper(); return mustRun(t, args...) }
	// Two blocks a day apart.
	twoBlocks(t, dir, bucket, 800, false, []string{"--start", "2026-01-01T00:00:00Z"}, []string{"--start", "2026-01-02T00:00:00Z"})
	var blocks []struct {
		Size uint64 `json:"size"`
	}
	if err := json.Unmarshal([]byte(must("--bucket", bucket, "blocks", "ls", "-o", "json")), &blocks); err != nil || len(blocks) != 2 {
		t.Fatalf("blocks ls: %d blocks, %v", len(blocks), err)
	}
	first, second := blocks[0].Size, blocks[1].Size // blocks ls sorts by start time
	type metrics struct {
		TotalBlocks     int    `json:"totalBlocks"`
		TotalBlockBytes string `json:"totalBlockBytes"`
		InspectedBytes  string `json:"inspectedBytes"`
	}
	tests := []struct {
		name       string
		window     []string
		blocks     int
		blockBytes uint64
	}{
		{"every block", []string{"--start", "2026-01-01T00:00:00Z", "--end", "2026-01-03T00:00:00Z"}, 2, first + second},
		{"the first day", []string{"--start", "2026-01-01T00:00:00Z", "--end", "2026-01-01T12:00:00Z"}, 1, first},
		{"the second day", []string{"--start", "2026-01-01T12:00:00Z", "--end", "2026-01-03T00:00:00Z"}, 1, second},
		{"before the blocks", []string{"--start", "2025-01-01T00:00:00Z", "--end", "2025-01-02T00:00:00Z"}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out struct {
				Metrics metrics `json:"metrics"`
			}
			args := append([]string{"--bucket", bucket, "query", "{ }", "--limit", "3", "-o", "json"}, tt.window...)
			if err := json.Unmarshal([]byte(must(args...)), &out); err != nil {
				t.Fatal(err)
			}
			want := metrics{tt.blocks, strconv.FormatUint(tt.blockBytes, 10), strconv.FormatUint(tt.blockBytes, 10)}
			if out.Metrics != want {
				t.Errorf("metrics %+v, want %+v", out.Metrics, want)
			}
		})
	}
}
