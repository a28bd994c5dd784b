package jaeger

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	jmodel "github.com/jaegertracing/jaeger-idl/model/v1"
	jaegertranslator "github.com/open-telemetry/opentelemetry-collector-contrib/pkg/translator/jaeger"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/codec/internal/jsonpos"
	"github.com/tracectl/tracectl/codec/otlp"
	"github.com/tracectl/tracectl/model"
)

// DecodeJSON decodes Jaeger JSON from r: query-API responses
// {"data": [trace, ...]}, bare or wrapped trace objects, api_v2 protobuf
// JSON batches ({"batch": {...}} or a bare Batch), top-level arrays of any
// of these, and several such documents one after another (JSON lines).
//
// Each trace (or api_v2 batch) is translated with the OpenTelemetry
// Collector's Jaeger translator and emitted as one Batch as soon as it has
// been read, so memory is bounded by the largest trace, not the input.
func DecodeJSON(name string, r io.Reader, emit codec.EmitFunc) error {
	_, err := decodeJSON(name, r, emit, reference{})
	return err
}

// reference chooses the roads that tests take as references for the fast
// ones: walk, the encoding/json walk alone, without uiStream; translated,
// every batch through the Collector's translator, without direct.
type reference struct{ walk, translated bool }

// decodeJSON is DecodeJSON; it returns the uiStream that read the input
// (for tests). The input is read by uiStream, and by the encoding/json
// walk from where uiStream hands over, if it does.
func decodeJSON(name string, r io.Reader, emit codec.EmitFunc, ref reference) (*uiStream, error) {
	d := &decoder{Stream: jsonpos.NewStream(name, r), emit: emit, translated: ref.translated}
	d.kvs.strs = &d.ui.strs // one table for the keys and the values
	s := newUIStream(d)
	var err error
	if !ref.walk {
		var done bool
		if done, err = s.run(); err == nil && !done {
			err = s.handOver()
		}
	} else {
		err = d.docs(0)
	}
	if err != nil {
		return s, err
	}
	d.Finish()
	if d.hashed > 0 {
		w := *d.firstHashed
		w.Err = fmt.Errorf("%s not hex (the first: %s): each mapped to the FNV-1a hash of its text, as the Jaeger UI takes IDs as text",
			codec.Plural(d.hashed, "trace or span ID", "trace and span IDs"), w.Err)
		d.Warn(&w)
	}
	return s, nil
}

type decoder struct {
	*jsonpos.Stream
	emit codec.EmitFunc

	ui          uiReader                   // reads most UI spans without encoding/json
	translated  bool                       // every batch through the translator (the reference for tests)
	processes   map[string]*jmodel.Process // UI processes read, by their JSON text (no more than maxProcesses)
	kvs         kvSlab                     // the tag lists of the trace being converted
	spanBuf     spanSlab                   // and its spans
	oneSpan     uiSpan                     // a span read on its own (not in parts.read)
	procs       procTable                  // the processes of the trace being converted
	group       group                      // and their batches, reused from trace to trace
	hashed      int                        // non-hex IDs mapped to hashes
	firstHashed *codec.DecodeError         // where the first one was, its text in Err
}

// maxProcesses bounds the processes a decoder remembers across traces.
const maxProcesses = 4096

// rawAt is a raw JSON value with its input offset and JSON path.
type rawAt struct {
	raw   json.RawMessage
	start int64
	path  string
	elem  int // 1 + the value's index in the array at path; 0: path is its own
	ui    int // a span read already: 1 + its index in parts.read; 0 if not
}

// fullPath is the value's JSON path, put together only when an error or
// an Unmarshal needs it.
func (r *rawAt) fullPath() string {
	if r.elem == 0 {
		return r.path
	}
	return r.path + "[" + strconv.Itoa(r.elem-1) + "]"
}

// keep records the value of the member whose lower-cased key is lk when
// it is one that parts holds: trace ID, processes, process, and errors at
// the top level.
func (p *parts) keep(lk string, v *rawAt, top bool) {
	switch lk {
	case "traceid", "trace_id":
		p.traceID = v
	case "processes":
		p.processes = v
	case "process":
		p.process = v
	case "errors":
		if top {
			p.errors = v
		}
	}
}

// parts collects the fields of a trace, batch or wrapper object.
type parts struct {
	path      string
	start     int64
	traceID   *rawAt
	spans     []rawAt
	read      []uiSpan // spans read as the object was (uiStream)
	spansSeen bool
	processes *rawAt
	process   *rawAt
	errors    *rawAt
	handled   int  // traces or batches already emitted from nested data/batch keys
	dataSeen  bool // a "data" key was present
}

// docs reads the top-level values from the first-th on (the encoding/json
// walk, which reads what uiStream does not).
func (d *decoder) docs(first int) error {
	for doc := first; ; doc++ {
		start := d.ValueStart()
		d.Lines().Forget(start)
		tok, err := d.Decoder().Token()
		if err == io.EOF {
			if doc == 0 {
				return d.ErrAt(-1, "", errors.New("empty input: no Jaeger JSON found"))
			}
			return nil
		}
		if err != nil {
			return d.Wrap(err, start, "$")
		}
		switch tok {
		case json.Delim('{'):
			if err := d.topObject("$", start); err != nil {
				return err
			}
		case json.Delim('['):
			if err := d.topArray("$"); err != nil {
				return err
			}
		default:
			return d.ErrAt(start, "$", fmt.Errorf("want a JSON object or array, found %v", tok))
		}
	}
}

func (d *decoder) topArray(path string) error {
	for i := 0; d.Decoder().More(); i++ {
		p := fmt.Sprintf("%s[%d]", path, i)
		tok, start, err := d.Token(p)
		if err != nil {
			return err
		}
		if tok != json.Delim('{') {
			return d.ErrAt(start, p, fmt.Errorf("want a trace or batch object, found %v", tok))
		}
		d.Lines().Forget(start)
		if err := d.topObject(p, start); err != nil {
			return err
		}
	}
	_, _, err := d.Token(path)
	return err
}

// topObject reads an object whose '{' has been consumed and emits what it
// holds: the traces of a "data" key, a "batch", or the object itself as a
// trace or batch.
func (d *decoder) topObject(path string, start int64) error {
	return d.topMembers(&parts{path: path, start: start})
}

// topMembers reads the rest of a top-level object's members into p, then
// emits what it holds (endTop).
func (d *decoder) topMembers(p *parts) error {
	if err := d.members(p, true); err != nil {
		return err
	}
	return d.endTop(p)
}

// endTop emits what a top-level object held once its members are read: the
// object itself as a trace or batch, or nothing when its "data" or "batch"
// members were emitted (or "data" was empty); an error when it held none of
// these.
func (d *decoder) endTop(p *parts) error {
	defer d.releaseLists() // the object is emitted at return
	path, start := p.path, p.start
	switch {
	case p.spansSeen && isProto(p):
		return d.emitProto(p)
	case p.spansSeen:
		return d.emitUI(p)
	case p.handled > 0:
		return nil
	}
	if p.errors != nil {
		var errs []struct {
			Code int    `json:"code"`
			Msg  string `json:"msg"`
		}
		if json.Unmarshal(p.errors.raw, &errs) == nil && len(errs) > 0 {
			msgs := make([]string, len(errs))
			for i, e := range errs {
				msgs[i] = e.Msg
			}
			return d.ErrAt(p.errors.start, p.errors.path, fmt.Errorf("query API response holds errors: %s", strings.Join(msgs, "; ")))
		}
	}
	if p.dataSeen {
		return nil // {"data": []}: a query that found nothing
	}
	return d.ErrAt(start, path, errors.New(`no Jaeger trace found: want "data", "spans" or "batch"`))
}

// releaseLists takes back the lists the reader carved from its chunks,
// and the span it read on its own, once no span read is waiting to be
// emitted (a top-level object is done, or a trace of its "data" array
// when the object read no spans of its own): their values alias the
// bytes read, which a chunk holding lists of many traces would keep.
func (d *decoder) releaseLists() {
	d.oneSpan = uiSpan{}
	d.ui.kvSlab.reset()
	d.ui.refSlab.reset()
	d.ui.logSlab.reset()
}

// isProto tells a bare api_v2 Batch ({spans, process}, spans with span_id
// or spanId) from a UI trace ({traceID, spans, processes}, spans with
// spanID).
func isProto(p *parts) bool {
	if p.processes != nil {
		return false
	}
	if p.process != nil {
		return true
	}
	if len(p.spans) == 0 {
		return false
	}
	var keys map[string]json.RawMessage
	if json.Unmarshal(p.spans[0].raw, &keys) != nil {
		return false
	}
	_, snake := keys["span_id"]
	_, camel := keys["spanId"]
	return snake || camel
}

// object reads the keys of an object whose '{' has been consumed. With top
// set, "data" and "batch" values are decoded and emitted as they stream by.
func (d *decoder) object(path string, start int64, top bool) (*parts, error) {
	p := &parts{path: path, start: start}
	if err := d.members(p, top); err != nil {
		return nil, err
	}
	return p, nil
}

// members reads the rest of an object's members, up to its '}', into p.
func (d *decoder) members(p *parts, top bool) error {
	path := p.path
	for {
		key, ok, err := d.Key(path)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		kp := path + "." + key
		switch lk := strings.ToLower(key); {
		case lk == "spans":
			if err := d.spans(p, kp); err != nil {
				return err
			}
		case top && lk == "data":
			n, err := d.data(kp)
			if err != nil {
				return err
			}
			p.handled += n
			p.dataSeen = true
		case top && lk == "batch":
			tok, bstart, err := d.Token(kp)
			if err != nil {
				return err
			}
			if tok == nil {
				continue
			}
			if tok != json.Delim('{') {
				return d.ErrAt(bstart, kp, fmt.Errorf("want a batch object, found %v", tok))
			}
			bp, err := d.object(kp, bstart, false)
			if err != nil {
				return err
			}
			if err := d.emitProto(bp); err != nil {
				return err
			}
			p.handled++
		default:
			raw, vstart, err := d.Raw(kp)
			if err != nil {
				return err
			}
			p.keep(lk, &rawAt{raw: raw, start: vstart, path: kp}, top)
		}
	}
	return nil
}

func (d *decoder) spans(p *parts, path string) error {
	tok, start, err := d.Token(path)
	if err != nil {
		return err
	}
	p.spansSeen = true
	if tok == nil {
		return nil
	}
	if tok != json.Delim('[') {
		return d.ErrAt(start, path, fmt.Errorf("want an array of spans, found %v", tok))
	}
	for i := 0; d.Decoder().More(); i++ {
		sp := fmt.Sprintf("%s[%d]", path, i)
		raw, sstart, err := d.Raw(sp)
		if err != nil {
			return err
		}
		p.spans = append(p.spans, rawAt{raw: raw, start: sstart, path: sp})
	}
	_, _, err = d.Token(path)
	return err
}

// data reads the value of a "data" key: an array of traces or one trace.
// It returns how many traces it emitted.
func (d *decoder) data(path string) (int, error) {
	tok, start, err := d.Token(path)
	if err != nil {
		return 0, err
	}
	switch tok {
	case nil:
		return 0, nil
	case json.Delim('{'):
		p, err := d.object(path, start, false)
		if err != nil {
			return 0, err
		}
		return 1, d.emitUI(p)
	case json.Delim('['):
	default:
		return 0, d.ErrAt(start, path, fmt.Errorf("want an array of traces, found %v", tok))
	}
	return d.traces(path, 0)
}

// traces reads the traces of a "data" array from the first-th on, up to
// its ']', and emits them; it returns how many it emitted.
func (d *decoder) traces(path string, first int) (int, error) {
	n := 0
	for i := first; d.Decoder().More(); i++ {
		tp := fmt.Sprintf("%s[%d]", path, i)
		tok, tstart, err := d.Token(tp)
		if err != nil {
			return n, err
		}
		if tok != json.Delim('{') {
			return n, d.ErrAt(tstart, tp, fmt.Errorf("want a trace object, found %v", tok))
		}
		// Earlier traces are done with: let their bytes go.
		d.Lines().Forget(tstart)
		p, err := d.object(tp, tstart, false)
		if err != nil {
			return n, err
		}
		if err := d.emitUI(p); err != nil {
			return n, err
		}
		n++
	}
	_, _, err := d.Token(path)
	return n, err
}

// group collects spans by process, in order of first appearance.
type group struct {
	keys    map[string]int
	procs   map[*jmodel.Process]int // processes already keyed: the spans of a processID share one
	batches []*jmodel.Batch
	spare   []*jmodel.Batch // emptied batches for reuse (see reset)
	key     []byte          // scratch for appendProcessKey
}

// appendProcessKey appends to b a key that tells processes apart as their
// protobuf text (proto.CompactTextString) does: the service name and every
// field of every tag, each length-prefixed; NaNs, which the text prints
// alike, are one, and so are 0 and -0, which it leaves out. A nil process
// is one without service or tags (both print as "").
func appendProcessKey(b []byte, p *jmodel.Process) []byte {
	if p == nil {
		return appendLenPrefixed(b, "")
	}
	b = appendLenPrefixed(b, p.ServiceName)
	for i := range p.Tags {
		t := &p.Tags[i]
		b = appendLenPrefixed(b, t.Key)
		b = binary.AppendUvarint(b, uint64(t.VType))
		b = appendLenPrefixed(b, t.VStr)
		if t.VBool {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
		b = binary.AppendUvarint(b, uint64(t.VInt64))
		f := t.VFloat64
		switch {
		case math.IsNaN(f):
			f = math.NaN()
		case f == 0: // -0 too: the text leaves both out
			f = 0
		}
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
		b = appendLenPrefixed(b, string(t.VBinary))
	}
	return b
}

func appendLenPrefixed(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func (g *group) add(proc *jmodel.Process, span *jmodel.Span) {
	if g.keys == nil {
		g.keys = map[string]int{}
		g.procs = map[*jmodel.Process]int{}
	}
	i, ok := g.procs[proc]
	if !ok {
		// Two processes with the same service and tags are one.
		g.key = appendProcessKey(g.key[:0], proc)
		if i, ok = g.keys[string(g.key)]; !ok {
			i = len(g.batches)
			g.keys[string(g.key)] = i
			if i < len(g.spare) {
				b := g.spare[i]
				b.Process = proc
				g.batches = append(g.batches, b)
			} else {
				g.batches = append(g.batches, &jmodel.Batch{Process: proc})
			}
		}
		g.procs[proc] = i
	}
	g.batches[i].Spans = append(g.batches[i].Spans, span)
}

// reset empties the group for the next trace, keeping its maps and
// batches (in spare) for reuse: nothing holds a batch once it is sent.
func (g *group) reset() {
	if len(g.batches) > maxBatchesKept {
		*g = group{} // a trace of many processes: its maps are let go too
		return
	}
	clear(g.keys)
	clear(g.procs)
	for _, b := range g.batches {
		clear(b.Spans)
		spans := b.Spans[:0]
		if cap(spans) > maxKept {
			spans = nil // a large trace's
		}
		*b = jmodel.Batch{Spans: spans}
	}
	if len(g.batches) > len(g.spare) {
		g.spare = g.batches
	}
	g.batches = g.batches[:0]
}

// maxBatchesKept bounds the batches a group keeps for reuse.
const maxBatchesKept = 256

// translate runs the Collector's translator one process at a time (it
// groups by a hash map, so one call per process keeps the order stable).
func (g *group) translate() (codec.Batch, error) {
	var out []model.ResourceSpans
	for _, b := range g.batches {
		td, err := jaegertranslator.ProtoToTraces([]*jmodel.Batch{b})
		if err != nil {
			return nil, err
		}
		out = otlp.AppendNonEmpty(out, td)
	}
	return codec.Batch(out), nil
}

// emitUI converts a UI-format trace and emits it.
func (d *decoder) emitUI(p *parts) error {
	traceID := ""
	if p.traceID != nil {
		if err := d.Unmarshal(p.traceID.raw, p.traceID.start, p.traceID.path, &traceID); err != nil {
			return err
		}
	}
	procs := &d.procs // empty: every trace's conversion empties it at return
	defer procs.reset()
	if p.processes != nil && !procs.read(&d.ui, p.processes.raw) {
		var m map[string]json.RawMessage
		if err := d.Unmarshal(p.processes.raw, p.processes.start, p.processes.path, &m); err != nil {
			return err
		}
		procs.fromMap(m)
	}
	process := func(id string) (*jmodel.Process, error) {
		i := procs.find(id)
		if i < 0 {
			return nil, nil
		}
		if pr := procs.procs[i]; pr != nil {
			return pr, nil
		}
		raw := procs.raws[i]
		// The same process comes again in trace after trace: read once.
		if pr, ok := d.processes[string(raw)]; ok {
			procs.procs[i] = pr
			return pr, nil
		}
		path := p.processes.path + "." + id
		var up uiProcess
		if !d.ui.processOf(raw, &up) {
			up = uiProcess{}
			if err := d.Unmarshal(raw, p.processes.start, path, &up); err != nil {
				return nil, err
			}
		}
		pr, err := up.toModel()
		if err != nil {
			return nil, d.spanErr(rawAt{start: p.processes.start, path: path}, err)
		}
		procs.procs[i] = pr
		if d.processes == nil || len(d.processes) >= maxProcesses {
			d.processes = map[string]*jmodel.Process{}
		}
		d.processes[string(raw)] = pr
		return pr, nil
	}
	// The trace is sent, or failed, at return.
	defer d.kvs.reset()
	defer d.spanBuf.reset()
	g := &d.group
	defer g.reset()
	for _, s := range p.spans {
		var us *uiSpan
		if s.ui > 0 {
			us = &p.read[s.ui-1]
		} else {
			us = &d.oneSpan
			*us = uiSpan{}
			if !d.ui.span(s.raw, us) {
				*us = uiSpan{}
				if err := d.Unmarshal(s.raw, s.start, s.fullPath(), us); err != nil {
					return err
				}
			}
		}
		span, err := us.toModel(traceID, func(field, text string) {
			if d.hashed++; d.hashed == 1 {
				d.firstHashed = d.ErrAt(s.start, s.fullPath()+field, fmt.Errorf("%q", text))
			}
		}, &d.kvs, &d.spanBuf)
		if err != nil {
			return d.spanErr(s, err)
		}
		var proc *jmodel.Process
		switch {
		case us.Process != nil:
			if proc, err = us.Process.toModel(); err != nil {
				return d.spanErr(s, jsonpos.Under(".process", err))
			}
		case us.ProcessID != "":
			if proc, err = process(us.ProcessID); err != nil {
				return err
			}
			if proc == nil {
				return d.ErrAt(s.start, s.fullPath()+".processID", fmt.Errorf("process %q not found in processes", us.ProcessID))
			}
		case len(procs.ids) == 1:
			if proc, err = process(procs.ids[0]); err != nil {
				return err
			}
		default:
			return d.ErrAt(s.start, s.fullPath()+".processID", errors.New("span has no processID"))
		}
		g.add(proc, span)
	}
	return d.send(g, p)
}

// emitProto converts an api_v2 batch and emits it.
func (d *decoder) emitProto(p *parts) error {
	var batchProc *jmodel.Process
	if p.process != nil && jsonKind(p.process.raw) != 'n' {
		var err error
		if batchProc, err = pbProcess(p.process.raw); err != nil {
			return d.spanErr(*p.process, err)
		}
	}
	var g group
	for _, s := range p.spans {
		span, proc, err := pbSpan(s.raw)
		if err != nil {
			return d.spanErr(s, err)
		}
		if proc == nil {
			proc = batchProc
		}
		g.add(proc, span)
	}
	return d.send(&g, p)
}

func (d *decoder) send(g *group, p *parts) error {
	if len(g.batches) == 0 {
		return nil
	}
	var b codec.Batch
	ok := false
	if !d.translated {
		var out []model.ResourceSpans
		out, ok = g.direct()
		b = codec.Batch(out)
	}
	if !ok {
		var err error
		if b, err = g.translate(); err != nil {
			return d.ErrAt(p.start, p.path, err)
		}
	}
	if len(b) == 0 {
		return nil
	}
	return d.emit(b)
}

// spanErr positions an error from converting the value s.
func (d *decoder) spanErr(s rawAt, err error) error {
	var fe *jsonpos.FieldError
	if errors.As(err, &fe) {
		return d.ErrAt(s.start, s.fullPath()+fe.Path, fe.Err)
	}
	return d.ErrAt(s.start, s.fullPath(), err)
}
