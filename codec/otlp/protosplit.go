package otlp

import (
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tracectl/tracectl/codec"
	"github.com/tracectl/tracectl/model"
)

// A chunk holds whole top-level fields, so at least one resource's spans.
// Exporters that write one ResourceSpans per service per file make that
// field tens of megabytes: decoded whole, several times that, past any
// --memory-budget. Such a field (one larger than the chunk) is instead
// cut, without decoding, into its scope spans and their spans, and
// decoded a group of spans at a time, each group in a message of its own
// that repeats the resource and scope fields (see spanGroups). The groups
// give the spans in order, as consecutive entries of the same resource
// and scope: what the JSON decoder gives for a large request, and what a
// trace builder merges back into one.
//
// The Collector's encoder (pdata) writes a message's fields last to
// first, so a resource comes after its spans, and nothing of them can be
// decoded before the field's end. From a stream the field is therefore
// read whole first; from an input that can be read again at an offset (an
// uncompressed file) it is passed over and read back a group at a time
// (see splitAt in protoreread.go).

// split decodes and emits a large resource spans a group of spans at a
// time (see spanGroups).
func (s *protoStream) split(res messageParts, maxBytes int) error {
	err := spanGroups(res, maxBytes, s.emitGroup)
	s.base++
	return err
}

// emitGroup decodes and emits one group of a large resource spans.
func (s *protoStream) emitGroup(g spanGroup) error {
	b, err := decodeProtoChunk(s.name, s.d, g.msg)
	if err != nil {
		return rebaseError(err, s.base, g.scope, g.firstSpan)
	}
	repeated := noHeaders
	switch {
	case g.firstSpan > 0:
		repeated = repeatedResourceAndScope
	case g.scope > 0:
		repeated = repeatedResource
	}
	return s.emitBatch(b, s.base, g.scope, g.firstSpan, repeated)
}

// cutResourceSpansField cuts a chunk that is one resource_spans field
// at its scope spans (see cutMessage).
func cutResourceSpansField(chunk []byte) (messageParts, bool) {
	num, typ, n := protowire.ConsumeTag(chunk)
	if n < 0 || num != 1 || typ != protowire.BytesType {
		return messageParts{}, false
	}
	payload, m := protowire.ConsumeBytes(chunk[n:])
	if m < 0 || n+m != len(chunk) {
		return messageParts{}, false
	}
	return cutMessage(payload, 2, false)
}

// repeatedHeaders says which of a batch's one resource and one scope
// were already emitted in an earlier group of the same resource spans.
type repeatedHeaders int

const (
	noHeaders repeatedHeaders = iota
	repeatedResource
	repeatedResourceAndScope
)

// fixRepeatedHeaders replaces invalid UTF-8 in the resource (and first
// scope) of a one-resource batch without counting it: it was counted
// with the group that first held them.
func fixRepeatedHeaders(b codec.Batch, repeated repeatedHeaders) {
	if repeated == noHeaders || len(b) != 1 {
		return
	}
	hdr := codec.Batch{{Resource: b[0].Resource}}
	if repeated == repeatedResourceAndScope && len(b[0].ScopeSpans) > 0 {
		hdr[0].ScopeSpans = []model.ScopeSpans{{Scope: b[0].ScopeSpans[0].Scope}}
	}
	codec.FixBatchUTF8(hdr)
	b[0].Resource = hdr[0].Resource
	if len(hdr[0].ScopeSpans) > 0 {
		b[0].ScopeSpans[0].Scope = hdr[0].ScopeSpans[0].Scope
	}
}

// messageParts is a message cut in two: head, every field but the
// repeated one, as written and in order, and parts, the payloads of the
// repeated field (for a ResourceSpans its scope spans, for a ScopeSpans
// its spans, then with their tags kept: see cutMessage).
type messageParts struct {
	head  []byte
	parts [][]byte
}

// cutMessage cuts message b at its length-delimited field num; with
// keepTags each part keeps its tag and length. ok is false when b is
// malformed, or has no such field: it is then decoded whole, which says
// what is wrong.
func cutMessage(b []byte, num protowire.Number, keepTags bool) (m messageParts, ok bool) {
	for len(b) > 0 {
		n, typ, tagLen := protowire.ConsumeTag(b)
		if tagLen < 0 {
			return m, false
		}
		valLen := protowire.ConsumeFieldValue(n, typ, b[tagLen:])
		if valLen < 0 {
			return m, false
		}
		field := b[:tagLen+valLen]
		switch {
		case n != num || typ != protowire.BytesType:
			m.head = append(m.head, field...)
		case keepTags:
			m.parts = append(m.parts, field)
		default:
			v, _ := protowire.ConsumeBytes(b[tagLen:])
			m.parts = append(m.parts, v)
		}
		b = b[len(field):]
	}
	return m, len(m.parts) > 0
}

// spanGroup is a message holding one resource's spans, or some of them,
// and where they sit in the message they were cut from.
type spanGroup struct {
	msg       []byte // a TracesData with one resource_spans of one scope_spans (reused)
	scope     int    // index of the scope spans in the resource spans
	firstSpan int    // index of the group's first span in the scope spans
}

// spanGroups calls f with a resource spans, cut by cutMessage at its
// scope spans, as messages of about maxBytes of spans each (see
// scopeGroups). A group's message is overwritten by the next one.
func spanGroups(res messageParts, maxBytes int, f func(g spanGroup) error) error {
	buf := takeBuf()
	defer func() { giveBuf(buf) }()
	for j, ss := range res.parts {
		if err := scopeGroups(&buf, res.head, ss, j, maxBytes, f); err != nil {
			return err
		}
	}
	return nil
}

// scopeGroups calls f with scope spans ss, the jth of a resource spans
// whose other fields are resHead, as messages of about maxBytes of spans
// each, built in *buf. A scope spans that cannot be cut is one group,
// decoded whole.
func scopeGroups(buf *[]byte, resHead, ss []byte, j, maxBytes int, f func(g spanGroup) error) error {
	scope, ok := cutMessage(ss, 2, true)
	if !ok {
		*buf = groupMessage((*buf)[:0], resHead, ss, nil)
		return f(spanGroup{msg: *buf, scope: j})
	}
	for k := 0; k < len(scope.parts); {
		first, size := k, 0
		for ; k < len(scope.parts) && (k == first || size+len(scope.parts[k]) <= maxBytes); k++ {
			size += len(scope.parts[k])
		}
		*buf = groupMessage((*buf)[:0], resHead, scope.head, scope.parts[first:k])
		if err := f(spanGroup{msg: *buf, scope: j, firstSpan: first}); err != nil {
			return err
		}
	}
	return nil
}

// groupMessage appends to dst a TracesData of one resource_spans made of
// resHead and one scope_spans made of scopeHead and spans, copying each
// byte once.
func groupMessage(dst, resHead, scopeHead []byte, spans [][]byte) []byte {
	spansLen := 0
	for _, s := range spans {
		spansLen += len(s)
	}
	dst = groupHead(dst, resHead, scopeHead, spansLen)
	for _, s := range spans {
		dst = append(dst, s...)
	}
	return dst
}

// groupHead appends to dst the start of groupMessage's message, up to
// where its spansLen bytes of span fields go, with room for them.
func groupHead(dst, resHead, scopeHead []byte, spansLen int) []byte {
	ssLen := len(scopeHead) + spansLen
	ssField := protowire.SizeTag(2) + protowire.SizeBytes(ssLen)
	rsLen := len(resHead) + ssField
	dst = slices.Grow(dst, protowire.SizeTag(1)+protowire.SizeBytes(rsLen))
	dst = protowire.AppendVarint(protowire.AppendTag(dst, 1, protowire.BytesType), uint64(rsLen))
	dst = append(dst, resHead...)
	dst = protowire.AppendVarint(protowire.AppendTag(dst, 2, protowire.BytesType), uint64(ssLen))
	return append(dst, scopeHead...)
}

// shiftPath adds rs, ss and span to the indexes of a JSON path's
// "$.resourceSpans[i].scopeSpans[j].spans[k]" segments, as far as the
// path has them.
func shiftPath(path string, rs, ss, span int) string {
	out, rest, ok := shiftSegment("", path, "$.resourceSpans[", rs)
	if ok {
		out, rest, ok = shiftSegment(out, rest, ".scopeSpans[", ss)
	}
	if ok {
		out, rest, _ = shiftSegment(out, rest, ".spans[", span)
	}
	return out + rest
}

// shiftSegment moves a leading segment prefix+"i]" of rest to out as
// prefix+"(i+off)]".
func shiftSegment(out, rest, prefix string, off int) (string, string, bool) {
	after, ok := strings.CutPrefix(rest, prefix)
	if !ok {
		return out, rest, false
	}
	num, tail, ok := strings.Cut(after, "]")
	i, err := strconv.Atoi(num)
	if !ok || err != nil {
		return out, rest, false
	}
	return out + prefix + strconv.Itoa(i+off) + "]", tail, true
}
