package model

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
)

// ValueType says which field of a Value holds the data.
type ValueType uint8

// Value types, as in OTLP's AnyValue.
const (
	ValueEmpty ValueType = iota
	ValueString
	ValueInt
	ValueDouble
	ValueBool
	ValueBytes
	ValueArray
	ValueMap
)

var valueTypeNames = [...]string{"empty", "string", "int", "double", "bool", "bytes", "array", "map"}

// String returns the lower-case name of the type.
func (t ValueType) String() string {
	if int(t) < len(valueTypeNames) {
		return valueTypeNames[t]
	}
	return "ValueType(" + strconv.Itoa(int(t)) + ")"
}

// Value is a typed attribute value. Only the field matching Type is used.
//
// Scalars (the common case) live inline; the payloads of bytes, arrays and
// maps (rare) sit behind one pointer, read with Bytes, Array and Map and
// built with BytesValue, ArrayValue and MapValue. This keeps a Value at 48
// bytes and an Attribute at 64 (see TestValueSize). The payload is never
// modified after the Value is built, so copies of a Value may share it, as
// copies shared the slices when they were fields; elements of an array or
// map may still be modified in place through the returned slice.
//
// A zero Value is the empty value. Values do not compare with ==; use Equal.
type Value struct {
	_      [0]func() // not comparable, as when the slices were fields
	Type   ValueType
	Bool   bool
	Str    string
	Int    int64
	Double float64
	ext    *composite // nil unless a bytes, array or map payload is non-nil
}

// composite is the payload of a bytes, array or map Value; only the field
// matching the Value's type is set.
type composite struct {
	bytes []byte
	array []Value
	attrs []Attribute
}

// Attribute is a key with a typed value.
type Attribute struct {
	Key   string
	Value Value
}

// StringValue returns a string Value.
func StringValue(s string) Value { return Value{Type: ValueString, Str: s} }

// IntValue returns an int Value.
func IntValue(i int64) Value { return Value{Type: ValueInt, Int: i} }

// DoubleValue returns a double Value.
func DoubleValue(f float64) Value { return Value{Type: ValueDouble, Double: f} }

// BoolValue returns a bool Value.
func BoolValue(b bool) Value { return Value{Type: ValueBool, Bool: b} }

// BytesValue returns a bytes Value holding b (not a copy).
func BytesValue(b []byte) Value {
	v := Value{Type: ValueBytes}
	if b != nil {
		v.ext = &composite{bytes: b}
	}
	return v
}

// ArrayValue returns an array Value holding vs (not a copy: ArrayValue(s...)
// keeps s, nil or not).
func ArrayValue(vs ...Value) Value {
	v := Value{Type: ValueArray}
	if vs != nil {
		v.ext = &composite{array: vs}
	}
	return v
}

// MapValue returns a key/value list Value holding attrs (not a copy:
// MapValue(s...) keeps s, nil or not).
func MapValue(attrs ...Attribute) Value {
	v := Value{Type: ValueMap}
	if attrs != nil {
		v.ext = &composite{attrs: attrs}
	}
	return v
}

// Bytes returns the payload of a bytes value, nil for other types.
func (v Value) Bytes() []byte {
	if v.Type != ValueBytes || v.ext == nil {
		return nil
	}
	return v.ext.bytes
}

// Array returns the elements of an array value, nil for other types. The
// slice is shared with the value (and its copies).
func (v Value) Array() []Value {
	if v.Type != ValueArray || v.ext == nil {
		return nil
	}
	return v.ext.array
}

// Map returns the entries of a map value, nil for other types. The slice is
// shared with the value (and its copies).
func (v Value) Map() []Attribute {
	if v.Type != ValueMap || v.ext == nil {
		return nil
	}
	return v.ext.attrs
}

// Str returns a string attribute.
func Str(k, v string) Attribute { return Attribute{Key: k, Value: StringValue(v)} }

// Int returns an int attribute.
func Int(k string, v int64) Attribute { return Attribute{Key: k, Value: IntValue(v)} }

// Double returns a double attribute.
func Double(k string, v float64) Attribute { return Attribute{Key: k, Value: DoubleValue(v)} }

// Bool returns a bool attribute.
func Bool(k string, v bool) Attribute { return Attribute{Key: k, Value: BoolValue(v)} }

// Equal reports whether two values have the same type and content. Doubles
// compare bit for bit, so NaN equals NaN.
func (v Value) Equal(o Value) bool {
	if v.Type != o.Type {
		return false
	}
	switch v.Type {
	case ValueString:
		return v.Str == o.Str
	case ValueInt:
		return v.Int == o.Int
	case ValueDouble:
		return math.Float64bits(v.Double) == math.Float64bits(o.Double)
	case ValueBool:
		return v.Bool == o.Bool
	case ValueBytes:
		return bytes.Equal(v.Bytes(), o.Bytes())
	case ValueArray:
		a, b := v.Array(), o.Array()
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if !a[i].Equal(b[i]) {
				return false
			}
		}
		return true
	case ValueMap:
		return AttributesEqual(v.Map(), o.Map())
	}
	return true
}

// AttributesEqual compares two attribute lists in order.
func AttributesEqual(a, b []Attribute) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || !a[i].Value.Equal(b[i].Value) {
			return false
		}
	}
	return true
}

// AsString renders the value for people: strings as they are, numbers in
// Go's shortest form, arrays and maps as JSON.
func (v Value) AsString() string {
	switch v.Type {
	case ValueString:
		return v.Str
	case ValueInt:
		return strconv.FormatInt(v.Int, 10)
	case ValueDouble:
		return strconv.FormatFloat(v.Double, 'g', -1, 64)
	case ValueBool:
		return strconv.FormatBool(v.Bool)
	case ValueBytes:
		return base64.StdEncoding.EncodeToString(v.Bytes())
	case ValueArray, ValueMap:
		b, _ := json.Marshal(v.plain())
		return string(b)
	}
	return ""
}

// plain converts the value to plain Go data for JSON rendering.
func (v Value) plain() any {
	switch v.Type {
	case ValueString:
		return v.Str
	case ValueInt:
		return v.Int
	case ValueDouble:
		if math.IsNaN(v.Double) || math.IsInf(v.Double, 0) {
			return strconv.FormatFloat(v.Double, 'g', -1, 64)
		}
		return v.Double
	case ValueBool:
		return v.Bool
	case ValueBytes:
		return v.Bytes()
	case ValueArray:
		arr := v.Array()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = e.plain()
		}
		return out
	case ValueMap:
		m := v.Map()
		out := make(map[string]any, len(m))
		for _, a := range m {
			out[a.Key] = a.Value.plain()
		}
		return out
	}
	return nil
}

// Find returns the value of the first attribute named key.
func Find(attrs []Attribute, key string) (Value, bool) {
	for i := range attrs {
		if attrs[i].Key == key {
			return attrs[i].Value, true
		}
	}
	return Value{}, false
}

// AttrBlock cuts attribute lists from shared allocations of Size
// attributes (or of the list's length, when longer): lists decoded
// together, which live about as long, cost one allocation per block
// instead of one each, and any list cut from a block keeps it alive. A
// list's capacity is its length, so an append to it copies.
type AttrBlock struct {
	Size int
	free []Attribute
}

// Cut returns a zeroed list of n attributes.
func (b *AttrBlock) Cut(n int) []Attribute {
	if n > len(b.free) {
		b.free = make([]Attribute, max(n, b.Size))
	}
	out := b.free[:n:n]
	b.free = b.free[n:]
	return out
}
