package blocks

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/tracectl/tracectl/model"
)

// Values the typed attribute lists cannot hold (key/value lists, bytes,
// arrays mixing types or holding non-scalars, empty values) are stored in
// ValueUnsupported (ValueDropped in the legacy layout) as
// OTLP JSON AnyValue: {"kvlistValue":{"values":[{"key":..,"value":{..}}]}},
// {"bytesValue":"<base64>"}, {"arrayValue":{"values":[..]}}, with int64 as a
// decimal string as the OTLP JSON mapping requires.

type anyValueJSON struct {
	StringValue *string         `json:"stringValue,omitempty"`
	BoolValue   *bool           `json:"boolValue,omitempty"`
	IntValue    json.RawMessage `json:"intValue,omitempty"`
	DoubleValue json.RawMessage `json:"doubleValue,omitempty"`
	ArrayValue  *arrayJSON      `json:"arrayValue,omitempty"`
	KvlistValue *kvlistJSON     `json:"kvlistValue,omitempty"`
	BytesValue  *string         `json:"bytesValue,omitempty"`
}

type arrayJSON struct {
	Values []anyValueJSON `json:"values"`
}

type kvlistJSON struct {
	Values []kvJSON `json:"values"`
}

type kvJSON struct {
	Key   string       `json:"key"`
	Value anyValueJSON `json:"value"`
}

func toAnyJSON(v model.Value) anyValueJSON {
	var a anyValueJSON
	switch v.Type {
	case model.ValueString:
		s := v.Str
		a.StringValue = &s
	case model.ValueBool:
		b := v.Bool
		a.BoolValue = &b
	case model.ValueInt:
		a.IntValue = json.RawMessage(strconv.Quote(strconv.FormatInt(v.Int, 10)))
	case model.ValueDouble:
		switch {
		case math.IsNaN(v.Double):
			a.DoubleValue = json.RawMessage(`"NaN"`)
		case math.IsInf(v.Double, 1):
			a.DoubleValue = json.RawMessage(`"Infinity"`)
		case math.IsInf(v.Double, -1):
			a.DoubleValue = json.RawMessage(`"-Infinity"`)
		default:
			a.DoubleValue = json.RawMessage(strconv.FormatFloat(v.Double, 'g', -1, 64))
		}
	case model.ValueBytes:
		s := base64.StdEncoding.EncodeToString(v.Bytes())
		a.BytesValue = &s
	case model.ValueArray:
		a.ArrayValue = &arrayJSON{Values: make([]anyValueJSON, len(v.Array()))}
		for i, e := range v.Array() {
			a.ArrayValue.Values[i] = toAnyJSON(e)
		}
	case model.ValueMap:
		a.KvlistValue = &kvlistJSON{Values: make([]kvJSON, len(v.Map()))}
		for i, kv := range v.Map() {
			a.KvlistValue.Values[i] = kvJSON{Key: kv.Key, Value: toAnyJSON(kv.Value)}
		}
	}
	return a
}

func fromAnyJSON(a anyValueJSON) (model.Value, error) {
	switch {
	case a.StringValue != nil:
		return model.StringValue(*a.StringValue), nil
	case a.BoolValue != nil:
		return model.BoolValue(*a.BoolValue), nil
	case a.IntValue != nil:
		var s string
		if err := json.Unmarshal(a.IntValue, &s); err != nil {
			s = string(a.IntValue)
		}
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return model.Value{}, fmt.Errorf("intValue: %w", err)
		}
		return model.IntValue(i), nil
	case a.DoubleValue != nil:
		var s string
		if err := json.Unmarshal(a.DoubleValue, &s); err != nil {
			s = string(a.DoubleValue)
		}
		var f float64
		switch s {
		case "NaN":
			f = math.NaN()
		case "Infinity":
			f = math.Inf(1)
		case "-Infinity":
			f = math.Inf(-1)
		default:
			var err error
			if f, err = strconv.ParseFloat(s, 64); err != nil {
				return model.Value{}, fmt.Errorf("doubleValue: %w", err)
			}
		}
		return model.DoubleValue(f), nil
	case a.BytesValue != nil:
		b, err := base64.StdEncoding.DecodeString(*a.BytesValue)
		if err != nil {
			return model.Value{}, fmt.Errorf("bytesValue: %w", err)
		}
		return model.BytesValue(b), nil
	case a.ArrayValue != nil:
		var out []model.Value
		for _, e := range a.ArrayValue.Values {
			v, err := fromAnyJSON(e)
			if err != nil {
				return model.Value{}, err
			}
			out = append(out, v)
		}
		return model.ArrayValue(out...), nil
	case a.KvlistValue != nil:
		var out []model.Attribute
		for _, kv := range a.KvlistValue.Values {
			v, err := fromAnyJSON(kv.Value)
			if err != nil {
				return model.Value{}, err
			}
			out = append(out, model.Attribute{Key: kv.Key, Value: v})
		}
		return model.MapValue(out...), nil
	}
	return model.Value{}, nil
}

// marshalAnyValue renders v as OTLP JSON AnyValue.
func marshalAnyValue(v model.Value) string {
	b, _ := json.Marshal(toAnyJSON(v))
	return string(b)
}

// unmarshalAnyValue parses OTLP JSON AnyValue.
func unmarshalAnyValue(s string) (model.Value, error) {
	var a anyValueJSON
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		return model.Value{}, err
	}
	return fromAnyJSON(a)
}
