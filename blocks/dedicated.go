package blocks

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxDedicatedPerScope is how many dedicated string columns vParquet4 has
// per scope (String01..String10 under Resource and under Spans).
const MaxDedicatedPerScope = maxDedicated

// DefaultDedicatedColumns is the set "tracectl ingest" writes unless told
// otherwise: the span attributes of the current OpenTelemetry HTTP
// conventions that vParquet4's static columns (http.method, http.url,
// http.status_code, of the old conventions) do not cover. Tempo's own
// vParquet4 default is no dedicated column at all.
func DefaultDedicatedColumns() []DedicatedColumn {
	names := []string{"http.request.method", "url.path", "url.route", "server.address", "http.route"}
	out := make([]DedicatedColumn, len(names))
	for i, n := range names {
		out[i] = DedicatedColumn{Name: n}
	}
	return out
}

// dedicatedConfig is one entry of Tempo's parquet_dedicated_columns.
type dedicatedConfig struct {
	Scope   string   `yaml:"scope" json:"scope"`
	Name    string   `yaml:"name" json:"name"`
	Type    string   `yaml:"type" json:"type"`
	Options []string `yaml:"options" json:"options"`
}

// ParseDedicatedColumns reads a --dedicated-columns value: "none" (or
// nothing) for no dedicated columns, a comma-separated list of
// scope.name ("span.http.route,resource.deployment.environment"), or the
// path of a YAML or JSON file (a name ending in .yaml, .yml or .json)
// holding a list in Tempo's parquet_dedicated_columns shape (see
// DecodeDedicatedColumns). The result is validated and normalized.
func ParseDedicatedColumns(spec string) ([]DedicatedColumn, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" || spec == "none" {
		return []DedicatedColumn{}, nil
	}
	lower := strings.ToLower(spec)
	if strings.HasSuffix(lower, ".yaml") || strings.HasSuffix(lower, ".yml") || strings.HasSuffix(lower, ".json") {
		data, err := os.ReadFile(spec)
		if err != nil {
			return nil, err
		}
		cols, err := DecodeDedicatedColumns(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", spec, err)
		}
		return cols, nil
	}
	var cols []DedicatedColumn
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		scope, name, ok := strings.Cut(item, ".")
		if !ok || name == "" || (scope != ScopeSpan && scope != ScopeResource) {
			return nil, fmt.Errorf("dedicated column %q: want span.NAME or resource.NAME (or none, or a .yaml/.json file)", item)
		}
		cols = append(cols, DedicatedColumn{Scope: scope, Name: name})
	}
	return CheckDedicatedColumns(cols)
}

// DecodeDedicatedColumns reads a YAML or JSON list of dedicated columns in
// Tempo's configuration shape, [{scope: span|resource, name: ..., type:
// string}], optionally under a parquet_dedicated_columns key (so a block of
// Tempo's configuration can be pasted). Scope defaults to span and type to
// string; unknown fields are errors. The result is validated and normalized.
func DecodeDedicatedColumns(data []byte) ([]DedicatedColumn, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return []DedicatedColumn{}, nil
	}
	var list []dedicatedConfig
	var err error
	if top := doc.Content[0]; top.Kind == yaml.MappingNode {
		if len(top.Content) > 0 && !hasKey(top, "parquet_dedicated_columns") {
			return nil, fmt.Errorf("want a list of {scope, name, type}: line %d: a mapping without parquet_dedicated_columns where a list was expected", top.Line)
		}
		var wrapped struct {
			Columns []dedicatedConfig `yaml:"parquet_dedicated_columns"`
		}
		err = strictYAML(data, &wrapped)
		list = wrapped.Columns
	} else {
		err = strictYAML(data, &list)
	}
	if err != nil {
		return nil, fmt.Errorf("want a list of {scope, name, type}: %w", plainYAMLError(err))
	}
	cols := make([]DedicatedColumn, 0, len(list))
	for _, c := range list {
		cols = append(cols, DedicatedColumn(c))
	}
	return CheckDedicatedColumns(cols)
}

// hasKey reports whether mapping node m has the key k.
func hasKey(m *yaml.Node, k string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			return true
		}
	}
	return false
}

// plainYAMLError rewrites the decoder's type errors in the terms of the
// configuration, without Go type names: `line 1: unknown field "bogus"`
// for `line 1: field bogus not found in type blocks.dedicatedConfig`,
// `line 1: a mapping where a list was expected` for `cannot unmarshal
// !!map into []blocks.dedicatedConfig`. Other errors pass unchanged.
func plainYAMLError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	msgs := make([]string, len(te.Errors))
	for i, e := range te.Errors {
		prefix, msg := "", e
		if line, rest, ok := strings.Cut(e, ": "); ok && strings.HasPrefix(line, "line ") {
			prefix, msg = line+": ", rest
		}
		if rest, ok := strings.CutPrefix(msg, "field "); ok && strings.Contains(rest, " not found in type ") {
			field, typ, _ := strings.Cut(rest, " not found in type ")
			msg = fmt.Sprintf("unknown field %q", field)
			if strings.HasSuffix(typ, "dedicatedConfig") {
				msg += " (want scope, name, type or options)"
			} else {
				msg += " (want parquet_dedicated_columns)"
			}
		} else if what, ok := strings.CutPrefix(msg, "cannot unmarshal "); ok {
			node, into, _ := strings.Cut(what, " into ")
			want := "a string"
			switch {
			case strings.HasPrefix(into, "[]"):
				want = "a list"
			case strings.HasSuffix(into, "dedicatedConfig"):
				want = "a mapping {scope, name, type}"
			}
			msg = fmt.Sprintf("%s where %s was expected", yamlNode(node), want)
		}
		msgs[i] = prefix + msg
	}
	return errors.New(strings.Join(msgs, "; "))
}

// yamlNode names a node of the decoder's messages ("!!str `abc`": "a
// string `abc`").
func yamlNode(s string) string {
	tag, value, _ := strings.Cut(s, " ")
	names := map[string]string{"!!map": "a mapping", "!!seq": "a list", "!!str": "a string", "!!int": "a number",
		"!!float": "a number", "!!bool": "a boolean", "!!null": "null"}
	name, ok := names[tag]
	if !ok {
		name = tag
	}
	if value != "" {
		name += " " + value
	}
	return name
}

// strictYAML decodes data into v; unknown fields are errors.
func strictYAML(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// CheckDedicatedColumns validates a dedicated column configuration for
// vParquet4 and returns it normalized as Tempo writes it in meta.json
// (scope "" for span, type "" for string): scope span or resource, type
// string, no options, a name that has no static column, no duplicates, and
// at most MaxDedicatedPerScope per scope.
func CheckDedicatedColumns(cols []DedicatedColumn) ([]DedicatedColumn, error) {
	out := make([]DedicatedColumn, 0, len(cols))
	seen := map[string]bool{}
	per := map[string]int{}
	for _, c := range cols {
		scope := c.EffectiveScope()
		name := scope + "." + c.Name
		switch {
		case c.Name == "":
			return nil, fmt.Errorf("dedicated column without a name (scope %s)", scope)
		case scope != ScopeSpan && scope != ScopeResource:
			return nil, fmt.Errorf("dedicated column %s: scope %q: vParquet4 has dedicated columns for span and resource only", c.Name, c.Scope)
		case c.Type != "" && c.Type != "string":
			return nil, fmt.Errorf("dedicated column %s: type %q: vParquet4 dedicated columns hold strings only", name, c.Type)
		case len(c.Options) > 0:
			return nil, fmt.Errorf("dedicated column %s: options %v: vParquet4 dedicated columns take no options (array and blob are vParquet5's)", name, c.Options)
		case seen[name]:
			return nil, fmt.Errorf("dedicated column %s given twice", name)
		}
		if static := staticColumnOf(scope, c.Name); static != "" {
			return nil, fmt.Errorf("dedicated column %s: the attribute has its own vParquet4 column (%s) already", name, static)
		}
		seen[name] = true
		if per[scope]++; per[scope] > MaxDedicatedPerScope {
			return nil, fmt.Errorf("more than %d dedicated columns in scope %s (vParquet4 has %d)", MaxDedicatedPerScope, scope, MaxDedicatedPerScope)
		}
		n := DedicatedColumn{Name: c.Name}
		if scope == ScopeResource {
			n.Scope = ScopeResource
		}
		out = append(out, n)
	}
	return out, nil
}

// staticColumnOf names the static vParquet4 column of an attribute, or "".
func staticColumnOf(scope, name string) string {
	if scope == ScopeResource {
		if name == "service.name" {
			return "ServiceName"
		}
		for i, k := range resourceStatic {
			if k == name {
				return resourceStaticColumns[i]
			}
		}
		return ""
	}
	switch name {
	case keyHTTPMethod:
		return "HttpMethod"
	case keyHTTPURL:
		return "HttpUrl"
	case keyHTTPStatusCode:
		return "HttpStatusCode"
	}
	return ""
}

// FormatDedicatedColumns renders cols in the compact form
// ParseDedicatedColumns reads ("none" for no column).
func FormatDedicatedColumns(cols []DedicatedColumn) string {
	if len(cols) == 0 {
		return "none"
	}
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.EffectiveScope() + "." + c.Name
	}
	return strings.Join(parts, ",")
}

// DedicatedColumnInfo is a dedicated column as reports show it: the
// attribute and the spare column that holds it.
type DedicatedColumnInfo struct {
	Scope  string `json:"scope"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	Column string `json:"column"`
}

// DedicatedColumnsOf lists the columns a block's meta assigns, with their
// slots (String01..String10 of each scope); entries a vParquet4 reader
// ignores (see DedicatedColumn) are left out.
func DedicatedColumnsOf(m Meta) []DedicatedColumnInfo {
	res, span := dedicatedSlots(m.DedicatedColumns)
	out := []DedicatedColumnInfo{}
	seen := map[string]bool{}
	for _, c := range m.DedicatedColumns {
		slots := span
		if c.EffectiveScope() == ScopeResource {
			slots = res
		}
		i, ok := slots[c.Name]
		if !ok || seen[c.EffectiveScope()+"."+c.Name] {
			continue
		}
		seen[c.EffectiveScope()+"."+c.Name] = true
		out = append(out, DedicatedColumnInfo{Scope: c.EffectiveScope(), Name: c.Name, Type: "string", Column: dedicatedColumn(i)})
	}
	return out
}

// UnionDedicatedColumns chooses the dedicated columns of a block made from
// the traces of the blocks ms (a compaction's output, a copy of sampled
// traces). Readers put every attribute back where it came from and the
// writer puts it where the new set says, so any set is correct; this one
// keeps every input's columns dedicated while the slots last: the union
// of the sets, the columns of the block holding the most traces first, in
// its order (ties: the later EndTime, then the block ID), then the
// others' in the same order of blocks, at most MaxDedicatedPerScope per
// scope. A column dropped by the cap stays readable from the generic
// attribute list.
func UnionDedicatedColumns(ms []Meta) []DedicatedColumn {
	order := append([]Meta(nil), ms...)
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.TotalObjects != b.TotalObjects {
			return a.TotalObjects > b.TotalObjects
		}
		if !a.EndTime.Equal(b.EndTime) {
			return a.EndTime.After(b.EndTime)
		}
		return a.BlockID.String() < b.BlockID.String()
	})
	out := []DedicatedColumn{}
	seen := map[string]bool{}
	per := map[string]int{}
	for _, m := range order {
		for _, c := range DedicatedColumnsOf(m) {
			k := c.Scope + "." + c.Name
			if seen[k] || per[c.Scope] >= MaxDedicatedPerScope {
				continue
			}
			seen[k] = true
			per[c.Scope]++
			d := DedicatedColumn{Name: c.Name}
			if c.Scope == ScopeResource {
				d.Scope = ScopeResource
			}
			out = append(out, d)
		}
	}
	return out
}
