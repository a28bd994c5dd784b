package input

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/model"
)

// fixtureCase is one file under the shared testdata with what the README
// says about it. A case either decodes (format, traces, spans: spans counts
// every span read, duplicates included) or fails with wantErr in the
// message, which must also name the file.
type fixtureCase struct {
	rel           string
	format        codec.Format
	traces, spans int
	dups          int    // spans the TraceBuilder drops as duplicates
	wantErr       string // substring of the expected error
}

// Files with duplicate spans (same trace, span ID and kind, all real
// repeats in the upstream files): jaeger/jaeger-ui-format/ui_01.json,
// jaeger/otlp2jaeger/otlp2jaeger-in.json and -out.json (1 each),
// opentelemetry-collector/zipkin_v2_sample1.json (one CLIENT span 9 times),
// zipkin/v2/netflix.json (1) and both smartthings traces (a SERVER span 5
// times). zipkin_v1_error_batch.json has parentId "BADID": it fails with a
// positioned error rather than silently dropping the parent.
//
// fixtureCases lists every file of shared/testdata/external except the
// PROVENANCE.md notes, with counts from shared/testdata/README.md.
var fixtureCases = []fixtureCase{
	{rel: "crisp/15.json", format: codec.FormatJaegerJSON, traces: 1, spans: 7},
	{rel: "crisp/18.json", format: codec.FormatJaegerJSON, traces: 1, spans: 9},
	{rel: "crisp/err_pattern1_err1.json", format: codec.FormatJaegerJSON, traces: 1, spans: 2},
	{rel: "crisp/err_pattern3_err1.json", format: codec.FormatJaegerJSON, traces: 1, spans: 3},
	{rel: "elastic-apm-server/jaeger-proto-json/batch_0.json", format: codec.FormatJaegerJSON, traces: 1, spans: 1},
	{rel: "elastic-apm-server/jaeger-proto-json/batch_1.json", format: codec.FormatJaegerJSON, traces: 1, spans: 14},
	{rel: "elastic-apm-server/jaeger-thrift/span.thrift", wantErr: "Jaeger Thrift"}, // jaeger-thrift-binary
	{rel: "jaeger-ui/edge-cases/multi-reference.legacy.json", format: codec.FormatJaegerJSON, traces: 1, spans: 4},
	{rel: "jaeger-ui/edge-cases/parent-cycle.legacy.json", format: codec.FormatJaegerJSON, traces: 1, spans: 2},
	{rel: "jaeger-ui/otlp2jaeger/oltp2jaeger-multi-out.json", format: codec.FormatJaegerJSON, traces: 1, spans: 4},
	{rel: "jaeger-ui/otlp2jaeger/otlp2jaeger-in-error.json", format: codec.FormatOTLPJSON, traces: 1, spans: 1},
	{rel: "jaeger-ui/otlp2jaeger/otlp2jaeger-multi-in-combined.json", format: codec.FormatOTLPJSON, traces: 1, spans: 4},
	{rel: "jaeger-ui/single-trace/flamegraph_testTrace.json", format: codec.FormatJaegerJSON, traces: 1, spans: 4},
	{rel: "jaeger-ui/single-trace/genaiTestTrace.json", format: codec.FormatJaegerJSON, traces: 1, spans: 57},
	{rel: "jaeger-ui/single-trace/spanAmongEachOtherGroupedAndSpans.json", format: codec.FormatJaegerJSON, traces: 1, spans: 17},
	{rel: "jaeger-ui/single-trace/traceWithOverlappingChildrenLongerThanParent.json", format: codec.FormatJaegerJSON, traces: 1, spans: 4},
	{rel: "jaeger-ui/single-trace/traceWithSingleChildLongerThanParentAndStartsAfterParent.json", format: codec.FormatJaegerJSON, traces: 1, spans: 2},
	{rel: "jaeger-ui/single-trace/tracegraph_testTrace.json", format: codec.FormatJaegerJSON, traces: 1, spans: 11},
	{rel: "jaeger/jaeger-ui-format/ui_01.json", format: codec.FormatJaegerJSON, traces: 1, spans: 5, dups: 1},
	{rel: "jaeger/otlp/otel_traces_01.json", format: codec.FormatOTLPJSON, traces: 2, spans: 4},
	{rel: "jaeger/otlp2jaeger/otlp2jaeger-in.json", format: codec.FormatOTLPJSON, traces: 1, spans: 2, dups: 1},
	{rel: "jaeger/otlp2jaeger/otlp2jaeger-out.json", format: codec.FormatJaegerJSON, traces: 1, spans: 2, dups: 1},
	{rel: "jaeger/skills/error_timeout_masked.json", format: codec.FormatOTLPJSON, traces: 1, spans: 26},
	{rel: "jaeger/skills/error_timeout_masked.manifest.json", wantErr: "unknown or unsupported format"}, // metadata-json
	{rel: "jaeger/skills/n_plus_one_full_concurrent.json", format: codec.FormatOTLPJSON, traces: 1, spans: 40},
	{rel: "jaeger/skills/n_plus_one_full_concurrent.manifest.json", wantErr: "unknown or unsupported format"}, // metadata-json
	{rel: "jaeger/skills/n_plus_one_full_serial.json", format: codec.FormatOTLPJSON, traces: 1, spans: 40},
	{rel: "jaeger/skills/n_plus_one_full_serial.manifest.json", wantErr: "unknown or unsupported format"}, // metadata-json
	{rel: "jaeger/skills/n_plus_one_near_miss.json", format: codec.FormatOTLPJSON, traces: 1, spans: 12},
	{rel: "jaeger/skills/n_plus_one_near_miss.manifest.json", wantErr: "unknown or unsupported format"}, // metadata-json
	{rel: "jaeger/skills/n_plus_one_positive.json", format: codec.FormatOTLPJSON, traces: 1, spans: 16},
	{rel: "jaeger/skills/n_plus_one_positive.manifest.json", wantErr: "unknown or unsupported format"}, // metadata-json
	{rel: "jaeger/skills/sibling_errors.json", format: codec.FormatOTLPJSON, traces: 1, spans: 6},
	{rel: "jaeger/skills/sibling_errors.manifest.json", wantErr: "unknown or unsupported format"}, // metadata-json
	{rel: "jaeger/storage-integration/example_trace.json", format: codec.FormatOTLPJSON, traces: 1, spans: 5},
	{rel: "jaeger/storage-integration/link_attributes_trace.json", format: codec.FormatOTLPJSON, traces: 1, spans: 1},
	{rel: "jaeger/storage-integration/log_tags_trace.json", format: codec.FormatOTLPJSON, traces: 1, spans: 1},
	{rel: "jaeger/storage-integration/scope_attributes_trace.json", format: codec.FormatOTLPJSON, traces: 1, spans: 1},
	{rel: "jaeger/storage-integration/tags_escaped_operator_trace_1.json", format: codec.FormatOTLPJSON, traces: 1, spans: 1},
	{rel: "nezha/onlineboutique/2022-08-22-fault_list.json", wantErr: "unknown or unsupported format"}, // metadata-json
	{rel: "nezha/onlineboutique/construct_2022-08-23_17_00_trace.csv", wantErr: "CSV"},                 // nezha-span-csv
	{rel: "nezha/onlineboutique/rca_2022-08-22_03_53_trace.csv", wantErr: "CSV"},                       // nezha-span-csv
	{rel: "nezha/onlineboutique/rca_2022-08-22_04_02_trace.csv", wantErr: "CSV"},                       // nezha-span-csv
	{rel: "nezha/onlineboutique/root_cause_hipster.json", wantErr: "unknown or unsupported format"},    // metadata-json
	{rel: "nezha/trainticket/2023-01-29-fault_list.json", wantErr: "unknown or unsupported format"},    // metadata-json
	{rel: "nezha/trainticket/construct_2023-01-29_08_50_trace.csv", wantErr: "CSV"},                    // nezha-span-csv
	{rel: "nezha/trainticket/rca_2023-01-29_08_43_trace.csv", wantErr: "CSV"},                          // nezha-span-csv
	{rel: "nezha/trainticket/rca_2023-01-29_08_52_trace.csv", wantErr: "CSV"},                          // nezha-span-csv
	{rel: "nezha/trainticket/root_cause_ts.json", wantErr: "unknown or unsupported format"},            // metadata-json
	{rel: "opentelemetry-collector/zipkin_v1_error_batch.json", format: codec.FormatZipkinV1, wantErr: "$[1].parentId"},
	{rel: "opentelemetry-collector/zipkin_v1_local_component.json", format: codec.FormatZipkinV1, traces: 1, spans: 2},
	{rel: "opentelemetry-collector/zipkin_v1_multiple_batches.json", format: codec.FormatZipkinV1, traces: 1, spans: 5},
	{rel: "opentelemetry-collector/zipkin_v1_single_batch.json", format: codec.FormatZipkinV1, traces: 1, spans: 5},
	{rel: "opentelemetry-collector/zipkin_v2_notimestamp.json", format: codec.FormatZipkinV1, traces: 1, spans: 1},
	{rel: "opentelemetry-collector/zipkin_v2_sample1.json", format: codec.FormatZipkinV2, traces: 1, spans: 9, dups: 8},
	{rel: "opentelemetry-collector/zipkin_v2_sample2.json", format: codec.FormatZipkinV2, traces: 1, spans: 1},
	{rel: "opentelemetry-collector/zipkin_v2_single.json", format: codec.FormatZipkinV2, traces: 1, spans: 1},
	{rel: "opentelemetry-collector-contrib/servicegraph/extra-dimensions-queue-db-expected-metrics.yaml", wantErr: "unknown or unsupported format"}, // otlp-metrics-yaml (expected output)
	{rel: "opentelemetry-collector-contrib/servicegraph/extra-dimensions-queue-db-trace.yaml", format: codec.FormatOTLPYAML, traces: 1, spans: 2},
	{rel: "opentelemetry-collector-contrib/servicegraph/failed-label-not-work-expect-metrics.yaml", wantErr: "unknown or unsupported format"}, // otlp-metrics-yaml (expected output)
	{rel: "opentelemetry-collector-contrib/servicegraph/failed-label-not-work-simple-trace.yaml", format: codec.FormatOTLPYAML, traces: 3, spans: 6},
	{rel: "opentelemetry-collector-contrib/servicegraph/messaging-system-trace-expected-metrics.yaml", wantErr: "unknown or unsupported format"}, // otlp-metrics-yaml (expected output)
	{rel: "opentelemetry-collector-contrib/servicegraph/messaging-system-trace.yaml", format: codec.FormatOTLPYAML, traces: 1, spans: 2},
	{rel: "opentelemetry-collector-contrib/servicegraph/service-graph-connector-config.yaml", wantErr: "unknown or unsupported format"},             // collector-config-yaml
	{rel: "opentelemetry-collector-contrib/servicegraph/virtual-node-label-client-expected-metrics.yaml", wantErr: "unknown or unsupported format"}, // otlp-metrics-yaml (expected output)
	{rel: "opentelemetry-collector-contrib/servicegraph/virtual-node-label-client-trace.yaml", format: codec.FormatOTLPYAML, traces: 1, spans: 1},
	{rel: "opentelemetry-collector-contrib/servicegraph/virtual-node-label-server-expected-metrics.yaml", wantErr: "unknown or unsupported format"}, // otlp-metrics-yaml (expected output)
	{rel: "opentelemetry-collector-contrib/servicegraph/virtual-node-label-server-trace.yaml", format: codec.FormatOTLPYAML, traces: 1, spans: 1},
	{rel: "opentelemetry-collector-contrib/tailsampling/tail_sampling_config.yaml", wantErr: "unknown or unsupported format"}, // collector-config-yaml
	{rel: "opentelemetry-collector-contrib/zipkin-v2/sample3.json", format: codec.FormatZipkinV2, traces: 1, spans: 1},
	{rel: "opentelemetry-collector-contrib/zipkin-v2/sample4.json", format: codec.FormatZipkinV2, traces: 1, spans: 1},
	{rel: "opentelemetry-proto/trace.json", format: codec.FormatOTLPJSON, traces: 1, spans: 1},
	{rel: "opentelemetry-proto/trace.protobuf-bin", format: codec.FormatOTLPProto, traces: 1, spans: 1},
	{rel: "opentelemetry-proto/trace.protobuf-text", wantErr: "protobuf text format"}, // otlp-protobuf-text
	{rel: "tempo/otlp/tempo-vulture-trace.json", format: codec.FormatOTLPJSON, traces: 1, spans: 6},
	{rel: "tempo/otlp/tempopb-batches-trace.json", format: codec.FormatOTLPJSON, traces: 1, spans: 1},
	{rel: "tempo/servicegraphs/trace-with-expired-edges.json", format: codec.FormatOTLPJSON, traces: 1, spans: 5},
	{rel: "tempo/servicegraphs/trace-with-failed-requests.json", format: codec.FormatOTLPJSON, traces: 1, spans: 15},
	{rel: "tempo/servicegraphs/trace-with-queue-database.json", format: codec.FormatOTLPJSON, traces: 1, spans: 19},
	{rel: "tempo/servicegraphs/trace-with-virtual-nodes.json", format: codec.FormatOTLPJSON, traces: 2, spans: 3},
	{rel: "tempo/vparquet4-block/single-tenant/b27b0e53-66a0-4505-afd6-434ae3cd4a10/bloom-0", wantErr: "unknown or unsupported format"},   // tempo-vparquet4-block
	{rel: "tempo/vparquet4-block/single-tenant/b27b0e53-66a0-4505-afd6-434ae3cd4a10/data.parquet", wantErr: "Parquet"},                    // tempo-vparquet4-block
	{rel: "tempo/vparquet4-block/single-tenant/b27b0e53-66a0-4505-afd6-434ae3cd4a10/index", wantErr: "unknown or unsupported format"},     // tempo-vparquet4-block
	{rel: "tempo/vparquet4-block/single-tenant/b27b0e53-66a0-4505-afd6-434ae3cd4a10/meta.json", wantErr: "unknown or unsupported format"}, // tempo-vparquet4-block
	{rel: "zipkin/v1/span-client.json", format: codec.FormatZipkinV1, traces: 1, spans: 1},
	{rel: "zipkin/v1/span-local.json", format: codec.FormatZipkinV1, traces: 1, spans: 1},
	{rel: "zipkin/v1/span-rpc.json", format: codec.FormatZipkinV1, traces: 1, spans: 1},
	{rel: "zipkin/v2/ascend.json", format: codec.FormatZipkinV2, traces: 1, spans: 8},
	{rel: "zipkin/v2/envoy.json", format: codec.FormatZipkinV2, traces: 1, spans: 1},
	{rel: "zipkin/v2/malformed.json", format: codec.FormatZipkinV2, traces: 1, spans: 7},
	{rel: "zipkin/v2/messaging-kafka.json", format: codec.FormatZipkinV2, traces: 1, spans: 28},
	{rel: "zipkin/v2/messaging.json", format: codec.FormatZipkinV2, traces: 1, spans: 4},
	{rel: "zipkin/v2/messaging2.json", format: codec.FormatZipkinV2, traces: 1, spans: 11},
	{rel: "zipkin/v2/netflix.json", format: codec.FormatZipkinV2, traces: 1, spans: 8, dups: 1},
	{rel: "zipkin/v2/simple-db-p6.json", format: codec.FormatZipkinV2, traces: 1, spans: 5},
	{rel: "zipkin/v2/skew.json", format: codec.FormatZipkinV2, traces: 1, spans: 4},
	{rel: "zipkin/v2/smartthings-mobile-web-install.json", format: codec.FormatZipkinV2, traces: 1, spans: 1041, dups: 4},
	{rel: "zipkin/v2/smartthings-oauth-authorization.json", format: codec.FormatZipkinV2, traces: 1, spans: 175, dups: 4},
	{rel: "zipkin/v2/yelp.json", format: codec.FormatZipkinV2, traces: 1, spans: 16},
	{rel: "zipkin/v2/zipkin2-chinese.json", format: codec.FormatZipkinV2, traces: 1, spans: 1},
	{rel: "zipkin/v2/zipkin2-client.json", format: codec.FormatZipkinV2, traces: 1, spans: 1},
}

func TestFixtures(t *testing.T) {
	root := fixtures.Root(t)
	for _, tc := range fixtureCases {
		t.Run(tc.rel, func(t *testing.T) {
			path := filepath.Join(root, filepath.FromSlash(tc.rel))
			b := model.NewTraceBuilder()
			rep, err := Decode(context.Background(), []string{path}, Options{}, func(file string, batch codec.Batch) error {
				for i := range batch {
					b.AddResourceSpans(&batch[i])
				}
				return nil
			})
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("decoded %d spans as %v; want error containing %q", b.Spans, rep.Files, tc.wantErr)
				}
				var de *codec.DecodeError
				if !errors.As(err, &de) || de.File != path {
					t.Errorf("err = %v (%T); want a *codec.DecodeError naming %s", err, err, path)
				}
				if !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), path) {
					t.Errorf("err = %v\nwant it to start with the file and contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(rep.Files) != 1 || rep.Files[0].Format != tc.format {
				t.Fatalf("report files = %+v, want one %s file", rep.Files, tc.format)
			}
			if got := b.Len(); got != tc.traces {
				t.Errorf("traces = %d, want %d", got, tc.traces)
			}
			if got := b.Spans + b.Duplicates; got != tc.spans {
				t.Errorf("spans = %d (+%d duplicates), want %d", b.Spans, b.Duplicates, tc.spans)
			}
			if b.Duplicates != tc.dups {
				t.Errorf("duplicates = %d, want %d", b.Duplicates, tc.dups)
			}
			if rep.Spans[tc.format] != tc.spans {
				t.Errorf("report spans = %d, want %d", rep.Spans[tc.format], tc.spans)
			}
			for _, tr := range b.Traces() {
				if tr.TraceID.IsZero() {
					t.Errorf("zero trace ID")
				}
			}
		})
	}
}

// The table covers every file, so a new fixture cannot go untested.
func TestFixtureTableIsComplete(t *testing.T) {
	root := fixtures.Root(t)
	listed := map[string]bool{}
	for _, tc := range fixtureCases {
		listed[tc.rel] = true
	}
	var missing []string
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || e.Name() == "PROVENANCE.md" {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if !listed[rel] {
			missing = append(missing, rel)
		}
		delete(listed, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for rel := range listed {
		missing = append(missing, "gone: "+rel)
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("fixture table out of date:\n%s", strings.Join(missing, "\n"))
	}
}

// Walking the whole fixture tree with SkipBad decodes every trace file,
// skips the rest and loses nothing.
func TestDecodeDirectoryWalk(t *testing.T) {
	root := fixtures.Root(t)
	var order []string
	rep, err := Decode(context.Background(), []string{root}, Options{SkipBad: true}, func(file string, _ codec.Batch) error {
		if len(order) == 0 || order[len(order)-1] != file {
			order = append(order, file)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Lexical order of the tree: compare paths element by element.
	if !sort.SliceIsSorted(order, func(i, j int) bool {
		return slices.Compare(strings.Split(order[i], "/"), strings.Split(order[j], "/")) < 0
	}) {
		t.Errorf("files not emitted in lexical order: %v", order)
	}
	want := map[codec.Format]int{}
	wantFiles, wantSkipped := 0, 0
	for _, tc := range fixtureCases {
		if tc.wantErr == "" {
			want[tc.format] += tc.spans
			wantFiles++
		} else {
			wantSkipped++
		}
	}
	// Only the deliberately bad files may land in Bad.
	for _, b := range rep.Bad {
		t.Logf("bad: %v", b.Err)
	}
	for _, s := range rep.Skipped {
		t.Logf("skipped: %s: %v", s.File, s.Err)
	}
	// PROVENANCE.md files are skipped too.
	provenance := 0
	_ = filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err == nil && e.Name() == "PROVENANCE.md" {
			provenance++
		}
		return nil
	})
	if got := len(rep.Files); got != wantFiles {
		t.Errorf("files decoded = %d, want %d", got, wantFiles)
	}
	if got := len(rep.Skipped) + len(rep.Bad); got != wantSkipped+provenance {
		t.Errorf("skipped+bad = %d, want %d", got, wantSkipped+provenance)
	}
	for f, n := range want {
		if rep.Spans[f] != n {
			t.Errorf("spans[%s] = %d, want %d", f, rep.Spans[f], n)
		}
	}
	if _, err := os.Stat(root); err != nil {
		t.Fatal(err)
	}
}
