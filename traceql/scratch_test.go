//go:build scratch

package traceql

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestScratch(t *testing.T) {
	for _, q := range strings.Split(os.Getenv("Q"), "\n") {
		if q == "" { continue }
		s, err := Explain(q)
		if err != nil {
			fmt.Printf("%s\nERR %v\n%s\n\n", q, err, Caret(q, err))
			continue
		}
		fmt.Println(q)
		fmt.Println(s)
	}
}
