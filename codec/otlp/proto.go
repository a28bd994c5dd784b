package otlp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/model"
)

// DecodeProto decodes one OTLP protobuf message (ExportTraceServiceRequest
// or TracesData, which share their wire form) and emits it as one batch.
// The top-level framing is checked first, so a file cut inside a
// resource_spans field is reported with its byte offset.
func DecodeProto(name string, r io.Reader, emit codec.EmitFunc) error {
	data, err := codec.ReadAll(r)
	if err != nil {
		return &codec.DecodeError{File: name, Offset: int64(len(data)), Err: err}
	}
	if len(data) == 0 {
		return &codec.DecodeError{File: name, Offset: -1, Err: errors.New("empty input: no OTLP protobuf message")}
	}
	if off, err := checkFraming(data); err != nil {
		return &codec.DecodeError{File: name, Offset: off, Err: fmt.Errorf("invalid OTLP protobuf: %w", err)}
	}
	// The message is decoded a few MiB of whole top-level fields at a time
	// (a run of fields is itself a valid message), so a large file never
	// becomes one batch: memory follows the chunk.
	d := newProtoDecoder()
	var fixed int
	var fixedPath string
	base := 0 // resource spans emitted before the chunk
	for start := 0; start < len(data); {
		end := chunkEnd(data, start, protoChunkBytes)
		b, err := decodeProtoChunk(name, d, data[start:end])
		if err != nil {
			return rebaseError(err, base)
		}
		if err := checkSpanIDs(name, b); err != nil {
			return rebaseError(err, base)
		}
		// Protobuf strings must be UTF-8; the decoder (like pdata and the
		// Collector) does not check. Replace bad bytes as encoding/json
		// does for JSON, and say so once per file.
		if n, path := codec.FixBatchUTF8(b); n > 0 {
			if fixed == 0 {
				fixedPath = rebasePath(path, base)
			}
			fixed += n
		}
		base += len(b)
		start = end
		if len(b) == 0 {
			continue
		}
		if err := emit(b); err != nil {
			return err
		}
	}
	if fixed > 0 {
		codec.Warn(r, &codec.DecodeError{File: name, Offset: -1, Path: fixedPath,
			Err: fmt.Errorf("%s of invalid UTF-8 in strings, each replaced with U+FFFD (the first in this string)", codec.Plural(fixed, "byte", "bytes"))})
	}
	return nil
}

// protoChunkBytes is about how much of a protobuf message is decoded at a
// time (a variable for tests).
var protoChunkBytes = 4 << 20

// chunkEnd returns where the run of whole top-level fields starting at
// start ends: past at least one field and at most max bytes, unless one
// field is larger. The framing must have been checked.
func chunkEnd(data []byte, start, max int) int {
	off := start
	for off < len(data) {
		next, _ := fieldEnd(data, off) // checked by checkFraming
		if off > start && next-start > max {
			break
		}
		off = next
	}
	return off
}

// decodeProtoChunk decodes a run of whole top-level fields with d.
func decodeProtoChunk(name string, d *protoDecoder, data []byte) (codec.Batch, error) {
	rss, err := d.traces(data)
	if err != nil {
		var path string
		var pe *pathError
		switch {
		case errors.Is(err, errRecursionDepth):
			// Worded as before, when pdata decoded: the limit is pdata's.
			err = fmt.Errorf("attribute values nested deeper than the OpenTelemetry Collector accepts "+
				"(%d nested AnyValue, ArrayValue, KeyValueList and KeyValue messages: about %d nested arrays or %d nested maps): %w",
				pdataRecursionLimit, pdataRecursionLimit/2, pdataRecursionLimit/3, errRecursionDepth)
		case errors.As(err, &pe):
			path, err = "$"+pe.path, pe.err
		}
		return nil, &codec.DecodeError{File: name, Offset: -1, Path: path, Err: fmt.Errorf("invalid OTLP protobuf: %w", err)}
	}
	return codec.Batch(rss), nil
}

// rebaseError shifts the resource index of a decode error's JSON path by
// base, the resource spans of the chunks before.
func rebaseError(err error, base int) error {
	var de *codec.DecodeError
	if base > 0 && errors.As(err, &de) && de.Path != "" {
		c := *de
		c.Path = rebasePath(de.Path, base)
		return &c
	}
	return err
}

// rebasePath turns "$.resourceSpans[i]…" into "$.resourceSpans[i+base]…".
func rebasePath(path string, base int) string {
	const prefix = "$.resourceSpans["
	rest, ok := strings.CutPrefix(path, prefix)
	if !ok || base == 0 {
		return path
	}
	num, tail, ok := strings.Cut(rest, "]")
	i, err := strconv.Atoi(num)
	if !ok || err != nil {
		return path
	}
	return prefix + strconv.Itoa(i+base) + "]" + tail
}

// pdataRecursionLimit is pdata's proto.RecursionLimit (v1.71.0): how many
// AnyValue-family messages its protobuf decoder (the Collector's) nests.
const pdataRecursionLimit = 100

// checkFraming walks the top-level fields of a protobuf message and checks
// that every field is well formed and fits in data. It returns the offset
// of the first bad field.
func checkFraming(data []byte) (int64, error) {
	for off := 0; off < len(data); {
		end, err := fieldEnd(data, off)
		if err != nil {
			return int64(off), err
		}
		off = end
	}
	return 0, nil
}

// fieldEnd returns where the top-level field starting at off ends, or
// why it is malformed.
func fieldEnd(data []byte, off int) (int, error) {
	tag, n := binary.Uvarint(data[off:])
	if n <= 0 {
		return 0, errors.New("bad field tag (truncated?)")
	}
	off += n
	field, wire := tag>>3, tag&7
	if field == 0 {
		return 0, errors.New("field number 0")
	}
	switch wire {
	case 0:
		_, n := binary.Uvarint(data[off:])
		if n <= 0 {
			return 0, fmt.Errorf("field %d: bad varint (truncated?)", field)
		}
		off += n
	case 1:
		off += 8
	case 5:
		off += 4
	case 2:
		l, n := binary.Uvarint(data[off:])
		if n <= 0 {
			return 0, fmt.Errorf("field %d: bad length (truncated?)", field)
		}
		off += n
		if l > uint64(len(data)-off) {
			return 0, fmt.Errorf("field %d: length %d runs past the end of the input (%d bytes left; truncated?)", field, l, len(data)-off)
		}
		off += int(l)
	default:
		return 0, fmt.Errorf("field %d: unsupported wire type %d", field, wire)
	}
	if off > len(data) {
		return 0, fmt.Errorf("field %d runs past the end of the input (truncated?)", field)
	}
	return off, nil
}

// checkSpanIDs rejects spans with an all-zero trace ID, a kind or status
// code outside the enum, or a time past what Unix nanoseconds in an int64
// hold, naming the span by its path in the OTLP message.
func checkSpanIDs(name string, b codec.Batch) *codec.DecodeError {
	for i := range b {
		for j := range b[i].ScopeSpans {
			if k, field, err := badSpan(b[i].ScopeSpans[j].Spans); k >= 0 {
				path := fmt.Sprintf("$.resourceSpans[%d].scopeSpans[%d].spans[%d]%s", i, j, k, field)
				return &codec.DecodeError{File: name, Offset: -1, Path: path, Err: err}
			}
		}
	}
	return nil
}

// checkSpan returns the field of s the model cannot take (".traceId") and
// why.
func checkSpan(s *model.Span) (string, error) {
	if s.TraceID.IsZero() {
		return ".traceId", errors.New("trace ID is empty or all zeros")
	}
	if s.Kind < 0 || s.Kind > model.KindConsumer {
		return ".kind", fmt.Errorf("bad span kind %d: want 0 to 5", s.Kind)
	}
	if s.Status.Code < 0 || s.Status.Code > model.StatusError {
		return ".status.code", fmt.Errorf("bad status code %d: want 0 to 2", s.Status.Code)
	}
	for _, t := range []struct {
		field string
		ns    uint64
	}{{".startTimeUnixNano", s.StartTimeUnixNano}, {".endTimeUnixNano", s.EndTimeUnixNano}} {
		if t.ns > math.MaxInt64 {
			return t.field, fmt.Errorf("bad time %d: after %s, the last time Unix nanoseconds hold", t.ns, time.Unix(0, math.MaxInt64).UTC().Format(time.RFC3339))
		}
	}
	return "", nil
}
