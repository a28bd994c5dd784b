package otlp

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/model"
)

// DecodeProto decodes one OTLP protobuf message (ExportTraceServiceRequest
// or TracesData, which share their wire form) and emits it in batches. The
// message is read a run of whole top-level fields at a time, a few MiB
// (a run of fields is itself a valid message), so neither the file nor
// its spans are ever held whole: memory follows the chunk. A file cut
// inside a field is reported with the byte offset of that field; what came
// before it has been emitted.
func DecodeProto(name string, r io.Reader, emit codec.EmitFunc) error {
	return decodeProto(name, r, emit, DefaultProtoChunkBytes)
}

// ProtoDecoder is DecodeProto reading about chunkBytes of the message at a
// time (at least one top-level field) instead of DefaultProtoChunkBytes:
// a smaller chunk holds fewer decoded spans ahead of their consumer.
func ProtoDecoder(chunkBytes int) codec.Decoder {
	return func(name string, r io.Reader, emit codec.EmitFunc) error {
		return decodeProto(name, r, emit, chunkBytes)
	}
}

// decodeProto is DecodeProto in chunks of chunkBytes. A resource spans
// larger than that is passed over and read back a group of spans at a
// time: from the input itself when it can be read again (an uncompressed
// file: codec.WarnReader.At), else from a temporary file its bytes are
// copied to as they pass (see spool).
func decodeProto(name string, r io.Reader, emit codec.EmitFunc, chunkBytes int) error {
	s := &protoStream{name: name, d: newProtoDecoder(), emit: emit}
	fr := fieldReader{r: bufio.NewReaderSize(r, 64<<10)}
	var pass passOver
	if wr, ok := r.(*codec.WarnReader); ok && wr.At != nil {
		pass = &reread{s: s, at: wr.At, maxBytes: chunkBytes}
	} else if !holdLargeFields {
		sp := &spool{s: s, maxBytes: chunkBytes}
		defer sp.close()
		pass = sp
	}
	err := fr.chunks(name, chunkBytes, pass, func(chunk []byte) error {
		return s.chunk(chunk, chunkBytes)
	})
	if err != nil {
		return err
	}
	if fr.off == 0 {
		return &codec.DecodeError{File: name, Offset: -1, Err: errors.New("empty input: no OTLP protobuf message")}
	}
	if s.fixed > 0 {
		codec.Warn(r, &codec.DecodeError{File: name, Offset: -1, Path: s.fixedPath,
			Err: fmt.Errorf("%s of invalid UTF-8 in strings, each replaced with U+FFFD (the first in this string)", codec.Plural(s.fixed, "byte", "bytes"))})
	}
	return nil
}

// protoStream decodes the chunks of one protobuf message and emits them.
type protoStream struct {
	name      string
	d         *protoDecoder
	emit      codec.EmitFunc
	base      int // resource spans emitted before the chunk
	fixed     int // bytes of invalid UTF-8 replaced
	fixedPath string
}

// chunk decodes and emits a run of whole top-level fields; one resource
// spans larger than chunkBytes is decoded a group of spans at a time.
func (s *protoStream) chunk(chunk []byte, chunkBytes int) error {
	if len(chunk) > chunkBytes {
		if res, ok := cutResourceSpansField(chunk); ok {
			return s.split(res, chunkBytes)
		}
	}
	b, err := decodeProtoChunk(s.name, s.d, chunk)
	if err != nil {
		return rebaseError(err, s.base, 0, 0)
	}
	if err := s.emitBatch(b, s.base, 0, 0, noHeaders); err != nil {
		return err
	}
	s.base += len(b)
	return nil
}

// emitBatch checks and emits a decoded batch whose paths are to be
// shifted by rs, ss and span (see shiftPath).
func (s *protoStream) emitBatch(b codec.Batch, rs, ss, span int, repeated repeatedHeaders) error {
	if err := checkSpanIDs(s.name, b); err != nil {
		return rebaseError(err, rs, ss, span)
	}
	// Protobuf strings must be UTF-8; the decoder (like pdata and the
	// Collector) does not check. Replace bad bytes as encoding/json
	// does for JSON, and say so once per file, counting each byte once.
	fixRepeatedHeaders(b, repeated)
	if n, path := codec.FixBatchUTF8(b); n > 0 {
		if s.fixed == 0 {
			s.fixedPath = shiftPath(path, rs, ss, span)
		}
		s.fixed += n
	}
	if len(b) == 0 {
		return nil
	}
	return s.emit(b)
}

// passOver takes the resource_spans fields that chunks does not hold.
type passOver interface {
	// begin readies for the payload of a field at stream offset off and
	// says where it goes: nil to read past it. ok false: hold the field.
	begin(off int64) (w io.Writer, ok bool)
	// end is called once the payload went to begin's writer; held, when
	// not nil, is the payload after all (kept in memory: see spool).
	end() (held []byte)
	// decode decodes the field begun last, of tag and length head and a
	// payload of n bytes.
	decode(head []byte, n int64) error
}

// chunks reads the message a run of whole top-level fields at a time, up to
// max bytes (at least one field), and calls f with each run (its bytes
// are reused once f returns). With pass set, a resource_spans field larger
// than max is not held but passed over (see passOver). Like a run, it is
// decoded once the next field's header has been read (or the message
// ended), so both ways give the same batches and errors. f's and
// pass.decode's first error is returned as it is; a malformed field or a
// failed read is a DecodeError of file name at the offset of the field,
// or of the read.
func (fr *fieldReader) chunks(name string, max int, pass passOver, f func([]byte) error) error {
	chunk := takeBuf()
	defer func() { giveBuf(chunk) }()
	var passed struct { // the field passed over, if not yet decoded
		pending bool
		head    []byte
		n       int64
	}
	for {
		off := fr.off
		h, err := fr.header()
		if passed.pending && (err == nil || err == io.EOF) {
			if err := pass.decode(passed.head, passed.n); err != nil {
				return err
			}
		}
		passed.pending = false
		if err == io.EOF {
			break
		}
		if err == nil && len(chunk) > 0 && int64(len(chunk)) > int64(max)-h.size() {
			if err := f(chunk); err != nil {
				return err
			}
			chunk = chunk[:0]
		}
		if err == nil && pass != nil && h.field == 1 && h.wire == 2 && h.size() > int64(max) {
			if to, ok := pass.begin(fr.off); ok {
				if err = fr.skip(h, to); err == nil {
					if held := pass.end(); held != nil {
						chunk = append(append(chunk, h.bytes...), held...)
						continue
					}
					passed.pending = true
					passed.head = append(passed.head[:0], h.bytes...)
					passed.n = int64(h.payload)
					continue
				}
			}
		}
		if err == nil {
			chunk, err = fr.payload(append(chunk, h.bytes...), h)
		}
		var fe *framingError
		switch {
		case errors.As(err, &fe):
			return &codec.DecodeError{File: name, Offset: off, Err: fmt.Errorf("invalid OTLP protobuf: %w", fe.err)}
		case err != nil:
			return &codec.DecodeError{File: name, Offset: fr.off, Err: err}
		}
	}
	if len(chunk) > 0 {
		return f(chunk)
	}
	return nil
}

// fieldReader reads the top-level fields of a protobuf message from a
// stream; off counts the bytes read.
type fieldReader struct {
	r   *bufio.Reader
	off int64
	buf [2 * binary.MaxVarintLen64]byte
}

// framingError is a malformed top-level field.
type framingError struct{ err error }

func (e *framingError) Error() string { return e.err.Error() }

// fieldHead is a top-level field's tag and length bytes, its number, wire
// type and payload length (declared for a length-delimited field).
type fieldHead struct {
	bytes   []byte
	field   uint64
	wire    uint64
	payload uint64
}

// header reads the next field's tag and, for a length-delimited field, its
// length (a varint field is read whole). io.EOF means the message ended
// before the field.
func (fr *fieldReader) header() (fieldHead, error) {
	tag, head, err := fr.uvarint(fr.buf[:0])
	if err == io.EOF && len(head) == 0 {
		return fieldHead{}, io.EOF
	}
	if err != nil {
		return fieldHead{}, fr.bad(err, errors.New("bad field tag (truncated?)"))
	}
	h := fieldHead{field: tag >> 3, wire: tag & 7}
	if h.field == 0 {
		return fieldHead{}, &framingError{errors.New("field number 0")}
	}
	switch h.wire {
	case 0:
		if _, head, err = fr.uvarint(head); err != nil {
			return fieldHead{}, fr.bad(err, fmt.Errorf("field %d: bad varint (truncated?)", h.field))
		}
	case 1:
		h.payload = 8
	case 5:
		h.payload = 4
	case 2:
		if h.payload, head, err = fr.uvarint(head); err != nil {
			return fieldHead{}, fr.bad(err, fmt.Errorf("field %d: bad length (truncated?)", h.field))
		}
	default:
		return fieldHead{}, &framingError{fmt.Errorf("field %d: unsupported wire type %d", h.field, h.wire)}
	}
	h.bytes = head
	return h, nil
}

// size is the whole field's size in bytes (at most math.MaxInt64).
func (h fieldHead) size() int64 {
	if h.payload > uint64(math.MaxInt64-len(h.bytes)) {
		return math.MaxInt64
	}
	return int64(len(h.bytes)) + int64(h.payload)
}

// uvarint reads a varint, appending its bytes to head.
func (fr *fieldReader) uvarint(head []byte) (uint64, []byte, error) {
	start := len(head)
	for i := 0; i < binary.MaxVarintLen64; i++ {
		c, err := fr.r.ReadByte()
		if err != nil {
			if err == io.EOF && len(head) > start {
				err = io.ErrUnexpectedEOF
			}
			return 0, head, err
		}
		fr.off++
		head = append(head, c)
		if c < 0x80 {
			v, n := binary.Uvarint(head[start:])
			if n <= 0 {
				return 0, head, errBadVarint
			}
			return v, head, nil
		}
	}
	return 0, head, errBadVarint
}

var errBadVarint = errors.New("varint overflows 64 bits")

// bad turns a truncated or overlong varint into the framing error msg;
// other read errors pass through.
func (fr *fieldReader) bad(err, msg error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF || err == errBadVarint {
		return &framingError{msg}
	}
	return err
}

// payload appends h's payload to dst, growing dst as the bytes arrive (a
// hostile length is not allocated ahead).
func (fr *fieldReader) payload(dst []byte, h fieldHead) ([]byte, error) {
	start := len(dst)
	n := h.size() - int64(len(h.bytes))
	for n > 0 {
		step := int(min(n, 1<<20))
		dst = slices.Grow(dst, step)
		got, err := io.ReadFull(fr.r, dst[len(dst):len(dst)+step])
		dst = dst[:len(dst)+got]
		fr.off += int64(got)
		n -= int64(got)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			if h.wire == 2 {
				return dst, &framingError{fmt.Errorf("field %d: length %d runs past the end of the input (%d bytes left; truncated?)", h.field, h.payload, len(dst)-start)}
			}
			return dst, &framingError{fmt.Errorf("field %d runs past the end of the input (truncated?)", h.field)}
		}
		if err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// skip reads past h's payload, writing it to to (when not nil); a payload
// cut short is the framing error payload gives.
func (fr *fieldReader) skip(h fieldHead, to io.Writer) error {
	n := h.size() - int64(len(h.bytes))
	var got int64
	var err error
	if to == nil {
		for got < n && err == nil {
			var d int
			d, err = fr.r.Discard(int(min(n-got, 1<<30)))
			got += int64(d)
		}
	} else {
		got, err = io.CopyN(to, fr.r, n)
	}
	fr.off += got
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return &framingError{fmt.Errorf("field %d: length %d runs past the end of the input (%d bytes left; truncated?)",
			h.field, h.payload, got)}
	}
	return err
}

// DefaultProtoChunkBytes is about how much of a protobuf message
// DecodeProto decodes at a time: some 15 MB of decoded spans.
const DefaultProtoChunkBytes = 4 << 20

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

// rebaseError shifts the indexes of a decode error's JSON path by rs, ss
// and span (see shiftPath): the resource spans of the chunks before, and
// for a group of a large resource spans, where the group sits in it.
func rebaseError(err error, rs, ss, span int) error {
	var de *codec.DecodeError
	if rs+ss+span > 0 && errors.As(err, &de) && de.Path != "" {
		c := *de
		c.Path = shiftPath(de.Path, rs, ss, span)
		return &c
	}
	return err
}

// pdataRecursionLimit is pdata's proto.RecursionLimit (v1.71.0): how many
// AnyValue-family messages its protobuf decoder (the Collector's) nests.
const pdataRecursionLimit = 100

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
