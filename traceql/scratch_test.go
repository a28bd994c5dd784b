//go:build scratch

package traceql

import (
	"fmt"
	"testing"
)

func TestScratchErrs(t *testing.T) {
	for _, f := range []string{"parse_fails.txt", "validate_fails.txt", "unsupported.txt"} {
		for _, q := range readCorpus(t, f) {
			_, err := Parse(q.query)
			fmt.Printf("%-45s | %v\n", q.query, err)
		}
	}
}
