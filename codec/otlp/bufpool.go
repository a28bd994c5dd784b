package otlp

import "sync"

// bufs keeps the byte buffers a protobuf file is read through (its
// chunks, and the groups of a large resource spans) for the next file.
// A buffer grown afresh for each file is zeroed and faulted in a page at
// a time as it grows: a tenth of a second of CPU in an ingest of 1M spans.
var bufs sync.Pool

// takeBuf returns an empty buffer, with the capacity of one given back
// before when there is one.
func takeBuf() []byte {
	if p, ok := bufs.Get().(*[]byte); ok {
		return (*p)[:0]
	}
	return nil
}

// giveBuf keeps b for takeBuf; nothing may use b after.
func giveBuf(b []byte) {
	if cap(b) > 0 {
		b = b[:0]
		bufs.Put(&b)
	}
}
