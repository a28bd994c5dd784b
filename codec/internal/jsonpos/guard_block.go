package jsonpos

import (
	"encoding/binary"
	"math/bits"
)

// blockLen is how many bytes GuardReader.block checks at once: one bit
// of a uint64 mask per byte.
const blockLen = 64

// Byte-wise (SWAR) constants: every byte 0x01, 0x7f, 0x80.
const (
	ones = 0x0101010101010101
	lo7  = 0x7f7f7f7f7f7f7f7f
	his  = 0x8080808080808080
)

// eqBytes has 0x80 in each byte of w equal to c, 0 in the others; w and c
// must be ASCII (no high bit), so no byte carries into the next.
func eqBytes(w uint64, c byte) uint64 {
	return ^((w ^ ones*uint64(c)) + lo7) & his
}

// ltBytes has 0x80 in each byte of w below c (1 ≤ c ≤ 0x80), w ASCII.
func ltBytes(w uint64, c byte) uint64 {
	return ^(w + ones*uint64(0x80-c)) & his
}

// gather turns the 0x80 flags of eqBytes or ltBytes into 8 bits, bit k
// for byte k.
func gather(m uint64) uint64 {
	return (m >> 7) * 0x0102040810204080 >> 56
}

// prefixXor sets bit i to the parity of bits 0..i of x: 1 from an opening
// quote up to, not including, its closing quote.
func prefixXor(x uint64) uint64 {
	x ^= x << 1
	x ^= x << 2
	x ^= x << 4
	x ^= x << 8
	x ^= x << 16
	x ^= x << 32
	return x
}

// block checks the 64 bytes of b at once when the outcome cannot depend
// on where in them a limit falls, and reports whether it did: b is ASCII
// with no backslash and no control character but \t, \n and \r; the
// string open when b starts, if any, stays within the string limit (the
// strings b opens are shorter than a block, which the limit is not); no
// bracket goes past the depth limit and no closer comes at depth 0; and
// no run of whitespace can pass its limit. It then leaves the reader as
// scan would have left it (but for the length of a string already
// closed, which nothing reads). Otherwise it changes nothing and returns
// false, and scan checks the bytes one by one. The caller makes sure no
// escape or multi-byte rune is pending.
//
// The bytes of trace files are mostly such blocks: 64 bytes of OTLP JSON
// hold a dozen quotes, where scan enters and leaves each string a byte
// at a time.
func (g *GuardReader) block(b []byte) bool {
	blk := (*[blockLen]byte)(b)
	if g.maxString < blockLen {
		return false // a string opened in b could pass the limit (tests)
	}
	m, ok := maskBlock(blk)
	if !ok {
		return false
	}
	in := prefixXor(m.quote) // strings from their opening quote on
	if g.str {
		in = ^in
	}
	open, close := m.open&^in, m.close&^in // brackets outside strings
	if !g.depthHolds(open, close) {
		return false
	}
	strLen := g.strLen
	if g.str { // the string open before b runs up to b's first quote
		if strLen += bits.TrailingZeros64(m.quote); strLen > g.maxString {
			return false
		}
	}
	str := in>>63 == 1
	if str && m.quote != 0 { // a string opened in b runs on after it
		strLen = bits.LeadingZeros64(m.quote)
	}
	if g.space+blockLen > g.maxSpace {
		return false // a run of whitespace may pass the limit in b
	}

	run := 0 // when the last byte is no whitespace, or is in a string
	if blk[blockLen-1] <= ' ' {
		run = spaceAfter(blk, in, g.space)
	}

	g.depth += bits.OnesCount64(open) - bits.OnesCount64(close)
	g.str, g.strLen, g.space = str, strLen, run
	if m.newline == 0 {
		g.col += blockLen
	} else {
		g.line += bits.OnesCount64(m.newline)
		g.col = bits.LeadingZeros64(m.newline) + 1
	}
	return true
}

// blockMasks has a bit per byte of a block (bit k for byte k) set for
// the bytes of a kind.
type blockMasks struct {
	quote, open, close, newline uint64 // '[' and '{' open, ']' and '}' close
}

// maskBlock returns blk's masks; not ok if blk holds a byte block does
// not take: non-ASCII, a backslash, a control character but \t, \n, \r.
func maskBlock(blk *[blockLen]byte) (m blockMasks, ok bool) {
	var backslash, ctl uint64
	for k := 0; k < blockLen; k += 8 {
		w := binary.LittleEndian.Uint64(blk[k : k+8])
		if w&his != 0 {
			return m, false // non-ASCII: UTF-8 to check (and the masks below need ASCII)
		}
		backslash |= eqBytes(w, '\\')
		ctl |= ltBytes(w, 0x20)
		m.quote |= gather(eqBytes(w, '"')) << k
		// '[' and '{' differ only in 0x20, as do ']' and '}'.
		w |= ones * 0x20
		m.open |= gather(eqBytes(w, '{')) << k
		m.close |= gather(eqBytes(w, '}')) << k
	}
	if backslash != 0 {
		return m, false
	}
	if ctl != 0 {
		// \t, \n and \r are fine (whitespace outside strings, bytes of
		// the string inside); newlines are counted.
		var other uint64
		for k := 0; k < blockLen; k += 8 {
			w := binary.LittleEndian.Uint64(blk[k : k+8])
			n := eqBytes(w, '\n')
			m.newline |= gather(n) << k
			other |= ltBytes(w, 0x20) &^ (n | eqBytes(w, '\t') | eqBytes(w, '\r'))
		}
		if other != 0 {
			return m, false
		}
	}
	return m, true
}

// depthHolds reports whether the brackets of a block (masks outside
// strings) keep the depth within the limit and bring no closer at depth 0
// (which scan ignores): at once from their counts when these settle it,
// otherwise bracket by bracket.
func (g *GuardReader) depthHolds(open, close uint64) bool {
	if g.depth+bits.OnesCount64(open) <= g.maxDepth && bits.OnesCount64(close) <= g.depth {
		return true
	}
	d := g.depth
	for m := open | close; m != 0; m &= m - 1 {
		switch {
		case open&m&-m != 0:
			if d++; d > g.maxDepth {
				return false
			}
		case d == 0:
			return false
		default:
			d--
		}
	}
	return true
}

// spaceAfter is the run of whitespace outside strings at the end of blk,
// which continues run when blk is all such whitespace; in marks the
// bytes in strings.
func spaceAfter(blk *[blockLen]byte, in uint64, run int) int {
	var space uint64
	for k := 0; k < blockLen; k += 8 {
		w := binary.LittleEndian.Uint64(blk[k : k+8])
		space |= gather(ltBytes(w, 0x21)) << k
	}
	out := space &^ in // whitespace outside strings
	if out == ^uint64(0) {
		return run + blockLen
	}
	return bits.LeadingZeros64(^out)
}
