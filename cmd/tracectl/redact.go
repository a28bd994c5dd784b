package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/internal/ui"
	"github.com/tracectl/tracectl/model"
	"github.com/tracectl/tracectl/redact"
)

type redactOptions struct {
	rules       string
	hashKeyFile string
	dryRun      bool
	output      *outputFlag
}

func newRedactCmd(g *globals, runF func(*redactOptions) error) *cobra.Command {
	o := &redactOptions{output: newOutputFlag("table", "table", "json")}
	cmd := &cobra.Command{
		Use:   "redact --rules RULES.yaml",
		Short: "Remove personal data from stored blocks by rules; scan for what is left",
		Long: `Apply a rules file to every stored trace and replace each block in which a
rule changed something: the new block is written completely, then the old
one is retired (compact and retain delete it after --compacted-retention,
so a query reading it meanwhile finishes), never in place. A crash at any
point loses nothing (at
worst a trace is briefly in two blocks, which readers merge); run the same
command again to finish. Blocks already rewritten with the same rules and
key are skipped, since hashing twice would change the result.

The rules use the OpenTelemetry Collector's vocabulary (attributes and
redaction processors) plus built-in detectors; see the README. Prints one
row per rule: spans changed and counts per kind of change. With --dry-run
nothing is written: the counts and a few redacted samples (new values
only) show what would change.

--hash-key-file turns the attributes "hash" action from plain SHA-256 into
HMAC-SHA-256 with the file's bytes as key (one trailing newline dropped)
and provides the key of hash_function hmac-sha256/hmac-sha512.

` + exitCodesHelp,
		Example: `  tracectl redact --rules rules.yaml --dry-run
  tracectl redact --rules rules.yaml --hash-key-file /run/secrets/redact-key
  tracectl redact scan --detectors email,credit_card`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.rules == "" {
				return errors.New(`redact: --rules is required (or run "tracectl redact scan")`)
			}
			if runF != nil {
				return runF(o)
			}
			return runRedact(cmd, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.rules, "rules", "", "rules file (YAML)")
	f.StringVar(&o.hashKeyFile, "hash-key-file", "", "key for keyed hashing (HMAC-SHA-256)")
	f.BoolVar(&o.dryRun, "dry-run", false, "report what would change, write nothing")
	addOutputFlag(f, o.output)
	cmd.AddCommand(newRedactScanCmd(g, nil))
	return cmd
}

// loadRules compiles a rules file with the key from keyFile (if any).
func loadRules(path, keyFile string) (*redact.Engine, error) {
	var key []byte
	if keyFile != "" {
		b, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("hash key: %w", err)
		}
		b = bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r"))
		if len(b) == 0 {
			return nil, fmt.Errorf("hash key %s is empty", keyFile)
		}
		key = b
	}
	return redact.Load(path, redact.Options{HashKey: key})
}

type redactReport struct {
	DryRun bool                  `json:"dryRun"`
	Rules  []redact.RuleStats    `json:"rules"`
	Blocks *blocks.RewriteResult `json:"blocks"`
}

func runRedact(cmd *cobra.Command, g *globals, o *redactOptions) error {
	eng, err := loadRules(o.rules, o.hashKeyFile)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	st, closeFn, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	apply := func(e *redact.Engine) blocks.RewriteFunc {
		return func(t *model.Trace) (bool, error) { return e.Apply(t), nil }
	}
	fork := func() (blocks.RewriteFunc, func()) {
		f := eng.Fork()
		return apply(f), func() { eng.Join(f) }
	}
	res, err := st.Rewrite(ctx, apply(eng), blocks.RewriteOptions{Mark: eng.Digest(), DryRun: o.dryRun, Fork: fork, Changes: eng.Changes()})
	if !o.dryRun {
		updateIndex(ctx, g, st)
	}
	if err != nil {
		if res != nil && len(res.Rewritten) > 0 && !o.dryRun {
			fmt.Fprintf(g.io.Err, "redact: %d blocks rewritten before the error; run again to continue\n", len(res.Rewritten))
		}
		return err
	}
	stats := eng.Stats()
	if o.output.value == "json" {
		return ui.JSON(g.io.Out, redactReport{DryRun: o.dryRun, Rules: stats, Blocks: res})
	}
	header := []string{"rule", "spans", "resources", "deleted", "hashed", "masked", "set", "extracted", "converted"}
	rows := make([][]string, 0, len(stats))
	for _, s := range stats {
		rows = append(rows, []string{s.Rule, itoa(s.Spans), itoa(s.Resources + s.Scopes), itoa(s.Deleted), itoa(s.Hashed),
			itoa(s.Masked), itoa(s.Set), itoa(s.Extracted), itoa(s.Converted)})
	}
	if err := ui.Table(g.io.Out, g.io.OutTTY, header, rows); err != nil {
		return err
	}
	changed := 0
	for _, b := range res.Rewritten {
		changed += b.Changed
	}
	if o.dryRun {
		for _, s := range stats {
			for _, sm := range s.Samples {
				fmt.Fprintf(g.io.Err, "sample: %s: %s %s → %q\n", s.Rule, sm.Where, sm.Key, sm.Value)
			}
		}
		fmt.Fprintf(g.io.Err, "dry run: %d of %d blocks would be rewritten (%d traces changed), %d already redacted with these rules; nothing written\n",
			len(res.Rewritten), res.Blocks, changed, res.Skipped)
		return nil
	}
	fmt.Fprintf(g.io.Err, "redact: %d of %d blocks rewritten (%d traces changed), %d already redacted with these rules\n",
		len(res.Rewritten), res.Blocks, changed, res.Skipped)
	if len(res.Recovered) > 0 {
		fmt.Fprintf(g.io.Err, "redact: finished deleting %d blocks an interrupted run had replaced\n", len(res.Recovered))
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }

type scanOptions struct {
	detectors []string
	output    *outputFlag
}

func newRedactScanCmd(g *globals, runF func(*scanOptions) error) *cobra.Command {
	o := &scanOptions{output: newOutputFlag("table", "table", "json")}
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Find personal data left in the bucket's blocks",
		Long: `Run detectors over every attribute (resource, scope, span, event, link; nested
values too), span and event name and status message of every live block,
block by block (a trace stored twice is scanned twice). Prints one row per
place, key and detector: spans, matches and masked examples.

Detectors: ` + strings.Join(redact.DetectorNames(), ", ") + ` (or all).

Exit status:
  0    nothing found
  1    personal data found (listed on stdout)
  2    error: bad flags, the bucket could not be read
  130  interrupted (SIGINT)
  143  terminated (SIGTERM)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := redact.LookupDetectors(o.detectors); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return runScan(cmd, g, o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.detectors, "detectors", []string{"all"}, "detectors to run, comma-separated")
	addOutputFlag(f, o.output)
	return cmd
}

func runScan(cmd *cobra.Command, g *globals, o *scanOptions) error {
	dets, err := redact.LookupDetectors(o.detectors)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	st, closeFn, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	var scanners []*redact.Scanner
	nblocks, err := st.ScanTexts(ctx, func() blocks.TextSink {
		sc := redact.NewScanner(dets)
		scanners = append(scanners, sc)
		return sc
	})
	if err != nil {
		return err
	}
	sc := redact.NewScanner(dets)
	for _, o := range scanners {
		sc.Merge(o)
	}
	rep := sc.Report()
	if o.output.value == "json" {
		if rep.Findings == nil {
			rep.Findings = []redact.Finding{}
		}
		if err := ui.JSON(g.io.Out, rep); err != nil {
			return err
		}
	} else {
		rows := make([][]string, 0, len(rep.Findings))
		for _, f := range rep.Findings {
			rows = append(rows, []string{f.Where, f.Key, f.Detector, itoa(f.Spans), itoa(f.Matches), strings.Join(f.Examples, " ")})
		}
		if len(rows) > 0 {
			if err := ui.Table(g.io.Out, g.io.OutTTY, []string{"where", "key", "detector", "spans", "matches", "examples"}, rows); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(g.io.Err, "scan: %d blocks, %d traces, %d spans checked with %d detectors\n", nblocks, rep.Traces, rep.Spans, len(dets))
	if orphans, err := st.Orphans(ctx); err == nil && len(orphans) > 0 {
		fmt.Fprintf(g.io.Err, "scan: %d orphan folders (interrupted writes or deletes) were not scanned; see blocks verify\n", len(orphans))
	}
	if comp, err := st.CompactedBlocks(ctx); err == nil && len(comp) > 0 {
		fmt.Fprintf(g.io.Err, "scan: %d compacted blocks (meta.compacted.json) still hold data and were not scanned\n", len(comp))
	}
	if len(rep.Findings) > 0 {
		spans := 0
		for _, f := range rep.Findings {
			spans += f.Spans
		}
		return &checkFailedError{msg: fmt.Sprintf("scan: %d findings (%d span hits)", len(rep.Findings), spans)}
	}
	return nil
}
