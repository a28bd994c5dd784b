package nezha

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/model"
)

// Files are the six span CSVs kept in shared/testdata/external/nezha,
// relative to that folder (87,911 spans, 1,775 traces in all).
var Files = []string{
	"onlineboutique/construct_2022-08-23_17_00_trace.csv",
	"onlineboutique/rca_2022-08-22_03_53_trace.csv",
	"onlineboutique/rca_2022-08-22_04_02_trace.csv",
	"trainticket/construct_2023-01-29_08_50_trace.csv",
	"trainticket/rca_2023-01-29_08_43_trace.csv",
	"trainticket/rca_2023-01-29_08_52_trace.csv",
}

// Totals of Files. TotalSpans and TotalTraces are the sums of the per-file
// counts in shared/testdata/external/nezha/PROVENANCE.md. The files
// overlap: three TrainTicket traces (33 spans each) appear, row for row, in
// both construct_2023-01-29_08_50 and rca_2023-01-29_08_52, so the six
// files hold DistinctSpans spans in DistinctTraces traces, and an ingest of
// all six drops 99 spans as duplicates.
const (
	TotalSpans     = 87911
	TotalTraces    = 1775
	DistinctSpans  = 87812
	DistinctTraces = 1772
)

// DefaultDir finds shared/testdata/external/nezha: under $TRACECTL_FIXTURES
// when set, otherwise beside the root of the module that holds the working
// directory (../shared/testdata/external/nezha), as internal/fixtures does.
func DefaultDir() (string, error) {
	if d := os.Getenv("TRACECTL_FIXTURES"); d != "" {
		return filepath.Abs(filepath.Join(d, "nezha"))
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			cand := filepath.Join(dir, "..", "shared", "testdata", "external", "nezha")
			if _, err := os.Stat(cand); err != nil {
				return "", fmt.Errorf("nezha fixtures: %w", err)
			}
			return filepath.Clean(cand), nil
		}
		if filepath.Dir(dir) == dir {
			return "", errors.New("nezha fixtures: no go.mod above the working directory (set TRACECTL_FIXTURES)")
		}
	}
}

// Format is the OTLP encoding written by Convert.
type Format string

// Formats Convert writes.
const (
	// JSON is file-exporter JSON lines: one ExportTraceServiceRequest per
	// line, one .jsonl file per input file and copy.
	JSON Format = "json"
	// Proto is one ExportTraceServiceRequest protobuf per .pb file (the
	// format has no framing for several messages in one file).
	Proto Format = "proto"
)

// ConvertOptions control Convert.
type ConvertOptions struct {
	// Copies is how many copies of each file to write (default 1).
	Copies int
	// Format is the output encoding (default JSON).
	Format Format
	// Shift is the time shift between consecutive copies (default 1h).
	Shift time.Duration
	// SpansPerRequest is the size at which a request is cut; whole traces
	// are kept together, so a request holds at least this many spans
	// unless the input runs out (default 1000).
	SpansPerRequest int
}

// ConvertStats says what Convert wrote.
type ConvertStats struct {
	Files    int   // output files
	Requests int   // OTLP requests
	Spans    int   // spans written (repeats included)
	Traces   int   // traces written (repeats included)
	Bytes    int64 // bytes written
	// RepeatedTraces and RepeatedSpans count traces written again because
	// an earlier input file already held the same trace (the same
	// original ID, in the same copy): repeats in the data are kept, as
	// ingest is meant to drop them.
	RepeatedTraces int
	RepeatedSpans  int
}

// Convert reads each Nezha CSV in csvs and writes opts.Copies copies of it
// into dir as OTLP files named <folder>-<stem>-c<k>.jsonl, or
// <folder>-<stem>-c<k>-<n>.pb for protobuf. A trace that an earlier file
// already held is written again and counted in RepeatedTraces; Convert
// fails only if two different traces would get the same ID (a copy's
// masked ID colliding with another trace).
func Convert(dir string, csvs []string, opts ConvertOptions) (ConvertStats, error) {
	if opts.Copies <= 0 {
		opts.Copies = 1
	}
	if opts.Format == "" {
		opts.Format = JSON
	}
	if opts.Format != JSON && opts.Format != Proto {
		return ConvertStats{}, fmt.Errorf("format %q: want %q or %q", opts.Format, JSON, Proto)
	}
	if opts.Shift == 0 {
		opts.Shift = time.Hour
	}
	if opts.SpansPerRequest <= 0 {
		opts.SpansPerRequest = 1000
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ConvertStats{}, err
	}
	var st ConvertStats
	type origin struct {
		copy int
		id   model.TraceID // ID in the input
	}
	seen := map[model.TraceID]origin{}
	for _, path := range csvs {
		rss, err := ReadCSV(path)
		if err != nil {
			return st, err
		}
		base := filepath.Base(filepath.Dir(path)) + "-" + strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		for k := 0; k < opts.Copies; k++ {
			c, err := Copy(rss, k, opts.Shift)
			if err != nil {
				return st, fmt.Errorf("%s: %w", path, err)
			}
			traces := GroupTraces(c)
			name := fmt.Sprintf("%s-c%02d", base, k)
			tm, _ := Masks(k)
			for _, t := range traces {
				o := origin{copy: k, id: t.TraceID}
				for b := range o.id {
					o.id[b] ^= tm[b]
				}
				prev, dup := seen[t.TraceID]
				switch {
				case dup && prev == o:
					st.RepeatedTraces++
					st.RepeatedSpans += t.SpanCount()
				case dup:
					return st, fmt.Errorf("%s copy %d: trace %s (input %s) collides with trace %s of copy %d",
						path, k, t.TraceID, o.id, prev.id, prev.copy)
				default:
					seen[t.TraceID] = o
				}
			}
			if err := writeRequests(dir, name, opts, chunk(traces, opts.SpansPerRequest), &st); err != nil {
				return st, err
			}
			st.Spans += SpanCount(c)
			st.Traces += len(traces)
		}
	}
	return st, nil
}

// chunk cuts traces into requests of at least n spans, whole traces each.
func chunk(traces []*model.Trace, n int) [][]*model.Trace {
	var out [][]*model.Trace
	var cur []*model.Trace
	spans := 0
	for _, t := range traces {
		cur = append(cur, t)
		spans += t.SpanCount()
		if spans >= n {
			out = append(out, cur)
			cur, spans = nil, 0
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func writeRequests(dir, name string, opts ConvertOptions, reqs [][]*model.Trace, st *ConvertStats) error {
	if opts.Format == JSON {
		return writeFile(filepath.Join(dir, name+".jsonl"), st, func(w *bufio.Writer) error {
			for _, r := range reqs {
				if err := otlp.EncodeJSON(w, r); err != nil {
					return err
				}
				st.Requests++
			}
			return nil
		})
	}
	for i, r := range reqs {
		err := writeFile(filepath.Join(dir, fmt.Sprintf("%s-%04d.pb", name, i)), st, func(w *bufio.Writer) error {
			st.Requests++
			return otlp.EncodeProto(w, r)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, st *ConvertStats, fill func(*bufio.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = fill(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("%s: %w", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	st.Files++
	st.Bytes += fi.Size()
	return nil
}
