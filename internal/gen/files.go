package gen

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/jaeger"
	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/codec/zipkin"
	"github.com/tracectl/tracectl/model"
)

// FileOptions say what WriteFiles writes.
type FileOptions struct {
	Dir       string // created if missing
	Spans     int    // total spans (the last trace may overshoot by < 60)
	FileSpans int    // spans per file (default 100,000)
	// Format is what the files hold: codec.FormatOTLPProto (the default,
	// .pb), codec.FormatOTLPJSON or codec.FormatZipkinV2 (.json).
	Format codec.Format
	// Progress, when set, is called after each file with the spans so far.
	Progress func(spans int)
}

// Formats are the formats WriteFiles writes, the default first.
var Formats = []codec.Format{codec.FormatOTLPProto, codec.FormatOTLPJSON, codec.FormatZipkinV2, codec.FormatJaegerJSON}

// OTLPFormat is codec.FormatOTLPJSON when json is set, else
// codec.FormatOTLPProto.
func OTLPFormat(json bool) codec.Format {
	if json {
		return codec.FormatOTLPJSON
	}
	return codec.FormatOTLPProto
}

// Summary is what WriteFiles wrote.
type Summary struct {
	Files, Traces, Spans int
	Bytes                int64
}

// WriteFiles generates traces until opts.Spans spans are written, as OTLP
// export requests of about FileSpans spans (one ResourceSpans per service,
// as an exporter batches them), one per file named traces-000001.pb (or
// .json).
func (g *Generator) WriteFiles(ctx context.Context, opts FileOptions) (Summary, error) {
	if opts.FileSpans <= 0 {
		opts.FileSpans = 100_000
	}
	if opts.Format == "" {
		opts.Format = codec.FormatOTLPProto
	}
	if !slices.Contains(Formats, opts.Format) {
		return Summary{}, fmt.Errorf("format %q: want one of %v", opts.Format, Formats)
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return Summary{}, err
	}
	var sum Summary
	for sum.Spans < opts.Spans {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		var batch []*model.Trace
		n := 0
		for n < opts.FileSpans && sum.Spans+n < opts.Spans {
			t := g.Trace()
			batch = append(batch, t)
			n += t.SpanCount()
		}
		sum.Files++
		ext := ".json"
		if opts.Format == codec.FormatOTLPProto {
			ext = ".pb"
		}
		path := filepath.Join(opts.Dir, fmt.Sprintf("traces-%06d%s", sum.Files, ext))
		size, err := writeFile(path, exportBatch(batch), opts.Format)
		if err != nil {
			return sum, err
		}
		sum.Traces += len(batch)
		sum.Spans += n
		sum.Bytes += size
		if opts.Progress != nil {
			opts.Progress(sum.Spans)
		}
	}
	return sum, nil
}

// exportBatch regroups traces the way an SDK exporter batches them: one
// ResourceSpans per service, holding the spans of every trace.
func exportBatch(traces []*model.Trace) []*model.Trace {
	var out model.Trace
	index := map[string]int{}
	for _, t := range traces {
		for i := range t.ResourceSpans {
			rs := &t.ResourceSpans[i]
			svc := rs.Resource.ServiceName()
			k, ok := index[svc]
			if !ok {
				k = len(out.ResourceSpans)
				index[svc] = k
				out.ResourceSpans = append(out.ResourceSpans, model.ResourceSpans{
					Resource: rs.Resource, ScopeSpans: []model.ScopeSpans{{Scope: rs.ScopeSpans[0].Scope}},
				})
			}
			dst := &out.ResourceSpans[k].ScopeSpans[0]
			for j := range rs.ScopeSpans {
				dst.Spans = append(dst.Spans, rs.ScopeSpans[j].Spans...)
			}
		}
	}
	return []*model.Trace{&out}
}

// writeFile writes one file in format (to a temporary name first, so a
// reader never sees half a file) and returns its size.
func writeFile(path string, traces []*model.Trace, format codec.Format) (int64, error) {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	switch format {
	case codec.FormatOTLPJSON:
		err = otlp.EncodeJSON(w, traces)
	case codec.FormatZipkinV2:
		err = zipkin.EncodeV2(w, traces)
	case codec.FormatJaegerJSON:
		err = jaeger.EncodeUI(w, traces)
	default:
		err = otlp.EncodeProto(w, traces)
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	st, err := os.Stat(tmp)
	if err != nil {
		return 0, err
	}
	return st.Size(), os.Rename(tmp, path)
}
