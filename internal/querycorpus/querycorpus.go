// Package querycorpus reads the TraceQL query corpora of traceql/testdata
// (valid.txt, parse_fails.txt, ...) for tests.
package querycorpus

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// Query is one query of a corpus file and the line it starts on.
type Query struct {
	Line int
	Text string
}

// Read reads one query per line of path; "#" lines and blank lines are
// skipped; the lines between two "---" lines form one multi-line query.
func Read(tb testing.TB, path string) []Query {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []Query
	var block []string
	n, blockStart, inBlock := 0, 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case line == "---":
			if inBlock {
				out = append(out, Query{blockStart, strings.Join(block, "\n")})
				block = nil
			}
			inBlock = !inBlock
			blockStart = n + 1
		case inBlock:
			block = append(block, line)
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
		default:
			out = append(out, Query{n, line})
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if inBlock {
		tb.Fatalf("%s: unterminated --- block", path)
	}
	return out
}

// Texts is Read without the line numbers.
func Texts(tb testing.TB, path string) []string {
	tb.Helper()
	qs := Read(tb, path)
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = q.Text
	}
	return out
}
