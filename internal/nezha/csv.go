package nezha

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/tracectl/tracectl/model"
)

// Header is the first line of every Nezha span CSV.
const Header = "TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration"

// PodNameKey is the resource attribute holding the pod name.
const PodNameKey = "k8s.pod.name"

const numFields = 8

// ReadCSV reads a Nezha span CSV file; see Decode.
func ReadCSV(path string) ([]model.ResourceSpans, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Decode(path, f)
}

// row is one parsed CSV line.
type row struct {
	span    model.Span
	pod     string
	service string
	line    int
}

type spanKey struct {
	trace model.TraceID
	span  model.SpanID
}

// Decode reads a Nezha span CSV from r; name is used in errors, which read
// "name:line: msg". It returns one ResourceSpans (one pod, one empty scope)
// per trace and pod, ordered by the trace's first row and then by the pod's
// first row within the trace; spans keep their file order. Kinds are
// derived as the package comment says.
func Decode(name string, r io.Reader) ([]model.ResourceSpans, error) {
	cr := csv.NewReader(bufio.NewReaderSize(r, 64<<10))
	cr.FieldsPerRecord = numFields
	cr.ReuseRecord = true
	errAt := func(line int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...))
	}

	rec, err := cr.Read()
	if err == io.EOF {
		return nil, errAt(1, "empty file, want the header %q", Header)
	}
	if err != nil {
		return nil, csvErr(name, err)
	}
	rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
	if got := strings.Join(rec, ","); got != Header {
		return nil, errAt(1, "header is %q, want %q", got, Header)
	}

	// Pod, service and operation names repeat on most rows; interning them
	// lets each record's line buffer be freed.
	intern := map[string]string{}
	str := func(s string) string {
		if v, ok := intern[s]; ok {
			return v
		}
		s = strings.Clone(s)
		intern[s] = s
		return s
	}

	var rows []row
	index := map[spanKey]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(name, err)
		}
		line, _ := cr.FieldPos(0)
		rw, err := parseRow(rec, str)
		if err != nil {
			return nil, errAt(line, "%v", err)
		}
		rw.line = line
		k := spanKey{rw.span.TraceID, rw.span.SpanID}
		if prev, dup := index[k]; dup {
			return nil, errAt(line, "span %s of trace %s repeats line %d", k.span, k.trace, rows[prev].line)
		}
		index[k] = len(rows)
		rows = append(rows, rw)
	}
	deriveKinds(rows, index)
	return group(rows), nil
}

// csvErr renders encoding/csv's errors as name:line:col: msg.
func csvErr(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%d:%d: %v", name, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("%s: %w", name, err)
}

func parseRow(rec []string, str func(string) string) (row, error) {
	var rw row
	s := &rw.span
	var err error
	if s.TraceID, err = model.ParseTraceID(rec[0]); err != nil {
		return rw, err
	}
	if s.TraceID.IsZero() {
		return rw, fmt.Errorf("trace ID %q is all zeros", rec[0])
	}
	if s.SpanID, err = model.ParseSpanID(rec[1]); err != nil {
		return rw, err
	}
	if s.SpanID.IsZero() {
		return rw, fmt.Errorf("span ID %q is all zeros", rec[1])
	}
	if rec[2] != "root" {
		if s.ParentSpanID, err = model.ParseSpanID(rec[2]); err != nil {
			return rw, fmt.Errorf("parent: %w (want a span ID or \"root\")", err)
		}
		if s.ParentSpanID.IsZero() || s.ParentSpanID == s.SpanID {
			return rw, fmt.Errorf("parent ID %q is all zeros or the span itself", rec[2])
		}
	}
	if rec[3] == "" {
		return rw, errors.New("PodName is empty")
	}
	rw.pod = str(rec[3])
	rw.service = str(ServiceOf(rec[3]))
	s.Name = str(rec[4])
	if s.StartTimeUnixNano, err = strconv.ParseUint(rec[5], 10, 64); err != nil {
		return rw, fmt.Errorf("StartTimeUnixNano %q: not an unsigned integer", rec[5])
	}
	if s.EndTimeUnixNano, err = strconv.ParseUint(rec[6], 10, 64); err != nil {
		return rw, fmt.Errorf("EndTimeUnixNano %q: not an unsigned integer", rec[6])
	}
	if s.EndTimeUnixNano < s.StartTimeUnixNano {
		return rw, fmt.Errorf("EndTimeUnixNano %d is before StartTimeUnixNano %d", s.EndTimeUnixNano, s.StartTimeUnixNano)
	}
	if _, err = strconv.ParseUint(rec[7], 10, 64); err != nil {
		return rw, fmt.Errorf("column Duration %q: not an unsigned integer", rec[7])
	}
	return rw, nil
}

// ServiceOf returns the service of a pod: its name minus the last two "-"
// segments (the ReplicaSet hash and the pod suffix). A name with fewer
// than three segments is its own service.
func ServiceOf(pod string) string {
	i := strings.LastIndexByte(pod, '-')
	if i <= 0 {
		return pod
	}
	j := strings.LastIndexByte(pod[:i], '-')
	if j <= 0 {
		return pod
	}
	return pod[:j]
}

// deriveKinds sets SERVER on roots and on spans entered from another
// service, then CLIENT on other spans that call into another service.
func deriveKinds(rows []row, index map[spanKey]int) {
	for i := range rows {
		s := &rows[i].span
		if s.ParentSpanID.IsZero() {
			s.Kind = model.KindServer
			continue
		}
		p, ok := index[spanKey{s.TraceID, s.ParentSpanID}]
		if ok && rows[p].service != rows[i].service {
			s.Kind = model.KindServer
		}
	}
	for i := range rows {
		s := &rows[i].span
		if s.ParentSpanID.IsZero() {
			continue
		}
		p, ok := index[spanKey{s.TraceID, s.ParentSpanID}]
		if ok && rows[p].service != rows[i].service && rows[p].span.Kind == model.KindUnspecified {
			rows[p].span.Kind = model.KindClient
		}
	}
}

// group builds one ResourceSpans per (trace, pod) in first-row order.
func group(rows []row) []model.ResourceSpans {
	type groupKey struct {
		trace model.TraceID
		pod   string
	}
	var traceOrder []model.TraceID
	perTrace := map[model.TraceID][]int{} // trace -> indexes into out, in order
	at := map[groupKey]int{}
	var out []model.ResourceSpans
	for i := range rows {
		rw := &rows[i]
		k := groupKey{rw.span.TraceID, rw.pod}
		g, ok := at[k]
		if !ok {
			g = len(out)
			at[k] = g
			if _, seen := perTrace[k.trace]; !seen {
				traceOrder = append(traceOrder, k.trace)
			}
			perTrace[k.trace] = append(perTrace[k.trace], g)
			out = append(out, model.ResourceSpans{
				Resource: model.Resource{Attributes: []model.Attribute{
					{Key: model.ServiceNameKey, Value: model.StringValue(rw.service)},
					{Key: PodNameKey, Value: model.StringValue(rw.pod)},
				}},
				ScopeSpans: []model.ScopeSpans{{}},
			})
		}
		ss := &out[g].ScopeSpans[0]
		ss.Spans = append(ss.Spans, rw.span)
	}
	// Reorder so each trace's resources are contiguous.
	sorted := make([]model.ResourceSpans, 0, len(out))
	for _, id := range traceOrder {
		for _, g := range perTrace[id] {
			sorted = append(sorted, out[g])
		}
	}
	return sorted
}

// GroupTraces gathers ResourceSpans into traces by the TraceID of their
// spans, in order of first appearance. Every ResourceSpans must hold spans
// of a single trace, as Decode and Copy return them; an empty one is
// dropped. The traces share the spans' memory with rss.
func GroupTraces(rss []model.ResourceSpans) []*model.Trace {
	var out []*model.Trace
	byID := map[model.TraceID]*model.Trace{}
	for i := range rss {
		rs := rss[i]
		var id model.TraceID
		found := false
		for j := range rs.ScopeSpans {
			if len(rs.ScopeSpans[j].Spans) > 0 {
				id, found = rs.ScopeSpans[j].Spans[0].TraceID, true
				break
			}
		}
		if !found {
			continue
		}
		t := byID[id]
		if t == nil {
			t = &model.Trace{TraceID: id}
			byID[id] = t
			out = append(out, t)
		}
		t.ResourceSpans = append(t.ResourceSpans, rs)
	}
	return out
}

// SpanCount returns the number of spans in rss.
func SpanCount(rss []model.ResourceSpans) int {
	n := 0
	for i := range rss {
		for j := range rss[i].ScopeSpans {
			n += len(rss[i].ScopeSpans[j].Spans)
		}
	}
	return n
}
