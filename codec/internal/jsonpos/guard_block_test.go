package jsonpos

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// guardState is what a GuardReader has read: the bytes it passed, its
// error, where the first invalid UTF-8 byte was, and its state after the
// last byte.
type guardState struct {
	got, err        string
	badOff          int64
	badLine, badCol int
	readerState
}

// readGuarded reads r through a GuardReader with the given limits (0: the
// package's) and returns what it read and where it stopped.
func readGuarded(r io.Reader, maxDepth, maxSpace, maxString int) guardState {
	g := NewGuardReader(r, maxDepth)
	if maxSpace > 0 {
		g.maxSpace, g.maxString = maxSpace, maxString
	}
	got, err := io.ReadAll(g)
	bad, off, line, col := g.InvalidUTF8() // ends a pending rune
	st := guardState{got: string(got), badOff: off, badLine: line, badCol: col, readerState: stateOf(g).inUse()}
	if err != nil {
		// The reader stops at a limit: where it stopped is what counts.
		st.err, st.readerState = err.Error(), readerState{off: g.off, bad: bad}
	}
	return st
}

// jsonish returns n bytes of JSON-like input: mostly well-formed objects,
// arrays and strings, with escapes, control characters, whitespace runs,
// non-ASCII and stray brackets and quotes mixed in at the given rate.
func jsonish(rng *rand.Rand, n int, odd float64) []byte {
	plain := []string{`{"key":"service.name","value":{"stringValue":"gateway"}}`, `,`, `[`, `]`, `{`, `}`,
		`"[{"`, `"a]}"`, `12.5e3`, `true`, `null`, `:`, ` `, "\n", `"traceId":"5b8efff798038103d269b633813fc60c"`}
	strange := []string{`"\"[`, `\\`, `\`, "\t", "\r", "\x01", "é", "\xff", "\xe2\x82", `"`, "    \n    ", "\"a\nb\""}
	var b bytes.Buffer
	for b.Len() < n {
		if rng.Float64() < odd {
			b.WriteString(strange[rng.IntN(len(strange))])
		} else {
			b.WriteString(plain[rng.IntN(len(plain))])
		}
	}
	return b.Bytes()[:n]
}

// GuardReader.block, which takes 64 bytes at once, leaves the reader as
// the byte-by-byte scan does: the same bytes passed, the same limit error
// at the same offset, the same invalid UTF-8 and the same state, on
// inputs that mix blocks it takes and blocks it declines, read whole
// and one byte per Read (never a block).
func TestGuardBlockMatchesScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		data := jsonish(rng, 64+rng.IntN(2000), []float64{0, 0.01, 0.1, 0.5}[i%4])
		// Limits the inputs reach; a whitespace limit under 64 bytes would
		// make block decline every block.
		for _, lim := range []struct{ depth, space, str int }{{3, 0, 0}, {8, 0, 0}, {1000, 0, 0}, {1000, 70, 100}, {6, 100, 64}} {
			whole := readGuarded(bytes.NewReader(data), lim.depth, lim.space, lim.str)
			one := readGuarded(iotest.OneByteReader(bytes.NewReader(data)), lim.depth, lim.space, lim.str)
			if whole != one {
				t.Fatalf("input %q, limits %+v:\nwhole %s\none byte at a time %s", data, lim, short(whole), short(one))
			}
		}
	}
}

// The string and whitespace limits are met at the same byte as when
// read one byte at a time, with the string or run starting at every
// offset of a block, ending in one or spanning several, at and around the
// limit; and the package's limits hold in whole reads.
func TestGuardBlockLimits(t *testing.T) {
	const maxSpace, maxString = 150, 200
	tail := strings.Repeat(`,1`, 100) // so the end is in a block, not a read's last bytes
	for lead := range 2 * blockLen {
		pad := strings.Repeat(",", lead%2) + strings.Repeat(`,1`, lead/2)
		for extra := -2; extra <= 2; extra++ {
			for name, in := range map[string]string{
				"string": `[` + pad + `"` + strings.Repeat("a", maxString+extra) + `"` + tail + `]`,
				"space":  `[` + pad + strings.Repeat(" ", maxSpace+extra) + `1` + tail + `]`,
				"lines":  `[` + pad + strings.Repeat("\n", maxSpace+extra) + `1` + tail + `]`,
				// A control character ends a run of whitespace.
				"control": `[` + pad + strings.Repeat(" ", maxSpace+extra) + "\x01" + strings.Repeat(" ", maxSpace) + `1` + tail + `]`,
				"mixed":   `[` + pad + strings.Repeat(" \t\r\n", (maxSpace+extra)/4) + strings.Repeat(" ", (maxSpace+extra)%4) + `1` + tail + `]`,
			} {
				one := readGuarded(iotest.OneByteReader(strings.NewReader(in)), 1000, maxSpace, maxString)
				if gotErr, wantErr := one.err != "", extra > 0; gotErr != wantErr {
					t.Fatalf("%s, lead %d, extra %d: error %q", name, lead, extra, one.err)
				}
				for _, n := range []int{len(in), 64, 100} {
					got := readGuarded(&shortReader{r: strings.NewReader(in), n: n}, 1000, maxSpace, maxString)
					if got != one {
						t.Fatalf("%s, lead %d, extra %d: reads of %d bytes give %s, want %s", name, lead, extra, n, short(got), short(one))
					}
				}
			}
		}
	}
	for _, extra := range []int{0, 1} {
		for name, in := range map[string]string{
			"string": `["` + strings.Repeat("a", MaxString+extra) + `"` + tail + `]`,
			"space":  `[` + strings.Repeat(" ", MaxSpace+extra) + `1` + tail + `]`,
		} {
			got := readGuarded(strings.NewReader(in), 1000, 0, 0)
			if gotErr, wantErr := got.err != "", extra > 0; gotErr != wantErr {
				t.Errorf("%s, %d past the limit: error %q", name, extra, got.err)
			}
		}
	}
}

type shortReader struct {
	r io.Reader
	n int
}

func (s *shortReader) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), s.n)]) }

func short(s guardState) string {
	s.got = fmt.Sprintf("%d bytes", len(s.got))
	return fmt.Sprintf("%+v", s)
}

// block, from any state a reader can be in at a block's start (no escape
// or rune pending), either declines and changes nothing or leaves the
// state scan leaves over the same bytes, which then meet no limit: on
// random blocks of JSON's bytes with a byte of any value here and there,
// runs of spaces, string bytes and newlines, and limits near the block's
// size.
func TestGuardBlockFromAnyState(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte(`{}[]"",:1a   ` + "\n\t\r")
	accepted := 0
	for i := range 200_000 {
		b := make([]byte, blockLen)
		for k := range b {
			if rng.IntN(50) == 0 {
				b[k] = byte(rng.IntN(256))
			} else {
				b[k] = alphabet[rng.IntN(len(alphabet))]
			}
		}
		if i%3 == 0 {
			from, to := rng.IntN(blockLen), rng.IntN(blockLen)
			for k := min(from, to); k < max(from, to); k++ {
				b[k] = []byte{' ', 'a', '\n'}[i%9/3]
			}
		}
		g := &GuardReader{maxDepth: rng.IntN(6), maxSpace: 64 + rng.IntN(80),
			maxString: []int{MaxString, 64 + rng.IntN(64), 1 + rng.IntN(63)}[rng.IntN(3)], line: 1 + rng.IntN(3), col: 1 + rng.IntN(100)}
		g.depth = rng.IntN(g.maxDepth + 1)
		if g.str = rng.IntN(2) == 0; g.str {
			g.strLen = rng.IntN(g.maxString + 1)
		} else {
			g.space = rng.IntN(g.maxSpace + 1)
		}
		before, byScan := *g, *g
		if !g.block(b) {
			if stateOf(g) != stateOf(&before) {
				t.Fatalf("%q: block declined and changed the state from %+v to %+v", b, stateOf(&before), stateOf(g))
			}
			continue
		}
		accepted++
		if _, err := byScan.scan(b, 0, blockLen); err != nil {
			t.Fatalf("%q from %+v: block took it, scan fails: %v", b, stateOf(&before), err)
		}
		if stateOf(g).inUse() != stateOf(&byScan).inUse() {
			t.Fatalf("%q from %+v:\nblock leaves %+v\nscan leaves  %+v", b, stateOf(&before), stateOf(g), stateOf(&byScan))
		}
	}
	if accepted < 5000 {
		t.Fatalf("block took %d of the blocks: the cases do not test it", accepted)
	}
}

// A multi-byte rune cut by a block's end is completed, or found invalid,
// by the bytes after it however the blocks fall: the next block, all
// ASCII, is still checked byte by byte while the rune is pending.
func TestGuardRuneAtBlockEdge(t *testing.T) {
	for _, r := range []string{"\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc3\xa9"} {
		for cut := 1; cut < len(r); cut++ {
			for _, tail := range []string{r[cut:], "", "\xac"} {
				in := `["` + strings.Repeat("a", blockLen-2-cut) + r[:cut] // the block ends inside the rune
				in += tail + strings.Repeat("b", blockLen) + `",` + strings.Repeat("1", blockLen) + `"` + "\xac" + `"]`
				one := readGuarded(iotest.OneByteReader(strings.NewReader(in)), 100, 0, 0)
				for _, n := range []int{len(in), blockLen, 2 * blockLen} {
					if got := readGuarded(&shortReader{r: strings.NewReader(in), n: n}, 100, 0, 0); got != one {
						t.Fatalf("%q in reads of %d:\n%s\nwant %s", in, n, short(got), short(one))
					}
				}
			}
		}
	}
}

// readerState is a GuardReader's state, comparable.
type readerState struct {
	off                                  int64
	line, col, depth, space, strLen, bad int
	str, esc                             bool
	pend                                 string
}

func stateOf(g *GuardReader) readerState {
	return readerState{g.off, g.line, g.col, g.depth, g.space, g.strLen, g.bad, g.str, g.esc, string(g.pend)}
}

// inUse is s without what the reader no longer reads: the length of a
// string already closed.
func (s readerState) inUse() readerState {
	if !s.str {
		s.strLen = 0
	}
	return s
}
