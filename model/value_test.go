package model

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// TestValueSize pins the layout of Value and Attribute. Every decoded span
// holds a few of them (reading 1M spans made about 7M attributes, most of
// the allocation of a full scan), so their size is memory traffic and GC
// work on every read. Scalars are inline; bytes, arrays and maps, which are
// rare, sit behind one pointer. Growing these types is a deliberate choice:
// measure a full scan ("Compact attribute values" in BENCHMARKS.md) before
// changing the numbers.
func TestValueSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("sizes are pinned for 64-bit platforms")
	}
	if got := unsafe.Sizeof(Value{}); got != 48 {
		t.Errorf("unsafe.Sizeof(Value{}) = %d, want 48", got)
	}
	if got := unsafe.Sizeof(Attribute{}); got != 64 {
		t.Errorf("unsafe.Sizeof(Attribute{}) = %d, want 64", got)
	}
	// Type and Bool share the first word.
	if off := unsafe.Offsetof(Value{}.Bool); off != 1 {
		t.Errorf("Value.Bool at offset %d, want 1", off)
	}
}

func TestZeroValue(t *testing.T) {
	var v Value
	if v.Type != ValueEmpty || !v.Equal(Value{}) || v.AsString() != "" {
		t.Errorf("zero Value is %v %q, want the empty value", v.Type, v.AsString())
	}
	if v.Bytes() != nil || v.Array() != nil || v.Map() != nil {
		t.Error("zero Value has a composite payload")
	}
}

func TestCompositeRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    Value
		typ  ValueType
		str  string
		// differ is a value of the same type with other content.
		differ Value
	}{
		{"bytes", BytesValue([]byte("hi\x00")), ValueBytes, "aGkA", BytesValue([]byte("hi"))},
		{"empty bytes", BytesValue([]byte{}), ValueBytes, "", BytesValue([]byte{0})},
		{"nil bytes", BytesValue(nil), ValueBytes, "", BytesValue([]byte{0})},
		{"array", ArrayValue(StringValue("a"), IntValue(1), DoubleValue(1.5), BoolValue(true)), ValueArray,
			`["a",1,1.5,true]`, ArrayValue(StringValue("a"), IntValue(1), DoubleValue(1.5), BoolValue(false))},
		{"empty array", ArrayValue([]Value{}...), ValueArray, `[]`, ArrayValue(Value{})},
		{"nil array", ArrayValue(), ValueArray, `[]`, ArrayValue(Value{})},
		{"nested array", ArrayValue(ArrayValue(IntValue(1)), MapValue(Int("k", 2))), ValueArray,
			`[[1],{"k":2}]`, ArrayValue(ArrayValue(IntValue(2)), MapValue(Int("k", 2)))},
		{"map", MapValue(Str("b", "x"), Double("a", math.NaN()), Attribute{Key: "c", Value: BytesValue([]byte{1})}), ValueMap,
			`{"a":"NaN","b":"x","c":"AQ=="}`, MapValue(Str("b", "x"), Double("a", math.NaN()), Attribute{Key: "c", Value: BytesValue([]byte{2})})},
		{"empty map", MapValue([]Attribute{}...), ValueMap, `{}`, MapValue(Str("k", ""))},
		{"nil map", MapValue(), ValueMap, `{}`, MapValue(Str("k", ""))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.v
			if v.Type != tc.typ {
				t.Fatalf("Type = %v, want %v", v.Type, tc.typ)
			}
			if got := v.AsString(); got != tc.str {
				t.Errorf("AsString = %q, want %q", got, tc.str)
			}
			cp := v // copies share the payload and stay equal
			if !v.Equal(cp) || !cp.Equal(v) || !reflect.DeepEqual(v, cp) {
				t.Error("a copy is not equal")
			}
			if v.Equal(tc.differ) || tc.differ.Equal(v) {
				t.Errorf("%s equals %s", v.AsString(), tc.differ.AsString())
			}
			// Rebuilding from the accessor gives an equal value, also under
			// reflect.DeepEqual (nil and empty payloads stay apart).
			var re Value
			switch tc.typ {
			case ValueBytes:
				re = BytesValue(v.Bytes())
			case ValueArray:
				re = ArrayValue(v.Array()...)
			case ValueMap:
				re = MapValue(v.Map()...)
			}
			if !re.Equal(v) || !reflect.DeepEqual(re, v) {
				t.Errorf("rebuilt %s is not equal", re.AsString())
			}
			// Only the accessor of the value's own type returns data.
			if (v.Bytes() != nil) && tc.typ != ValueBytes || (v.Array() != nil) && tc.typ != ValueArray || (v.Map() != nil) && tc.typ != ValueMap {
				t.Error("accessor of another type returns data")
			}
			// Other types never equal it, nor the empty value.
			for _, o := range []Value{{}, StringValue(tc.str), BytesValue(nil), ArrayValue(), MapValue()} {
				if o.Type != tc.typ && (v.Equal(o) || o.Equal(v)) {
					t.Errorf("equals %v value %q", o.Type, o.AsString())
				}
			}
		})
	}
}

func TestCompositeNilness(t *testing.T) {
	// The constructors keep the slice they are given, nil or empty, as the
	// fields did.
	if BytesValue(nil).Bytes() != nil || BytesValue([]byte{}).Bytes() == nil {
		t.Error("BytesValue does not keep nil apart from empty")
	}
	if ArrayValue().Array() != nil || ArrayValue([]Value{}...).Array() == nil {
		t.Error("ArrayValue does not keep nil apart from empty")
	}
	if MapValue().Map() != nil || MapValue([]Attribute{}...).Map() == nil {
		t.Error("MapValue does not keep nil apart from empty")
	}
	// Equal does not tell them apart.
	if !ArrayValue().Equal(ArrayValue([]Value{}...)) || !MapValue().Equal(MapValue([]Attribute{}...)) || !BytesValue(nil).Equal(BytesValue([]byte{})) {
		t.Error("nil and empty payloads differ under Equal")
	}
}

func TestCompositeShared(t *testing.T) {
	// Elements modified through the accessor are seen by copies, as when
	// the slices were fields; rebuilding one copy leaves the other alone.
	arr := []Value{IntValue(1), IntValue(2)}
	a := ArrayValue(arr...)
	b := a
	a.Array()[0] = IntValue(9)
	if b.Array()[0].Int != 9 {
		t.Error("copy does not share elements")
	}
	a = ArrayValue(IntValue(3))
	if len(a.Array()) != 1 || len(b.Array()) != 2 || b.Array()[1].Int != 2 {
		t.Error("rebuilding a value changed its copy")
	}
	if got, ok := Find(MapValue(Int("x", 1), Str("y", "z")).Map(), "y"); !ok || !got.Equal(StringValue("z")) {
		t.Errorf("Find in a map = %q, %v", got.AsString(), ok)
	}
}

func TestAttributesEqualComposite(t *testing.T) {
	a := []Attribute{Str("s", "x"), {Key: "arr", Value: ArrayValue(IntValue(1), MapValue(Bool("b", true)))}, {Key: "raw", Value: BytesValue([]byte("x"))}}
	b := []Attribute{Str("s", "x"), {Key: "arr", Value: ArrayValue(IntValue(1), MapValue(Bool("b", true)))}, {Key: "raw", Value: BytesValue([]byte("x"))}}
	if !AttributesEqual(a, b) {
		t.Error("equal lists differ")
	}
	b[1].Value.Array()[1].Map()[0].Value = BoolValue(false)
	if AttributesEqual(a, b) {
		t.Error("lists differing in a nested map are equal")
	}
	key := func(attrs []Attribute) string {
		var sb strings.Builder
		writeAttrsKey(&sb, attrs)
		return sb.String()
	}
	if key(a) == key(b) {
		t.Error("grouping keys of different lists are equal")
	}
	b[1].Value.Array()[1].Map()[0].Value = BoolValue(true)
	if key(a) != key(b) {
		t.Error("grouping keys of equal lists differ")
	}
}
