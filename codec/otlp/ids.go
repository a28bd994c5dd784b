package otlp

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// decodeID decodes an OTLP ID written as hex (what the OTLP/JSON spec and
// pdata use) or as base64 (what protojson, and so Tempo, writes), and checks
// its length. An empty string gives a nil slice and no error.
func decodeID(s string, size int) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) == 2*size {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	var wrong []byte
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) == size {
				return b, nil
			}
			wrong = b
		}
	}
	if isHex(s) {
		return nil, fmt.Errorf("%q is %d hex digits, want %d", s, len(s), 2*size)
	}
	if wrong != nil {
		return nil, fmt.Errorf("%q is %d bytes, want %d (%d hex digits or base64)", s, len(wrong), size, 2*size)
	}
	return nil, fmt.Errorf("%q is neither hex nor base64", s)
}

func isHex(s string) bool {
	return s != "" && strings.Trim(s, "0123456789abcdefABCDEF") == ""
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
