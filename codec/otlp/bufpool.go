package otlp

import "sync"

// bufPool keeps the byte buffers a protobuf file is read through (its
// chunks, and the groups of a large resource spans) for the next file.
// A buffer grown afresh for each file is zeroed and faulted in a page at
// a time as it grows: a tenth of a second of CPU in an ingest of 1M spans.
var bufPool sync.Pool

// maxPooledBuf bounds the buffers kept: one grown for a single huge field
// (a span of many MiB) is left to the collector, not held for every later
// file past the memory budget.
const maxPooledBuf = 2 * DefaultProtoChunkBytes

// takeBuf returns an empty buffer, with the capacity of one given back
// before when there is one.
func takeBuf() []byte {
	if p, ok := bufPool.Get().(*[]byte); ok {
		return (*p)[:0]
	}
	return nil
}

// giveBuf keeps b for takeBuf, unless it is empty or larger than
// maxPooledBuf; nothing may use b after.
func giveBuf(b []byte) {
	if c := cap(b); c > 0 && c <= maxPooledBuf {
		b = b[:0]
		bufPool.Put(&b)
	}
}
