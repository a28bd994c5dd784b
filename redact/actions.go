package redact

import (
	"math"
	"strconv"
	"strings"

	"github.com/tracectl/tracectl/model"
)

// applyActions runs an attributes rule's actions on one attribute map, in
// order, as the Collector's attraction package does, and reports whether
// the map changed. Keys added by insert, upsert and extract go to the end.
func (r *rule) applyActions(attrs *[]model.Attribute, st *RuleStats, where string) bool {
	changed := false
	for i := range r.actions {
		a := &r.actions[i]
		switch a.kind {
		case actDelete:
			var gone []string
			*attrs = deleteAttrs(*attrs, func(k string) bool {
				if k == a.key || a.re != nil && a.re.MatchString(k) {
					gone = append(gone, k)
					return true
				}
				return false
			})
			if len(gone) > 0 {
				st.Deleted += len(gone)
				st.sample(where, strings.Join(gone, ","), "(deleted)")
				changed = true
			}
		case actHash:
			for j := range *attrs {
				at := &(*attrs)[j]
				if at.Key == a.key || a.re != nil && a.re.MatchString(at.Key) {
					hv := r.hash.hash(at.Value)
					if !hv.Equal(at.Value) {
						changed = true
					}
					at.Value = hv
					st.Hashed++
					st.sample(where, at.Key, hv.Str)
				}
			}
		case actInsert, actUpdate, actUpsert:
			v, ok := a.source(*attrs)
			if !ok {
				continue
			}
			j := index(*attrs, a.key)
			switch {
			case j >= 0 && a.kind != actInsert:
				if !(*attrs)[j].Value.Equal(v) {
					changed = true
				}
				(*attrs)[j].Value = v
			case j < 0 && a.kind != actUpdate:
				*attrs = append(*attrs, model.Attribute{Key: a.key, Value: v})
				changed = true
			default:
				continue
			}
			st.Set++
			st.sample(where, a.key, v.AsString())
		case actExtract:
			j := index(*attrs, a.key)
			if j < 0 || (*attrs)[j].Value.Type != model.ValueString {
				continue
			}
			m := a.re.FindStringSubmatch((*attrs)[j].Value.Str)
			if m == nil {
				continue
			}
			for g := 1; g < len(m); g++ {
				if upsert(attrs, a.groupKeys[g], model.StringValue(m[g])) {
					changed = true
				}
				st.Extracted++
			}
		case actConvert:
			j := index(*attrs, a.key)
			if j < 0 {
				continue
			}
			nv := convert((*attrs)[j].Value, a.convType)
			if !nv.Equal((*attrs)[j].Value) {
				(*attrs)[j].Value = nv
				st.Converted++
				changed = true
			}
		}
	}
	return changed
}

// source returns the value an insert/update/upsert sets: value, else
// from_attribute, else default_value.
func (a *action) source(attrs []model.Attribute) (model.Value, bool) {
	if a.value != nil {
		return cloneValue(*a.value), true
	}
	if a.fromAttr != "" {
		if v, ok := model.Find(attrs, a.fromAttr); ok {
			return cloneValue(v), true
		}
	}
	if a.def != nil {
		return cloneValue(*a.def), true
	}
	return model.Value{}, false
}

func index(attrs []model.Attribute, key string) int {
	for i := range attrs {
		if attrs[i].Key == key {
			return i
		}
	}
	return -1
}

// upsert sets key to v, in place or at the end, and reports a change.
func upsert(attrs *[]model.Attribute, key string, v model.Value) bool {
	if j := index(*attrs, key); j >= 0 {
		if (*attrs)[j].Value.Equal(v) {
			return false
		}
		(*attrs)[j].Value = v
		return true
	}
	*attrs = append(*attrs, model.Attribute{Key: key, Value: v})
	return true
}

// deleteAttrs removes the attributes whose key drop selects, keeping order.
func deleteAttrs(attrs []model.Attribute, drop func(string) bool) []model.Attribute {
	out := attrs[:0]
	for _, a := range attrs {
		if !drop(a.Key) {
			out = append(out, a)
		}
	}
	clear(attrs[len(out):])
	return out
}

// cloneValue deep-copies arrays and maps so that one configured value set
// on many spans shares no backing arrays.
func cloneValue(v model.Value) model.Value {
	switch v.Type {
	case model.ValueArray:
		arr := make([]model.Value, len(v.Array()))
		for i, e := range v.Array() {
			arr[i] = cloneValue(e)
		}
		v = model.ArrayValue(arr...)
	case model.ValueMap:
		m := make([]model.Attribute, len(v.Map()))
		for i, a := range v.Map() {
			m[i] = model.Attribute{Key: a.Key, Value: cloneValue(a.Value)}
		}
		v = model.MapValue(m...)
	case model.ValueBytes:
		v = model.BytesValue(append([]byte(nil), v.Bytes()...))
	}
	return v
}

// convert implements the convert action like the Collector: failures
// leave the value as it was.
func convert(v model.Value, to string) model.Value {
	switch to {
	case "string":
		if v.Type != model.ValueString {
			return model.StringValue(collectorString(v))
		}
	case "int":
		switch v.Type {
		case model.ValueDouble:
			return model.IntValue(int64(v.Double))
		case model.ValueBool:
			if v.Bool {
				return model.IntValue(1)
			}
			return model.IntValue(0)
		case model.ValueString:
			if n, err := strconv.ParseInt(v.Str, 10, 64); err == nil {
				return model.IntValue(n)
			}
		}
	case "double":
		switch v.Type {
		case model.ValueInt:
			return model.DoubleValue(float64(v.Int))
		case model.ValueBool:
			if v.Bool {
				return model.DoubleValue(1)
			}
			return model.DoubleValue(0)
		case model.ValueString:
			if f, err := strconv.ParseFloat(v.Str, 64); err == nil {
				return model.DoubleValue(f)
			}
		}
	}
	return v
}

// collectorString renders a value as pcommon's Value.AsString does:
// doubles as ECMAScript numbers (NaN, Infinity), others as model does.
func collectorString(v model.Value) string {
	if v.Type != model.ValueDouble {
		return v.AsString()
	}
	f := v.Double
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(nil, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9, as ECMAScript does.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return string(b)
}
