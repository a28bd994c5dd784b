package redact

import (
	"testing"
)

// jwtExample is the well-known example token of RFC 7519 tooling
// ({"alg":"HS256","typ":"JWT"} . {"sub":"1234567890",...} . signature).
const jwtExample = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"

// TestDetectors lists, per detector, texts with the exact matches expected
// (positives) and near-misses that must not match.
func TestDetectors(t *testing.T) {
	tests := []struct {
		detector string
		in       string
		want     []string // matched substrings; none for a near-miss
	}{
		{"email", "alice@example.com", []string{"alice@example.com"}},
		{"email", "mail to: Bob.Smith+tag@mail.example.co.uk, thanks", []string{"Bob.Smith+tag@mail.example.co.uk"}},
		{"email", "a@b.io and c_d@e-f.org", []string{"a@b.io", "c_d@e-f.org"}},
		{"email", "user@localhost", nil},
		{"email", "@example.com", nil},
		{"email", "alice@example", nil},
		{"email", "alice@example.c", nil},
		{"email", "alice@-example.com", nil},
		{"email", ".alice@example.com", nil},
		{"email", "al..ice@example.com", nil},
		{"email", "user@@example.com", nil},
		{"email", "pkg@1.2.3", nil},

		{"credit_card", "4111111111111111", []string{"4111111111111111"}},
		{"credit_card", "card 4111 1111 1111 1111 ok", []string{"4111 1111 1111 1111"}},
		{"credit_card", "5500-0000-0000-0004", []string{"5500-0000-0000-0004"}},
		{"credit_card", "amex=378282246310005;", []string{"378282246310005"}},
		{"credit_card", "6011111111111117", []string{"6011111111111117"}},
		{"credit_card", "4111111111111112", nil},    // Luhn fails
		{"credit_card", "1700000000000000000", nil}, // nanosecond timestamp
		{"credit_card", "41111111111111110", nil},   // 17 digits: no Visa length
		{"credit_card", "x4111111111111111", nil},   // inside a word
		{"credit_card", "94111111111111111", nil},   // inside a longer number
		{"credit_card", "411111111111", nil},        // 12 digits
		{"credit_card", "order 1234-5678 shipped", nil},

		{"ipv4", "peer 192.168.1.10:8080", []string{"192.168.1.10"}},
		{"ipv4", "0.0.0.0 and 255.255.255.255", []string{"0.0.0.0", "255.255.255.255"}},
		{"ipv4", "256.1.1.1", nil},
		{"ipv4", "1.2.3", nil},
		{"ipv4", "version 1.2.3.4.5", nil},
		{"ipv4", "v1.2.3.4", nil},
		{"ipv4", "01.2.3.4", nil},

		{"ipv6", "2001:db8::8a2e:370:7334", []string{"2001:db8::8a2e:370:7334"}},
		{"ipv6", "addr=[fe80::1]:443", []string{"fe80::1"}},
		{"ipv6", "host:2001:db8:0:0:0:0:2:1.", []string{"2001:db8:0:0:0:0:2:1"}},
		{"ipv6", "::ffff:192.0.2.128", []string{"::ffff:192.0.2.128"}},
		{"ipv6", "12:30:45", nil},               // a time
		{"ipv6", "00:1A:2B:3C:4D:5E", nil},      // a MAC address
		{"ipv6", "fe80::1::2", nil},             // two ::
		{"ipv6", "2001:db8::g1", nil},           // not hex
		{"ipv6", "std::vector::push_back", nil}, // C++ names

		{"jwt", "token=" + jwtExample, []string{jwtExample}},
		{"jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.", []string{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0."}},
		{"jwt", "eyJmb28iOiJiYXIifQ.eyJzdWIiOiIxIn0.sig", nil}, // header without alg/typ
		{"jwt", "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.sig", nil},   // payload not JSON
		{"jwt", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", nil},   // header only
		{"jwt", "eyJub3QganNvbg.eyJzdWIiOiIxIn0.sig", nil},     // header not JSON

		{"bearer_token", "Authorization: Bearer abcdef0123456789ABCDEF", []string{"abcdef0123456789ABCDEF"}},
		{"bearer_token", "bearer dGhpcyBpcyBhIHRva2Vu==", []string{"dGhpcyBpcyBhIHRva2Vu=="}},
		{"bearer_token", "Bearer short", nil},
		{"bearer_token", "Bearer", nil},
		{"bearer_token", "the bearer of bad news", nil},
		{"bearer_token", "Basic dXNlcjpwYXNzd29yZA==", nil},

		{"aws_access_key", "AKIAIOSFODNN7EXAMPLE", []string{"AKIAIOSFODNN7EXAMPLE"}},
		{"aws_access_key", "key=ASIAY34FZKBOKMUTVV7A;", []string{"ASIAY34FZKBOKMUTVV7A"}},
		{"aws_access_key", "AKIAIOSFODNN7EXAMPL", nil},   // 15 characters
		{"aws_access_key", "AKIAIOSFODNN7EXAMPLEX", nil}, // 17 characters
		{"aws_access_key", "akiaiosfodnn7example", nil},  // lower case
		{"aws_access_key", "AKIAIOSFODNN0EXAMPLE", nil},  // 0 is not base32
		{"aws_access_key", "XAKIAIOSFODNN7EXAMPLE", nil}, // inside a word
	}
	for _, tc := range tests {
		dets, err := LookupDetectors([]string{tc.detector})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range dets[0].Find(tc.in) {
			got = append(got, tc.in[m[0]:m[1]])
		}
		if !equalStrings(got, tc.want) {
			t.Errorf("%s(%q) = %q, want %q", tc.detector, tc.in, got, tc.want)
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestLookupDetectors(t *testing.T) {
	all, err := LookupDetectors([]string{"all", "email"})
	if err != nil || len(all) != len(DetectorNames()) {
		t.Fatalf("all = %d, %v", len(all), err)
	}
	if _, err := LookupDetectors([]string{"ssn"}); err == nil || err.Error() != `unknown detector "ssn" (want all, email, credit_card, ipv4, ipv6, jwt, bearer_token, aws_access_key)` {
		t.Errorf("unknown detector error = %v", err)
	}
}

func TestLuhn(t *testing.T) {
	for _, d := range []string{"79927398713", "4111111111111111", "378282246310005", "0"} {
		if !luhn(d) {
			t.Errorf("luhn(%s) = false", d)
		}
	}
	for _, d := range []string{"79927398710", "4111111111111121", "1"} {
		if luhn(d) {
			t.Errorf("luhn(%s) = true", d)
		}
	}
}

func TestMaskExample(t *testing.T) {
	for in, want := range map[string]string{
		"alice@example.com": "al*************om",
		"10.1.2.3":          "********",
		"":                  "",
	} {
		if got := MaskExample(in); got != want {
			t.Errorf("MaskExample(%q) = %q, want %q", in, got, want)
		}
	}
}
