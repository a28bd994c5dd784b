package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tracectl/tracectl/internal/fixtures"
	"github.com/tracectl/tracectl/internal/ui"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, &ui.IO{In: strings.NewReader(""), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

// mustRun is run for a command that must succeed: its stdout.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := run(t, args...)
	if code != exitOK {
		t.Fatalf("%v: exit %d: %s", args, code, stderr)
	}
	return stdout
}

// twoBlocks ingests two generated inputs of spans spans each (seeds 1 and
// 2, as OTLP JSON when json is set) into bucket: two blocks. The inputs
// are in dir/in1 and dir/in2; extra are more gen flags for each in turn
// (nil: none).
func twoBlocks(t *testing.T, dir, bucket string, spans int, json bool, extra ...[]string) {
	t.Helper()
	for i, in := range []string{dir + "/in1", dir + "/in2"} {
		args := []string{"gen", "--out", in, "--spans", strconv.Itoa(spans), "--seed", strconv.Itoa(i + 1)}
		if json {
			args = append(args, "--json")
		}
		if i < len(extra) {
			args = append(args, extra[i]...)
		}
		mustRun(t, args...)
		mustRun(t, "--bucket", bucket, "ingest", in)
	}
}

func TestExitCodes(t *testing.T) {
	bucket := "file://" + t.TempDir()
	yelp := fixtures.Path(t, "zipkin/v2/yelp.json")
	if code, _, stderr := run(t, "--bucket", bucket, "ingest", yelp); code != exitOK {
		t.Fatalf("ingest: exit %d: %s", code, stderr)
	}
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"found", []string{"trace", "get", "a03ee8fff1dcd9b9"}, exitOK},
		{"not found", []string{"trace", "get", "0123"}, exitCheckFailed},
		{"bad id", []string{"trace", "get", "xyz"}, exitError},
		{"unknown flag", []string{"blocks", "ls", "--nope"}, exitError},
		{"bad output", []string{"blocks", "ls", "-o", "yaml"}, exitError},
		{"missing args", []string{"ingest"}, exitError},
		{"bad bucket scheme", []string{"blocks", "ls", "--bucket", "nope://x"}, exitError},
		{"verify sound bucket", []string{"blocks", "verify"}, exitOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--bucket", bucket}, tc.args...)
			if code, _, stderr := run(t, args...); code != tc.want {
				t.Fatalf("%v: exit %d, want %d (stderr: %s)", tc.args, code, tc.want, stderr)
			}
		})
	}
}

// TestIngestFlags checks flag parsing into options without doing any work.
func TestIngestFlags(t *testing.T) {
	var got *ingestOptions
	g := &globals{io: &ui.IO{}}
	cmd := newIngestCmd(g, func(o *ingestOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--format", "zipkin-v2", "--skip-bad", "--max-block-traces", "10", "-o", "json", "a.json", "-"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.format != "zipkin-v2" || !got.skipBad || got.maxBlockTraces != 10 || got.output.value != "json" ||
		len(got.paths) != 2 || got.paths[1] != "-" {
		t.Fatalf("options = %+v", got)
	}
}

// TestNoFlagClashes walks every command: a flag defined twice on one path
// panics in cobra only when used, so check names and shorthands here.
func TestNoFlagClashes(t *testing.T) {
	root := newRootCmd(&globals{io: &ui.IO{}})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		seen := map[string]bool{}
		c.InheritedFlags().VisitAll(func(f *pflag.Flag) { seen[f.Name] = true })
		c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
			if seen[f.Name] {
				t.Errorf("%s: flag --%s shadows an inherited flag", c.CommandPath(), f.Name)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// TestRedactFlags checks redact and redact scan flag parsing without work.
func TestRedactFlags(t *testing.T) {
	var got *redactOptions
	g := &globals{io: &ui.IO{}}
	cmd := newRedactCmd(g, func(o *redactOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--rules", "r.yaml", "--dry-run", "--hash-key-file", "k", "-o", "json"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.rules != "r.yaml" || !got.dryRun || got.hashKeyFile != "k" || got.output.value != "json" {
		t.Fatalf("options = %+v", got)
	}
	var sc *scanOptions
	scan := newRedactScanCmd(g, func(o *scanOptions) error { sc = o; return nil })
	scan.SetArgs([]string{"--detectors", "email,ipv4"})
	if err := scan.Execute(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(sc.detectors, "|") != "email|ipv4" {
		t.Fatalf("detectors = %v", sc.detectors)
	}
	scan = newRedactScanCmd(g, func(*scanOptions) error { t.Fatal("ran with a bad detector"); return nil })
	scan.SetArgs([]string{"--detectors", "email,ssn"})
	if err := scan.Execute(); err == nil || !strings.Contains(err.Error(), `unknown detector "ssn"`) {
		t.Fatalf("bad detector: %v", err)
	}
}

// TestGenFormat: gen --format zipkin-v2 and jaeger-json write files that
// ingest reads as such (the same traces and spans as the protobuf files of
// the same seed); a format gen cannot write, or --json with another
// format, is a usage error.
func TestGenFormat(t *testing.T) {
	dir := t.TempDir()
	counts := map[string]string{}
	for _, format := range []string{"otlp-proto", "zipkin-v2", "jaeger-json"} {
		if code, _, stderr := run(t, "gen", "--out", dir+"/"+format, "--spans", "2000", "--format", format); code != exitOK {
			t.Fatalf("gen --format %s: exit %d: %s", format, code, stderr)
		}
		code, out, stderr := run(t, "--bucket", "file://"+dir+"/b-"+format, "ingest", "--format", format, dir+"/"+format, "-o", "json")
		if code != exitOK {
			t.Fatalf("ingest --format %s: exit %d: %s", format, code, stderr)
		}
		var res struct{ Traces, Spans int }
		if err := json.Unmarshal([]byte(out), &res); err != nil || res.Spans < 2000 {
			t.Fatalf("ingest --format %s: %v, %+v", format, err, res)
		}
		counts[format] = fmt.Sprint(res)
	}
	if counts["otlp-proto"] != counts["zipkin-v2"] || counts["otlp-proto"] != counts["jaeger-json"] {
		t.Errorf("traces and spans: %v", counts)
	}
	for _, args := range [][]string{{"--format", "zipkin-v1"}, {"--format", "zipkin-v2", "--json"}} {
		if code, _, stderr := run(t, append([]string{"gen", "--out", dir + "/bad"}, args...)...); code != exitError || !strings.Contains(stderr, "--format") {
			t.Errorf("gen %v: exit %d, stderr %q; want exit %d naming --format", args, code, stderr, exitError)
		}
	}
}
