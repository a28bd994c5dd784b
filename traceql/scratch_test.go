//go:build scratch

package traceql

import (
	"fmt"
	"testing"
)

func TestScratchCanon(t *testing.T) {
	for _, q := range readCorpus(t, "valid.txt") {
		r, err := Parse(q.query)
		if err != nil { fmt.Println("ERR", err); continue }
		if s := r.String(); s != q.query { fmt.Printf("%-70s => %s\n", q.query, s) }
	}
}
