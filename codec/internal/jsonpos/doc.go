// Package jsonpos reads a JSON stream token by token with encoding/json and
// reports every failure as a codec.DecodeError that names the file, the
// line:col and the JSON path of the offending value, while keeping memory
// bounded by the value being read rather than the whole input. The Jaeger
// and Zipkin JSON decoders are built on it.
package jsonpos
