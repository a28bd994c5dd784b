package metadata

import (
	"encoding/json"
	"testing"
)

// TestDedicatedColumnJSON: meta.json is written in Tempo's short-key form
// with the defaults left out (as in Tempo's own vParquet4 test block), and
// read back from the short or the long form.
func TestDedicatedColumnJSON(t *testing.T) {
	tests := []struct {
		name, in, out string
	}{
		{"tempo", `[{"s":"resource","n":"ip"},{"n":"instance"}]`, `[{"s":"resource","n":"ip"},{"n":"instance"}]`},
		{"explicit defaults", `[{"s":"span","n":"a","t":"string"}]`, `[{"n":"a"}]`},
		{"long keys", `[{"scope":"resource","name":"host.name","type":"string"},{"name":"x"}]`, `[{"s":"resource","n":"host.name"},{"n":"x"}]`},
		{"other type kept", `[{"n":"code","t":"int","o":["array"]}]`, `[{"n":"code","t":"int","o":["array"]}]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var cols []DedicatedColumn
			if err := json.Unmarshal([]byte(tc.in), &cols); err != nil {
				t.Fatal(err)
			}
			out, err := json.Marshal(cols)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.out {
				t.Errorf("got %s, want %s", out, tc.out)
			}
		})
	}
}
