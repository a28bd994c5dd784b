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

// block checks the 64 bytes of b at once when the answer does not depend
// on where in them a limit is met, and reports whether it did: b is
// ASCII with no backslash and no control character but whitespace, no
// string ends past the string limit, the depth stays within the limit
// and above zero, and no run of whitespace can pass its limit. It then
// leaves the reader as scan would have left it. Otherwise it
// changes nothing and returns false, and scan checks the bytes one by
// one. The caller makes sure no escape or multi-byte rune is pending.
//
// The bytes of trace files are mostly such blocks: a 64-byte block of
// OTLP JSON has a dozen strings, which scan enters and leaves a byte at a
// time.
func (g *GuardReader) block(b []byte) bool {
	blk := (*[blockLen]byte)(b)
	var union, special, quote, open, close uint64
	for k := 0; k < blockLen; k += 8 {
		w := binary.LittleEndian.Uint64(blk[k : k+8])
		union |= w
		special |= eqBytes(w, '\\') | ltBytes(w, 0x20)
		quote |= gather(eqBytes(w, '"')) << k
		// '[' and '{' differ only in 0x20, as do ']' and '}'.
		w |= ones * 0x20
		open |= gather(eqBytes(w, '{')) << k
		close |= gather(eqBytes(w, '}')) << k
	}
	if union&his != 0 {
		return false // non-ASCII: UTF-8 to check (and the masks are wrong)
	}
	var ctl, nl uint64
	if special != 0 {
		// Control characters: whitespace is fine outside strings.
		var ws uint64
		for k := 0; k < blockLen; k += 8 {
			w := binary.LittleEndian.Uint64(blk[k : k+8])
			if eqBytes(w, '\\') != 0 {
				return false
			}
			ctl |= gather(ltBytes(w, 0x20)) << k
			n := gather(eqBytes(w, '\n')) << k
			nl |= n
			ws |= n | gather(eqBytes(w, '\t')|eqBytes(w, '\r'))<<k
		}
		if ctl&^ws != 0 {
			return false
		}
	}
	in := prefixXor(quote) // strings from their opening quote on
	if g.str {
		in = ^in
	}
	opens := bits.OnesCount64(open &^ in)
	closes := bits.OnesCount64(close &^ in)
	if g.depth+opens > g.maxDepth || closes > g.depth {
		return false // the limit may be met, or a closer past zero ignored
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
