package eval

import (
	"reflect"
	"testing"

	"github.com/tracectl/tracectl/traceql"
)

func TestRequiredServices(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{`{ resource.service.name = "a" }`, []string{"a"}},
		{`{ "a" = resource.service.name && duration > 1s }`, []string{"a"}},
		{`{ resource.service.name = "a" || resource.service.name = "b" }`, []string{"a", "b"}},
		{`{ resource.service.name = "a" || duration > 1s }`, nil},
		{`{ resource.service.name != "a" }`, nil},
		{`{ resource.service.name =~ "a.*" }`, nil},
		{`{ resource.service.name = "" }`, nil},
		{`{ .service.name = "a" }`, nil},
		{`{ span.service.name = "a" }`, nil},
		{`{ }`, nil},
		{`{ resource.service.name = "a" } && { resource.service.name = "b" }`, []string{"a"}},
		{`{ duration > 1s } && { resource.service.name = "b" }`, []string{"b"}},
		{`{ resource.service.name = "a" } || { resource.service.name = "b" }`, []string{"a", "b"}},
		{`{ resource.service.name = "a" } || { duration > 1s }`, nil},
		{`{ resource.service.name = "a" } >> { duration > 1s }`, []string{"a"}},
		{`{ duration > 1s } &>> { resource.service.name = "b" }`, []string{"b"}},
		{`{ resource.service.name = "a" } !>> { duration > 1s }`, nil},
		{`{ duration > 1s } !>> { resource.service.name = "b" }`, []string{"b"}},
		{`{ resource.service.name = "a" } | count() > 2`, []string{"a"}},
		{`({ resource.service.name = "a" } | count() > 2) && ({ name = "x" })`, []string{"a"}},
		{`{ resource.service.name = "a" } | by(name) | select(span.x)`, []string{"a"}},
	} {
		root, err := traceql.Parse(tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.q, err)
		}
		if got := RequiredServices(root); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("RequiredServices(%s) = %q, want %q", tc.q, got, tc.want)
		}
	}
}
