package metadata

import "encoding/json"

// Dedicated column scopes.
const (
	ScopeSpan     = "span"
	ScopeResource = "resource"
)

// DedicatedColumn assigns an attribute to a spare String<nn> column. Scope
// "" means span and Type "" means string, as in Tempo's JSON.
type DedicatedColumn struct {
	Scope   string   `json:"s,omitempty"`
	Name    string   `json:"n"`
	Type    string   `json:"t,omitempty"`
	Options []string `json:"o,omitempty"`
}

// EffectiveScope is the column's scope with the default applied: Scope,
// or ScopeSpan when Scope is "".
func (d DedicatedColumn) EffectiveScope() string {
	if d.Scope == "" {
		return ScopeSpan
	}
	return d.Scope
}

// dedicatedWire is a DedicatedColumn in meta.json: Tempo's short keys,
// with the defaults (span, string) left out as Tempo leaves them out.
type dedicatedWire struct {
	Scope   string   `json:"s,omitempty"`
	Name    string   `json:"n"`
	Type    string   `json:"t,omitempty"`
	Options []string `json:"o,omitempty"`
}

// MarshalJSON writes the column as Tempo's vParquet4 meta.json does:
// {"s":"resource","n":"k"} or, for a span string column, {"n":"k"}.
func (d DedicatedColumn) MarshalJSON() ([]byte, error) {
	w := dedicatedWire(d)
	if w.Scope == ScopeSpan {
		w.Scope = ""
	}
	if w.Type == "string" {
		w.Type = ""
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads Tempo's short keys (s, n, t, o) and, for metas
// written by hand or by other tools, the long ones (scope, name, type,
// options); a short key wins when both are present.
func (d *DedicatedColumn) UnmarshalJSON(b []byte) error {
	var w struct {
		dedicatedWire
		LongScope   string   `json:"scope"`
		LongName    string   `json:"name"`
		LongType    string   `json:"type"`
		LongOptions []string `json:"options"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*d = DedicatedColumn(w.dedicatedWire)
	if d.Scope == "" {
		d.Scope = w.LongScope
	}
	if d.Name == "" {
		d.Name = w.LongName
	}
	if d.Type == "" {
		d.Type = w.LongType
	}
	if d.Options == nil {
		d.Options = w.LongOptions
	}
	return nil
}
