package jaeger

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"unsafe"

	"github.com/tracectl/tracectl/internal/intern"
	"github.com/tracectl/tracectl/internal/jsonscan"
)

// uiReader reads the common form of a UI span into a uiSpan, giving what
// json.Unmarshal gives for it, a fifth of the time. It declines (ok false)
// what it does not read exactly as encoding/json does, which is then
// unmarshalled as before (and so gets the same errors): a repeated key,
// a key that matches a field only case-insensitively, null where a field
// is not a list, an object or parentSpanID, a number written as a string,
// escaped keys.
//
// IDs and numbers alias the bytes read (see view), and lists come from
// chunks shared by many spans (see slab), taken back once no span read
// waits to be emitted (decoder.releaseLists): a uiSpan is read for its
// conversion, within the trace that holds it, and let go.
type uiReader struct {
	jsonscan.Scanner
	kvs  []uiKV // scratch of readList, by element type
	refs []uiRef
	logs []uiLog
	strs intern.Table // keys, types, names and IDs that repeat

	kvSlab  slab[uiKV] // where the lists are kept, by element type
	refSlab slab[uiRef]
	logSlab slab[uiLog]
}

// span reads raw into s, which must be zero.
func (r *uiReader) span(raw []byte, s *uiSpan) bool {
	r.Reset(raw)
	return r.spanHere(s) && r.End()
}

// spanHere reads the span object at the reader's position into s, which
// must be zero. What it accepts is valid JSON.
func (r *uiReader) spanHere(s *uiSpan) bool {
	return r.Fields(func(key []byte) (bit uint32, ok bool) {
		switch string(key) {
		case "traceID":
			return 1 << 0, r.shared(&s.TraceID)
		case "spanID":
			return 1 << 1, r.view(&s.SpanID)
		case "parentSpanID":
			return 1 << 2, r.Null() || r.view(&s.ParentSpanID)
		case "flags":
			f, ok := r.Uint()
			s.Flags = uint32(f)
			return 1 << 3, ok && f <= math.MaxUint32
		case "operationName":
			return 1 << 4, r.shared(&s.OperationName)
		case "references":
			return 1 << 5, readList(r, &s.References, &r.refs, &r.refSlab, r.ref)
		case "startTime":
			return 1 << 6, r.number(&s.StartTime)
		case "duration":
			return 1 << 7, r.number(&s.Duration)
		case "tags":
			return 1 << 8, readList(r, &s.Tags, &r.kvs, &r.kvSlab, r.kv)
		case "logs":
			return 1 << 9, readList(r, &s.Logs, &r.logs, &r.logSlab, r.log)
		case "processID":
			return 1 << 10, r.shared(&s.ProcessID)
		case "process":
			if r.Null() {
				return 1 << 11, true
			}
			s.Process = &uiProcess{}
			return 1 << 11, r.process(s.Process)
		}
		return 0, r.SkipUnknown(key, uiSpanKeys)
	})
}

// The JSON keys of the structs, which encoding/json matches
// case-insensitively: taken from their field tags, so that a field added
// to a struct and not to its reader is declined, not skipped.
var (
	uiSpanKeys    = jsonKeys[uiSpan]()
	uiRefKeys     = jsonKeys[uiRef]()
	uiKVKeys      = jsonKeys[uiKV]()
	uiLogKeys     = jsonKeys[uiLog]()
	uiProcessKeys = jsonKeys[uiProcess]()
)

// jsonKeys returns the keys encoding/json reads into struct T's fields.
func jsonKeys[T any]() []string {
	t := reflect.TypeFor[T]()
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case !f.IsExported() || name == "-":
			continue
		case name == "":
			name = f.Name
		}
		keys = append(keys, name)
	}
	return keys
}

// readList reads null (a nil list) or an array of elements, each read by
// read, into a list of its exact length from sl; [] is an empty list, not
// nil, as encoding/json makes it. Elements are gathered in scratch first
// (lists of one element type never nest).
func readList[T any](r *uiReader, dst *[]T, scratch *[]T, sl *slab[T], read func(*T) bool) bool {
	if r.Null() {
		return true
	}
	buf := (*scratch)[:0]
	ok := r.Array(func() bool {
		var zero T
		buf = append(buf, zero) // read in place: a variable read takes would escape
		return read(&buf[len(buf)-1])
	})
	*dst = sl.copyOf(buf)
	clear(buf) // let go of what the elements hold
	*scratch = buf[:0]
	if cap(buf) > maxKept {
		*scratch = nil
	}
	return ok
}

// slab hands out lists carved from shared chunks: one allocation for
// many lists. A chunk is freed once none of its lists is held.
type slab[T any] struct{ free []T }

// slabChunk is the elements of a chunk.
const slabChunk = 512

// reset takes every list back, for lists carved after it: none of those
// handed out may be in use any more. A chunk grown past maxKept is let go.
func (s *slab[T]) reset() {
	if cap(s.free) > maxKept {
		s.free = nil
		return
	}
	clear(s.free)
	s.free = s.free[:0]
}

// copyOf returns a copy of src, an empty list (not nil) when src is empty.
func (s *slab[T]) copyOf(src []T) []T {
	n := len(src)
	if n == 0 {
		return []T{}
	}
	if n > cap(s.free)-len(s.free) {
		s.free = make([]T, 0, max(slabChunk, n))
	}
	l := len(s.free)
	s.free = append(s.free, src...)
	return s.free[l : l+n : l+n]
}

// typeName reads a tag's type: one of the usual names without a lookup,
// others as shared does.
func (r *uiReader) typeName(dst *string) bool {
	raw, ok := r.RawString()
	if !ok {
		return false
	}
	switch string(raw) {
	case `"string"`:
		*dst = "string"
	case `"int64"`:
		*dst = "int64"
	case `"bool"`:
		*dst = "bool"
	case `"float64"`:
		*dst = "float64"
	case `"binary"`:
		*dst = "binary"
	default:
		r.Pos -= len(raw)
		return r.shared(dst)
	}
	return true
}

// view reads a string that its span's conversion parses and lets go of
// (an ID): one without escapes, control characters or non-ASCII bytes is
// not copied but aliases the bytes read.
func (r *uiReader) view(dst *string) bool {
	raw, ok := r.RawString()
	if !ok {
		return false
	}
	body := raw[1 : len(raw)-1]
	if !jsonscan.Plain(body) {
		*dst, ok = jsonscan.String(body)
		return ok
	}
	*dst = unsafe.String(unsafe.SliceData(body), len(body))
	return true
}

// shared reads a string that other spans of the file are likely to hold
// too (a key, a type, a name, a trace ID) from r.strs (see StrFrom).
func (r *uiReader) shared(dst *string) bool {
	s, ok := r.StrFrom(&r.strs)
	*dst = s
	return ok
}

// number reads a JSON number's text (encoding/json also takes a string
// holding a number; that is left to it), aliasing the bytes read as view
// does.
func (r *uiReader) number(dst *json.Number) bool {
	n, ok := r.Number()
	if ok && len(n) > 0 {
		*dst = json.Number(unsafe.String(unsafe.SliceData(n), len(n)))
	}
	return ok
}

func (r *uiReader) ref(ref *uiRef) bool {
	return r.Fields(func(key []byte) (bit uint32, ok bool) {
		switch string(key) {
		case "refType":
			return 1, r.shared(&ref.RefType)
		case "traceID":
			return 2, r.shared(&ref.TraceID)
		case "spanID":
			return 4, r.view(&ref.SpanID)
		}
		return 0, r.SkipUnknown(key, uiRefKeys)
	})
}

// kv reads a typed key-value.
func (r *uiReader) kv(kv *uiKV) bool {
	return r.Fields(func(key []byte) (bit uint32, ok bool) {
		switch string(key) {
		case "key":
			return 1, r.shared(&kv.Key)
		case "type":
			return 2, r.typeName(&kv.Type)
		case "value":
			v, ok := r.Skip()
			kv.Value = json.RawMessage(v)
			return 4, ok
		}
		return 0, r.SkipUnknown(key, uiKVKeys)
	})
}

func (r *uiReader) log(l *uiLog) bool {
	return r.Fields(func(key []byte) (bit uint32, ok bool) {
		switch string(key) {
		case "timestamp":
			return 1, r.number(&l.Timestamp)
		case "fields":
			return 2, readList(r, &l.Fields, &r.kvs, &r.kvSlab, r.kv)
		}
		return 0, r.SkipUnknown(key, uiLogKeys)
	})
}

func (r *uiReader) process(p *uiProcess) bool {
	return r.Fields(func(key []byte) (bit uint32, ok bool) {
		switch string(key) {
		case "serviceName":
			return 1, r.shared(&p.ServiceName)
		case "tags":
			return 2, readList(r, &p.Tags, &r.kvs, &r.kvSlab, r.kv)
		}
		return 0, r.SkipUnknown(key, uiProcessKeys)
	})
}

// processOf reads a process object raw into p, which must be zero.
func (r *uiReader) processOf(raw []byte, p *uiProcess) bool {
	r.Reset(raw)
	return r.process(p) && r.End()
}
