package redact

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Detector recognises one kind of personal data in text.
type Detector struct {
	// Name is what rules and --detectors call it.
	Name string
	// Description is one line for help texts.
	Description string
	find        func(s string) []span
}

// span is a byte range [start, end) of a match.
type span struct{ start, end int }

// Find returns the byte ranges [start, end) of the detector's matches in
// s, in order and without overlap.
func (d *Detector) Find(s string) [][2]int {
	var out [][2]int
	for _, m := range d.find(s) {
		out = append(out, [2]int{m.start, m.end})
	}
	return out
}

var detectors = []*Detector{
	{Name: "email", Description: "e-mail addresses (local@domain.tld)", find: findEmails},
	{Name: "credit_card", Description: "payment card numbers: 13-19 digits, optional space/dash groups, issuer prefix, Luhn check", find: findCards},
	{Name: "ipv4", Description: "IPv4 addresses in dotted-quad form (octets 0-255, no leading zeros)", find: findIPv4},
	{Name: "ipv6", Description: "IPv6 addresses (any form net/netip accepts, at least two colons)", find: findIPv6},
	{Name: "jwt", Description: "JSON Web Tokens: three base64url parts, a JSON header with alg or typ", find: findJWTs},
	{Name: "bearer_token", Description: "the token after \"Bearer \" (16+ token characters)", find: findBearer},
	{Name: "aws_access_key", Description: "AWS access key IDs (AKIA, ASIA, ... + 16 base32 characters)", find: findAWSKeys},
}

// Detectors returns the built-in detectors, in a fixed order.
func Detectors() []*Detector { return append([]*Detector(nil), detectors...) }

// DetectorNames returns the names of the built-in detectors.
func DetectorNames() []string {
	var out []string
	for _, d := range detectors {
		out = append(out, d.Name)
	}
	return out
}

// LookupDetectors resolves detector names; "all" means every detector.
func LookupDetectors(names []string) ([]*Detector, error) {
	dets, _, err := lookupDetectors(names)
	return dets, err
}

// lookupDetectors is LookupDetectors that also returns, on error, the
// index of the name it did not know.
func lookupDetectors(names []string) (out []*Detector, bad int, err error) {
	seen := map[string]bool{}
	for i, n := range names {
		n = strings.TrimSpace(n)
		if n == "all" {
			for _, d := range detectors {
				if !seen[d.Name] {
					seen[d.Name] = true
					out = append(out, d)
				}
			}
			continue
		}
		var found *Detector
		for _, d := range detectors {
			if d.Name == n {
				found = d
			}
		}
		if found == nil {
			return nil, i, fmt.Errorf("unknown detector %q (want all, %s)", n, strings.Join(DetectorNames(), ", "))
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, found)
		}
	}
	return out, 0, nil
}

// isWord reports an ASCII letter, digit or underscore.
func isWord(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// before and after return the byte next to a range, or 0 at the edges.
func before(s string, i int) byte {
	if i > 0 {
		return s[i-1]
	}
	return 0
}

// lazyRegexp compiles expr on first use: the detectors' expressions are
// needed only by redact, and compiling them at start cost every command
// about a millisecond.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

func after(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

var emailRe = lazyRegexp(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)

func findEmails(s string) []span {
	if strings.IndexByte(s, '@') < 0 {
		return nil
	}
	var out []span
	for _, m := range emailRe().FindAllStringIndex(s, -1) {
		local, domain, _ := strings.Cut(s[m[0]:m[1]], "@")
		if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
			continue
		}
		ok := true
		for _, label := range strings.Split(domain, ".") {
			if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
				ok = false
			}
		}
		if ok && before(s, m[0]) != '@' && after(s, m[1]) != '@' {
			out = append(out, span{m[0], m[1]})
		}
	}
	return out
}

var cardRe = lazyRegexp(`[0-9](?:[ \-]?[0-9]){12,18}`)

func findCards(s string) []span {
	if countDigits(s) < 13 {
		return nil
	}
	var out []span
	for _, m := range cardRe().FindAllStringIndex(s, -1) {
		// A card number stands alone: not inside a longer run of digits,
		// letters or a dashed/spaced digit sequence.
		b, a := before(s, m[0]), after(s, m[1])
		if isWord(b) || isWord(a) {
			continue
		}
		if (b == '-' || b == ' ' || b == '.') && isDigit(before(s, m[0]-1)) {
			continue
		}
		if (a == '-' || a == ' ' || a == '.') && isDigit(after(s, m[1]+1)) {
			continue
		}
		digits := strings.NewReplacer(" ", "", "-", "").Replace(s[m[0]:m[1]])
		if cardPrefixOK(digits) && luhn(digits) {
			out = append(out, span{m[0], m[1]})
		}
	}
	return out
}

// cardPrefixOK checks the issuer identification number against the major
// networks, which keeps nanosecond timestamps and other long numbers out:
// Visa 4 (13, 16, 19 digits), Mastercard 51-55 and 2221-2720 (16),
// American Express 34, 37 (15), Diners 36, 38, 300-305 (14), JCB 35
// (16-19), Discover 6011, 64, 65 and UnionPay 62 (16-19).
func cardPrefixOK(d string) bool {
	n := len(d)
	p2 := d[:2]
	switch d[0] {
	case '4':
		return n == 13 || n == 16 || n == 19
	case '5':
		return p2 >= "51" && p2 <= "55" && n == 16
	case '2':
		return d[:4] >= "2221" && d[:4] <= "2720" && n == 16
	case '3':
		switch {
		case p2 == "34" || p2 == "37":
			return n == 15
		case p2 == "36" || p2 == "38" || d[:3] >= "300" && d[:3] <= "305":
			return n == 14
		case p2 == "35":
			return n >= 16
		}
	case '6':
		if d[:4] == "6011" || p2 == "64" || p2 == "65" || p2 == "62" {
			return n >= 16
		}
	}
	return false
}

// luhn reports whether a digit string passes the Luhn checksum.
func luhn(d string) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		x := int(d[i] - '0')
		if double {
			x *= 2
			if x > 9 {
				x -= 9
			}
		}
		sum += x
		double = !double
	}
	return sum%10 == 0
}

var ipv4Re = lazyRegexp(`[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}`)

func findIPv4(s string) []span {
	if len(s) < 7 || strings.Count(s, ".") < 3 {
		return nil
	}
	var out []span
	for _, m := range ipv4Re().FindAllStringIndex(s, -1) {
		b, a := before(s, m[0]), after(s, m[1])
		if isWord(b) || isWord(a) {
			continue
		}
		// Not part of a longer dotted sequence (a version 1.2.3.4.5).
		if b == '.' && isDigit(before(s, m[0]-1)) || a == '.' && isDigit(after(s, m[1]+1)) {
			continue
		}
		if addr, err := netip.ParseAddr(s[m[0]:m[1]]); err == nil && addr.Is4() {
			out = append(out, span{m[0], m[1]})
		}
	}
	return out
}

func isIPv6Char(c byte) bool {
	return c == ':' || c == '.' || isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func findIPv6(s string) []span {
	if strings.Count(s, ":") < 2 {
		return nil
	}
	var out []span
	for i := 0; i < len(s); {
		if !isIPv6Char(s[i]) || (i > 0 && isWord(s[i-1])) {
			i++
			continue
		}
		j := i
		for j < len(s) && isIPv6Char(s[j]) {
			j++
		}
		start, end := i, j
		i = j
		if isWord(after(s, end)) {
			continue
		}
		// Trim sentence punctuation and a lone leading colon ("host:" ...).
		for end > start && (s[end-1] == '.' || s[end-1] == ':' && !strings.HasSuffix(s[start:end], "::")) {
			end--
		}
		if end-start >= 2 && s[start] == ':' && s[start+1] != ':' {
			start++
		}
		cand := s[start:end]
		if strings.Count(cand, ":") < 2 {
			continue
		}
		if addr, err := netip.ParseAddr(cand); err == nil && addr.Is6() {
			out = append(out, span{start, end})
		}
	}
	return out
}

var jwtRe = lazyRegexp(`eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*`)

func findJWTs(s string) []span {
	if !strings.Contains(s, "eyJ") {
		return nil
	}
	var out []span
	for _, m := range jwtRe().FindAllStringIndex(s, -1) {
		if isWord(before(s, m[0])) || after(s, m[1]) == '.' {
			continue
		}
		parts := strings.SplitN(s[m[0]:m[1]], ".", 3)
		if jwtHeaderOK(parts[0]) && jwtPayloadOK(parts[1]) {
			out = append(out, span{m[0], m[1]})
		}
	}
	return out
}

func b64urlJSON(part string) (map[string]any, bool) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(part, "="))
	if err != nil {
		return nil, false
	}
	var obj map[string]any
	if json.Unmarshal(b, &obj) != nil {
		return nil, false
	}
	return obj, true
}

func jwtHeaderOK(part string) bool {
	h, ok := b64urlJSON(part)
	if !ok {
		return false
	}
	_, alg := h["alg"]
	_, typ := h["typ"]
	return alg || typ
}

func jwtPayloadOK(part string) bool {
	_, ok := b64urlJSON(part)
	return ok
}

var bearerRe = lazyRegexp(`(?i)\bbearer[ \t]+([A-Za-z0-9\-._~+/]{16,}=*)`)

func findBearer(s string) []span {
	if len(s) < 23 || !containsFold(s, "bearer") {
		return nil
	}
	var out []span
	for _, m := range bearerRe().FindAllStringSubmatchIndex(s, -1) {
		if isWord(after(s, m[3])) {
			continue
		}
		out = append(out, span{m[2], m[3]})
	}
	return out
}

var awsKeyRe = lazyRegexp(`(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z2-7]{16}`)

func findAWSKeys(s string) []span {
	if len(s) < 20 || !hasAWSPrefix(s) {
		return nil
	}
	var out []span
	for _, m := range awsKeyRe().FindAllStringIndex(s, -1) {
		if isWord(before(s, m[0])) || isWord(after(s, m[1])) {
			continue
		}
		out = append(out, span{m[0], m[1]})
	}
	return out
}

// findAll returns the union of the detectors' matches and the regexps'
// matches, sorted and with overlapping ranges merged.
func findAll(s string, dets []*Detector, res []*regexp.Regexp) []span {
	var all []span
	for _, re := range res {
		for _, m := range re.FindAllStringIndex(s, -1) {
			if m[1] > m[0] {
				all = append(all, span{m[0], m[1]})
			}
		}
	}
	for _, d := range dets {
		all = append(all, d.find(s)...)
	}
	if len(all) < 2 {
		return all
	}
	sort.Slice(all, func(i, j int) bool { return all[i].start < all[j].start })
	out := all[:1]
	for _, m := range all[1:] {
		last := &out[len(out)-1]
		if m.start < last.end {
			last.end = max(last.end, m.end)
			continue
		}
		out = append(out, m)
	}
	return out
}

// replaceSpans replaces each range of s by mask(matched text).
func replaceSpans(s string, spans []span, mask func(string) string) string {
	var b strings.Builder
	prev := 0
	for _, m := range spans {
		b.WriteString(s[prev:m.start])
		b.WriteString(mask(s[m.start:m.end]))
		prev = m.end
	}
	b.WriteString(s[prev:])
	return b.String()
}

// Cheap tests that rule out most strings before a regexp runs.

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}

// containsFold reports whether s contains the lower-case ASCII word w in
// any case.
func containsFold(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		j := 0
		for j < len(w) && (s[i+j]|0x20) == w[j] {
			j++
		}
		if j == len(w) {
			return true
		}
	}
	return false
}

func hasAWSPrefix(s string) bool {
	for i := strings.IndexByte(s, 'A'); i >= 0 && i+4 <= len(s); {
		switch s[i : i+4] {
		case "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "ABIA", "ACCA":
			return true
		}
		j := strings.IndexByte(s[i+1:], 'A')
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}
