package blocks

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseDedicatedColumns(t *testing.T) {
	dir := t.TempDir()
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	span := func(n string) DedicatedColumn { return DedicatedColumn{Name: n} }
	res := func(n string) DedicatedColumn { return DedicatedColumn{Scope: ScopeResource, Name: n} }
	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = "span.k" + string(rune('a'+i))
	}
	tests := []struct {
		name, spec string
		want       []DedicatedColumn
		err        string
	}{
		{"none", "none", []DedicatedColumn{}, ""},
		{"empty", " ", []DedicatedColumn{}, ""},
		{"compact", "span.http.route, resource.deployment.environment", []DedicatedColumn{span("http.route"), res("deployment.environment")}, ""},
		{"yaml", file("a.yaml", "- scope: resource\n  name: host.name\n  type: string\n- name: db.statement\n"), []DedicatedColumn{res("host.name"), span("db.statement")}, ""},
		{"tempo block", file("b.yml", "parquet_dedicated_columns:\n  - {scope: span, name: http.route, type: string}\n"), []DedicatedColumn{span("http.route")}, ""},
		{"json", file("c.json", `[{"scope":"span","name":"url.path","type":"string"}]`), []DedicatedColumn{span("url.path")}, ""},
		{"empty file", file("d.yaml", ""), []DedicatedColumn{}, ""},
		{"no scope", "http.route", nil, `"http.route": want span.NAME or resource.NAME`},
		{"bad scope", "event.x", nil, `"event.x": want span.NAME`},
		{"no name", "span.", nil, `"span.": want span.NAME`},
		{"duplicate", "span.a,span.b,span.a", nil, "dedicated column span.a given twice"},
		{"same name two scopes", "span.a,resource.a", []DedicatedColumn{span("a"), res("a")}, ""},
		{"too many", strings.Join(eleven, ","), nil, "more than 10 dedicated columns in scope span"},
		{"static span", "span.http.method", nil, "span.http.method: the attribute has its own vParquet4 column (HttpMethod)"},
		{"static resource", "resource.k8s.namespace.name", nil, "(K8sNamespaceName)"},
		{"service.name", "resource.service.name", nil, "(ServiceName)"},
		{"int type", file("e.yaml", "- {scope: span, name: x, type: int}\n"), nil, `type "int": vParquet4 dedicated columns hold strings only`},
		{"options", file("f.yaml", "- {name: x, options: [array]}\n"), nil, "take no options"},
		{"event scope", file("g.yaml", "- {scope: event, name: x}\n"), nil, `scope "event"`},
		{"unknown field", file("h.yaml", "- {scope: span, nam: x}\n"), nil, `h.yaml: want a list of {scope, name, type}: line 1: unknown field "nam" (want scope, name, type or options)`},
		{"unknown field, JSON", file("h2.json", "[\n {\"name\": \"a\",\n  \"bogus\": 1}]"), nil, `line 3: unknown field "bogus"`},
		{"not a list", file("h3.json", `{"name": "a"}`), nil, `want a list of {scope, name, type}: line 1: a mapping without parquet_dedicated_columns where a list was expected`},
		{"empty mapping", file("h7.yaml", "{}\n"), []DedicatedColumn{}, ""},
		{"field with a space", file("h8.yaml", "- {\"my name\": x}\n"), nil, `line 1: unknown field "my name" (want scope, name, type or options)`},
		{"wrapper's other key", file("h9.yaml", "parquet_dedicated_columns: []\nother: 1\n"), nil, `line 2: unknown field "other" (want parquet_dedicated_columns)`},
		{"wrapped, not a list", file("h6.yaml", "parquet_dedicated_columns: {name: a}\n"), nil, `line 1: a mapping where a list was expected`},
		{"not a mapping", file("h4.yaml", "- http.route\n"), nil, "line 1: a string `http.route` where a mapping {scope, name, type} was expected"},
		{"list for a string", file("h5.yaml", "- name: [a]\n"), nil, "line 1: a list where a string was expected"},
		{"missing name", file("i.yaml", "- {scope: span}\n"), nil, "without a name"},
		{"missing file", filepath.Join(dir, "nope.yaml"), nil, "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDedicatedColumns(tc.spec)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if len(got) > 0 {
				back, err := ParseDedicatedColumns(FormatDedicatedColumns(got))
				if err != nil || !reflect.DeepEqual(back, got) {
					t.Errorf("compact form %q reads back as %+v, %v", FormatDedicatedColumns(got), back, err)
				}
			}
		})
	}
}

func TestDefaultDedicatedColumnsValid(t *testing.T) {
	got, err := CheckDedicatedColumns(DefaultDedicatedColumns())
	if err != nil || len(got) != 5 {
		t.Fatalf("default set: %v, %v", got, err)
	}
}

func TestDedicatedColumnsOf(t *testing.T) {
	m := Meta{DedicatedColumns: []DedicatedColumn{
		{Scope: ScopeResource, Name: "ip"}, {Name: "a"}, {Name: "http.method"}, {Name: "n", Type: "int"}, {Name: "b"}, {Name: "a"},
	}}
	got := DedicatedColumnsOf(m)
	want := []DedicatedColumnInfo{
		{"resource", "ip", "string", "String01"},
		{"span", "a", "string", "String01"},
		{"span", "b", "string", "String02"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
