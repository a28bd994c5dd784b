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
	var backslash, ctl, quote, open, close uint64
	for k := 0; k < blockLen; k += 8 {
		w := binary.LittleEndian.Uint64(blk[k : k+8])
		if w&his != 0 {
			return false // non-ASCII: UTF-8 to check (and the masks below need ASCII)
		}
		backslash |= eqBytes(w, '\\')
		ctl |= ltBytes(w, 0x20)
		quote |= gather(eqBytes(w, '"')) << k
		// '[' and '{' differ only in 0x20, as do ']' and '}'.
		w |= ones * 0x20
		open |= gather(eqBytes(w, '{')) << k
		close |= gather(eqBytes(w, '}')) << k
	}
	if backslash != 0 {
		return false
	}
	var nl uint64
	if ctl != 0 {
		// Control characters: \t, \n and \r are fine (whitespace outside
		// strings, bytes of the string inside); newlines are counted.
		var other uint64
		for k := 0; k < blockLen; k += 8 {
			w := binary.LittleEndian.Uint64(blk[k : k+8])
			n := eqBytes(w, '\n')
			nl |= gather(n) << k
			other |= ltBytes(w, 0x20) &^ (n | eqBytes(w, '\t') | eqBytes(w, '\r'))
		}
		if other != 0 {
			return false
		}
	}
	in := prefixXor(quote) // strings from their opening quote on
	if g.str {
		in = ^in
	}
	open, close = open&^in, close&^in // brackets outside strings
	opens, closes := bits.OnesCount64(open), bits.OnesCount64(close)
	if g.depth+opens > g.maxDepth || closes > g.depth {
		// The limit may be met, or a closer come at depth 0 (which scan
		// ignores): follow the depth bracket by bracket.
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
	}
	strLen := g.strLen
	if g.str { // the string open before b runs up to b's first quote
		if strLen += bits.TrailingZeros64(quote); strLen > g.maxString {
			return false
		}
	}
	str := in>>63 == 1
	if str && quote != 0 { // a string opened in b runs on after it
		strLen = bits.LeadingZeros64(quote)
	}
	run := g.space
	if run+blockLen > g.maxSpace {
		return false
	}
	if blk[blockLen-1] > ' ' {
		run = 0 // the last byte is no whitespace, or is in a string
	} else {
		var space uint64
		for k := 0; k < blockLen; k += 8 {
			w := binary.LittleEndian.Uint64(blk[k : k+8])
			space |= gather(ltBytes(w, 0x21)) << k
		}
		if out := space &^ in; out == ^uint64(0) { // whitespace outside strings
			run += blockLen
		} else {
			run = bits.LeadingZeros64(^out)
		}
	}

	g.depth += opens - closes
	g.str, g.strLen, g.space = str, strLen, run
	if nl == 0 {
		g.col += blockLen
	} else {
		g.line += bits.OnesCount64(nl)
		g.col = bits.LeadingZeros64(nl) + 1
	}
	return true
}
