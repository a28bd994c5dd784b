package column

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// Byte-lane constants for testing eight levels at once in a uint64.
const (
	lanes   = 0x0101010101010101 // 1 in every byte
	lowBits = 0x7f7f7f7f7f7f7f7f // all but each byte's top bit
	topBits = 0x8080808080808080 // each byte's top bit
)

// levelStats returns the number of entries whose definition level is
// maxDef, and whether every repetition level is at most maxRep and every
// definition level at most maxDef. It checks a page's levels before the
// reader trusts them, so it runs over every level read: the count is
// bytes.Count's (vector instructions), the bounds are tested eight levels
// at a time, without a branch per level.
func levelStats(rep, def []byte, maxRep, maxDef byte) (present int, within bool) {
	rep = rep[:len(def)]
	present = bytes.Count(def, []byte{maxDef})
	if maxRep > 127 || maxDef > 127 {
		return present, levelsWithin(rep, def, maxRep, maxDef)
	}
	// For a byte b, b + (127-max) has its top bit set when b > max and
	// b < 128; a b of 128 or more has its own top bit set (and any carry
	// it sends on only flags a word already flagged).
	overRep, overDef := lanes*uint64(127-maxRep), lanes*uint64(127-maxDef)
	var above uint64
	i := 0
	for ; i+8 <= len(def); i += 8 {
		r := binary.LittleEndian.Uint64(rep[i:])
		d := binary.LittleEndian.Uint64(def[i:])
		above |= r | (r + overRep) | d | (d + overDef)
	}
	return present, above&topBits == 0 && levelsWithin(rep[i:], def[i:], maxRep, maxDef)
}

// levelsWithin is levelStats' bounds test one level at a time: for tails
// and for maxima the byte lanes cannot hold.
func levelsWithin(rep, def []byte, maxRep, maxDef byte) bool {
	rep = rep[:len(def)]
	for i, d := range def {
		if rep[i] > maxRep || d > maxDef {
			return false
		}
	}
	return true
}

// skipLevels walks the entries of rep and def from the first until the
// one that would start row n+1 (repetition level 0 with n rows started):
// it returns the entries passed, the rows they started and their values
// (entries at maxDef); with n < 0 it passes them all, as with n at least
// their rows. Rows and values are counted with bytes.Count when the walk
// passes them all; otherwise the stop is looked for eight entries at a
// time, then one by one in the word that holds it.
func skipLevels(rep, def []byte, maxDef byte, n int) (i, rows, vals int) {
	if starts := bytes.Count(rep, []byte{0}); starts <= n || n < 0 {
		i, rows = len(rep), starts
	} else { // the (n+1)th start is there
		for ; i+8 <= len(rep); i += 8 {
			r := binary.LittleEndian.Uint64(rep[i:])
			// A byte of r is non-zero iff its top bit is set in
			// ((r & lowBits) + lowBits) | r.
			starts := 8 - bits.OnesCount64(((r&lowBits)+lowBits|r)&topBits)
			if rows+starts > n {
				break
			}
			rows += starts
		}
		for ; rep[i] != 0 || rows < n; i++ {
			if rep[i] == 0 {
				rows++
			}
		}
	}
	return i, rows, bytes.Count(def[:i], []byte{maxDef})
}
