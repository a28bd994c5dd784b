package blocks

import "testing"

func TestValidateTenant(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"single-tenant", true}, {"team_a.prod", true}, {"a!*'()", true}, {"x", true},
		{"", false}, {".", false}, {"..", false}, {"a/b", false}, {"../x", false}, {"a b", false},
		{"é", false}, {string(make([]byte, 151)), false},
	} {
		if err := ValidateTenant(tc.id); (err == nil) != tc.ok {
			t.Errorf("%q: %v, want ok %v", tc.id, err, tc.ok)
		}
	}
	long := make([]byte, 150)
	for i := range long {
		long[i] = 'a'
	}
	if err := ValidateTenant(string(long)); err != nil {
		t.Errorf("150 characters: %v", err)
	}
}
