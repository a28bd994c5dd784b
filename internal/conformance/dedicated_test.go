package conformance

import (
	"context"
	"path/filepath"
	"sort"
	"testing"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/store"
	"github.com/tracectl/tracectl/traceql/traceqltest"
)

// TestSearchScriptsOnDedicatedBlocks runs every search script on blocks
// whose string attributes sit in dedicated columns: the most frequent
// string keys of each data set (up to ten per scope), assigned in a
// different order and subset in alternate blocks, so that one query reads
// blocks with different dedicated sets. Every answer must equal the
// in-memory source's (the scripts' expectations).
func TestSearchScriptsOnDedicatedBlocks(t *testing.T) {
	dir := filepath.Join("..", "..", "traceql", "testdata", "search")
	traceqltest.RunWithOptions(t, dir, traceqltest.Options{
		Open: func(t *testing.T, traces []*model.Trace) store.Source {
			return writeDedicatedBlocks(t, traces, 3)
		},
	})
}

// frequentStringKeys returns the string attribute keys of traces by scope,
// most frequent first (ties by name), that may have a dedicated column.
func frequentStringKeys(traces []*model.Trace) (resource, span []string) {
	count := map[[2]string]int{}
	for _, tr := range traces {
		tr.Spans(func(r model.SpanRef) bool {
			for _, a := range r.Span.Attributes {
				if a.Value.Type == model.ValueString {
					count[[2]string{blocks.ScopeSpan, a.Key}]++
				}
			}
			for _, a := range r.Resource.Attributes {
				if a.Value.Type == model.ValueString {
					count[[2]string{blocks.ScopeResource, a.Key}]++
				}
			}
			return true
		})
	}
	keys := make([][2]string, 0, len(count))
	for k := range count {
		if _, err := blocks.CheckDedicatedColumns([]blocks.DedicatedColumn{{Scope: k[0], Name: k[1]}}); err == nil {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if count[keys[i]] != count[keys[j]] {
			return count[keys[i]] > count[keys[j]]
		}
		return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1]
	})
	for _, k := range keys {
		if k[0] == blocks.ScopeResource && len(resource) < blocks.MaxDedicatedPerScope {
			resource = append(resource, k[1])
		}
		if k[0] == blocks.ScopeSpan && len(span) < blocks.MaxDedicatedPerScope {
			span = append(span, k[1])
		}
	}
	return resource, span
}

func writeDedicatedBlocks(t *testing.T, traces []*model.Trace, perBlock int) store.Source {
	t.Helper()
	res, span := frequentStringKeys(traces)
	var all, alt []blocks.DedicatedColumn
	for _, k := range res {
		all = append(all, blocks.DedicatedColumn{Scope: blocks.ScopeResource, Name: k})
	}
	for _, k := range span {
		all = append(all, blocks.DedicatedColumn{Name: k})
	}
	// Alternate blocks: every other key, in reverse order.
	for i := len(all) - 1; i >= 0; i -= 2 {
		alt = append(alt, all[i])
	}
	ctx := context.Background()
	b, err := blocks.OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	st := blocks.NewStore(b, "single-tenant")
	sorted := append([]*model.Trace(nil), traces...)
	model.SortTraces(sorted)
	for i, n := 0, 0; i < len(sorted); i, n = i+perBlock, n+1 {
		end := min(i+perBlock, len(sorted))
		cols := all
		if n%2 == 1 {
			cols = alt
		}
		m, err := st.WriteBlock(ctx, sorted[i:end], blocks.WriteOptions{DedicatedColumns: cols})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.DedicatedColumns) != len(cols) {
			t.Fatalf("block %d: meta lists %d dedicated columns, want %d", n, len(m.DedicatedColumns), len(cols))
		}
	}
	return st
}
