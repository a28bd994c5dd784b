// Command nezha2otlp converts Nezha span CSVs into OTLP files for ingest
// benchmarks, optionally many copies with fresh trace and span IDs:
//
//	go run ./bench/nezha2otlp -copies 12 -format json -out /tmp/nezha1m
//
// With no CSV arguments it reads the six files in
// ../shared/testdata/external/nezha (87,911 spans in 1,775 traces; two
// files share three traces, so 87,812 spans in 1,772 traces are distinct),
// and -copies 12 writes 1,054,932 spans of which 1,053,744 (in 21,264
// traces) are distinct. See internal/nezha for the conversion (resource,
// kinds, copies).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tracectl/tracectl/internal/nezha"
)

func main() {
	copies := flag.Int("copies", 1, "copies of each input, each with fresh trace and span IDs")
	format := flag.String("format", "json", "output encoding: json (JSON lines) or proto (one request per .pb file)")
	out := flag.String("out", "", "output directory (created if missing)")
	shift := flag.Duration("shift", time.Hour, "time shift between consecutive copies")
	perRequest := flag.Int("spans-per-request", 1000, "cut an OTLP request once it holds this many spans (whole traces)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: nezha2otlp -out DIR [-copies N] [-format json|proto] [CSV...]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(*out, flag.Args(), nezha.ConvertOptions{
		Copies: *copies, Format: nezha.Format(*format), Shift: *shift, SpansPerRequest: *perRequest,
	}); err != nil {
		fmt.Fprintln(os.Stderr, "nezha2otlp:", err)
		os.Exit(1)
	}
}

func run(out string, csvs []string, opts nezha.ConvertOptions) error {
	if out == "" {
		return fmt.Errorf("-out is required")
	}
	if opts.Copies < 1 {
		return fmt.Errorf("-copies %d: want at least 1", opts.Copies)
	}
	if len(csvs) == 0 {
		dir, err := nezha.DefaultDir()
		if err != nil {
			return err
		}
		for _, f := range nezha.Files {
			csvs = append(csvs, filepath.Join(dir, filepath.FromSlash(f)))
		}
	}
	start := time.Now()
	st, err := nezha.Convert(out, csvs, opts)
	if err != nil {
		return err
	}
	fmt.Printf("wrote %d files (%d requests, %d bytes): %d spans in %d traces (%d spans in %d traces distinct) to %s in %s\n",
		st.Files, st.Requests, st.Bytes, st.Spans, st.Traces, st.Spans-st.RepeatedSpans, st.Traces-st.RepeatedTraces,
		out, time.Since(start).Round(time.Millisecond))
	return nil
}
